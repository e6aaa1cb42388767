/**
 * What the app *shows* beyond the signed rows, checked by `audit verify`. Two ways:
 * - recomputed from the signed rows and compared, row for row: the review state (the effective
 *   review of each run), the dashboard's daily counts, score histogram, error counts and
 *   AI-vs-reviewer agreement, and the case search index (FTS5's own integrity check against the
 *   signed case rows);
 * - chained: values that are not derivable from rows — the drift baseline (`pack_reference`), the
 *   selected operator (`settings.operator.current`), and tables whose rows change in place (the
 *   DICOM worklist, the station ledger, the result outboxes: `CHAINED`) — are logged in the audit
 *   chain when written, and must equal their latest logged value.
 * Blob files (heatmaps) are re-hashed against the digest their signed run names by `verifyBlobs`
 * (`audit verify --blobs`): slower, it reads every map.
 */
import { readFileSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { canonicalJson, sha256Hex } from './hash';
import type { BlobStore } from './blobs';
import type { WriteTx } from './records';

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
  {
    table: 'evaluation_packs',
    shows: 'whether a pack is validated (the notice every result and the dashboard show)',
    stored: 'SELECT evaluation_id, pack_name, pack_identity FROM evaluation_packs',
    // The packs a signed evaluation names (records.ts writes one row per pack of its `packs` list).
    recomputed: `SELECT e.id, json_extract(p.value, '$.name'), json_extract(p.value, '$.identity') FROM evaluations e, json_each(e.packs) p`,
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

/**
 * The same pattern for the station ledger and both result outboxes (src/core/station/ledger.ts,
 * src/core/dicomnet/outbox.ts): the Line room lists `station_cases` (verdict, serial, lot, runs and
 * the result message sent to the line), shows a case's findings through `station_runs` and the
 * unsent count from `station_outbox`, whose payloads are what the line receives; `station_files`
 * decides that a file was consumed (a forged row would silently skip a part). The worklist's
 * "Results sent" cell reads `dicom_outbox`. Every column is chained, the attempt counters too: they
 * change only together with a logged transition (sent, failed, retry scheduled, re-queued), so
 * including them costs no extra entry, and `dicom outbox` prints them.
 */
const STATION_CASE_COLUMNS = ['uid', 'result_id', 'station', 'line', 'serial', 'lot', 'verdict', 'evaluation', 'trigger', 'files', 'run_ids', 'message', 'created_at'] as const;
const STATION_OUTBOX_COLUMNS = ['id', 'case_uid', 'channel', 'topic', 'payload', 'retain', 'created_at', 'sent_at', 'attempts'] as const;
const DICOM_OUTBOX_COLUMNS = [
  'id', 'created_at', 'destination', 'kind', 'sop_class_uid', 'sop_instance_uid', 'study_instance_uid', 'run_id', 'path', 'status', 'attempts',
  'next_attempt_at', 'last_error_code', 'last_error', 'sent_at',
] as const;

/**
 * The migration that chains the station ledger and the outboxes and logs the rows already there
 * (found by name: the lead renumbers migrations at merge). Histories before it verify without them.
 */
export const LEDGER_CHAIN_MIGRATION = 'chained station ledger and result outboxes';

interface ChainedTable {
  table: string;
  /** Key columns; the event's entity id is their values joined by ':' (station_files: sha256 first, fixed length). */
  key: readonly string[];
  columns: readonly string[];
  shows: string;
  /** `dicom`: the worklist (signing migration on); `ledger`: the station ledger and outboxes (LEDGER_CHAIN_MIGRATION on). */
  scope: 'dicom' | 'ledger';
}

export const CHAINED = {
  'dicom.instance': { table: 'dicom_instances', key: ['sop_instance_uid'], columns: DICOM_INSTANCE_COLUMNS, shows: 'the worklist series, modality, sending AE and file', scope: 'dicom' },
  'dicom.study': { table: 'dicom_studies', key: ['study_instance_uid'], columns: DICOM_STUDY_COLUMNS, shows: 'the worklist patient, date, accession and AI status', scope: 'dicom' },
  'ledger.case': { table: 'station_cases', key: ['uid'], columns: STATION_CASE_COLUMNS, shows: 'the Line room case and the result message sent to the line', scope: 'ledger' },
  'ledger.file': { table: 'station_files', key: ['sha256', 'name'], columns: ['name', 'sha256', 'case_uid'], shows: 'which case consumed the file: a consumed file is never inspected again', scope: 'ledger' },
  'ledger.run': { table: 'station_runs', key: ['run_id'], columns: ['run_id', 'case_uid'], shows: "the runs the Line room shows as a case's findings", scope: 'ledger' },
  'ledger.outbox': { table: 'station_outbox', key: ['id'], columns: STATION_OUTBOX_COLUMNS, shows: "a message to the line and the Line room's unsent count", scope: 'ledger' },
  'dicom.outbox': { table: 'dicom_outbox', key: ['id'], columns: DICOM_OUTBOX_COLUMNS, shows: "the worklist's Results sent cell", scope: 'ledger' },
} as const satisfies Record<string, ChainedTable>;
export type ChainedAction = keyof typeof CHAINED;

export function chainedRowHash(action: ChainedAction, row: Record<string, unknown>): string {
  return sha256Hex(`${action}\u001f${canonicalJson(Object.fromEntries(CHAINED[action].columns.map((c) => [c, row[c] ?? null])))}`);
}
export function dicomRowHash(kind: 'dicom.instance' | 'dicom.study', row: Record<string, unknown>): string {
  return chainedRowHash(kind, row);
}
const chainedId = (c: ChainedTable, row: Record<string, unknown>) => c.key.map((k) => String(row[k])).join(':');

/**
 * Logs a chained row's current value inside the write that changed it (read back by its key, so the
 * hash is of the row exactly as stored). Called after every insert and update of a chained row.
 */
export function logChainedRow(tx: WriteTx, actor: string, action: ChainedAction, key: readonly (string | number)[]): void {
  const c: ChainedTable = CHAINED[action];
  const row = tx.sql(`SELECT ${c.columns.join(',')} FROM ${c.table} WHERE ${c.key.map((k) => `${k} = ?`).join(' AND ')}`).get(...key) as Record<string, unknown> | undefined;
  if (row) tx.chain.append(tx.now(), actor, action, 'event', chainedId(c, row), chainedRowHash(action, row));
}

/**
 * Every row of a chained table with its hash, in rowid order (the migration that chains a table logs
 * the rows already there). Paged, not iterated: the caller appends to the chain between pages, which
 * SQLite's connection does not allow while a statement is still stepping.
 */
export function* chainedRows(db: Database.Database, action: ChainedAction, pageSize = 1000): Generator<{ id: string; hash: string }> {
  const c: ChainedTable = CHAINED[action];
  const page = db.prepare(`SELECT rowid AS _rowid, ${c.columns.join(',')} FROM ${c.table} WHERE rowid > ? ORDER BY rowid LIMIT ?`);
  for (let after = 0; ; ) {
    const rows = page.all(after, pageSize) as (Record<string, unknown> & { _rowid: number })[];
    for (const row of rows) yield { id: chainedId(c, row), hash: chainedRowHash(action, row) };
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]!._rowid;
  }
}

export interface DerivedOptions {
  /**
   * Check the DICOM worklist against its chained values (default true). Off for a history from before
   * the migration that chains it, and for central verify: fleet sync does not carry the worklist.
   */
  dicom?: boolean;
  /** Check the station ledger and the result outboxes (default true); off before LEDGER_CHAIN_MIGRATION and for central verify. */
  ledger?: boolean;
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
  const scopes = new Set([...(options.dicom !== false ? ['dicom'] : []), ...(options.ledger !== false ? ['ledger'] : [])]);
  const tables = (Object.keys(CHAINED) as ChainedAction[]).filter((a) => scopes.has(CHAINED[a].scope));
  const b = verifyChained(db, tables);
  if (b) return { checked, firstBreak: b };
  checked.push(...tables.map((a) => CHAINED[a].table));
  return { checked, firstBreak: null };
}

/** Each chained row equals its latest logged value, and every logged id still has its row (nothing hidden). */
function verifyChained(db: Database.Database, actions: readonly ChainedAction[]): DerivedBreak | null {
  if (actions.length === 0) return null;
  // One pass over the chain's events of these tables (latest per id), not one query per row: a node
  // holds many instances, a station many cases.
  const latest = new Map<string, Map<string, string>>(actions.map((a) => [a, new Map()]));
  for (const e of db
    .prepare(`SELECT action, entity_id, record_hash FROM audit_log WHERE entity = 'event' AND action IN (${actions.map(() => '?').join(',')}) ORDER BY seq`)
    .iterate(...actions) as IterableIterator<{ action: string; entity_id: string; record_hash: string }>) {
    latest.get(e.action)!.set(e.entity_id, e.record_hash);
  }
  for (const action of actions) {
    const c: ChainedTable = CHAINED[action];
    const logged = latest.get(action)!;
    const at = (entityId: string | undefined, message: string): DerivedBreak => ({ code: 'AUDIT_DERIVED_MISMATCH', seq: 0, entity: c.table, ...(entityId ? { entityId } : {}), message });
    let rows = 0;
    for (const row of db.prepare(`SELECT ${c.columns.join(',')} FROM ${c.table}`).iterate() as IterableIterator<Record<string, unknown>>) {
      rows++;
      const id = chainedId(c, row);
      const hash = logged.get(id);
      if (hash !== chainedRowHash(action, row)) {
        return at(
          id,
          hash
            ? `${c.table} row ${id} (${c.shows}) is not the one logged in the audit chain: it was changed outside the app.`
            : `${c.table} row ${id} (${c.shows}) was never logged in the audit chain: it was added outside the app.`,
        );
      }
    }
    if (rows !== logged.size) {
      const present = new Set((db.prepare(`SELECT ${c.key.join(',')} FROM ${c.table}`).all() as Record<string, unknown>[]).map((r) => chainedId(c, r)));
      const gone = [...logged.keys()].find((k) => !present.has(k));
      return at(gone, `${c.table} row ${gone} (${c.shows}) logged in the audit chain is gone: it was removed outside the app.`);
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
  // Heatmaps ($.blob) and segmentation masks ($.mask.blob): both are named by the signed run; maps
  // drawn after their run (run_explanations, the station's decision first) name their run too.
  const later = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'run_explanations'`).get()
    ? ` UNION ALL SELECT run_id AS id, blob_sha256 AS blob FROM run_explanations WHERE blob_sha256 IS NOT NULL`
    : '';
  const named = `SELECT id, json_extract(explanation, '$.blob') AS blob FROM inference_runs WHERE json_extract(explanation, '$.blob') IS NOT NULL
    UNION ALL SELECT id, json_extract(explanation, '$.mask.blob') AS blob FROM inference_runs WHERE json_extract(explanation, '$.mask.blob') IS NOT NULL${later} ORDER BY id`;
  for (const row of db.prepare(named).iterate() as IterableIterator<{ id: number; blob: string }>) {
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
