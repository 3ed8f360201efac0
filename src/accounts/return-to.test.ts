import { describe, expect, it } from 'vitest';
import { loginPathFor, safeReturnTo } from './return-to.js';

const PUBLIC = 'https://cairn.example.com';

describe('safeReturnTo: only same-origin paths, never an open redirect', () => {
  it.each([
    '/authorize?client_id=a&redirect_uri=https%3A%2F%2Fclient.example%2Fcb',
    '/login',
    '/interaction/abc#top',
  ])('keeps %s', (value) => {
    expect(safeReturnTo(value, PUBLIC)).toBe(value);
  });

  it.each([
    'https://evil.example/',
    'https://cairn.example.com/authorize',
    '//evil.example/x',
    '/\\evil.example',
    '\\\\evil.example',
    '/%2f%2fevil.example',
    '/a/%5Cb',
    'javascript:alert(1)',
    'authorize',
    '/x\u0000y',
    '/x\ny',
    '',
    `/${'a'.repeat(3000)}`,
  ])('refuses %j', (value) => {
    expect(safeReturnTo(value, PUBLIC)).toBeUndefined();
  });

  it('refuses what is not a string', () => {
    expect(safeReturnTo(['/a', '/b'], PUBLIC)).toBeUndefined();
    expect(safeReturnTo(undefined, PUBLIC)).toBeUndefined();
  });

  it('builds login links that carry the path back', () => {
    expect(loginPathFor('/authorize?x=1', PUBLIC)).toBe('/login?return_to=%2Fauthorize%3Fx%3D1');
    expect(loginPathFor('/login', PUBLIC)).toBe('/login');
    expect(loginPathFor('//evil.example', PUBLIC)).toBe('/login');
  });
});
