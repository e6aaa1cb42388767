/**
 * Writing records. Every function runs inside a store write transaction (`WriteTx`) and logs
 * what it wrote to the audit chain in the same transaction: a record and its entry commit
 * together or not at all.
 */
import type Database from 'better-sqlite3';
import { InspectorError } from '../../shared/errors';
import type { AuditAppender } from './audit';
import type { StatDeltas } from './aggregates';
import { HASHED_COLUMNS, recordHash, runRecordHash, SEALED_WITH_RUN, type AuditEntity } from './hash';
import { localDay } from './time';
import {
  REVIEW_DECISIONS,
  type CaseInput,
  type CaseVerdictInput,
  type ErrorInput,
  type ImageInput,
  type InferenceRecord,
  type Operator,
  type OperatorRole,
  type MeasurementInput,
  type ReviewInput,
  type BoxReviewInput,
  type ExplanationRef,
  type Region,
} from './types';

export interface WriteTx {
  db: Database.Database;
  sql(text: string): Database.Statement;
  chain: AuditAppender;
  stats: StatDeltas;
  /** Cases met in this transaction (see `CaseEntry`); starts empty, dies with the transaction. */
  cases: Map<string, CaseEntry>;
  now(): number;
}

type Row = Record<string, string | number | null>;

/**
 * A case row met in this transaction and the images met under it, so a batch of records for the
 * same part asks the database once. `complete` when the case was created in this transaction:
 * then every image it has is in `images` and a miss needs no query. Only valid inside the
 * transaction that filled it (a rollback would make it lie), hence kept on the `WriteTx`.
 */
export interface CaseEntry {
  row: Row;
  images: Map<string, Row>;
  complete: boolean;
}

const insertSql = new Map<string, string>();

function insertRow(tx: WriteTx, table: string, row: Row): number {
  const cols = Object.keys(row);
  const shape = `${table}(${cols.join(',')})`;
  let text = insertSql.get(shape);
  if (!text) insertSql.set(shape, (text = `INSERT INTO ${shape} VALUES (${cols.map(() => '?').join(',')})`));
  return Number(tx.sql(text).run(...cols.map((c) => row[c])).lastInsertRowid);
}

function insertAudited(tx: WriteTx, entity: Exclude<AuditEntity, 'run'>, table: string, row: Row, actor: string, action: string): number {
  const rowid = insertRow(tx, table, row);
  if (typeof row['id'] !== 'string') row['id'] = rowid;
  tx.chain.append(tx.now(), actor, action, entity, row['id']!, recordHash(entity, row));
  return rowid;
}

const json = (v: unknown, fallback: unknown) => JSON.stringify(v ?? fallback);

export const OPERATOR_ROLES: OperatorRole[] = ['operator', 'reviewer', 'supervisor', 'admin'];

export function createOperator(tx: WriteTx, op: { id: string; name: string; role: OperatorRole }): Operator {
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(op.id)) {
    throw new InspectorError('OPERATOR_BAD_ID', `Operator IDs are 1–64 letters, digits or . _ @ -; got "${op.id.slice(0, 80)}".`);
  }
  if (!op.name.trim()) throw new InspectorError('OPERATOR_BAD_NAME', 'An operator needs a name.');
  if (!OPERATOR_ROLES.includes(op.role)) throw new InspectorError('OPERATOR_BAD_ROLE', `Unknown role "${op.role}".`, { roles: OPERATOR_ROLES });
  if (tx.sql('SELECT 1 FROM operators WHERE id = ?').get(op.id)) {
    throw new InspectorError('OPERATOR_EXISTS', `Operator "${op.id}" already exists.`);
  }
  const createdAt = tx.now();
  insertAudited(tx, 'operator', 'operators', { id: op.id, name: op.name.trim(), role: op.role, created_at: createdAt }, op.id, 'operator.create');
  return { id: op.id, name: op.name.trim(), role: op.role, createdAt };
}

const CASE_BY_KEY = `SELECT ${SEALED_WITH_RUN.case.columns.join(',')} FROM cases WHERE case_key = ?`;
const IMAGE_BY_IDENTITY = `SELECT ${SEALED_WITH_RUN.image.columns.join(',')} FROM images WHERE case_id = ? AND sha256 = ? AND source_path = ?`;

