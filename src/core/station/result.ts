/**
 * The result a station publishes for one case: built once from the inspection report, stored in the
 * history (station_cases.message) and sent as is on every channel, so MQTT, OPC UA and REST can never
 * disagree about a part.
 */
import type { CaseResult, ImageResult, InspectReport } from '../engine/inspect';
import type { CorrectedVerdict } from './correctedVerdict';

/** Case verdicts on the line: the integrated ones plus INCOMPLETE (a view missing or unreadable). */
export type StationVerdict = 'PASS' | 'INTERNAL_DEFECT' | 'EXTERNAL_DEFECT' | 'COMBINED_DEFECT' | 'UNCERTAIN' | 'INCOMPLETE';

/** OPC 40001-101 ResultEvaluationEnum names. */
export type Evaluation = 'OK' | 'NotOK' | 'NotDecidable';
export const EVALUATION_CODE: Record<Evaluation | 'Undefined', number> = { Undefined: 0, OK: 1, NotOK: 2, NotDecidable: 3 };

export function evaluationOf(v: string): Evaluation {
  if (v === 'PASS') return 'OK';
  if (v === 'UNCERTAIN' || v === 'INCOMPLETE') return 'NotDecidable';
  return 'NotOK';
}

export type Trigger = 'folder' | 'opcua' | 'rest';

export interface CaseFile {
  view: string;
  path: string;
  name: string;
  sha256: string;
  size: number;
  lastWriteMs: number;
}

export interface ImageOutcome {
  view: string | null;
  file: string;
  sha256: string | null;
  side: string;
  /**
   * The image's own decision (pass / defect / uncertain / error). A findings run (a grounding pack
   * run beside a side's pack, `role: "findings"`) never decides: its decision is `found` when it drew
   * a box and `none` otherwise, so a MES reading per-image decisions cannot take it for a defect call.
   */
  decision: string;
  role?: 'findings';
  defectScore: number | null;
  label: string | null;
  pack: { name: string; version: string };
  provider: string;
  runId: number | null;
  error?: { code: string; message: string };
}

export interface StationResult {
  schema: 'inspector.station.result/1';
  resultId: string;
  station: string;
  line: string;
  serial: string;
  partId: string;
  lot: string | null;
  verdict: StationVerdict;
  evaluation: Evaluation;
  /** Why a case is INCOMPLETE: missing views and unreadable files, each with a code. */
  reasons: { code: string; message: string; view?: string; file?: string }[];
  trigger: Trigger;
  createdAt: string;
  caseUid: string;
  views: { expected: string[]; missing: string[] };
  images: ImageOutcome[];
  packs: { name: string; version: string; manifestSha256: string; files: Record<string, string> }[];
  runIds: number[];
  inspectionConfigSha256: string | null;
  integrated: { verdict: string; method: string; score: number; drivingSide?: string; drivingClass?: string } | null;
  processingTimes: { startTime: string; endTime: string; acquisitionMs: number; inspectMs: number; totalMs: number };
}

export interface BuildInput {
  resultId: string;
  caseUid: string;
  station: { id: string; line: string };
  serial: string;
  lot: string | null;
  /** From a sidecar JSON or the trigger; defaults to the serial. */
  partId?: string;
  /** Problems found before inspection (an unreadable sidecar). */
  notes?: { code: string; message: string; file?: string }[];
  views: string[];
  files: CaseFile[];
  trigger: Trigger;
  report: InspectReport | null;
  /** Set when the inspection itself failed (worker crash, no pack): the case is INCOMPLETE. */
  failure?: { code: string; message: string };
  runIds: (number | undefined)[];
  startedAt: number;
  inspectStart: number;
  now: number;
}

