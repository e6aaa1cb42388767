/**
 * The sync prepares the next batch while PostgreSQL inserts the current one. A bad outbox entry in
 * the next batch (a row that is not in the database) must not roll back the good batch in flight:
 * central keeps everything before the bad batch, and the sync stops on the bad one with its code.
 * Central verify reads a station's rows a page at a time into a scratch file: the verdict does not
 * depend on the page size, and a row edited in a late page is still named.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateCentral, syncStation } from '../../../src/core/fleet/index';
import { verifyStation } from '../../../src/core/fleet/verify';
import { HistoryStore } from '../../../src/core/history/index';
import { recordInference } from '../../../src/core/history/records';
import { postgresAvailable, skipReason, startPostgres, type TempPostgres } from './postgres';
import { syntheticRun } from './records';

const rec = (i: number, station = 'SB1') => syntheticRun(i, { station, createdAt: Date.UTC(2026, 10, 3, 8, i) });

if (!postgresAvailable) console.warn(`fleet batch tests skipped: ${skipReason}`);


describe.skipIf(!postgresAvailable)('sync batches prepared ahead', () => {
  let pgs: TempPostgres;
  let central: pg.Client;
  const root = mkdtempSync(join(os.tmpdir(), 'inspector-syncbatch-'));
  beforeAll(async () => {
    pgs = await startPostgres();
    central = new pg.Client({ connectionString: pgs.url });
    await central.connect();
    await migrateCentral(central);
  }, 120_000);
  afterAll(async () => {
    await central?.end();
    pgs?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('a missing row in the next batch leaves the batch before it committed and stops with FLEET_ROW_MISSING', async () => {
    const store = HistoryStore.open(join(root, 'station.sqlite'));
    try {
      // Each inspection is four outbox entries (case, image, run, audit entry): 1-4, 5-8, then the
      // bad entry 9, then 10-13. Batches of four: 1-4 and 5-8 go; 9-12 cannot.
      for (const i of [0, 1]) store.write((tx) => void recordInference(tx, rec(i)));
      const perRecord = store.db.prepare('SELECT count(*) FROM sync_outbox').pluck().get() as number;
      expect(perRecord).toBe(8);
      store.db.prepare("INSERT INTO sync_outbox(tbl, rid) VALUES ('inference_runs', '999999')").run();
      store.write((tx) => void recordInference(tx, rec(2)));

      const sent: number[] = [];
      const err = await syncStation(store.db, central, 'SB1', { batchSize: 4, onBatch: (b) => sent.push(b.lastSeq) }).catch((e) => e);
      expect(err).toMatchObject({ code: 'FLEET_ROW_MISSING' });
      expect(sent).toEqual([4, 8]);
      const mark = await central.query("SELECT last_seq::int AS s FROM stations WHERE station_id = 'SB1'");
      expect(mark.rows[0].s).toBe(8);
      expect((await central.query("SELECT count(*)::int AS n FROM records WHERE station_id = 'SB1'")).rows[0].n).toBe(8);
      // What central acknowledged is pruned locally; the bad entry and everything after it wait.
      expect(store.db.prepare('SELECT min(seq) FROM sync_outbox').pluck().get()).toBe(9);
    } finally {
      store.close();
    }
  });

  it('central verify reads a station a page at a time: same verdict at any page size, a late edit named, no scratch left', async () => {
    const store = HistoryStore.open(join(root, 'verify.sqlite'));
    try {
      for (let i = 0; i < 6; i++) store.write((tx) => void recordInference(tx, rec(i, 'SV1')));
      await syncStation(store.db, central, 'SV1', { batchSize: 5 });
    } finally {
      store.close();
    }
    const scratchDir = join(root, 'scratch');
    mkdirSync(scratchDir);
    const whole = await verifyStation(central, 'SV1', { scratchDir });
    expect(whole).toMatchObject({ ok: true, entries: 6, pending: 0, records: { run: 6 } });
    for (const pageSize of [1, 3, 7]) expect(await verifyStation(central, 'SV1', { pageSize, scratchDir })).toEqual(whole);

    // The last run's verdict edited in central: it lies in the last page of three rows.
    const victim = (await central.query("SELECT rid FROM records WHERE station_id = 'SV1' AND tbl = 'inference_runs' ORDER BY seq DESC LIMIT 1")).rows[0].rid;
    await central.query("UPDATE records SET row = jsonb_set(row, '{verdict}', '\"porosity\"') WHERE station_id = 'SV1' AND tbl = 'inference_runs' AND rid = $1", [victim]);
    const bad = await verifyStation(central, 'SV1', { pageSize: 3, scratchDir });
    expect(bad.ok).toBe(false);
    expect(bad.break).toMatchObject({ table: 'inference_runs', recordId: String(victim) });
    expect(readdirSync(scratchDir)).toEqual([]);
  });

  it('two syncs of one station at once: each batch lands once, the loser of a race rereads the watermark', async () => {
    const file = join(root, 'race.sqlite');
    const seed = HistoryStore.open(file);
    for (let i = 0; i < 10; i++) seed.write((tx) => void recordInference(tx, rec(i, 'SR1')));
    const total = seed.db.prepare('SELECT count(*) FROM sync_outbox').pluck().get() as number;
    seed.close();
    const other = new pg.Client({ connectionString: pgs.url });
    await other.connect();
    const a = HistoryStore.open(file);
    const b = HistoryStore.open(file);
    try {
      const [ra, rb] = await Promise.all([syncStation(a.db, central, 'SR1', { batchSize: 3 }), syncStation(b.db, other, 'SR1', { batchSize: 3 })]);
      expect(ra.sent + rb.sent).toBe(total);
      const n = await central.query("SELECT count(*)::int AS n, count(DISTINCT (tbl, rid))::int AS d, max(seq)::int AS top FROM records WHERE station_id = 'SR1'");
      expect(n.rows[0]).toEqual({ n: total, d: total, top: total });
      expect((await central.query("SELECT last_seq::int AS s FROM stations WHERE station_id = 'SR1'")).rows[0].s).toBe(total);
    } finally {
      a.close();
      b.close();
      await other.end();
    }
  });
});
