/**
 * The outbox: every object bound for a destination is a row (and a file) until the destination
 * confirms it. A failed send stays 'pending' with its error and a later `next_attempt_at`
 * (doubling from `retry_seconds`, capped at an hour); after MAX_ATTEMPTS it is 'failed' and waits
 * for a person (`inspector dicom send --retry`). Rows survive restarts: nothing is lost when a
 * PACS is down, refuses us or times out.
 * The worklist's "Results sent" cell shows these rows, so every write (queued, sent, retry
 * scheduled, failed, re-queued) goes through the history store and logs the row's new hash in the
 * audit chain in the same transaction (history/derived.ts `logChainedRow`, checked by `audit verify`).
 */
import type Database from 'better-sqlite3';
import { logChainedRow } from '../history/derived';
import type { HistoryStore } from '../history/store';
import type { ErrorInfo } from '../../shared/errors';
import type { Destination } from './config';
import type { TlsMaterial } from './tls';
import { storeFiles, stowFiles, type SendOutcome } from './send';

export const MAX_ATTEMPTS = 12;

export interface OutboxEntry {
  id: number;
  destination: Destination;
  kind: string;
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  runId: number | null;
  path: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  nextAttemptAt: number;
  lastErrorCode: string | null;
  lastError: string | null;
}

interface Row {
  id: number;
  destination: string;
  kind: string;
  sop_class_uid: string;
  sop_instance_uid: string;
  study_instance_uid: string;
  run_id: number | null;
  path: string;
  status: OutboxEntry['status'];
  attempts: number;
  next_attempt_at: number;
  last_error_code: string | null;
  last_error: string | null;
}

const entry = (r: Row): OutboxEntry => ({
  id: r.id,
  destination: JSON.parse(r.destination) as Destination,
  kind: r.kind,
  sopClassUid: r.sop_class_uid,
  sopInstanceUid: r.sop_instance_uid,
  studyInstanceUid: r.study_instance_uid,
  runId: r.run_id,
  path: r.path,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastErrorCode: r.last_error_code,
  lastError: r.last_error,
});

export function destinationLabel(d: Destination): string {
  return 'url' in d ? d.url : `${d.aet}@${d.host}:${d.port}`;
}

export interface Enqueue {
  destination: Destination;
  kind: string;
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  runId: number | null;
  path: string;
}

export function enqueue(store: HistoryStore, e: Enqueue, now = Date.now()): number {
  // Only where to send matters for the queue, not which objects the destination wants.
  const { objects: _objects, ...where } = e.destination;
  return store.write((tx) => {
    const id = Number(
      tx
        .sql(
          `INSERT INTO dicom_outbox(created_at, destination, kind, sop_class_uid, sop_instance_uid, study_instance_uid, run_id, path, status, next_attempt_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
        )
        .run(now, JSON.stringify(where), e.kind, e.sopClassUid, e.sopInstanceUid, e.studyInstanceUid, e.runId, e.path, now).lastInsertRowid,
    );
    logChainedRow(tx, 'system', 'dicom.outbox', [id]);
    return id;
  });
}

export function listOutbox(db: Database.Database, status?: OutboxEntry['status']): OutboxEntry[] {
  const rows = (status ? db.prepare('SELECT * FROM dicom_outbox WHERE status = ? ORDER BY id').all(status) : db.prepare('SELECT * FROM dicom_outbox ORDER BY id').all()) as Row[];
  return rows.map(entry);
}

/** Every unsent entry becomes due now, failed ones back in the queue (a person asked for it). */
export function requeueUnsent(store: HistoryStore, now = Date.now()): number {
  return store.write((tx) => {
    const ids = tx
      .sql(`UPDATE dicom_outbox SET status = 'pending', attempts = CASE status WHEN 'failed' THEN 0 ELSE attempts END, next_attempt_at = ? WHERE status != 'sent' RETURNING id`)
      .pluck()
      .all(now) as number[];
    for (const id of ids) logChainedRow(tx, 'system', 'dicom.outbox', [id]);
    return ids.length;
  });
}

export interface FlushOptions {
  callingAet: string;
  timeoutSeconds: number;
  retrySeconds: number;
  tls?: TlsMaterial | undefined;
  now?: () => number;
}

export interface FlushResult {
  sent: number;
  failed: { id: number; error: ErrorInfo }[];
}

/** Sends everything due, one association (or one STOW request) per destination. */
export async function flushOutbox(store: HistoryStore, opts: FlushOptions): Promise<FlushResult> {
  const now = opts.now ?? Date.now;
  const due = (store.db.prepare(`SELECT * FROM dicom_outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id`).all(now()) as Row[]).map(entry);
  const groups = new Map<string, OutboxEntry[]>();
  for (const e of due) {
    const k = JSON.stringify(e.destination);
    groups.set(k, [...(groups.get(k) ?? []), e]);
  }
  const result: FlushResult = { sent: 0, failed: [] };
  const sent = `UPDATE dicom_outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error_code = NULL, last_error = NULL WHERE id = ?`;
  const failed = `UPDATE dicom_outbox SET status = ?, attempts = ?, next_attempt_at = ?, last_error_code = ?, last_error = ? WHERE id = ?`;
  for (const entries of groups.values()) {
    const d = entries[0]!.destination;
    const paths = entries.map((e) => e.path);
    const outcomes: SendOutcome[] =
      'url' in d ? await stowFiles(d.url, paths, opts.timeoutSeconds) : await storeFiles({ ...d, objects: [] }, paths, { callingAet: opts.callingAet, timeoutSeconds: opts.timeoutSeconds, tls: opts.tls });
    store.write((tx) => {
      outcomes.forEach((o, i) => {
        const e = entries[i]!;
        if (o.ok) {
          tx.sql(sent).run(now(), e.id);
          result.sent++;
        } else {
          const attempts = e.attempts + 1;
          const delay = Math.min(3600, opts.retrySeconds * 2 ** (attempts - 1)) * 1000;
          const error = o.error ?? { code: 'DICOM_SEND_FAILED', message: 'unknown failure' };
          tx.sql(failed).run(attempts >= MAX_ATTEMPTS ? 'failed' : 'pending', attempts, now() + delay, error.code, error.message, e.id);
          result.failed.push({ id: e.id, error });
        }
        logChainedRow(tx, 'system', 'dicom.outbox', [e.id]);
      });
    });
  }
  return result;
}
