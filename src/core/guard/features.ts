/**
 * What the guard measures on an image, through the pack's own preprocessing (the same resize,
 * colour conversion and normalisation as inference, `batchInput`):
 *  - the embedding: the global average of an internal 4-D activation (a classifier's Grad-CAM
 *    target, the input of its pooling head; an autoencoder's deepest encoder activation);
 *  - the intensity histogram of the model's view (32 bins of gray/luma in [0, 1], square-rooted
 *    so a Gaussian on it behaves like the Hellinger distance between histograms);
 *  - the model's own confidence: max softmax probability and energy (−logsumexp of the logits);
 *  - the colour content of the decoded image (mean of the largest channel difference).
 */
import * as ort from 'onnxruntime-node';
import type { EngineImage } from '../engine/image';
import { withExtraOutputs, type OnnxGraph } from '../engine/onnx/model';
import { batchInput } from '../engine/preprocess';
import type { EngineSession, SessionCache, SessionSettings } from '../engine/session';
import { createSession } from '../engine/session';
import type { LoadedPack } from '../packs/load';

export const HISTOGRAM_BINS = 32;

export interface GuardFeatures {
  /** One global-average vector per embedding tensor, in the order of `tensors`. */
  embedding: Float64Array[];
  tensors: readonly string[];
  histogram: Float64Array;
  /** Classifiers only. */
  maxProbability?: number;
  energy?: number;
  /** Mean over pixels of max |channel difference|, in [0, 1]; 0 for one-channel images. */
  chroma: number;
}

const ACTIVATIONS = new Set(['Relu', 'LeakyRelu', 'Elu', 'Selu', 'Sigmoid', 'Tanh', 'HardSwish', 'Mish', 'Gelu', 'PRelu', 'Clip']);

/**
 * The embedding tensor when the pack does not name one: a classifier's explanation target (the
 * activation its pooling head averages); otherwise the first activation, in graph order, at the
 * smallest spatial size of any 4-D activation — an autoencoder's bottleneck side of the encoder.
 * Spatial sizes are only known at run time, so candidates are measured on one probe run.
 */
export async function embeddingTensor(pack: LoadedPack, settings: SessionSettings = {}): Promise<string> {
  const target = pack.manifest.explanation?.target;
  if (pack.manifest.kind === 'classifier' && target) return target;
  const graph: OnnxGraph = pack.graph;
  const candidates = graph.nodes.filter((n) => ACTIVATIONS.has(n.opType)).map((n) => n.outputs[0]!).filter(Boolean);
  const es = await createSession(withExtraOutputs(pack.model, candidates), settings);
  try {
    const [h, w] = pack.manifest.input.size;
    const probe: EngineImage = { width: w, height: h, channels: 3, data: new Float32Array(w * h * 3).fill(0.5), source: 'probe' };
    const { data, dims } = batchInput([probe], pack.manifest.input);
    const out = await es.session.run({ [pack.manifest.input.name]: new ort.Tensor('float32', data, dims) }, candidates);
    let best: { name: string; area: number } | undefined;
    for (const name of candidates) {
      const t = out[name];
      if (!t || t.dims.length !== 4) continue;
      const area = Number(t.dims[2]) * Number(t.dims[3]);
      if (!best || area < best.area) best = { name, area };
    }
    if (!best) throw new Error(`${pack.manifest.name}: no 4-D activation to take an embedding from; give --embedding TENSOR`);
    return best.name;
  } finally {
    await es.session.release();
  }
}

export function guardSession(pack: LoadedPack, tensors: readonly string[], cache: SessionCache, settings: SessionSettings): Promise<EngineSession> {
  const key = `${pack.manifestSha256}:guard:${tensors.join('+')}:${(settings.providers ?? []).join(',')}`;
  return cache.get(key, () => createSession(withExtraOutputs(pack.model, tensors), settings));
}

/**
 * The block outputs up to the deepest embedding tensor: the activations read by two or more nodes
 * (a residual block's output feeds the next block and its shortcut; an encoder stage with a skip
 * feeds the next stage and the decoder), plus the deepest. A block's inner activation, read by one
 * Conv, is left out. Lee et al. (2018) likewise combine a few layers' Gaussians.
 */
export function layerTensors(pack: LoadedPack, deepest: string): string[] {
  const graph = pack.graph;
  const consumers = new Map<string, string[]>();
  for (const n of graph.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n.opType]);
  const acts = graph.nodes.filter((n) => ACTIVATIONS.has(n.opType)).map((n) => n.outputs[0]!);
  const stop = acts.indexOf(deepest);
  const upTo = stop >= 0 ? acts.slice(0, stop + 1) : acts;
  const blocks = upTo.filter((t) => t === deepest || (consumers.get(t) ?? []).length >= 2);
  return blocks.length ? blocks : [deepest];
}

