import { describe, expect, test } from 'vitest';
import { formatTable, formatTime, parseDuration } from './format.js';

describe('durations for --expires-in and --grace', () => {
  test('a number with a unit becomes milliseconds', () => {
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('2W')).toBe(14 * 86_400_000);
  });

  test('a bare number or an unknown unit is refused rather than guessed', () => {
    expect(() => parseDuration('30')).toThrow('is not a duration');
    expect(() => parseDuration('3y')).toThrow('is not a duration');
    expect(() => parseDuration('-1h')).toThrow('is not a duration');
  });
});

describe('plain-text output', () => {
  test('columns are padded to the widest cell and lines carry no trailing spaces', () => {
    expect(formatTable(['ID', 'NAME'], [['key_1', 'laptop'], ['key_22', '']])).toBe('ID      NAME\nkey_1   laptop\nkey_22\n');
  });

  test('timestamps are ISO 8601 UTC to the second; none is null', () => {
    expect(formatTime(Date.UTC(2025, 0, 2, 3, 4, 5, 678))).toBe('2025-01-02T03:04:05Z');
    expect(formatTime(null)).toBeNull();
  });
});
