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
    recomputed: 'SELECT day, pack_name, verdict, count(*) FROM inference_runs GROUP BY 1, 2, 3',
  },
  {
    table: 'stat_images_daily',
    shows: 'the dashboard image counts',
    // localDay() of the image's time, as SQLite's localtime computes it (the v3 backfill's definition).
    stored: 'SELECT day, n FROM stat_images_daily WHERE n > 0',
    recomputed: "SELECT date(created_at / 1000, 'unixepoch', 'localtime'), count(*) FROM images GROUP BY 1",
  },
  {
    table: 'stat_score_hist',
    shows: 'the score histograms and drift',
    stored: 'SELECT pack_name, day, bin, n FROM stat_score_hist WHERE n > 0',
    recomputed: 'SELECT pack_name, day, max(0, min(99, CAST(score * 100 AS INTEGER))), count(*) FROM inference_runs GROUP BY 1, 2, 3',
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

/** The hash logged for a drift baseline when it is set (records.ts and migration backfill). */
export const referenceHash = (scores: string) => sha256Hex(canonicalJson(JSON.parse(scores) as unknown));
export const operatorSelectionHash = (id: string) => sha256Hex(`operator.current\u001f${id}`);

export function verifyDerived(db: Database.Database): { checked: string[]; firstBreak: DerivedBreak | null } {
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
  return { checked, firstBreak: null };
}

/** Every heatmap blob a signed run names, re-read and re-hashed (its file name is its SHA-256). */
export function verifyBlobs(db: Database.Database, blobs: BlobStore): { checked: number; firstBreak: DerivedBreak | null } {
  let checked = 0;
  const seen = new Set<string>();
  for (const row of db.prepare(`SELECT id, json_extract(explanation, '$.blob') AS blob FROM inference_runs WHERE json_extract(explanation, '$.blob') IS NOT NULL ORDER BY id`).iterate() as IterableIterator<{ id: number; blob: string }>) {
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
