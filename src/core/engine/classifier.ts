/**
 * Runs a classifier pack on a batch of images: one forward pass that also returns the explanation
 * target, probabilities and decision per image, the chosen explanation, and per-stage timings.
 */
import * as ort from 'onnxruntime-node';
import { InspectorError } from '../../shared/errors';
import { explainBatch, planHead, type ExplainMethod, type GradientRunner, type HeadPlan } from '../explain';
import { makeHeatMap, type HeatMap } from '../explain/scale';
import { trustFigures, type TrustFigure } from '../explain/faithfulness';
import type { LoadedPack } from '../packs/load';
import { scoreClasses, type ClassScores } from './classify';
import type { EngineImage } from './image';
import { withExtraOutputs } from './onnx/model';
import { batchInput } from './preprocess';
import type { EngineSession, SessionCache, SessionSettings } from './session';
import { createSession } from './session';

export interface Explanation {
  method: Exclude<ExplainMethod, 'none'>;
  requested: ExplainMethod;
  fallbackReason?: string;
  target: string;
  targetClass: number;
  targetLabel: string;
  /** Raw map at the activation's resolution with its display scale. */
  map: HeatMap;
  headLogitError?: number;
  /** Where the gradient came from (onnxruntime's gradient graph or the TypeScript replay). */
  gradientPath?: 'onnxruntime' | 'replay';
  channelsUsed?: number;
  /** Multi-layer map: every layer fused (target first) and how (src/core/explain/fuse.ts). */
  layers?: string[];
  fusion?: string;
  /** Faithfulness of the map (src/core/explain/faithfulness.ts): its top region removed vs random ones. */
  trust?: TrustFigure;
}

export interface ClassifierOutput {
  scores: ClassScores;
  logits: number[];
  explanation?: Explanation;
  error?: { code: string; message: string };
}

export interface ClassifierRun {
  provider: string;
  providerAttempts: EngineSession['attempts'];
  results: ClassifierOutput[];
  timings: { preprocessMs: number; inferenceMs: number; explainMs: number };
  /** The `extraOutputs` asked for, from the same run, and the batch the model saw. */
  fetched: Record<string, ort.Tensor>;
  input: { data: Float32Array; dims: readonly number[] };
}

const plans = new WeakMap<LoadedPack, HeadPlan>();

export function headPlan(pack: LoadedPack): HeadPlan {
  let p = plans.get(pack);
  if (!p) {
    const out = pack.manifest.outputs.find((o) => o.meaning === 'logits' || o.meaning === 'probabilities')!;
    p = planHead(pack.graph, out.name, pack.manifest.explanation?.target, pack.manifest.explanation?.layers);
    plans.set(pack, p);
  }
  return p;
}

/** Tensors the explanation needs besides the class output; the pre-softmax logits when the graph ends in softmax. */
function explainOutputs(plan: HeadPlan): string[] {
  return [plan.target, ...plan.layers, ...plan.sideInputs, ...(plan.logits !== plan.output ? [plan.logits] : [])];
}

/**
 * `extraOutputs`: internal tensors another consumer of the same run needs (the input guard's
 * activations), added to the graph's outputs so one forward pass serves both.
 */
export async function classifierSession(pack: LoadedPack, cache: SessionCache, settings: SessionSettings, explain: boolean, extraOutputs: readonly string[] = []): Promise<EngineSession> {
  const plan = headPlan(pack);
  const explainExtra = explain && plan.target ? explainOutputs(plan) : [];
  const graphOutputs = new Set(pack.graph.outputs.map((o) => o.name));
  const extra = [...new Set([...explainExtra, ...extraOutputs])].filter((t) => !graphOutputs.has(t));
  const variant = `${explainExtra.length ? `explain[${explainExtra.join(',')}]` : 'plain'}${extraOutputs.length ? `+${extraOutputs.join('+')}` : ''}`;
  const key = `${pack.manifestSha256}:${variant}:${(settings.providers ?? []).join(',')}`;
  return cache.get(key, () => createSession(withExtraOutputs(pack.model, extra), settings));
}

/** The class a map explains, per the pack's `explanation.targetClass`. */
export function explainedClass(scores: { probabilities: number[]; topClass: number }, m: LoadedPack['manifest']): number {
  if (m.explanation?.targetClass !== 'defect') return scores.topClass;
  const defects = m.labels.map((l, i) => (l.severity === 'none' ? -1 : i)).filter((i) => i >= 0);
  if (defects.length === 0) return scores.topClass;
  return defects.reduce((a, b) => ((scores.probabilities[b] ?? 0) > (scores.probabilities[a] ?? 0) ? b : a));
}

