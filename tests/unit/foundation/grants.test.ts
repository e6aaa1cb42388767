import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AccessGrants } from '../../../src/host/grants';

describe('access grants: files only where the user chose', () => {
  const base = mkdtempSync(join(os.tmpdir(), 'inspector-grants-'));
  const chosen = join(base, 'chosen');
  const other = join(base, 'other');
  mkdirSync(join(chosen, 'sub'), { recursive: true });
  mkdirSync(other);
  writeFileSync(join(chosen, 'sub', 'a.png'), 'x');
  writeFileSync(join(other, 'secret.txt'), 'x');
  symlinkSync(join(other, 'secret.txt'), join(chosen, 'link.txt'));
  const grants = new AccessGrants();
  grants.grant(chosen);

  it('allows files inside a chosen folder', () => {
    expect(grants.check(join(chosen, 'sub', 'a.png'))).toBe(join(chosen, 'sub', 'a.png'));
  });
  it('denies files outside, including via .. and symlinks', () => {
    expect(() => grants.check(join(other, 'secret.txt'))).toThrow(expect.objectContaining({ code: 'ACCESS_DENIED' }));
    expect(() => grants.check(join(chosen, '..', 'other', 'secret.txt'))).toThrow(expect.objectContaining({ code: 'ACCESS_DENIED' }));
    expect(() => grants.check(join(chosen, 'link.txt'))).toThrow(expect.objectContaining({ code: 'ACCESS_DENIED' }));
    // A sibling whose name merely starts with the chosen folder's name is not inside it.
    mkdirSync(chosen + '-evil', { recursive: true });
    expect(() => grants.check(chosen + '-evil')).toThrow(expect.objectContaining({ code: 'ACCESS_DENIED' }));
  });
  it('names a missing file as such', () => {
    expect(() => grants.check(join(chosen, 'nope.png'))).toThrow(expect.objectContaining({ code: 'FILE_NOT_FOUND' }));
  });
});
