/**
 * Side by side (the seed's comparison): every system of a station setup — each pack, and the
 * integrated verdict as a system of its own — measured on the same labelled set in one table:
 * image-level figures on the images each pack inspected, and case-level figures on the same cases
 * for all (a pack "flags" a case when it calls any of its images a defect or uncertain). Where two
 * packs inspected the same image, their agreement: the share of images with the same call and the
 * IoU of their regions (union of each system's boxes, on the image's pixel grid).
 */
import type { Interval } from './metrics/bootstrap';
import { groundingFlags, type CaseEvaluation, type PackEvaluation, type RecordedRun } from './evaluate';

export interface SystemRow {
  system: string;
  kind: string;
  /** Images this system decided (packs); cases for the integrated verdict. */
  images: number;
  f1: number | null;
  f1Ci: Interval | null;
  precision: number | null;
  recall: number | null;
  rocAuc: number | null;
  rocAucCi: Interval | null;
  /** Box level against the set's boxes (COCO AP@0.5, AP@[.5:.95], F1 at IoU 0.5); null without boxes. */
  ap50: number | null;
  ap: number | null;
  f1At50: number | null;
  cases: number;
  /** Defective cases flagged (a defect or UNCERTAIN), good cases flagged, and binary case accuracy. */
  caseRecall: number | null;
  caseFalseAlarm: number | null;
  caseAccuracy: number | null;
}

export interface ImageAgreement {
  path: string;
  a: 'defect' | 'pass';
  b: 'defect' | 'pass';
  /** IoU of the two systems' region unions; null when neither has a region. */
  iou: number | null;
}

export interface Agreement {
  a: string;
  b: string;
  images: number;
  /** Share of the common images both call the same (defect vs pass). */
  decisionAgreement: number | null;
  /** Images where both systems drew at least one region, and the mean IoU over images where either did. */
  bothWithRegions: number;
  meanIou: number | null;
  perImage: ImageAgreement[];
}

export interface SideBySide {
  systems: SystemRow[];
  agreement: Agreement[];
}

export interface CaseRow {
  id: string;
  truth: string;
  verdict: string;
}

type Run = RecordedRun & { width?: number | null; height?: number | null };

/** The pack's call on one run: flagged (defect or uncertain band) by the thresholds it ran with. */
export function flagged(r: RecordedRun): boolean {
  const t = r.thresholds;
  // A grounding detector calls a defect when it kept a box (its thresholds are box and text).
  if (t['box'] !== undefined && t['text'] !== undefined) return groundingFlags(r);
  if (t['imageThreshold'] !== undefined && r.rawScore !== undefined) return r.rawScore >= (t['imageLow'] ?? t['imageThreshold']);
  const low = t['low'] ?? t['high'] ?? t['normalised'] ?? 0.5;
  return r.score >= low;
}

/** IoU of two sets of [x, y, w, h] boxes, each taken as the union of its boxes, on a W × H grid. */
export function regionIou(a: readonly [number, number, number, number][], b: readonly [number, number, number, number][], width: number, height: number): number | null {
  if (!a.length && !b.length) return null;
  if (!a.length || !b.length) return 0;
  const W = Math.max(1, Math.ceil(width));
  const H = Math.max(1, Math.ceil(height));
  const grid = new Uint8Array(W * H);
  const paint = (boxes: readonly [number, number, number, number][], bit: number) => {
    for (const [x, y, w, h] of boxes) {
      const x0 = Math.max(0, Math.floor(x));
      const y0 = Math.max(0, Math.floor(y));
      const x1 = Math.min(W, Math.ceil(x + w));
      const y1 = Math.min(H, Math.ceil(y + h));
      for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) grid[yy * W + xx]! |= bit;
    }
  };
  paint(a, 1);
  paint(b, 2);
  let inter = 0;
  let union = 0;
  for (let i = 0; i < grid.length; i++) {
    const g = grid[i]!;
    if (g) union++;
    if (g === 3) inter++;
  }
  return union ? inter / union : null;
}