function outcome(r: ImageResult, files: CaseFile[], runId: number | undefined): ImageOutcome {
  const f = files.find((x) => x.path === r.source);
  return {
    view: f?.view ?? null,
    file: f?.name ?? r.source,
    sha256: r.image.sha256 ?? f?.sha256 ?? null,
    side: r.side,
    ...(r.role === 'findings' ? { decision: r.error ? 'error' : (r.regions?.length ?? 0) > 0 ? 'found' : 'none', role: 'findings' as const } : { decision: r.decision }),
    defectScore: r.defectScore ?? null,
    // A classifier names its top class; an anomaly pack says anomalous/normal; a segmentation pack has
    // no classification block, its label is the class with the largest region (drivingLabel).
    label: r.classification?.topLabel ?? (r.anomaly ? (r.decision === 'defect' ? 'anomalous' : 'normal') : (r.drivingLabel ?? null)),
    pack: { name: r.pack.name, version: r.pack.version },
    provider: r.provider,
    runId: runId ?? null,
    ...(r.error ? { error: { code: r.error.code, message: r.error.message } } : {}),
  };
}

export function buildResult(b: BuildInput): StationResult {
  const reasons: StationResult['reasons'] = [];
  const present = new Set(b.files.map((f) => f.view));
  const missing = b.views.filter((v) => !present.has(v));
  for (const v of missing) reasons.push({ code: 'STATION_VIEW_MISSING', message: `No ${v} image arrived for ${b.serial}.`, view: v });
  if (b.failure) reasons.push(b.failure);
  for (const n of b.notes ?? []) reasons.push(n);
  // The report groups by inspector.yaml; the station already grouped by serial, so it holds one case.
  const kase: CaseResult | undefined = b.report?.cases.length === 1 ? b.report.cases[0] : undefined;
  if (b.report && !kase) reasons.push({ code: 'STATION_CASE_SPLIT', message: `inspector.yaml grouped the ${b.serial} files into ${b.report.cases.length} cases; align cases.pattern with the station's pattern.` });
  // Missing views, a failed inspection or sidecar, a split case: the station's own INCOMPLETE.
  // Failed images are the verdict core's business: INCOMPLETE, or a defect under verdict.incomplete: DEFECT.
  const stationIncomplete = reasons.length > 0 || !kase;
  const results = b.report?.results ?? [];
  for (const r of results) if (r.error) reasons.push({ code: r.error.code, message: r.error.message, file: files(b, r.source) });
  const verdict: StationVerdict = stationIncomplete || !kase ? 'INCOMPLETE' : kase.verdict.verdict;
  const packs = new Map<string, StationResult['packs'][number]>();
  for (const r of results) packs.set(`${r.pack.name}@${r.pack.version}`, { name: r.pack.name, version: r.pack.version, manifestSha256: r.pack.manifestSha256, files: { ...r.pack.files } });
  const firstWrite = Math.min(...b.files.map((f) => f.lastWriteMs), b.startedAt);
  return {
    schema: 'inspector.station.result/1',
    resultId: b.resultId,
    station: b.station.id,
    line: b.station.line,
    serial: b.serial,
    partId: b.partId ?? b.serial,
    lot: b.lot,
    verdict,
    evaluation: evaluationOf(verdict),
    reasons,
    trigger: b.trigger,
    createdAt: new Date(b.now).toISOString(),
    caseUid: b.caseUid,
    views: { expected: [...b.views], missing },
    images: results.map((r, i) => outcome(r, b.files, b.runIds[i])),
    packs: [...packs.values()],
    runIds: b.runIds.filter((x): x is number => x !== undefined),
    inspectionConfigSha256: b.report?.configSha256 ?? null,
    integrated: kase
      ? {
          verdict: kase.verdict.verdict,
          method: kase.verdict.method,
          score: kase.verdict.score,
          ...(kase.verdict.drivingSide ? { drivingSide: kase.verdict.drivingSide } : {}),
          ...(kase.verdict.drivingClass ? { drivingClass: kase.verdict.drivingClass } : {}),
        }
      : null,
    processingTimes: {
      startTime: new Date(b.inspectStart).toISOString(),
      endTime: new Date(b.now).toISOString(),
      acquisitionMs: Math.max(0, b.inspectStart - firstWrite),
      inspectMs: b.now - b.inspectStart,
      totalMs: Math.max(0, b.now - firstWrite),
    },
  };
}

function files(b: BuildInput, source: string): string {
  return b.files.find((f) => f.path === source)?.name ?? source;
}

