/**
 * From a labelled set and the runs an evaluation batch recorded to the metrics of each pack and of
 * the integrated verdict per case. Pure: the same set and runs always give the same numbers (the
 * bootstrap is seeded), so `evaluate` reproduces a model card.
 */
import { InspectorError } from '../../shared/errors';
import { BOOTSTRAP_DEFAULTS, type CountStatistic, type Interval } from './metrics/bootstrap';
import { reliability, type Reliability } from './metrics/calibration';
import { classificationMetrics, classificationMetricsWith, histogram, type ClassificationMetrics, type LabelledPrediction } from './metrics/classification';
import { averagePrecision, prCurve, rocAuc, rocCurve, thinCurve } from './metrics/curves';
import { detectionMetrics, type DetectionMetrics, type Detection, type Truth } from './metrics/localisation';
import { operatingPoint, propose, uncertainBand, type Band, type OperatingPoint, type Proposal } from './thresholds';
import type { LabelledImage, LabelledSet } from './sets/types';
import type { MapLocalisation, PixelMetrics } from './maps';

export interface PackFacts {
  name: string;
  version: string;
  kind: 'classifier' | 'anomaly' | 'grounding';
  /** Classifier labels in output order; anomaly packs: [normal, anomalous]; grounding packs: [normal, defect]. */
  labels: string[];
  /** Labels with severity none. */
  normalLabels: string[];
  identity: string;
  /** Anomaly packs: the raw image-score threshold (pack.yaml anomaly.imageThreshold). */
  imageThreshold?: number;
  /** Grounding packs: the prompt's phrases, the classes its boxes are named by. */
  phrases?: string[];
}

/** One recorded run, as the evaluation reads it back from the history. */
export interface RecordedRun {
  runId: number;
  path: string;
  caseKey: string;
  pack: string;
  /** The defect score the decision is taken on (classifier: P(defect); anomaly: normalised score). */
  score: number;
  /** Anomaly packs: the raw image score (the normalised one is clipped at 0, which ties the ranking). */
  rawScore?: number;
  probabilities: Record<string, number>;
  thresholds: Record<string, number>;
  verdict: string;
  regions: { box: [number, number, number, number]; label: string; score: number }[];
  /** The input guard flagged the image (a grounding run then has no boxes unless they were kept). */
  outOfEnvelope?: boolean;
}

export interface BinaryMetrics {
  n: number;
  positives: number;
  threshold: number;
  /** At the threshold in force when the runs were taken — pack.yaml's or the station's applied version (score ≥ high is a defect). */
  point: OperatingPoint;
  precisionCi: Interval | null;
  recallCi: Interval | null;
  f1Ci: Interval | null;
  rocAuc: number | null;
  rocAucCi: Interval | null;
  averagePrecision: number | null;
  /** Images the pack's own uncertain band (low ≤ score < high) would send to a person. */
  uncertainShare: number;
  roc: { fpr: number[]; tpr: number[]; thresholds: number[] } | null;
  pr: { precision: number[]; recall: number[]; thresholds: number[] } | null;
  /** Defect score histograms (20 bins over `histogramRange`) of truly normal and truly defective images. */
  histogram: { normal: number[]; defect: number[] };
  /** [0, 1] for probabilities; the scores' own span for raw anomaly scores. */
  histogramRange: [number, number];
  /** `probability` (classifiers) or `raw anomaly score`: the unit of threshold, curves and proposals. */
  scoreUnit: string;
}

export interface PackEvaluation {
  pack: PackFacts;
  images: number;
  errors: number;
  classification: ClassificationMetrics;
  binary: BinaryMetrics;
  /** Of the defect probability (classifiers) or the normalised score clipped to [0, 1] (anomaly). */
  calibration: Reliability | null;
  /**
   * Recorded regions against ground-truth boxes (boxes, polygons' bounds): defective images only and
   * one class "defect" for maps' regions; for a grounding detector every image (a box on a good
   * image is a false positive) and per class, its boxes' phrases against the set's box labels.
   */
  localisation: DetectionMetrics | null;
  proposals: Proposal[];
  band: Band | null;
  /**
   * Images the input guard flagged, and of those whose boxes were withheld as the station withholds
   * them (grounding; `evaluate --with-guarded-boxes` keeps them, as a model card measures).
   */
  outOfEnvelope?: { images: number; boxesWithheld: number };
  /** Anomaly maps against masks/polygons (filled by the host, which reads the recorded maps). */
  pixel?: PixelMetrics | null;
  /** Pointing game and energy in mask of the recorded maps (defective images with a region). */
  maps?: MapLocalisation | null;
}

