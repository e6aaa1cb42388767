/**
 * Anomaly packs: autoencoders (input → reconstruction; per-pixel residual, squared error averaged
 * over channels unless the pack names another (residual.ts), Gaussian-smoothed, image score = max
 * or mean) and anomalib exports — v1 (`output` map + metadata.json thresholds and min/max, normalised here) and v2 (`pred_score`, `pred_label`,
 * `anomaly_map`, `pred_mask`, normalised in the graph). Every result carries the score normalised
 * so the threshold sits at 0.5 (anomalib's convention), the raw values where they exist, and the map
 * at model resolution with the display scale that reproduces that normalisation.
 */
import * as ort from 'onnxruntime-node';
import { InspectorError } from '../../shared/errors';
import type { EngineImage } from '../engine/image';
import { batchInput } from '../engine/preprocess';
import type { EngineSession, SessionCache, SessionSettings } from '../engine/session';
import { createSession } from '../engine/session';
import { withExtraOutputs } from '../engine/onnx/model';
import { makeHeatMap, type HeatMap } from '../explain/scale';
import type { LoadedPack } from '../packs/load';
import type { ResidualSpec } from '../packs/manifest';
import { gaussianBlur } from './gaussian';
import { normaliseScore, rawDisplayRange } from './normalise';
import { residualMap } from './residual';

export interface AnomalyOutput {
  format: 'autoencoder' | 'anomalib-v1' | 'anomalib-v2';
  /** Raw image score (model units); absent for anomalib v2, whose graph normalises. */
  rawScore?: number;
  /** Normalised score in [0, 1]; 0.5 is the pack's threshold. Undefined when no threshold is known. */
  score?: number;
  anomalous?: boolean;
  /** Raw map at model resolution, its display scale anchored on the threshold when known. */
  map: HeatMap;
  /** Raw map value that is the pixel threshold (the scale's midpoint), when known. */
  pixelThreshold?: number;
  error?: { code: string; message: string };
}

export interface AnomalyRun {
  provider: string;
  providerAttempts: EngineSession['attempts'];
  results: AnomalyOutput[];
  timings: { preprocessMs: number; inferenceMs: number; postprocessMs: number };
  /** The `extraOutputs` asked for, from the same run, and the batch the model saw. */
  fetched: Record<string, ort.Tensor>;
  input: { data: Float32Array; dims: readonly number[] };
}

/** Raw map → per-image output with the pack's thresholds; shared by autoencoder and anomalib v1. */
function thresholded(pack: LoadedPack, rawMap: Float64Array, w: number, h: number, rawScore: number): AnomalyOutput {
  const a = pack.manifest.anomaly!;
  const it = a.imageThreshold?.value;
  const pt = a.pixelThreshold?.value ?? it;
  const norm = a.normalisation;
  const anchor = pt !== undefined && norm ? rawDisplayRange(pt, norm.maps[0], norm.maps[1]) : undefined;
  const map = makeHeatMap(rawMap, w, h, anchor ? { ...anchor, derivation: 'pixel threshold at 0.5, min–max of normal validation maps' } : undefined);
  const out: AnomalyOutput = { format: a.format, rawScore, map };
  if (pt !== undefined) out.pixelThreshold = pt;
  if (it !== undefined) {
    out.anomalous = rawScore >= it;
    if (norm) out.score = normaliseScore(rawScore, it, norm.scores[0], norm.scores[1]);
  }
  if (!Number.isFinite(rawScore) || !map.valid) {
    out.error = { code: 'MODEL_OUTPUT_NOT_FINITE', message: 'The model returned NaN or infinite values; the map is not shown.' };
    delete out.score;
    delete out.anomalous;
  }
  return out;
}

export function autoencoderMaps(input: Float32Array, recon: Float32Array, dims: readonly number[], sigma: number, score: 'max' | 'mean', residual?: ResidualSpec): { maps: Float64Array[]; scores: number[] } {
  const [n, , h, w] = dims as [number, number, number, number];
  const plane = h * w;
  const maps: Float64Array[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const sm = gaussianBlur(residualMap(input, recon, dims, i, residual), w, h, sigma);
    let s = score === 'max' ? -Infinity : 0;
    for (const v of sm) s = score === 'max' ? (v > s ? v : s) : s + v / plane;
    maps.push(sm);
    scores.push(s);
  }
  return { maps, scores };
}

/** `extraOutputs`: internal tensors (the input guard's activations) fetched by the same run. */
export async function anomalySession(pack: LoadedPack, cache: SessionCache, settings: SessionSettings, extraOutputs: readonly string[] = []): Promise<EngineSession> {
  const graphOutputs = new Set(pack.graph.outputs.map((o) => o.name));
  const extra = extraOutputs.filter((t) => !graphOutputs.has(t));
  const variant = extraOutputs.length ? `plain+${extraOutputs.join('+')}` : 'plain';
  return cache.get(`${pack.manifestSha256}:${variant}:${(settings.providers ?? []).join(',')}`, () => createSession(withExtraOutputs(pack.model, extra), settings));
}

