/**
 * Every metric against an independent implementation on the same predictions (reference.py):
 * scikit-learn for classification / ROC / PR / calibration / threshold objectives, COCO AP written
 * from COCOeval's definition, AUPRO by brute force over thresholds with scipy's labelling.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src/core/evaluation/metrics/bootstrap';
import { reliability } from '../../../src/core/evaluation/metrics/calibration';
import { classificationMetrics, type LabelledPrediction } from '../../../src/core/evaluation/metrics/classification';
import { resampledAuc, rocAuc, rocCurve } from '../../../src/core/evaluation/metrics/curves';
import { detectionMetrics, energyInMask, iou, pointingHit, type Box, type Detection, type Truth } from '../../../src/core/evaluation/metrics/localisation';
import { aupro, pixelAuroc, type MaskedMap } from '../../../src/core/evaluation/metrics/pixel';
import { propose } from '../../../src/core/evaluation/thresholds';

const PY = '/usr/bin/python3';
const hasSklearn = existsSync(PY) && spawnSync(PY, ['-c', 'import sklearn, scipy'], { encoding: 'utf8' }).status === 0;
if (!hasSklearn) console.warn('SKIP metrics reference tests: /usr/bin/python3 with python3-sklearn and python3-scipy is absent (apt-get install -y python3-sklearn python3-scipy)');

function reference(doc: Record<string, unknown>): ReturnType<typeof JSON.parse> {
  const r = spawnSync(PY, [join(__dirname, 'reference.py')], { input: JSON.stringify(doc), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

const rand = seededRandom(7);
// Three classes, scores quantised to 0.01 so ties occur (tie handling is where implementations differ).
const classes = ['normal', 'crack', 'void'];
const preds: LabelledPrediction[] = Array.from({ length: 300 }, (_, i) => {
  const label = classes[Math.floor(rand() * 3)]!;
  const raw = classes.map((c) => (c === label ? 1.2 : 0) + rand() * 2);
  const sum = raw.reduce((a, b) => a + b, 0);
  const scores = Object.fromEntries(classes.map((c, k) => [c, Math.round((raw[k]! / sum) * 100) / 100]));
  const predicted = i % 50 === 7 ? 'unknown-class' : classes[raw.indexOf(Math.max(...raw))]!;
  return { path: `img${i}.png`, label, predicted, scores };
});

describe.skipIf(!hasSklearn)('metrics agree with independent implementations', () => {
  it('confusion matrix, precision/recall/F1, accuracy, ROC-AUC, AP and ROC curve match scikit-learn', () => {
    const m = classificationMetrics(preds, classes, { bootstrapRounds: 200 });
    const ref = reference({
      classification: { truth: preds.map((p) => p.label), pred: preds.map((p) => p.predicted), classes, scores: Object.fromEntries(classes.map((c) => [c, preds.map((p) => p.scores[c])])) },
    }).classification;
    expect(m.matrix).toEqual(ref.matrix);
    expect(m.predictedClasses).toEqual([...classes, 'unknown-class']);
    expect(m.accuracy).toBeCloseTo(ref.accuracy, 12);
    m.perClass.forEach((c, k) => {
      expect(c.precision).toBeCloseTo(ref.precision[k], 12);
      expect(c.recall).toBeCloseTo(ref.recall[k], 12);
      expect(c.f1).toBeCloseTo(ref.f1[k], 12);
      expect(c.support).toBe(ref.support[k]);
      expect(c.rocAuc!).toBeCloseTo(ref.auc[k], 12);
      expect(c.averagePrecision!).toBeCloseTo(ref.ap[k], 12);
      // The interval brackets the point estimate and is not degenerate.
      expect(c.f1Ci!.low).toBeLessThan(c.f1);
      expect(c.f1Ci!.high).toBeGreaterThan(c.f1);
      const y = preds.map((p) => (p.label === c.label ? 1 : 0));
      const roc = rocCurve(y, preds.map((p) => p.scores[c.label]!));
      expect(roc.fpr.length).toBe(ref.roc[k][0].length);
      roc.fpr.forEach((v, i) => expect(v).toBeCloseTo(ref.roc[k][0][i], 12));
      roc.tpr.forEach((v, i) => expect(v).toBeCloseTo(ref.roc[k][1][i], 12));
    });
    // Histogram per true class counts every image of that class once.
    const crack = m.perClass[1]!.histogram!;
    expect(crack['void']!.reduce((a, b) => a + b, 0)).toBe(preds.filter((p) => p.label === 'void').length);
  });

  it('reliability diagram and ECE match calibration_curve, including probabilities on bin edges', () => {
    const y: number[] = [];
    const p: number[] = [];
    for (let i = 0; i < 500; i++) {
      const q = i < 40 ? [0, 0.1, 0.2, 0.3, 0.7, 1][i % 6]! : rand();
      p.push(q);
      y.push(rand() < q * q ? 1 : 0);
    }
    const r = reliability(y, p);
    const ref = reference({ calibration: { y, p } }).calibration;
    expect(r.counts).toEqual(ref.counts);
    r.fractionPositive.forEach((v, i) => expect(v).toBeCloseTo(ref.frac[i], 12));
    r.meanPredicted.forEach((v, i) => expect(v).toBeCloseTo(ref.mean[i], 12));
    expect(r.ece).toBeCloseTo(ref.ece, 12);
    expect(r.ece).toBeGreaterThan(0.05); // q² calibration is visibly off
  });

  it('pixel AUROC and AUPRO match sklearn and a brute-force PRO curve', () => {
    const W = 14;
    const H = 11;
    const items: MaskedMap[] = [];
    for (let k = 0; k < 6; k++) {
      const mask = new Uint8Array(W * H);
      const map = new Float64Array(W * H);
      // Two blobs on some images, one on others, none on the last (a normal image).
      const blobs = k === 5 ? [] : k % 2 ? [[3, 3, 2]] : [[3, 3, 2], [10, 7, 1]];
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          const i = y * W + x;
          for (const [bx, by, r] of blobs) if (Math.abs(x - bx!) <= r! && Math.abs(y - by!) <= r!) mask[i] = 1;
          map[i] = Math.round((mask[i] ? 0.35 : 0) * 100 + rand() * 60) / 100;
        }
      items.push({ map, mask, width: W, height: H });
    }
    const ref = reference({ pixel: { maps: items.map((m) => chunk(m.map, W)), masks: items.map((m) => chunk(m.mask, W)) } }).pixel;
    expect(pixelAuroc(items)!).toBeCloseTo(ref.auroc, 12);
    const a = aupro(items);
    expect(a.regions).toBe(ref.regions);
    expect(a.aupro!).toBeCloseTo(ref.aupro, 10);
  });

  it('COCO AP@0.5 and AP@[.5:.95] match COCOeval written from its definition; F1@0.5, IoU', () => {
    const truths: Truth[] = [];
    const dets: Detection[] = [];
    for (let im = 0; im < 25; im++) {
      const image = `im${String(im).padStart(2, '0')}`;
      const nGt = Math.floor(rand() * 3);
      for (let g = 0; g < nGt; g++) {
        const box: Box = [rand() * 80, rand() * 80, 10 + rand() * 30, 10 + rand() * 30];
        const label = rand() < 0.7 ? 'void' : 'crack';
        truths.push({ image, label, box });
        // A jittered detection (sometimes good, sometimes poor) and sometimes a duplicate.
        const j = rand() * 8;
        dets.push({ image, label, box: [box[0] + j, box[1] - j / 2, box[2] * (0.8 + rand() * 0.4), box[3]], score: Math.round(rand() * 20) / 20 });
        if (rand() < 0.3) dets.push({ image, label, box: [box[0] + 3, box[1] + 3, box[2], box[3]], score: Math.round(rand() * 20) / 20 });
      }
      if (rand() < 0.4) dets.push({ image, label: 'void', box: [rand() * 90, rand() * 90, 12, 12], score: Math.round(rand() * 20) / 20 });
    }
    const m = detectionMetrics(dets, truths);
    const ref = reference({ coco: { truths, dets } }).coco;
    expect(m.ap50!).toBeCloseTo(ref.ap50, 12);
    expect(m.ap!).toBeCloseTo(ref.ap, 12);
    expect(m.ap!).toBeLessThan(m.ap50!);
    expect(m.f1At50).toBeCloseTo((2 * m.precisionAt50 * m.recallAt50) / (m.precisionAt50 + m.recallAt50), 12);
    expect(iou([0, 0, 10, 10], [5, 0, 10, 10])).toBeCloseTo(50 / 150, 12);
    expect(iou([0, 0, 10, 10], [20, 20, 5, 5])).toBe(0);
  });

  it('threshold objectives match the operating points read off scikit-learn curves', () => {
    const y = preds.map((p) => (p.label === 'normal' ? 0 : 1));
    const s = preds.map((p) => Math.round((1 - p.scores['normal']!) * 1000) / 1000 + (p.path.length % 3) * 1e-4);
    const ref = reference({ thresholds: { y, s } }).thresholds;
    const f1 = propose(y, s, { kind: 'f1' }).point;
    expect(f1.f1).toBeCloseTo(ref.f1, 12);
    expect(propose(y, s, { kind: 'recall', target: 0.9 }).point.threshold).toBe(ref.recall_threshold);
    expect(propose(y, s, { kind: 'recall', target: 0.9 }).point.recall).toBeGreaterThanOrEqual(0.9);
    expect(propose(y, s, { kind: 'false-alarm', target: 0.1 }).point.threshold).toBe(ref.fa_threshold);
    expect(propose(y, s, { kind: 'sigma', k: 3 }).point.threshold).toBeCloseTo(ref.sigma3, 12);
  });
});

describe('bootstrap AUC', () => {
  it('the O(n) resampled AUC equals the trapezoid AUC of the materialised resample, ties included', () => {
    const y = preds.map((p) => (p.label === 'normal' ? 0 : 1));
    const s = preds.map((p) => 1 - p.scores['normal']!);
    const f = resampledAuc(y, s);
    expect(f(Uint32Array.from(y, (_, i) => i))).toBeCloseTo(rocAuc(y, s)!, 12);
    const r = seededRandom(11);
    for (let k = 0; k < 5; k++) {
      const idx = Uint32Array.from(y, () => Math.floor(r() * y.length));
      expect(f(idx)).toBeCloseTo(rocAuc(Array.from(idx, (i) => y[i]!), Array.from(idx, (i) => s[i]!))!, 12);
    }
    expect(f(new Uint32Array([0, 0, 0]))).toBeNull();
  });
});

describe('heatmap localisation', () => {
  it('pointing game honours the tolerance and energy-in-mask is the inside share', () => {
    const W = 8;
    const mask = new Uint8Array(W * W);
    mask[2 * W + 2] = 1;
    const map = new Float64Array(W * W).fill(0.1);
    map[4 * W + 4] = 1; // peak two pixels away from the mask
    expect(pointingHit(map, mask, W, W, 0)).toBe(false);
    expect(pointingHit(map, mask, W, W, 1)).toBe(false);
    expect(pointingHit(map, mask, W, W, 2)).toBe(false); // (±2, ±2) is outside OpenCV's 5 × 5 ellipse
    expect(pointingHit(map, mask, W, W, 3)).toBe(true); // and inside its 7 × 7 one
    expect(energyInMask(map, mask)).toBeCloseTo(0.1 / (63 * 0.1 + 1), 12);
    expect(energyInMask(new Float64Array(W * W), mask)).toBeNull();
  });
});

function chunk(a: ArrayLike<number>, w: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < a.length; i += w) out.push(Array.from(a).slice(i, i + w));
  return out;
}
