/**
 * Central dashboard queries at fleet scale: N records (default 10,000,000, INSPECTOR_BENCH_CENTRAL_N)
 * from 20 stations on 3 lines over 30 days — per case 4 views: one case row and 4 run rows, plus
 * 2 % of runs reviewed and 0.5 % errors — inserted into a real PostgreSQL 15 in chunks through the
 * sync's own path (insert … RETURNING into `fresh`, then `fleet_rollup()`), then:
 *   - `fleetStats` (rollups) for all stations / one station / one week, and `fleetDrift`, each the
 *     median of 5 runs (target ≤ 200 ms);
 *   - reference in the same run: the same statistics from the raw records
 *     (`fleetStatsFromRecords`, one run, capped by INSPECTOR_BENCH_CENTRAL_RAW_TIMEOUT_S, default 600).
 * Uses a temporary cluster (as the tests do) unless INSPECTOR_BENCH_PG=postgres://… names one.
 */
import pg from 'pg';
import { ensurePartitions, fleetDrift, fleetStats, fleetStatsFromRecords, FRESH_TABLE, migrateCentral, partitionsCommitted } from '../../src/core/fleet/index';
import { startPostgres } from '../../tests/integration/fleet/postgres';

const N = Number(process.env['INSPECTOR_BENCH_CENTRAL_N'] ?? 10_000_000);
const RAW_TIMEOUT_S = Number(process.env['INSPECTOR_BENCH_CENTRAL_RAW_TIMEOUT_S'] ?? 600);
const STATIONS = 20;
const DAYS = 30;
const CHUNK_CASES = 50_000; // 250,000 records per transaction
const t0 = Date.UTC(2026, 9, 1, 6);
const cases = Math.ceil(N / 5.03); // 1 case + 4 runs + 0.08 reviews + 0.02 errors ≈ 5.1 per case

const temp = process.env['INSPECTOR_BENCH_PG'] ? null : await startPostgres();
const url = process.env['INSPECTOR_BENCH_PG'] ?? temp!.url;
const c = new pg.Client({ connectionString: url });
await c.connect();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function timed(f: () => Promise<unknown>, n = 5): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await f();
    ms.push(performance.now() - s);
  }
  return median(ms);
}

