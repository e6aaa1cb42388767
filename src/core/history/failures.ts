/**
 * Failed and skipped images as rows of their own: every image that could not be read or inspected
 * (and every file skipped as not an image) is an `errors` row with its file, code and case, so
 * `history list` can name each one next to the runs instead of only counting them.
 */
import type Database from 'better-sqlite3';

export interface FailedImageRow {
  id: number;
  createdAt: number;
  day: string;
  stage: string;
  code: string;
  message: string;
  sourcePath: string | null;
  caseKey: string | null;
  batchId: number | null;
  packName: string | null;
  /** A file skipped as not an image (it did not make its case incomplete). */
  skipped: boolean;
}

export interface FailedImageQuery {
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  pack?: string;
  /** Substring of the case key or the file path. */
  text?: string;
  batchId?: number;
  /** Codes, exactly (e.g. IMAGE_TRUNCATED). */
  codes?: string[];
  order?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
}

function where(q: FailedImageQuery): { sql: string; params: unknown[] } {
  const w: string[] = ['source_path IS NOT NULL'];
  const params: unknown[] = [];
  const add = (clause: string, ...values: unknown[]) => {
    w.push(clause);
    params.push(...values);
  };
  if (q.from !== undefined) add('created_at >= ?', q.from);
  if (q.to !== undefined) add('created_at < ?', q.to);
  if (q.pack) add('pack_name = ?', q.pack);
  if (q.batchId !== undefined) add('batch_id = ?', q.batchId);
  if (q.text) add("(instr(coalesce(case_key, ''), ?) > 0 OR instr(source_path, ?) > 0)", q.text, q.text);
  if (q.codes?.length) add(`code IN (${q.codes.map(() => '?').join(',')})`, ...q.codes);
  return { sql: `WHERE ${w.join(' AND ')}`, params };
}

export function listFailedImages(db: Database.Database, q: FailedImageQuery = {}): { rows: FailedImageRow[]; total: number } {
  const { sql, params } = where(q);
  const limit = Math.min(Math.max(1, q.limit ?? 50), 500);
  const rows = db
    .prepare(
      `SELECT id, created_at AS createdAt, day, stage, code, message, details, source_path AS sourcePath, case_key AS caseKey,
              batch_id AS batchId, pack_name AS packName
       FROM errors ${sql} ORDER BY created_at ${q.order === 'asc' ? 'ASC' : 'DESC'}, id ${q.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ? OFFSET ?`,
    )
    .all(...params, limit, Math.max(0, q.offset ?? 0)) as (Omit<FailedImageRow, 'skipped'> & { details: string })[];
  const { n } = db.prepare(`SELECT count(*) AS n FROM errors ${sql}`).get(...params) as { n: number };
  return {
    rows: rows.map(({ details, ...r }) => ({ ...r, skipped: (JSON.parse(details || '{}') as { skipped?: boolean }).skipped === true })),
    total: n,
  };
}
