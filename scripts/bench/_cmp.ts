import { evaluatePack as oldEval } from '/tmp/ev13/old/src/core/evaluation/evaluate';
import { evaluatePack as newEval, type PackFacts, type RecordedRun } from '/work/wt-eval/src/core/evaluation/evaluate';
import { seededRandom } from '/work/wt-eval/src/core/evaluation/metrics/bootstrap';
const P = Number(process.env.P ?? 100000), R = Number(process.env.R ?? 1000);
const rand = seededRandom(3);
const runs: RecordedRun[] = [];
const images: any[] = [];
for (let i = 0; i < P; i++) {
  const pos = rand() < 0.3 ? 1 : 0;
  const score = Math.min(1, Math.max(0, (pos ? 0.65 : 0.35) + (rand() - 0.5) * 0.8));
  const path = `/set/${i}.png`;
  images.push({ path, label: pos ? 'porosity' : 'normal', boxes: [], polygons: [] });
  runs.push({ runId: i, path, caseKey: `c${i}`, pack: 'p', score, probabilities: { normal: 1 - score, porosity: score }, thresholds: { low: 0.5, high: 0.5 }, verdict: '', regions: [] });
}
const facts: PackFacts = { name: 'p', version: '1', kind: 'classifier', labels: ['normal', 'porosity'], normalLabels: ['normal'], identity: 'x' };
const lset: any = { root: '/set', format: 'folders', classes: ['normal', 'porosity'], normalLabel: 'normal', images, identity: 'x' };
const time = (f: () => any) => { const c = process.cpuUsage(); const t = performance.now(); const v = f(); return { v, cpu: process.cpuUsage(c).user / 1e6, wall: (performance.now() - t) / 1000 }; };
const which = process.argv[2];
const f = which === 'old' ? oldEval : newEval;
const a = time(() => f(lset, runs, facts, 0, { bootstrapRounds: R }));
const b = time(() => f(lset, runs, facts, 0, { bootstrapRounds: 0 }));
const e = a.v.evaluation;
console.log(which, `R=${R}`, `cpu ${a.cpu.toFixed(2)} s (wall ${a.wall.toFixed(2)})`, `point-only cpu ${b.cpu.toFixed(2)} s`, JSON.stringify([e.binary.f1Ci, e.binary.rocAucCi, e.classification.perClass.map((c: any) => [c.f1Ci, c.rocAucCi]), e.classification.accuracyCi]));