try {
  await migrateCentral(c);
  const months: number[] = [];
  for (let d = 0; d <= DAYS; d++) months.push(t0 + d * 86_400_000);
  await ensurePartitions(c, months);
  partitionsCommitted();
  await c.query(FRESH_TABLE);
  await c.query(`INSERT INTO stations(station_id) SELECT 'ST' || lpad(s::text, 2, '0') FROM generate_series(0, ${STATIONS - 1}) s ON CONFLICT DO NOTHING`);

  // One chunk: cases k0..k1; case k is on station k % 20, line k % 3, at t0 + k·(30 days / cases).
  // Rows are shaped like the station's own (same columns the dashboard reads; long hashes as real).
  const chunk = (k0: number, k1: number) => `
WITH k AS (
  SELECT k, 'ST' || lpad((k % ${STATIONS})::text, 2, '0') AS st, ${t0}::float8 + k * (${DAYS * 86_400_000}::float8 / ${cases}) AS ms FROM generate_series(${k0}::bigint, ${k1 - 1}::bigint) k
), src AS (
  SELECT st, 'cases' AS tbl, k::text AS rid, k * 6 AS seq, ms,
         jsonb_build_object('id', k, 'case_key', 'SN-' || k, 'kind', 'part', 'line', 'L' || (k % 3), 'station', st, 'created_at', ms::bigint) AS row
  FROM k
  UNION ALL
  SELECT st, 'inference_runs', (k * 4 + v)::text, k * 6 + 1 + v, ms + v,
         jsonb_build_object('id', k * 4 + v, 'created_at', (ms + v)::bigint, 'day', to_char(to_timestamp(ms / 1000), 'YYYY-MM-DD'), 'case_id', k,
           'image_id', k * 4 + v, 'batch_id', null, 'pack_name', CASE WHEN k % 2 = 0 THEN 'battery-ct-porosity' ELSE 'surface-pitting-ae' END,
           'pack_version', CASE WHEN ms < ${t0 + 15 * 86_400_000} THEN '1.0.0' ELSE '1.1.0' END,
           'pack_hashes', '{"model.onnx":"9f2c4e0d8b7a61f35c0e2d9a4b8c7f6e1d0a3b5c7e9f2a4c6e8b0d2f4a6c8e0b"}', 'provider', 'cpu',
           'verdict', CASE WHEN (k * 7 + v) % 10 = 0 THEN 'porosity' ELSE 'normal' END, 'score', ((k * 7919 + v * 104729) % 1000) / 1000.0,
           'threshold', 0.5, 'probabilities', '{"normal":0.9,"porosity":0.1}', 'regions', '[]', 'timings', '{"inferenceMs":41.7}',
           'config_hash', 'c0ffee', 'operator_id', null)
  FROM k, generate_series(0, 3) v
  UNION ALL
  SELECT st, 'reviews', (k * 4)::text, k * 6 + 5, ms + 60000,
         jsonb_build_object('id', k * 4, 'run_id', k * 4, 'operator_id', 'rev', 'decision', CASE WHEN k % 3 = 0 THEN 'override' ELSE 'accept' END,
           'label', CASE WHEN k % 3 = 0 THEN 'porosity' END, 'boxes', '[]', 'created_at', (ms + 60000)::bigint)
  FROM k WHERE k % 50 = 0
  UNION ALL
  SELECT st, 'errors', k::text, k * 6 + 5, ms,
         jsonb_build_object('id', k, 'created_at', ms::bigint, 'day', to_char(to_timestamp(ms / 1000), 'YYYY-MM-DD'), 'stage', 'validation',
           'code', 'IMAGE_DECODE_FAILED', 'message', 'truncated', 'pack_name', 'battery-ct-porosity', 'case_key', 'SN-' || k)
  FROM k WHERE k % 200 = 7
), ins AS (
  INSERT INTO records(station_id, tbl, rid, seq, at, row)
  SELECT st, tbl, rid, seq, to_timestamp(ms / 1000.0), row FROM src ORDER BY seq
  ON CONFLICT DO NOTHING RETURNING station_id, tbl, rid, row)
INSERT INTO fresh SELECT station_id, tbl, rid, row FROM ins WHERE tbl IN ('inference_runs', 'reviews', 'errors')`;

  const l0 = performance.now();
  let rollupMs = 0;
  for (let k = 0; k < cases; k += CHUNK_CASES) {
    await c.query('BEGIN');
    await c.query(chunk(k, Math.min(cases, k + CHUNK_CASES)));
    const r0 = performance.now();
    await c.query('SELECT fleet_rollup()');
    rollupMs += performance.now() - r0;
    await c.query('COMMIT');
    process.stderr.write(`\rloaded ${Math.min(cases, k + CHUNK_CASES)} / ${cases} cases`);
  }
  const loadMs = performance.now() - l0;
  await c.query('ANALYZE');
  const total = Number((await c.query('SELECT count(*) FROM records')).rows[0].count);
  const size = (await c.query("SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) AS s FROM pg_inherits WHERE inhparent = 'records'::regclass")).rows[0].s;
  process.stderr.write('\n');

  // Whole days (the rollups count per station day; the raw query filters on instants).
  const week = { from: Date.UTC(2026, 9, 21), to: Date.UTC(2026, 9, 27, 23, 59, 59, 999) };
  const all = await timed(() => fleetStats(c));
  const one = await timed(() => fleetStats(c, { stations: ['ST07'] }));
  const wk = await timed(() => fleetStats(c, week));
  const drift = await timed(() => fleetDrift(c, week));
  const rows = (await fleetStats(c)).length;

  await c.query(`SET statement_timeout = ${RAW_TIMEOUT_S * 1000}`);
  let rawMs: number | null = null;
  let same: boolean | null = null;
  try {
    const s = performance.now();
    const raw = await fleetStatsFromRecords(c);
    rawMs = performance.now() - s;
    same = JSON.stringify(raw) === JSON.stringify(await fleetStats(c));
  } catch (e) {
    process.stderr.write(`raw reference stopped: ${(e as Error).message}\n`);
  }

  console.log(`central: ${total.toLocaleString('en')} records (${size}), ${STATIONS} stations, ${DAYS} days; loaded through insert + fleet_rollup in ${(loadMs / 1000).toFixed(0)} s (${Math.round(total / (loadMs / 1000)).toLocaleString('en')} records/s; fleet_rollup ${(rollupMs / 1000).toFixed(0)} s of it)`);
  console.log('| query (median of 5) | ms | target ≤ 200 ms |');
  console.log('|---|---|---|');
  console.log(`| central stats, all stations, all days (${rows} rows) | ${all.toFixed(1)} | ${all <= 200 ? 'met' : 'NOT met'} |`);
  console.log(`| central stats, one station | ${one.toFixed(1)} | ${one <= 200 ? 'met' : 'NOT met'} |`);
  console.log(`| central stats, one week | ${wk.toFixed(1)} | ${wk <= 200 ? 'met' : 'NOT met'} |`);
  console.log(`| central drift, one week vs each version's first week | ${drift.toFixed(1)} | ${drift <= 200 ? 'met' : 'NOT met'} |`);
  console.log(
    rawMs === null
      ? `reference: all stations, all days from the raw records did not finish within ${RAW_TIMEOUT_S} s`
      : `reference: all stations, all days from the raw records: ${(rawMs / 1000).toFixed(1)} s (1 run) — rollups ${(rawMs / all).toFixed(0)}× faster; results identical: ${same}`,
  );
} finally {
  await c.end();
  temp?.stop();
}
