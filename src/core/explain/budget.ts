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
}

export function explainCost(method: Exclude<ExplainMethod, 'none'>, s: ExplainShape): ExplainCost {
  const hw = s.h * s.w;
  const act = s.k * hw;
  if ((GRADIENT_METHODS as readonly string[]).includes(method)) {
    // Activation and gradient as float64 tensors for the head replay, one map per image.
    return { bytes: 8 * (2 * s.n * act + s.n * hw), flops: 12 * s.n * act, forwards: 0 };
  }
  if (method === 'eigencam') {
    const m = Math.min(s.k, hw);
    return { bytes: 8 * (act + m * m + 3 * hw), flops: s.n * (act * m + EIGEN_ITERATIONS * m * m), forwards: 0 };
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
