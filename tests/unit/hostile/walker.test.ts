/**
 * Hostile folders against the one walker and the read that follows it (what probe, inspect, batch,
 * inspect.run, series and the station's hot folder all use). Every case runs in a child process
 * under a deadline derived from its size (harness.ts): a FIFO that blocks, a loop that never ends or
 * a crash fails the test as HANG / CRASH; otherwise the case must end with the good files listed
 * and every bad entry reported with its code. Nothing is asserted about speed.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseRunner, deadlineFor, type Outcome } from './harness';

const NOBODY = 65534;
const base = realpathSync(mkdtempSync(join(os.tmpdir(), 'inspector-hostile-walk-')));
const runner = new CaseRunner();
const servers: Server[] = [];
afterAll(() => {
  runner.close();
  for (const s of servers) s.close();
  rmSync(base, { recursive: true, force: true });
});

/** Per walked entry: 5 ms (a stat and a realpath take microseconds; the slack is for a loaded box). */
const PER_ENTRY_MS = 5;

type Walk = { files: string[]; skipped: [string, string][] };
const ok = <T>(o: Outcome): T => {
  if (!('ok' in o)) throw new Error(`expected a result, got ${JSON.stringify(o)}`);
  return o.ok as T;
};
const rel = (root: string, w: Walk) => ({
  files: w.files.map((f) => relative(root, f)),
  skipped: Object.fromEntries(w.skipped.map(([p, c]) => [relative(root, p), c])),
});
function tree(name: string): { root: string; outside: string } {
  const root = join(base, name, 'granted');
  const outside = join(base, name, 'outside');
  mkdirSync(root, { recursive: true });
  mkdirSync(join(outside, 'deeper'), { recursive: true });
  writeFileSync(join(root, 'good.png'), 'good');
  writeFileSync(join(outside, 'secret.png'), 'secret');
  writeFileSync(join(outside, 'deeper', 'other.png'), 'other');
  return { root, outside };
}
async function listen(path: string): Promise<void> {
  const s = createServer();
  servers.push(s);
  await new Promise<void>((done) => s.listen(path, done));
}

