/**
 * Finds the Grad-CAM target of a plain ONNX classifier — the last 4-D activation feeding global
 * pooling — and the "head": every node between that activation and the logits. The head is then
 * evaluated and differentiated here, from its own weights, given the activation that onnxruntime
 * returns as an extra output (see ./index.ts for why).
 */
import { GraphIndex, type OnnxGraph, type OnnxNode } from '../engine/onnx/model';
import { OPS, UnsupportedHead, type OpRun } from './ops';
import { tensor, type Tensor } from './tensor';

const POOLS = new Set(['GlobalAveragePool', 'GlobalMaxPool', 'ReduceMean', 'ReduceMax']);
const PROBABILITY_OPS = new Set(['Softmax', 'Sigmoid', 'LogSoftmax']);

export interface HeadPlan {
  /** The activation A (N, K, h, w) the maps are made of. */
  target: string;
  /** The tensor differentiated: the graph's class output, or the input of its final softmax/sigmoid. */
  logits: string;
  /** The graph output holding class scores. */
  output: string;
  /** The output is already softmax/sigmoid probabilities (the graph ends in one). */
  outputActivation: 'softmax' | 'sigmoid' | 'logsoftmax' | undefined;
  nodes: OnnxNode[];
  /** Non-constant tensors the head reads besides the target; requested as extra outputs too. */
  sideInputs: string[];
  /** Why the head cannot be differentiated here (undefined when it can). */
  unsupported: string | undefined;
  /**
   * Further layers fused with the target (multi-layer map), each computed by the head from the
   * target, which is then the earliest of them; empty for a single-layer map.
   */
  layers: string[];
}

function isSpatialPool(node: OnnxNode, index: GraphIndex): boolean {
  if (!POOLS.has(node.opType)) return false;
  if (node.opType.startsWith('Global')) return true;
  let axes = node.attrs['axes'] as number[] | undefined;
  if (!axes && node.inputs[1]) axes = Array.from(index.constant(node.inputs[1])?.values() ?? []);
  if (!axes) return false;
  const norm = new Set(axes.map((a) => (a < 0 ? a + 4 : a)));
  return norm.size === 2 && norm.has(2) && norm.has(3);
}

/** Ancestors of `name` with their distance (in nodes) from it. */
function ancestors(index: GraphIndex, name: string): Map<OnnxNode, number> {
  const dist = new Map<OnnxNode, number>();
  const queue: [string, number][] = [[name, 0]];
  while (queue.length) {
    const [t, d] = queue.shift()!;
    const p = index.producer.get(t);
    if (!p || dist.has(p)) continue;
    dist.set(p, d);
    for (const i of p.inputs) if (i) queue.push([i, d + 1]);
  }
  return dist;
}

/** Candidate targets, nearest the output first: inputs of global pooling feeding the output. */
export function poolingTargets(graph: OnnxGraph, output: string): string[] {
  const index = new GraphIndex(graph);
  const dist = ancestors(index, output);
  return [...dist.entries()]
    .filter(([n]) => isSpatialPool(n, index))
    .sort((a, b) => a[1] - b[1])
    .map(([n]) => n.inputs[0]!)
    .filter((t, i, all) => all.indexOf(t) === i);
}

