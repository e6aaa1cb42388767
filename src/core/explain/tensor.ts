/**
 * A minimal dense tensor for the classifier head's forward and backward passes. Heads are small
 * (a pooled vector and a few matrix products), so float64 on the CPU costs microseconds and keeps
 * the gradient at least as precise as PyTorch's float32 autograd it is compared with.
 */
/** An operator or shape the explainer cannot differentiate exactly: it falls back and says why. */
export class UnsupportedHead extends Error {}

export interface Tensor {
  shape: number[];
  data: Float64Array;
}

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function tensor(shape: number[], data?: ArrayLike<number>): Tensor {
  const n = size(shape);
  const d = new Float64Array(n);
  if (data) {
    if (data.length !== n) throw new RangeError(`tensor of shape [${shape}] needs ${n} values, got ${data.length}`);
    d.set(data);
  }
  return { shape, data: d };
}

export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** numpy broadcasting: the output shape of two operands, or undefined when incompatible. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(Math.max(da, db));
  }
  return out;
}

/** For each flat index of `out`, the flat index of the broadcast operand of shape `inShape`. */
export function broadcastIndex(out: readonly number[], inShape: readonly number[]): Int32Array {
  const n = size(out);
  const map = new Int32Array(n);
  const pad = out.length - inShape.length;
  const inStrides = strides(inShape);
  const outStrides = strides(out);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let j = 0;
    for (let d = 0; d < out.length; d++) {
      const coord = Math.floor(rem / outStrides[d]!);
      rem -= coord * outStrides[d]!;
      const id = d - pad;
      if (id >= 0 && inShape[id]! !== 1) j += coord * inStrides[id]!;
    }
    map[i] = j;
  }
  return map;
}
