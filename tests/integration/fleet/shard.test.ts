/**
 * `inspector batch --shard I/N`: N processes over one folder, each its own station database (as
 * Kubernetes Indexed Job pods would be), record every case exactly once between them: the union
 * of their case keys is the folder's cases and no two shards share one. A shard resumes like any
 * batch, and only with its own shard.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { parseShard, shardOf } from '../../../src/core/fleet/shard';
import { repoRoot } from '../../support/paths';
import { bin, caseFolder, cli, ctPack, node } from './support';

describe('sharded batch', () => {
  it('N shard processes over one folder record every case exactly once', async () => {
    const root = mkdtempSync(join(os.tmpdir(), 'inspector-shard-'));
    const CASES = 12;
    const N = 3;
    const input = caseFolder(join(root, 'input'), CASES);
    const dbs = Array.from({ length: N }, (_, i) => join(root, `shard-${i}.sqlite`));
    const runs = await Promise.all(
      dbs.map(
        (db, i) =>
          new Promise<{ code: number | null; out: string }>((res) => {
            const p = spawn(node, [bin, 'batch', input, '--pack', ctPack, '--db', db, '--shard', `${i}/${N}`, '--name', 'reinspect', '--json'], { cwd: repoRoot, env: { ...process.env, INSPECTOR_DATA_DIR: root } });
            let out = '';
            p.stdout.on('data', (d: Buffer) => (out += d.toString()));
            p.on('exit', (code) => res({ code, out }));
          }),
      ),
    );
    const keys: string[][] = [];
    for (const [i, r] of runs.entries()) {
      expect(r.code).toBe(0);
      const db = new Database(dbs[i]!, { readonly: true });
      const ks = db.prepare('SELECT c.case_key FROM inference_runs r JOIN cases c ON c.id = r.case_id').pluck().all() as string[];
      expect(db.prepare('SELECT source FROM batches').pluck().get()).toMatch(new RegExp(`\\[shard ${i}/${N}\\]$`));
      db.close();
      expect(JSON.parse(r.out)).toMatchObject({ total: ks.length, inspected: ks.length, errors: 0 });
      keys.push(ks);
    }
    const all = keys.flat();
    expect(new Set(all).size).toBe(all.length); // disjoint, and no case twice within a shard
    expect(all.length).toBe(CASES); // union = every case
    expect(keys.every((k) => k.length > 0)).toBe(true);
    // The split is the hash's: each key sits in the shard shardOf names.
    for (const [i, ks] of keys.entries()) for (const k of ks) expect(shardOf(k, N), k).toBe(i);

    // Resuming shard 0 inspects nothing new; resuming it as another shard is refused.
    const again = cli(['batch', input, '--pack', ctPack, '--db', dbs[0]!, '--shard', `0/${N}`, '--resume', '1', '--json'], root);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ inspected: 0, skipped: keys[0]!.length });
    const wrong = cli(['batch', input, '--pack', ctPack, '--db', dbs[0]!, '--shard', `1/${N}`, '--resume', '1'], root);
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toContain('BATCH_SHARD_MISMATCH');
    const bad = cli(['batch', input, '--pack', ctPack, '--db', dbs[0]!, '--shard', '3/3'], root);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('BATCH_BAD_SHARD');
  });

  it('parses I/N and rejects what is not a shard', () => {
    expect(parseShard('2/5')).toEqual({ index: 2, count: 5 });
    for (const s of ['5/5', '-1/3', '1/0', 'a/b', '1']) expect(() => parseShard(s), s).toThrow(/BATCH_BAD_SHARD|--shard/);
    // Stable and spread out: 3000 keys over 3 shards land roughly evenly.
    const n = [0, 0, 0];
    for (let i = 0; i < 3000; i++) n[shardOf(`cell-${i}`, 3)]!++;
    for (const x of n) expect(x).toBeGreaterThan(850);
    expect(shardOf('cell-7', 3)).toBe(shardOf('cell-7', 3));
  });
});
