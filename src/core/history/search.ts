/**
 * History search for the table view and `history list`: filters that map onto indexes, newest
 * first (or by score), one page at a time. The total is opt-in because counting a million rows
 * costs more than fetching a page.
 */
import type Database from 'better-sqlite3';
import { InspectorError } from '../../shared/errors';
import type { HistoryRow, MeasurementInput as ReviewMeasurement, ReviewDecision, ReviewRow, RunDetail, BoxReviewRow, StoredCaseVerdict } from './types';
import { recomputeCase, verdictsForRuns } from './caseVerdicts';

export type ReviewStatus = 'any' | 'unreviewed' | 'reviewed' | ReviewDecision;

export interface HistoryQuery {
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  verdicts?: string[];
  pack?: string;
  reviewer?: string;
  reviewStatus?: ReviewStatus;
  /** Substring of the case key (part serial, cell ID, study UID). */
  text?: string;
  sort?: 'time' | 'score';
  order?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
  withTotal?: boolean;
}

export interface HistoryPage {
  rows: HistoryRow[];
  offset: number;
  limit: number;
  hasMore: boolean;
  total?: number;
}

const MAX_LIMIT = 500;

/** Above this many matching cases, a substring is common enough that walking runs newest-first finds a page sooner. */
const FTS_LIST_LIMIT = 5000;

export function whereClause(db: Database.Database, q: HistoryQuery): { sql: string; params: unknown[]; reviewed: boolean } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, ...values: unknown[]) => {
    where.push(clause);
    params.push(...values);
  };
  const status = q.reviewStatus ?? 'any';
  const reviewed = Boolean(q.reviewer) || (status !== 'any' && status !== 'unreviewed');
  // Reviewed runs are walked through the review state, whose run_at is the run's time.
  const time = reviewed ? 'rs.run_at' : 'r.created_at';
  if (q.from !== undefined) add(`${time} >= ?`, q.from);
  if (q.to !== undefined) add(`${time} < ?`, q.to);
  if (q.verdicts?.length) add(`r.verdict IN (${q.verdicts.map(() => '?').join(',')})`, ...q.verdicts);
  if (q.pack) add('r.pack_name = ?', q.pack);
  if (q.reviewer) add('rs.operator_id = ?', q.reviewer);
  if (status === 'unreviewed') where.push('rs.run_id IS NULL');
  else if (status === 'reviewed') where.push('rs.run_id IS NOT NULL');
  else if (status !== 'any') add('rs.decision = ?', status);
  const text = q.text?.trim();
  if (text) {
    const like = `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    // Rare substrings (a serial fragment) come from the trigram index as a short list of cases;
    // common or short ones are tested on each run's case while walking newest-first.
    const ids =
      [...text].length >= 3
        ? (db.prepare('SELECT rowid FROM cases_fts WHERE cases_fts MATCH ? LIMIT ?').pluck().all(`"${text.replaceAll('"', '""')}"`, FTS_LIST_LIMIT + 1) as number[])
        : null;
    if (ids && ids.length <= FTS_LIST_LIMIT) where.push(`r.case_id IN (${ids.length ? ids.join(',') : 'NULL'})`);
    else add("c.case_key LIKE ? ESCAPE '\\'", like);
  }
  return { sql: where.length ? `WHERE ${where.join(' AND ')}` : '', params, reviewed };
}

/** A history row as SQL returns it: the review flattened into columns (see HistoryRow.review). */
interface SearchRow extends Omit<HistoryRow, 'review' | 'groundingPrompt' | 'boxes'> {
  groundingPrompt: string | null;
  boxDecisions: string | null;
  reviewId: number | null;
  decision: ReviewDecision | null;
  label: string | null;
  reviewer: string | null;
  reviewedAt: number | null;
}