/** Cases and images are not logged on their own: the run that first uses them seals them. */
export function ensureCase(tx: WriteTx, c: CaseInput, at: number): CaseEntry {
  const key = c.key.trim();
  if (!key) throw new InspectorError('CASE_BAD_KEY', 'A case needs a key (part serial, cell ID or study UID).');
  let entry = tx.cases.get(key);
  if (entry) return entry;
  const found = tx.sql(CASE_BY_KEY).get(key) as Row | undefined;
  if (found) entry = { row: found, images: new Map(), complete: false };
  else {
    const row: Row = { case_key: key, kind: c.kind ?? 'part', line: c.line ?? null, station: c.station ?? null, tags: json(c.tags, []), created_at: at };
    row['id'] = insertRow(tx, 'cases', row);
    tx.stats.addCase(row['id'] as number);
    entry = { row, images: new Map(), complete: true };
  }
  tx.cases.set(key, entry);
  return entry;
}

export function ensureImage(tx: WriteTx, kase: CaseEntry, img: ImageInput, at: number, counted = true): Row {
  const caseId = kase.row['id'] as number;
  // Length-prefixed so no path/hash pair can collide with another.
  const identity = `${img.sha256.length}:${img.sha256}${img.sourcePath}`;
  const known = kase.images.get(identity);
  if (known) return known;
  const found = kase.complete ? undefined : (tx.sql(IMAGE_BY_IDENTITY).get(caseId, img.sha256, img.sourcePath) as Row | undefined);
  if (found) {
    kase.images.set(identity, found);
    return found;
  }
  const row: Row = {
    case_id: caseId,
    source_path: img.sourcePath,
    sha256: img.sha256,
    format: img.format,
    modality: img.modality,
    width: img.width ?? null,
    height: img.height ?? null,
    frames: img.frames ?? null,
    bytes: img.bytes ?? null,
    validation: json(img.validation, {}),
    created_at: at,
  };
  row['id'] = insertRow(tx, 'images', row);
  if (counted) tx.stats.addImage(localDay(row['created_at'] as number));
  kase.images.set(identity, row);
  return row;
}

export function startBatch(tx: WriteTx, b: { name: string; source?: string | null; operatorId?: string | null }): number {
  const actor = b.operatorId ?? 'system';
  return insertAudited(tx, 'batch', 'batches', { name: b.name, source: b.source ?? null, operator_id: b.operatorId ?? null, started_at: tx.now() }, actor, 'batch.start');
}

function isEvaluationBatch(tx: WriteTx, batchId: number | null): boolean {
  return batchId !== null && tx.sql('SELECT 1 FROM evaluation_batches WHERE batch_id = ?').get(batchId) !== undefined;
}

/** A batch over a labelled set: marked in the same transaction that starts it. */
export function startEvaluationBatch(tx: WriteTx, b: { name: string; source?: string | null; operatorId?: string | null; setIdentity: string }): number {
  const id = startBatch(tx, b);
  const mark = { batch_id: id, set_identity: b.setIdentity, created_at: tx.now() };
  tx.sql('INSERT INTO evaluation_batches(batch_id, set_identity, created_at) VALUES (?,?,?)').run(mark.batch_id, mark.set_identity, mark.created_at);
  // Signed in the same transaction: the mark decides which runs the statistics leave out.
  tx.chain.append(tx.now(), b.operatorId ?? 'system', 'evaluation_batch.start', 'evaluation_batch', id, recordHash('evaluation_batch', mark));
  return id;
}

export function recordEvaluationCase(tx: WriteTx, batchId: number, caseKey: string, verdict: string): void {
  tx.sql('INSERT INTO evaluation_cases(batch_id, case_key, verdict) VALUES (?,?,?) ON CONFLICT DO UPDATE SET verdict = excluded.verdict').run(batchId, caseKey, verdict);
}

export interface EvaluationInput {
  batchId: number;
  setIdentity: string;
  setSource: string;
  packs: { name: string; version: string; identity: string }[];
  configHash: string | null;
  summary: unknown;
  operatorId: string | null;
}

export function recordEvaluation(tx: WriteTx, e: EvaluationInput): number {
  const id = insertAudited(
    tx,
    'evaluation',
    'evaluations',
    {
      created_at: tx.now(),
      batch_id: e.batchId,
      set_identity: e.setIdentity,
      set_source: e.setSource,
      packs: JSON.stringify(e.packs),
      config_hash: e.configHash,
      summary: JSON.stringify(e.summary),
      operator_id: e.operatorId,
    },
    e.operatorId ?? 'system',
    'evaluation.record',
  );
  for (const p of e.packs) tx.sql('INSERT OR IGNORE INTO evaluation_packs(evaluation_id, pack_name, pack_identity) VALUES (?,?,?)').run(id, p.name, p.identity);
  return id;
}

