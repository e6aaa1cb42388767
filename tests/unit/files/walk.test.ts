/**
 * The shared folder walker on hostile trees: FIFOs and sockets are never opened, links resolve once,
 * `-> .` loops end, links out of a root are skipped, and every bad entry is reported with its code
 * while the good files beside it are returned. Plus a seeded fuzz over random trees of files, links
 * (in, out, dangling, looping), FIFOs and folders: each walk ends within its bound and accounts for
 * every entry.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { walkFiles } from '../../../src/core/files/walk';
import { expandPaths } from '../../../src/core/engine/inspect';

const base = realpathSync(mkdtempSync(join(os.tmpdir(), 'inspector-walk-')));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('walkFiles on a hostile folder', () => {
  const root = join(base, 'root');
  const out = join(base, 'out');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(out);
  writeFileSync(join(root, 'a.png'), 'a');
  writeFileSync(join(root, 'sub', 'b.png'), 'b');
  writeFileSync(join(out, 'secret.png'), 's');
  execFileSync('mkfifo', [join(root, 'pipe.png')]);
  symlinkSync('.', join(root, 'self1'));
  symlinkSync('.', join(root, 'sub', 'self2'));
  symlinkSync('nowhere.png', join(root, 'dangling.png'));
  symlinkSync('loop2.png', join(root, 'loop1.png'));
  symlinkSync('loop1.png', join(root, 'loop2.png'));
  symlinkSync(join(out, 'secret.png'), join(root, 'out.png'));
  symlinkSync(join(root, 'a.png'), join(root, 'sub', 'again.png'));

  const rel = (r: { files: string[]; skipped: { path: string; code: string }[] }) => ({
    files: r.files.map((f) => relative(root, f)),
    skipped: Object.fromEntries(r.skipped.map((s) => [relative(root, s.path), s.code])),
  });

  it('returns only regular files, reports each bad entry with its code, never blocks on the FIFO', () => {
    const r = rel(walkFiles([root], { roots: [root] }));
    expect(r.files).toEqual(['a.png', 'sub/b.png']);
    expect(r.skipped).toEqual({
      'dangling.png': 'WALK_LINK_DANGLING',
      'loop1.png': 'WALK_LINK_LOOP',
      'loop2.png': 'WALK_LINK_LOOP',
      'out.png': 'WALK_OUTSIDE_ROOT',
      'pipe.png': 'WALK_NOT_REGULAR',
      self1: 'WALK_LINK_LOOP',
      'sub/self2': 'WALK_LINK_LOOP',
    });
  });

  it('without roots a link out is followed once; a second name for a file already listed is not listed twice', () => {
    const r = rel(walkFiles([root]));
    expect(r.files).toEqual(['a.png', 'out.png', 'sub/b.png']);
    expect(r.skipped['out.png']).toBeUndefined();
  });

  it('reports a socket and filters names without reporting them', async () => {
    const dir = join(base, 'sock');
    mkdirSync(dir);
    writeFileSync(join(dir, 'README.md'), '#');
    writeFileSync(join(dir, 'x.png'), 'x');
    const server = createServer();
    await new Promise<void>((ok) => server.listen(join(dir, 's.png'), ok));
    try {
      const r = walkFiles([dir], { accept: (n) => n.endsWith('.png') });
      expect(r.files).toEqual([join(dir, 'x.png')]);
      expect(r.skipped.map((s) => [s.path, s.code])).toEqual([[join(dir, 's.png'), 'WALK_NOT_REGULAR']]);
    } finally {
      server.close();
    }
  });

  it('inspect\'s expansion keeps going past a dangling link (main aborted with a raw ENOENT)', () => {
    expect(expandPaths([root]).map((f) => relative(root, f))).toEqual(['a.png', 'out.png', 'sub/b.png']);
  });

  it('a path named directly that is missing is FILE_NOT_FOUND for inspect', () => {
    expect(() => expandPaths([join(root, 'missing.png')])).toThrow(expect.objectContaining({ code: 'FILE_NOT_FOUND' }));
  });
});

describe('walkFiles fuzz: random trees of files, folders, links and FIFOs', () => {
  // A small deterministic PRNG (mulberry32) so a failing seed can be replayed.
  const rng = (seed: number) => () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  // Deadlines (a hang fails) are enforced by tests/unit/hostile/, which runs walks in a child process.
  it('120 random trees: every walk accounts for every entry', () => {
    for (let seed = 1; seed <= 120; seed++) {
      const r = rng(seed);
      const root = join(base, `fuzz-${seed}`);
      const outside = join(base, `fuzz-${seed}-out`);
      mkdirSync(outside, { recursive: true });
      writeFileSync(join(outside, 'o.png'), 'o');
      const dirs = [root];
      mkdirSync(root);
      const entries: string[] = [];
      for (let i = 0; i < 25; i++) {
        const dir = dirs[Math.floor(r() * dirs.length)]!;
        const name = join(dir, `e${i}${r() < 0.6 ? '.png' : ''}`);
        const pick = r();
        if (pick < 0.3) writeFileSync(name, String(i));
        else if (pick < 0.45) {
          mkdirSync(name);
          dirs.push(name);
        } else if (pick < 0.55) execFileSync('mkfifo', [name]);
        else {
          const targets = [...dirs, ...entries, outside, join(outside, 'o.png'), join(dir, 'missing'), '.', '..', name];
          symlinkSync(targets[Math.floor(r() * targets.length)]!, name);
        }
        entries.push(name);
      }
      const result = walkFiles([root], { roots: [root] });
      for (const f of result.files) expect(realpathSync(f).startsWith(root + '/') || realpathSync(f) === root).toBe(true);
      for (const s of result.skipped) expect(s.code).toMatch(/^WALK_[A-Z_]+$|^FILE_NOT_FOUND$/);
      expect(new Set(result.files).size).toBe(result.files.length);
      rmSync(root, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  }, 120_000);
});
