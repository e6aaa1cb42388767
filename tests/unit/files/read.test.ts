/**
 * The read after the walk re-checks what it opened: a file swapped for a FIFO or for a link out of the
 * grant between the walk and the read is refused with a code instead of blocking or being read.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRegularFile } from '../../../src/core/files/read';
import { walkFiles } from '../../../src/core/files/walk';

function tree() {
  const root = realpathSync(mkdtempSync(join(os.tmpdir(), 'read-grant-')));
  const outside = realpathSync(mkdtempSync(join(os.tmpdir(), 'read-outside-')));
  writeFileSync(join(outside, 'secret.png'), 'outside bytes');
  writeFileSync(join(root, 'part.png'), 'inside bytes');
  return { root, outside };
}

describe('readRegularFile', () => {
  it('reads a file inside the grant, also through a link that stays inside', async () => {
    const { root } = tree();
    symlinkSync(join(root, 'part.png'), join(root, 'alias.png'));
    expect((await readRegularFile(join(root, 'part.png'), [root])).toString()).toBe('inside bytes');
    expect((await readRegularFile(join(root, 'alias.png'), [root])).toString()).toBe('inside bytes');
  });

  it('refuses a file the walk listed but that was swapped for a link out of the grant before the read', async () => {
    const { root, outside } = tree();
    const walked = walkFiles([root], { roots: [root] });
    expect(walked.files).toEqual([join(root, 'part.png')]);
    rmSync(join(root, 'part.png'));
    symlinkSync(join(outside, 'secret.png'), join(root, 'part.png')); // the swap, after the walk
    await expect(readRegularFile(walked.files[0]!, [root])).rejects.toMatchObject({ code: 'WALK_OUTSIDE_ROOT' });
  });

  it('refuses a file swapped for a FIFO without blocking on it', async () => {
    const { root } = tree();
    rmSync(join(root, 'part.png'));
    execFileSync('mkfifo', [join(root, 'part.png')]);
    await expect(readRegularFile(join(root, 'part.png'), [root])).rejects.toMatchObject({ code: 'WALK_NOT_REGULAR' });
  });
});
