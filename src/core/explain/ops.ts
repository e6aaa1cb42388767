/**
 * Forward and exact backward of the ONNX operators real classifier heads are made of (pooling,
 * reshapes, Gemm/MatMul, elementwise arithmetic and activations, batch-norm, dropout, concat).
 * An operator missing here makes the head "not differentiable" and the explainer falls back to
 * the forward-only methods, naming the operator; nothing is approximated.
 */
import type { AttrValue, OnnxNode } from '../engine/onnx/model';
import { broadcastIndex, broadcastShape, size, strides, tensor, UnsupportedHead, type Tensor } from './tensor';
import { SPATIAL_OPS } from './spatial';

export interface OpRun {
  outputs: Tensor[];
  /**
   * Gradients w.r.t. each input given the gradient of the first output. `needs[i]` false (a weight)
   * lets an operator skip that input: for a 512×1000 Gemm the weight gradient is most of the work.
   */
  backward(g: Tensor, needs?: readonly boolean[]): (Tensor | undefined)[];
}

type Impl = (node: OnnxNode, inputs: (Tensor | undefined)[]) => OpRun;

const num = (v: AttrValue | undefined, d: number): number => (typeof v === 'number' ? v : d);
const ints = (v: AttrValue | undefined): number[] | undefined => (Array.isArray(v) ? (v as number[]) : undefined);
const req = (t: Tensor | undefined, what: string): Tensor => {
  if (!t) throw new UnsupportedHead(`missing input ${what}`);
  return t;
};

export { UnsupportedHead };

function reshaped(x: Tensor, shape: number[]): OpRun {
  return {
    outputs: [{ shape, data: x.data }],
    backward: (g) => [{ shape: x.shape, data: g.data }],
  };
}

function unary(f: (x: number) => number, df: (x: number, y: number) => number): Impl {
  return (_n, [x0]) => {
    const x = req(x0, 'X');
    const y = tensor(x.shape);
    for (let i = 0; i < y.data.length; i++) y.data[i] = f(x.data[i]!);
    return {
      outputs: [y],
      backward: (g) => {
        const gx = tensor(x.shape);
        for (let i = 0; i < gx.data.length; i++) gx.data[i] = g.data[i]! * df(x.data[i]!, y.data[i]!);
        return [gx];
      },
    };
  };
}

function reduceSum(g: Tensor, to: readonly number[]): Tensor {
  if (g.shape.length === to.length && g.shape.every((d, i) => d === to[i])) return g;
  const map = broadcastIndex(g.shape, to);
  const out = tensor([...to]);
  for (let i = 0; i < g.data.length; i++) out.data[map[i]!]! += g.data[i]!;
  return out;
}

function binary(
  f: (a: number, b: number) => number,
  da: (a: number, b: number) => number,
  db: (a: number, b: number) => number,
): Impl {
  return (_n, [a0, b0]) => {
    const a = req(a0, 'A');
    const b = req(b0, 'B');
    const shape = broadcastShape(a.shape, b.shape);
    if (!shape) throw new UnsupportedHead(`shapes [${a.shape}] and [${b.shape}] do not broadcast`);
    const ia = broadcastIndex(shape, a.shape);
    const ib = broadcastIndex(shape, b.shape);
    const y = tensor(shape);
    for (let i = 0; i < y.data.length; i++) y.data[i] = f(a.data[ia[i]!]!, b.data[ib[i]!]!);
    return {
      outputs: [y],
      backward: (g) => {
        const ga = tensor(shape);
        const gb = tensor(shape);
        for (let i = 0; i < g.data.length; i++) {
          const av = a.data[ia[i]!]!;
          const bv = b.data[ib[i]!]!;
          ga.data[i] = g.data[i]! * da(av, bv);
          gb.data[i] = g.data[i]! * db(av, bv);
        }
        return [reduceSum(ga, a.shape), reduceSum(gb, b.shape)];
      },
    };
  };
}

