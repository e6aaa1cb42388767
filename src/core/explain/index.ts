/**
 * Explanations for ONNX classifiers, computed from the ONNX model alone.
 *
 * DECISION — how Grad-CAM's gradient is obtained: the engine adds the target activation A (the
 * last 4-D tensor feeding global pooling) as an extra graph output, so onnxruntime computes it on
 * whatever execution provider runs the model, and the gradient d(logit_c)/dA is then computed
 * *exactly* in TypeScript by a forward + reverse pass over the head's own ONNX nodes and weights
 * (./head.ts, ./ops.ts). Chosen over appending gradient ops to the graph because:
 *  - the head is tiny (a pooled vector and a few matrix products: microseconds on the CPU), while
 *    the backbone — which needs no gradient — is where the GPU matters, and it still runs there;
 *  - writing backward ops as ONNX nodes would need an ONNX writer for every supported operator and
 *    opset variant, and a second, larger session per model; here only one graph edit is needed
 *    (an extra output), which onnxruntime handles on any provider;
 *  - the TS head replays the graph's own logits, which we compare against onnxruntime's: a head we
 *    evaluate differently from onnxruntime is detected and never yields a wrong map (it falls back
 *    to a forward-only method and says so).
 * Heads with an operator outside ./ops.ts fall back to EigenCAM or Score-CAM, named in the result.
 */
import type { OnnxGraph } from '../engine/onnx/model';
import { eigenCam, gradientCam, GRADIENT_METHODS, type Activation, type ExplainMethod, type GradientMethod } from './cams';
import { runHead, type HeadPlan } from './head';
import { scoreCam, type BatchForward } from './scorecam';
import { tensor } from './tensor';
import { DEFAULT_EXPLAIN_BUDGET, describeCost, explainCost, withinBudget, type ExplainBudget } from './budget';
import { InspectorError } from '../../shared/errors';

export { METHODS, GRADIENT_METHODS, FORWARD_METHODS, type ExplainMethod } from './cams';
export { planHead, poolingTargets, type HeadPlan } from './head';
export { DEFAULT_EXPLAIN_BUDGET, explainCost, type ExplainBudget, type ExplainCost } from './budget';

export interface RawExplanation {
  /** The method that produced the map (may differ from the one requested; see fallbackReason). */
  method: Exclude<ExplainMethod, 'none'>;
  requested: ExplainMethod;
  fallbackReason?: string;
  targetClass: number;
  target: string;
  /** Raw map at the activation's resolution. */
  width: number;
  height: number;
  data: Float64Array;
  /** Largest |TS head logit − onnxruntime logit| (gradient methods), the exactness self-check. */
  headLogitError?: number;
  channelsUsed?: number;
}

export interface ExplainBatch {
  graph: OnnxGraph;
  plan: HeadPlan;
  method: Exclude<ExplainMethod, 'none'>;
  /** A as onnxruntime returned it: (N, K, h, w). */
  activations: { data: Float32Array; dims: readonly number[] };
  side?: Record<string, { data: Float32Array; dims: readonly number[] }>;
  /** onnxruntime's logits (N, C), to check the replayed head against. */
  logits: Float32Array;
  classes: readonly number[];
  fallback?: 'eigencam' | 'scorecam';
  /** For Score-CAM: the batch's model input (N, C, H, W) and a forward function. */
  input?: { data: Float32Array; dims: readonly number[] };
  forward?: BatchForward;
  scoreCamMaxChannels?: number;
  /** Memory/work bound; a method (requested or fallback) whose cost exceeds it is not started. */
  budget?: ExplainBudget;
}

const isGradient = (m: string): m is GradientMethod => (GRADIENT_METHODS as readonly string[]).includes(m);

