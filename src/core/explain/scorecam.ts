/**
 * Score-CAM (pytorch-grad-cam score_cam.py): each activation channel, upsampled to the input
 * (bilinear, align_corners=True as UpsamplingBilinear2d) and min–max normalised, masks the input;
 * the masked inputs run through the model in batches; the channel weights are the softmax of the
 * target logits. Forward-only, so it works on any head. Cost is one forward per channel, so
 * channels are capped (highest mean activation first) — a documented departure for large K.
 */
import type { Activation } from './cams';

export type BatchForward = (input: Float32Array, n: number) => Promise<Float32Array>;

function upsampleAlignCorners(src: ArrayLike<number>, off: number, h: number, w: number, oh: number, ow: number, out: Float32Array): void {
  const sy = oh > 1 ? (h - 1) / (oh - 1) : 0;
  const sx = ow > 1 ? (w - 1) / (ow - 1) : 0;
  for (let y = 0; y < oh; y++) {
    const fy = y * sy;
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    const wy = fy - y0;
    for (let x = 0; x < ow; x++) {
      const fx = x * sx;
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, w - 1);
      const wx = fx - x0;
      const a = src[off + y0 * w + x0]!;
      const b = src[off + y0 * w + x1]!;
      const c = src[off + y1 * w + x0]!;
      const d = src[off + y1 * w + x1]!;
      out[y * ow + x] = (a * (1 - wx) + b * wx) * (1 - wy) + (c * (1 - wx) + d * wx) * wy;
    }
  }
}

export async function scoreCam(opts: {
  a: Activation;
  /** One image's model input, NCHW (C × H × W). */
  input: Float32Array;
  channels: number;
  height: number;
  width: number;
  targetClass: number;
  numClasses: number;
  forward: BatchForward;
  batchSize?: number;
  /**
   * The model's input has a fixed batch dimension of this size (the usual `torch.onnx.export`
   * result is 1): every forward pass then gets exactly this many images, the last one padded
   * with zeros whose scores are ignored, instead of batches the graph refuses.
   */
  fixedBatch?: number;
  maxChannels?: number;
}): Promise<{ map: Float64Array; channelsUsed: number }> {
  const { a, input, height: H, width: W, channels: C } = opts;
  const hw = a.h * a.w;
  const order = Array.from({ length: a.k }, (_, k) => k);
  if (opts.maxChannels && opts.maxChannels < a.k) {
    const mean = order.map((k) => {
      let s = 0;
      for (let i = 0; i < hw; i++) s += a.data[k * hw + i]!;
      return s;
    });
    order.sort((x, y) => mean[y]! - mean[x]!);
    order.length = opts.maxChannels;
  }
  const scores = new Float64Array(a.k).fill(-Infinity);
  const batch = opts.fixedBatch ?? opts.batchSize ?? 16;
  const plane = H * W;
  const mask = new Float32Array(plane);
  for (let s = 0; s < order.length; s += batch) {
    const chunk = order.slice(s, s + batch);
    const rows = opts.fixedBatch ?? chunk.length;
    const buf = new Float32Array(rows * C * plane);
    chunk.forEach((k, n) => {
      upsampleAlignCorners(a.data, k * hw, a.h, a.w, H, W, mask);
      let mn = Infinity;
      let mx = -Infinity;
      for (let i = 0; i < plane; i++) {
        mn = Math.min(mn, mask[i]!);
        mx = Math.max(mx, mask[i]!);
      }
      const span = mx - mn;
      for (let c = 0; c < C; c++)
        for (let i = 0; i < plane; i++) buf[n * C * plane + c * plane + i] = input[c * plane + i]! * ((mask[i]! - mn) / span);
    });
    const logits = await opts.forward(buf, rows);
    chunk.forEach((k, n) => (scores[k] = logits[n * opts.numClasses + opts.targetClass]!));
  }
  // Softmax over the scored channels (unscored ones weigh 0); NaN scores (0/0 masks) are dropped
  // as pytorch-grad-cam's torch.softmax would propagate them — we keep the map usable instead.
  let max = -Infinity;
  for (const k of order) if (Number.isFinite(scores[k]!)) max = Math.max(max, scores[k]!);
  let sum = 0;
  const weights = new Float64Array(a.k);
  for (const k of order) if (Number.isFinite(scores[k]!)) sum += weights[k] = Math.exp(scores[k]! - max);
  const map = new Float64Array(hw);
  for (const k of order) {
    const wk = weights[k]! / sum;
    if (!wk) continue;
    for (let i = 0; i < hw; i++) map[i]! += wk * a.data[k * hw + i]!;
  }
  for (let i = 0; i < hw; i++) if (map[i]! < 0) map[i] = 0;
  return { map, channelsUsed: order.length };
}