/** Reduction over `axes` (mean, sum or max), keepdims as ONNX defines it. */
function reduce(kind: 'mean' | 'sum' | 'max'): Impl {
  return (node, [x0, axesIn]) => {
    const x = req(x0, 'X');
    const rank = x.shape.length;
    let axes = ints(node.attrs['axes']) ?? (axesIn ? Array.from(axesIn.data) : undefined);
    if (!axes || axes.length === 0) axes = x.shape.map((_, i) => i);
    const set = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
    const keep = num(node.attrs['keepdims'], 1) === 1;
    const keptShape = x.shape.map((d, i) => (set.has(i) ? 1 : d));
    // Pooling reduces trailing axes: then the output index is just i / inner (no general mapping).
    const trailing = [...set].every((ax) => ax >= rank - set.size);
    const inner = trailing ? size(x.shape.slice(rank - set.size)) : 0;
    let map: Int32Array;
    if (trailing) {
      map = new Int32Array(x.data.length);
      for (let o = 0, i = 0; i < map.length; o++) for (let j = 0; j < inner; j++) map[i++] = o;
    } else map = broadcastIndex(x.shape, keptShape);
    const n = size(x.shape) / size(keptShape);
    const y = tensor(keptShape);
    const arg = new Int32Array(y.data.length).fill(-1);
    if (kind === 'max') y.data.fill(-Infinity);
    for (let i = 0; i < x.data.length; i++) {
      const o = map[i]!;
      const v = x.data[i]!;
      if (kind === 'max') {
        // First maximum wins, as in PyTorch's max-pool backward.
        if (v > y.data[o]!) {
          y.data[o] = v;
          arg[o] = i;
        }
      } else y.data[o]! += v;
    }
    if (kind === 'mean') for (let i = 0; i < y.data.length; i++) y.data[i]! /= n;
    const outShape = keep ? keptShape : x.shape.filter((_, i) => !set.has(i));
    return {
      outputs: [{ shape: outShape, data: y.data }],
      backward: (g) => {
        const gx = tensor(x.shape);
        if (kind === 'max') for (let o = 0; o < arg.length; o++) gx.data[arg[o]!] = g.data[o]!;
        else {
          const s = kind === 'mean' ? 1 / n : 1;
          for (let i = 0; i < gx.data.length; i++) gx.data[i] = g.data[map[i]!]! * s;
        }
        return [gx];
      },
    };
  };
}

const globalPool = (kind: 'mean' | 'max'): Impl => (node, [x0]) => {
  const x = req(x0, 'X');
  const axes = x.shape.map((_, i) => i).slice(2);
  return reduce(kind)({ ...node, attrs: { axes, keepdims: 1 } }, [x]);
};

function matmul2d(a: Float64Array, b: Float64Array, m: number, k: number, n: number, ta: boolean, tb: boolean): Float64Array {
  const out = new Float64Array(m * n);
  if (tb && !ta) {
    // Row · row: both operands contiguous (the common Gemm transB=1 layout of nn.Linear).
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * k + p]! * b[j * k + p]!;
        out[i * n + j] = s;
      }
    return out;
  }
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const av = ta ? a[p * m + i]! : a[i * k + p]!;
      if (av === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j]! += av * (tb ? b[j * k + p]! : b[p * n + j]!);
    }
  return out;
}

