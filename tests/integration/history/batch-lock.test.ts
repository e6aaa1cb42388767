/**
 * One writer per batch. The lease lives in the database: a second holder is refused with
 * BATCH_LOCKED naming the first; a lease whose heartbeat stopped (killed holder) expires, and one
 * held by a dead process on this host is taken over at once. End to end: two `batch --resume` of
 * the same killed batch started together — on main both ran and recorded runs twice; now one is
 * refused and every image is recorded exactly once.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import os from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/core/history';
import { acquireBatchLock } from '../../../src/core/history/batchLock';
import { repoRoot } from '../../support/paths';
import { classifierPack, imageDir } from '../../unit/engine/support';

const bin = join(repoRoot, 'bin', 'inspector.js');
const node = process.execPath;

describe('batch lease in the database', () => {
  const file = join(mkdtempSync(join(os.tmpdir(), 'inspector-lease-')), 'h.sqlite');
  const a = HistoryStore.open(file);
  const b = HistoryStore.open(file);
  const batchId = a.startBatch({ name: 'night' });

  it('a second holder is refused, naming the first; released, it is free again', () => {
    const lease = acquireBatchLock(a.db, batchId, 'kim.j');
    expect(() => acquireBatchLock(b.db, batchId, 'lee.s')).toThrow(
      expect.objectContaining({ code: 'BATCH_LOCKED', message: expect.stringContaining('kim.j'), details: expect.objectContaining({ holder: 'kim.j', pid: process.pid, host: hostname() }) }),
    );
    lease.release();
    acquireBatchLock(b.db, batchId, 'lee.s').release();
  });

  it('an expired lease (no heartbeat) is taken over', () => {
    acquireBatchLock(a.db, batchId, 'kim.j', { now: () => Date.now() - 60_000 });
    const taken = acquireBatchLock(b.db, batchId, 'lee.s');
    expect((b.db.prepare('SELECT holder FROM batch_locks WHERE batch_id = ?').get(batchId) as { holder: string }).holder).toBe('lee.s');
    taken.release();
  });

  it('a lease of a process that no longer exists on this host is taken over at once', () => {
    const dead = spawnSync(node, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(dead.stdout);
    a.db.prepare('INSERT INTO batch_locks(batch_id, holder, pid, host, token, acquired_at, heartbeat_at) VALUES (?,?,?,?,?,?,?)').run(batchId, 'gone', pid, hostname(), 't', Date.now(), Date.now());
    acquireBatchLock(b.db, batchId, 'lee.s').release();
  });
});

describe('two concurrent batch --resume of one batch', () => {
  it('one is refused with BATCH_LOCKED; every image is recorded once', async () => {
    const pack = await classifierPack('resnet-mini');
    const root = mkdtempSync(join(os.tmpdir(), 'inspector-batch-lock-'));
    const images = readdirSync(imageDir).filter((f) => f.endsWith('.png'));
    const CASES = 16;
    for (let c = 0; c < CASES; c++) {
      const dir = join(root, 'input', `part-${String(c).padStart(3, '0')}`);
      mkdirSync(dir, { recursive: true });
      for (const f of images.slice(0, 3)) copyFileSync(join(imageDir, f), join(dir, f));
    }
    const db = join(root, 'history.sqlite');
    const args = [bin, 'batch', join(root, 'input'), '--pack', pack.dir, '--db', db];
    const child = spawn(node, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((done, reject) => {
      let killed = false;
      child.stderr.on('data', (d: Buffer) => {
        if (!killed && /batch 1: \d+\/48 images/.test(d.toString())) {
          killed = true;
          child.kill('SIGKILL');
        }
      });
      child.on('exit', () => (killed ? done() : reject(new Error('batch ended before reporting progress'))));
    });
    const run = () =>
      new Promise<{ status: number | null; stderr: string }>((done) => {
        const p = spawn(node, [...args, '--resume', '1'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        p.on('exit', (status) => done({ status, stderr }));
      });
    const both = await Promise.all([run(), run()]);
    const refused = both.filter((r) => /BATCH_LOCKED/.test(r.stderr));
    expect(refused).toHaveLength(1);
    expect(refused[0]!.status).not.toBe(0);
    expect(both.filter((r) => r.status === 0)).toHaveLength(1);
    const h = new Database(db, { readonly: true });
    expect((h.prepare('SELECT count(*) AS n FROM inference_runs WHERE batch_id = 1').get() as { n: number }).n).toBe(48);
    expect((h.prepare('SELECT count(DISTINCT image_id) AS n FROM inference_runs').get() as { n: number }).n).toBe(48);
    expect((h.prepare('SELECT count(*) AS n FROM batch_locks').get() as { n: number }).n).toBe(0);
    h.close();
  }, 240_000);
});