describe('hostile folders: each ends with the good files and every bad entry coded', () => {
  it('a FIFO named *.png: listed as WALK_NOT_REGULAR, never opened; the read path never blocks either', async () => {
    const { root } = tree('fifo');
    execFileSync('mkfifo', [join(root, 'pipe.png')]);
    const w = rel(root, ok<Walk>(await runner.run('walk', { paths: [root], roots: [root] }, deadlineFor(2, PER_ENTRY_MS))));
    expect(w).toEqual({ files: ['good.png'], skipped: { 'pipe.png': 'WALK_NOT_REGULAR' } });
    // Named directly, as `inspect pipe.png` would.
    const direct = ok<{ read: [string, number | string][]; skipped: [string, string][] }>(
      await runner.run('listAndRead', { paths: [join(root, 'pipe.png'), join(root, 'good.png')], roots: [root] }, deadlineFor(2, PER_ENTRY_MS)),
    );
    expect(direct.read).toEqual([[join(root, 'good.png'), 4]]);
    expect(direct.skipped).toEqual([[join(root, 'pipe.png'), 'WALK_NOT_REGULAR']]);
  });

  it('a unix socket named *.png: WALK_NOT_REGULAR', async () => {
    const { root } = tree('socket');
    await listen(join(root, 'sock.png'));
    const w = rel(root, ok<Walk>(await runner.run('walk', { paths: [root], roots: [root] }, deadlineFor(2, PER_ENTRY_MS))));
    expect(w).toEqual({ files: ['good.png'], skipped: { 'sock.png': 'WALK_NOT_REGULAR' } });
  });

  it('a dangling link and `a -> .` / `b -> ..` loops: coded, the good image still listed', async () => {
    const { root } = tree('loops');
    mkdirSync(join(root, 'sub'));
    writeFileSync(join(root, 'sub', 'b.png'), 'b');
    symlinkSync('nothing-here.png', join(root, 'dangling.png'));
    symlinkSync('.', join(root, 'a'));
    symlinkSync('..', join(root, 'sub', 'up'));
    symlinkSync('l2.png', join(root, 'l1.png'));
    symlinkSync('l1.png', join(root, 'l2.png'));
    const w = rel(root, ok<Walk>(await runner.run('walk', { paths: [root], roots: [root] }, deadlineFor(8, PER_ENTRY_MS))));
    expect(w).toEqual({
      files: ['good.png', 'sub/b.png'],
      skipped: { a: 'WALK_LINK_LOOP', 'dangling.png': 'WALK_LINK_DANGLING', 'l1.png': 'WALK_LINK_LOOP', 'l2.png': 'WALK_LINK_LOOP', 'sub/up': 'WALK_LINK_LOOP' },
    });
  });

  it('links out of the grant (to a file, to a folder, nested two folders down): WALK_OUTSIDE_ROOT, nothing outside listed or read', async () => {
    const { root, outside } = tree('out');
    mkdirSync(join(root, 'n1', 'n2'), { recursive: true });
    symlinkSync(join(outside, 'secret.png'), join(root, 'file-out.png'));
    symlinkSync(outside, join(root, 'dir-out'));
    symlinkSync(join('..', '..', '..', 'outside', 'deeper', 'other.png'), join(root, 'n1', 'n2', 'nested-out.png'));
    // A link out *to a folder that links back in* must not smuggle the outside in either.
    symlinkSync(root, join(outside, 'back-in'));
    const r = ok<{ read: [string, number | string][]; skipped: [string, string][] }>(
      await runner.run('listAndRead', { paths: [root], roots: [root] }, deadlineFor(8, PER_ENTRY_MS)),
    );
    expect(r.read).toEqual([[join(root, 'good.png'), 4]]);
    expect(Object.fromEntries(r.skipped.map(([p, c]) => [relative(root, p), c]))).toEqual({
      'dir-out': 'WALK_OUTSIDE_ROOT',
      'file-out.png': 'WALK_OUTSIDE_ROOT',
      'n1/n2/nested-out.png': 'WALK_OUTSIDE_ROOT',
    });
    expect(JSON.stringify(r)).not.toContain('secret');
    expect(JSON.stringify(r)).not.toContain('other.png');
  });

  it('deep nesting: 1,000 folders deep is walked to the bottom; deeper than PATH_MAX ends coded', async () => {
    const { root } = tree('deep');
    // 1,000 levels of "d/" (2,000 characters): within PATH_MAX, the walk reaches the file at the bottom.
    const bottom = join(root, ...Array.from({ length: 1000 }, () => 'd'));
    mkdirSync(bottom, { recursive: true });
    writeFileSync(join(bottom, 'bottom.png'), 'b');
    const w = ok<Walk>(await runner.run('walk', { paths: [root], roots: [root] }, deadlineFor(1002, PER_ENTRY_MS)));
    expect(w.files.map((f) => relative(root, f).split('/').length)).toEqual([1001, 1]);
    expect(w.skipped).toEqual([]);
    // 18 folders of 250-character names (4,500+ characters), made with relative mkdirs: past PATH_MAX,
    // the entry at the limit ends coded (WALK_PATH_TOO_LONG), never a crash. (A 2,500-level tree of
    // short names would say the same but takes minutes to create on a loaded box.)
    const { root: far } = tree('deeper-than-path-max');
    execFileSync('bash', ['-c', 'cd "$1" && n=$(printf "d%.0s" $(seq 250)) && for i in $(seq 18); do mkdir "$n" && cd "$n" || exit 1; done; echo x > far.png', '_', far]);
    const f = ok<Walk>(await runner.run('walk', { paths: [far], roots: [far] }, deadlineFor(20, PER_ENTRY_MS)));
    expect(f.files.map((p) => relative(far, p))).toEqual(['good.png']);
    expect(f.skipped.map(([, c]) => c)).toEqual(['WALK_PATH_TOO_LONG']);
    execFileSync('rm', ['-rf', join(base, 'deeper-than-path-max')]);
  }, 120_000);

  it('a folder with 20,000 entries: every one listed once, in order', async () => {
    const { root } = tree('many');
    const dir = join(root, 'many');
    mkdirSync(dir);
    for (let i = 0; i < 20_000; i++) writeFileSync(join(dir, `img-${String(i).padStart(5, '0')}.png`), '');
    const w = ok<Walk>(await runner.run('walk', { paths: [dir], roots: [root] }, deadlineFor(20_000, PER_ENTRY_MS)));
    expect(w.files.length).toBe(20_000);
    expect(w.files[0]).toBe(join(dir, 'img-00000.png'));
    expect(w.files[19_999]).toBe(join(dir, 'img-19999.png'));
    expect(w.skipped).toEqual([]);
  }, 120_000);

  it('unreadable entries (a folder and a file without permission): the folder is WALK_UNREADABLE, the file is listed and its read is coded', async () => {
    const { root } = tree('unreadable');
    mkdirSync(join(root, 'locked'));
    writeFileSync(join(root, 'locked', 'hidden.png'), 'h');
    writeFileSync(join(root, 'noperm.png'), 'n');
    // The case runs as an ordinary user (as root, permission bits would not stop the reads).
    if (process.getuid?.() === 0) {
      for (const p of [base, join(base, 'unreadable'), root, join(root, 'good.png'), join(root, 'noperm.png'), join(root, 'locked')]) chownSync(p, NOBODY, NOBODY);
    }
    chmodSync(join(root, 'locked'), 0o000);
    chmodSync(join(root, 'noperm.png'), 0o000);
    const asUser = new CaseRunner(NOBODY);
    try {
      const r = ok<{ read: [string, number | string][]; skipped: [string, string][] }>(
        await asUser.run('listAndRead', { paths: [root], roots: [root] }, deadlineFor(4, PER_ENTRY_MS)),
      );
      expect(r.read).toEqual([
        [join(root, 'good.png'), 4],
        [join(root, 'noperm.png'), expect.stringMatching(/^[A-Z][A-Z_]+$/)],
      ]);
      expect(r.skipped).toEqual([[join(root, 'locked'), 'WALK_UNREADABLE']]);
    } finally {
      asUser.close();
      chmodSync(join(root, 'locked'), 0o755);
    }
  });

  it('a file and a folder that vanish while the walk reaches them: reported, the rest proceed', async () => {
    const { root } = tree('vanish');
    mkdirSync(join(root, 'gone-dir'));
    writeFileSync(join(root, 'gone-dir', 'x.png'), 'x');
    writeFileSync(join(root, 'gone.png'), 'g');
    writeFileSync(join(root, 'z-after.png'), 'z');
    const vanishPaths = [join(root, 'gone-dir'), join(root, 'gone.png')];
    const w = rel(root, ok<Walk>(await runner.run('walkVanishing', { paths: [root], roots: [root], vanish: ['gone-dir', 'gone.png'], vanishPaths }, deadlineFor(5, PER_ENTRY_MS))));
    expect(w).toEqual({ files: ['good.png', 'z-after.png'], skipped: { 'gone-dir': 'FILE_NOT_FOUND', 'gone.png': 'FILE_NOT_FOUND' } });
  });
});