export interface ThresholdInput {
  packName: string;
  packIdentity: string;
  /** The evaluation it was chosen from; null when chosen from reviewed history (then `source` says what). */
  evaluationId: number | null;
  /** Where the labels came from when not an evaluation (stored as JSON, sealed in the audit hash). */
  source?: Record<string, unknown> | null;
  objective: string;
  low: number;
  high: number;
  humanShare: number | null;
  operatorId: string;
}

export function recordThresholdVersion(tx: WriteTx, t: ThresholdInput): number {
  if (t.evaluationId === null && !t.source) throw new InspectorError('THRESHOLD_SOURCE_MISSING', 'A threshold version needs an evaluation or a recorded source of its labels.');
  return insertAudited(
    tx,
    'threshold',
    'threshold_versions',
    {
      created_at: tx.now(),
      pack_name: t.packName,
      pack_identity: t.packIdentity,
      evaluation_id: t.evaluationId,
      objective: t.objective,
      low: t.low,
      high: t.high,
      human_share: t.humanShare,
      operator_id: t.operatorId,
      ...(t.source ? { source: JSON.stringify(t.source) } : {}),
    },
    t.operatorId,
    'threshold.apply',
  );
}

export interface RecordedRun {
  runId: number;
  caseId: number;
  imageId: number;
}

export function recordInference(tx: WriteTx, rec: InferenceRecord): RecordedRun {
  if (!Number.isFinite(rec.score)) throw new InspectorError('HISTORY_BAD_SCORE', `Score must be a finite number; got ${rec.score}.`);
  const actor = rec.operatorId ?? 'system';
  const createdAt = rec.createdAt ?? tx.now();
  const caseEntry = ensureCase(tx, rec.case, createdAt);
  const kase = caseEntry.row;
  // Runs of an evaluation batch (a labelled set) stay out of the production statistics.
  const production = !isEvaluationBatch(tx, rec.batchId ?? null);
  const image = ensureImage(tx, caseEntry, rec.image, createdAt, production);
  const day = localDay(createdAt);
  const run: Row = {
    created_at: createdAt,
    day,
    case_id: kase['id']!,
    image_id: image['id']!,
    batch_id: rec.batchId ?? null,
    pack_name: rec.pack.name,
    pack_version: rec.pack.version,
    pack_hashes: json(rec.pack.fileHashes, {}),
    provider: rec.provider,
    providers_requested: rec.providersRequested?.length ? JSON.stringify(rec.providersRequested) : null,
    grounding_prompt: rec.groundingPrompt ?? null,
    verdict: rec.verdict,
    score: rec.score,
    threshold: rec.threshold ?? null,
    probabilities: json(rec.probabilities, {}),
    scores: json(rec.scores, {}),
    thresholds: json(rec.thresholds, {}),
    regions: json(rec.regions, []),
    explanation: rec.explanation ? JSON.stringify(rec.explanation) : null,
    timings: json(rec.timings, {}),
    config_hash: rec.configHash ?? null,
    operator_id: rec.operatorId ?? null,
  };
  const runId = insertRow(tx, HASHED_COLUMNS.run.table, run);
  run['id'] = runId;
  tx.chain.append(tx.now(), actor, 'run.record', 'run', runId, runRecordHash(run, image, kase));
  if (production) tx.stats.addRun(day, rec.pack.name, rec.verdict, rec.score);
  return { runId, caseId: kase['id'] as number, imageId: image['id'] as number };
}

/** The integrated verdict given to a case, logged like the runs it judged (entity `case_verdict`). */
export function recordCaseVerdict(tx: WriteTx, v: CaseVerdictInput): number {
  const key = v.caseKey.trim();
  if (!key) throw new InspectorError('CASE_BAD_KEY', 'A case verdict needs the case key it judges.');
  if (!Number.isFinite(v.score)) throw new InspectorError('HISTORY_BAD_SCORE', `Score must be a finite number; got ${v.score}.`);
  return insertAudited(
    tx,
    'case_verdict',
    'case_verdicts',
    {
      created_at: v.createdAt ?? tx.now(),
      case_key: key,
      batch_id: v.batchId ?? null,
      verdict: v.verdict,
      inspected_verdict: v.inspectedVerdict ?? null,
      method: v.method,
      rule: v.rule ?? null,
      incomplete_policy: v.incompletePolicy ?? null,
      score: v.score,
      config_hash: v.configHash,
      images: v.images,
      failed_images: v.failedImages,
      run_ids: JSON.stringify(v.runIds),
      operator_id: v.operatorId ?? null,
    },
    v.operatorId ?? 'system',
    'case.verdict',
  );
}

