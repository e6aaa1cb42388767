/**
 * The runs an export covers, read in pages by keyset (the last row's sort key and id), never by
 * OFFSET: page 1,000 of a million-run export costs what page 1 does, and only one page is in
 * memory. Filters are exactly `searchHistory`'s (`whereClause`). Runs recorded after the export
 * began are left out (`r.id <= maxRunId`), so a station that keeps inspecting cannot make an
 * export run forever or show rows its summary did not count.
 */
import type Database from 'better-sqlite3';
import { whereClause } from '../history/search';
import type { HistoryQuery } from '../history/index';
import type { HistoryRow, ReviewDecision, StoredCaseVerdict } from '../history/types';
import { failedImageQuery, listFailedImages, maxErrorId, type FailedImageRow } from '../history/failures';
import { verdictsInPeriod, PASS_LABELS, recomputeCase, recomputeVerdict, verdictsForRuns } from '../history/caseVerdicts';
import { InspectorError } from '../../shared/errors';
import type { DicomIds } from './dicomIds';

export interface ExportReview {
  id: number;
  operatorId: string;
  operatorName: string | null;
  decision: ReviewDecision;
  label: string | null;
  note: string | null;
  supersedes: number | null;
  createdAt: number;
}

/** A history table row with what an export adds: image hash, pack file hashes, provider, every review. */
export interface ExportRun extends Omit<HistoryRow, 'review' | 'groundingPrompt' | 'boxes' | 'caseVerdict'> {
  imageSha256: string;
  packHashes: Record<string, string>;
  provider: string;
  batchId: number | null;
  /** The model's flagged regions, `box` = [x, y, width, height] in image pixels. */
  regions: RegionBox[];
  /** Every review of the run, oldest first; the last one is the effective review. */
  reviews: ExportReview[];
  /** The integrated verdict its case was given by the inspection that made this run (recomputed, and marked so, in older histories). */
  caseVerdict: StoredCaseVerdict;
  /** Grounding runs: the prompt used. */
  groundingPrompt: string | null;
  /** The latest accept/reject per box (index into `regions`), with who decided. */
  boxDecisions: ExportBoxDecision[];
  /** The map's method and its trust figure (src/core/explain/faithfulness.ts) as the signed run records them. */
  explanationMethod: string | null;
  trustVerdict: string | null;
  trustFigure: number | null;
  /** Segmentation runs: each defect class's area (whole source px, mm² when the spacing was known) and the pixel cut that decided. */
  segmentation: SegmentationFacts | null;
  /** The image's format as recorded (`dicom`, `png`, …). */
  imageFormat: string;
  /** DICOM images: the identifiers from the file's header (exports fill it; see dicomIds.ts). */
  dicom?: DicomIds | null;
  /** Set on a run that was de-identified (deidentify.ts): the profile it went through. */
  deidentified?: string;
}

export interface SegmentationFacts {
  areas: { label: string; areaPx: number; areaMm2: number | null }[];
  /** Per defect class: the pixel probability cut (absent for arg-max heads); the smallest counted region in model pixels. */
  pixelThresholds: Record<string, number>;
  minAreaModelPx: number;
}

/** A run's segmentation facts from its signed `scores` (`areaPx.<class>`, `areaMm2.<class>`) and `thresholds` (`pixel.<class>`, `minAreaModelPx`). */
export function segmentationFacts(scores: Record<string, number>, thresholds: Record<string, number>): SegmentationFacts | null {
  const labels = Object.keys(scores).filter((k) => k.startsWith('areaPx.')).map((k) => k.slice('areaPx.'.length));
  if (!labels.length) return null;
  return {
    areas: labels.map((label) => ({ label, areaPx: Math.round(scores[`areaPx.${label}`]!), areaMm2: scores[`areaMm2.${label}`] ?? null })),
    pixelThresholds: Object.fromEntries(Object.entries(thresholds).filter(([k]) => k.startsWith('pixel.')).map(([k, v]) => [k.slice('pixel.'.length), v])),
    // Runs recorded before the cut was stored have none: NaN says "not recorded" to the readers.
    minAreaModelPx: thresholds['minAreaModelPx'] ?? Number.NaN,
  };
}

