/**
 * Where the Evaluate room counts the live confusion: in the renderer on the images it already has
 * (`countsAt`, one pass) or by asking the host per slider move (`evaluation.propose` with a
 * manual threshold: zod in, the core's count, zod out, a structured clone each way — the host's
 * share of an IPC round trip; Electron's process hop comes on top and is not measured here).
 * Also the one-off price of the renderer way: the images carried with the results (zod + clone).
 * Medians of repeated runs; ratio = host round trip / renderer count.
 */
import { chooseThreshold } from '../../src/core/evaluation/tradeoff';
import { countsAt, countsRanked, rank } from '../../src/renderer/src/evaluate/tradeoff';
import { contract } from '../../src/shared/contract';
import { TradeoffImage } from '../../src/shared/evaluation';
import { z } from 'zod';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
function time(fn: () => void, reps: number): number {
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return median(out);
}

console.log('images   renderer: one pass (ms)   ranked (ms)   host round trip w/o hop (ms)   host / ranked   images carried once: clone (ms)  + zod check (ms)');
for (const n of [1_000, 10_000, 100_000]) {
  const images = Array.from({ length: n }, (_, i) => ({ runId: i + 1, path: `/set/class/${i}.png`, label: i % 3 ? 'normal' : 'crack', truth: (i % 3 ? 0 : 1) as 0 | 1, predicted: 'normal', score: Math.random(), bin: 0 }));
  const truth = images.map((i) => i.truth);
  const scores = images.map((i) => i.score);
  let t = 0.5;
  const renderer = time(() => {
    t = (t + 0.37) % 1;
    countsAt(images, t);
  }, 101);
  const ranked = rank(images);
  const fast = time(() => {
    t = (t + 0.37) % 1;
    countsRanked(ranked, t);
  }, 1001);
  const host = time(() => {
    t = (t + 0.37) % 1;
    const input = contract['evaluation.propose'].input.parse(structuredClone({ evaluationId: 1, pack: 'p', choice: { kind: 'manual', threshold: t } }));
    const out = chooseThreshold(truth, scores, input.choice);
    structuredClone(contract['evaluation.propose'].output.parse(out));
  }, 101);
  const clone = time(() => void structuredClone(images), n >= 100_000 ? 5 : 21);
  const zod = time(() => void z.array(TradeoffImage).parse(images), n >= 100_000 ? 5 : 21);
  console.log(
    `${String(n).padStart(7)}   ${renderer.toFixed(3).padStart(22)}   ${fast.toFixed(4).padStart(11)}   ${host.toFixed(3).padStart(28)}   ${(host / fast).toFixed(0).padStart(13)}   ${clone.toFixed(1).padStart(31)}   ${zod.toFixed(1).padStart(15)}`,
  );
}