/**
 * A review is never edited: a correction is a new review naming the one it supersedes. The
 * superseded review must be the run's current one, so two reviewers racing on a run cannot both
 * "correct" the same state unnoticed.
 */
export function recordReview(tx: WriteTx, r: ReviewInput): number {
  if (!REVIEW_DECISIONS.includes(r.decision)) throw new InspectorError('REVIEW_BAD_DECISION', `Unknown review decision "${r.decision}".`);
  if (r.decision === 'override' && !r.label?.trim()) {
    throw new InspectorError('REVIEW_LABEL_REQUIRED', 'Overriding the AI needs the class the reviewer chose.');
  }
  if (!tx.sql('SELECT 1 FROM operators WHERE id = ?').get(r.operatorId)) {
    throw new InspectorError('OPERATOR_UNKNOWN', `No operator "${r.operatorId}"; choose or create a profile first.`);
  }
  if (!tx.sql('SELECT 1 FROM inference_runs WHERE id = ?').get(r.runId)) {
    throw new InspectorError('HISTORY_RUN_NOT_FOUND', `No inference run ${r.runId}.`);
  }
  const current = tx.sql('SELECT review_id FROM review_state WHERE run_id = ?').get(r.runId) as { review_id: number } | undefined;
  const supersedes = r.supersedes ?? null;
  if ((current?.review_id ?? null) !== supersedes) {
    throw new InspectorError(
      'REVIEW_CONFLICT',
      current
        ? `Run ${r.runId} already has review ${current.review_id}; a correction must name it as the review it supersedes.`
        : `Run ${r.runId} has no review to supersede.`,
      { runId: r.runId, current: current?.review_id ?? null, supersedes },
    );
  }
  const reviewId = insertAudited(
    tx,
    'review',
    'reviews',
    {
      run_id: r.runId,
      operator_id: r.operatorId,
      decision: r.decision,
      label: r.label?.trim() || null,
      boxes: json(r.boxes, []),
      note: r.note ?? null,
      supersedes,
      created_at: r.createdAt ?? tx.now(),
    },
    r.operatorId,
    supersedes ? 'review.correct' : 'review.submit',
  );
  for (const m of r.measurements ?? []) recordMeasurement(tx, reviewId, m, r.operatorId);
  return reviewId;
}

const MEASUREMENT_KINDS = new Set(['length', 'rectangle', 'ellipse']);

/** One measurement of a review, in the review's transaction (a review's measurements are never edited). */
function recordMeasurement(tx: WriteTx, reviewId: number, m: MeasurementInput, operatorId: string): void {
  if (!MEASUREMENT_KINDS.has(m.kind)) throw new InspectorError('REVIEW_BAD_MEASUREMENT', `Unknown measurement kind "${m.kind}".`);
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  if (m.points.length !== 2 || !m.points.every((p) => finite(p.x) && finite(p.y)) || !Object.values(m.value).every(finite)) {
    throw new InspectorError('REVIEW_BAD_MEASUREMENT', `A ${m.kind} measurement needs two finite points and finite values.`);
  }
  insertAudited(
    tx,
    'measurement',
    'review_measurements',
    {
      review_id: reviewId,
      kind: m.kind,
      points: JSON.stringify(m.points.map((p) => ({ x: p.x, y: p.y }))),
      frame_number: m.frameNumber ?? null,
      source: m.source ? JSON.stringify(m.source) : null,
      value: JSON.stringify(m.value),
      unit: m.unit ?? null,
      created_at: tx.now(),
    },
    operatorId,
    'measurement.record',
  );
}

/**
 * A reviewer's accept or reject of one box of a run (by its index in the run's regions). Never
 * edited: a later decision on the same box is a new row, and the latest one is the box's state.
 */