/** `pitting 3700 px (1.23 mm²)` per class (`grouped`: `3,700` for the PDF's reader); the CSV and the PDF say the same. */
export function segmentationAreasText(f: SegmentationFacts, grouped = false): string {
  return f.areas.map((a) => `${a.label} ${grouped ? a.areaPx.toLocaleString('en-US') : a.areaPx} px${a.areaMm2 !== null ? ` (${a.areaMm2.toFixed(2)} mm²)` : ''}`).join('; ');
}

export interface ExportBoxDecision {
  boxIndex: number;
  label: string;
  decision: 'accept' | 'reject';
  operatorId: string;
  createdAt: number;
}

export interface RegionBox {
  box: number[];
  label?: string;
  score?: number;
}

export const effectiveReview = (r: ExportRun): ExportReview | null => r.reviews.at(-1) ?? null;

export interface RunScope {
  from: string;
  where: string;
  params: unknown[];
  /** Sort key and tie-breaker columns, in the direction the query asks. */
  key: string;
  id: string;
  dir: 'ASC' | 'DESC';
  maxRunId: number;
}

/** The query's filters and order as SQL, frozen at the runs that exist now. */
export function runScope(db: Database.Database, q: HistoryQuery): RunScope {
  if (q.from !== undefined && q.to !== undefined && q.to <= q.from) {
    throw new InspectorError('HISTORY_BAD_RANGE', 'The end of the date range must be after its start.');
  }
  const { sql, params, reviewed } = whereClause(db, q);
  const maxRunId = (db.prepare('SELECT coalesce(max(id), 0) FROM inference_runs').pluck().get() as number) ?? 0;
  const from = `${reviewed ? 'review_state rs JOIN inference_runs r ON r.id = rs.run_id' : 'inference_runs r LEFT JOIN review_state rs ON rs.run_id = r.id'}
    JOIN cases c ON c.id = r.case_id JOIN images i ON i.id = r.image_id`;
  const where = `${sql ? `${sql} AND` : 'WHERE'} r.id <= ${maxRunId}`;
  // Audit reports read oldest first unless the caller sorts otherwise.
  const dir = (q.order ?? 'asc') === 'asc' ? 'ASC' : 'DESC';
  const key = q.sort === 'score' ? 'r.score' : reviewed ? 'rs.run_at' : 'r.created_at';
  const id = reviewed && q.sort !== 'score' ? 'rs.run_id' : 'r.id';
  return { from, where, params, key, id, dir, maxRunId };
}

interface RunRow extends Omit<ExportRun, 'packHashes' | 'reviews' | 'regions' | 'boxDecisions' | 'caseVerdict' | 'segmentation'> {
  packHashes: string;
  regions: string;
  scores: string;
  thresholds: string;
  k: number;
}