function checkFinite(data: Float32Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!Number.isFinite(data[i]!)) return false;
  return true;
}

export async function runClassifier(
  pack: LoadedPack,
  images: readonly EngineImage[],
  opts: {
    method: ExplainMethod;
    cache: SessionCache;
    settings: SessionSettings;
    extraOutputs?: readonly string[];
    /** 'replay': gradients from the TypeScript replay only (the reference the gradient graph is checked against; benchmarks). */
    gradient?: 'auto' | 'replay';
    /** Another runner for the gradient graph (tests: a faulty one must be caught by the check). */
    gradientRunner?: GradientRunner;
    /** false: no trust figure (a few extra forward passes per image; benchmarks compare both). */
    trust?: boolean;
  },
): Promise<ClassifierRun> {
  const m = pack.manifest;
  const plan = headPlan(pack);
  const wantMap = opts.method !== 'none';
  const extraOutputs = opts.extraOutputs ?? [];
  const es = await classifierSession(pack, opts.cache, opts.settings, wantMap, extraOutputs);
  const t0 = performance.now();
  const { data, dims } = batchInput(images, m.input);
  const t1 = performance.now();
  const feeds = { [m.input.name]: new ort.Tensor('float32', data, dims) };
  const fetches = [...new Set([...(wantMap && plan.target ? [plan.output, ...explainOutputs(plan)] : [plan.output]), ...extraOutputs])];
  const out = await es.session.run(feeds, fetches);
  const t2 = performance.now();
  const logitsT = out[plan.output]!;
  const logits = logitsT.data as Float32Array;
  const n = images.length;
  const c = logits.length / n;
  const outputIsProbability = m.outputs.find((o) => o.name === plan.output)?.meaning === 'probabilities';
  const results: ClassifierOutput[] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from(logits.subarray(i * c, (i + 1) * c));
    if (!checkFinite(logits, i * c, (i + 1) * c)) {
      const err = new InspectorError('MODEL_OUTPUT_NOT_FINITE', `The model returned NaN or infinite scores for ${images[i]!.source}.`);
      results.push({ scores: scoreClasses(row.map(() => 0), m, true), logits: row, error: { code: err.code, message: err.message } });
      continue;
    }
    results.push({ scores: scoreClasses(row, m, outputIsProbability), logits: row });
  }
  if (wantMap) {
    // When the graph ends in softmax, differentiate the logits feeding it (pytorch-grad-cam's target).
    const headLogits = (out[plan.logits]?.data as Float32Array | undefined) ?? logits;
    const a = plan.target ? out[plan.target] : undefined;
    const method = opts.method as Exclude<ExplainMethod, 'none'>;
    if (!a || a.dims.length !== 4) {
      for (const r of results) r.error ??= { code: 'EXPLAIN_NO_TARGET', message: `No 4-D target activation for ${method}: ${plan.unsupported ?? 'none found'}.` };
    } else {
      const side = Object.fromEntries(plan.sideInputs.map((s) => [s, { data: out[s]!.data as Float32Array, dims: out[s]!.dims }]));
      let raws: Awaited<ReturnType<typeof explainBatch>> = [];
      const forward = async (batch: Float32Array, bn: number) => {
        const plain = await classifierSession(pack, opts.cache, opts.settings, false);
        const r = await plain.session.run({ [m.input.name]: new ort.Tensor('float32', batch, [bn, ...dims.slice(1)]) }, [plan.output]);
        return r[plan.output]!.data as Float32Array;
      };
      // The trust figure re-scores on the run's own session (its class output only): no second session.
      const rescore = async (batch: Float32Array, bn: number) => {
        const r = await es.session.run({ [m.input.name]: new ort.Tensor('float32', batch, [bn, ...dims.slice(1)]) }, [plan.output]);
        return r[plan.output]!.data as Float32Array;
      };
      try {
      raws = await explainBatch({
        graph: pack.graph,
        plan,
        method,
        activations: { data: a.data as Float32Array, dims: a.dims },
        layerActivations: Object.fromEntries(plan.layers.filter((l) => out[l]).map((l) => [l, { data: out[l]!.data as Float32Array, dims: out[l]!.dims }])),
        side,
        logits: headLogits,
        classes: results.map((r) => explainedClass(r.scores, m)),
        fallback: m.explanation?.method === 'scorecam' ? 'scorecam' : 'eigencam',
        input: { data, dims },
        forward,
        scoreCamMaxChannels: m.explanation?.scoreCamMaxChannels,
        ...fixedBatchOf(pack),
        ...(opts.gradient === 'replay' ? {} : { gradientRunner: opts.gradientRunner ?? gradientRunnerFor(pack, opts.cache, opts.settings) }),
      });
      } catch (err) {
        // Over its memory/work bound: refused before it ran, said per image with its code.
        if (!(err instanceof InspectorError) || err.code !== 'EXPLAIN_OVER_BUDGET') throw err;
        for (const r of results) r.error ??= err.toInfo();
      }
      // The trust figure of every valid map, all perturbed inputs of the batch in few forward passes.
      const trusted = raws.map((raw, i) => ({ raw, i })).filter(({ raw, i }) => !results[i]!.error && raw.data.every(Number.isFinite));
      const trust = opts.trust === false || trusted.length === 0
        ? []
        : await trustFigures({
            input: data,
            dims,
            items: trusted.map(({ raw, i }) => ({ map: raw.data, mapWidth: raw.width, mapHeight: raw.height, targetClass: raw.targetClass, score: results[i]!.scores.probabilities[raw.targetClass] ?? 0, output: results[i]!.logits })),
            forward: rescore,
            output: outputIsProbability || m.decision?.activation === 'none' ? 'probabilities' : (m.decision?.activation ?? 'softmax'),
            ...fixedBatchOf(pack),
          });
      const trustOf = new Map(trusted.map(({ i }, k) => [i, trust[k]]));
      const scale = m.explanation?.scale;
      raws.forEach((raw, i) => {
        // The pack's anchored scale was measured for its configured method; other methods use min–max.
        const anchor = scale?.mode === 'anchored' && raw.method === m.explanation?.method && !raw.fusion
          ? { low: scale.low!, high: scale.high!, ...(scale.derivation ? { derivation: scale.derivation.method } : {}) }
          : undefined;
        results[i]!.explanation = {
          method: raw.method,
          requested: raw.requested,
          ...(raw.fallbackReason ? { fallbackReason: raw.fallbackReason } : {}),
          target: raw.target,
          targetClass: raw.targetClass,
          targetLabel: m.labels[raw.targetClass]?.id ?? String(raw.targetClass),
          map: makeHeatMap(raw.data, raw.width, raw.height, anchor),
          ...(raw.headLogitError !== undefined ? { headLogitError: raw.headLogitError } : {}),
          ...(raw.gradientPath ? { gradientPath: raw.gradientPath } : {}),
          ...(raw.channelsUsed !== undefined ? { channelsUsed: raw.channelsUsed } : {}),
          ...(raw.layers ? { layers: raw.layers, fusion: raw.fusion! } : {}),
          ...(trustOf.get(i) ? { trust: trustOf.get(i)! } : {}),
        };
      });
    }
  }
  const t3 = performance.now();
  return {
    provider: es.provider,
    providerAttempts: es.attempts,
    results,
    timings: { preprocessMs: t1 - t0, inferenceMs: t2 - t1, explainMs: t3 - t2 },
    fetched: Object.fromEntries(extraOutputs.filter((t) => out[t]).map((t) => [t, out[t]!])),
    input: { data, dims },
  };
}

