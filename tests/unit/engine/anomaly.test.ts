import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAnomaly } from '../../../src/core/anomaly/anomaly';
import { gaussianKernel } from '../../../src/core/anomaly/gaussian';
import { normaliseScore } from '../../../src/core/anomaly/normalise';
import { Engine } from '../../../src/core/engine/engine';
import { loadImage } from '../../../src/core/engine/image';
import { SessionCache } from '../../../src/core/engine/session';
import { normalised } from '../../../src/core/explain/scale';
import { calibratePack } from '../../../src/core/packs/calibrate';
import { createPack } from '../../../src/core/packs/create';
import { imageDir, maxAbsDiff, onnxDir, readRef, scratch } from './support';

const cache = new SessionCache();
afterAll(() => cache.clear());
const settings = { providers: ['cpu'] };

interface AeRef { sigma: number; images: Record<string, { score: number; map: number[] | null }> }
interface AnomalibRef {
  metadata: Record<string, number>;
  images: Record<string, { rawScore: number; score: number; label: boolean; v2Score: number; mapMean: number; mapMax: number; size: [number, number] }>;
}

describe('autoencoder packs', () => {
  it('anomalib kernel size rule 2·int(4σ+0.5)+1', () => {
    expect(gaussianKernel(4).length).toBe(33);
    expect(gaussianKernel(2).length).toBe(17);
    expect(gaussianKernel(2).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('reconstruction error map and score equal the PyTorch formula (σ from the pack)', async () => {
    const ref = readRef<AeRef>('ae-mini.ref.json');
    const pack = await createPack({ onnx: join(onnxDir, 'ae-mini.onnx'), kind: 'anomaly', sigma: ref.sigma, out: scratch('ae') });
    expect(pack.manifest.anomaly?.format).toBe('autoencoder');
    const names = Object.keys(ref.images).filter((n) => !n.startsWith('wide'));
    const images = await Promise.all(names.map((f) => loadImage(join(imageDir, f))));
    const run = await runAnomaly(pack, images, { cache, settings });
    run.results.forEach((r, i) => {
      const e = ref.images[names[i]!]!;
      expect(Math.abs(r.rawScore! - e.score) / e.score).toBeLessThan(1e-4);
      if (e.map) expect(maxAbsDiff(r.map.data, e.map) / e.score).toBeLessThan(1e-4);
      // Uncalibrated: no threshold, so no decision and no normalised score.
      expect(r.score).toBeUndefined();
    });
  });

  it('calibration derives mean + k·std thresholds and normalises with the threshold at 0.5', async () => {
    const ref = readRef<AeRef>('ae-mini.ref.json');
    const normalDir = scratch('ae-normal-images');
    const normals = Object.keys(ref.images).filter((n) => n.startsWith('normal'));
    for (const n of normals) copyFileSync(join(imageDir, n), join(normalDir, n));
    const pack = await createPack({
      onnx: join(onnxDir, 'ae-mini.onnx'),
      kind: 'anomaly',
      sigma: ref.sigma,
      out: scratch('ae-cal'),
      calibrate: (p) => calibratePack(p, { normalDir, threshold: 'mean-k-std', k: 2, percentile: 99 }),
    });
    const a = pack.manifest.anomaly!;
    const scores = normals.map((n) => ref.images[n]!.score);
    const mean = scores.reduce((s, v) => s + v, 0) / scores.length;
    const std = Math.sqrt(scores.reduce((s, v) => s + (v - mean) ** 2, 0) / scores.length);
    expect(a.imageThreshold!.value).toBeCloseTo(mean + 2 * std, 5);
    expect(a.imageThreshold!.derivation.stats).toMatchObject({ k: 2, n: scores.length });
    const img = await loadImage(join(imageDir, 'defect_4.png'));
    const [r] = (await runAnomaly(pack, [img], { cache, settings })).results;
    const [lo, hi] = a.normalisation!.scores;
    expect(r!.score).toBeCloseTo(normaliseScore(r!.rawScore!, a.imageThreshold!.value, lo, hi), 12);
    expect(r!.anomalous).toBe(r!.rawScore! >= a.imageThreshold!.value);
    // Displayed through its anchored scale, a map pixel equal to the pixel threshold sits at 0.5.
    const probe = { ...r!.map, data: Float32Array.of(a.pixelThreshold!.value), width: 1, height: 1 };
    expect(normalised(probe)[0]).toBeCloseTo(0.5, 5);
  });
});

describe('anomalib exports', () => {
  const ref = readRef<AnomalibRef>('anomalib.ref.json');
  const names = Object.keys(ref.images);

  it('v1: output + metadata.json thresholds and min/max give anomalib normalised scores', async () => {
    const pack = await createPack({ onnx: join(onnxDir, 'anomalib-v1', 'model.onnx'), kind: 'anomaly', out: scratch('v1') });
    expect(pack.manifest.anomaly?.format).toBe('anomalib-v1');
    expect(pack.manifest.files['metadata.json']).toMatch(/^[0-9a-f]{64}$/);
    const engine = new Engine(settings);
    const results = await engine.inspectFiles(pack, names.map((f) => join(imageDir, f)));
    results.forEach((r, i) => {
      const e = ref.images[names[i]!]!;
      expect(r.anomaly!.rawScore).toBeCloseTo(e.rawScore, 5);
      expect(r.anomaly!.score).toBeCloseTo(e.score, 5);
      expect(r.anomaly!.anomalous).toBe(e.label);
      expect(r.decision).toBe(e.label ? 'defect' : 'pass');
      const norm = normalised(r.anomaly!.map);
      expect(Math.max(...norm)).toBeCloseTo(e.mapMax, 4);
      expect(norm.reduce((s, v) => s + v, 0) / norm.length).toBeCloseTo(e.mapMean, 4);
      expect(r.image).toMatchObject({ width: e.size[1], height: e.size[0], format: 'png' });
      expect(r.image.sha256).toBe(createHash('sha256').update(readFileSync(join(imageDir, names[i]!))).digest('hex'));
    });
    await engine.close();
  });

  it('v2: named outputs are read as normalised by the graph', async () => {
    const pack = await createPack({ onnx: join(onnxDir, 'anomalib-v2', 'model.onnx'), kind: 'anomaly', out: scratch('v2') });
    expect(pack.manifest.anomaly?.format).toBe('anomalib-v2');
    const engine = new Engine(settings);
    const results = await engine.inspectFiles(pack, names.map((f) => join(imageDir, f)));
    results.forEach((r, i) => {
      const e = ref.images[names[i]!]!;
      expect(r.anomaly!.score).toBeCloseTo(e.v2Score, 5);
      expect(r.anomaly!.score).toBeCloseTo(e.score, 5);
      const map = r.anomaly!.map;
      expect(Math.max(...map.data)).toBeCloseTo(e.mapMax, 4);
      // Regions are in the original image's pixels, whatever the model's input size.
      for (const reg of r.regions) {
        expect(reg.x + reg.width).toBeLessThanOrEqual(e.size[1]);
        expect(reg.y + reg.height).toBeLessThanOrEqual(e.size[0]);
      }
    });
    await engine.close();
  });
});
