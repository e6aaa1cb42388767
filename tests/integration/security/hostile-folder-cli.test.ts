/**
 * The CLI on a folder with a FIFO named *.png, a dangling link and a `-> .` loop beside a good
 * image: `probe`, `inspect` and `batch` all end (on main `inspect` and `batch` blocked forever on
 * the FIFO, and the dangling link aborted the walk with a raw ENOENT), the good image is decoded /
 * inspected / recorded, and each bad entry is named with its code where the command reports.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/paths';
import { classifierPack, imageDir } from '../../unit/engine/support';

const bin = join(repoRoot, 'bin', 'inspector.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: repoRoot, timeout: 90_000 });

describe('CLI on a hostile folder', () => {
  const root = mkdtempSync(join(os.tmpdir(), 'inspector-hostile-cli-'));
  const dir = join(root, 'parts', 'part-001');
  let pack: Awaited<ReturnType<typeof classifierPack>>;
  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(imageDir, 'normal_0.png'), join(dir, 'good.png'));
    execFileSync('mkfifo', [join(dir, 'pipe.png')]);
    symlinkSync(join(dir, 'gone.png'), join(dir, 'dangling.png'));
    symlinkSync('.', join(dir, 'loop'));
    pack = await classifierPack('resnet-mini');
  });

  it('probe reports each bad entry with its code and decodes the good one', () => {
    const r = cli('probe', dir);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/good\.png\n {2}png/);
    expect(r.stdout).toMatch(/pipe\.png\n {2}ERROR WALK_NOT_REGULAR/);
    expect(r.stdout).toMatch(/dangling\.png\n {2}ERROR WALK_LINK_DANGLING/);
  });

  it('inspect ends, inspects the good image and names the skipped entries', () => {
    const r = cli('inspect', dir, '--pack', pack.dir, '--no-record');
    expect(r.signal).toBeNull();
    expect(r.stdout).toContain(join(dir, 'good.png'));
    expect(r.stdout).toContain(`${join(dir, 'pipe.png')}  WALK_NOT_REGULAR`);
    expect(r.stdout).toContain(`${join(dir, 'dangling.png')}  WALK_LINK_DANGLING`);
    expect(r.stdout).toContain(`${join(dir, 'loop')}  WALK_LINK_LOOP`);
  });

  it('batch ends and records the good image once', () => {
    const db = join(root, 'h.sqlite');
    const r = cli('batch', join(root, 'parts'), '--pack', pack.dir, '--db', db, '--json');
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    const h = new Database(db, { readonly: true });
    expect(h.prepare('SELECT i.source_path FROM inference_runs r JOIN images i ON i.id = r.image_id').pluck().all()).toEqual([join(dir, 'good.png')]);
    h.close();
  });
});