export function planHead(graph: OnnxGraph, output: string, target?: string, fuse: readonly string[] = []): HeadPlan {
  const all = [...new Set([...(target ? [target] : []), ...fuse])];
  if (all.length > 1) {
    // The earliest layer (in graph order) is the target; the head from it computes the others.
    const order = new Map<string, number>();
    graph.nodes.forEach((n, i) => n.outputs.forEach((o) => order.set(o, i)));
    all.sort((a, b) => (order.get(a) ?? -1) - (order.get(b) ?? -1));
    const plan = planHead(graph, output, all[0]);
    const produced = new Set(plan.nodes.flatMap((n) => n.outputs));
    const stray = all.slice(1).find((l) => !produced.has(l));
    return { ...plan, layers: all.slice(1), ...(stray && !plan.unsupported ? { unsupported: `layer ${stray} is not computed from ${all[0]}` } : {}) };
  }
  const index = new GraphIndex(graph);
  const outNode = index.producer.get(output);
  let logits = output;
  let outputActivation: HeadPlan['outputActivation'];
  if (outNode && PROBABILITY_OPS.has(outNode.opType)) {
    logits = outNode.inputs[0]!;
    outputActivation = outNode.opType.toLowerCase() as HeadPlan['outputActivation'];
  }
  const chosen = target ?? all[0] ?? poolingTargets(graph, logits)[0];
  if (!chosen) {
    return { target: '', logits, output, outputActivation, nodes: [], sideInputs: [], unsupported: 'no global pooling layer feeds the class output', layers: [] };
  }
  // Head = nodes downstream of the target and upstream of the logits, in graph (topological) order.
  const up = ancestors(index, logits);
  const down = new Set<OnnxNode>();
  const stack = [chosen];
  while (stack.length) {
    const t = stack.pop()!;
    for (const c of index.consumers.get(t) ?? []) {
      if (down.has(c)) continue;
      down.add(c);
      stack.push(...c.outputs);
    }
  }
  const nodes = graph.nodes.filter((n) => down.has(n) && up.has(n));
  if (nodes.length === 0) {
    return { target: chosen, logits, output, outputActivation, nodes, sideInputs: [], unsupported: `${chosen} does not feed ${logits}`, layers: [] };
  }
  const produced = new Set(nodes.flatMap((n) => n.outputs));
  const sideInputs: string[] = [];
  let unsupported: string | undefined;
  for (const n of nodes) {
    if (n.opType !== 'Constant' && !OPS[n.opType] && !unsupported) unsupported = `operator ${n.opType} (${n.name || n.outputs[0]}) in the head`;
    for (const i of n.inputs) {
      if (!i || i === chosen || produced.has(i) || index.constant(i)) continue;
      if (!sideInputs.includes(i)) sideInputs.push(i);
    }
  }
  return { target: chosen, logits, output, outputActivation, nodes, sideInputs, unsupported, layers: [] };
}

const graphCaches = new WeakMap<OnnxGraph, { index: GraphIndex; constants: Map<string, Tensor> }>();

function graphCache(graph: OnnxGraph) {
  let c = graphCaches.get(graph);
  if (!c) {
    c = { index: new GraphIndex(graph), constants: new Map() };
    graphCaches.set(graph, c);
  }
  return c;
}

export interface HeadPass {
  logits: Tensor;
  /** d logits[n, classes[n]] / d A, same shape as A. */
  gradient(classes: readonly number[]): Tensor;
  /**
   * d(Σ seed · logits) / d T for each named tensor T of the head (the target or any tensor the
   * head computes from it): one backward pass serves every layer of a multi-layer map.
   */
  gradientsAt(names: readonly string[], seed: Tensor): Map<string, Tensor>;
  /** A tensor the forward pass computed (an intermediate activation), or undefined. */
  value(name: string): Tensor | undefined;
}

