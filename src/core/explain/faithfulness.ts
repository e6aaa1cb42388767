/**
 * A trust figure per heatmap (issue #15 §3): does removing what the map points at change the
 * model's score more than removing random regions of the same size?
 *
 * In the spirit of pytorch-grad-cam's perturbation metrics (metrics/perturbation_confidence.py
 * `RemoveMostRelevantFirst`, metrics/road.py ROAD; Rong et al. 2022): the most relevant
 * `topPercent` % of the map (upsampled to the model input) is removed from the model input and
 * the explained class re-scored; the same is done for `randomMasks` random regions: the map's own
 * region moved to random places (same pixel count and shape — an earlier try with pytorch-grad-cam's
 * RandomCAM noise gave scattered small blobs, which the model reacts to differently from one filled
 * patch, so the comparison measured the patch's shape, not the map's place). All perturbed inputs of
 * a batch go through the model in as few forward passes as the input's batch dimension allows.
 *
 * The score is the explained class's *log-odds* L = ln(p / (1 − p)), computed from the logits
 * (softmax: z_c − logsumexp of the others; sigmoid: z_c), not its probability: a confident model
 * sits at p = 1.000 where removing half the evidence still reads 1.000 (measured on the battery
 * pack: most held-out views), while the log-odds fall with the evidence.
 *
 *   mapDrop    = L − L(map's top k % removed)
 *   randomDrop = mean over r of (L − L(random top k % removed))
 *   figure     = (mapDrop − randomDrop) / max(L, 1)   (share of the class's evidence the map's
 *                                                       region carries beyond a random region)
 *   verdict    = strong when figure ≥ STRONG_AT, weak otherwise; not-applicable when the explained
 *                class's probability is below MIN_SCORE (no evidence to take away).
 *
 * Departures, on purpose (cost): ROAD fills removed pixels by noisy linear imputation, a sparse
 * linear solve per image (scipy spsolve) — too slow for the inspection path and there is no
 * maintained TypeScript solver for it. Here removed pixels are filled by *normalised convolution*
 * (a box mean of the kept pixels around them, via summed-area tables, O(pixels)): like ROAD it
 * fills from the neighbourhood so the mask's edge carries little shape information, and it falls
 * back to the image's kept mean where a removed blob is wider than the box. Random maps come from
 * a fixed-seed generator, so the figure is reproducible from the recorded run.
 */
import { resizeBilinear } from '../evaluation/maps';
import { seededRandom } from '../../shared/random';
import type { BatchForward } from './scorecam';

export const TRUST_METRIC = 'deletion-vs-random';
export const TOP_PERCENT = 10;
export const RANDOM_MASKS = 4;
/** figure at or above this: "strong". Chosen on the battery pack vs its randomly initialised twin (docs/EXPLANATIONS.md). */
export const STRONG_AT = 0.2;
/** Explained-class probability below this: the map has nothing to explain (not applicable). */
export const MIN_SCORE = 0.1;
const SEED = 0x15a3;

export type TrustVerdict = 'strong' | 'weak' | 'not-applicable';

export interface TrustFigure {
  metric: typeof TRUST_METRIC;
  topPercent: number;
  randomMasks: number;
  /** Probability of the explained class on the unchanged input. */
  score: number;
  /** Its log-odds on the unchanged input (the drops are in these units). */
  logOdds: number;
  mapDrop: number;
  randomDrop: number;
  /** (mapDrop − randomDrop) / score; null when not applicable. */
  figure: number | null;
  verdict: TrustVerdict;
  /** Why not applicable (or why weak for an empty map). */
  reason?: string;
}

export interface TrustItem {
  /** The raw map at its own resolution (the explanation's). */
  map: ArrayLike<number>;
  mapWidth: number;
  mapHeight: number;
  targetClass: number;
  /** The explained class's probability on the unchanged input (from the main run). */
  score: number;
  /** The class output row of the unchanged input (from the main run). */
  output: readonly number[];
}

export interface TrustBatch {
  /** The batch the model saw, NCHW. */
  input: Float32Array;
  dims: readonly number[];
  items: readonly TrustItem[];
  forward: BatchForward;
  /** How the class output reads (the pack's decision.activation, or probabilities already). */
  output: 'softmax' | 'sigmoid' | 'probabilities';
  /** The input's fixed batch size, when the graph has one: every forward gets exactly that many rows. */
  fixedBatch?: number;
  /** Rows per forward pass otherwise. */
  batchSize?: number;
  topPercent?: number;
  randomMasks?: number;
}

