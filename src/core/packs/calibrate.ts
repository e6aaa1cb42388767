/**
 * Calibration at pack creation, from folders of normal (and optionally abnormal) images:
 *  - classifiers: the display scale is anchored at [0, p99 of the raw map pixels of normal images],
 *    so on every later image the same colour means the same evidence, unlike per-image min–max;
 *  - autoencoders: image and pixel thresholds (mean + k·std of normal errors, a percentile, or the
 *    F1-optimal score when abnormal images are given) and the min/max used to normalise to [0, 1].
 * The statistics that produced each number are written next to it in pack.yaml.
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { InspectorError } from '../../shared/errors';
import { autoencoderMaps } from '../anomaly/anomaly';
import { Engine, maxBatch } from '../engine/engine';
import { loadImage, type EngineImage } from '../engine/image';
import { batchInput } from '../engine/preprocess';
import { anomalySession } from '../anomaly/anomaly';
import { percentile } from '../explain/scale';
import * as ort from 'onnxruntime-node';
import type { LoadedPack } from './load';
import type { ManifestInput } from './manifest';

export interface CalibrationOptions {
  normalDir: string;
  abnormalDir?: string;
  threshold: 'mean-k-std' | 'percentile' | 'f1';
  k: number;
  percentile: number;
  /** At most this many images per folder (sorted by name). */
  limit?: number;
}

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp']);

export function listImages(dir: string, limit = 500): string[] {
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new InspectorError('FILE_NOT_FOUND', `No such folder: ${dir}`, { path: dir });
  return readdirSync(dir)
    .filter((f) => IMAGE_EXT.has(extname(f).toLowerCase()))
    .sort()
    .slice(0, limit)
    .map((f) => join(dir, f));
}

