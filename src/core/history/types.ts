/**
 * The records the history store keeps. The engine maps its inference result into `InferenceRecord`;
 * the review UI produces `ReviewInput`. Times are epoch milliseconds; `day` buckets are the
 * station's local calendar day, fixed at write time so statistics never move when the clock's
 * zone does.
 */

export type Modality = 'xray' | 'ct' | 'rgb' | 'other';

export interface CaseInput {
  /** Part serial, cell ID or study instance UID: what the operator searches by. */
  key: string;
  kind?: 'part' | 'cell' | 'study' | 'other';
  line?: string | null;
  station?: string | null;
  tags?: string[];
}

export interface ImageInput {
  sourcePath: string;
  sha256: string;
  format: string;
  modality: Modality;
  width?: number | null;
  height?: number | null;
  frames?: number | null;
  bytes?: number | null;
  /** Outcome of the loader's checks; `code` names the first failure or warning. */
  validation: { outcome: 'ok' | 'warning' | 'failed'; code?: string; message?: string };
}

export interface MeasurementInput {
  kind: 'length' | 'rectangle' | 'ellipse';
  points: [{ x: number; y: number }, { x: number; y: number }];
  value: Record<string, number>;
  unit?: string | null;
  frameNumber?: number | null;
  source?: { sopClassUid: string; sopInstanceUid: string; seriesInstanceUid?: string } | null;
}

export interface Region {
  /** Pixel box in the source image: x, y, width, height. */
  box: [number, number, number, number];
  label: string;
  score?: number;
  /** Outline in source pixels (x, y), when the region has one (segmentation packs, drawn polygons). */
  polygon?: [number, number][];
}

export interface ExplanationRef {
  method: string;
  /** How map values were scaled for display (e.g. threshold-anchored) and its parameters. */
  scale: { kind: string; [k: string]: unknown };
  /** Content hash of the raw map in the blob store, when kept. */
  blob?: string | null;
  /** The class a CAM explains, and the pack's model input [height, width]: what a reopened map is labelled and placed by. */
  targetLabel?: string;
  inputSize?: [number, number];
  /** Tiled packs: the tiling used (tile, overlap, stitch, score, grid, every tile's score); the map spans the full image. */
  tiling?: unknown;
  /** The CAM's target layer, and every layer of a fused map with how they were fused. */
  target?: string;
  layers?: string[];
  fusion?: string;
  /** The map's trust figure (src/core/explain/faithfulness.ts), signed with the run like the rest. */
  trust?: { verdict: string; figure: number | null; [k: string]: unknown };
  /** Segmentation runs: the class mask (uint8 per model pixel, 255 = none) in the blob store. */
  mask?: { blob: string; width: number; height: number; classes?: { label: string; colour: string; background: boolean }[] };
}

export interface InferenceRecord {
  case: CaseInput;
  image: ImageInput;
  batchId?: number | null;
  pack: { name: string; version: string; fileHashes: Record<string, string> };
  /** The execution provider that ran the model, e.g. `cpu`, `cuda`. */
  provider: string;
  /** The providers asked for, in preference order; null or absent: the default order. */
  providersRequested?: string[] | null;
  /** Grounding packs: the prompt (caption) the run used. */
  groundingPrompt?: string | null;
  /** The AI's decision label: the predicted class, or e.g. `anomalous` / `normal`. */
  verdict: string;
  /** The pack's primary score, the one compared with `threshold` (0..1 for histograms). */
  score: number;
  threshold?: number | null;
  probabilities?: Record<string, number>;
  scores?: Record<string, number>;
  thresholds?: Record<string, number>;
  regions?: Region[];
  explanation?: ExplanationRef | null;
  timings?: Record<string, number>;
  configHash?: string | null;
  operatorId?: string | null;
  createdAt?: number;
}

export const REVIEW_DECISIONS = ['accept', 'reject', 'override', 'uncertain'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];

/** One box of a run accepted or rejected by a reviewer (`boxIndex` into the run's regions). */
export interface BoxReviewInput {
  runId: number;
  boxIndex: number;
  decision: 'accept' | 'reject';
  operatorId: string;
  createdAt?: number;
}

export interface ReviewInput {
  runId: number;
  operatorId: string;
  decision: ReviewDecision;
  /** The reviewer's class: required for `override`, optional for `reject`. */
  label?: string | null;
  /** Boxes the reviewer drew or edited; replaces the AI's regions in the reviewed view. */
  boxes?: Region[];
  /** Lengths and ROI statistics the reviewer took (audited rows of this review). */
  measurements?: MeasurementInput[];
  note?: string | null;
  /** A correction names the review it supersedes; the old one stays in the history. */
  supersedes?: number | null;
  createdAt?: number;
}