describe('walk fuzz: random hostile trees, each under its own deadline', () => {
  const rng = (seed: number) => () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  beforeAll(() => mkdirSync(join(base, 'fuzz'), { recursive: true }));

  it('60 seeded trees of files, folders, FIFOs, sockets and links (in, out, dangling, looping)', async () => {
    for (let seed = 1; seed <= 60; seed++) {
      const r = rng(seed);
      const root = join(base, 'fuzz', `t${seed}`);
      const outside = join(base, 'fuzz', `t${seed}-out`);
      mkdirSync(join(outside, 'd'), { recursive: true });
      writeFileSync(join(outside, 'o.png'), 'o');
      mkdirSync(root);
      const dirs = [root];
      const entries: string[] = [];
      for (let i = 0; i < 30; i++) {
        const dir = dirs[Math.floor(r() * dirs.length)]!;
        const name = join(dir, `e${i}${r() < 0.7 ? '.png' : ''}`);
        const pick = r();
        if (pick < 0.3) writeFileSync(name, String(i));
        else if (pick < 0.45) {
          mkdirSync(name);
          dirs.push(name);
        } else if (pick < 0.52) execFileSync('mkfifo', [name]);
        else if (pick < 0.56 && name.length < 100) await listen(name);
        else {
          const targets = [...dirs, ...entries, outside, join(outside, 'o.png'), join(outside, 'd'), join(dir, 'missing'), '.', '..', name];
          symlinkSync(targets[Math.floor(r() * targets.length)]!, name);
        }
        entries.push(name);
      }
      const out = await runner.run('listAndRead', { paths: [root], roots: [root] }, deadlineFor(entries.length, PER_ENTRY_MS));
      const res = ok<{ read: [string, number | string][]; skipped: [string, string][] }>(out);
      for (const [f, got] of res.read) {
        expect(realpathSync(f).startsWith(root + '/'), `seed ${seed}: ${f} read from outside`).toBe(true);
        expect(typeof got, `seed ${seed}: ${f} → ${got}`).toBe('number');
      }
      for (const [p, code] of res.skipped) expect(code, `seed ${seed}: ${p}`).toMatch(/^(WALK_[A-Z_]+|FILE_NOT_FOUND|INPUT_NOT_AN_IMAGE)$/);
      expect(new Set(res.read.map(([f]) => f)).size).toBe(res.read.length);
    }
  }, 180_000);
});
