/**
 * The gradient graph: a small ONNX model, built here from the pack's own ONNX, that takes the
 * target activation A (and the head's side inputs) plus a seed over the logits and returns the
 * replayed logits and d(seed · logits)/dT for the target and every fused layer T. onnxruntime runs
 * it with its own kernels (a Conv's input-gradient is a ConvTranspose with the same weight), so an
 * explanation from an early layer no longer pays for a TypeScript convolution replay (issue #15:
 * ~117 ms → a few ms per image on the battery pack).
 *
 * DECISION — why a builder of our own: no well-kept tool makes such a graph for onnxruntime-node.
 * torch.onnx cannot export autograd (pytorch#55747, #110866); onnxruntime-training's gradient
 * builder differentiates w.r.t. weights, lives in the training build (not onnxruntime-node) and
 * needs PyPI; ONNX's `Gradient` op (ai.onnx.preview.training) is not run by onnxruntime's
 * inference build. The graph is built at session creation from the model the pack already hashes,
 * so no pack file changes and no re-signing is needed, and it works for every pack whose head
 * uses only the operators below. It is *checked* before it is used: ./index.ts compares its
 * gradients with the exact TypeScript replay (./ops.ts, ./spatial.ts) on the first batch of each
 * session and keeps the replay when they differ or an operator has no rule here.
 *
 * Rules (y = the node's output, g = its incoming gradient; weights are never differentiated):
 *   Relu: g·[y>0]   Clip: g·[min<x<max]   Sigmoid: g·y·(1−y)   Add/Sub: ±g (same shapes only)   Mul: g·other (same shape)
 *   Conv: ConvTranspose(g, W) with the Conv's strides/pads/dilations/groups and the output_padding
 *         that restores the input size   BatchNormalization (inference): g·γ/√(σ²+ε)
 *   GlobalAveragePool / ReduceMean over H,W: Expand(g)/(h·w)   Gemm/MatMul (constant B): g·Bᵀ
 *   Flatten/Reshape/Squeeze/Unsqueeze/Identity/Dropout/Cast: Reshape(g, Shape(x))
 *   Concat: Slice of g per input.
 * MaxPool, ReduceMax, HardSwish, … have no rule: such heads keep the TypeScript replay.
 */
import { readFields, concat, encodeBytesField, encodeString, encodeVarint, encodeVarintField, type Field } from '../engine/onnx/protobuf';
import { DataType, GraphIndex, type AttrValue, type OnnxGraph, type OnnxNode } from '../engine/onnx/model';
import { UnsupportedHead } from './tensor';
import type { HeadPlan } from './head';

export const SEED_INPUT = 'inspector/grad/seed';
const gradName = (t: string) => `inspector/grad/${t}`;

export interface GradientGraph {
  model: Uint8Array;
  /** Graph inputs besides the seed: the target, then the head's side inputs. */
  inputs: string[];
  /** The replayed logits output (for the exactness check against the main run's). */
  logits: string;
  /** Output name of d(seed·logits)/dT for each requested tensor T. */
  gradients: Record<string, string>;
}

type Attr = { name: string; ints?: number[]; i?: number; f?: number };

function encodeAttr(a: Attr): Uint8Array {
  const parts = [encodeString(1, a.name)];
  if (a.ints) {
    parts.push(encodeVarintField(20, 7));
    for (const v of a.ints) parts.push(encodeVarintField(8, v));
  } else if (a.f !== undefined) {
    const b = new Uint8Array(5);
    b[0] = (2 << 3) | 5;
    new DataView(b.buffer).setFloat32(1, a.f, true);
    parts.push(b, encodeVarintField(20, 1));
  } else {
    parts.push(encodeVarintField(3, a.i ?? 0), encodeVarintField(20, 2));
  }
  return concat(parts);
}

function encodeNode(op: string, inputs: string[], outputs: string[], attrs: Attr[] = []): Uint8Array {
  return concat([
    ...inputs.map((i) => encodeString(1, i)),
    ...outputs.map((o) => encodeString(2, o)),
    encodeString(3, outputs[0]!),
    encodeString(4, op),
    ...attrs.map((a) => encodeBytesField(5, encodeAttr(a))),
  ]);
}

function encodeTensor(name: string, dims: number[], type: DataType, values: ArrayLike<number>): Uint8Array {
  let raw: Uint8Array;
  if (type === DataType.INT64) {
    const a = new BigInt64Array(values.length);
    for (let i = 0; i < values.length; i++) a[i] = BigInt(values[i]!);
    raw = new Uint8Array(a.buffer);
  } else raw = new Uint8Array(Float32Array.from(values).buffer);
  return concat([...dims.map((d) => encodeVarintField(1, d)), encodeVarintField(2, type), encodeString(8, name), encodeBytesField(9, raw)]);
}

