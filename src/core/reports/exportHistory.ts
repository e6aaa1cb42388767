/**
 * `history export`: one row per inference run matching the history filters, with its image, pack,
 * AI verdict and the effective review, as CSV or JSON. Streams page by page so a million runs
 * never sit in memory, and yields to the event loop between pages so the host stays responsive.
 */
import { latestVerdicts, maxCaseVerdictId, offMachineAnchor, readAnchor, type HistoryQuery, type HistoryStore, type OffMachineAnchor, type StoredCaseVerdict } from '../history/index';
import { InspectorError } from '../../shared/errors';
import { BOM, csvLine, type CsvCell } from './csv';
import { chainHead, describeFilters, nextTurn, requireOperator, sealExport, type ExportOptions, type ExportResult } from './exportContext';
import { DEID_PROFILE, Deidentifier } from './deidentify';
import { DicomIdReader } from './dicomIds';
import { ExportFile } from './output';
import { effectiveReview, failedImages, maxErrorId, runPages, runScope, segmentationAreasText, type ExportRun, type FailedImage } from './rows';

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
  // The integrated verdict the case was given (stored with its runs), the policy behind it, and
  // whether it is that stored verdict or a recomputation (histories from before it was stored).
  { name: 'case_verdict', value: (r) => r.caseVerdict.verdict },
  { name: 'case_verdict_source', value: (r) => r.caseVerdict.source },
  { name: 'case_verdict_policy', value: (r) => policyOf(r.caseVerdict) },
  { name: 'case_config_hash', value: (r) => r.caseVerdict.configHash },
  { name: 'case_failed_images', value: (r) => r.caseVerdict.failedImages },
  // The explanation map's method and whether it explains the decision (trust figure: strong / weak /
  // not-applicable, and the figure itself), as recorded with the run; empty for runs without a map.
  { name: 'explanation_method', value: (r) => r.explanationMethod },
  { name: 'explanation_trust', value: (r) => r.trustVerdict },
  { name: 'explanation_trust_figure', value: (r) => r.trustFigure },
  // Segmentation runs: each defect class's area in whole source pixels (and mm² when the spacing was known).
  { name: 'segmentation_areas', value: (r) => (r.segmentation ? segmentationAreasText(r.segmentation) : null) },
  // Filled only on the last row (`record` = `audit_anchor`): the chain head to keep off the machine.
  { name: 'audit_anchor', value: () => null },
  // DICOM images: the identifiers from the file's header (hash-checked; empty when the file moved or
  // changed). De-identified exports give the pseudonym and derived UIDs the DICOM node sends.
  { name: 'dicom_patient_id', value: (r) => r.dicom?.patientId ?? null },
  { name: 'dicom_study_uid', value: (r) => r.dicom?.studyUid ?? null },
  { name: 'dicom_series_uid', value: (r) => r.dicom?.seriesUid ?? null },
  { name: 'dicom_sop_uid', value: (r) => r.dicom?.sopUid ?? null },
  // `PS3.15 basic profile` on every row of a de-identified export (docs/PRIVACY.md), so rows copied out keep the mark.
  { name: 'deidentified', value: (r) => r.deidentified ?? null },
];

/** `rule_based rule 2; incomplete DEFECT` — how the stored verdict was reached. */
export function policyOf(v: StoredCaseVerdict): string | null {
  if (v.source !== 'stored' || !v.method) return null;
  return [`${v.method}${v.rule !== null ? ` rule ${v.rule}` : ''}`, ...(v.incompletePolicy ? [`incomplete ${v.incompletePolicy}`] : [])].join('; ');
}

/** The off-machine anchor as the CSV's last row and the JSON header's field (docs/HISTORY.md). */
export function anchorText(a: OffMachineAnchor): string {
  return `${a.line}${a.anchor ? `; anchor beside the database #${a.anchor.seq} ${a.holds ? 'held by the chain' : 'NOT held by the chain'}` : '; no anchor beside the database'}`;
}

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
export const failedCells = (f: FailedImage, kase?: StoredCaseVerdict, deidentified?: string): CsvCell[] =>
  EXPORT_COLUMNS.map((c) => {
    if (c.name === 'deidentified') return deidentified ?? null;
    const own = FAILED_CELLS[c.name];
    if (own) return own(f);
    // A failed image's case verdict (not for skipped files: they belong to no judgement).
    if (!kase || f.skipped) return null;
    if (c.name === 'case_verdict' || c.name === 'case_verdict_source' || c.name === 'case_verdict_policy' || c.name === 'case_config_hash' || c.name === 'case_failed_images') {
      return c.value({ caseVerdict: kase } as ExportRun);
    }
    return null;
  });

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
  const anchor = offMachineAnchor(store.db, readAnchor(store.file));
  const verdictsThrough = maxCaseVerdictId(store.db);
  const failed = failedImages(store.db, query, maxErrorId(store.db));
  const failedCases = latestVerdicts(store.db, [...new Set(failed.flatMap((f) => (f.caseKey ? [f.caseKey] : [])))], { maxId: verdictsThrough });
  // Opened before the file: a bad uid_root or a read-only history without a key writes nothing.
  const deid = opts.deidentify ? Deidentifier.open(store, opts.deidentify) : null;
  const dicomIds = new DicomIdReader();
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
        filters: deid ? deid.filters(describeFilters(query)) : describeFilters(query),
        // What left the app de-identified, and how (docs/PRIVACY.md); false for a full export.
        deidentified: deid ? deid.describe() : false,
        order: { by: query.sort ?? 'time', direction: query.order ?? 'asc' },
        through_run_id: scope.maxRunId,
        failed_images: failed.filter((f) => !f.skipped).length,
        skipped_files: failed.filter((f) => f.skipped).length,
        audit_head: { seq: head.seq, hash: head.hash },
        // A copy of this line kept off the station catches a chain rewritten together with its anchor.
        off_machine_anchor: { line: anchor.line, head: anchor.head, anchor: anchor.anchor, holds: anchor.holds, text: anchorText(anchor) },
        columns: EXPORT_COLUMNS.map((c) => c.name),
      };
      file.write(`{"header":${JSON.stringify(header, null, 2)},\n"rows":[`);
    }
    for (const page of runPages(store.db, scope, opts.pageSize)) {
      let chunk = '';
      for (const raw of page) {
        raw.dicom = await dicomIds.of(raw);
        const r = deid ? deid.run(raw) : raw;
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
      const cells = failedCells(deid ? deid.failed(f) : f, f.caseKey ? failedCases.get(f.caseKey) : undefined, deid ? DEID_PROFILE : undefined);
      if (format === 'csv') chunk += csvLine(cells);
      else chunk += `${runs + i ? ',' : ''}\n${JSON.stringify(Object.fromEntries(EXPORT_COLUMNS.map((c, j) => [c.name, cells[j]])))}`;
    }
    file.write(chunk);
    // CSV has no header block: the off-machine anchor is its last row, a record of its own kind.
    if (format === 'csv') file.write(csvLine(EXPORT_COLUMNS.map((c) => (c.name === 'record' ? 'audit_anchor' : c.name === 'run_at' ? new Date().toISOString() : c.name === 'audit_anchor' ? anchorText(anchor) : c.name === 'deidentified' && deid ? DEID_PROFILE : null))));
    if (format === 'json') file.write(`\n]}\n`);
  } catch (e) {
    file.abort();
    throw e;
  }
  return { ...sealExport(store, file, format, operator, runs), failedImages: failed.filter((f) => !f.skipped).length, ...(deid ? { deidentified: true } : {}) };
}
