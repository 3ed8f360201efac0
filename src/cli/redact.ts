import type { DatabaseConfig } from '../config/schema.js';

const MASK = '*****';

/**
 * A PostgreSQL URL fit to print: the password and any password-like query parameter masked. An
 * unparseable URL is withheld entirely, since we cannot tell where its secret is.
 */
export function redactDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '[withheld: not a parseable URL]';
  }
  if (parsed.password) parsed.password = MASK;
  for (const name of [...parsed.searchParams.keys()]) {
    if (/pass|secret|key|token/i.test(name)) parsed.searchParams.set(name, MASK);
  }
  return parsed.toString();
}

/** How a database is named in output: the SQLite path, or the redacted PostgreSQL URL. */
export function describeDatabase(database: DatabaseConfig): string {
  return database.dialect === 'sqlite' ? `SQLite ${database.path}` : `PostgreSQL ${redactDatabaseUrl(database.url)}`;
}

/** Removes known secret values from free text (a driver's error message, say) before it is shown. */
export function scrubSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    if (s) out = out.split(s).join(MASK);
  }
  return out;
}

/** The password of a PostgreSQL URL, raw and percent-decoded, for `scrubSecrets`. */
export function databasePasswords(database: DatabaseConfig): string[] {
  if (database.dialect !== 'postgres') return [];
  try {
    const { password } = new URL(database.url);
    return password ? [...new Set([password, decodeURIComponent(password)])] : [];
  } catch {
    return [];
  }
}