function valueInfo(name: string): Uint8Array {
  const tensorType = encodeVarintField(1, DataType.FLOAT);
  return concat([encodeString(1, name), encodeBytesField(2, encodeBytesField(1, tensorType))]);
}

const ints = (v: AttrValue | undefined, d: number[]): number[] => (Array.isArray(v) ? (v as number[]) : d);
const num = (v: AttrValue | undefined, d: number): number => (typeof v === 'number' ? v : d);
const sameShape = (a: readonly number[] | undefined, b: readonly number[] | undefined) => !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Builds the gradient graph for `plan` over `model`. `shapes` holds every head tensor's shape
 * (from the TypeScript replay of one batch): Conv's output_padding and the same-shape rules need
 * them. Throws UnsupportedHead naming the first operator without a rule.
 */
export function buildGradientGraph(model: Uint8Array, graph: OnnxGraph, plan: HeadPlan, shapes: ReadonlyMap<string, readonly number[]>, wanted: readonly string[]): GradientGraph {
  if (plan.unsupported) throw new UnsupportedHead(plan.unsupported);
  const opset = graph.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0;
  if (opset < 11) throw new UnsupportedHead(`opset ${opset} (the gradient graph needs ≥ 11)`);
  const index = new GraphIndex(graph);
  const top = readFields(model);
  const g = readFields(top.find((f) => f.no === 7 && f.wire === 2)!.bytes!);
  const nodeFields = g.filter((f) => f.no === 1);
  const initFields = new Map<string, Field>();
  for (const f of g.filter((x) => x.no === 5)) {
    const name = readFields(f.bytes!).find((x) => x.no === 8);
    if (name?.bytes) initFields.set(new TextDecoder().decode(name.bytes), f);
  }
  const raw = (f: Field) => f.bytes!;
  const nodes: Uint8Array[] = [];
  const inits: Uint8Array[] = [];
  const copied = new Set<string>();
  const produced = new Set(plan.nodes.flatMap((n) => n.outputs));
  const sides = new Set(plan.sideInputs);

  // Forward: the head's own nodes, byte for byte, and the constants they read.
  for (const n of plan.nodes) {
    for (const i of n.inputs) {
      if (!i || i === plan.target || produced.has(i) || sides.has(i) || copied.has(i)) continue;
      copied.add(i);
      const init = initFields.get(i);
      if (init) inits.push(raw(init));
      else {
        const p = index.producer.get(i);
        if (p?.opType !== 'Constant') throw new UnsupportedHead(`head input ${i} is neither an initializer nor a constant`);
        nodes.push(raw(nodeFields[graph.nodes.indexOf(p)]!));
      }
    }
    nodes.push(raw(nodeFields[graph.nodes.indexOf(n)]!));
  }

  let serial = 0;
  const fresh = (hint: string) => `inspector/grad/t${serial++}/${hint}`;
  const add = (op: string, inputs: string[], attrs: Attr[] = [], hint = op) => {
    const out = fresh(hint);
    nodes.push(encodeNode(op, inputs, [out], attrs));
    return out;
  };
  const constant = (values: number[], dims: number[], type = DataType.FLOAT) => {
    const name = fresh('const');
    inits.push(encodeTensor(name, dims, type, values));
    return name;
  };
  const valuesOf = (name: string) => {
    const c = index.constant(name);
    if (!c) throw new UnsupportedHead(`${name} is not constant`);
    return c.values();
  };
  const shapeOf = (t: string) => {
    const s = shapes.get(t);
    if (!s) throw new UnsupportedHead(`no shape known for ${t}`);
    return s;
  };
  const reshapeLike = (gy: string, x: string) => add('Reshape', [gy, add('Shape', [x])]);

  // Backward: contributions per tensor, summed when a tensor feeds several nodes (residual skips).
  const contributions = new Map<string, string[]>();
  const contribute = (t: string, gname: string) => {
    if (t !== plan.target && !produced.has(t)) return; // side inputs and weights: not differentiated
    contributions.set(t, [...(contributions.get(t) ?? []), gname]);
  };
  const gradientOf = (t: string): string | undefined => {
    const c = contributions.get(t);
    if (!c?.length) return undefined;
    if (c.length === 1) return c[0]!;
    const s = add('Sum', c, [], 'sum');
    contributions.set(t, [s]);
    return s;
  };
  contributions.set(plan.logits, [SEED_INPUT]);
  const needs = (t: string | undefined) => !!t && (t === plan.target || produced.has(t));

  for (let k = plan.nodes.length - 1; k >= 0; k--) {
    const n: OnnxNode = plan.nodes[k]!;
    if (n.opType === 'Constant') continue;
    const gy = gradientOf(n.outputs[0]!);
    if (!gy) continue;
    const [x, w] = n.inputs as [string, string | undefined];
    const y = n.outputs[0]!;
    switch (n.opType) {
      case 'Relu': {
        const zero = constant([0], []);
        contribute(x, add('Mul', [gy, add('Cast', [add('Greater', [y, zero])], [{ name: 'to', i: DataType.FLOAT }])]));
        break;
      }
      case 'Clip': {
        // PyTorch's hardtanh/ReLU6 passes the gradient strictly inside (min, max), as ./ops.ts.
        const [, lo, hi] = n.inputs;
        if (n.attrs['min'] !== undefined || n.attrs['max'] !== undefined) throw new UnsupportedHead('Clip with min/max attributes (opset < 11)');
        const inside = [lo ? add('Greater', [x, lo]) : undefined, hi ? add('Less', [x, hi]) : undefined].filter((v): v is string => !!v);
        if (!inside.length) {
          contribute(x, gy);
          break;
        }
        const mask = inside.length === 2 ? add('And', inside) : inside[0]!;
        contribute(x, add('Mul', [gy, add('Cast', [mask], [{ name: 'to', i: DataType.FLOAT }])]));
        break;
      }
      case 'Sigmoid': {
        const one = constant([1], []);
        contribute(x, add('Mul', [gy, add('Mul', [y, add('Sub', [one, y])])]));
        break;
      }
      case 'Add':
      case 'Sub':
      case 'Mul': {
        n.inputs.forEach((inp, i) => {
          if (!needs(inp)) return;
          if (!sameShape(shapeOf(inp), shapeOf(y))) throw new UnsupportedHead(`${n.opType} ${n.name} broadcasts a differentiated input`);
          const other = n.inputs[1 - i]!;
          contribute(inp, n.opType === 'Add' ? gy : n.opType === 'Sub' ? (i === 0 ? gy : add('Neg', [gy])) : add('Mul', [gy, other]));
        });
        break;
      }
      case 'Conv': {
        if (!w || !index.constant(w)) throw new UnsupportedHead(`Conv ${n.name} with a non-constant weight`);
        const autoPad = n.attrs['auto_pad'];
        if (typeof autoPad === 'string' && autoPad !== 'NOTSET' && autoPad !== 'VALID') throw new UnsupportedHead(`Conv ${n.name} with auto_pad ${autoPad}`);
        const xs = shapeOf(x);
        const ys = shapeOf(y);
        const ws = index.constant(w)!.dims;
        const kernel = ints(n.attrs['kernel_shape'], ws.slice(2));
        const strides = ints(n.attrs['strides'], [1, 1]);
        const dil = ints(n.attrs['dilations'], [1, 1]);
        const pads = autoPad === 'VALID' ? [0, 0, 0, 0] : ints(n.attrs['pads'], [0, 0, 0, 0]);
        if (xs.length !== 4 || kernel.length !== 2) throw new UnsupportedHead(`Conv ${n.name} is not 2-D`);
        const outPad = [0, 1].map((d) => xs[2 + d]! - ((ys[2 + d]! - 1) * strides[d]! - pads[d]! - pads[d + 2]! + dil[d]! * (kernel[d]! - 1) + 1));
        if (outPad.some((p, d) => p < 0 || p >= Math.max(strides[d]!, dil[d]!))) throw new UnsupportedHead(`Conv ${n.name}: no ConvTranspose restores its input size`);
        contribute(x, add('ConvTranspose', [gy, w], [
          { name: 'kernel_shape', ints: kernel },
          { name: 'strides', ints: strides },
          { name: 'dilations', ints: dil },
          { name: 'pads', ints: pads },
          { name: 'group', i: num(n.attrs['group'], 1) },
          { name: 'output_padding', ints: outPad },
        ]));
        break;
      }
      case 'BatchNormalization': {
        const [scale, , , variance] = n.inputs.slice(1).map(valuesOf) as [Float64Array, Float64Array, Float64Array, Float64Array];
        const eps = num(n.attrs['epsilon'], 1e-5);
        const mul = Array.from(scale, (s, c) => s / Math.sqrt(variance[c]! + eps));
        const rank = shapeOf(x).length;
        contribute(x, add('Mul', [gy, constant(mul, [mul.length, ...Array<number>(Math.max(0, rank - 2)).fill(1)])]));
        break;
      }
      case 'GlobalAveragePool':
      case 'ReduceMean': {
        const xs = shapeOf(x);
        if (xs.length !== 4) throw new UnsupportedHead(`${n.opType} on rank ${xs.length}`);
        if (n.opType === 'ReduceMean') {
          const axes = (Array.isArray(n.attrs['axes']) ? (n.attrs['axes'] as number[]) : n.inputs[1] ? Array.from(valuesOf(n.inputs[1])) : []).map((a) => (a < 0 ? a + 4 : a));
          if (axes.length !== 2 || !axes.includes(2) || !axes.includes(3)) throw new UnsupportedHead(`ReduceMean ${n.name} over axes other than H, W`);
        }
        const keep = n.opType === 'GlobalAveragePool' || num(n.attrs['keepdims'], 1) === 1;
        const g4 = keep ? gy : add('Reshape', [gy, constant([0, 0, 1, 1], [4], DataType.INT64)]);
        contribute(x, add('Mul', [add('Expand', [g4, add('Shape', [x])]), constant([1 / (xs[2]! * xs[3]!)], [])]));
        break;
      }
      case 'Gemm': {
        if (num(n.attrs['transA'], 0) === 1 || !w || !index.constant(w)) throw new UnsupportedHead(`Gemm ${n.name} with transA or a non-constant B`);
        const b = num(n.attrs['transB'], 0) === 1 ? w : add('Transpose', [w], [{ name: 'perm', ints: [1, 0] }]);
        const alpha = num(n.attrs['alpha'], 1);
        const ga = add('MatMul', [gy, b]);
        contribute(x, alpha === 1 ? ga : add('Mul', [ga, constant([alpha], [])]));
        break;
      }
      case 'MatMul': {
        if (!w || !index.constant(w) || index.constant(w)!.dims.length !== 2) throw new UnsupportedHead(`MatMul ${n.name} with a non-constant or batched right operand`);
        contribute(x, add('MatMul', [gy, add('Transpose', [w], [{ name: 'perm', ints: [1, 0] }])]));
        break;
      }
      case 'Flatten':
      case 'Reshape':
      case 'Squeeze':
      case 'Unsqueeze':
      case 'Identity':
      case 'Dropout':
      case 'Cast':
        if (n.opType === 'Cast' && ![1, 10, 11].includes(num(n.attrs['to'], 1))) throw new UnsupportedHead('Cast to a non-float type');
        contribute(x, reshapeLike(gy, x));
        break;
      case 'Concat': {
        const rank = shapeOf(y).length;
        let axis = num(n.attrs['axis'], 0);
        if (axis < 0) axis += rank;
        let off = 0;
        for (const inp of n.inputs) {
          const len = shapeOf(inp)[axis]!;
          if (needs(inp)) contribute(inp, add('Slice', [gy, constant([off], [1], DataType.INT64), constant([off + len], [1], DataType.INT64), constant([axis], [1], DataType.INT64)]));
          off += len;
        }
        break;
      }
      default:
        throw new UnsupportedHead(`operator ${n.opType} (${n.name || y}) has no gradient rule in the gradient graph`);
    }
  }

  const gradients: Record<string, string> = {};
  for (const t of wanted) {
    const gt = gradientOf(t);
    if (!gt) throw new UnsupportedHead(`no gradient reaches ${t}`);
    gradients[t] = gradName(t);
    nodes.push(encodeNode('Identity', [gt], [gradients[t]!]));
  }
  const inputs = [plan.target, ...plan.sideInputs];
  const graphBytes = concat([
    ...nodes.map((b) => encodeBytesField(1, b)),
    encodeString(2, 'inspector-gradient'),
    ...inits.map((b) => encodeBytesField(5, b)),
    ...[...inputs, SEED_INPUT].map((i) => encodeBytesField(11, valueInfo(i))),
    ...[plan.logits, ...Object.values(gradients)].map((o) => encodeBytesField(12, valueInfo(o))),
  ]);
  const keep = top.filter((f) => f.no === 1 || f.no === 8).map((f) => model.subarray(f.start, f.end));
  const modelBytes = concat([...keep, Uint8Array.from(encodeVarint((7 << 3) | 2)), Uint8Array.from(encodeVarint(graphBytes.length)), graphBytes]);
  return { model: modelBytes, inputs, logits: plan.logits, gradients };
}