export interface CaseEvaluation {
  cases: number;
  /** Truth per case: PASS, or the defect kind its labelled images make it (by side). */
  classes: string[];
  matrix: number[][];
  predictedClasses: string[];
  accuracy: number;
  accuracyCi: Interval | null;
  /** PASS vs any defect verdict, UNCERTAIN counted as flagged (sent to a person, not passed). */
  defectRecall: number;
  /** Share of defective cases given PASS. */
  falsePassRate: number;
  /** Share of good cases not given PASS (a defect verdict or UNCERTAIN). */
  falseAlarmRate: number;
}

export interface Prediction {
  path: string;
  pack: string;
  label: string;
  predicted: string;
  scores: Record<string, number>;
  defectScore: number;
  /** Grounding packs: the boxes it kept ([x, y, w, h] image px), for detections.json and an independent AP. */
  boxes?: { label: string; box: [number, number, number, number]; score: number }[];
}

function isNormalTruth(label: string, set: LabelledSet, pack: PackFacts): boolean {
  return label === set.normalLabel || pack.normalLabels.includes(label);
}

/** The truth in the pack's vocabulary: anomaly packs see normal/anomalous, classifiers their classes. */
function truthFor(img: LabelledImage, set: LabelledSet, pack: PackFacts): string {
  const normal = isNormalTruth(img.label, set, pack);
  if (pack.kind !== 'classifier') return normal ? pack.labels[0]! : pack.labels[1]!;
  if (normal) return pack.normalLabels[0] ?? img.label;
  if (pack.labels.includes(img.label)) return img.label;
  // A two-class pack (normal + one defect class) reads every defect label as its defect class.
  const defects = pack.labels.filter((l) => !pack.normalLabels.includes(l));
  if (defects.length === 1) return defects[0]!;
  throw new InspectorError('EVAL_UNKNOWN_CLASS', `${img.path} is labelled "${img.label}", which ${pack.name} does not know (its classes: ${pack.labels.join(', ')}; normal: ${set.normalLabel}).`, {
    path: img.path,
    label: img.label,
    pack: pack.name,
  });
}

/** The decision at the pack's thresholds: ≥ high a defect (the most probable defect class), else normal. */
/** A grounding run's call: it kept a box (best box score > 0 and ≥ the box threshold it ran with). */
export function groundingFlags(run: Pick<RecordedRun, 'score' | 'thresholds'>): boolean {
  return run.score > 0 && run.score >= (run.thresholds['box'] ?? 0);
}

function predictedFor(run: RecordedRun, pack: PackFacts): string {
  // A detector calls an image defective when it kept a box: its best box score is > 0 and at the box
  // threshold. By score, as for classifiers, so an image the input guard flagged (recorded without
  // boxes, decision uncertain) still counts by what the model found.
  if (pack.kind === 'grounding') return groundingFlags(run) ? pack.labels[1]! : pack.labels[0]!;
  const high = run.thresholds['high'] ?? run.thresholds['normalised'] ?? 0.5;
  if (run.score < high) return pack.kind === 'anomaly' ? pack.labels[0]! : (pack.normalLabels[0] ?? pack.labels[0]!);
  if (pack.kind === 'anomaly') return pack.labels[1]!;
  const defects = pack.labels.filter((l) => !pack.normalLabels.includes(l));
  return defects.reduce((a, b) => ((run.probabilities[b] ?? 0) > (run.probabilities[a] ?? 0) ? b : a), defects[0]!);
}

/** Ground-truth boxes of an image; `named`: each with its own label (else all "defect"). */
function boxesOf(img: LabelledImage, named = false): Truth[] {
  const scale = img.boxesNormalised && img.width && img.height ? [img.width, img.height] : [1, 1];
  const out: Truth[] = img.boxes.map((b) => ({ image: img.path, label: named ? b.label : 'defect', box: [b.box[0] * scale[0]!, b.box[1] * scale[1]!, b.box[2] * scale[0]!, b.box[3] * scale[1]!] }));
  for (const p of img.polygons) {
    const xs = p.points.map((q) => q[0]);
    const ys = p.points.map((q) => q[1]);
    out.push({ image: img.path, label: named ? p.label : 'defect', box: [Math.min(...xs), Math.min(...ys), Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)] });
  }
  return out;
}

export interface EvaluateOptions {
  bootstrapRounds?: number;
  seed?: number;
  /** Objectives for the proposals: recall target for T1 and false-alarm target for T2. */
  recallTarget?: number;
  falseAlarmTarget?: number;
  sigmaK?: number;
}

