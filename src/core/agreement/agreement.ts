/**
 * How far three (or any number of) box-producing systems agree on one image: the seed project's
 * comparison of Grad-CAM regions, anomaly regions and grounding boxes. Pure: boxes in, figures out.
 *
 * Two figures, because they answer different questions:
 * - per pair, the IoU of the two systems' *covered areas* (union of each system's boxes), so two
 *   small boxes inside one big one still count as overlap and one box is never counted twice;
 * - per box, which other systems found it: a box is matched by another system when one of that
 *   system's boxes overlaps it with IoU ≥ `matchIou` (greedy, best IoU first, one-to-one).
 * A system that ran but found nothing is listed with 0 boxes (it is a finding, not a gap); the IoU of
 * two systems that both found nothing is `null` (nothing to agree on), not 1 or 0.
 */

export interface AgreementBox {
  x: number;
  y: number;
  width: number;
  height: number;
  label?: string;
  score?: number;
}

export interface SystemBoxes {
  /** Display name of the system, e.g. `Grad-CAM`, `Anomaly`, `Grounding`. */
  system: string;
  boxes: readonly AgreementBox[];
}

export interface PairAgreement {
  a: string;
  b: string;
  /** IoU of the areas the two systems cover; null when neither has a box. */
  iou: number | null;
  /** One-to-one matches at IoU ≥ matchIou between the two systems' boxes. */
  matched: number;
}

export interface BoxFinding {
  system: string;
  index: number;
  label?: string;
  /** Systems (other than its own) with a box matched to this one, in system order. */
  foundBy: string[];
  /** Best IoU with each other system's boxes (0 when that system has none). */
  bestIou: Record<string, number>;
}

export interface Agreement {
  matchIou: number;
  systems: { system: string; boxes: number }[];
  pairs: PairAgreement[];
  boxes: BoxFinding[];
  /** Mean of the pairs' IoUs that are defined; null when none is. */
  meanIou: number | null;
}

const area = (b: AgreementBox) => Math.max(0, b.width) * Math.max(0, b.height);

export function boxIou(p: AgreementBox, q: AgreementBox): number {
  const w = Math.min(p.x + p.width, q.x + q.width) - Math.max(p.x, q.x);
  const h = Math.min(p.y + p.height, q.y + q.height) - Math.max(p.y, q.y);
  const inter = w > 0 && h > 0 ? w * h : 0;
  const union = area(p) + area(q) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Exact area of the union of rectangles, and of the intersection of two unions, by coordinate
 * compression: the plane is cut at every box edge, and each cell is inside a set or not.
 */
export function unionAreas(a: readonly AgreementBox[], b: readonly AgreementBox[]): { a: number; b: number; both: number; either: number } {
  const all = [...a, ...b];
  const xs = [...new Set(all.flatMap((r) => [r.x, r.x + r.width]))].sort((m, n) => m - n);
  const ys = [...new Set(all.flatMap((r) => [r.y, r.y + r.height]))].sort((m, n) => m - n);
  const inside = (set: readonly AgreementBox[], cx: number, cy: number) => set.some((r) => cx > r.x && cx < r.x + r.width && cy > r.y && cy < r.y + r.height);
  let sa = 0, sb = 0, both = 0, either = 0;
  for (let i = 0; i + 1 < xs.length; i++) {
    const w = xs[i + 1]! - xs[i]!;
    const cx = (xs[i]! + xs[i + 1]!) / 2;
    for (let j = 0; j + 1 < ys.length; j++) {
      const cell = w * (ys[j + 1]! - ys[j]!);
      const cy = (ys[j]! + ys[j + 1]!) / 2;
      const ia = inside(a, cx, cy);
      const ib = inside(b, cx, cy);
      if (ia) sa += cell;
      if (ib) sb += cell;
      if (ia && ib) both += cell;
      if (ia || ib) either += cell;
    }
  }
  return { a: sa, b: sb, both, either };
}

/** One-to-one matches between two box lists at IoU ≥ t, best pairs first. */
export function matchBoxes(a: readonly AgreementBox[], b: readonly AgreementBox[], t: number): [number, number, number][] {
  const cand: [number, number, number][] = [];
  a.forEach((p, i) => b.forEach((q, j) => {
    const v = boxIou(p, q);
    if (v >= t && v > 0) cand.push([i, j, v]);
  }));
  cand.sort((m, n) => n[2] - m[2] || m[0] - n[0] || m[1] - n[1]);
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  const out: [number, number, number][] = [];
  for (const c of cand) {
    if (usedA.has(c[0]) || usedB.has(c[1])) continue;
    usedA.add(c[0]);
    usedB.add(c[1]);
    out.push(c);
  }
  return out;
}

export function agreement(systems: readonly SystemBoxes[], matchIou = 0.5): Agreement {
  if (!(matchIou > 0 && matchIou <= 1)) throw new RangeError(`matchIou must be in (0, 1]; got ${matchIou}`);
  const pairs: PairAgreement[] = [];
  const matchedBy = systems.map((s) => s.boxes.map(() => new Set<string>()));
  for (let i = 0; i < systems.length; i++) {
    for (let j = i + 1; j < systems.length; j++) {
      const A = systems[i]!;
      const B = systems[j]!;
      const u = unionAreas(A.boxes, B.boxes);
      const m = matchBoxes(A.boxes, B.boxes, matchIou);
      for (const [p, q] of m) {
        matchedBy[i]![p]!.add(B.system);
        matchedBy[j]![q]!.add(A.system);
      }
      pairs.push({ a: A.system, b: B.system, iou: u.either > 0 ? u.both / u.either : null, matched: m.length });
    }
  }
  const boxes: BoxFinding[] = systems.flatMap((s, i) =>
    s.boxes.map((box, k) => ({
      system: s.system,
      index: k,
      ...(box.label !== undefined ? { label: box.label } : {}),
      foundBy: systems.filter((o, j) => j !== i && matchedBy[i]![k]!.has(o.system)).map((o) => o.system),
      bestIou: Object.fromEntries(systems.filter((_, j) => j !== i).map((o) => [o.system, o.boxes.reduce((best, q) => Math.max(best, boxIou(box, q)), 0)])),
    })),
  );
  const defined = pairs.map((p) => p.iou).filter((v): v is number => v !== null);
  return {
    matchIou,
    systems: systems.map((s) => ({ system: s.system, boxes: s.boxes.length })),
    pairs,
    boxes,
    meanIou: defined.length ? defined.reduce((x, y) => x + y, 0) / defined.length : null,
  };
}
