/**
 * Evaluation overhead and metric cost. (1) N images (default 1,000; INSPECTOR_BENCH_EVAL_N) of the
 * shipped CT samples, half labelled porosity, run through the battery CT pack twice in the same
 * worker: as a plain `batch` and as an `evaluate` (same engine and records, plus labels, metrics,
 * the evaluation record) — images/s and the overhead ratio (target ≤ 1.10). (2) The metrics of
 * 100,000 predictions (confusion, per-class P/R/F1 with 1,000-round bootstrap intervals, ROC-AUC
 * with its interval, AP, curves, calibration, threshold proposals) against scikit-learn computing
 * the point metrics (no intervals) on the same predictions, measured in the same run.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { evaluatePack, type PackFacts, type RecordedRun } from '../../src/core/evaluation/evaluate';
import { bootstrapCounts, bootstrapIntervals, perRound, seededRandom } from '../../src/core/evaluation/metrics/bootstrap';
import { countAuc, resampledAuc } from '../../src/core/evaluation/metrics/curves';
import type { LabelledSet } from '../../src/core/evaluation/sets/types';
import { runBatch } from '../../src/host/batch';
import { createHost } from '../../src/host/createHost';
import { runEvaluation } from '../../src/host/evaluate';
import { HistoryAccess } from '../../src/host/history';
import { nodeWorkerLauncher } from '../../src/host/nodeWorker';
import { appPaths } from '../../src/host/paths';

const N = Number(process.env['INSPECTOR_BENCH_EVAL_N'] ?? 1000);
const P = Number(process.env['INSPECTOR_BENCH_EVAL_PREDICTIONS'] ?? 100_000);
const ROUNDS = Number(process.env['INSPECTOR_BENCH_EVAL_ROUNDS'] ?? 2);
const dir = join(os.tmpdir(), `inspector-bench-evaluate-${process.pid}`);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const paths = appPaths();
const samples = join(paths.resourcesDir, 'samples', 'battery-ct-porosity');
const set = join(dir, 'set');
const files = { normal: ['ct_slice2_normal_1.png', 'ct_slice2_normal_2.png'], porosity: ['ct_slice2_porosity_1.png', 'ct_slice2_porosity_2.png'] };
// Cases of 10 images (a folder each), as a line's parts would be: progress and records per case.
for (let i = 0; i < N; i++) {
  const cls = i % 2 ? 'porosity' : 'normal';
  const d = join(set, cls, `part-${String(Math.floor(i / 20)).padStart(4, '0')}`);
  mkdirSync(d, { recursive: true });
  copyFileSync(join(samples, files[cls][i % 4 < 2 ? 0 : 1]!), join(d, `img-${String(i).padStart(5, '0')}.png`));
}

// INSPECTOR_BENCH_EVAL_N=0 times only the metrics.
const host = N > 0 ? createHost(paths, nodeWorkerLauncher(paths.appRoot), 'media:') : null;
const roots = [{ dir: paths.appModelsDir, source: 'app' as const }, { dir: paths.userModelsDir, source: 'user' as const }];
const pack = 'battery-ct-porosity';
if (host) try {
  // Warm-up: session creation and first-inference costs out of both timings.
  const warm = new HistoryAccess(join(dir, 'warm.sqlite'));
  await runBatch({ worker: host.worker, history: warm }, { paths: [join(set, 'normal', 'part-0000')], packs: [pack] });
  warm.close();

  const rounds: { batch: number; evaluate: number }[] = [];
  const outside: number[] = [];
  // Alternating which goes first, so file-cache and worker warm-up favour neither.
  const time = async (kind: 'batch' | 'evaluate', r: number) => {
    const h = new HistoryAccess(join(dir, `${kind}-${r}.sqlite`));
    const t = performance.now();
    if (kind === 'batch') await runBatch({ worker: host.worker, history: h }, { paths: [set], packs: [pack] });
    else {
      const r = await runEvaluation({ worker: host.worker, history: h, packRoots: roots }, { set, packs: [pack] });
      // What evaluate adds outside its batch (reading and hashing the set, metrics, the record):
      // the part of the ratio that is the evaluation's own, whatever the box's load does to the batch.
      outside.push((performance.now() - t) / 1000 - r.batch.seconds);
    }
    h.close();
    return (performance.now() - t) / 1000;
  };
  for (let r = 0; r < ROUNDS; r++) {
    const order: ('batch' | 'evaluate')[] = r % 2 ? ['evaluate', 'batch'] : ['batch', 'evaluate'];
    const got: Record<string, number> = {};
    for (const k of order) got[k] = await time(k, r);
    const batchS = got['batch']!;
    const evalS = got['evaluate']!;
    rounds.push({ batch: batchS, evaluate: evalS });
    console.log(`round ${r + 1} (${order.join(' first, ')}): batch ${batchS.toFixed(1)} s (${(N / batchS).toFixed(1)} images/s), evaluate ${evalS.toFixed(1)} s (${(N / evalS).toFixed(1)} images/s), ratio ${(evalS / batchS).toFixed(3)}`);
  }
  const best = { batch: Math.min(...rounds.map((r) => r.batch)), evaluate: Math.min(...rounds.map((r) => r.evaluate)) };
  const out = Math.min(...outside);
  console.log(`evaluate outside its batch (set read + hashed once, metrics, record): best ${out.toFixed(2)} s = ${((out / best.batch) * 100).toFixed(1)} % of the best batch time (rounds: ${outside.map((x) => x.toFixed(2)).join(', ')} s); load average ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  console.log(`\n${N} images, best of ${rounds.length}: batch ${(N / best.batch).toFixed(1)} images/s, evaluate ${(N / best.evaluate).toFixed(1)} images/s; evaluate / batch time = ${(best.evaluate / best.batch).toFixed(3)} (target ≤ 1.10)`);
} finally {
  host.close();
}

// --- metric computation at P predictions ---
const rand = seededRandom(3);
const y: number[] = [];
const s: number[] = [];
const runs: RecordedRun[] = [];
const images: LabelledSet['images'] = [];
for (let i = 0; i < P; i++) {
  const pos = rand() < 0.3 ? 1 : 0;
  const score = Math.min(1, Math.max(0, (pos ? 0.65 : 0.35) + (rand() - 0.5) * 0.8));
  y.push(pos);
  s.push(score);
  const path = `/set/${i}.png`;
  images.push({ path, label: pos ? 'porosity' : 'normal', boxes: [], polygons: [] });
  runs.push({ runId: i, path, caseKey: `c${i}`, pack: 'p', score, probabilities: { normal: 1 - score, porosity: score }, thresholds: { low: 0.5, high: 0.5 }, verdict: '', regions: [] });
}
const facts: PackFacts = { name: 'p', version: '1', kind: 'classifier', labels: ['normal', 'porosity'], normalLabels: ['normal'], identity: 'x' };
const lset: LabelledSet = { root: '/set', format: 'folders', classes: ['normal', 'porosity'], normalLabel: 'normal', images, identity: 'x' };
// Wall and CPU time: on a shared build box the wall clock mostly measures the other jobs.
const cpuS = (c: NodeJS.CpuUsage) => process.cpuUsage(c).user / 1e6;
let c = process.cpuUsage();
let t = performance.now();
const ev = evaluatePack(lset, runs, facts, 0);
const oursS = (performance.now() - t) / 1000;
const oursCpu = cpuS(c);
c = process.cpuUsage();
t = performance.now();
const pointOnly = evaluatePack(lset, runs, facts, 0, { bootstrapRounds: 0 });
const oursPointS = (performance.now() - t) / 1000;
const oursPointCpu = cpuS(c);
console.log(`\nmetrics of ${P} predictions: ${oursS.toFixed(2)} s (CPU ${oursCpu.toFixed(2)} s) with 1,000-round bootstrap intervals; ${oursPointS.toFixed(2)} s (CPU ${oursPointCpu.toFixed(2)} s) without (F1 ${ev.evaluation.binary.point.f1.toFixed(4)}, AUC ${pointOnly.evaluation.binary.rocAuc!.toFixed(4)})`);
console.log(`  bootstrap share: ${(oursS - oursPointS).toFixed(2)} s (CPU ${(oursCpu - oursPointCpu).toFixed(2)} s) for 1,000 rounds (draw counts, one sequential pass per statistic)`);
// Reference in the same run: the previous per-round method (n index draws, every statistic a
// random-access pass over the indices) on the binary statistics — precision, recall, F1, ROC-AUC —
// against the count method on the same statistics and seed; both give the same intervals.
{
  const R = 100;
  const yy = Uint8Array.from(y);
  const flagged = Uint8Array.from(s, (v) => (v >= 0.5 ? 1 : 0));
  const prf = (tp: number, fp: number, fn: number) => {
    const p = tp + fp ? tp / (tp + fp) : null;
    const r = tp + fn ? tp / (tp + fn) : null;
    return [p, r, r === null ? null : p === null || p + r === 0 ? 0 : (2 * p * r) / (p + r)];
  };
  const aucIdx = resampledAuc(y, s);
  const atIdx = perRound((idx) => {
    let tp = 0, fp = 0, fn = 0;
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k]!;
      if (flagged[i]) { if (yy[i]) tp++; else fp++; } else if (yy[i]) fn++;
    }
    return prf(tp, fp, fn);
  });
  let c0 = process.cpuUsage();
  const old = bootstrapIntervals(P, [(i, r) => atIdx(i, r)[0]!, (i, r) => atIdx(i, r)[1]!, (i, r) => atIdx(i, r)[2]!, aucIdx], { rounds: R });
  const oldS = cpuS(c0);
  const aucW = countAuc(y, s);
  c0 = process.cpuUsage();
  const now = bootstrapCounts(P, [(w) => {
    let tp = 0, fp = 0, fn = 0;
    for (let i = 0; i < w.length; i++) { const c = w[i]!; const f = flagged[i]!, u = yy[i]!; tp += c * (f & u); fp += c * (f & (1 - u)); fn += c * ((1 - f) & u); }
    return prf(tp, fp, fn);
  }, (w) => [aucW(w)]], { rounds: R });
  const newS = cpuS(c0);
  const same = JSON.stringify(old) === JSON.stringify([...now[0]!, now[1]![0]]);
  console.log(`  ${R} rounds of the binary P/R/F1 + ROC-AUC: CPU time, index resampling (previous method) ${oldS.toFixed(2)} s, draw counts ${newS.toFixed(2)} s: × ${(oldS / newS).toFixed(1)} faster; intervals identical: ${same}`);
}
const ref = join(dir, 'ref.json');
writeFileSync(ref, JSON.stringify({ y, s }));
const py = spawnSync(
  '/usr/bin/python3',
  [
    '-c',
    `import json,sys,time
import numpy as np
from sklearn import metrics as m
from sklearn.calibration import calibration_curve
d=json.load(open(sys.argv[1])); y=np.array(d["y"]); s=np.array(d["s"])
t=time.perf_counter()
p=(s>=0.5).astype(int)
m.confusion_matrix(y,p); m.precision_recall_fscore_support(y,p,zero_division=0); m.accuracy_score(y,p)
a=m.roc_auc_score(y,s); m.average_precision_score(y,s); m.roc_curve(y,s); m.precision_recall_curve(y,s); calibration_curve(y,s,n_bins=10)
print(f"{time.perf_counter()-t:.3f} {a:.4f}")`,
    ref,
  ],
  { encoding: 'utf8' },
);
if (py.status === 0) {
  const [refS, auc] = py.stdout.trim().split(' ');
  console.log(`reference: scikit-learn point metrics + curves on the same predictions ${Number(refS).toFixed(2)} s (AUC ${auc}); ours without intervals / sklearn = ${(oursPointS / Number(refS)).toFixed(2)}`);
} else console.log(`reference skipped: /usr/bin/python3 with python3-sklearn is absent (${py.stderr.split('\n').slice(-2).join(' ')})`);
rmSync(dir, { recursive: true, force: true });
