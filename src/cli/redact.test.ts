import { describe, expect, test } from 'vitest';
import { describeDatabase, redactDatabaseUrl, scrubSecrets } from './redact.js';

describe('database URLs in output', () => {
  test('the password and password-like query parameters are masked; user, host and database stay readable', () => {
    expect(redactDatabaseUrl('postgres://cairn:s3cr%40t@db.internal:5432/cairn?sslmode=require&password=other')).toBe(
      'postgres://cairn:*****@db.internal:5432/cairn?sslmode=require&password=*****',
    );
  });

  test('a URL without a password is shown unchanged', () => {
    expect(redactDatabaseUrl('postgres://cairn@db:5432/cairn')).toBe('postgres://cairn@db:5432/cairn');
  });

  test('an unparseable URL is withheld whole, since its secret cannot be located', () => {
    expect(redactDatabaseUrl('postgres://user:pa ss@')).toBe('[withheld: not a parseable URL]');
  });

  test('SQLite is named by its path; PostgreSQL by its redacted URL', () => {
    expect(describeDatabase({ dialect: 'sqlite', path: '/var/lib/cairn/cairn.db' })).toBe('SQLite /var/lib/cairn/cairn.db');
    expect(describeDatabase({ dialect: 'postgres', url: 'postgres://u:hunter2@h/d', poolSize: 10 })).toBe('PostgreSQL postgres://u:*****@h/d');
  });

  test('known secret values are removed from free text such as a driver error', () => {
    expect(scrubSecrets('password authentication failed for hunter2 (hunter2)', ['hunter2', undefined])).toBe('password authentication failed for ***** (*****)');
  });
});