const gemm: Impl = (node, [a0, b0, c]) => {
  const a = req(a0, 'A');
  const b = req(b0, 'B');
  const ta = num(node.attrs['transA'], 0) === 1;
  const tb = num(node.attrs['transB'], 0) === 1;
  const alpha = num(node.attrs['alpha'], 1);
  const beta = num(node.attrs['beta'], 1);
  const m = ta ? a.shape[1]! : a.shape[0]!;
  const k = ta ? a.shape[0]! : a.shape[1]!;
  const n = tb ? b.shape[0]! : b.shape[1]!;
  const y = tensor([m, n], matmul2d(a.data, b.data, m, k, n, ta, tb));
  for (let i = 0; i < y.data.length; i++) y.data[i]! *= alpha;
  let ic: Int32Array | undefined;
  if (c) {
    ic = broadcastIndex([m, n], c.shape);
    for (let i = 0; i < y.data.length; i++) y.data[i]! += beta * c.data[ic[i]!]!;
  }
  return {
    outputs: [y],
    backward: (g, needs) => {
      // dA = alpha * g · B'ᵀ  (laid out as A is, transposed back when transA)
      const gaT = matmul2d(g.data, b.data, m, n, k, false, !tb);
      const ga = tensor(a.shape);
      for (let i = 0; i < m; i++)
        for (let p = 0; p < k; p++) ga.data[ta ? p * m + i : i * k + p] = alpha * gaT[i * k + p]!;
      // dB = alpha * A'ᵀ · g
      let gb: Tensor | undefined;
      if (needs?.[1] !== false) {
        const gbT = matmul2d(a.data, g.data, k, m, n, !ta, false);
        gb = tensor(b.shape);
        for (let p = 0; p < k; p++)
          for (let j = 0; j < n; j++) gb.data[tb ? j * k + p : p * n + j] = alpha * gbT[p * n + j]!;
      }
      let gc: Tensor | undefined;
      if (c && needs?.[2] !== false) {
        const scaled = tensor([m, n]);
        for (let i = 0; i < g.data.length; i++) scaled.data[i] = beta * g.data[i]!;
        gc = reduceSum(scaled, c.shape);
      }
      return [ga, gb, gc];
    },
  };
};

const matmul: Impl = (_n, [a0, b0]) => {
  const a = req(a0, 'A');
  const b = req(b0, 'B');
  if (b.shape.length !== 2 || a.shape.length < 1) throw new UnsupportedHead('MatMul with a batched right operand');
  const k = b.shape[0]!;
  const n = b.shape[1]!;
  if (a.shape[a.shape.length - 1] !== k) throw new UnsupportedHead('MatMul shapes do not match');
  const m = a.data.length / k;
  const outShape = [...a.shape.slice(0, -1), n];
  const y = tensor(outShape, matmul2d(a.data, b.data, m, k, n, false, false));
  return {
    outputs: [y],
    backward: (g, needs) => [
      needs?.[0] === false ? undefined : { shape: a.shape, data: matmul2d(g.data, b.data, m, n, k, false, true) },
      needs?.[1] === false ? undefined : { shape: b.shape, data: matmul2d(a.data, g.data, k, m, n, true, false) },
    ],
  };
};

const batchNorm: Impl = (node, [x0, scale, bias, mean, variance]) => {
  const x = req(x0, 'X');
  const eps = num(node.attrs['epsilon'], 1e-5);
  const c = x.shape[1] ?? 1;
  const inner = size(x.shape.slice(2));
  const mul = new Float64Array(c);
  const add = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    mul[ch] = req(scale, 'scale').data[ch]! / Math.sqrt(req(variance, 'var').data[ch]! + eps);
    add[ch] = req(bias, 'B').data[ch]! - req(mean, 'mean').data[ch]! * mul[ch]!;
  }
  const chOf = (i: number) => Math.floor(i / inner) % c;
  const y = tensor(x.shape);
  for (let i = 0; i < y.data.length; i++) y.data[i] = x.data[i]! * mul[chOf(i)]! + add[chOf(i)]!;
  return {
    outputs: [y],
    backward: (g) => {
      const gx = tensor(x.shape);
      for (let i = 0; i < gx.data.length; i++) gx.data[i] = g.data[i]! * mul[chOf(i)]!;
      return [gx];
    },
  };
};

