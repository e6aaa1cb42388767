/**
 * Hashing for the audit chain. A record's hash is taken over a fixed, versioned column list
 * (`HASHED_COLUMNS`), never `SELECT *`: a later migration may add columns without invalidating
 * every hash already in the chain.
 */
// One-shot hashing: no Hash object per entry (two per inference record on the batch path).
import { hash as oneShotHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

export function sha256Hex(data: string | Uint8Array): string {
  return oneShotHash('sha256', data, 'hex');
}

/** JSON with sorted object keys, so equal values always hash equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} is not representable`);
    return JSON.stringify(value);
  }
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  throw new TypeError(`canonicalJson: unsupported ${typeof value}`);
}

const CASE_COLUMNS = ['id', 'case_key', 'kind', 'line', 'station', 'tags', 'created_at'] as const;
const IMAGE_COLUMNS = [
  'id', 'case_id', 'source_path', 'sha256', 'format', 'modality', 'width', 'height', 'frames', 'bytes', 'validation', 'created_at',
] as const;

/**
 * The audited entities, their tables and the columns their record hash covers (hash version 1).
 * A run's entry also seals its image and case rows as they were (`CASE_COLUMNS`,
 * `IMAGE_COLUMNS`): one entry per inference instead of three, and an edited image or case
 * breaks every run that points at it.
 */
export const HASHED_COLUMNS = {
  operator: { table: 'operators', key: 'id', columns: ['id', 'name', 'role', 'created_at'] },
  batch: { table: 'batches', key: 'id', columns: ['id', 'name', 'source', 'operator_id', 'started_at'] },
  run: {
    table: 'inference_runs',
    key: 'id',
    columns: [
      'id', 'created_at', 'day', 'case_id', 'image_id', 'batch_id', 'pack_name', 'pack_version', 'pack_hashes', 'provider',
      'verdict', 'score', 'threshold', 'probabilities', 'scores', 'thresholds', 'regions', 'explanation', 'timings',
      'config_hash', 'operator_id',
    ],
  },
  review: {
    table: 'reviews',
    key: 'id',
    columns: ['id', 'run_id', 'operator_id', 'decision', 'label', 'boxes', 'note', 'supersedes', 'created_at'],
  },
  error: {
    table: 'errors',
    key: 'id',
    columns: ['id', 'created_at', 'day', 'stage', 'code', 'message', 'details', 'source_path', 'sha256', 'pack_name', 'batch_id', 'case_key', 'operator_id'],
  },
  evaluation: {
    table: 'evaluations',
    key: 'id',
    columns: ['id', 'created_at', 'batch_id', 'set_identity', 'set_source', 'packs', 'config_hash', 'summary', 'operator_id'],
  },
  measurement: {
    table: 'review_measurements',
    key: 'id',
    columns: ['id', 'review_id', 'kind', 'points', 'frame_number', 'source', 'value', 'unit', 'created_at'],
  },
  threshold: {
    table: 'threshold_versions',
    key: 'id',
    columns: ['id', 'created_at', 'pack_name', 'pack_identity', 'evaluation_id', 'objective', 'low', 'high', 'human_share', 'operator_id'],
  },
  box_review: {
    table: 'box_reviews',
    key: 'id',
    columns: ['id', 'run_id', 'box_index', 'box', 'label', 'decision', 'operator_id', 'created_at'],
  },
  agreement: {
    table: 'system_agreements',
    key: 'id',
    columns: ['id', 'created_at', 'case_key', 'image_sha256', 'runs', 'match_iou', 'mean_iou', 'summary', 'operator_id'],
  },
  // Which batches are evaluations decides which runs the production statistics leave out, so the
  // mark is signed like the batch itself (migration "signed evaluation batches" logs older marks).
  evaluation_batch: { table: 'evaluation_batches', key: 'batch_id', columns: ['batch_id', 'set_identity', 'created_at'] },
  case_verdict: {
    table: 'case_verdicts',
    key: 'id',
    columns: [
      'id', 'created_at', 'case_key', 'batch_id', 'verdict', 'inspected_verdict', 'method', 'rule', 'incomplete_policy', 'score',
      'config_hash', 'images', 'failed_images', 'run_ids', 'operator_id',
    ],
  },
  // A map drawn after the run was recorded and published (the station's decision first): the run it
  // explains, the map blob's SHA-256 and the regions read off it (migration "run explanations …").
  explanation: {
    table: 'run_explanations',
    key: 'id',
    columns: ['id', 'run_id', 'created_at', 'method', 'explanation', 'blob_sha256', 'regions', 'score', 'timings', 'operator_id'],
  },
} as const;

/** The migration that adds `run_explanations` (by name: the lead renumbers migrations at merge). */
export const RUN_EXPLANATIONS_MIGRATION = 'run explanations recorded after the decision';

/**
 * The migration that signs `evaluation_batch` rows and chains the DICOM worklist (by name: the lead
 * renumbers migrations at merge). Histories before it verify without those checks.
 */
export const SIGNING_MIGRATION = 'signed evaluation batches, chained DICOM worklist';

export const SEALED_WITH_RUN = {
  case: { table: 'cases', columns: CASE_COLUMNS },
  image: { table: 'images', columns: IMAGE_COLUMNS },
} as const;

export type AuditEntity = keyof typeof HASHED_COLUMNS;
/** Entries that describe an event rather than a row (restore, export): their record is the payload. */
export type AuditSubject = AuditEntity | 'event';

type AnyRow = Record<string, unknown>;

/**
 * A row's values in a fixed column order, each tagged with its type and strings length-prefixed,
 * so no two different rows give the same text. Stored rows hold only null, numbers and strings
 * (JSON columns are strings), which is all this needs to handle.
 */
function rowText(columns: readonly string[], row: AnyRow): string {
  let out = '';
  for (const c of columns) {
    const v = row[c];
    if (v === null || v === undefined) out += 'z;';
    else if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new TypeError(`Column ${c} holds ${v}, which SQLite cannot store faithfully.`);
      out += `n${v};`;
    } else if (typeof v === 'string') out += `s${v.length}:${v};`;
    else if (typeof v === 'bigint') out += `n${v};`;
    else throw new TypeError(`Column ${c} holds a ${typeof v}; audited columns are null, numbers or text.`);
  }
  return out;
}

