/**
 * Where a surface-anomaly inspection's time goes (the external side of the line-demo: the
 * surface-pitting-ae autoencoder, 160×400, 1 − SSIM in luma, Gaussian blur, input guard over three
 * activation tensors). Stages are timed one by one on the line-demo surface photos, in the order the
 * engine runs them, then the whole `Engine.inspectFiles` for comparison. The post-processing
 * (SSIM residual + blur) is also run through the plain-loop reference in the same run and the
 * ratio printed, with the largest difference of the maps (must stay at float rounding).
 *   npm run bench -- anomaly-profile        (INSPECTOR_BENCH_ROUNDS=N, default 15)
 */
import os from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { anomalySession } from '../../src/core/anomaly/anomaly';
import { gaussianBlur } from '../../src/core/anomaly/gaussian';
import { referenceBlur, referenceResidual } from '../../src/core/anomaly/reference';
import { residualMap } from '../../src/core/anomaly/residual';
import { Engine } from '../../src/core/engine/engine';
import { loadImage } from '../../src/core/engine/image';
import { batchInput } from '../../src/core/engine/preprocess';
import { guardImages, guardTensors } from '../../src/core/guard/guard';
import { makeHeatMap, normalised, resizeMap } from '../../src/core/explain/scale';
import { findRegions } from '../../src/core/regions/regions';
import { loadPack } from '../../src/core/packs/load';

const root = join(import.meta.dirname, '..', '..');
const ROUNDS = Number(process.env['INSPECTOR_BENCH_ROUNDS'] ?? 15);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const pack = loadPack(join(root, 'models', 'surface-pitting-ae'));
const a = pack.manifest.anomaly!;
const files = ['cell-001', 'cell-002', 'cell-003', 'cell-004'].map((c) => join(root, 'resources', 'samples', 'line-demo', `${c}_surface.jpg`));
const engine = new Engine();
const tensors = guardTensors(pack);
const es = await anomalySession(pack, engine.cache, engine.settings, tensors);
await engine.inspectFiles(pack, files.slice(0, 1)); // warm the engine's sessions

const t: Record<string, number[]> = {};
const time = async <T>(stage: string, f: () => T | Promise<T>): Promise<T> => {
  const t0 = performance.now();
  const r = await f();
  (t[stage] ??= []).push(performance.now() - t0);
  return r;
};
let maxDiff = 0;
for (let r = 0; r < ROUNDS; r++) {
  const file = files[r % files.length]!;
  const img = await time('read + decode (sharp)', () => loadImage(file));
  const { data, dims } = await time('resize + layout (batchInput)', () => batchInput([img], pack.manifest.input));
  const out = await time('ONNX run (+ guard tensors)', () => es.session.run({ [pack.manifest.input.name]: new ort.Tensor('float32', data, dims) }, [...new Set(['reconstruction', ...tensors])]));
  const recon = out['reconstruction']!.data as Float32Array;
  const [, , h, w] = dims as [number, number, number, number];
  const res = await time('1 − SSIM residual (luma)', () => residualMap(data, recon, dims, 0, a.residual));
  const blurred = await time('Gaussian blur', () => gaussianBlur(res, w, h, a.sigma));
  const map = await time('heat map (makeHeatMap)', () => makeHeatMap(blurred, w, h, undefined));
  await time('regions (map → image size, find)', () => findRegions(normalised(resizeMap(map, img.width, img.height)), img.width, img.height, { threshold: 0.5, minArea: Math.round(img.width * img.height * 0.001), maxRegions: 20 }));
  await time('guard (Mahalanobis ×3)', () => guardImages(pack, [img], { cache: engine.cache, activations: Object.fromEntries(tensors.map((n) => [n, out[n]!])), input: { data, dims } }));
  // The plain-loop reference of the same post-processing (the pre-optimisation code).
  const refRes = await time('reference: SSIM residual', () => referenceResidual(data, recon, dims, 0, a.residual));
  const refBlur = await time('reference: Gaussian blur', () => referenceBlur(refRes, w, h, a.sigma));
  for (let i = 0; i < blurred.length; i++) maxDiff = Math.max(maxDiff, Math.abs(blurred[i]! - refBlur[i]!));
  await time('whole Engine.inspectFiles', () => engine.inspectFiles(pack, [file]));
}
await engine.close();
console.log(`surface-pitting-ae, ${ROUNDS} rounds over the 4 line-demo surface photos (800×326 → 160×400); median ms; ${os.cpus().length} CPU threads, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const [k, v] of Object.entries(t)) console.log(`  ${k.padEnd(32)} ${median(v).toFixed(1).padStart(7)} ms`);
const post = median(t['1 − SSIM residual (luma)']!) + median(t['Gaussian blur']!);
const refPost = median(t['reference: SSIM residual']!) + median(t['reference: Gaussian blur']!);
console.log(`  post-processing (SSIM + blur): ${post.toFixed(1)} ms vs reference ${refPost.toFixed(1)} ms: ratio ${(refPost / post).toFixed(2)}× faster; largest map difference ${maxDiff.toExponential(2)}`);
const whole = median(t['whole Engine.inspectFiles']!);
console.log(`  whole inspection ${whole.toFixed(1)} ms; with the reference post-processing it would be ≈ ${(whole - post + refPost).toFixed(1)} ms: ratio ${((whole - post + refPost) / whole).toFixed(2)}×`);
