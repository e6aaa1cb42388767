/**
 * Forward and exact backward (w.r.t. the data input only) of the spatial operators between an
 * earlier target layer and the pooling: Conv (groups, strides, pads, dilations), MaxPool and
 * AveragePool, NCHW. With them the explainer differentiates from any 4-D activation of a plain CNN
 * classifier, not only the one that feeds global pooling (issue #15: sharper maps from earlier
 * stages). Weights are never differentiated: the map needs d(score)/dA only.
 *
 * Cost: a Conv's forward and backward are each N·K_out·(K_in/groups)·kh·kw·h_out·w_out multiply-adds
 * in float64 (`convMacs`); ./budget.ts bounds the whole head's work from these before it runs.
 */
import type { AttrValue, OnnxNode } from '../engine/onnx/model';
import { tensor, UnsupportedHead as Unsupported, type Tensor } from './tensor';
import type { OpRun } from './ops';

const ints = (v: AttrValue | undefined, d: number[]): number[] => (Array.isArray(v) ? (v as number[]) : d);
const num = (v: AttrValue | undefined, d: number): number => (typeof v === 'number' ? v : d);

interface Window {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pt: number;
  pl: number;
  dh: number;
  dw: number;
  oh: number;
  ow: number;
}

function windowOf(node: OnnxNode, h: number, w: number, kernel: number[]): Window {
  const [kh, kw] = kernel as [number, number];
  const [sh, sw] = ints(node.attrs['strides'], [1, 1]) as [number, number];
  const [dh, dw] = ints(node.attrs['dilations'], [1, 1]) as [number, number];
  const autoPad = node.attrs['auto_pad'];
  let [pt, pl, pb, pr] = ints(node.attrs['pads'], [0, 0, 0, 0]) as [number, number, number, number];
  const ceil = num(node.attrs['ceil_mode'], 0) === 1;
  if (typeof autoPad === 'string' && autoPad !== 'NOTSET' && autoPad !== 'VALID') {
    // SAME_UPPER / SAME_LOWER: output = ceil(in / stride).
    const padH = Math.max(0, (Math.ceil(h / sh) - 1) * sh + (kh - 1) * dh + 1 - h);
    const padW = Math.max(0, (Math.ceil(w / sw) - 1) * sw + (kw - 1) * dw + 1 - w);
    const lower = autoPad === 'SAME_LOWER';
    pt = lower ? Math.ceil(padH / 2) : Math.floor(padH / 2);
    pb = padH - pt;
    pl = lower ? Math.ceil(padW / 2) : Math.floor(padW / 2);
    pr = padW - pl;
  } else if (autoPad === 'VALID') [pt, pl, pb, pr] = [0, 0, 0, 0];
  const span = (n: number, p: number, k: number, d: number, s: number) => {
    const v = (n + p - ((k - 1) * d + 1)) / s;
    return (ceil ? Math.ceil(v) : Math.floor(v)) + 1;
  };
  let oh = span(h, pt + pb, kh, dh, sh);
  let ow = span(w, pl + pr, kw, dw, sw);
  // ceil_mode: the last window must start inside the input or its left padding (as PyTorch).
  if (ceil && (oh - 1) * sh >= h + pt) oh--;
  if (ceil && (ow - 1) * sw >= w + pl) ow--;
  return { kh, kw, sh, sw, pt, pl, dh, dw, oh, ow };
}

/** Multiply-adds of one Conv forward (the backward w.r.t. its input is the same count). */
export function convMacs(n: number, kOut: number, kInPerGroup: number, kh: number, kw: number, oh: number, ow: number): number {
  return n * kOut * kInPerGroup * kh * kw * oh * ow;
}