/**
 * A reviewer's decision on a published case, published as its own message: the original result is
 * never rewritten; consumers apply the correction to the result it names. Besides the per-image
 * decision it carries what the case verdict becomes with every review so far (`correctedVerdict`,
 * correctedVerdict.ts), so a PLC or MES need not re-derive the case.
 */
export interface StationCorrection {
  schema: 'inspector.station.correction/1';
  correctionId: string;
  /** The published result this corrects. */
  resultId: string;
  station: string;
  line: string;
  serial: string;
  partId: string;
  lot: string | null;
  originalVerdict: StationVerdict;
  reviewId: number;
  supersedesReviewId: number | null;
  runId: number;
  view: string | null;
  file: string | null;
  decision: string;
  label: string | null;
  note: string | null;
  reviewer: string;
  reviewedAt: string;
  /** The case's integrated verdict after this review and the earlier ones on its runs (same vocabulary as the result's `verdict`). */
  correctedVerdict: StationVerdict;
  /** OPC 40001-101 name of `correctedVerdict` (OK / NotOK / NotDecidable), as the result's `evaluation`. */
  correctedEvaluation: Evaluation;
  /** `correctedVerdict` differs from `originalVerdict` (false for an accept, or reviews whose calls give the same verdict). */
  verdictChanged: boolean;
  /** How it was reached: `unchanged` (only accepts), `reviewed` (recomputed with the reviewers' own calls), `incomplete` (missing or failed images: the verdict stands). */
  correctionBasis: CorrectedVerdict['basis'];
  /** The effective review of each deciding run `correctedVerdict` rests on (this one included when it is on a deciding run). */
  appliedReviewIds: number[];
}

export function buildCorrection(
  r: StationResult,
  review: { id: number; runId: number; operatorId: string; decision: string; label: string | null; note: string | null; supersedes: number | null; createdAt: number },
  corrected: CorrectedVerdict,
): StationCorrection {
  const img = r.images.find((i) => i.runId === review.runId);
  return {
    schema: 'inspector.station.correction/1',
    correctionId: `${r.station}:review:${review.id}`,
    resultId: r.resultId,
    station: r.station,
    line: r.line,
    serial: r.serial,
    partId: r.partId,
    lot: r.lot,
    originalVerdict: r.verdict,
    reviewId: review.id,
    supersedesReviewId: review.supersedes,
    runId: review.runId,
    view: img?.view ?? null,
    file: img?.file ?? null,
    decision: review.decision,
    label: review.label,
    note: review.note,
    reviewer: review.operatorId,
    reviewedAt: new Date(review.createdAt).toISOString(),
    correctedVerdict: corrected.verdict,
    correctedEvaluation: corrected.evaluation,
    verdictChanged: corrected.changed,
    correctionBasis: corrected.basis,
    appliedReviewIds: corrected.reviewIds,
  };
}

/**
 * A case's non-deciding findings (a side's grounding pack), recorded and published after its
 * result so the OK/NG never waits for them. It names the result it belongs to; it never changes
 * the verdict (findings never decide — docs/STATION.md, "Decision first").
 */
export interface StationFindings {
  schema: 'inspector.station.findings/1';
  resultId: string;
  caseUid: string;
  station: string;
  line: string;
  serial: string;
  partId: string;
  lot: string | null;
  verdict: StationVerdict;
  images: ImageOutcome[];
  runIds: number[];
  /** Decision recorded → findings recorded (the detail step's own time, off the decision's path). */
  detailMs: number;
  createdAt: string;
}

export function buildFindings(r: StationResult, report: InspectReport, files: CaseFile[], runIds: (number | undefined)[], detailMs: number, now: number): StationFindings {
  return {
    schema: 'inspector.station.findings/1',
    resultId: r.resultId,
    caseUid: r.caseUid,
    station: r.station,
    line: r.line,
    serial: r.serial,
    partId: r.partId,
    lot: r.lot,
    verdict: r.verdict,
    images: report.results.map((x, i) => outcome(x, files, runIds[i])),
    runIds: runIds.filter((x): x is number => x !== undefined),
    detailMs,
    createdAt: new Date(now).toISOString(),
  };
}