/**
 * Columns added to other audited tables after hash version 1, sealed (like `RUN_ADDED_COLUMNS`)
 * only when they hold a value: a threshold version's `source` (reviewed history as labels).
 */
export const ADDED_COLUMNS: Partial<Record<Exclude<AuditEntity, 'run'>, readonly string[]>> = { threshold: ['source'] };

export function recordHash(entity: Exclude<AuditEntity, 'run'>, row: AnyRow): string {
  const added = (ADDED_COLUMNS[entity] ?? [])
    .filter((c) => row[c] !== null && row[c] !== undefined)
    .map((c) => `|+${c}|${rowText([c], row)}`)
    .join('');
  return sha256Hex(`${entity}:v1|${rowText(HASHED_COLUMNS[entity].columns, row)}${added}`);
}

/**
 * Run columns added after hash version 1. Each is sealed only when it holds a value, so every hash
 * already in the chain (written before the column existed, all null) still verifies.
 */
export const RUN_ADDED_COLUMNS = ['providers_requested', 'grounding_prompt'] as const;

export function runRecordHash(run: AnyRow, image: AnyRow, kase: AnyRow): string {
  const added = RUN_ADDED_COLUMNS.filter((c) => run[c] !== null && run[c] !== undefined)
    .map((c) => `|+${c}|${rowText([c], run)}`)
    .join('');
  return sha256Hex(`run:v1|${rowText(HASHED_COLUMNS.run.columns, run)}${added}|image|${rowText(IMAGE_COLUMNS, image)}|case|${rowText(CASE_COLUMNS, kase)}`);
}

export interface AuditEntryFields {
  seq: number;
  at: number;
  actor: string;
  action: string;
  entity: string;
  entityId: string;
  recordHash: string;
  prevHash: string;
}

export function entryHash(e: AuditEntryFields): string {
  return sha256Hex([e.seq, e.at, e.actor, e.action, e.entity, e.entityId, e.recordHash, e.prevHash].join('\u001f'));
}
