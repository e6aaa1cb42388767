/**
 * The station's hot path in the history: one case per transaction — its two runs recorded, the
 * case, its files, run links and outbox rows written by the ledger (each chained in the audit log,
 * docs/HISTORY.md) — then the MQTT acknowledgement and the findings row done, each its own write,
 * as station.ts and mqtt.ts do. Reference measured in the same run: the same two runs per
 * transaction without the ledger. Real file database, synchronous = FULL (the station's setting).
 *   npm run bench -- ledger   (INSPECTOR_BENCH_LEDGER_N cases, default 2000; _ROUNDS, default 3; _SYNC=NORMAL)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { HistoryStore, verifyAudit, readAnchor, type InferenceRecord } from '../../src/core/history/index';
import { StationLedger } from '../../src/core/station/ledger';
import { buildResult, type CaseFile } from '../../src/core/station/result';

const N = Number(process.env['INSPECTOR_BENCH_LEDGER_N'] ?? 2000);
const ROUNDS = Number(process.env['INSPECTOR_BENCH_LEDGER_ROUNDS'] ?? 3);
// FULL (the station's setting) is dominated by one fsync per commit, the same count before and after
// the ledger's audit entries; NORMAL (no fsync per commit in WAL mode) shows the CPU the entries cost.
const SYNC = process.env['INSPECTOR_BENCH_LEDGER_SYNC'] === 'NORMAL' ? 'NORMAL' : 'FULL';

function record(i: number): InferenceRecord {
  const score = ((i * 37) % 100) / 100;
  return {
    case: { key: `SN-${Math.floor(i / 2)}`, kind: 'part', line: 'L1', station: 'ST01', tags: [] },
    image: { sourcePath: `/in/img_${i}.png`, sha256: i.toString(16).padStart(64, '0'), format: 'png', modality: 'xray', width: 384, height: 384, validation: { outcome: 'ok' } },
    pack: { name: 'ct', version: '1.0.0', fileHashes: { 'model.onnx': 'a'.repeat(64) } },
    provider: 'cpu',
    verdict: score >= 0.5 ? 'defect' : 'normal',
    score,
    threshold: 0.5,
    probabilities: { normal: 1 - score, defect: score },
    regions: [],
    explanation: null,
    timings: { inferenceMs: 40 },
    configHash: 'c'.repeat(64),
    createdAt: Date.now(),
  } as InferenceRecord;
}

interface Round {
  /** The case transaction (the station's hot path: one case per transaction). */
  caseMs: number;
  /** The writes after it: the MQTT acknowledgement and the findings row done. */
  afterMs: number;
  entries: number;
  verifyMs: number;
}

function run(withLedger: boolean, offset: number): Round {
  const dir = mkdtempSync(join(os.tmpdir(), 'inspector-bench-ledger-'));
  const store = HistoryStore.open(join(dir, 'h.sqlite'), { synchronous: SYNC });
  const ledger = new StationLedger(store);
  let caseMs = 0;
  let afterMs = 0;
  for (let c = 0; c < N; c++) {
    const i = 2 * (offset + c);
    const serial = `SN-${offset + c}`;
    const files: CaseFile[] = ['ct', 'surface'].map((view, k) => ({ view, path: `/in/${serial}_${view}.png`, name: `${serial}_${view}.png`, sha256: (i + k).toString(16).padStart(64, '0'), size: 1000, lastWriteMs: 0 }));
    const t0 = performance.now();
    store.write(() => {
      const runIds = store.recordInferences([record(i), record(i + 1)]).map((r) => r.runId);
      if (!withLedger) return;
      const r = buildResult({ resultId: `r-${serial}`, caseUid: `u-${serial}`, station: { id: 'ST01', line: 'L1' }, serial, lot: null, views: ['ct', 'surface'], files, trigger: 'folder', report: null, runIds, startedAt: 0, inspectStart: 0, now: Date.now() });
      ledger.insertCase(r, files, [
        { channel: 'mqtt', topic: 'inspector/ST01/result', payload: JSON.stringify(r) },
        { channel: 'findings', topic: '', payload: JSON.stringify({ watchDir: null, files, finish: files }) },
      ]);
    });
    const t1 = performance.now();
    caseMs += t1 - t0;
    if (withLedger) {
      ledger.markSent(ledger.nextUnsent('mqtt')!.id);
      store.write(() => ledger.findingsDone(`u-${serial}`));
      afterMs += performance.now() - t1;
    }
  }
  const v0 = performance.now();
  const rep = verifyAudit(store.db, readAnchor(store.file));
  const verifyMs = performance.now() - v0;
  if (!rep.ok) throw new Error(`bench history does not verify: ${rep.firstBreak?.code} ${rep.firstBreak?.message}`);
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return { caseMs: caseMs / N, afterMs: afterMs / N, entries: rep.entries, verifyMs };
}

const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`station ledger hot path, ${N} cases per round, ${ROUNDS} rounds, synchronous = ${SYNC}; load average at start ${load()}`);
const ref: number[] = [];
const led: number[] = [];
const after: number[] = [];
for (let k = 0; k < ROUNDS; k++) {
  const a = run(false, k * N);
  const b = run(true, k * N);
  ref.push(a.caseMs);
  led.push(b.caseMs);
  after.push(b.afterMs);
  console.log(
    `round ${k + 1}: case transaction, runs only ${a.caseMs.toFixed(3)} ms  |  runs + ledger ${b.caseMs.toFixed(3)} ms (ratio ${(b.caseMs / a.caseMs).toFixed(2)}×)  |  ack + findings done ${b.afterMs.toFixed(3)} ms  |  ${b.entries} entries, verify ${b.verifyMs.toFixed(0)} ms`,
  );
}
const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
console.log(
  `median per case: runs only ${med(ref).toFixed(3)} ms, runs + ledger ${med(led).toFixed(3)} ms (ratio ${(med(led) / med(ref)).toFixed(2)}×), ack + findings done ${med(after).toFixed(3)} ms; load average at end ${load()}`,
);