const clampP = (p: number) => Math.min(1 - 1e-7, Math.max(1e-7, p));

/** Log-odds of class c from one class output row. */
export function logOdds(row: ArrayLike<number>, c: number, output: TrustBatch['output']): number {
  if (output === 'sigmoid') return row[c]!;
  if (output === 'probabilities') {
    const p = clampP(row[c]!);
    return Math.log(p / (1 - p));
  }
  let max = -Infinity;
  for (let j = 0; j < row.length; j++) if (j !== c) max = Math.max(max, row[j]!);
  if (max === -Infinity) return row[c]!;
  let s = 0;
  for (let j = 0; j < row.length; j++) if (j !== c) s += Math.exp(row[j]! - max);
  return row[c]! - (max + Math.log(s));
}

/**
 * Exactly `count` pixels: the highest of `values`, ties at the cut broken by `jitter` (so a flat or
 * empty map does not remove the image's first rows, it removes a random set of its tied pixels).
 * The cut comes from a native typed-array sort (a comparator sort of indices was ~10× slower).
 */
export function topPixels(values: ArrayLike<number>, count: number, jitter: (i: number) => number): Uint8Array {
  const n = values.length;
  const removed = new Uint8Array(n);
  if (count <= 0) return removed;
  const sorted = Float64Array.from(values).sort();
  const cut = sorted[Math.max(0, n - count)]!;
  let taken = 0;
  const tied: number[] = [];
  for (let i = 0; i < n; i++) {
    if (values[i]! > cut) {
      removed[i] = 1;
      taken++;
    } else if (values[i] === cut) tied.push(i);
  }
  if (taken + tied.length > count) {
    const keys = tied.map((i) => jitter(i));
    const order = tied.map((_, k) => k).sort((x, y) => keys[y]! - keys[x]!);
    for (let k = 0; taken < count; k++, taken++) removed[tied[order[k]!]!] = 1;
  } else for (const i of tied) removed[i] = 1;
  return removed;
}

/**
 * The same region moved by a random offset of a quarter to three quarters of the image each way,
 * wrapping at the edges: a random region of exactly the map's size *and shape*, so what the
 * removal itself does to the model (a filled patch of that shape) is the same for both.
 */
export function shifted(region: Uint8Array, W: number, H: number, next: () => number): Uint8Array {
  const dx = Math.floor(W / 4 + next() * (W / 2));
  const dy = Math.floor(H / 4 + next() * (H / 2));
  const out = new Uint8Array(region.length);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (region[y * W + x]) out[((y + dy) % H) * W + ((x + dx) % W)] = 1;
  return out;
}

/** Summed-area table of a W × H plane, counting only kept pixels (one row/column of zeros in front). */
function integral(src: ArrayLike<number> | null, removed: Uint8Array, W: number, H: number): Float64Array {
  const w = W + 1;
  const s = new Float64Array(w * (H + 1));
  for (let y = 0; y < H; y++) {
    let row = 0;
    const o = y * W;
    for (let x = 0; x < W; x++) {
      if (!removed[o + x]) row += src ? src[o + x]! : 1;
      s[(y + 1) * w + x + 1] = s[y * w + x + 1]! + row;
    }
  }
  return s;
}

function boxSum(s: Float64Array, W: number, H: number, x: number, y: number, r: number): number {
  const x0 = x - r < 0 ? 0 : x - r;
  const y0 = y - r < 0 ? 0 : y - r;
  const x1 = x + r + 1 > W ? W : x + r + 1;
  const y1 = y + r + 1 > H ? H : y + r + 1;
  const w = W + 1;
  return s[y1 * w + x1]! - s[y0 * w + x1]! - s[y1 * w + x0]! + s[y0 * w + x0]!;
}