export function conv(node: OnnxNode, [x0, w0, b0]: (Tensor | undefined)[]): OpRun {
  if (!x0 || !w0) throw new Unsupported('Conv without input or weight');
  const x = x0;
  const wt = w0;
  if (x.shape.length !== 4 || wt.shape.length !== 4) throw new Unsupported('Conv on a tensor of rank other than 4');
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [m, cg, kh, kw] = wt.shape as [number, number, number, number];
  const groups = num(node.attrs['group'], 1);
  if (cg * groups !== c || m % groups !== 0) throw new Unsupported(`Conv weight [${wt.shape}] does not fit ${c} input channels in ${groups} groups`);
  const { sh, sw, pt, pl, dh, dw, oh, ow } = windowOf(node, h, w, ints(node.attrs['kernel_shape'], [kh, kw]));
  const mg = m / groups;
  const P = oh * ow;
  const Q = cg * kh * kw;
  // im2col as an index map, shared by every image and group: for output position p and row
  // q = (input channel in the group, ky, kx), the input offset inside the group's channels, or -1
  // (padding); stored position-major, so each output value is one dot product of a weight row with
  // a contiguous column (no store in the inner loop), and the backward pass skips the zeros ReLU
  // leaves in the incoming gradient. That is what makes replaying residual blocks per image cheap.
  const idx = new Int32Array(P * Q).fill(-1);
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++) {
      const po = (oy * ow + ox) * Q;
      for (let icg = 0; icg < cg; icg++)
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky * dh;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pl + kx * dw;
            if (ix >= 0 && ix < w) idx[po + (icg * kh + ky) * kw + kx] = icg * h * w + iy * w + ix;
          }
        }
    }
  const W = wt.data;
  const X = x.data;
  const y = tensor([n, m, oh, ow]);
  const Y = y.data;
  const col = new Float64Array(P * Q);
  for (let b = 0; b < n; b++)
    for (let g = 0; g < groups; g++) {
      const xo = (b * c + g * cg) * h * w;
      for (let j = 0; j < col.length; j++) {
        const o = idx[j]!;
        col[j] = o < 0 ? 0 : X[xo + o]!;
      }
      // Four output channels per pass over a column: each column value is read once for four.
      let om = 0;
      for (; om + 4 <= mg; om += 4) {
        const oc = g * mg + om;
        const [w0, w1, w2, w3] = [oc * Q, (oc + 1) * Q, (oc + 2) * Q, (oc + 3) * Q];
        const yo = (b * m + oc) * P;
        for (let p2 = 0; p2 < P; p2++) {
          const co = p2 * Q;
          let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
          for (let q = 0; q < Q; q++) {
            const v = col[co + q]!;
            a0 += W[w0 + q]! * v;
            a1 += W[w1 + q]! * v;
            a2 += W[w2 + q]! * v;
            a3 += W[w3 + q]! * v;
          }
          Y[yo + p2] = a0 + (b0 ? b0.data[oc]! : 0);
          Y[yo + P + p2] = a1 + (b0 ? b0.data[oc + 1]! : 0);
          Y[yo + 2 * P + p2] = a2 + (b0 ? b0.data[oc + 2]! : 0);
          Y[yo + 3 * P + p2] = a3 + (b0 ? b0.data[oc + 3]! : 0);
        }
      }
      for (; om < mg; om++) {
        const oc = g * mg + om;
        const yo = (b * m + oc) * P;
        const wo = oc * Q;
        const bias = b0 ? b0.data[oc]! : 0;
        for (let p2 = 0; p2 < P; p2++) {
          const co = p2 * Q;
          let acc = bias;
          for (let q = 0; q < Q; q++) acc += W[wo + q]! * col[co + q]!;
          Y[yo + p2] = acc;
        }
      }
    }
  return {
    outputs: [y],
    backward: (gy, needs) => {
      if (needs && needs[0] === false) return [undefined, undefined, undefined];
      const gx = tensor([n, c, h, w]);
      const GX = gx.data;
      const G = gy.data;
      const dcol = new Float64Array(P * Q);
      for (let b = 0; b < n; b++)
        for (let g = 0; g < groups; g++) {
          dcol.fill(0);
          let om = 0;
          for (; om + 4 <= mg; om += 4) {
            const oc = g * mg + om;
            const go = (b * m + oc) * P;
            const [w0, w1, w2, w3] = [oc * Q, (oc + 1) * Q, (oc + 2) * Q, (oc + 3) * Q];
            for (let p2 = 0; p2 < P; p2++) {
              const g0 = G[go + p2]!;
              const g1 = G[go + P + p2]!;
              const g2 = G[go + 2 * P + p2]!;
              const g3 = G[go + 3 * P + p2]!;
              if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0) continue;
              const co = p2 * Q;
              for (let q = 0; q < Q; q++) dcol[co + q]! += g0 * W[w0 + q]! + g1 * W[w1 + q]! + g2 * W[w2 + q]! + g3 * W[w3 + q]!;
            }
          }
          for (; om < mg; om++) {
            const oc = g * mg + om;
            const go = (b * m + oc) * P;
            const wo = oc * Q;
            for (let p2 = 0; p2 < P; p2++) {
              const gv = G[go + p2]!;
              if (gv === 0) continue;
              const co = p2 * Q;
              for (let q = 0; q < Q; q++) dcol[co + q]! += gv * W[wo + q]!;
            }
          }
          // col2im: every column entry goes back to the input pixel it was read from.
          const xo = (b * c + g * cg) * h * w;
          for (let j = 0; j < dcol.length; j++) {
            const o = idx[j]!;
            if (o >= 0) GX[xo + o]! += dcol[j]!;
          }
        }
      return [gx, undefined, undefined];
    },
  };
}