export function evaluatePack(set: LabelledSet, runs: readonly RecordedRun[], pack: PackFacts, errors: number, opts: EvaluateOptions = {}): { evaluation: PackEvaluation; predictions: Prediction[] } {
  const byPath = new Map(set.images.map((i) => [i.path, i]));
  const preds: Prediction[] = [];
  const labelled: LabelledPrediction[] = [];
  const truths: Truth[] = [];
  const dets: Detection[] = [];
  const y: number[] = [];
  const s: number[] = [];
  let uncertain = 0;
  // Anomaly packs are ranked and thresholded on the raw score, in the unit of pack.yaml's
  // imageThreshold; the decision itself is the engine's (normalised ≥ 0.5 ⇔ raw ≥ imageThreshold).
  const grounding = pack.kind === 'grounding';
  const raw = pack.kind === 'anomaly' && pack.imageThreshold !== undefined && runs.every((r) => r.rawScore !== undefined);
  for (const r of runs) {
    const img = byPath.get(r.path);
    if (!img) continue;
    const label = truthFor(img, set, pack);
    const predicted = predictedFor(r, pack);
    const score = raw ? r.rawScore! : r.score;
    const scores = pack.kind !== 'classifier' ? { [pack.labels[1]!]: score } : { ...r.probabilities };
    labelled.push({ path: r.path, label, predicted, scores });
    preds.push({ path: r.path, pack: pack.name, label: img.label, predicted, scores, defectScore: score, ...(grounding ? { boxes: r.regions.map((g) => ({ label: g.label, box: g.box, score: g.score })) } : {}) });
    const positive = isNormalTruth(img.label, set, pack) ? 0 : 1;
    y.push(positive);
    s.push(score);
    const low = r.thresholds['low'];
    const high = r.thresholds['high'];
    if (low !== undefined && high !== undefined && r.score >= low && r.score < high) uncertain++;
    if (grounding) {
      truths.push(...boxesOf(img, true));
      for (const g of r.regions) dets.push({ image: r.path, label: g.label, box: g.box, score: g.score });
    } else if (positive) {
      truths.push(...boxesOf(img));
      for (const g of r.regions) dets.push({ image: r.path, label: 'defect', box: g.box, score: g.score });
    }
  }
  if (!labelled.length) throw new InspectorError('EVAL_NO_RESULTS', `${pack.name} produced no result on any image of the set (see the recorded errors).`, { pack: pack.name });
  const boot = { rounds: opts.bootstrapRounds ?? BOOTSTRAP_DEFAULTS.rounds, seed: opts.seed ?? BOOTSTRAP_DEFAULTS.seed };
  // The raw threshold in force when the runs were taken (an applied version), else pack.yaml's.
  // A detector's image score is its best kept box; it calls a defect at its box threshold.
  const threshold = raw
    ? (runs[0]?.thresholds['imageThreshold'] ?? pack.imageThreshold!)
    : grounding
      ? (runs[0]?.thresholds['box'] ?? 0.5)
      : (runs[0]?.thresholds['high'] ?? runs[0]?.thresholds['normalised'] ?? 0.5);
  const range: [number, number] = raw ? [s.reduce((a, b) => Math.min(a, b), threshold), s.reduce((a, b) => Math.max(a, b), threshold)] : [0, 1];
  const rel = (v: number) => (range[1] > range[0] ? (v - range[0]) / (range[1] - range[0]) : 0);
  // Per round, from the draw counts: TP / FP / FN at the threshold in one sequential pass.
  const yy = Uint8Array.from(y);
  const flagged = Uint8Array.from(s, (v) => (v >= threshold ? 1 : 0));
  const point: CountStatistic = (w) => {
    let tp = 0, fp = 0, fn = 0;
    // Branch-free: truth and decision vary item to item, so branches would mispredict.
    for (let i = 0; i < w.length; i++) {
      const c = w[i]!;
      const f = flagged[i]!;
      const t = yy[i]!;
      tp += c * (f & t);
      fp += c * (f & (1 - t));
      fn += c * ((1 - f) & t);
    }
    // Undefined statistics (no predicted / no true defect in a resample) are skipped, not zero.
    const precision = tp + fp ? tp / (tp + fp) : null;
    const recall = tp + fn ? tp / (tp + fn) : null;
    const f1 = recall === null ? null : precision === null || precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return [precision, recall, f1];
  };
  const auc = rocAuc(y, s);
  // The binary statistics ride on the classification's resamples (same items, same order).
  const { metrics: classification, extra, extraAuc } = classificationMetricsWith(labelled, pack.labels, { bootstrapRounds: boot.rounds, seed: boot.seed }, [point], auc === null ? [] : [{ labels: y, scores: s }]);
  const [precisionCi, recallCi, f1Ci] = extra[0]!;
  const rocAucCi = auc === null ? null : extraAuc[0]!;
  const positives = y.filter(Boolean).length;
  const binary: BinaryMetrics = {
    n: y.length,
    positives,
    threshold,
    point: operatingPoint(y, s, threshold),
    precisionCi: precisionCi!,
    recallCi: recallCi!,
    f1Ci: f1Ci!,
    rocAuc: auc,
    rocAucCi: auc === null ? null : rocAucCi!,
    averagePrecision: averagePrecision(y, s),
    uncertainShare: uncertain / y.length,
    roc: auc === null ? null : thinCurve(rocCurve(y, s) as unknown as Record<string, number[]>) as unknown as BinaryMetrics['roc'],
    pr: auc === null ? null : thinCurve(prCurve(y, s) as unknown as Record<string, number[]>) as unknown as BinaryMetrics['pr'],
    histogram: { normal: histogram(s.filter((_, i) => !y[i]).map(rel)), defect: histogram(s.filter((_, i) => y[i]).map(rel)) },
    histogramRange: range,
    scoreUnit: raw ? 'raw anomaly score' : grounding ? 'best box score' : 'probability',
  };
  const proposals: Proposal[] = [];
  let band: Band | null = null;
  // No proposals for a detector: its threshold is the box threshold of the prompt's boxes, not an
  // image cut-off a threshold version could apply (the engine keeps boxes ≥ boxThreshold).
  if (!grounding && positives && positives < y.length) {
    proposals.push(propose(y, s, { kind: 'f1' }));
    proposals.push(propose(y, s, { kind: 'recall', target: opts.recallTarget ?? 0.99 }));
    proposals.push(propose(y, s, { kind: 'false-alarm', target: opts.falseAlarmTarget ?? 0.01 }));
    band = uncertainBand(y, s, opts.recallTarget ?? 0.99, opts.falseAlarmTarget ?? 0.01);
  }
  if (!grounding && y.length - positives >= 2) proposals.push(propose(y, s, { kind: 'sigma', k: opts.sigmaK ?? 3 }));
  const evaluation: PackEvaluation = {
    pack,
    images: labelled.length,
    errors,
    classification,
    binary,
    // Only probabilities have a calibration; an anomaly score is a distance.
    calibration: pack.kind === 'classifier' ? reliability(y, s) : null,
    localisation: truths.length ? detectionMetrics(dets, truths, { allPoint: grounding }) : null,
    outOfEnvelope: { images: runs.filter((r) => r.outOfEnvelope).length, boxesWithheld: grounding ? runs.filter((r) => r.outOfEnvelope && r.thresholds['guardedBoxesKept'] !== 1).length : 0 },
    proposals,
    band,
  };
  return { evaluation, predictions: preds };
}

