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
 *
 * The target may be any 4-D activation (the pack's `explanation.target`), not only the one feeding
 * global pooling: the head is then the rest of the backbone (Conv, pooling: ./spatial.ts), still
 * replayed and checked against onnxruntime's logits. Several layers can be fused (pack
 * `explanation.layers`): one backward pass from the earliest gives every layer's gradient, every
 * layer's activation comes from onnxruntime, and the maps combine as pytorch-grad-cam's
 * aggregate_multi_layers does (./fuse.ts).
 */
import type { OnnxGraph } from '../engine/onnx/model';
import { ablationCam, ablationValue, eigenCam, fem, gradientCam, kpcaCam, GRADIENT_METHODS, type Activation, type ExplainMethod, type GradientMethod } from './cams';
import { headCost, runHead, type HeadPass, type HeadPlan } from './head';
import { scoreCam, type BatchForward } from './scorecam';
import { tensor, type Tensor } from './tensor';
import { finerSeed } from './finer';
import { fuseMaps, FUSION } from './fuse';
import { DEFAULT_EXPLAIN_BUDGET, describeCost, explainCost, withinBudget, type ExplainBudget } from './budget';
import { InspectorError } from '../../shared/errors';
import { buildGradientGraph, SEED_INPUT, type GradientGraph } from './gradgraph';

export { METHODS, GRADIENT_METHODS, FORWARD_METHODS, type ExplainMethod } from './cams';
export { planHead, poolingTargets, layerCandidates, type HeadPlan } from './head';
export { DEFAULT_EXPLAIN_BUDGET, explainCost, type ExplainBudget, type ExplainCost } from './budget';
export { FUSION } from './fuse';
export type { GradientGraph } from './gradgraph';

/**
 * Runs a gradient graph (./gradgraph.ts) in onnxruntime: the engine supplies it with the pack's
 * model bytes and its own session cache. Absent, every gradient comes from the TypeScript replay.
 */
export interface GradientRunner {
  model: Uint8Array;
  /** A stable key of the model (its hash), for the session cache. */
  key: string;
  run(g: GradientGraph, key: string, feeds: Record<string, Dense>, outputs: readonly string[]): Promise<Record<string, Dense>>;
}

type Method = Exclude<ExplainMethod, 'none'>;

export interface RawExplanation {
  /** The method that produced the map (may differ from the one requested; see fallbackReason). */
  method: Method;
  requested: ExplainMethod;
  fallbackReason?: string;
  targetClass: number;
  target: string;
  /** Every layer the map is made of, target first; present when more than one was fused. */
  layers?: string[];
  /** How the layers were combined (pytorch-grad-cam's aggregate_multi_layers). */
  fusion?: typeof FUSION;
  /** Raw map at the activation's resolution (fused: the model input's, values in [0, 1]). */
  width: number;
  height: number;
  data: Float64Array;
  /** Largest |TS head logit − onnxruntime logit| (gradient methods), the exactness self-check. */
  headLogitError?: number;
  /** Where the gradient came from: onnxruntime's gradient graph, or the TypeScript replay. */
  gradientPath?: GradientPath;
  channelsUsed?: number;
}

export type Dense = { data: Float32Array; dims: readonly number[] };

export interface ExplainBatch {
  graph: OnnxGraph;
  plan: HeadPlan;
  method: Method;
  /** A as onnxruntime returned it: (N, K, h, w). */
  activations: Dense;
  /** The fused layers' activations (plan.layers), as onnxruntime returned them. */
  layerActivations?: Record<string, Dense>;
  side?: Record<string, Dense>;
  /** onnxruntime's logits (N, C), to check the replayed head against. */
  logits: Float32Array;
  classes: readonly number[];
  fallback?: 'eigencam' | 'scorecam';
  /** For Score-CAM: the batch's model input (N, C, H, W) and a forward function. */
  input?: Dense;
  forward?: BatchForward;
  scoreCamMaxChannels?: number;
  /** The input's fixed batch size, when the graph has one: Score-CAM feeds exactly that many. */
  fixedBatch?: number;
  /** Memory/work bound; a method (requested or fallback) whose cost exceeds it is not started. */
  budget?: ExplainBudget;
  /** onnxruntime for the gradient (./gradgraph.ts), checked against the replay before it is trusted. */
  gradientRunner?: GradientRunner;
}

/**
 * Per model and head (target, layers, activation size): the gradient graph once it matched the
 * TypeScript replay, or why it is not used. Kept for the graph's lifetime (the loaded pack's).
 */