/** Min and max by a loop: `Math.min(...v)` overflows the call stack on millions of map pixels. */
export function extent(v: ArrayLike<number>, also?: number): [number, number] {
  let lo = also ?? Infinity;
  let hi = also ?? -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return [lo, hi];
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const std = (v: number[]) => {
  const m = mean(v);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
};

/** The score threshold with the best F1 on labelled scores (anomalib F1AdaptiveThreshold). */
export function f1Threshold(normal: number[], abnormal: number[]): { value: number; f1: number } {
  const candidates = [...normal, ...abnormal].sort((a, b) => a - b);
  let best = { value: extent(normal)[1], f1: 0 };
  for (const t of candidates) {
    const tp = abnormal.filter((s) => s >= t).length;
    const fp = normal.filter((s) => s >= t).length;
    const fn = abnormal.length - tp;
    const p = tp + fp ? tp / (tp + fp) : 0;
    const r = tp + fn ? tp / (tp + fn) : 0;
    const f1 = (2 * p * r) / (p + r + 1e-10);
    if (f1 > best.f1) best = { value: t, f1 };
  }
  return best;
}

async function loadAll(paths: string[]): Promise<EngineImage[]> {
  return Promise.all(paths.map((p) => loadImage(p)));
}

async function calibrateClassifier(pack: LoadedPack, opts: CalibrationOptions): Promise<Partial<ManifestInput>> {
  const m = pack.manifest;
  const method = m.explanation?.method ?? 'gradcam';
  if (method === 'none') return {};
  const engine = new Engine();
  try {
    const images = await loadAll(listImages(opts.normalDir, opts.limit));
    if (images.length === 0) throw new InspectorError('CALIBRATION_NO_IMAGES', `No images in ${opts.normalDir}.`);
    const results = await engine.inspectImages(pack, images, { method });
    const pixels: number[] = [];
    for (const r of results) if (r.explanation?.map.valid) for (const v of r.explanation.map.data) pixels.push(v);
    const p99 = percentile(pixels, 99);
    if (!(p99 > 0)) return {};
    return {
      explanation: {
        ...m.explanation!,
        scale: {
          mode: 'anchored',
          low: 0,
          high: p99,
          derivation: {
            method: `p99 of raw ${results[0]?.explanation?.method ?? method} map pixels (${m.explanation?.targetClass === 'defect' ? 'most probable defect label' : 'predicted class'}) over normal images`,
            stats: { n: results.length, p50: percentile(pixels, 50), p99, max: extent(pixels)[1] },
          },
        },
      },
    };
  } finally {
    await engine.close();
  }
}

async function autoencoderStats(pack: LoadedPack, paths: string[]) {
  const engine = new Engine();
  try {
    const es = await anomalySession(pack, engine.cache, {});
    const a = pack.manifest.anomaly!;
    const scores: number[] = [];
    const pixels: number[] = [];
    const batch = maxBatch(pack, 8);
    for (let s = 0; s < paths.length; s += batch) {
      const images = await loadAll(paths.slice(s, s + batch));
      const { data, dims } = batchInput(images, pack.manifest.input);
      const out = await es.session.run({ [pack.manifest.input.name]: new ort.Tensor('float32', data, dims) });
      const recon = out[pack.manifest.outputs[0]!.name]!.data as Float32Array;
      const r = autoencoderMaps(data, recon, dims, a.sigma, a.score, a.residual);
      for (const v of r.scores) scores.push(v);
      // Every 4th pixel: the statistics need a sample, not all of them.
      for (const map of r.maps) for (let i = 0; i < map.length; i += 4) pixels.push(map[i]!);
    }
    return { scores, pixels };
  } finally {
    await engine.close();
  }
}

async function calibrateAutoencoder(pack: LoadedPack, opts: CalibrationOptions): Promise<Partial<ManifestInput>> {
  const a = pack.manifest.anomaly!;
  const normal = await autoencoderStats(pack, listImages(opts.normalDir, opts.limit));
  if (normal.scores.length < 2) throw new InspectorError('CALIBRATION_NO_IMAGES', `Thresholds need at least 2 normal images in ${opts.normalDir}.`);
  const abnormal = opts.abnormalDir ? await autoencoderStats(pack, listImages(opts.abnormalDir, opts.limit)) : undefined;
  const n = normal.scores.length;
  let image: { value: number; derivation: { method: string; stats: Record<string, number> } };
  let pixel: typeof image;
  const kStd = (v: number[], what: string) => ({
    value: mean(v) + opts.k * std(v),
    derivation: { method: `mean + k·std of normal ${what}`, stats: { mean: mean(v), std: std(v), k: opts.k, n: v.length } },
  });
  const pct = (v: number[], what: string) => ({
    value: percentile(v, opts.percentile),
    derivation: { method: `percentile ${opts.percentile} of normal ${what}`, stats: { percentile: opts.percentile, n: v.length } },
  });
  if (opts.threshold === 'f1') {
    if (!abnormal) throw new InspectorError('USAGE', '--threshold f1 needs --abnormal DIR with defective images.');
    const best = f1Threshold(normal.scores, abnormal.scores);
    image = { value: best.value, derivation: { method: 'F1-optimal image score on normal + abnormal images', stats: { f1: best.f1, normal: n, abnormal: abnormal.scores.length } } };
    pixel = kStd(normal.pixels, 'map pixels');
  } else if (opts.threshold === 'percentile') {
    image = pct(normal.scores, 'image scores');
    pixel = pct(normal.pixels, 'map pixels');
  } else {
    image = kStd(normal.scores, 'image scores');
    pixel = kStd(normal.pixels, 'map pixels');
  }
  const allScores = [...normal.scores, ...(abnormal?.scores ?? [])];
  const allPixels = abnormal ? normal.pixels.concat(abnormal.pixels) : normal.pixels;
  // The normalisation must span the threshold, or everything saturates at one end.
  const span = (v: number[], t: number): [number, number] => {
    const [lo, max] = extent(v, t);
    let hi = max;
    if (hi - lo < 1e-12) hi = lo + 1e-6;
    return [lo, hi];
  };
  return {
    anomaly: {
      ...a,
      imageThreshold: image,
      pixelThreshold: pixel,
      normalisation: { scores: span(allScores, image.value), maps: span(allPixels, pixel.value) },
    },
  };
}

export async function calibratePack(pack: LoadedPack, opts: CalibrationOptions): Promise<Partial<ManifestInput> | undefined> {
  const m = pack.manifest;
  if (m.kind === 'classifier') return calibrateClassifier(pack, opts);
  if (m.kind === 'anomaly' && m.anomaly?.format === 'autoencoder') return calibrateAutoencoder(pack, opts);
  return undefined;
}