function chromaOf(img: EngineImage): number {
  if (img.channels === 1) return 0;
  const n = img.width * img.height;
  const step = Math.max(1, Math.floor(n / 20000));
  let s = 0;
  let k = 0;
  for (let i = 0; i < n; i += step) {
    const r = img.data[i * 3]!;
    const g = img.data[i * 3 + 1]!;
    const b = img.data[i * 3 + 2]!;
    s += Math.max(Math.abs(r - g), Math.abs(g - b), Math.abs(r - b));
    k++;
  }
  return s / k;
}

/** Histogram of the model's view, undoing the manifest's range/mean/std so bins are in [0, 1]. */
function histogramOf(data: Float32Array, offset: number, pack: LoadedPack): Float64Array {
  const spec = pack.manifest.input;
  const [h, w] = spec.size;
  const plane = h * w;
  const c = spec.channels;
  const mean = spec.mean ?? new Array(c).fill(0);
  const std = spec.std ?? new Array(c).fill(1);
  const [r0, r1] = spec.range;
  const at = (ch: number, i: number) => {
    const v = data[offset + (spec.layout === 'NCHW' ? ch * plane + i : i * c + ch)]!;
    return (v * std[ch]! + mean[ch]! - r0) / (r1 - r0);
  };
  const bins = new Float64Array(HISTOGRAM_BINS);
  for (let i = 0; i < plane; i++) {
    const v = c === 1 ? at(0, i) : 0.299 * at(spec.colour === 'bgr' ? 2 : 0, i) + 0.587 * at(1, i) + 0.114 * at(spec.colour === 'bgr' ? 0 : 2, i);
    bins[Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor(v * HISTOGRAM_BINS)))]! += 1;
  }
  for (let b = 0; b < HISTOGRAM_BINS; b++) bins[b] = Math.sqrt(bins[b]! / plane);
  return bins;
}

function logSumExp(v: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < v.length; i++) m = Math.max(m, v[i]!);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.exp(v[i]! - m);
  return m + Math.log(s);
}

/** Confidence scores from one image's logits (classifiers). */
export function confidenceOf(logits: ArrayLike<number>): { maxProbability: number; energy: number } {
  const lse = logSumExp(logits);
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i]!);
  return { maxProbability: Math.exp(m - lse), energy: -lse };
}

/**
 * One forward pass that fetches only the embedding tensor (and, with `withLogits`, the class output):
 * onnxruntime runs only the nodes those outputs need, so for an autoencoder only the encoder runs.
 */
export async function extractFeatures(
  pack: LoadedPack,
  images: readonly EngineImage[],
  tensors: readonly string[],
  opts: { cache: SessionCache; settings?: SessionSettings; withLogits?: boolean },
): Promise<GuardFeatures[]> {
  const m = pack.manifest;
  const es = await guardSession(pack, tensors, opts.cache, opts.settings ?? {});
  const { data, dims } = batchInput(images, m.input);
  const logitsName = m.kind === 'classifier' ? m.outputs.find((o) => o.meaning === 'logits' || o.meaning === 'probabilities')?.name : undefined;
  const fetches = [...tensors, ...(opts.withLogits && logitsName ? [logitsName] : [])];
  const out = await es.session.run({ [m.input.name]: new ort.Tensor('float32', data, dims) }, fetches);
  const n = images.length;
  const per = dims.slice(1).reduce((x, y) => x * y, 1);
  const logits = logitsName && out[logitsName] ? (out[logitsName]!.data as Float32Array) : undefined;
  const classes = logits ? logits.length / n : 0;
  const res: GuardFeatures[] = [];
  for (let i = 0; i < n; i++) {
    const embedding = tensors.map((t) => {
      const act = out[t]!;
      const [, k, ah, aw] = act.dims.map(Number) as [number, number, number, number];
      const a = act.data as Float32Array;
      const e = new Float64Array(k);
      const area = ah * aw;
      for (let c = 0; c < k; c++) {
        let s = 0;
        const base = (i * k + c) * area;
        for (let p = 0; p < area; p++) s += a[base + p]!;
        e[c] = s / area;
      }
      return e;
    });
    const f: GuardFeatures = { embedding, tensors, histogram: histogramOf(data, i * per, pack), chroma: chromaOf(images[i]!) };
    if (logits) {
      const row = logits.subarray(i * classes, (i + 1) * classes);
      // A probabilities output has no logits: its log is a logit up to a constant, which MSP and energy ignore or shift.
      const asLogits = m.outputs.find((o) => o.name === logitsName)?.meaning === 'probabilities' ? Array.from(row, (p) => Math.log(Math.max(p, 1e-12))) : row;
      Object.assign(f, confidenceOf(asLogits));
    }
    res.push(f);
  }
  return res;
}

/** The features that need no model run (histogram, colour); the embedding is left empty. */
export function inputFeatures(pack: LoadedPack, img: EngineImage): GuardFeatures {
  const { data } = batchInput([img], pack.manifest.input);
  return { embedding: [], tensors: [], histogram: histogramOf(data, 0, pack), chroma: chromaOf(img) };
}
