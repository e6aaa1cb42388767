/**
 * Failed and skipped images as rows of their own: every image that could not be read or inspected
 * (and every file skipped as not an image) is an `errors` row of stage validation or inference with
 * its file, code and case, so `history list`, the exports and the PDF report can name each one next
 * to the runs instead of only counting them. This is the one query all of them use
 * (`listFailedImages`), and `failedImageQuery` the one translation of the history filters into it.
 */
import type Database from 'better-sqlite3';
import type { HistoryQuery } from './search';

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
  /** Substring of the case key or the file path, case-insensitive. */
  text?: string;
  batchId?: number;
  /** Codes, exactly (e.g. IMAGE_TRUNCATED). */
  codes?: string[];
  /** Leave out errors recorded after this one (an export frozen at its start). */
  maxId?: number;
  order?: 'asc' | 'desc';
  /** Rows per page (1–500, default 50); `null`: every row (exports, which stream them). */
  limit?: number | null;
  offset?: number;
}

/**
 * The history filters as they apply to failed images, or null when they exclude every one: a
 * failed image has no verdict, score or review, so a reviewer or review-status filter leaves them
 * out, and a verdict filter keeps them only when it asks for `INCOMPLETE` (the verdict a case with a
 * failed image gets). Time, pack and text filters apply as to runs.
 */
export function failedImageQuery(q: HistoryQuery, extra: Pick<FailedImageQuery, 'batchId' | 'maxId' | 'limit' | 'offset'> = {}): FailedImageQuery | null {
  if (q.reviewer || (q.reviewStatus && q.reviewStatus !== 'any')) return null;
  if (q.verdicts?.length && !q.verdicts.some((v) => v.toUpperCase() === 'INCOMPLETE')) return null;
  return {
    ...(q.from !== undefined ? { from: q.from } : {}),
    ...(q.to !== undefined ? { to: q.to } : {}),
    ...(q.pack ? { pack: q.pack } : {}),
    ...(q.text?.trim() ? { text: q.text.trim() } : {}),
    order: q.order ?? 'asc',
    ...extra,
  };
}

function where(q: FailedImageQuery): { sql: string; params: unknown[] } {
  // Failed images are what the inputs did (validation) or what the model could not do (inference); export/other errors are not images.
  const w: string[] = ["stage IN ('validation', 'inference')"];
  const params: unknown[] = [];
  const add = (clause: string, ...values: unknown[]) => {
    w.push(clause);
    params.push(...values);
  };
  if (q.maxId !== undefined) add('id <= ?', q.maxId);
  if (q.from !== undefined) add('created_at >= ?', q.from);
  if (q.to !== undefined) add('created_at < ?', q.to);
  if (q.pack) add('pack_name = ?', q.pack);
  if (q.batchId !== undefined) add('batch_id = ?', q.batchId);
  if (q.text) add("(instr(lower(coalesce(case_key, '')), lower(?)) > 0 OR instr(lower(coalesce(source_path, '')), lower(?)) > 0)", q.text, q.text);
  if (q.codes?.length) add(`code IN (${q.codes.map(() => '?').join(',')})`, ...q.codes);
  return { sql: `WHERE ${w.join(' AND ')}`, params };
}

export function listFailedImages(db: Database.Database, q: FailedImageQuery = {}): { rows: FailedImageRow[]; total: number } {
  const { sql, params } = where(q);
  const dir = q.order === 'asc' ? 'ASC' : 'DESC';
  const all = q.limit === null;
  const page = all ? '' : 'LIMIT ? OFFSET ?';
  const paging = all ? [] : [Math.min(Math.max(1, q.limit ?? 50), 500), Math.max(0, q.offset ?? 0)];
  const rows = db
    .prepare(
      `SELECT id, created_at AS createdAt, day, stage, code, message, source_path AS sourcePath, case_key AS caseKey,
              batch_id AS batchId, pack_name AS packName, json_extract(details, '$.skipped') IS 1 AS skipped
       FROM errors ${sql} ORDER BY created_at ${dir}, id ${dir} ${page}`,
    )
    .all(...params, ...paging) as (Omit<FailedImageRow, 'skipped'> & { skipped: number })[];
  const total = all ? rows.length : (db.prepare(`SELECT count(*) FROM errors ${sql}`).pluck().get(...params) as number);
  return { rows: rows.map((r) => ({ ...r, skipped: r.skipped === 1 })), total };
}

export const maxErrorId = (db: Database.Database): number => (db.prepare('SELECT coalesce(max(id), 0) FROM errors').pluck().get() as number) ?? 0;