export function recordBoxReview(tx: WriteTx, r: BoxReviewInput): number {
  if (r.decision !== 'accept' && r.decision !== 'reject') throw new InspectorError('REVIEW_BAD_DECISION', `A box is accepted or rejected; got "${String(r.decision)}".`);
  if (!tx.sql('SELECT 1 FROM operators WHERE id = ?').get(r.operatorId)) {
    throw new InspectorError('OPERATOR_UNKNOWN', `No operator "${r.operatorId}"; choose or create a profile first.`);
  }
  const run = tx.sql('SELECT regions FROM inference_runs WHERE id = ?').get(r.runId) as { regions: string } | undefined;
  if (!run) throw new InspectorError('HISTORY_RUN_NOT_FOUND', `No inference run ${r.runId}.`);
  const regions = JSON.parse(run.regions) as { box: number[]; label?: string }[];
  const region = Number.isInteger(r.boxIndex) && r.boxIndex >= 0 ? regions[r.boxIndex] : undefined;
  if (!region) {
    throw new InspectorError('REVIEW_BOX_NOT_FOUND', `Run ${r.runId} has ${regions.length} box(es); there is no box ${r.boxIndex}.`, { runId: r.runId, boxIndex: r.boxIndex, boxes: regions.length });
  }
  return insertAudited(
    tx,
    'box_review',
    'box_reviews',
    {
      run_id: r.runId,
      box_index: r.boxIndex,
      // The box as the run recorded it: the decision names what the reviewer saw, not only an index.
      box: JSON.stringify(region.box),
      label: region.label ?? 'region',
      decision: r.decision,
      operator_id: r.operatorId,
      created_at: r.createdAt ?? tx.now(),
    },
    r.operatorId,
    'box.review',
  );
}

export interface AgreementInput {
  caseKey: string;
  imageSha256: string;
  /** The runs compared, each with the system name it stood for. */
  runs: { system: string; runId: number }[];
  matchIou: number;
  meanIou: number | null;
  summary: unknown;
  operatorId: string | null;
}

export function recordAgreement(tx: WriteTx, a: AgreementInput): number {
  return insertAudited(
    tx,
    'agreement',
    'system_agreements',
    {
      created_at: tx.now(),
      case_key: a.caseKey,
      image_sha256: a.imageSha256,
      runs: JSON.stringify(a.runs),
      match_iou: a.matchIou,
      mean_iou: a.meanIou,
      summary: JSON.stringify(a.summary),
      operator_id: a.operatorId,
    },
    a.operatorId ?? 'system',
    'agreement.record',
  );
}

/** A run's map drawn after the run was recorded (the station publishes the decision first). */
export interface ExplanationInput {
  runId: number;
  explanation: ExplanationRef;
  regions: Region[];
  /** The score of the forward pass that drew the map (equal to the run's on unchanged files and pack). */
  score: number | null;
  timings: Record<string, number>;
  operatorId: string | null;
}

export function recordExplanation(tx: WriteTx, x: ExplanationInput): number {
  if (!tx.sql('SELECT 1 FROM inference_runs WHERE id = ?').get(x.runId)) throw new InspectorError('HISTORY_RUN_NOT_FOUND', `No inference run ${x.runId}.`);
  return insertAudited(
    tx,
    'explanation',
    'run_explanations',
    {
      run_id: x.runId,
      created_at: tx.now(),
      method: x.explanation.method,
      explanation: JSON.stringify(x.explanation),
      blob_sha256: x.explanation.blob ?? null,
      regions: JSON.stringify(x.regions),
      score: x.score !== null && Number.isFinite(x.score) ? x.score : null,
      timings: JSON.stringify(x.timings),
      operator_id: x.operatorId,
    },
    x.operatorId ?? 'system',
    'explanation.record',
  );
}

export function recordError(tx: WriteTx, e: ErrorInput): number {
  if (!/^[A-Z][A-Z0-9_]+$/.test(e.code)) throw new InspectorError('HISTORY_BAD_ERROR_CODE', `Error codes are UPPER_SNAKE; got "${e.code.slice(0, 80)}".`);
  const createdAt = e.createdAt ?? tx.now();
  return insertAudited(
    tx,
    'error',
    'errors',
    {
      created_at: createdAt,
      day: localDay(createdAt),
      stage: e.stage,
      code: e.code,
      message: e.message,
      details: json(e.details, {}),
      source_path: e.sourcePath ?? null,
      sha256: e.sha256 ?? null,
      pack_name: e.packName ?? null,
      batch_id: e.batchId ?? null,
      case_key: e.caseKey ?? null,
      operator_id: e.operatorId ?? null,
    },
    e.operatorId ?? 'system',
    `error.${e.stage}`,
  );
}

/** Logs an event that has no row of its own (a restore, an export) with a hash of its payload. */
export function recordEvent(tx: WriteTx, actor: string, action: string, subject: string, payloadHash: string): void {
  tx.chain.append(tx.now(), actor, action, 'event', subject, payloadHash);
}