export function sideBySide(packs: readonly PackEvaluation[], runs: readonly Run[], caseRows: readonly CaseRow[], cases: CaseEvaluation | null): SideBySide {
  const truthOf = new Map(caseRows.map((c) => [c.id, c.truth !== 'PASS']));
  const caseFigures = (calls: Map<string, boolean>) => {
    let tp = 0, fp = 0, pos = 0, neg = 0, ok = 0;
    for (const [id, defective] of truthOf) {
      const f = calls.get(id) ?? false;
      if (defective) {
        pos++;
        if (f) tp++;
      } else {
        neg++;
        if (f) fp++;
      }
      if (f === defective) ok++;
    }
    const n = truthOf.size;
    return { cases: n, caseRecall: pos ? tp / pos : null, caseFalseAlarm: neg ? fp / neg : null, caseAccuracy: n ? ok / n : null };
  };
  const systems: SystemRow[] = packs.map((p) => {
    const calls = new Map<string, boolean>();
    for (const r of runs) if (r.pack === p.pack.name) calls.set(r.caseKey, (calls.get(r.caseKey) ?? false) || flagged(r));
    // A case this pack never saw is not flagged by it: the table says how it does on the whole line.
    return {
      system: p.pack.name,
      kind: p.pack.kind,
      images: p.images,
      f1: p.binary.point.f1,
      f1Ci: p.binary.f1Ci,
      precision: p.binary.point.precision,
      recall: p.binary.point.recall,
      rocAuc: p.binary.rocAuc,
      rocAucCi: p.binary.rocAucCi,
      ap50: p.localisation?.ap50 ?? null,
      ap: p.localisation?.ap ?? null,
      f1At50: p.localisation ? p.localisation.f1At50 : null,
      ...caseFigures(calls),
    };
  });
  if (cases) {
    const calls = new Map(caseRows.map((c) => [c.id, c.verdict !== 'PASS']));
    systems.push({ system: 'integrated verdict', kind: 'rules', images: cases.cases, f1: null, f1Ci: null, precision: null, recall: null, rocAuc: null, rocAucCi: null, ap50: null, ap: null, f1At50: null, ...caseFigures(calls) });
  }
  const agreement: Agreement[] = [];
  for (let i = 0; i < packs.length; i++) {
    for (let j = i + 1; j < packs.length; j++) {
      const a = packs[i]!.pack.name;
      const b = packs[j]!.pack.name;
      const ofB = new Map(runs.filter((r) => r.pack === b).map((r) => [r.path, r]));
      const perImage: ImageAgreement[] = [];
      let both = 0;
      for (const ra of runs) {
        if (ra.pack !== a) continue;
        const rb = ofB.get(ra.path);
        if (!rb) continue;
        const width = ra.width ?? rb.width ?? Math.max(0, ...[...ra.regions, ...rb.regions].map((g) => g.box[0] + g.box[2]));
        const height = ra.height ?? rb.height ?? Math.max(0, ...[...ra.regions, ...rb.regions].map((g) => g.box[1] + g.box[3]));
        if (ra.regions.length && rb.regions.length) both++;
        perImage.push({ path: ra.path, a: flagged(ra) ? 'defect' : 'pass', b: flagged(rb) ? 'defect' : 'pass', iou: regionIou(ra.regions.map((g) => g.box), rb.regions.map((g) => g.box), width, height) });
      }
      const ious = perImage.map((x) => x.iou).filter((v): v is number => v !== null);
      agreement.push({
        a,
        b,
        images: perImage.length,
        decisionAgreement: perImage.length ? perImage.filter((x) => x.a === x.b).length / perImage.length : null,
        bothWithRegions: both,
        meanIou: ious.length ? ious.reduce((s, v) => s + v, 0) / ious.length : null,
        perImage,
      });
    }
  }
  return { systems, agreement };
}
