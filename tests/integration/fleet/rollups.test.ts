/**
 * The central dashboard rollups against a real PostgreSQL 15: a station's runs, errors, reviews
 * (re-reviewed, overridden both ways) and an evaluation batch are synced in small batches; the
 * rollup statistics equal the statistics computed from the raw records and the numbers counted by
 * hand, a whole re-send of the station's outbox (a restored copy) changes nothing, and central
 * drift flags a pack whose scores moved.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetDrift, fleetStats, fleetStatsFromRecords, migrateCentral, psiFromCounts, syncStation } from '../../../src/core/fleet/index';
import { HistoryStore, type InferenceRecord } from '../../../src/core/history/index';
import { localDay } from '../../../src/core/history/time';
import { postgresAvailable, skipReason, startPostgres, type TempPostgres } from './postgres';

if (!postgresAvailable) console.warn(`fleet rollup tests skipped: ${skipReason}`);

const DAY = 86_400_000;
const t0 = Date.UTC(2026, 10, 2, 12); // 2 Nov 2026, noon UTC

function run(i: number, opts: { day: number; score: number; line: string; batchId?: number; version?: string }): InferenceRecord {
  return {
    case: { key: `SN-${opts.line}-${i}`, kind: 'part', line: opts.line, station: 'R1' },
    image: { sourcePath: `/data/${i}.png`, sha256: i.toString(16).padStart(64, '0'), format: 'png', modality: 'xray', width: 64, height: 64, validation: { outcome: 'ok' } },
    pack: { name: 'battery-ct-porosity', version: opts.version ?? '1.0.0', fileHashes: { 'model.onnx': 'f'.repeat(64) } },
    provider: 'cpu',
    verdict: opts.score >= 0.5 ? 'porosity' : 'normal',
    score: opts.score,
    threshold: 0.5,
    probabilities: { normal: 1 - opts.score, porosity: opts.score },
    regions: [],
    explanation: null,
    timings: { inferenceMs: 1 },
    configHash: null,
    batchId: opts.batchId ?? null,
    createdAt: t0 + opts.day * DAY + i,
  } as InferenceRecord;
}

describe.skipIf(!postgresAvailable)('central dashboard rollups on a real PostgreSQL', () => {
  let pgs: TempPostgres;
  let central: pg.Client;
  const root = mkdtempSync(join(os.tmpdir(), 'inspector-rollups-'));
  const db = join(root, 'R1.sqlite');
  const copy = join(root, 'R1-restored.sqlite');

  beforeAll(async () => {
    pgs = await startPostgres();
    central = new pg.Client({ connectionString: pgs.url });
    await central.connect();
    await migrateCentral(central);
  });
  afterAll(async () => {
    await central?.end();
    pgs?.stop();
  });

  it('equal the raw-record statistics and the hand count, and a re-sent outbox counts nothing twice', async () => {
    const store = HistoryStore.open(db);
    store.createOperator({ id: 'rev', name: 'Reviewer', role: 'reviewer' });
    // Day 0, line L1: 6 runs (scores 0.1 … 0.6: 5 normal, 1 porosity). Day 1, line L2: 4 runs, all porosity.
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push(store.recordInference(run(i, { day: 0, score: 0.1 * (i + 1) - 0.05, line: 'L1' })).runId);
    for (let i = 6; i < 10; i++) ids.push(store.recordInference(run(i, { day: 1, score: 0.9, line: 'L2' })).runId);
    // An evaluation batch on day 1: not production traffic, in no statistic.
    const evalBatch = store.startEvaluationBatch({ name: 'eval', setIdentity: 'e'.repeat(64) });
    for (let i = 10; i < 13; i++) store.recordInference(run(i, { day: 1, score: 0.8, line: 'L2', batchId: evalBatch }));
    store.recordError({ stage: 'validation', code: 'IMAGE_EMPTY_FILE', message: 'empty', packName: 'battery-ct-porosity', caseKey: 'SN-L1-0', createdAt: t0 + 5 });
    store.recordError({ stage: 'validation', code: 'IMAGE_EMPTY_FILE', message: 'empty', packName: 'battery-ct-porosity', batchId: evalBatch, createdAt: t0 + DAY });
    // Reviews on day-0 runs: accept (agree); override to another class (disagree); override to the
    // AI's class (agree); a run reviewed twice: first accept, then override away (counts once, disagree);
    // an 'uncertain' review (not a decision: not reviewed).
    store.recordReview({ runId: ids[0]!, operatorId: 'rev', decision: 'accept' });
    store.recordReview({ runId: ids[1]!, operatorId: 'rev', decision: 'override', label: 'porosity' });
    store.recordReview({ runId: ids[2]!, operatorId: 'rev', decision: 'override', label: 'normal' });
    const first = store.recordReview({ runId: ids[3]!, operatorId: 'rev', decision: 'accept' });
    store.close();

    // First sync in batches of 3 (rows of a case and its run land in different batches).
    const s1 = HistoryStore.open(db);
    copyFileSync(db, copy); // a "backup" whose outbox still holds everything so far
    await syncStation(s1.db, central, 'R1', { batchSize: 3 });
    // Later reviews, synced in a second pass: the re-review replaces run 3's earlier contribution.
    s1.recordReview({ runId: ids[3]!, operatorId: 'rev', decision: 'override', label: 'porosity', supersedes: first });
    s1.recordReview({ runId: ids[4]!, operatorId: 'rev', decision: 'uncertain' });
    await syncStation(s1.db, central, 'R1', { batchSize: 2 });
    s1.close();

    const rolled = await fleetStats(central);
    expect(rolled).toEqual(await fleetStatsFromRecords(central));
    const d0 = rolled.find((r) => r.day === localDay(t0) && r.line === 'L1')!;
    expect(d0).toMatchObject({ station: 'R1', pack: 'battery-ct-porosity', packVersion: '1.0.0', runs: 6, errors: 1, reviewed: 4, agreed: 2 });
    expect(d0.verdicts).toEqual({ normal: 5, porosity: 1 });
    const d1 = rolled.find((r) => r.day === localDay(t0 + DAY))!;
    expect(d1).toMatchObject({ line: 'L2', runs: 4, errors: 0, reviewed: 0, verdicts: { porosity: 4 } });
    expect(rolled.reduce((a, r) => a + r.runs, 0)).toBe(10); // the 3 evaluation runs are not counted

    // The restored copy re-sends its whole outbox under the same id (watermark reset by hand, as
    // an operator recovering a station would): every row conflicts, so no counter moves.
    await central.query("UPDATE stations SET last_seq = 0 WHERE station_id = 'R1'");
    const restored = HistoryStore.open(copy);
    const resent = await syncStation(restored.db, central, 'R1', { batchSize: 4 });
    restored.close();
    expect(resent.sent).toBeGreaterThan(20);
    expect(await fleetStats(central)).toEqual(rolled);

    // Day filter: whole station days.
    const onlyD1 = await fleetStats(central, { from: t0 + DAY, to: t0 + DAY });
    expect(onlyD1.map((r) => r.day)).toEqual([localDay(t0 + DAY)]);
  });

  it('drift: a pack version whose scores moved after its first week is flagged, a stable one is not', async () => {
    const store = HistoryStore.open(join(root, 'D1.sqlite'));
    // Version 2.0.0: week one uniform scores, then week two all near 0.95. Version 3.0.0: the same spread every day.
    let i = 1000;
    for (let day = 0; day < 14; day++) {
      for (let k = 0; k < 60; k++) {
        const moved = day >= 7 ? 0.9 + (k % 10) / 100 : (k % 20) / 20 + 0.01;
        store.recordInference(run(i++, { day: 20 + day, score: moved, line: 'L1', version: '2.0.0' }));
        store.recordInference(run(i++, { day: 20 + day, score: (k % 20) / 20 + 0.01, line: 'L1', version: '3.0.0' }));
      }
    }
    await syncStation(store.db, central, 'D1');
    store.close();
    const drift = await fleetDrift(central, { stations: ['D1'], from: t0 + 27 * DAY, to: t0 + 33 * DAY });
    const v2 = drift.find((d) => d.packVersion === '2.0.0')!;
    const v3 = drift.find((d) => d.packVersion === '3.0.0')!;
    expect(v2).toMatchObject({ baselineFrom: localDay(t0 + 20 * DAY), baselineTo: localDay(t0 + 26 * DAY), baselineN: 420, windowN: 420, status: 'drift' });
    expect(v3).toMatchObject({ baselineN: 420, windowN: 420, status: 'ok' });
    expect(v3.psi!).toBeLessThan(1e-9);
    // The PSI is the station formula on the bin counts: baseline 21 per bin over 20 bins vs everything in bins 18-19.
    const base = new Array(20).fill(21);
    const win = new Array(20).fill(0);
    win[18] = 42 * 5;
    win[19] = 42 * 5;
    expect(v2.psi!).toBeCloseTo(psiFromCounts(base, win), 9);
  });
});