type GraphState = { ok: true; graph: GradientGraph; key: string } | { ok: false; reason: string };
const gradientGraphs = new WeakMap<OnnxGraph, Map<string, GraphState>>();

/** How a batch's gradients were computed: said in the result, so a user (and a test) can tell. */
export type GradientPath = 'onnxruntime' | 'replay';

const GRAD_TOLERANCE = 1e-3;

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** Largest |a − b| relative to the largest |b|: the gradient graph's agreement with the replay. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m / Math.max(maxAbs(b), 1e-12);
}

const isGradient = (m: string): m is GradientMethod => (GRADIENT_METHODS as readonly string[]).includes(m);
/** Methods that need the replayed head: a gradient, or Ablation-CAM's re-scoring. */
const needsHead = (m: Method) => isGradient(m) || m === 'ablationcam';
/** Methods that make a map of one layer only (their cost is per channel forward passes). */
const singleLayer = (m: Method) => m === 'scorecam' || m === 'ablationcam';

function sliceBatch(t: Tensor, i: number): Tensor {
  const per = t.data.length / t.shape[0]!;
  return { shape: [1, ...t.shape.slice(1)], data: t.data.slice(i * per, (i + 1) * per) };
}

export async function explainBatch(b: ExplainBatch): Promise<RawExplanation[]> {
  if (b.activations.dims.length !== 4) throw new Error(`target activation has rank ${b.activations.dims.length}, expected 4`);
  const [n, k, h, w] = b.activations.dims as [number, number, number, number];
  const per = k * h * w;
  const act = (i: number): Activation => ({ k, h, w, data: b.activations.data.subarray(i * per, (i + 1) * per) });
  const layers = (b.plan.layers ?? []).filter((l) => b.layerActivations?.[l]);
  for (const l of layers) if (b.layerActivations![l]!.dims.length !== 4) throw new Error(`layer ${l} has rank ${b.layerActivations![l]!.dims.length}, expected 4`);
  const layerAct = (l: string, i: number): Activation => {
    const t = b.layerActivations![l]!;
    const [, lk, lh, lw] = t.dims as [number, number, number, number];
    const lp = lk * lh * lw;
    return { k: lk, h: lh, w: lw, data: t.data.subarray(i * lp, (i + 1) * lp) };
  };
  let method: Method = b.method;
  let fallbackReason: string | undefined;
  let headLogitError: number | undefined;
  const budget = b.budget ?? DEFAULT_EXPLAIN_BUDGET;
  const inputElements = b.input ? b.input.dims.slice(1).reduce((x, y) => x * y, 1) : 0;
  const head = b.plan.unsupported || !b.plan.nodes?.length ? { macs: 0, bytes: 0 } : headCost(b.graph, b.plan, k, h, w);
  const extraLayerElements = layers.reduce((s, l) => s + b.layerActivations![l]!.dims.slice(1).reduce((x, y) => x * y, 1), 0);
  const cost = (m: Method) =>
    explainCost(m, {
      n, k, h, w, inputElements,
      headMacs: head.macs,
      headBytes: head.bytes,
      ...(layers.length && !singleLayer(m) ? { extraLayerElements } : {}),
      ...(b.scoreCamMaxChannels ? { scoreCamMaxChannels: b.scoreCamMaxChannels } : {}),
    });
  const overBudget = (m: Method, why: string) =>
    new InspectorError('EXPLAIN_OVER_BUDGET', `${why}: ${m} on a ${k}×${h}×${w} target would need ${describeCost(cost(m))}, over the explanation bound.`, {
      method: m,
      target: [k, h, w],
    });
  const canRun = (m: Method) => (m !== 'scorecam' || (!!b.input && !!b.forward)) && (!needsHead(m) || (!b.plan.unsupported && !!b.plan.nodes?.length));
  /** Forward-only fallbacks in preference order: the pack's, then EigenCAM, then Score-CAM (as before #15). */
  const fallbacks = (exclude: Method): Method[] =>
    [...new Set<Method>([b.fallback ?? 'eigencam', 'eigencam', 'scorecam'])].filter((m) => m !== exclude && canRun(m) && !needsHead(m));

  if (!withinBudget(cost(method), budget)) {
    if (isGradient(method)) throw overBudget(method, 'The explanation was not computed');
    // A forward method over its bound: another forward method may fit — never one over the bound.
    const fits = fallbacks(method).find((m) => withinBudget(cost(m), budget));
    if (!fits) throw overBudget(method, 'The explanation was not computed');
    fallbackReason = `${method} would exceed the explanation bound (${describeCost(cost(method))})`;
    method = fits;
  }

  let pass: HeadPass | undefined;
  let grads: Map<string, { data: Float64Array | Float32Array }> | undefined;
  let gradientPath: GradientPath | undefined;
  const side = () => Object.fromEntries(Object.entries(b.side ?? {}).map(([name, t]) => [name, tensor([...t.dims], t.data)]));
  const wanted = [b.plan.target, ...layers];
  const runner = isGradient(method) && !b.plan.unsupported && b.plan.nodes?.length ? b.gradientRunner : undefined;
  const stateKey = `${wanted.join('|')}:${b.activations.dims.slice(1).join('x')}`;
  const states = runner ? (gradientGraphs.get(b.graph) ?? gradientGraphs.set(b.graph, new Map()).get(b.graph)!) : undefined;
  const seedOf = (logits: ArrayLike<number>, c: number) => {
    const seed = new Float32Array(n * c);
    b.classes.forEach((cls, i) => {
      if (method === 'finercam') seed.set(finerSeed(Array.from(logits).slice(i * c, (i + 1) * c), cls), i * c);
      else seed[i * c + cls] = 1;
    });
    return seed;
  };
  const viaOnnxruntime = async (g: GradientGraph, key: string): Promise<{ grads: Map<string, { data: Float32Array }>; logitError: number }> => {
    const c = b.logits.length / n;
    const feeds: Record<string, Dense> = { [b.plan.target]: b.activations, ...(b.side ?? {}), [SEED_INPUT]: { data: seedOf(b.logits, c), dims: [n, c] } };
    const out = await runner!.run(g, key, feeds, [g.logits, ...Object.values(g.gradients)]);
    return {
      grads: new Map(wanted.map((t) => [t, { data: out[g.gradients[t]!]!.data }])),
      logitError: maxAbs(Array.from(out[g.logits]!.data, (v, i) => v - b.logits[i]!)),
    };
  };
  const known = states?.get(stateKey);
  if (known?.ok) {
    try {
      const r = await viaOnnxruntime(known.graph, known.key);
      const scaleRef = Math.max(1, ...Array.from(b.logits, Math.abs));
      if (r.logitError <= 1e-3 * scaleRef) {
        grads = r.grads;
        headLogitError = r.logitError;
        gradientPath = 'onnxruntime';
      }
    } catch {
      // A failing run of the checked graph: this batch (and the next) take the replay.
      states!.set(stateKey, { ok: false, reason: 'the gradient graph failed to run' });
    }
  }
  if (needsHead(method) && !grads) {
    try {
      const a = tensor([n, k, h, w], b.activations.data);
      pass = runHead(b.graph, b.plan, a, side());
      headLogitError = 0;
      for (let i = 0; i < b.logits.length; i++) {
        const err = Math.abs(pass.logits.data[i]! - b.logits[i]!);
        if (err > headLogitError) headLogitError = err;
      }
      const scaleRef = Math.max(1, ...Array.from(b.logits, Math.abs));
      if (!(headLogitError <= 1e-3 * scaleRef)) {
        throw new Error(`the head replayed from the graph gives logits ${headLogitError.toExponential(2)} away from onnxruntime's`);
      }
      if (isGradient(method)) {
        const c = pass.logits.shape[pass.logits.shape.length - 1]!;
        const seed = tensor(pass.logits.shape);
        b.classes.forEach((cls, i) => {
          if (method === 'finercam') seed.data.set(finerSeed(pass!.logits.data.subarray(i * c, (i + 1) * c), cls), i * c);
          else seed.data[i * c + cls] = 1;
        });
        grads = pass.gradientsAt([b.plan.target, ...layers], seed);
        gradientPath = 'replay';
        if (runner && !known) await checkGradientGraph(runner, b, pass, grads as Map<string, Tensor>, wanted, stateKey, states!, viaOnnxruntime);
      }
    } catch (err) {
      fallbackReason = `head not differentiable here: ${(err as Error).message}`;
      // The fallback must fit the bound too: the preferred one, else another, else none.
      const fits = fallbacks(method).find((m) => withinBudget(cost(m), budget));
      if (!fits) throw overBudget(b.fallback ?? 'eigencam', `${fallbackReason}; no fallback fits the bound`);
      method = fits;
      pass = undefined;
    }
  }
  const fuse = layers.length > 0 && !singleLayer(method);
  if (layers.length && !fuse) fallbackReason = [fallbackReason, `${method} maps one layer: ${b.plan.target} only, not fused`].filter(Boolean).join('; ');

  const mapOf = async (m: Method, name: string, a: Activation, i: number): Promise<{ data: Float64Array; channelsUsed?: number }> => {
    if (isGradient(m)) {
      const g = grads!.get(name)!;
      const lp = a.k * a.h * a.w;
      return { data: gradientCam(m, a, g.data.subarray(i * lp, (i + 1) * lp)) };
    }
    if (m === 'eigencam') return { data: eigenCam(a) };
    if (m === 'fem') return { data: fem(a) };
    if (m === 'kpcacam') return { data: kpcaCam(a) };
    if (m === 'ablationcam') {
      const cls = b.classes[i]!;
      const c = pass!.logits.shape[pass!.logits.shape.length - 1]!;
      const score = pass!.logits.data[i * c + cls]!;
      const base = sliceBatch(tensor([n, k, h, w], b.activations.data), i);
      const sides = Object.fromEntries(Object.entries(side()).map(([s, t]) => [s, sliceBatch(t, i)]));
      const value = ablationValue(a);
      const hw = h * w;
      const ablated = new Float64Array(k);
      for (let ch = 0; ch < k; ch++) {
        const t = { shape: base.shape, data: Float64Array.from(base.data) };
        t.data.fill(value, ch * hw, (ch + 1) * hw);
        ablated[ch] = runHead(b.graph, b.plan, t, sides).logits.data[cls]!;
      }
      return { data: ablationCam(a, score, ablated) };
    }
    // scorecam
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
      ...(b.fixedBatch ? { fixedBatch: b.fixedBatch } : {}),
    });
    return { data: r.map, channelsUsed: r.channelsUsed };
  };

  const results: RawExplanation[] = [];
  for (let i = 0; i < n; i++) {
    const a = act(i);
    const first = await mapOf(method, b.plan.target, a, i);
    let data = first.data;
    let width = w;
    let height = h;
    if (fuse) {
      if (!b.input) throw new Error('a fused map needs the model input size');
      const [H, W] = b.input.dims.slice(2) as [number, number];
      const maps = [{ data, width: w, height: h }];
      for (const l of layers) {
        const la = layerAct(l, i);
        maps.push({ data: (await mapOf(method, l, la, i)).data, width: la.w, height: la.h });
      }
      data = fuseMaps(maps, W, H);
      width = W;
      height = H;
    }
    results.push({
      method,
      requested: b.method,
      ...(fallbackReason ? { fallbackReason } : {}),
      targetClass: b.classes[i]!,
      target: b.plan.target,
      ...(fuse ? { layers: [b.plan.target, ...layers], fusion: FUSION } : {}),
      width,
      height,
      data,
      ...(headLogitError !== undefined && needsHead(method) ? { headLogitError } : {}),
      ...(gradientPath && isGradient(method) ? { gradientPath } : {}),
      ...(first.channelsUsed !== undefined ? { channelsUsed: first.channelsUsed } : {}),
    });
  }
  return results;
}

