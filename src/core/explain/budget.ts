/**
 * Every explanation method's memory and work, derived from the tensor sizes before it runs, so no
 * method — and no fallback — is started that would exhaust the worker. EigenCAM's Gram matrix was
 * the case that made this necessary: (h·w)² doubles is 5 GB at a 160×160 target.
 *
 * Work is counted in multiply-adds done in TypeScript; Score-CAM's is counted in model forward
 * passes (one per kept channel per image), since the model's own cost is onnxruntime's. The
 * defaults let every shipped pack explain at its size with a wide margin (a 7×7×2048 ResNet target
 * is ~5·10⁸ for EigenCAM) while refusing a map that would take minutes or gigabytes.
 */
import { EIGEN_ITERATIONS, GRADIENT_METHODS, type ExplainMethod } from './cams';

export interface ExplainCost {
  /** Peak extra bytes the method allocates. */
  bytes: number;
  /** Multiply-adds in TypeScript. */
  flops: number;
  /** Model forward passes (Score-CAM). */
  forwards: number;
}

export interface ExplainBudget {
  maxBytes: number;
  maxFlops: number;
  maxForwards: number;
}

export const DEFAULT_EXPLAIN_BUDGET: ExplainBudget = { maxBytes: 1024 ** 3, maxFlops: 2e10, maxForwards: 16_384 };

export interface ExplainShape {
  /** Images in the batch. */
  n: number;
  /** Target activation channels and size. */
  k: number;
  h: number;
  w: number;
  /** Model input elements per image (C·H·W), for Score-CAM's masked inputs. */
  inputElements?: number;
  scoreCamMaxChannels?: number;
  scoreCamBatch?: number;
  /**
   * The head's own forward cost per image (./head.ts `headCost`): from an earlier target layer the
   * head is the rest of the backbone, and every gradient or ablation pass runs through it.
   */
  headMacs?: number;
  headBytes?: number;
  /** Fused layers besides the target (each adds a map of its own size; the fused map is input-sized). */
  extraLayerElements?: number;
}

export function explainCost(method: Exclude<ExplainMethod, 'none'>, s: ExplainShape): ExplainCost {
  const hw = s.h * s.w;
  const act = s.k * hw;
  const headMacs = s.headMacs ?? 0;
  const headBytes = s.headBytes ?? 0;
  const extra = 8 * s.n * 2 * (s.extraLayerElements ?? 0) + 8 * s.n * 3 * (s.inputElements ?? 0);
  const eigen = (): { bytes: number; flops: number } => {
    const m = Math.min(s.k, hw);
    return { bytes: 8 * (act + m * m + 3 * hw), flops: s.n * (act * m + EIGEN_ITERATIONS * m * m) };
  };
  if ((GRADIENT_METHODS as readonly string[]).includes(method)) {
    // Activation and gradient as float64 tensors for the head replay, one map per image; the
    // head's forward tape and its backward (about twice the forward's work).
    const base = { bytes: 8 * (2 * s.n * act + s.n * hw) + s.n * 2 * headBytes + extra, flops: 12 * s.n * act + 3 * s.n * headMacs, forwards: 0 };
    if (method !== 'eigengradcam') return base;
    const e = eigen();
    return { bytes: base.bytes + e.bytes + 8 * act, flops: base.flops + e.flops, forwards: 0 };
  }
  if (method === 'eigencam') {
    const e = eigen();
    return { ...e, forwards: 0 };
  }
  if (method === 'fem') return { bytes: 8 * (s.k + hw) + extra, flops: 4 * s.n * act, forwards: 0 };
  if (method === 'kpcacam') {
    // The (h·w)² kernel matrix, its centring and power iteration (twice when the top eigenvalue is negative).
    return { bytes: 8 * (hw * hw + act + 3 * hw) + extra, flops: s.n * (hw * hw * s.k + 2 * EIGEN_ITERATIONS * hw * hw), forwards: 0 };
  }
  if (method === 'ablationcam') {
    // One head forward per channel per image, each on a copy of the activation.
    return { bytes: 8 * (2 * act + s.k) + headBytes + extra, flops: s.n * s.k * (headMacs + act), forwards: 0 };
  }
  // scorecam
  const channels = Math.min(s.k, s.scoreCamMaxChannels ?? s.k);
  const batch = s.scoreCamBatch ?? 32;
  const input = s.inputElements ?? 0;
  return { bytes: 4 * batch * input + 8 * channels * hw, flops: s.n * channels * (hw + input), forwards: s.n * channels };
}

export function withinBudget(c: ExplainCost, b: ExplainBudget): boolean {
  return c.bytes <= b.maxBytes && c.flops <= b.maxFlops && c.forwards <= b.maxForwards;
}

export function describeCost(c: ExplainCost): string {
  return `${(c.bytes / 1024 ** 2).toFixed(0)} MiB, ${c.flops.toExponential(1)} multiply-adds${c.forwards ? `, ${c.forwards} model passes` : ''}`;
}
