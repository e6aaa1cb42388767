/**
 * Fleet sync throughput: one station's outbox (N inference records through the real store, each
 * a case, image, run and audit entry: 4 outbox records; default N = 25,000, INSPECTOR_BENCH_SYNC_N)
 * sent into a real PostgreSQL 15 by `syncStation` — partitioned table, idempotent upsert, watermark,
 * local prune (one fleet_ingest statement per batch). Reference in the same run: the same rows, already serialised, as a bare multi-row
 * INSERT (jsonb_to_recordset, same batch size) into a plain unpartitioned table with no key, no
 * conflict check and no watermark. Uses a temporary cluster (as tests do) unless
 * INSPECTOR_BENCH_PG=postgres://… names one.
 */
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ensurePartitions, migrateCentral, partitionsCommitted, syncStation } from '../../src/core/fleet/index';
import { HistoryStore, type InferenceRecord } from '../../src/core/history/index';
import { recordInference } from '../../src/core/history/records';
import { startPostgres } from '../../tests/integration/fleet/postgres';

const N = Number(process.env['INSPECTOR_BENCH_SYNC_N'] ?? 25_000);
const BATCH = 5000;
const dir = join(os.tmpdir(), `inspector-bench-sync-${process.pid}`);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

const t0 = Date.now() - 30 * 86_400_000;
function makeRecord(i: number): InferenceRecord {
  const score = (i * 7919) % 1000 / 1000;
  return {
    case: { key: `SN-${String(i).padStart(8, '0')}`, kind: 'part', line: `L${i % 3}`, station: 'ST1' },
    image: { sourcePath: `/data/line/img_${i}.png`, sha256: (i * 2654435761).toString(16).padStart(16, '0').repeat(4), format: 'png', modality: 'xray', width: 384, height: 384, validation: { outcome: 'ok' } },
    pack: { name: 'battery-ct-porosity', version: '1.0.0', fileHashes: { 'model.onnx': 'f'.repeat(64) } },
    provider: 'cpu',
    verdict: score >= 0.5 ? 'porosity' : 'normal',
    score,
    threshold: 0.5,
    probabilities: { normal: 1 - score, porosity: score },
    regions: score >= 0.5 ? [{ box: [10, 20, 64, 48], label: 'porosity', score }] : [],
    explanation: { method: 'gradcam', scale: { kind: 'threshold-anchored', threshold: 0.5 } },
    timings: { preprocessMs: 3.1, inferenceMs: 41.7, explainMs: 18.2 },
    configHash: 'c'.repeat(64),
    createdAt: Math.floor(t0 + (i / N) * 30 * 86_400_000),
  };
}

const store = HistoryStore.open(join(dir, 'station.sqlite'));
for (let s = 0; s < N; s += BATCH) {
  store.write((tx) => {
    for (let i = s; i < Math.min(N, s + BATCH); i++) recordInference(tx, makeRecord(i));
  });
}
const records = store.db.prepare('SELECT count(*) FROM sync_outbox').pluck().get() as number;

const temp = process.env['INSPECTOR_BENCH_PG'] ? null : await startPostgres();
const url = process.env['INSPECTOR_BENCH_PG'] ?? temp!.url;
const c = new pg.Client({ connectionString: url });
await c.connect();
try {
  await migrateCentral(c);
  await ensurePartitions(c, [t0, Date.now()]);
  partitionsCommitted();
  // Reference payload: the rows as the sync would send them, serialised before the clock starts.
  const rows = store.db.prepare('SELECT o.seq, o.tbl, o.rid FROM sync_outbox o ORDER BY seq').all() as { seq: number; tbl: string; rid: string }[];
  const byTable = new Map<string, ReturnType<typeof store.db.prepare>>();
  const payloads: string[] = [];
  for (let s = 0; s < rows.length; s += BATCH) {
    payloads.push(
      JSON.stringify(
        rows.slice(s, s + BATCH).map((e) => {
          let st = byTable.get(e.tbl);
          if (!st) byTable.set(e.tbl, (st = store.db.prepare(`SELECT * FROM ${e.tbl} WHERE ${e.tbl === 'audit_log' ? 'seq' : 'id'} = ?`)));
          const row = st.get(Number(e.rid)) as Record<string, unknown>;
          return { tbl: e.tbl, rid: e.rid, seq: e.seq, at: (row['created_at'] ?? row['at'] ?? 0) as number, row };
        }),
      ),
    );
  }
  await c.query('CREATE TABLE IF NOT EXISTS bench_ref(station_id text, tbl text, rid text, seq bigint, at timestamptz, row jsonb)');
  // The references: the same bare multi-row INSERT, one transaction per batch, into a table.
  const bareInsert = async (table: string) => {
    const t = performance.now();
    for (const p of payloads) {
      await c.query('BEGIN');
      await c.query(
        `INSERT INTO ${table} SELECT 'ref', x.tbl, x.rid, x.seq, to_timestamp(x.at / 1000.0), x.row FROM jsonb_to_recordset($1::jsonb) AS x(tbl text, rid text, seq bigint, at float8, row jsonb)`,
        [p],
      );
      await c.query('COMMIT');
    }
    return performance.now() - t;
  };
  const refMs = await bareInsert('bench_ref');
  // Second reference: into the central records table (partitions, key).
  const keyedMs = await bareInsert('records');

  const s0 = performance.now();
  const res = await syncStation(store.db, c, 'bench', { batchSize: BATCH });
  const syncMs = performance.now() - s0;
  const central = Number((await c.query("SELECT count(*) FROM records WHERE station_id = 'bench'")).rows[0].count);
  if (central !== records || res.sent !== records || res.pending !== 0) throw new Error(`sync sent ${res.sent}, central holds ${central}, station had ${records}`);

  const rate = (ms: number) => Math.round(records / (ms / 1000));
  console.log(`station outbox: ${records} records (${N} inspections: case, image, run, audit entry each); batches of ${BATCH}`);
  console.log('| path | time | records/s |');
  console.log('|---|---|---|');
  console.log(`| inspector sync (read outbox + rows, partitioned upsert, watermark, prune) | ${(syncMs / 1000).toFixed(2)} s | ${rate(syncMs)} |`);
  console.log(`| reference: bare multi-row INSERT of pre-serialised rows, plain table | ${(refMs / 1000).toFixed(2)} s | ${rate(refMs)} |`);
  console.log(`| reference: the same bare INSERT into the partitioned, keyed records table | ${(keyedMs / 1000).toFixed(2)} s | ${rate(keyedMs)} |`);
  console.log(`ratio sync / plain reference: ${(rate(syncMs) / rate(refMs)).toFixed(2)}, sync / keyed reference: ${(rate(syncMs) / rate(keyedMs)).toFixed(2)}  (target >= 20,000 records/s: ${rate(syncMs) >= 20_000 ? 'met' : 'NOT met'})`);
} finally {
  await c.end();
  store.close();
  temp?.stop();
  rmSync(dir, { recursive: true, force: true });
}
