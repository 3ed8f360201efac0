import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';

function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.setting}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('loadConfig: retention', () => {
  it('keeps deleted memories restorable 30 days and audit events 365 days by default', () => {
    expect(loadConfig({}).retention).toEqual({ deletedMemoryDays: 30, auditDays: 365 });
  });

  it('reads both periods, and 0 days of audit retention (keep forever)', () => {
    expect(loadConfig({ CAIRN_DELETED_RETENTION_DAYS: '1', CAIRN_AUDIT_RETENTION_DAYS: '0' }).retention).toEqual({ deletedMemoryDays: 1, auditDays: 0 });
    expect(loadConfig({ CAIRN_DELETED_RETENTION_DAYS: '90', CAIRN_AUDIT_RETENTION_DAYS: '3650' }).retention).toEqual({ deletedMemoryDays: 90, auditDays: 3650 });
  });

  it('refuses 0 days for deleted memories (a delete must stay undoable for a while), negatives, fractions and words', () => {
    expect(problems({ CAIRN_DELETED_RETENTION_DAYS: '0' })).toEqual(['CAIRN_DELETED_RETENTION_DAYS: must be at least 1']);
    expect(problems({ CAIRN_AUDIT_RETENTION_DAYS: '-1' })).toEqual(['CAIRN_AUDIT_RETENTION_DAYS: must be at least 0']);
    expect(problems({ CAIRN_DELETED_RETENTION_DAYS: '1.5', CAIRN_AUDIT_RETENTION_DAYS: 'forever' })).toEqual([
      'CAIRN_DELETED_RETENTION_DAYS: must be a whole number',
      'CAIRN_AUDIT_RETENTION_DAYS: must be a whole number',
    ]);
    expect(problems({ CAIRN_AUDIT_RETENTION_DAYS: '36501' })).toEqual(['CAIRN_AUDIT_RETENTION_DAYS: must be at most 36500']);
  });
});