export async function runAnomaly(
  pack: LoadedPack,
  images: readonly EngineImage[],
  opts: { cache: SessionCache; settings: SessionSettings; extraOutputs?: readonly string[] },
): Promise<AnomalyRun> {
  const m = pack.manifest;
  const a = m.anomaly;
  if (!a) throw new InspectorError('PACK_MANIFEST_INVALID', `${m.name} has no anomaly section.`);
  const extraOutputs = opts.extraOutputs ?? [];
  const es = await anomalySession(pack, opts.cache, opts.settings, extraOutputs);
  // The model's own outputs, in graph order: the extra tensors must not be mistaken for them below.
  const graphOutputs = pack.graph.outputs.map((o) => o.name);
  const ownOutputs = es.outputNames.filter((name) => graphOutputs.includes(name));
  const t0 = performance.now();
  const { data, dims } = batchInput(images, m.input);
  const t1 = performance.now();
  const out = await es.session.run({ [m.input.name]: new ort.Tensor('float32', data, dims) }, [...new Set([...ownOutputs, ...extraOutputs])]);
  const t2 = performance.now();
  const n = images.length;
  const byMeaning = (meaning: string) => {
    const spec = m.outputs.find((o) => o.meaning === meaning);
    return spec ? out[spec.name] : undefined;
  };
  const results: AnomalyOutput[] = [];
  if (a.format === 'autoencoder') {
    const recon = byMeaning('reconstruction');
    if (!recon || recon.data.length !== data.length) {
      throw new InspectorError('MODEL_OUTPUT_SHAPE', `The autoencoder's reconstruction [${recon?.dims.join(', ')}] does not match its input [${dims.join(', ')}].`);
    }
    const { maps, scores } = autoencoderMaps(data, recon.data as Float32Array, dims, a.sigma, a.score, a.residual);
    const [h, w] = m.input.size;
    maps.forEach((map, i) => results.push(thresholded(pack, map, w, h, scores[i]!)));
  } else if (a.format === 'anomalib-v1') {
    const mapT = byMeaning('anomaly_map') ?? out[ownOutputs[0]!]!;
    const [h, w] = mapT.dims.slice(-2) as [number, number];
    const plane = h * w;
    const second = ownOutputs.find((name) => name !== (m.outputs[0]?.name ?? '') && out[name]?.data.length === n);
    for (let i = 0; i < n; i++) {
      const map = Float64Array.from((mapT.data as Float32Array).subarray(i * plane, (i + 1) * plane));
      // v1 segmentation models give only the map; the image score is its maximum (OpenVINOInferencer).
      const score = second ? Number(out[second]!.data[i]) : map.reduce((s, v) => (v > s ? v : s), -Infinity);
      results.push(thresholded(pack, map, w, h, score));
    }
  } else {
    const mapT = byMeaning('anomaly_map');
    const scoreT = byMeaning('pred_score');
    const labelT = byMeaning('pred_label');
    if (!mapT || !scoreT) throw new InspectorError('PACK_UNKNOWN_OUTPUT', 'An anomalib v2 pack needs anomaly_map and pred_score outputs.');
    const [h, w] = mapT.dims.slice(-2) as [number, number];
    const plane = h * w;
    for (let i = 0; i < n; i++) {
      const map = makeHeatMap((mapT.data as Float32Array).subarray(i * plane, (i + 1) * plane), w, h, { low: 0, high: 1, derivation: 'anomalib v2: normalised in the graph, threshold at 0.5' });
      const score = Number(scoreT.data[i]);
      const r: AnomalyOutput = { format: 'anomalib-v2', score, anomalous: labelT ? Boolean(labelT.data[i]) : score > 0.5, map, pixelThreshold: 0.5 };
      if (!Number.isFinite(score) || !map.valid) {
        r.error = { code: 'MODEL_OUTPUT_NOT_FINITE', message: 'The model returned NaN or infinite values; the map is not shown.' };
        delete r.score;
        delete r.anomalous;
      }
      results.push(r);
    }
  }
  const t3 = performance.now();
  return {
    provider: es.provider,
    providerAttempts: es.attempts,
    results,
    timings: { preprocessMs: t1 - t0, inferenceMs: t2 - t1, postprocessMs: t3 - t2 },
    fetched: Object.fromEntries(extraOutputs.filter((t) => out[t]).map((t) => [t, out[t]!])),
    input: { data, dims },
  };
}