export async function explainBatch(b: ExplainBatch): Promise<RawExplanation[]> {
  const [n, k, h, w] = b.activations.dims as [number, number, number, number];
  if (b.activations.dims.length !== 4) throw new Error(`target activation has rank ${b.activations.dims.length}, expected 4`);
  const per = k * h * w;
  const act = (i: number): Activation => ({ k, h, w, data: b.activations.data.subarray(i * per, (i + 1) * per) });
  let method: Exclude<ExplainMethod, 'none'> = b.method;
  let fallbackReason: string | undefined;
  let grad: Float64Array | undefined;
  let headLogitError: number | undefined;
  const budget = b.budget ?? DEFAULT_EXPLAIN_BUDGET;
  const inputElements = b.input ? b.input.dims.slice(1).reduce((x, y) => x * y, 1) : 0;
  const cost = (m: Exclude<ExplainMethod, 'none'>) =>
    explainCost(m, { n, k, h, w, inputElements, ...(b.scoreCamMaxChannels ? { scoreCamMaxChannels: b.scoreCamMaxChannels } : {}) });
  const overBudget = (m: Exclude<ExplainMethod, 'none'>, why: string) =>
    new InspectorError('EXPLAIN_OVER_BUDGET', `${why}: ${m} on a ${k}×${h}×${w} target would need ${describeCost(cost(m))}, over the explanation bound.`, {
      method: m,
      target: [k, h, w],
    });
  if (!withinBudget(cost(method), budget)) {
    if (isGradient(method)) throw overBudget(method, 'The explanation was not computed');
    // A forward method over its bound: the other forward method may fit.
    const other = method === 'eigencam' ? 'scorecam' : 'eigencam';
    if (other === 'scorecam' && !b.forward) throw overBudget(method, 'The explanation was not computed');
    if (!withinBudget(cost(other), budget)) throw overBudget(method, 'The explanation was not computed');
    fallbackReason = `${method} would exceed the explanation bound (${describeCost(cost(method))})`;
    method = other;
  }

  if (isGradient(method)) {
    try {
      const a = tensor([n, k, h, w], b.activations.data);
      const side = Object.fromEntries(Object.entries(b.side ?? {}).map(([name, t]) => [name, tensor([...t.dims], t.data)]));
      const pass = runHead(b.graph, b.plan, a, side);
      headLogitError = 0;
      for (let i = 0; i < b.logits.length; i++) {
        const ref = b.logits[i]!;
        const err = Math.abs(pass.logits.data[i]! - ref);
        if (err > headLogitError) headLogitError = err;
      }
      const scaleRef = Math.max(1, ...Array.from(b.logits, Math.abs));
      if (!(headLogitError <= 1e-3 * scaleRef)) {
        throw new Error(`the head replayed from the graph gives logits ${headLogitError.toExponential(2)} away from onnxruntime's`);
      }
      grad = pass.gradient(b.classes).data;
    } catch (err) {
      fallbackReason = `head not differentiable here: ${(err as Error).message}`;
      // The fallback must fit the bound too: the preferred one, else the other, else none.
      const preferred = b.fallback ?? 'eigencam';
      const candidates = [preferred, preferred === 'eigencam' ? 'scorecam' : 'eigencam'] as const;
      const fits = candidates.find((m) => (m !== 'scorecam' || (b.input && b.forward)) && withinBudget(cost(m), budget));
      if (!fits) throw overBudget(preferred, `${fallbackReason}; no fallback fits the bound`);
      method = fits;
    }
  }

  const results: RawExplanation[] = [];
  for (let i = 0; i < n; i++) {
    const a = act(i);
    let data: Float64Array;
    let channelsUsed: number | undefined;
    if (isGradient(method)) data = gradientCam(method, a, grad!.subarray(i * per, (i + 1) * per));
    else if (method === 'scorecam') {
      if (!b.input || !b.forward) throw new Error('Score-CAM needs the model input and a forward function');
      const [, c, H, W] = b.input.dims as [number, number, number, number];
      const r = await scoreCam({
        a,
        input: b.input.data.subarray(i * c * H * W, (i + 1) * c * H * W),
        channels: c,
        height: H,
        width: W,
        targetClass: b.classes[i]!,
        numClasses: b.logits.length / n,
        forward: b.forward,
        maxChannels: b.scoreCamMaxChannels,
      });
      data = r.map;
      channelsUsed = r.channelsUsed;
    } else data = eigenCam(a);
    results.push({
      method,
      requested: b.method,
      ...(fallbackReason ? { fallbackReason } : {}),
      targetClass: b.classes[i]!,
      target: b.plan.target,
      width: w,
      height: h,
      data,
      ...(headLogitError !== undefined && isGradient(method) ? { headLogitError } : {}),
      ...(channelsUsed !== undefined ? { channelsUsed } : {}),
    });
  }
  return results;
}