/** Pages of runs with their reviews, in the scope's order, `pageSize` at a time. */
export function* runPages(db: Database.Database, scope: RunScope, pageSize = 1000): Generator<ExportRun[]> {
  const cmp = scope.dir === 'ASC' ? '>' : '<';
  const select = (after: boolean) =>
    db.prepare(
      `SELECT r.id AS runId, r.created_at AS createdAt, c.case_key AS caseKey, c.line, c.station, i.source_path AS sourcePath,
         i.sha256 AS imageSha256, i.format AS imageFormat, i.modality, r.pack_name AS packName, r.pack_version AS packVersion, r.pack_hashes AS packHashes,
         r.provider, r.batch_id AS batchId, r.regions, r.scores, r.thresholds, r.verdict, r.score, r.threshold, r.grounding_prompt AS groundingPrompt,
         json_extract(r.explanation, '$.method') AS explanationMethod, json_extract(r.explanation, '$.trust.verdict') AS trustVerdict,
         json_extract(r.explanation, '$.trust.figure') AS trustFigure, ${scope.key} AS k
       FROM ${scope.from}
       ${scope.where} ${after ? `AND (${scope.key}, ${scope.id}) ${cmp} (?, ?)` : ''}
       ORDER BY ${scope.key} ${scope.dir}, ${scope.id} ${scope.dir}
       LIMIT ?`,
    );
  const first = select(false);
  const next = select(true);
  let last: RunRow | undefined;
  for (;;) {
    const rows = (last ? next.all(...scope.params, last.k, last.runId, pageSize) : first.all(...scope.params, pageSize)) as RunRow[];
    if (!rows.length) return;
    const reviews = reviewsOf(db, rows.map((r) => r.runId));
    const boxes = boxDecisionsOf(db, rows.map((r) => r.runId));
    const verdicts = verdictsForRuns(db, rows);
    // Runs from before verdicts were stored: their case recomputed once per page.
    const recomputed = new Map<string, StoredCaseVerdict>();
    const verdictOf = (r: { runId: number; caseKey: string }) => {
      const v = verdicts.get(r.runId);
      if (v) return v;
      let c = recomputed.get(r.caseKey);
      if (!c) recomputed.set(r.caseKey, (c = recomputeCase(db, r.caseKey)));
      return c;
    };
    yield rows.map(({ k: _k, packHashes, regions, scores, thresholds, ...r }) => ({
      ...r,
      segmentation: segmentationFacts(JSON.parse(scores) as Record<string, number>, JSON.parse(thresholds) as Record<string, number>),
      packHashes: JSON.parse(packHashes) as Record<string, string>,
      regions: JSON.parse(regions) as RegionBox[],
      reviews: reviews.get(r.runId) ?? [],
      boxDecisions: boxes.get(r.runId) ?? [],
      caseVerdict: verdictOf(r),
    }));
    if (rows.length < pageSize) return;
    last = rows.at(-1);
  }
}

/** The latest decision per (run, box), box order. */
function boxDecisionsOf(db: Database.Database, runIds: number[]): Map<number, ExportBoxDecision[]> {
  const out = new Map<number, ExportBoxDecision[]>();
  const rows = db
    .prepare(
      `SELECT b.run_id AS runId, b.box_index AS boxIndex, b.label, b.decision, b.operator_id AS operatorId, b.created_at AS createdAt
       FROM box_reviews b WHERE b.id IN (SELECT max(id) FROM box_reviews WHERE run_id IN (${runIds.join(',')}) GROUP BY run_id, box_index)
       ORDER BY b.run_id, b.box_index`,
    )
    .all() as (ExportBoxDecision & { runId: number })[];
  for (const { runId, ...d } of rows) {
    let list = out.get(runId);
    if (!list) out.set(runId, (list = []));
    list.push(d);
  }
  return out;
}

function reviewsOf(db: Database.Database, runIds: number[]): Map<number, ExportReview[]> {
  const out = new Map<number, ExportReview[]>();
  // Run IDs are integers from SQLite itself, so inlining them is safe and avoids the 32k-parameter limit.
  const rows = db
    .prepare(
      `SELECT v.run_id AS runId, v.id, v.operator_id AS operatorId, o.name AS operatorName, v.decision, v.label, v.note,
         v.supersedes, v.created_at AS createdAt
       FROM reviews v LEFT JOIN operators o ON o.id = v.operator_id
       WHERE v.run_id IN (${runIds.join(',')}) ORDER BY v.id`,
    )
    .all() as (ExportReview & { runId: number })[];
  for (const { runId, ...v } of rows) {
    let list = out.get(runId);
    if (!list) out.set(runId, (list = []));
    list.push(v);
  }
  return out;
}

export interface ScopeSummary {
  runs: number;
  reviewed: number;
  /** Runs per AI verdict. */
  verdicts: Record<string, number>;
  /** Effective reviews per decision. */
  decisions: Record<string, number>;
  /** Reviews that name a class (uncertain ones do not) and how many of them agree with the AI. */
  labelled: number;
  agreeing: number;
}

