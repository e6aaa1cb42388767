/** The real `inspector` CLI as a user runs it: a separate process, its own data folder, real files. */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from '../../support/paths';

export const bin = join(repoRoot, 'bin', 'inspector.js');
export const node = process.execPath;
export const samples = join(repoRoot, 'resources', 'samples');
export const ctPng = join(samples, 'battery-ct-porosity', 'ct_slice2_normal_1.png');
export const ctDcm = join(samples, 'battery-ct-porosity', 'dicom-series', 'ct_slice2_normal_1.dcm');

export function scratchDir(name: string): string {
  return mkdtempSync(join(os.tmpdir(), `inspector-${name}-`));
}

export function cli(args: string[], opts: { dataDir: string; cwd?: string; env?: Record<string, string> }): SpawnSyncReturns<string> {
  return spawnSync(node, [bin, ...args], {
    cwd: opts.cwd ?? repoRoot,
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, INSPECTOR_DATA_DIR: opts.dataDir, ...opts.env },
  });
}

/**
 * One good image and the ways a careless folder is broken, each a real file: empty, cut off half-way,
 * text named .png, a JPEG header with nothing behind it; plus a file that is not an image at all.
 */
export function brokenFolder(dir: string): { good: string; broken: { empty: string; truncated: string; text: string; jpegHeader: string }; notImage: string } {
  mkdirSync(dir, { recursive: true });
  const good = join(dir, 'good.png');
  copyFileSync(ctPng, good);
  const bytes = readFileSync(ctPng);
  const broken = {
    empty: join(dir, 'empty.png'),
    truncated: join(dir, 'truncated.png'),
    text: join(dir, 'text.png'),
    jpegHeader: join(dir, 'header-only.jpg'),
  };
  writeFileSync(broken.empty, '');
  writeFileSync(broken.truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
  writeFileSync(broken.text, 'serial,result\nA17,ok\n');
  writeFileSync(broken.jpegHeader, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]));
  const notImage = join(dir, 'readme.txt');
  mkdirSync(dirname(notImage), { recursive: true });
  writeFileSync(notImage, 'operator notes\n');
  return { good, broken, notImage };
}