const concat: Impl = (node, inputs) => {
  const xs = inputs.map((t, i) => req(t, `input ${i}`));
  const rank = xs[0]!.shape.length;
  let axis = num(node.attrs['axis'], 0);
  if (axis < 0) axis += rank;
  const outer = size(xs[0]!.shape.slice(0, axis));
  const inner = size(xs[0]!.shape.slice(axis + 1));
  const total = xs.reduce((s, t) => s + t.shape[axis]!, 0);
  const shape = [...xs[0]!.shape];
  shape[axis] = total;
  const y = tensor(shape);
  let off = 0;
  const offsets: number[] = [];
  for (const t of xs) {
    offsets.push(off);
    const w = t.shape[axis]! * inner;
    for (let o = 0; o < outer; o++) y.data.set(t.data.subarray(o * w, (o + 1) * w), o * total * inner + off * inner);
    off += t.shape[axis]!;
  }
  return {
    outputs: [y],
    backward: (g) =>
      xs.map((t, idx) => {
        const w = t.shape[axis]! * inner;
        const gt = tensor(t.shape);
        for (let o = 0; o < outer; o++) gt.data.set(g.data.subarray(o * total * inner + offsets[idx]! * inner, o * total * inner + offsets[idx]! * inner + w), o * w);
        return gt;
      }),
  };
};

function reshapeTarget(x: Tensor, spec: number[], allowZero: boolean): number[] {
  const out = spec.map((d, i) => (d === 0 && !allowZero ? x.shape[i]! : d));
  const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  return out.map((d) => (d === -1 ? x.data.length / known : d));
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const erf = (x: number): number => {
  // Abramowitz–Stegun 7.1.26 is too coarse for float32 parity; use a series/continued-fraction pair.
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let sum = x;
    let term = x;
    for (let n = 1; n < 60; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction for large |x|.
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
};

export const OPS: Record<string, Impl> = {
  GlobalAveragePool: globalPool('mean'),
  GlobalMaxPool: globalPool('max'),
  ReduceMean: reduce('mean'),
  ReduceMax: reduce('max'),
  ReduceSum: reduce('sum'),
  Flatten: (node, [x0]) => {
    const x = req(x0, 'X');
    let axis = num(node.attrs['axis'], 1);
    if (axis < 0) axis += x.shape.length;
    return reshaped(x, [size(x.shape.slice(0, axis)), size(x.shape.slice(axis))]);
  },
  Reshape: (node, [x0, shape]) => reshaped(req(x0, 'X'), reshapeTarget(req(x0, 'X'), Array.from(req(shape, 'shape').data), num(node.attrs['allowzero'], 0) === 1)),
  Squeeze: (node, [x0, axesIn]) => {
    const x = req(x0, 'X');
    const axes = (ints(node.attrs['axes']) ?? (axesIn ? Array.from(axesIn.data) : undefined))?.map((a) => (a < 0 ? a + x.shape.length : a));
    return reshaped(x, x.shape.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)));
  },
  Unsqueeze: (node, [x0, axesIn]) => {
    const x = req(x0, 'X');
    const axes = ints(node.attrs['axes']) ?? Array.from(req(axesIn, 'axes').data);
    const rank = x.shape.length + axes.length;
    const norm = axes.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
    const shape = [...x.shape];
    for (const a of norm) shape.splice(a, 0, 1);
    return reshaped(x, shape);
  },
  Identity: (_n, [x]) => reshaped(req(x, 'X'), req(x, 'X').shape),
  Dropout: (_n, [x]) => reshaped(req(x, 'X'), req(x, 'X').shape),
  Cast: (node, [x]) => {
    if (![1, 10, 11].includes(num(node.attrs['to'], 1))) throw new UnsupportedHead('Cast to a non-float type');
    return reshaped(req(x, 'X'), req(x, 'X').shape);
  },
  Gemm: gemm,
  MatMul: matmul,
  BatchNormalization: batchNorm,
  Concat: concat,
  Add: binary((a, b) => a + b, () => 1, () => 1),
  Sub: binary((a, b) => a - b, () => 1, () => -1),
  Mul: binary((a, b) => a * b, (_a, b) => b, (a) => a),
  Div: binary((a, b) => a / b, (_a, b) => 1 / b, (a, b) => -a / (b * b)),
  Relu: unary((v) => (v > 0 ? v : 0), (v) => (v > 0 ? 1 : 0)),
  LeakyRelu: (node, inputs) => {
    const alpha = num(node.attrs['alpha'], 0.01);
    return unary((v) => (v >= 0 ? v : alpha * v), (v) => (v >= 0 ? 1 : alpha))(node, inputs);
  },
  Elu: (node, inputs) => {
    const alpha = num(node.attrs['alpha'], 1);
    return unary((v) => (v >= 0 ? v : alpha * (Math.exp(v) - 1)), (v) => (v >= 0 ? 1 : alpha * Math.exp(v)))(node, inputs);
  },
  Sigmoid: unary(sigmoid, (_v, y) => y * (1 - y)),
  Tanh: unary(Math.tanh, (_v, y) => 1 - y * y),
  Softplus: unary((v) => (v > 20 ? v : Math.log1p(Math.exp(v))), (v) => sigmoid(v)),
  Erf: unary(erf, (v) => (2 / Math.sqrt(Math.PI)) * Math.exp(-v * v)),
  Neg: unary((v) => -v, () => -1),
  Exp: unary(Math.exp, (_v, y) => y),
  Sqrt: unary(Math.sqrt, (_v, y) => 0.5 / y),
  HardSigmoid: (node, inputs) => {
    const a = num(node.attrs['alpha'], 0.2);
    const b = num(node.attrs['beta'], 0.5);
    return unary((v) => Math.min(1, Math.max(0, a * v + b)), (v) => (a * v + b > 0 && a * v + b < 1 ? a : 0))(node, inputs);
  },
  HardSwish: unary(
    (v) => v * Math.min(1, Math.max(0, v / 6 + 0.5)),
    (v) => (v <= -3 ? 0 : v >= 3 ? 1 : v / 3 + 0.5),
  ),
  Clip: (node, [x, lo, hi]) => {
    const min = lo ? lo.data[0]! : num(node.attrs['min'], -Infinity);
    const max = hi ? hi.data[0]! : num(node.attrs['max'], Infinity);
    // PyTorch's hardtanh/ReLU6 passes gradient only strictly inside (min, max).
    return unary((v) => Math.min(max, Math.max(min, v)), (v) => (v > min && v < max ? 1 : 0))(node, [x]);
  },
};

