/**
 * Two stations inspect real CT slices with the real pack, reviewers review, and each station syncs
 * to a real PostgreSQL 15 — the sync process SIGKILLed at random points and started again — until
 * central holds exactly the station's rows: per table the same counts, no duplicates, and every
 * audit chain verifies centrally; a row edited in central is reported with station and record id.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CENTRAL_LATEST } from '../../../src/core/fleet/central';
import { fleetStats, fleetStatsFromRecords } from '../../../src/core/fleet/stats';
import { HistoryStore } from '../../../src/core/history/index';
import { repoRoot } from '../../support/paths';
import { postgresAvailable, skipReason, startPostgres, type TempPostgres } from './postgres';
import { bin, caseFolder, cli, ctPack, localCounts, node, SYNCED_TABLES } from './support';

if (!postgresAvailable) console.warn(`fleet sync tests skipped: ${skipReason}`);

describe.skipIf(!postgresAvailable)('fleet sync to a real PostgreSQL', () => {
  let pgs: TempPostgres;
  let central: pg.Client;
  const root = mkdtempSync(join(os.tmpdir(), 'inspector-fleet-'));
  const dbOf = (s: string) => join(root, `${s}.sqlite`);

  beforeAll(async () => {
    pgs = await startPostgres();
    central = new pg.Client({ connectionString: pgs.url });
    await central.connect();
    const m = cli(['central', 'migrate', '--db', pgs.url], root);
    expect(m.stdout, m.stderr).toContain('central schema migrated from version 0');
    expect(cli(['central', 'migrate', '--db', pgs.url], root).stdout).toContain(`from version ${CENTRAL_LATEST}`);
  });
  afterAll(async () => {
    await central?.end();
    pgs?.stop();
  });

  const centralCounts = async (station: string) => {
    const r = await central.query('SELECT tbl, count(*)::int AS n, count(DISTINCT rid)::int AS d FROM records WHERE station_id = $1 GROUP BY tbl', [station]);
    return Object.fromEntries(r.rows.map((x) => [x.tbl, { n: x.n, distinct: x.d }]));
  };

  it('two stations inspect and review; sync killed at random points ends with equal counts and no duplicates', async () => {
    // Station A: 4 cases and a broken file (an error row); station B: 3 cases.
    for (const [s, cases, offset] of [['A', 4, 0], ['B', 3, 1]] as const) {
      const input = caseFolder(join(root, `in-${s}`), cases, 1, offset);
      if (s === 'A') writeFileSync(join(input, 'part-000', 'cut.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
      const r = cli(['batch', input, '--pack', ctPack, '--db', dbOf(s), '--name', `night ${s}`, '--json'], root);
      expect(r.status, r.stderr).toBe(s === 'A' ? 1 : 0);
      expect(JSON.parse(r.stdout)).toMatchObject({ inspected: cases, errors: s === 'A' ? 1 : 0 });
    }
    // Reviews through the store as the app writes them; many corrections give the sync a long outbox.
    for (const s of ['A', 'B']) {
      const store = HistoryStore.open(dbOf(s));
      store.createOperator({ id: `rev-${s}`, name: `Reviewer ${s}`, role: 'reviewer' });
      const runs = store.db.prepare('SELECT id, verdict FROM inference_runs ORDER BY id').all() as { id: number; verdict: string }[];
      store.recordReview({ runId: runs[0]!.id, operatorId: `rev-${s}`, decision: 'accept' });
      let prev: number | null = null;
      for (let i = 0; i < 120; i++) {
        prev = store.recordReview({ runId: runs[1]!.id, operatorId: `rev-${s}`, decision: 'override', label: i % 2 ? 'porosity' : 'normal', supersedes: prev });
      }
      store.close();
    }

    let kills = 0;
    let partial = 0;
    for (const s of ['A', 'B']) {
      const want = localCounts(dbOf(s));
      const total = Object.values(want).reduce((a, b) => a + b, 0);
      // Kill at a random point of the stream: once central moved 5..60 records past where it was.
      for (let attempt = 0; attempt < 4; attempt++) {
        const before = await central.query('SELECT coalesce(max(last_seq), 0)::int AS s FROM stations WHERE station_id = $1', [s]);
        const target = before.rows[0].s + 5 + Math.floor(Math.random() * 55);
        const child = spawn(node, [bin, 'sync', '--to', pgs.url, '--db', dbOf(s), '--station', s, '--once', '--batch-size', String(1 + attempt)], { cwd: repoRoot, stdio: 'ignore' });
        const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, sig) => res(sig)));
        let done = false;
        void exited.then(() => (done = true));
        while (!done) {
          const now = await central.query('SELECT coalesce(max(last_seq), 0)::int AS s FROM stations WHERE station_id = $1', [s]);
          if (now.rows[0].s >= target) {
            child.kill('SIGKILL');
            break;
          }
          await new Promise((r) => setTimeout(r, 5));
        }
        if ((await exited) === 'SIGKILL') {
          kills++;
          const n = (await central.query('SELECT count(*)::int AS n FROM records WHERE station_id = $1', [s])).rows[0].n;
          if (n > 0 && n < total) partial++;
        }
      }
      const last = cli(['sync', '--to', pgs.url, '--db', dbOf(s), '--station', s, '--once', '--json'], root);
      expect(last.status, last.stderr).toBe(0);
      expect(JSON.parse(last.stdout)).toMatchObject({ station: s, pending: 0 });

      const got = await centralCounts(s);
      for (const t of SYNCED_TABLES) {
        expect(got[t]?.n ?? 0, `${s} ${t}`).toBe(want[t]);
        expect(got[t]?.distinct ?? 0, `${s} ${t} distinct`).toBe(want[t]);
      }
      expect(want['reviews']).toBe(121);
      expect(want['errors']).toBe(s === 'A' ? 1 : 0);
    }
    expect(kills).toBeGreaterThanOrEqual(4);
    expect(partial).toBeGreaterThanOrEqual(2);

    // Later records follow: one more review on A is two more central rows (review + audit entry).
    const store = HistoryStore.open(dbOf('A'));
    const run = store.db.prepare('SELECT id FROM inference_runs ORDER BY id DESC LIMIT 1').pluck().get() as number;
    store.recordReview({ runId: run, operatorId: 'rev-A', decision: 'reject', label: 'porosity' });
    store.close();
    const again = cli(['sync', '--to', pgs.url, '--db', dbOf('A'), '--station', 'A', '--once', '--json'], root);
    expect(JSON.parse(again.stdout)).toMatchObject({ sent: 2, pending: 0 });
    expect((await centralCounts('A'))['reviews']).toEqual({ n: 122, distinct: 122 });
  });

  it('central verify passes for both stations and names the station and record of an edited central row', async () => {
    const ok = cli(['central', 'verify', '--db', pgs.url, '--json'], root);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    const report = JSON.parse(ok.stdout);
    expect(report.stations.map((s: { station: string }) => s.station)).toEqual(['A', 'B']);
    const a = report.stations[0];
    expect(a).toMatchObject({ ok: true, pending: 0, records: { run: 4, review: 122, error: 1, case: 4, image: 4 } });
    expect(a.entries).toBe(localCounts(dbOf('A'))['audit_log']);

    // A run's verdict changed in central.
    const victim = (await central.query("SELECT rid FROM records WHERE station_id = 'A' AND tbl = 'inference_runs' ORDER BY rid DESC LIMIT 1")).rows[0].rid;
    await central.query(`UPDATE records SET row = jsonb_set(row, '{score}', '0.001') WHERE station_id = 'A' AND tbl = 'inference_runs' AND rid = $1`, [victim]);
    const bad = cli(['central', 'verify', '--db', pgs.url], root);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain(`BROKEN A: AUDIT_RECORD_ALTERED at inference_runs ${victim}`);
    expect(bad.stdout).toMatch(/^OK B: /m);

    // B: the last audit entry deleted from central is a chain cut short (the synced head is the anchor).
    await central.query("DELETE FROM records WHERE station_id = 'B' AND tbl = 'audit_log' AND seq = (SELECT max(seq) FROM records WHERE station_id = 'B' AND tbl = 'audit_log')");
    const cut = cli(['central', 'verify', '--db', pgs.url, '--stations', 'B', '--json'], root);
    expect(cut.status).toBe(1);
    expect(JSON.parse(cut.stdout).stations[0].break).toMatchObject({ code: 'AUDIT_TRUNCATED', table: 'audit_log' });
  });

  it('central stats: runs, errors and reviewer agreement per day, station and pack version', async () => {
    const r = cli(['central', 'stats', '--db', pgs.url, '--stations', 'A,B', '--json'], root);
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { station: string; pack: string; packVersion: string; runs: number; errors: number; reviewed: number; agreed: number; verdicts: Record<string, number> }[];
    const byStation = (s: string) => rows.filter((x) => x.station === s);
    const sum = (s: string, k: 'runs' | 'errors' | 'reviewed' | 'agreed') => byStation(s).reduce((a, x) => a + x[k], 0);
    expect(sum('A', 'runs')).toBe(4);
    expect(sum('B', 'runs')).toBe(3);
    expect(sum('A', 'errors')).toBe(1);
    expect(sum('B', 'errors')).toBe(0);
    expect(sum('A', 'reviewed')).toBe(3);
    expect(sum('B', 'reviewed')).toBe(2);
    // Agreement from the station's own review state: accept, or override to the AI's class.
    for (const s of ['A', 'B']) {
      const store = HistoryStore.open(dbOf(s), { readonly: true });
      const agreed = store.db
        .prepare("SELECT count(*) FROM review_state WHERE decision = 'accept' OR (decision = 'override' AND label = ai_label)")
        .pluck()
        .get() as number;
      store.close();
      expect(sum(s, 'agreed'), s).toBe(agreed);
    }
    expect(rows.filter((x) => x.runs > 0).every((x) => x.pack === 'battery-ct-porosity' && x.packVersion === '1.0.0')).toBe(true);
    // The rollups moved in the killed syncs' own transactions: they equal a count of the raw records.
    expect(await fleetStats(central)).toEqual(await fleetStatsFromRecords(central));
    const only = JSON.parse(cli(['central', 'stats', '--db', pgs.url, '--stations', 'B', '--json'], root).stdout) as { station: string }[];
    expect(new Set(only.map((x) => x.station))).toEqual(new Set(['B']));
  });

  it('says so with a coded error when the station id is missing or central is unreachable', () => {
    const noId = cli(['sync', '--to', pgs.url, '--db', dbOf('A'), '--once'], root);
    expect(noId.status).not.toBe(0);
    expect(noId.stderr).toContain('FLEET_STATION_UNKNOWN');
    const down = cli(['sync', '--to', 'postgres://postgres@127.0.0.1:1/postgres', '--db', dbOf('A'), '--station', 'A', '--once'], root);
    expect(down.status).not.toBe(0);
    expect(down.stderr).toContain('FLEET_CENTRAL_UNREACHABLE');
  });
});