const DEFECT_VERDICTS = ['INTERNAL_DEFECT', 'EXTERNAL_DEFECT', 'COMBINED_DEFECT'];

/**
 * Case truth from its images' labels and sides: no defective image → PASS; defective images on
 * one side → that side's defect; on both → COMBINED_DEFECT. Images without a side count as the
 * side the single pack inspects (`defaultSide`).
 */
export function caseTruth(images: { label: string; side?: 'internal' | 'external' }[], normal: (label: string) => boolean, defaultSide: 'internal' | 'external'): string {
  const sides = new Set(images.filter((i) => !normal(i.label)).map((i) => i.side ?? defaultSide));
  if (!sides.size) return 'PASS';
  if (sides.size === 2) return 'COMBINED_DEFECT';
  return sides.has('internal') ? 'INTERNAL_DEFECT' : 'EXTERNAL_DEFECT';
}

export function evaluateCases(cases: { id: string; truth: string; verdict: string }[], opts: EvaluateOptions = {}): CaseEvaluation {
  const classes = ['PASS', ...DEFECT_VERDICTS].filter((c) => c === 'PASS' || cases.some((k) => k.truth === c));
  const m = classificationMetrics(
    cases.map((k) => ({ path: k.id, label: k.truth, predicted: k.verdict, scores: {} })),
    classes,
    { curves: false, ...(opts.bootstrapRounds !== undefined ? { bootstrapRounds: opts.bootstrapRounds } : {}), ...(opts.seed !== undefined ? { seed: opts.seed } : {}) },
  );
  const defects = cases.filter((k) => k.truth !== 'PASS');
  const passes = cases.filter((k) => k.truth === 'PASS');
  return {
    cases: cases.length,
    classes,
    matrix: m.matrix,
    predictedClasses: m.predictedClasses,
    accuracy: m.accuracy,
    accuracyCi: m.accuracyCi,
    defectRecall: defects.length ? defects.filter((k) => k.verdict !== 'PASS').length / defects.length : 0,
    falsePassRate: defects.length ? defects.filter((k) => k.verdict === 'PASS').length / defects.length : 0,
    falseAlarmRate: passes.length ? passes.filter((k) => k.verdict !== 'PASS').length / passes.length : 0,
  };
}
