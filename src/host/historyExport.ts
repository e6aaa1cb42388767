/**
 * `history.export`: the renderer asks for a format and the filters on screen; the host asks the
 * user where to save (the save dialog's answer is the only file it writes) and signs the export
 * with the operator profile selected at start. Refused before the dialog when none is selected.
 */
import { basename } from 'node:path';
import { auditReport, configuredUidRoot, exportHistory } from '../core/reports/index';
import { loadStation, stationDirOf } from '../core/settings/index';
import type { Input, Output } from '../shared/contract';
import { InspectorError } from '../shared/errors';
import type { HistoryAccess } from './history';

/** Asks the user for a file to save to; resolves with nothing when cancelled. */
export type ChooseSavePath = (opts: { defaultName: string; extensions: string[] }) => Promise<string | null>;

const pad = (n: number) => String(n).padStart(2, '0');

function defaultName(format: 'csv' | 'json' | 'pdf', now = new Date()): string {
  const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}`;
  return format === 'pdf' ? `inspector-audit-report-${stamp}.pdf` : `inspector-history-${stamp}.${format}`;
}

export async function exportToChosenFile(
  history: HistoryAccess,
  chooseSavePath: ChooseSavePath,
  appVersion: string,
  { format, filters, deidentify }: Input<'history.export'>,
): Promise<Output<'history.export'>> {
  const store = history.get();
  const operator = store.currentOperator();
  if (!operator) throw new InspectorError('OPERATOR_REQUIRED', 'Choose your operator profile before exporting: every export is signed by it.');
  const out = await chooseSavePath({ defaultName: defaultName(format), extensions: [format] });
  if (!out) return { cancelled: true };
  // The DICOM node's uid_root from the settings beside the history, so UIDs match what it sends.
  const opts = { out, appVersion, ...(deidentify ? { deidentify: { uidRoot: configuredUidRoot(stationDirOf(store.file)) } } : {}) };
  const marked = deidentify ? { deidentified: true } : {};
  if (format === 'pdf') {
    const r = await auditReport(store, filters, operator.id, { ...opts, station: loadStation(stationDirOf(store.file)) });
    return { cancelled: false, format, file: r.file, fileName: basename(r.file), runs: r.runs, bytes: r.bytes, sha256: r.sha256, auditSeq: r.audit.seq, chainOk: r.chain.ok, ...marked };
  }
  const r = await exportHistory(store, filters, format, operator.id, opts);
  return { cancelled: false, format, file: r.file, fileName: basename(r.file), runs: r.runs, bytes: r.bytes, sha256: r.sha256, auditSeq: r.audit.seq, ...marked };
}
