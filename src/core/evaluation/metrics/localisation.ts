/**
 * Localisation: boxes against ground-truth boxes (IoU per match, COCO average precision at IoU 0.5
 * and averaged over 0.50:0.05:0.95, F1 at IoU > 0.5), and heatmaps against masks (pointing game,
 * share of map energy inside the mask).
 *
 * AP follows COCO's evaluation (pycocotools `COCOeval`, one area range, maxDets 100, no crowd
 * boxes): per class, detections over all images sorted by score; each matched greedily to the
 * unmatched ground truth of its image with the highest IoU ≥ t; precision made monotone from the
 * right and sampled at the 101 recall points 0, 0.01, …, 1; classes averaged.
 */

import { averagePrecision as allPointAp } from '../../grounding/ap';

/** [x, y, width, height] in image pixels. */
export type Box = [number, number, number, number];

export interface Detection {
  image: string;
  label: string;
  box: Box;
  score: number;
}

export interface Truth {
  image: string;
  label: string;
  box: Box;
}

export function iou(a: Box, b: Box): number {
  const x1 = Math.max(a[0], b[0]);
  const y1 = Math.max(a[1], b[1]);
  const x2 = Math.min(a[0] + a[2], b[0] + b[2]);
  const y2 = Math.min(a[1] + a[3], b[1] + b[3]);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

interface Matched {
  /** Per detection (score order): IoU of its match, or -1. */
  matchIou: number[];
  scores: number[];
  truths: number;
}

function matchClass(dets: Detection[], truths: Truth[], threshold: number, maxDets = 100): Matched {
  const byImage = new Map<string, Truth[]>();
  for (const t of truths) byImage.set(t.image, [...(byImage.get(t.image) ?? []), t]);
  // maxDets per image, keeping the highest scores (COCO does this before matching).
  const perImage = new Map<string, Detection[]>();
  for (const d of dets) perImage.set(d.image, [...(perImage.get(d.image) ?? []), d]);
  const kept: Detection[] = [];
  for (const [, list] of [...perImage.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) kept.push(...list.sort((a, b) => b.score - a.score).slice(0, maxDets));
  // Stable sort by score (COCO: np.argsort(-scores, kind="mergesort")) over images in order.
  kept.sort((a, b) => b.score - a.score);
  const used = new Map<string, boolean[]>();
  const matchIou: number[] = [];
  for (const d of kept) {
    const gts = byImage.get(d.image) ?? [];
    const u = used.get(d.image) ?? new Array<boolean>(gts.length).fill(false);
    used.set(d.image, u);
    let best = -1;
    let bestIou = Math.min(threshold, 1 - 1e-10);
    for (let g = 0; g < gts.length; g++) {
      if (u[g]) continue;
      const v = iou(d.box, gts[g]!.box);
      if (v < bestIou) continue;
      bestIou = v;
      best = g;
    }
    if (best >= 0) {
      u[best] = true;
      matchIou.push(bestIou);
    } else matchIou.push(-1);
  }
  return { matchIou, scores: kept.map((d) => d.score), truths: truths.length };
}

const RECALL_POINTS = Array.from({ length: 101 }, (_, i) => i / 100);

function apOf(m: Matched): number | null {
  if (!m.truths) return null;
  let tp = 0;
  let fp = 0;
  const rc: number[] = [];
  const pr: number[] = [];
  for (const v of m.matchIou) {
    if (v >= 0) tp++;
    else fp++;
    rc.push(tp / m.truths);
    pr.push(tp / (tp + fp + Number.EPSILON));
  }
  for (let i = pr.length - 1; i > 0; i--) if (pr[i]! > pr[i - 1]!) pr[i - 1] = pr[i]!;
  let sum = 0;
  for (const r of RECALL_POINTS) {
    // First index whose recall reaches r (np.searchsorted(rc, r, side="left")).
    let lo = 0;
    let hi = rc.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (rc[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    sum += lo < pr.length ? pr[lo]! : 0;
  }
  return sum / RECALL_POINTS.length;
}

export interface DetectionMetrics {
  /** Mean over classes with ground truth. */
  ap50: number | null;
  ap: number | null;
  /** Greedy score-order matching at IoU > 0.5 (COCO's rule: ≥ 0.5). */
  f1At50: number;
  precisionAt50: number;
  recallAt50: number;
  /** IoU of each detection matched at 0.5. */
  matchedIou: number[];
  meanIou: number | null;
  perClass: ClassDetection[];
}

export interface ClassDetection {
  label: string;
  /** COCO: 101-point interpolated AP at IoU 0.5, and averaged over 0.50:0.05:0.95. */
  ap50: number | null;
  ap: number | null;
  truths: number;
  detections: number;
  /** F1 at IoU ≥ 0.5 of this class's detections (greedy score order, as COCO matches). */
  f1At50: number;
  /**
   * VOC all-point AP at 0.5 and over 0.50:0.05:0.95 — the grounding model cards' definition
   * (core/grounding/ap.ts, build.py), so `evaluate` can be compared with a card figure for figure.
   */
  ap50AllPoint?: number;
  apAllPoint?: number;
}

/** The IoU thresholds build.py averages its ap50_95 over (0.5 + 0.05 k). */
const CARD_IOU_THRESHOLDS = Array.from({ length: 10 }, (_, k) => 0.5 + 0.05 * k);

function groupByImage<T>(items: { image: string; b: T }[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const { image, b } of items) m.set(image, [...(m.get(image) ?? []), b]);
  return m;
}

export function detectionMetrics(dets: readonly Detection[], truths: readonly Truth[], opts: { allPoint?: boolean } = {}): DetectionMetrics {
  const labels = [...new Set([...truths.map((t) => t.label), ...dets.map((d) => d.label)])].sort();
  // As numpy's linspace(0.5, 0.95, 10) builds COCO's iouThrs (i · step + start, last = stop).
  const step = (0.95 - 0.5) / 9;
  const thresholds = Array.from({ length: 10 }, (_, i) => (i === 9 ? 0.95 : i * step + 0.5));
  const perClass = labels.map((label) => {
    const d = dets.filter((x) => x.label === label);
    const t = truths.filter((x) => x.label === label);
    const aps = thresholds.map((th) => apOf(matchClass(d, t, th)));
    const ap = aps.some((a) => a === null) ? null : aps.reduce((a, b) => a! + b!, 0)! / aps.length;
    const m50 = matchClass(d, t, 0.5);
    const tp = m50.matchIou.filter((v) => v >= 0).length;
    const p = m50.matchIou.length ? tp / m50.matchIou.length : 0;
    const r = t.length ? tp / t.length : 0;
    const row: ClassDetection = { label, ap50: aps[0]!, ap, truths: t.length, detections: d.length, f1At50: p + r ? (2 * p * r) / (p + r) : 0 };
    if (opts.allPoint) {
      const preds = groupByImage(d.map((x) => ({ image: x.image, b: { label, x: x.box[0], y: x.box[1], width: x.box[2], height: x.box[3], score: x.score } })));
      const truth = groupByImage(t.map((x) => ({ image: x.image, b: { label, x: x.box[0], y: x.box[1], width: x.box[2], height: x.box[3] } })));
      row.ap50AllPoint = allPointAp(preds, truth, label, [0.5]);
      row.apAllPoint = allPointAp(preds, truth, label, CARD_IOU_THRESHOLDS);
    }
    return row;
  });
  const withTruth = perClass.filter((c) => c.truths > 0);
  const mean = (xs: (number | null)[]) => (xs.length ? xs.reduce((a: number, b) => a + (b ?? 0), 0) / xs.length : null);
  let tp = 0;
  let nd = 0;
  const matchedIou: number[] = [];
  for (const label of labels) {
    const m = matchClass(dets.filter((x) => x.label === label), truths.filter((x) => x.label === label), 0.5);
    nd += m.matchIou.length;
    for (const v of m.matchIou) if (v >= 0) {
      tp++;
      matchedIou.push(v);
    }
  }
  const precision = nd ? tp / nd : 0;
  const recall = truths.length ? tp / truths.length : 0;
  return {
    ap50: mean(withTruth.map((c) => c.ap50)),
    ap: mean(withTruth.map((c) => c.ap)),
    f1At50: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
    precisionAt50: precision,
    recallAt50: recall,
    matchedIou,
    meanIou: matchedIou.length ? matchedIou.reduce((a, b) => a + b, 0) / matchedIou.length : null,
    perClass,
  };
}

/**
 * Pointing game: is the map's maximum inside the mask dilated by `tolerance` pixels? The
 * neighbourhood is OpenCV's elliptical structuring element of size 2·t + 1 (row dy spans
 * |dx| ≤ round(√(t² − dy²))), which is what the packs' builds used for their model cards.
 * Ties: the first maximum in row order.
 */
export function pointingHit(map: ArrayLike<number>, mask: Uint8Array, width: number, height: number, tolerance = 0): boolean {
  let best = -Infinity;
  let at = 0;
  for (let i = 0; i < map.length; i++) if (map[i]! > best) {
    best = map[i]!;
    at = i;
  }
  const x = at % width;
  const y = (at - x) / width;
  for (let dy = -tolerance; dy <= tolerance; dy++) {
    const yy = y + dy;
    if (yy < 0 || yy >= height) continue;
    const span = Math.round(Math.sqrt(tolerance * tolerance - dy * dy));
    for (let xx = Math.max(0, x - span); xx <= Math.min(width - 1, x + span); xx++) if (mask[yy * width + xx]) return true;
  }
  return false;
}

/** Share of the (non-negative) map's energy inside the mask; null for an all-zero map. */
export function energyInMask(map: ArrayLike<number>, mask: Uint8Array): number | null {
  let inside = 0;
  let total = 0;
  for (let i = 0; i < map.length; i++) {
    const v = Math.max(0, map[i]!);
    total += v;
    if (mask[i]) inside += v;
  }
  return total > 0 ? inside / total : null;
}
