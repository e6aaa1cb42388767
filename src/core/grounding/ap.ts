/**
 * Average precision of boxes (VOC all-point interpolation, greedy matching by score within each
 * image), the model card's metric — so a user can re-measure a grounding pack on labelled images
 * with the app's own detections (tests/unit/grounding/deeppcb.test.ts reproduces the card's figure).
 */
export interface LabelledBox {
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface ScoredBox extends LabelledBox {
  score: number;
}

function iou(a: LabelledBox, b: LabelledBox): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** AP of one label over images (keyed alike in both maps), averaged over the IoU thresholds. */
export function averagePrecision(preds: Map<string, ScoredBox[]>, truth: Map<string, LabelledBox[]>, label: string, iouThresholds: readonly number[] = [0.5]): number {
  let nTruth = 0;
  for (const g of truth.values()) for (const b of g) if (b.label === label) nTruth++;
  if (nTruth === 0) return 0;
  const dets: { image: string; box: ScoredBox }[] = [];
  for (const [image, ds] of preds) for (const d of ds) if (d.label === label) dets.push({ image, box: d });
  // Stable sort by descending score, as Python's sorted() is.
  dets.sort((a, b) => b.box.score - a.box.score);
  let sum = 0;
  for (const t of iouThresholds) {
    const used = new Map<string, boolean[]>([...truth].map(([k, g]) => [k, g.map(() => false)]));
    const tp: number[] = [];
    for (const { image, box } of dets) {
      let best = t;
      let bi = -1;
      const g = truth.get(image) ?? [];
      g.forEach((gt, i) => {
        if (gt.label !== label || used.get(image)![i]) return;
        const o = iou(box, gt);
        if (o >= best) {
          best = o;
          bi = i;
        }
      });
      if (bi >= 0) used.get(image)![bi] = true;
      tp.push(bi >= 0 ? 1 : 0);
    }
    const mrec = [0];
    const mpre = [0];
    let ctp = 0;
    tp.forEach((v, i) => {
      ctp += v;
      mrec.push(ctp / nTruth);
      mpre.push(ctp / (i + 1));
    });
    mrec.push(1);
    mpre.push(0);
    for (let i = mpre.length - 2; i >= 0; i--) mpre[i] = Math.max(mpre[i]!, mpre[i + 1]!);
    let ap = 0;
    for (let i = 0; i < mrec.length - 1; i++) if (mrec[i + 1] !== mrec[i]) ap += (mrec[i + 1]! - mrec[i]!) * mpre[i + 1]!;
    sum += ap;
  }
  return sum / iouThresholds.length;
}
