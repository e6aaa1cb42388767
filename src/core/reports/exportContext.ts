/**
 * What every export shares: the operator it is signed by (refused without one), the filters and
 * chain head it states, and the audit entry that records its bytes. The entry is written before
 * the file gets its final name: a kill in between leaves an entry naming a file that never
 * appeared, never a file that the chain does not know about.
 */
import { basename } from 'node:path';
import { readHead, type ChainHead } from '../history/audit';
import type { HistoryQuery, HistoryStore, Operator } from '../history/index';
import { recordEvent } from '../history/records';
import { InspectorError } from '../../shared/errors';
import type { DeidSettings } from './deidentify';
import type { ExportFile } from './output';

export type ExportFormat = 'csv' | 'json' | 'pdf';

export interface ExportOptions {
  /** Where the file goes; written as a temporary file beside it, then renamed. */
  out: string;
  /** The app's version, stated in the header. */
  appVersion?: string;
  /** Runs read per page (memory bound); default 1000. */
  pageSize?: number;
  /** Called after each page with the runs written so far. */
  onProgress?: (runs: number) => void;
  /** De-identify what leaves the app (deidentify.ts, docs/PRIVACY.md) under the DICOM node's UID root. */
  deidentify?: DeidSettings;
}

export interface ExportResult {
  file: string;
  format: ExportFormat;
  runs: number;
  bytes: number;
  sha256: string;
  /** The audit entry that records this export (on a read-only database: the head it was taken at). */
  audit: ChainHead;
  /** False when the database is read-only (archive media): the export could not be logged in the chain. */
  logged?: boolean;
  /** True when the file was de-identified (docs/PRIVACY.md). */
  deidentified?: boolean;
}

export function requireOperator(store: HistoryStore, operatorId: string | null | undefined): Operator {
  if (!operatorId?.trim()) {
    throw new InspectorError('OPERATOR_REQUIRED', 'An export is signed by an operator profile: choose one (--operator ID in the CLI) first.');
  }
  const op = store.getOperator(operatorId);
  if (!op) throw new InspectorError('OPERATOR_UNKNOWN', `No operator "${operatorId}".`, { operatorId });
  return op;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The query's filters as the header states them: only those set, times as ISO-8601 UTC. */
export function describeFilters(q: HistoryQuery): Record<string, string | string[]> {
  const f: Record<string, string | string[]> = {};
  if (q.from !== undefined) f['from'] = iso(q.from);
  if (q.to !== undefined) f['to'] = iso(q.to);
  if (q.verdicts?.length) f['verdicts'] = q.verdicts;
  if (q.pack) f['pack'] = q.pack;
  if (q.reviewer) f['reviewer'] = q.reviewer;
  if (q.reviewStatus && q.reviewStatus !== 'any') f['review_status'] = q.reviewStatus;
  if (q.text?.trim()) f['case_key_contains'] = q.text.trim();
  return f;
}

export const chainHead = (store: HistoryStore): ChainHead => readHead(store.db);

/** Seals the finished file: hash, audit entry, final name. Removes the temporary file on failure. */
export function sealExport(store: HistoryStore, file: ExportFile, format: ExportFormat, operator: Operator, runs: number): ExportResult {
  try {
    const sha256 = file.finish();
    // A read-only database (archive media) is exported as it is; the export cannot be logged there.
    const readOnly = store.db.readonly;
    const audit = readOnly
      ? readHead(store.db)
      : store.write((tx) => {
          recordEvent(tx, operator.id, `export.${format}`, basename(file.target), sha256);
          return tx.chain.head;
        });
    file.publish();
    return { file: file.target, format, runs, bytes: file.bytes, sha256, audit, ...(readOnly ? { logged: false } : {}) };
  } catch (e) {
    file.abort();
    throw e;
  }
}

export const nextTurn = () => new Promise<void>((r) => setImmediate(r));