/**
 * First batch of a head: builds the gradient graph from the replay's tensor shapes, runs it on the
 * same batch and keeps it only if every gradient equals the replay's (relative error ≤ 1e-3; the
 * replay is float64, onnxruntime float32). Otherwise the reason is kept and the replay stays.
 */
async function checkGradientGraph(
  runner: GradientRunner,
  b: ExplainBatch,
  pass: HeadPass,
  replay: Map<string, Tensor>,
  wanted: string[],
  stateKey: string,
  states: Map<string, GraphState>,
  run: (g: GradientGraph, key: string) => Promise<{ grads: Map<string, { data: Float32Array }>; logitError: number }>,
): Promise<void> {
  let state: GraphState;
  try {
    const shapes = new Map<string, readonly number[]>();
    for (const node of b.plan.nodes) for (const name of [...node.inputs, ...node.outputs]) {
      const v = name ? pass.value(name) : undefined;
      if (v) shapes.set(name, v.shape);
    }
    const graph = buildGradientGraph(runner.model, b.graph, b.plan, shapes, wanted);
    const key = `${runner.key}:grad:${stateKey}`;
    const r = await run(graph, key);
    const worst = Math.max(...wanted.map((t) => relativeError(r.grads.get(t)!.data, replay.get(t)!.data)));
    state = worst <= GRAD_TOLERANCE ? { ok: true, graph, key } : { ok: false, reason: `the gradient graph differs from the replay (${worst.toExponential(2)})` };
  } catch (err) {
    state = { ok: false, reason: (err as Error).message };
  }
  states.set(stateKey, state);
}

/** Why a head's gradient graph is not used (undefined: used, or not tried yet). For docs and tests. */
export function gradientGraphState(graph: OnnxGraph): ReadonlyMap<string, GraphState> | undefined {
  return gradientGraphs.get(graph);
}
