/**
 * Model outputs → detections in image pixels. Per query: sigmoid of the logits over the caption's
 * tokens; the label is the prompt phrase whose best token is most probable and the score is that
 * probability (sturdier than decoding every token above text_threshold, which merges phrases and
 * yields "." or "[SEP]" as labels — transformers.js does); kept when score > box_threshold and the
 * phrase's best token > text_threshold; normalised cx, cy, w, h → pixels of the original image
 * (normalised coordinates are resize-invariant), clipped; optional per-label NMS.
 */
export interface Detection {
  label: string;
  score: number;
  /** Top-left corner and size in pixels of the inspected image. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PostprocessOptions {
  boxThreshold: number;
  textThreshold: number;
  /** Per-label NMS IoU; absent: none (Grounding DINO's own default). */
  nmsIou?: number;
}

export interface QueryTensors {
  /** [Q, T] row-major pre-sigmoid logits (T = the model's text length, e.g. 256). */
  logits: Float32Array;
  /** [Q, 4] normalised cx, cy, w, h. */
  boxes: Float32Array;
  queries: number;
  textLen: number;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export function iou(a: Detection, b: Detection): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy per-label NMS, highest score first. */
export function nmsPerLabel(dets: readonly Detection[], threshold: number): Detection[] {
  const keep: Detection[] = [];
  for (const d of [...dets].sort((a, b) => b.score - a.score)) {
    if (keep.every((k) => k.label !== d.label || iou(k, d) <= threshold)) keep.push(d);
  }
  return keep;
}

export function postprocess(t: QueryTensors, phrases: readonly string[], spans: readonly number[][], imageWidth: number, imageHeight: number, o: PostprocessOptions): Detection[] {
  const out: Detection[] = [];
  for (let q = 0; q < t.queries; q++) {
    const row = q * t.textLen;
    let best = -1;
    let score = -1;
    for (let p = 0; p < spans.length; p++) {
      let m = 0;
      for (const i of spans[p]!) m = Math.max(m, sigmoid(t.logits[row + i]!));
      if (m > score) {
        score = m;
        best = p;
      }
    }
    if (best < 0 || !(score > o.boxThreshold) || !(score > o.textThreshold)) continue;
    const cx = t.boxes[q * 4]!;
    const cy = t.boxes[q * 4 + 1]!;
    const w = t.boxes[q * 4 + 2]!;
    const h = t.boxes[q * 4 + 3]!;
    const clip = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
    const x1 = clip((cx - w / 2) * imageWidth, imageWidth);
    const y1 = clip((cy - h / 2) * imageHeight, imageHeight);
    const x2 = clip((cx + w / 2) * imageWidth, imageWidth);
    const y2 = clip((cy + h / 2) * imageHeight, imageHeight);
    out.push({ label: phrases[best]!, score, x: x1, y: y1, width: x2 - x1, height: y2 - y1 });
  }
  const kept = o.nmsIou !== undefined ? nmsPerLabel(out, o.nmsIou) : out;
  return kept.sort((a, b) => b.score - a.score);
}