export function searchHistory(db: Database.Database, q: HistoryQuery = {}): HistoryPage {
  const limit = Math.min(Math.max(1, Math.floor(q.limit ?? 50)), MAX_LIMIT);
  const offset = Math.max(0, Math.floor(q.offset ?? 0));
  if (q.from !== undefined && q.to !== undefined && q.to <= q.from) {
    throw new InspectorError('HISTORY_BAD_RANGE', 'The end of the date range must be after its start.');
  }
  const { sql: where, params, reviewed } = whereClause(db, q);
  const dir = q.order === 'asc' ? 'ASC' : 'DESC';
  // With a review filter the review state's own (…, run_at, run_id) index gives the same order.
  const orderBy =
    q.sort === 'score' ? `r.score ${dir}, r.id ${dir}` : reviewed ? `rs.run_at ${dir}, rs.run_id ${dir}` : `r.created_at ${dir}, r.id ${dir}`;
  const rows = db
    .prepare(
      `SELECT r.id AS runId, r.created_at AS createdAt, c.case_key AS caseKey, c.line, c.station, i.source_path AS sourcePath,
         i.modality, r.pack_name AS packName, r.pack_version AS packVersion, r.verdict, r.score, r.threshold,
         rs.review_id AS reviewId, rs.decision, rs.label, rs.operator_id AS reviewer, rs.at AS reviewedAt, r.grounding_prompt AS groundingPrompt,
         (SELECT group_concat(b.decision) FROM box_reviews b WHERE b.id IN (SELECT max(id) FROM box_reviews WHERE run_id = r.id GROUP BY box_index)) AS boxDecisions
       FROM ${reviewed ? 'review_state rs JOIN inference_runs r ON r.id = rs.run_id' : 'inference_runs r LEFT JOIN review_state rs ON rs.run_id = r.id'}
       JOIN cases c ON c.id = r.case_id
       JOIN images i ON i.id = r.image_id
       ${where}
       ORDER BY ${orderBy}
       LIMIT ? OFFSET ?`,
    )
    .all(...params, limit + 1, offset) as SearchRow[];
  const page: HistoryPage = {
    rows: rows.slice(0, limit).map((r) => ({
      runId: r.runId,
      createdAt: r.createdAt,
      caseKey: r.caseKey,
      line: r.line,
      station: r.station,
      sourcePath: r.sourcePath,
      modality: r.modality,
      packName: r.packName,
      packVersion: r.packVersion,
      verdict: r.verdict,
      score: r.score,
      threshold: r.threshold,
      review:
        r.reviewId === null
          ? null
          : { id: r.reviewId, decision: r.decision!, label: r.label, operatorId: r.reviewer!, at: r.reviewedAt! },
      // Grounding runs and per-box reviews only where there are some (other rows keep their shape).
      ...(r.groundingPrompt ? { groundingPrompt: r.groundingPrompt } : {}),
      ...(r.boxDecisions ? { boxes: boxCounts(r.boxDecisions) } : {}),
    })),
    offset,
    limit,
    hasMore: rows.length > limit,
  };
  withCaseVerdicts(db, page.rows);
  if (q.withTotal) {
    const needsReview = q.reviewer || (q.reviewStatus && q.reviewStatus !== 'any');
    const needsCase = where.includes('c.case_key');
    const { n } = db
      .prepare(
        `SELECT count(*) AS n FROM inference_runs r ${needsReview ? 'LEFT JOIN review_state rs ON rs.run_id = r.id' : ''}
         ${needsCase ? 'JOIN cases c ON c.id = r.case_id' : ''} ${where}`,
      )
      .get(...params) as { n: number };
    page.total = n;
  }
  return page;
}

function boxCounts(list: string): { accepted: number; rejected: number } {
  const d = list.split(',');
  return { accepted: d.filter((x) => x === 'accept').length, rejected: d.filter((x) => x === 'reject').length };
}

/** The run's case verdict as rows show it: the stored one that judged the run, else a recomputation (marked). */
function shownVerdict(v: StoredCaseVerdict): NonNullable<HistoryRow['caseVerdict']> {
  const policy = v.source === 'stored' ? [`${v.method}${v.rule !== null ? ` rule ${v.rule}` : ''}`, ...(v.incompletePolicy ? [`incomplete ${v.incompletePolicy}`] : [])].join('; ') : null;
  return { verdict: v.verdict, source: v.source, policy, failedImages: v.failedImages };
}

function withCaseVerdicts(db: Database.Database, rows: HistoryRow[]): void {
  const stored = verdictsForRuns(db, rows);
  const recomputed = new Map<string, StoredCaseVerdict>();
  for (const r of rows) {
    let v = stored.get(r.runId);
    if (!v) {
      v = recomputed.get(r.caseKey);
      if (!v) recomputed.set(r.caseKey, (v = recomputeCase(db, r.caseKey)));
    }
    r.caseVerdict = shownVerdict(v);
  }
}

function caseVerdictOfRun(db: Database.Database, runId: number, caseKey: string): NonNullable<HistoryRow['caseVerdict']> {
  return shownVerdict(verdictsForRuns(db, [{ runId, caseKey }]).get(runId) ?? recomputeCase(db, caseKey));
}

const parse = <T>(s: string | null, fallback: T): T => (s === null ? fallback : (JSON.parse(s) as T));