/** Counts over the whole scope, from the review state (the effective review per run). */
export function summarise(db: Database.Database, scope: RunScope): ScopeSummary {
  const rows = db
    .prepare(
      `SELECT r.verdict, rs.decision, count(*) AS n, sum(rs.human_label IS NOT NULL) AS labelled, sum(rs.human_label = r.verdict) AS agreeing
       FROM ${scope.from} ${scope.where} GROUP BY r.verdict, rs.decision`,
    )
    .all(...scope.params) as { verdict: string; decision: string | null; n: number; labelled: number | null; agreeing: number | null }[];
  const s: ScopeSummary = { runs: 0, reviewed: 0, verdicts: {}, decisions: {}, labelled: 0, agreeing: 0 };
  for (const r of rows) {
    s.runs += r.n;
    s.verdicts[r.verdict] = (s.verdicts[r.verdict] ?? 0) + r.n;
    if (r.decision !== null) {
      s.reviewed += r.n;
      s.decisions[r.decision] = (s.decisions[r.decision] ?? 0) + r.n;
    }
    s.labelled += r.labelled ?? 0;
    s.agreeing += r.agreeing ?? 0;
  }
  return s;
}

/** A failed (or skipped) image: the history's one failed-image row (`listFailedImages`). */
export type FailedImage = FailedImageRow;

/** The failed images an export covers: the history's failed-image query under the export's filters, frozen at `maxId`. */
export function failedImages(db: Database.Database, q: HistoryQuery, maxId: number): FailedImage[] {
  const fq = failedImageQuery(q, { maxId, limit: null });
  return fq ? listFailedImages(db, fq).rows : [];
}

export { maxErrorId, PASS_LABELS };

export interface CaseVerdict {
  caseKey: string;
  /** The newest verdict the case was given (stored), or the recomputation for cases from before verdicts were stored. */
  verdict: string;
  stored: StoredCaseVerdict;
  /** Every stored verdict of the case in the period, oldest first (one per inspection; empty when recomputed). */
  inspections: StoredCaseVerdict[];
  runs: number;
  failed: number;
  /** The effective reviews' decisions on the case's runs, e.g. `override -> dent`. */
  reviews: string[];
}

/**
 * The integrated verdict per case as the report states it: the verdict stored when the case was
 * inspected (the newest in the report's period), so `verdict.incomplete: DEFECT` shows as the defect
 * the line got. Cases without a stored verdict (older databases) are recomputed from the runs and
 * failed images in scope — INCOMPLETE with any failed image, else the highest-scoring defect, else
 * UNCERTAIN, else PASS — and labelled recomputed.
 */
export class CaseVerdicts {
  private readonly cases = new Map<string, { runs: number; failed: number; defect?: string; defectScore: number; uncertain: boolean; reviews: string[] }>();

  private get(key: string) {
    let c = this.cases.get(key);
    if (!c) this.cases.set(key, (c = { runs: 0, failed: 0, defectScore: -Infinity, uncertain: false, reviews: [] }));
    return c;
  }

  addRun(r: ExportRun): void {
    const c = this.get(r.caseKey);
    c.runs++;
    if (/^uncertain$/i.test(r.verdict)) c.uncertain = true;
    else if (!PASS_LABELS.test(r.verdict) && r.score > c.defectScore) {
      c.defect = r.verdict;
      c.defectScore = r.score;
    }
    const eff = effectiveReview(r);
    if (eff) c.reviews.push(`${eff.decision}${eff.label ? ` -> ${eff.label}` : ''}`);
  }

  addFailed(f: FailedImage): void {
    // A skipped non-image is listed, but it is not an image of the case that went unjudged.
    if (f.skipped) return;
    this.get(f.caseKey ?? f.sourcePath ?? '(unknown case)').failed++;
  }

  /** `db` and the period: where the stored verdicts are read (verdicts after `maxId` are left out). */
  list(db: Database.Database, period: { from?: number; to?: number; maxId?: number } = {}): CaseVerdict[] {
    const stored = verdictsInPeriod(db, [...this.cases.keys()], period);
    // By case key: an auditor looks a part up by its serial.
    return [...this.cases.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([caseKey, c]) => {
      const inspections = stored.get(caseKey) ?? [];
      const v = inspections.at(-1) ?? recomputeVerdict({ caseKey, failed: c.failed, ...(c.defect !== undefined ? { defect: c.defect } : {}), uncertain: c.uncertain });
      return { caseKey, verdict: v.verdict, stored: v, inspections, runs: c.runs, failed: c.failed, reviews: c.reviews };
    });
  }
}
