/**
 * The re-inspection queue (pg-boss in a real PostgreSQL 15): a folder pushed as N shards is worked
 * by two station processes pulling at once; together they record every case exactly once, each
 * shard completed by one of them; pushing the same re-inspection again queues nothing. A station
 * SIGKILLed mid-shard loses its claim when its heartbeat lapses and another station finishes it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardOf } from '../../../src/core/fleet/shard';
import { repoRoot } from '../../support/paths';
import { postgresAvailable, skipReason, startPostgres, type TempPostgres } from './postgres';
import { bin, caseFolder, cli, ctPack, node } from './support';

if (!postgresAvailable) console.warn(`fleet queue tests skipped: ${skipReason}`);

function work(args: string[], root: string) {
  const p = spawn(node, [bin, 'queue', 'work', ...args], { cwd: repoRoot, env: { ...process.env, INSPECTOR_DATA_DIR: root } });
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((res) => p.on('exit', (code, signal) => res({ code, signal, out, err })));
  return { p, done, out: () => out, err: () => err };
}

const caseKeys = (db: string) => {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare('SELECT c.case_key FROM inference_runs r JOIN cases c ON c.id = r.case_id').pluck().all() as string[];
  } finally {
    d.close();
  }
};

describe.skipIf(!postgresAvailable)('re-inspection queue in a real PostgreSQL', () => {
  let pgs: TempPostgres;
  const root = mkdtempSync(join(os.tmpdir(), 'inspector-queue-'));

  beforeAll(async () => {
    pgs = await startPostgres();
  });
  afterAll(() => pgs?.stop());

  it('two stations pulling at once record every case exactly once; a second push queues nothing', async () => {
    const CASES = 8;
    const input = caseFolder(join(root, 'input'), CASES);
    const push = cli(['queue', 'push', '--central', pgs.url, input, '--shards', '4', '--pack', ctPack, '--name', 'reinspect-v2', '--heartbeat-seconds', '10'], root);
    expect(push.status, push.stderr).toBe(0);
    expect(push.stdout).toContain('queued 4 shards of reinspect-v2');
    const again = cli(['queue', 'push', '--central', pgs.url, input, '--shards', '4', '--pack', ctPack, '--name', 'reinspect-v2'], root);
    expect(again.stdout).toContain('queued 0 shards of reinspect-v2 (4 were already queued)');

    const dbs = [join(root, 'S1.sqlite'), join(root, 'S2.sqlite')];
    const results = await Promise.all(dbs.map((db) => work(['--central', pgs.url, '--db', db, '--until-empty'], root).done));
    for (const r of results) expect(r.code, r.err).toBe(0);
    const worked = results.map((r) => Number(/worked (\d+) shards/.exec(r.out)?.[1]));
    expect(worked[0]! + worked[1]!).toBe(4);
    const keys = dbs.map(caseKeys);
    const all = keys.flat();
    expect(all.length).toBe(CASES);
    expect(new Set(all).size).toBe(CASES);
    // Each station's cases are whole shards of the batch split.
    for (const ks of keys) {
      const shards = new Set(ks.map((k) => shardOf(k, 4)));
      expect(ks.length).toBe(ks.filter((k) => shards.has(shardOf(k, 4))).length);
    }
    const status = JSON.parse(cli(['queue', 'status', '--central', pgs.url, '--json'], root).stdout);
    expect(status).toMatchObject({ queued: 0, active: 0, failed: 0 });
  }, 240_000);

  it('a station killed mid-shard: the shard goes to another station after the heartbeat lapses', async () => {
    const input = caseFolder(join(root, 'input-kill'), 5, 2);
    const push = cli(['queue', 'push', '--central', pgs.url, input, '--shards', '1', '--pack', ctPack, '--name', 'kill-test', '--heartbeat-seconds', '10'], root);
    expect(push.status, push.stderr).toBe(0);
    const dead = join(root, 'dead.sqlite');
    const w = work(['--central', pgs.url, '--db', dead], root);
    // Kill it once it has claimed the job and recorded at least one case.
    const t0 = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 200));
      if (w.err().includes('job ') && (() => { try { return caseKeys(dead).length > 0; } catch { return false; } })()) break;
      if (Date.now() - t0 > 120_000) throw new Error(`worker never started: ${w.err()}`);
    }
    w.p.kill('SIGKILL');
    await w.done;
    const partial = caseKeys(dead).length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(10);

    const alive = join(root, 'alive.sqlite');
    const r = await work(['--central', pgs.url, '--db', alive, '--until-empty'], root).done;
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('worked 1 shards');
    expect(r.err).toMatch(/kill-test shard 0\/1 \(attempt 2\)/);
    expect(new Set(caseKeys(alive)).size).toBe(5);
  }, 240_000);
});