/** Shape arithmetic (`x.view(x.size(0), -1)` exports as Shape→Gather→Unsqueeze→Concat→Reshape). */
const shapeOp: Impl = (_n, [x]) => ({
  outputs: [tensor([req(x, 'X').shape.length], req(x, 'X').shape)],
  backward: () => [undefined],
});

const gather: Impl = (node, [data0, idx0]) => {
  const data = req(data0, 'data');
  const idx = req(idx0, 'indices');
  if (data.shape.length !== 1 || num(node.attrs['axis'], 0) !== 0) throw new UnsupportedHead('Gather on a tensor of rank > 1');
  const n = data.shape[0]!;
  const picked = Array.from(idx.data, (i) => (i < 0 ? i + n : i));
  return {
    outputs: [tensor([...idx.shape], picked.map((i) => data.data[i]!))],
    backward: (g) => {
      const gd = tensor(data.shape);
      picked.forEach((i, k) => (gd.data[i]! += g.data[k]!));
      return [gd, undefined];
    },
  };
};

OPS['Shape'] = shapeOp;
OPS['Gather'] = gather;
// Conv / pooling: the head from an earlier target layer runs through the rest of the backbone.
Object.assign(OPS, SPATIAL_OPS);

export const DIFFERENTIABLE_OPS = new Set(Object.keys(OPS));

/** Inputs of these operators that are never differentiated (shapes, axes, constants of BN). */
export function isParameterInput(opType: string, index: number): boolean {
  switch (opType) {
    case 'Reshape':
    case 'Squeeze':
    case 'Unsqueeze':
    case 'ReduceMean':
    case 'ReduceMax':
    case 'ReduceSum':
    case 'Clip':
    case 'Dropout':
      return index >= 1;
    case 'BatchNormalization':
      return index >= 1;
    default:
      return false;
  }
}

export { strides };
