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

export function planHead(graph: OnnxGraph, output: string, target?: string): HeadPlan {
  const index = new GraphIndex(graph);
  const outNode = index.producer.get(output);
  let logits = output;
  let outputActivation: HeadPlan['outputActivation'];
  if (outNode && PROBABILITY_OPS.has(outNode.opType)) {
    logits = outNode.inputs[0]!;
    outputActivation = outNode.opType.toLowerCase() as HeadPlan['outputActivation'];
  }
  const chosen = target ?? poolingTargets(graph, logits)[0];
  if (!chosen) {
    return { target: '', logits, output, outputActivation, nodes: [], sideInputs: [], unsupported: 'no global pooling layer feeds the class output' };
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
    return { target: chosen, logits, output, outputActivation, nodes, sideInputs: [], unsupported: `${chosen} does not feed ${logits}` };
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
  return { target: chosen, logits, output, outputActivation, nodes, sideInputs, unsupported };
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
  return {
    logits,
    gradient(classes) {
      const grads = new Map<string, Tensor>();
      const seed = tensor(logits.shape);
      const c = logits.shape[logits.shape.length - 1]!;
      classes.forEach((cls, n) => (seed.data[n * c + cls] = 1));
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
      return grads.get(plan.target) ?? tensor(a.shape);
    },
  };
}