function pool(kind: 'max' | 'avg') {
  return (node: OnnxNode, [x0]: (Tensor | undefined)[]): OpRun => {
    if (!x0 || x0.shape.length !== 4) throw new Unsupported(`${kind === 'max' ? 'MaxPool' : 'AveragePool'} on a tensor of rank other than 4`);
    const x = x0;
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const kernel = ints(node.attrs['kernel_shape'], []);
    if (kernel.length !== 2) throw new Unsupported('pooling without a 2-D kernel_shape');
    const win = windowOf(node, h, w, kernel);
    const { kh, kw, sh, sw, pt, pl, dh, dw, oh, ow } = win;
    const countPad = num(node.attrs['count_include_pad'], 0) === 1;
    const y = tensor([n, c, oh, ow]);
    const arg = kind === 'max' ? new Int32Array(y.data.length).fill(-1) : undefined;
    const count = kind === 'avg' ? new Float64Array(oh * ow) : undefined;
    for (let p = 0; p < n * c; p++) {
      const xo = p * h * w;
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          const o = p * oh * ow + oy * ow + ox;
          let best = -Infinity;
          let bi = -1;
          let s = 0;
          let cnt = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - pt + ky * dh;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pl + kx * dw;
              const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
              if (kind === 'avg') {
                // count_include_pad counts padded taps inside the padded extent only.
                if (inside) {
                  s += x.data[xo + iy * w + ix]!;
                  cnt++;
                } else if (countPad && iy < h + pt && ix < w + pl) cnt++;
                continue;
              }
              if (!inside) continue;
              const v = x.data[xo + iy * w + ix]!;
              // First maximum in scan order wins (PyTorch's max-pool index); NaN propagates.
              if (v > best || Number.isNaN(v)) {
                best = v;
                bi = xo + iy * w + ix;
                if (Number.isNaN(v)) break;
              }
            }
          }
          if (kind === 'max') {
            y.data[o] = best;
            arg![o] = bi;
          } else {
            y.data[o] = cnt ? s / cnt : 0;
            if (p === 0) count![oy * ow + ox] = cnt;
          }
        }
    }
    return {
      outputs: [y],
      backward: (g) => {
        const gx = tensor([n, c, h, w]);
        if (kind === 'max') {
          for (let o = 0; o < g.data.length; o++) if (arg![o]! >= 0) gx.data[arg![o]!]! += g.data[o]!;
          return [gx];
        }
        for (let p = 0; p < n * c; p++) {
          const xo = p * h * w;
          for (let oy = 0; oy < oh; oy++)
            for (let ox = 0; ox < ow; ox++) {
              const cnt = count![oy * ow + ox]!;
              if (!cnt) continue;
              const gv = g.data[p * oh * ow + oy * ow + ox]! / cnt;
              for (let ky = 0; ky < kh; ky++) {
                const iy = oy * sh - pt + ky * dh;
                if (iy < 0 || iy >= h) continue;
                for (let kx = 0; kx < kw; kx++) {
                  const ix = ox * sw - pl + kx * dw;
                  if (ix >= 0 && ix < w) gx.data[xo + iy * w + ix]! += gv;
                }
              }
            }
        }
        return [gx];
      },
    };
  };
}

export const SPATIAL_OPS = {
  Conv: conv,
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
};
