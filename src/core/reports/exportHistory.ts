/**
 * `history export`: one row per inference run matching the history filters, with its image, pack,
 * AI verdict and the effective review, as CSV or JSON. Streams page by page so a million runs
 * never sit in memory, and yields to the event loop between pages so the host stays responsive.
 */
import type { HistoryQuery, HistoryStore } from '../history/index';
import { InspectorError } from '../../shared/errors';
import { BOM, csvLine, type CsvCell } from './csv';
import { chainHead, describeFilters, nextTurn, requireOperator, sealExport, type ExportOptions, type ExportResult } from './exportContext';
import { ExportFile } from './output';
import { effectiveReview, failedImages, maxErrorId, runPages, runScope, type ExportRun, type FailedImage } from './rows';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The columns of both formats (CSV header = JSON keys), in order. */
export const EXPORT_COLUMNS: readonly { name: string; value: (r: ExportRun) => CsvCell }[] = [
  { name: 'run_id', value: (r) => r.runId },
  { name: 'run_at', value: (r) => iso(r.createdAt) },
  { name: 'case_key', value: (r) => r.caseKey },
  { name: 'line', value: (r) => r.line },
  { name: 'station', value: (r) => r.station },
  { name: 'image_path', value: (r) => r.sourcePath },
  { name: 'image_sha256', value: (r) => r.imageSha256 },
  { name: 'modality', value: (r) => r.modality },
  { name: 'pack_name', value: (r) => r.packName },
  { name: 'pack_version', value: (r) => r.packVersion },
  { name: 'provider', value: (r) => r.provider },
  { name: 'ai_verdict', value: (r) => r.verdict },
  { name: 'score', value: (r) => r.score },
  { name: 'threshold', value: (r) => r.threshold },
  { name: 'review_decision', value: (r) => effectiveReview(r)?.decision ?? null },
  { name: 'review_label', value: (r) => effectiveReview(r)?.label ?? null },
  { name: 'reviewer_id', value: (r) => effectiveReview(r)?.operatorId ?? null },
  { name: 'reviewer_name', value: (r) => effectiveReview(r)?.operatorName ?? null },
  { name: 'reviewed_at', value: (r) => iso(effectiveReview(r)?.createdAt ?? null) },
  { name: 'review_note', value: (r) => effectiveReview(r)?.note ?? null },
  { name: 'superseded_reviews', value: (r) => Math.max(0, r.reviews.length - 1) },
  { name: 'record', value: () => 'run' },
  { name: 'batch_id', value: (r) => r.batchId },
  { name: 'error_code', value: () => null },
  { name: 'error_message', value: () => null },
  { name: 'grounding_prompt', value: (r) => r.groundingPrompt },
  // `index:decision:label:operator` per reviewed box, `;`-separated (JSON carries the same string).
  { name: 'box_decisions', value: (r) => (r.boxDecisions.length ? r.boxDecisions.map((d) => `${d.boxIndex}:${d.decision}:${d.label}:${d.operatorId}`).join(';') : null) },
];

/**
 * A failed image's row under the same columns: `record` = `failed_image` (or `skipped_file` for
 * a file skipped as not an image), no run, verdict or review; its file, case, batch, time and the
 * error's code and message.
 */
const FAILED_CELLS: Record<string, (f: FailedImage) => CsvCell> = {
  run_at: (f) => iso(f.createdAt),
  case_key: (f) => f.caseKey,
  image_path: (f) => f.sourcePath,
  pack_name: (f) => f.packName,
  ai_verdict: (f) => (f.skipped ? 'SKIPPED' : 'FAILED'),
  record: (f) => (f.skipped ? 'skipped_file' : 'failed_image'),
  batch_id: (f) => f.batchId,
  error_code: (f) => f.code,
  error_message: (f) => f.message,
};
export const failedCells = (f: FailedImage): CsvCell[] => EXPORT_COLUMNS.map((c) => FAILED_CELLS[c.name]?.(f) ?? null);

export type TableFormat = 'csv' | 'json';

export async function exportHistory(
  store: HistoryStore,
  query: HistoryQuery,
  format: TableFormat,
  operatorId: string | null | undefined,
  opts: ExportOptions,
): Promise<ExportResult & { failedImages: number }> {
  const operator = requireOperator(store, operatorId);
  if (format !== 'csv' && format !== 'json') throw new InspectorError('EXPORT_BAD_FORMAT', `Exports are csv or json; got "${String(format)}".`);
  const scope = runScope(store.db, query);
  const head = chainHead(store);
  const failed = failedImages(store.db, query, maxErrorId(store.db));
  const file = new ExportFile(opts.out);
  let runs = 0;
  try {
    if (format === 'csv') file.write(BOM + csvLine(EXPORT_COLUMNS.map((c) => c.name)));
    else {
      const header = {
        format: 'inspector.history-export/1',
        exported_at: new Date().toISOString(),
        exported_by: { id: operator.id, name: operator.name, role: operator.role },
        app_version: opts.appVersion ?? null,
        filters: describeFilters(query),
        order: { by: query.sort ?? 'time', direction: query.order ?? 'asc' },
        through_run_id: scope.maxRunId,
        failed_images: failed.filter((f) => !f.skipped).length,
        skipped_files: failed.filter((f) => f.skipped).length,
        audit_head: { seq: head.seq, hash: head.hash },
        columns: EXPORT_COLUMNS.map((c) => c.name),
      };
      file.write(`{"header":${JSON.stringify(header, null, 2)},\n"rows":[`);
    }
    for (const page of runPages(store.db, scope, opts.pageSize)) {
      let chunk = '';
      for (const r of page) {
        if (format === 'csv') chunk += csvLine(EXPORT_COLUMNS.map((c) => c.value(r)));
        else chunk += `${runs ? ',' : ''}\n${JSON.stringify(Object.fromEntries(EXPORT_COLUMNS.map((c) => [c.name, c.value(r)])))}`;
        runs++;
      }
      file.write(chunk);
      opts.onProgress?.(runs);
      await nextTurn();
    }
    // Failed images after the runs: rows of their own kind (`record`), never hidden in a count.
    let chunk = '';
    for (const [i, f] of failed.entries()) {
      const cells = failedCells(f);
      if (format === 'csv') chunk += csvLine(cells);
      else chunk += `${runs + i ? ',' : ''}\n${JSON.stringify(Object.fromEntries(EXPORT_COLUMNS.map((c, j) => [c.name, cells[j]])))}`;
    }
    file.write(chunk);
    if (format === 'json') file.write(`\n]}\n`);
  } catch (e) {
    file.abort();
    throw e;
  }
  return { ...sealExport(store, file, format, operator, runs), failedImages: failed.filter((f) => !f.skipped).length };
}