/** Runs the head forward from A (and side inputs), keeping what the backward pass needs. */
export function runHead(graph: OnnxGraph, plan: HeadPlan, a: Tensor, side: Record<string, Tensor> = {}): HeadPass {
  if (plan.unsupported) throw new UnsupportedHead(plan.unsupported);
  const { index, constants } = graphCache(graph);
  const values = new Map<string, Tensor>([[plan.target, a], ...Object.entries(side)]);
  const value = (name: string): Tensor | undefined => {
    if (!name) return undefined;
    const v = values.get(name) ?? constants.get(name);
    if (v) return v;
    const c = index.constant(name);
    if (!c) return undefined;
    // Weights are decoded once per model, not per batch.
    const t = tensor(c.dims.length ? c.dims : [], c.values());
    constants.set(name, t);
    return t;
  };
  const tape: { node: OnnxNode; backward: OpRun['backward'] }[] = [];
  for (const node of plan.nodes) {
    if (node.opType === 'Constant') continue;
    const run = OPS[node.opType]!(node, node.inputs.map(value));
    run.outputs.forEach((t, i) => node.outputs[i] && values.set(node.outputs[i]!, t));
    tape.push({ node, backward: run.backward });
  }
  const logits = values.get(plan.logits);
  if (!logits) throw new UnsupportedHead(`the head did not produce ${plan.logits}`);
  const backward = (seed: Tensor): Map<string, Tensor> => {
    const grads = new Map<string, Tensor>();
    grads.set(plan.logits, seed);
    for (let i = tape.length - 1; i >= 0; i--) {
      const { node, backward } = tape[i]!;
      const g = grads.get(node.outputs[0]!);
      if (!g) continue;
      const gin = backward(g, node.inputs.map((name) => !!name && !index.constant(name)));
      node.inputs.forEach((name, k) => {
        const gi = gin[k];
        if (!name || !gi || index.constant(name)) return;
        const prev = grads.get(name);
        if (!prev) grads.set(name, { shape: gi.shape, data: Float64Array.from(gi.data) });
        else for (let j = 0; j < prev.data.length; j++) prev.data[j]! += gi.data[j]!;
      });
    }
    return grads;
  };
  return {
    logits,
    gradient(classes) {
      const seed = tensor(logits.shape);
      const c = logits.shape[logits.shape.length - 1]!;
      classes.forEach((cls, n) => (seed.data[n * c + cls] = 1));
      return backward(seed).get(plan.target) ?? tensor(a.shape);
    },
    gradientsAt(names, seed) {
      const grads = backward(seed);
      return new Map(names.map((n) => [n, grads.get(n) ?? tensor(values.get(n)?.shape ?? a.shape)]));
    },
    value: (name) => values.get(name),
  };
}

/**
 * Upper bound of the head's forward work and tape per image, from its weights and the target's
 * size, before anything runs. A classifier's head never upsamples (Resize / ConvTranspose are not
 * differentiable here), so no tensor after the target is larger spatially than h×w: a Conv costs
 * at most |W|·h·w multiply-adds, and any tensor holds at most maxChannels·h·w values.
 */
export function headCost(graph: OnnxGraph, plan: HeadPlan, k: number, h: number, w: number): { macs: number; bytes: number } {
  const index = new GraphIndex(graph);
  const hw = h * w;
  let macs = 0;
  let maxC = k;
  for (const n of plan.nodes) {
    const weight = n.inputs[1] ? index.constant(n.inputs[1]) : undefined;
    const wsize = weight ? weight.dims.reduce((a, b) => a * b, 1) : 0;
    if (n.opType === 'Conv' && weight) {
      macs += wsize * hw;
      maxC = Math.max(maxC, weight.dims[0] ?? 0);
    } else if ((n.opType === 'Gemm' || n.opType === 'MatMul') && weight) macs += wsize;
  }
  for (const n of plan.nodes) if (n.opType !== 'Conv' && n.opType !== 'Gemm' && n.opType !== 'MatMul') macs += maxC * hw;
  return { macs, bytes: 8 * plan.nodes.length * maxC * hw };
}

const SPATIAL_PRODUCERS = new Set(['Conv', 'Relu', 'Clip', 'BatchNormalization', 'Add', 'Mul', 'MaxPool', 'AveragePool', 'Concat', 'Sigmoid', 'HardSwish', 'LeakyRelu', 'Elu', 'Tanh']);

/**
 * Every tensor a target layer may be chosen from: the outputs of spatial operators between the
 * first convolution and the global pooling that feeds the class output, in graph order (earliest
 * first). Which of them are 4-D is confirmed when the activation comes back from onnxruntime.
 */
export function layerCandidates(graph: OnnxGraph, output: string): string[] {
  const index = new GraphIndex(graph);
  const last = poolingTargets(graph, output)[0];
  if (!last) return [];
  const up = ancestors(index, last);
  const afterConv = new Set<OnnxNode>();
  for (const n of graph.nodes) {
    const fromConv = n.opType === 'Conv' || n.inputs.some((i) => {
      const p = index.producer.get(i);
      return !!p && afterConv.has(p);
    });
    if (fromConv) afterConv.add(n);
  }
  const names = graph.nodes.filter((n) => (up.has(n) || n.outputs[0] === last) && afterConv.has(n) && SPATIAL_PRODUCERS.has(n.opType)).map((n) => n.outputs[0]!);
  if (!names.includes(last)) names.push(last);
  return names;
}
