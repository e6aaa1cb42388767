/**
 * What the app *shows* beyond the signed rows, checked by `audit verify`. Two ways:
 * - recomputed from the signed rows and compared, row for row: the review state (the effective
 *   review of each run), the dashboard's daily counts, score histogram, error counts and
 *   AI-vs-reviewer agreement, and the case search index (FTS5's own integrity check against the
 *   signed case rows);
 * - chained: values that are not derivable from rows — the drift baseline (`pack_reference`) and
 *   the selected operator (`settings.operator.current`) — are logged in the audit chain when set,
 *   and must equal their latest logged value.
 * Blob files (heatmaps) are re-hashed against the digest their signed run names by `verifyBlobs`
 * (`audit verify --blobs`): slower, it reads every map.
 */
import { readFileSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { canonicalJson, sha256Hex } from './hash';
import type { BlobStore } from './blobs';

export interface DerivedBreak {
  code: 'AUDIT_DERIVED_MISMATCH' | 'AUDIT_BLOB_MISMATCH';
  seq: 0;
  entity: string;
  entityId?: string;
  message: string;
}

/** Recomputations, as SQL over signed rows; each must equal its stored table exactly (n > 0 rows). */
const RECOMPUTED: { table: string; shows: string; stored: string; recomputed: string }[] = [
  {
    table: 'review_state',
    shows: 'the review shown for each run',
    stored: 'SELECT run_id, run_at, review_id, decision, label, operator_id, at, pack_name, day, ai_label, human_label FROM review_state',
    recomputed: `SELECT v.run_id, r.created_at, v.id, v.decision, v.label, v.operator_id, v.created_at, r.pack_name, r.day, r.verdict,
      CASE v.decision WHEN 'accept' THEN r.verdict WHEN 'override' THEN v.label WHEN 'reject' THEN coalesce(v.label, '(rejected)') ELSE NULL END
      FROM reviews v JOIN inference_runs r ON r.id = v.run_id WHERE v.id = (SELECT max(id) FROM reviews w WHERE w.run_id = v.run_id)`,
  },
  {
    table: 'stat_daily',
    shows: 'the dashboard run counts',
    stored: 'SELECT day, pack_name, verdict, n FROM stat_daily WHERE n > 0',
    // Evaluation batches (labelled sets) are kept out of the production statistics.
    recomputed: 'SELECT day, pack_name, verdict, count(*) FROM inference_runs WHERE (batch_id IS NULL OR batch_id NOT IN (SELECT batch_id FROM evaluation_batches)) GROUP BY 1, 2, 3',
  },
  {
    table: 'stat_images_daily',
    shows: 'the dashboard image counts',
    // localDay() of the image's time, as SQLite's localtime computes it (the v3 backfill's definition).
    stored: 'SELECT day, n FROM stat_images_daily WHERE n > 0',
    // An image first recorded by an evaluation run is not counted (records.ts: ensureImage).
    recomputed: `SELECT date(i.created_at / 1000, 'unixepoch', 'localtime'), count(*) FROM images i WHERE NOT EXISTS (SELECT 1 FROM inference_runs r
      WHERE r.id = (SELECT min(id) FROM inference_runs WHERE image_id = i.id) AND r.batch_id IN (SELECT batch_id FROM evaluation_batches)) GROUP BY 1`,
  },
  {
    table: 'stat_score_hist',
    shows: 'the score histograms and drift',
    stored: 'SELECT pack_name, day, bin, n FROM stat_score_hist WHERE n > 0',
    recomputed: 'SELECT pack_name, day, max(0, min(99, CAST(score * 100 AS INTEGER))), count(*) FROM inference_runs WHERE (batch_id IS NULL OR batch_id NOT IN (SELECT batch_id FROM evaluation_batches)) GROUP BY 1, 2, 3',
  },
  {
    table: 'stat_errors_daily',
    shows: 'the dashboard error counts',
    stored: 'SELECT day, stage, code, n FROM stat_errors_daily WHERE n > 0',
    recomputed: 'SELECT day, stage, code, count(*) FROM errors GROUP BY 1, 2, 3',
  },
  {
    table: 'stat_agreement',
    shows: 'the AI-vs-reviewer agreement',
    stored: 'SELECT pack_name, day, ai_label, human_label, n FROM stat_agreement WHERE n > 0',
    recomputed: `SELECT r.pack_name, r.day, r.verdict,
      CASE v.decision WHEN 'accept' THEN r.verdict WHEN 'override' THEN v.label WHEN 'reject' THEN coalesce(v.label, '(rejected)') ELSE NULL END AS human, count(*)
      FROM reviews v JOIN inference_runs r ON r.id = v.run_id WHERE v.id = (SELECT max(id) FROM reviews w WHERE w.run_id = v.run_id)
      GROUP BY 1, 2, 3, 4 HAVING human IS NOT NULL`,
  },
];

/**
 * A statistics table as recomputed from the signed rows (evaluation batches left out): central
 * verify rebuilds the station's caches with it, so both sides compare against one definition.
 */
export function recomputedStatistics(table: 'stat_daily' | 'stat_images_daily' | 'stat_score_hist'): string {
  return RECOMPUTED.find((r) => r.table === table)!.recomputed;
}

/** The hash logged for a drift baseline when it is set (records.ts and migration backfill). */
export const referenceHash = (scores: string) => sha256Hex(canonicalJson(JSON.parse(scores) as unknown));
export const operatorSelectionHash = (id: string) => sha256Hex(`operator.current\u001f${id}`);

/**
 * The DICOM worklist (src/core/dicomnet/records.ts). Its rows change in place — a re-sent instance
 * replaces its row (same SOP Instance UID), a study's node status moves received → inspecting →
 * inspected — so they are chained like the baseline rather than signed as append-only records: each
 * write logs the row's hash (`dicom.instance` / `dicom.study` events, keyed by UID) and every row must
 * equal its latest logged value. Patient name and study description are not in the rows; the
 * worklist reads them from the received file, whose SHA-256 the chained instance row holds and
 * `--blobs` re-hashes (`verifyDicomFiles`).
 */
export const DICOM_INSTANCE_COLUMNS = [
  'sop_instance_uid', 'sop_class_uid', 'study_instance_uid', 'series_instance_uid', 'patient_id', 'accession_number', 'study_date', 'modality',
  'body_part', 'station_name', 'transfer_syntax', 'path', 'bytes', 'sha256', 'calling_aet', 'peer_host', 'received_at',
] as const;
export const DICOM_STUDY_COLUMNS = ['study_instance_uid', 'patient_id', 'accession_number', 'study_date', 'status', 'batch_id', 'error_code', 'updated_at'] as const;
const DICOM_CHAINED = [
  { table: 'dicom_instances', action: 'dicom.instance', key: 'sop_instance_uid', columns: DICOM_INSTANCE_COLUMNS, shows: 'the worklist series, modality, sending AE and file' },
  { table: 'dicom_studies', action: 'dicom.study', key: 'study_instance_uid', columns: DICOM_STUDY_COLUMNS, shows: 'the worklist patient, date, accession and AI status' },
] as const;

export function dicomRowHash(kind: 'dicom.instance' | 'dicom.study', row: Record<string, unknown>): string {
  const columns = kind === 'dicom.instance' ? DICOM_INSTANCE_COLUMNS : DICOM_STUDY_COLUMNS;
  return sha256Hex(`${kind}\u001f${canonicalJson(Object.fromEntries(columns.map((c) => [c, row[c] ?? null])))}`);
}

export interface DerivedOptions {
  /**
   * Check the DICOM worklist against its chained values (default true). Off for a history from before
   * the migration that chains it, and for central verify: fleet sync does not carry the worklist.
   */
  dicom?: boolean;
}

export function verifyDerived(db: Database.Database, options: DerivedOptions = {}): { checked: string[]; firstBreak: DerivedBreak | null } {
  const checked: string[] = [];
  const mismatch = (table: string, message: string, entityId?: string): DerivedBreak => ({
    code: 'AUDIT_DERIVED_MISMATCH',
    seq: 0,
    entity: table,
    ...(entityId ? { entityId } : {}),
    message,
  });
  for (const r of RECOMPUTED) {
    const extra = db.prepare(`SELECT count(*) AS n FROM (${r.stored} EXCEPT ${r.recomputed})`).get() as { n: number };
    const missing = db.prepare(`SELECT count(*) AS n FROM (${r.recomputed} EXCEPT ${r.stored})`).get() as { n: number };
    checked.push(r.table);
    if (extra.n || missing.n) {
      return { checked, firstBreak: mismatch(r.table, `${r.table} (${r.shows}) does not match the signed records: ${extra.n} row(s) differ from what they recompute to, ${missing.n} missing.`) };
    }
  }
  // The search index against the signed case rows (FTS5 checks index ↔ content itself).
  try {
    db.exec(`INSERT INTO cases_fts(cases_fts, rank) VALUES ('integrity-check', 1)`);
    checked.push('cases_fts');
  } catch (e) {
    const msg = (e as Error).message;
    if (/readonly|read-only/i.test(msg)) checked.push('cases_fts (not checked: read-only database)');
    else return { checked, firstBreak: mismatch('cases_fts', `The case search index does not match the signed cases (${msg}).`) };
  }
  const latestEvent = db.prepare(`SELECT record_hash FROM audit_log WHERE entity = 'event' AND action = ? AND entity_id = ? ORDER BY seq DESC LIMIT 1`).pluck();
  for (const row of db.prepare('SELECT pack_name, pack_version, scores FROM pack_reference').iterate() as IterableIterator<{ pack_name: string; pack_version: string; scores: string }>) {
    const id = `${row.pack_name}@${row.pack_version}`;
    if (latestEvent.get('pack_reference.set', id) !== referenceHash(row.scores)) {
      return { checked, firstBreak: mismatch('pack_reference', `The drift baseline of ${id} is not the one logged in the audit chain: it was changed outside the app.`, id) };
    }
  }
  checked.push('pack_reference');
  const current = db.prepare(`SELECT value FROM settings WHERE key = 'operator.current'`).pluck().get() as string | undefined;
  if (current !== undefined && latestEvent.get('operator.select', 'operator.current') !== operatorSelectionHash(current)) {
    return { checked, firstBreak: mismatch('settings', `The selected operator "${current}" is not the one logged in the audit chain: it was changed outside the app.`, current) };
  }
  checked.push('operator.current');
  if (options.dicom !== false) {
    const b = verifyDicomWorklist(db);
    if (b) return { checked, firstBreak: b };
    checked.push('dicom_instances', 'dicom_studies');
  }
  return { checked, firstBreak: null };
}

/** Each worklist row equals its latest chained value, and every chained UID still has its row (nothing hidden). */
function verifyDicomWorklist(db: Database.Database): DerivedBreak | null {
  for (const c of DICOM_CHAINED) {
    // One pass over the chain's DICOM events (latest per UID), not one query per row: a node holds many instances.
    const latest = new Map<string, string>();
    for (const e of db
      .prepare(`SELECT entity_id, record_hash FROM audit_log WHERE entity = 'event' AND action = ? ORDER BY seq`)
      .iterate(c.action) as IterableIterator<{ entity_id: string; record_hash: string }>) {
      latest.set(e.entity_id, e.record_hash);
    }
    let rows = 0;
    for (const row of db.prepare(`SELECT ${c.columns.join(',')} FROM ${c.table}`).iterate() as IterableIterator<Record<string, unknown>>) {
      rows++;
      const id = String(row[c.key]);
      const logged = latest.get(id);
      if (logged !== dicomRowHash(c.action, row)) {
        return {
          code: 'AUDIT_DERIVED_MISMATCH',
          seq: 0,
          entity: c.table,
          entityId: id,
          message: logged
            ? `${c.table} row ${id} (${c.shows}) is not the one logged in the audit chain: it was changed outside the app.`
            : `${c.table} row ${id} (${c.shows}) was never logged in the audit chain: it was added outside the app.`,
        };
      }
    }
    if (rows !== latest.size) {
      const present = new Set(db.prepare(`SELECT ${c.key} FROM ${c.table}`).pluck().all() as string[]);
      const gone = [...latest.keys()].find((k) => !present.has(k));
      return { code: 'AUDIT_DERIVED_MISMATCH', seq: 0, entity: c.table, ...(gone ? { entityId: gone } : {}), message: `${c.table} row ${gone} logged in the audit chain is gone: it was removed from the worklist outside the app.` };
    }
  }
  return null;
}

/**
 * Every received DICOM file re-hashed against the SHA-256 its chained instance row holds (`--blobs`):
 * the worklist reads patient name and description from these files.
 */
export function verifyDicomFiles(db: Database.Database): { checked: number; firstBreak: DerivedBreak | null } {
  let checked = 0;
  for (const r of db.prepare('SELECT sop_instance_uid, path, bytes, sha256 FROM dicom_instances ORDER BY received_at, sop_instance_uid').iterate() as IterableIterator<{ sop_instance_uid: string; path: string; bytes: number; sha256: string }>) {
    let why: string | null = null;
    try {
      const data = readFileSync(r.path);
      if (data.length !== r.bytes || sha256Hex(data) !== r.sha256) why = `its ${data.length} bytes hash to ${sha256Hex(data).slice(0, 12)}…, the signed row says ${r.bytes} bytes, ${r.sha256.slice(0, 12)}…`;
    } catch (e) {
      why = `it cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    }
    if (why) {
      return { checked, firstBreak: { code: 'AUDIT_BLOB_MISMATCH', seq: 0, entity: 'dicom_file', entityId: r.sop_instance_uid, message: `The received DICOM file ${r.path} does not match its signed digest: ${why}.` } };
    }
    checked++;
  }
  return { checked, firstBreak: null };
}

/** Every heatmap blob a signed run names, re-read and re-hashed (its file name is its SHA-256). */
export function verifyBlobs(db: Database.Database, blobs: BlobStore): { checked: number; firstBreak: DerivedBreak | null } {
  let checked = 0;
  const seen = new Set<string>();
  // Maps drawn after their run (run_explanations, the station's decision first) name their run too.
  const later = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'run_explanations'`).get()
    ? ` UNION ALL SELECT run_id AS id, blob_sha256 AS blob FROM run_explanations WHERE blob_sha256 IS NOT NULL`
    : '';
  for (const row of db
    .prepare(`SELECT id, json_extract(explanation, '$.blob') AS blob FROM inference_runs WHERE json_extract(explanation, '$.blob') IS NOT NULL${later} ORDER BY id`)
    .iterate() as IterableIterator<{ id: number; blob: string }>) {
    if (seen.has(row.blob)) continue;
    seen.add(row.blob);
    try {
      blobs.get(row.blob);
    } catch (e) {
      return {
        checked,
        firstBreak: { code: 'AUDIT_BLOB_MISMATCH', seq: 0, entity: 'blob', entityId: row.blob, message: `The map of run ${row.id} (blob ${row.blob.slice(0, 12)}…) does not match its signed digest: ${(e as Error).message}` },
      };
    }
    checked++;
  }
  return { checked, firstBreak: null };
}
