import pino, { type Logger, type LoggerOptions } from 'pino';
import { API_KEY_PATTERN } from './auth/api-keys/api-key.js';
import type { LogLevel } from './config/schema.js';

/** Header and field paths whose values are replaced before a line is written. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  '*.password',
  '*.secret',
  '*.key',
];

/**
 * Cairn's logger options: JSON lines, request ids, and two layers of redaction. Paths above are censored
 * by pino; then every serialised line is scanned for anything shaped like a Cairn key, wherever it
 * appears (a URL, an error message, a body echoed by a library), and for the password of an SMTP URL,
 * so a secret never reaches the log.
 */
export function loggerOptions(level: LogLevel): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    hooks: {
      streamWrite: redactKeys,
    },
  };
}

/** The password in an smtp:// or smtps:// URL (CAIRN_SMTP_URL), should a library ever print one. */
const SMTP_URL_PASSWORD = /(smtps?:\/\/[^:/@\s"]*:)[^@\s"]*@/gi;

export function redactKeys(line: string): string {
  const keysOut = line.includes('cairn_sk_') ? line.replace(API_KEY_PATTERN, 'cairn_sk_[redacted]') : line;
  return /smtps?:\/\//i.test(keysOut) ? keysOut.replace(SMTP_URL_PASSWORD, '$1[redacted]@') : keysOut;
}

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