/** Everything about one run, for reopening it in the viewer or `history show`. */
export function getRun(db: Database.Database, runId: number): RunDetail {
  const r = db.prepare('SELECT * FROM inference_runs WHERE id = ?').get(runId) as Record<string, unknown> | undefined;
  if (!r) throw new InspectorError('HISTORY_RUN_NOT_FOUND', `No inference run ${runId}.`);
  const c = db.prepare('SELECT * FROM cases WHERE id = ?').get(r['case_id']) as Record<string, unknown>;
  const i = db.prepare('SELECT * FROM images WHERE id = ?').get(r['image_id']) as Record<string, unknown>;
  const reviews = db
    .prepare(
      `SELECT v.id, v.run_id AS runId, v.operator_id AS operatorId, o.name AS operatorName, v.decision, v.label, v.boxes, v.note,
         v.supersedes, v.created_at AS createdAt
       FROM reviews v LEFT JOIN operators o ON o.id = v.operator_id WHERE v.run_id = ? ORDER BY v.id`,
    )
    .all(runId) as (Omit<ReviewRow, 'boxes' | 'measurements' | 'supersededBy'> & { boxes: string })[];
  // A correction always names a review of the same run, so the run's own reviews say who superseded whom.
  const supersededBy = new Map(reviews.filter((v) => v.supersedes !== null).map((v) => [v.supersedes!, v.id]));
  const s = (k: string) => r[k] as string;
  const later = r['explanation'] === null ? laterExplanation(db, runId) : null;
  return {
    run: {
      id: r['id'] as number,
      createdAt: r['created_at'] as number,
      day: s('day'),
      batchId: (r['batch_id'] as number | null) ?? null,
      packName: s('pack_name'),
      packVersion: s('pack_version'),
      packHashes: parse(s('pack_hashes'), {}),
      provider: s('provider'),
      providersRequested: parse(r['providers_requested'] as string | null, null) as string[] | null,
      groundingPrompt: (r['grounding_prompt'] as string | null | undefined) ?? null,
      verdict: s('verdict'),
      score: r['score'] as number,
      threshold: (r['threshold'] as number | null) ?? null,
      probabilities: parse(s('probabilities'), {}),
      scores: parse(s('scores'), {}),
      thresholds: parse(s('thresholds'), {}),
      regions: later && s('regions') === '[]' ? later.regions : parse(s('regions'), []),
      explanation: later ? later.explanation : parse(r['explanation'] as string | null, null),
      ...(later ? { explanationRecord: later.id } : {}),
      timings: parse(s('timings'), {}),
      configHash: (r['config_hash'] as string | null) ?? null,
      operatorId: (r['operator_id'] as string | null) ?? null,
    },
    case: {
      id: c['id'] as number,
      key: c['case_key'] as string,
      kind: c['kind'] as string,
      line: (c['line'] as string | null) ?? null,
      station: (c['station'] as string | null) ?? null,
      tags: parse(c['tags'] as string, []),
    },
    image: {
      id: i['id'] as number,
      sourcePath: i['source_path'] as string,
      sha256: i['sha256'] as string,
      format: i['format'] as string,
      modality: i['modality'] as string,
      width: (i['width'] as number | null) ?? null,
      height: (i['height'] as number | null) ?? null,
      frames: (i['frames'] as number | null) ?? null,
      bytes: (i['bytes'] as number | null) ?? null,
      validation: parse(i['validation'] as string, { outcome: 'ok' as const }),
    },
    reviews: reviews.map((v) => ({ ...v, boxes: parse(v.boxes, []), measurements: reviewMeasurements(db, v.id), supersededBy: supersededBy.get(v.id) ?? null })),
    boxReviews: boxReviewsOf(db, runId),
    caseVerdict: caseVerdictOfRun(db, runId, c['case_key'] as string),
  };
}

/**
 * The map of a run recorded without one and drawn afterwards (run_explanations: the station publishes
 * its decision first): the latest such record, or null (none yet, or a database from before them).
 */
function laterExplanation(db: Database.Database, runId: number): { id: number; explanation: RunDetail['run']['explanation']; regions: RunDetail['run']['regions'] } | null {
  if (!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'run_explanations'`).get()) return null;
  const x = db.prepare('SELECT id, explanation, regions FROM run_explanations WHERE run_id = ? ORDER BY id DESC LIMIT 1').get(runId) as { id: number; explanation: string; regions: string } | undefined;
  return x ? { id: x.id, explanation: JSON.parse(x.explanation) as RunDetail['run']['explanation'], regions: JSON.parse(x.regions) as RunDetail['run']['regions'] } : null;
}

/** A review's measurements as recorded (none on a database from before they were kept). */
function reviewMeasurements(db: Database.Database, reviewId: number): ReviewMeasurement[] {
  if (!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'review_measurements'`).get()) return [];
  const rows = db.prepare('SELECT kind, points, frame_number, source, value, unit FROM review_measurements WHERE review_id = ? ORDER BY id').all(reviewId) as {
    kind: ReviewMeasurement['kind'];
    points: string;
    frame_number: number | null;
    source: string | null;
    value: string;
    unit: string | null;
  }[];
  return rows.map((m) => ({
    kind: m.kind,
    points: JSON.parse(m.points) as ReviewMeasurement['points'],
    value: JSON.parse(m.value) as Record<string, number>,
    unit: m.unit,
    frameNumber: m.frame_number,
    source: parse(m.source, null) as ReviewMeasurement['source'],
  }));
}

/** A run's per-box decisions, oldest first, with the operator's name. */
export function boxReviewsOf(db: Database.Database, runId: number): BoxReviewRow[] {
  const rows = db
    .prepare(
      `SELECT b.id, b.run_id AS runId, b.box_index AS boxIndex, b.box, b.label, b.decision, b.operator_id AS operatorId,
         o.name AS operatorName, b.created_at AS createdAt
       FROM box_reviews b LEFT JOIN operators o ON o.id = b.operator_id WHERE b.run_id = ? ORDER BY b.id`,
    )
    .all(runId) as (Omit<BoxReviewRow, 'box'> & { box: string })[];
  return rows.map((b) => ({ ...b, box: parse(b.box, []) }));
}