export interface ErrorInput {
  stage: 'validation' | 'inference' | 'export' | 'other';
  code: string;
  message: string;
  details?: Record<string, unknown>;
  sourcePath?: string | null;
  sha256?: string | null;
  packName?: string | null;
  batchId?: number | null;
  caseKey?: string | null;
  operatorId?: string | null;
  createdAt?: number;
}

/**
 * The integrated verdict the engine or batch gave one case, as it was given: stored, never
 * recomputed (a report cannot rebuild `verdict.incomplete: DEFECT` from runs and errors).
 */
export interface CaseVerdictInput {
  caseKey: string;
  batchId?: number | null;
  /** PASS, INTERNAL_DEFECT, EXTERNAL_DEFECT, COMBINED_DEFECT, UNCERTAIN or INCOMPLETE. */
  verdict: string;
  /** With failed images: what the inspected images alone gave. */
  inspectedVerdict?: string | null;
  /** The policy that produced it: the verdict method, the rule that matched, and `verdict.incomplete` when an image failed. */
  method: string;
  rule?: number | null;
  incompletePolicy?: string | null;
  score: number;
  configHash: string | null;
  images: number;
  failedImages: number;
  /** The inference runs of the case that this verdict judged (recorded in the same transaction). */
  runIds: number[];
  operatorId?: string | null;
  createdAt?: number;
}

/** A stored case verdict as readers get it; `source: 'recomputed'` for databases (or cases) from before it was stored. */
export interface StoredCaseVerdict {
  id: number | null;
  createdAt: number | null;
  caseKey: string;
  batchId: number | null;
  verdict: string;
  inspectedVerdict: string | null;
  method: string | null;
  rule: number | null;
  incompletePolicy: string | null;
  score: number | null;
  configHash: string | null;
  images: number | null;
  failedImages: number;
  runIds: number[];
  source: 'stored' | 'recomputed';
}

export type OperatorRole = 'operator' | 'reviewer' | 'supervisor' | 'admin';

export interface Operator {
  id: string;
  name: string;
  role: OperatorRole;
  createdAt: number;
}

/** One row of the history table. */
export interface HistoryRow {
  runId: number;
  createdAt: number;
  caseKey: string;
  line: string | null;
  station: string | null;
  sourcePath: string;
  modality: string;
  packName: string;
  packVersion: string;
  verdict: string;
  score: number;
  threshold: number | null;
  /** Effective (latest, not superseded) review, if any. */
  review: { id: number; decision: ReviewDecision; label: string | null; operatorId: string; at: number } | null;
  /** Grounding runs: the prompt used. */
  groundingPrompt?: string;
  /** Per-box reviews: boxes whose latest decision is accept / reject. */
  boxes?: { accepted: number; rejected: number };
  /** The integrated verdict the run's case was given by that inspection (`source: 'recomputed'` in older histories). */
  caseVerdict?: { verdict: string; source: 'stored' | 'recomputed'; policy: string | null; failedImages: number };
}

export interface RunDetail {
  run: {
    id: number;
    createdAt: number;
    day: string;
    batchId: number | null;
    packName: string;
    packVersion: string;
    packHashes: Record<string, string>;
    provider: string;
    providersRequested?: string[] | null;
    /** Grounding runs: the prompt used (null for other packs). */
    groundingPrompt?: string | null;
    verdict: string;
    score: number;
    threshold: number | null;
    probabilities: Record<string, number>;
    scores: Record<string, number>;
    thresholds: Record<string, number>;
    regions: Region[];
    explanation: ExplanationRef | null;
    /** Set when the map (and its regions) came from a later explanation record (run_explanations id), not the run. */
    explanationRecord?: number;
    timings: Record<string, number>;
    configHash: string | null;
    operatorId: string | null;
  };
  case: { id: number; key: string; kind: string; line: string | null; station: string | null; tags: string[] };
  image: { id: number; sourcePath: string; sha256: string; format: string; modality: string; width: number | null; height: number | null; frames: number | null; bytes: number | null; validation: ImageInput['validation'] };
  /** Every review of the run, oldest first, superseded ones included and marked. */
  reviews: ReviewRow[];
  /** The integrated verdict the run's case was given (stored), or a recomputation in older histories. */
  caseVerdict?: HistoryRow['caseVerdict'];
  /** Per-box accept/reject decisions, oldest first; the latest per box is its state. */
  boxReviews?: BoxReviewRow[];
}

export interface BoxReviewRow {
  id: number;
  runId: number;
  boxIndex: number;
  box: number[];
  label: string;
  decision: 'accept' | 'reject';
  operatorId: string;
  operatorName: string | null;
  createdAt: number;
}

export interface ReviewRow {
  id: number;
  runId: number;
  operatorId: string;
  operatorName: string | null;
  decision: ReviewDecision;
  label: string | null;
  boxes: Region[];
  measurements: MeasurementInput[];
  note: string | null;
  supersedes: number | null;
  supersededBy: number | null;
  createdAt: number;
}