/** A fixed leading input dimension (static-batch export): Score-CAM must feed exactly that many images. */
function fixedBatchOf(pack: LoadedPack): { fixedBatch?: number } {
  const lead = pack.graph.inputs.find((i) => i.name === pack.manifest.input.name)?.shape?.[0];
  return typeof lead === 'number' && lead > 0 ? { fixedBatch: lead } : {};
}

/** Session-cache keys of gradient graphs start with this: they are not a second pass of the model. */
export const GRADIENT_GRAPH_KEY = 'gradient-graph:';

/** The gradient graph (src/core/explain/gradgraph.ts) runs in its own cached session beside the model's. */
export function gradientRunnerFor(pack: LoadedPack, cache: SessionCache, settings: SessionSettings): GradientRunner {
  return {
    model: pack.model,
    key: pack.manifestSha256,
    run: async (g, key, feeds, outputs) => {
      const es = await cache.get(`${GRADIENT_GRAPH_KEY}${key}:${(settings.providers ?? []).join(',')}`, () => createSession(g.model, settings));
      const out = await es.session.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor('float32', t.data, t.dims)])), [...outputs]);
      return Object.fromEntries(outputs.map((o) => [o, { data: out[o]!.data as Float32Array, dims: out[o]!.dims }]));
    },
  };
}