/** One image (C × H × W) with the removed pixels filled by the box mean of the kept pixels around them. */
export function removePixels(image: Float32Array, C: number, H: number, W: number, removed: Uint8Array, out: Float32Array, offset: number): void {
  const plane = H * W;
  const r = Math.max(2, Math.round(Math.max(H, W) / 8));
  out.set(image.subarray(0, C * plane), offset);
  const holes: number[] = [];
  for (let i = 0; i < plane; i++) if (removed[i]) holes.push(i);
  if (!holes.length) return;
  const keepSum = integral(null, removed, W, H);
  const kept = plane - holes.length;
  const counts = holes.map((i) => boxSum(keepSum, W, H, i % W, (i / W) | 0, r));
  for (let c = 0; c < C; c++) {
    const src = image.subarray(c * plane, (c + 1) * plane);
    const valSum = integral(src, removed, W, H);
    const mean = kept ? valSum[valSum.length - 1]! / kept : 0;
    const base = offset + c * plane;
    holes.forEach((i, k) => {
      const n = counts[k]!;
      out[base + i] = n > 0 ? boxSum(valSum, W, H, i % W, (i / W) | 0, r) / n : mean;
    });
  }
}

/** The trust figure of every map of a batch (see the module comment). */
export async function trustFigures(b: TrustBatch): Promise<TrustFigure[]> {
  const [, C, H, W] = b.dims as [number, number, number, number];
  const plane = H * W;
  const per = C * plane;
  const topPercent = b.topPercent ?? TOP_PERCENT;
  const R = b.randomMasks ?? RANDOM_MASKS;
  const count = Math.max(1, Math.round((plane * topPercent) / 100));
  const variants = 1 + R;
  const jobs: { item: number; variant: number }[] = [];
  const applicable = b.items.map((it) => it.score >= MIN_SCORE);
  b.items.forEach((_, i) => {
    if (applicable[i]) for (let v = 0; v < variants; v++) jobs.push({ item: i, variant: v });
  });
  const perturbed = new Float32Array(jobs.length * per);
  const empty = b.items.map((it) => {
    for (let k = 0; k < it.map.length; k++) if (it.map[k]! > 0) return false;
    return true;
  });
  const regions = b.items.map((it, i) => {
    if (!applicable[i]) return undefined;
    // Tie-break keys from a hash of the pixel index and the item: reproducible, no per-pixel stream.
    return topPixels(resizeBilinear(it.map, it.mapWidth, it.mapHeight, W, H), count, (p) => seededRandom(SEED + i * 1_000_003 + p)());
  });
  jobs.forEach((job, j) => {
    const region = regions[job.item]!;
    const next = seededRandom(SEED + job.item * 7919 + job.variant);
    const removed = job.variant === 0 ? region : shifted(region, W, H, next);
    removePixels(b.input.subarray(job.item * per, (job.item + 1) * per), C, H, W, removed, perturbed, j * per);
  });
  // Batched: as many perturbed inputs per forward pass as the model takes.
  const rows = b.fixedBatch ?? b.batchSize ?? 16;
  const odds: number[] = new Array(jobs.length);
  for (let s = 0; s < jobs.length; s += rows) {
    const chunk = jobs.slice(s, s + rows);
    const n = b.fixedBatch ?? chunk.length;
    const buf = new Float32Array(n * per);
    buf.set(perturbed.subarray(s * per, (s + chunk.length) * per));
    const out = await b.forward(buf, n);
    const c = out.length / n;
    chunk.forEach((job, k) => (odds[s + k] = logOdds(out.subarray(k * c, (k + 1) * c), b.items[job.item]!.targetClass, b.output)));
  }
  let j = 0;
  return b.items.map((it, i) => {
    const L = logOdds(it.output, it.targetClass, b.output);
    const base = { metric: TRUST_METRIC, topPercent, randomMasks: R, score: it.score, logOdds: L } as const;
    if (!applicable[i]) {
      return { ...base, mapDrop: 0, randomDrop: 0, figure: null, verdict: 'not-applicable', reason: `the explained class scored ${(it.score * 100).toFixed(1)} % (< ${MIN_SCORE * 100} %): nothing for the map to explain` };
    }
    const mapDrop = L - odds[j]!;
    let randomDrop = 0;
    for (let v = 1; v < variants; v++) randomDrop += L - odds[j + v]!;
    randomDrop /= R;
    j += variants;
    const figure = (mapDrop - randomDrop) / Math.max(L, 1);
    const verdict: TrustVerdict = !empty[i] && figure >= STRONG_AT ? 'strong' : 'weak';
    return { ...base, mapDrop, randomDrop, figure, verdict, ...(empty[i] ? { reason: 'the map is empty' } : {}) };
  });
}
