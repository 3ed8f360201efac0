import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BEGIN_MARKER, END_MARKER, README_PATH, renderConfigTable, withConfigTable } from '../../scripts/config-docs.js';
import { SETTING_NAMES } from './schema.js';

describe('README configuration table', () => {
  it('matches SETTINGS in src/config/schema.ts (fix: npm run docs:config)', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    expect(readme, 'README.md is out of date: run npm run docs:config').toBe(withConfigTable(readme));
  });

  it('lists every setting exactly once', () => {
    const table = renderConfigTable();
    for (const name of SETTING_NAMES) expect(table.split(`| \`${name}\` |`)).toHaveLength(2);
  });

  it('keeps table cells intact when a description contains | or <', () => {
    const table = renderConfigTable({ CAIRN_X: { description: 'a | b <path>', default: 'x|y', schema: undefined as never } });
    expect(table).toContain('| `CAIRN_X` | `x\\|y` | a \\| b &lt;path&gt; |');
  });

  it('refuses a README without the markers instead of appending somewhere', () => {
    expect(() => withConfigTable('# no markers')).toThrow(BEGIN_MARKER);
    expect(() => withConfigTable(`${END_MARKER}\n${BEGIN_MARKER}`)).toThrow();
  });
});
