/**
 * The station's ledger in the history database: which cases were published (by the hashes of their
 * files), which files they consumed, and the outbox of messages a peer has not acknowledged yet.
 * The history is the source of truth: after a kill -9 the station re-reads the folder, finds every
 * file it already consumed here, and resends only what the outbox still holds.
 * Every row written or updated here is chained in the audit chain in the same write
 * (history/derived.ts `logChainedRow`): the Line room shows these rows, so `audit verify` checks them.
 */
import { createHash } from 'node:crypto';
import { logChainedRow } from '../history/derived';
import type { HistoryStore } from '../history/index';
import type { WriteTx } from '../history/records';
import type { CaseFile, ImageOutcome, StationFindings, StationResult } from './result';

export interface ReviewRow {
  id: number;
  runId: number;
  operatorId: string;
  decision: string;
  label: string | null;
  note: string | null;
  supersedes: number | null;
  createdAt: number;
}

export interface OutboxRow {
  id: number;
  caseUid: string;
  channel: string;
  topic: string;
  payload: string;
  retain: boolean;
}

/** A message to queue: its channel (mqtt, findings, …), topic and payload. */
export interface OutboxMessage {
  channel: string;
  topic: string;
  payload: string;
  retain?: boolean;
}

/** The station's own outbox channel: a recorded case whose findings have not run yet. */
export const FINDINGS_CHANNEL = 'findings';

/** What a pending findings row holds: the case's files (path + hash) and the files to finish after. */
export interface FindingsWork {
  watchDir: string | null;
  files: CaseFile[];
  finish: CaseFile[];
  /** What is still to run: the findings, the deciding packs' maps. Absent (older rows): findings only. */
  findings?: boolean;
  explain?: boolean;
}

/** A case's identity: station, serial and the content of every file (not their names or times). */
export function caseUid(station: string, serial: string, files: readonly Pick<CaseFile, 'view' | 'sha256'>[]): string {
  const parts = files.map((f) => `${f.view}:${f.sha256}`).sort();
  return createHash('sha256').update(JSON.stringify([station, serial, parts])).digest('hex');
}

export class StationLedger {
  /** The history the ledger lives in (the channels read explanation records and maps from it). */
  constructor(readonly store: HistoryStore) {}

  /** The case that consumed this exact file (same name, same bytes), if any. */
  fileCase(name: string, sha256: string): string | null {
    const r = this.store.sql('SELECT case_uid AS u FROM station_files WHERE name = ? AND sha256 = ?').get(name, sha256) as { u: string } | undefined;
    return r?.u ?? null;
  }

  hasCase(uid: string): boolean {
    return this.store.sql('SELECT 1 FROM station_cases WHERE uid = ?').get(uid) !== undefined;
  }

  /** Called inside the transaction that records the case's runs (a nested write: a savepoint there). */
  insertCase(result: StationResult, files: readonly CaseFile[], outbox: OutboxMessage[]): void {
    this.store.write((tx) => this.insertCaseRows(tx, result, files, outbox));
  }

  private insertCaseRows(tx: WriteTx, result: StationResult, files: readonly CaseFile[], outbox: OutboxMessage[]): void {
    const now = Date.now();
    const actor = result.station;
    tx
      .sql(
        `INSERT INTO station_cases(uid, result_id, station, line, serial, lot, verdict, evaluation, trigger, files, run_ids, message, created_at)
         VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      )
      .run(
        result.caseUid,
        result.resultId,
        result.station,
        result.line,
        result.serial,
        result.lot,
        result.verdict,
        result.evaluation,
        result.trigger,
        JSON.stringify(files.map((f) => ({ view: f.view, name: f.name, sha256: f.sha256, size: f.size }))),
        JSON.stringify(result.runIds),
        JSON.stringify(result),
        now,
      );
    logChainedRow(tx, actor, 'ledger.case', [result.caseUid]);
    const fileRow = tx.sql('INSERT OR IGNORE INTO station_files(name, sha256, case_uid) VALUES (?,?,?)');
    for (const f of files) if (fileRow.run(f.name, f.sha256, result.caseUid).changes) logChainedRow(tx, actor, 'ledger.file', [f.sha256, f.name]);
    this.linkRuns(tx, actor, result.caseUid, result.runIds);
    this.enqueueRows(tx, actor, result.caseUid, outbox, now);
  }

  private linkRuns(tx: WriteTx, actor: string, caseUid: string, runIds: readonly number[]): void {
    const run = tx.sql('INSERT OR IGNORE INTO station_runs(run_id, case_uid) VALUES (?,?)');
    for (const id of runIds) if (run.run(id, caseUid).changes) logChainedRow(tx, actor, 'ledger.run', [id]);
  }

  private enqueueRows(tx: WriteTx, actor: string, caseUid: string, outbox: OutboxMessage[], now: number): void {
    const out = tx.sql('INSERT INTO station_outbox(case_uid, channel, topic, payload, retain, created_at) VALUES (?,?,?,?,?,?)');
    for (const m of outbox) logChainedRow(tx, actor, 'ledger.outbox', [Number(out.run(caseUid, m.channel, m.topic, m.payload, m.retain ? 1 : 0, now).lastInsertRowid)]);
  }

  /** The findings of a recorded case: runs linked to the case, their message in the outbox (one transaction with the runs). */
  insertFindings(f: StationFindings, outbox: OutboxMessage[]): void {
    this.store.write((tx) => {
      this.linkRuns(tx, f.station, f.caseUid, f.runIds);
      this.enqueueRows(tx, f.station, f.caseUid, outbox, Date.now());
    });
  }

  /** A case's explanation message in the outbox (same transaction as its explanation records). */
  insertExplanation(station: string, caseUid: string, outbox: OutboxMessage[]): void {
    this.store.write((tx) => this.enqueueRows(tx, station, caseUid, outbox, Date.now()));
  }

  /** Cases recorded with their findings still to run, oldest first. */
  pendingFindings(): { caseUid: string; work: FindingsWork }[] {
    const rows = this.store.sql('SELECT case_uid AS caseUid, payload FROM station_outbox WHERE channel = ? AND sent_at IS NULL ORDER BY id').all(FINDINGS_CHANNEL) as { caseUid: string; payload: string }[];
    return rows.map((r) => ({ caseUid: r.caseUid, work: JSON.parse(r.payload) as FindingsWork }));
  }

  findingsDone(caseUid: string): void {
    this.store.write((tx) => {
      const ids = tx
        .sql('UPDATE station_outbox SET sent_at = ?, attempts = attempts + 1 WHERE case_uid = ? AND channel = ? AND sent_at IS NULL RETURNING id')
        .pluck()
        .all(Date.now(), caseUid, FINDINGS_CHANNEL) as number[];
      for (const id of ids) logChainedRow(tx, 'system', 'ledger.outbox', [id]);
    });
  }

  /**
   * A case's findings as the feed shows them, read back from the signed runs linked to it (those
   * not among its result's deciding runs): after a restart the Line room still shows them.
   */
  findingsOf(r: StationResult): Pick<ImageOutcome, 'view' | 'file' | 'runId' | 'decision' | 'label' | 'defectScore' | 'role'>[] {
    const rows = this.store
      .sql(
        `SELECT ir.id, ir.score, ir.regions, i.source_path AS path FROM station_runs s JOIN inference_runs ir ON ir.id = s.run_id JOIN images i ON i.id = ir.image_id
         WHERE s.case_uid = ? ORDER BY ir.id`,
      )
      .all(r.caseUid) as { id: number; score: number; regions: string; path: string }[];
    const deciding = new Set(r.runIds);
    return rows
      .filter((x) => !deciding.has(x.id))
      .map((x) => {
        const file = x.path.split(/[\\/]/).at(-1) ?? x.path;
        const boxes = (JSON.parse(x.regions) as unknown[]).length;
        return { view: r.images.find((i) => i.file === file)?.view ?? null, file, runId: x.id, decision: boxes > 0 ? 'found' : 'none', label: null, defectScore: x.score, role: 'findings' as const };
      });
  }

  /**
   * Reviews recorded (by the desktop app or the CLI, in any process) after `afterId` on runs of this
   * station's published cases, oldest first: each becomes one correction message.
   */
  reviewsAfter(afterId: number, limit = 100): { review: ReviewRow; result: StationResult }[] {
    const rows = this.store
      .sql(
        `SELECT r.id, r.run_id AS runId, r.operator_id AS operatorId, r.decision, r.label, r.note, r.supersedes, r.created_at AS createdAt, c.message
         FROM reviews r JOIN station_runs s ON s.run_id = r.run_id JOIN station_cases c ON c.uid = s.case_uid
         WHERE r.id > ? ORDER BY r.id LIMIT ?`,
      )
      .all(afterId, limit) as (ReviewRow & { message: string })[];
    return rows.map(({ message, ...review }) => ({ review, result: JSON.parse(message) as StationResult }));
  }

  /**
   * The reviews of one case's runs (deciding and findings, via station_runs) already turned into
   * corrections (id at or below the station's review cursor), oldest first, with the case.
   */
  publishedReviewsOf(station: string, caseUid: string): ReviewRow[] {
    return this.store
      .sql(
        `SELECT r.id, r.run_id AS runId, r.operator_id AS operatorId, r.decision, r.label, r.note, r.supersedes, r.created_at AS createdAt
         FROM reviews r JOIN station_runs s ON s.run_id = r.run_id WHERE s.case_uid = ? AND r.id <= ? ORDER BY r.id`,
      )
      .all(caseUid, this.reviewCursor(station)) as ReviewRow[];
  }

  /** The newest review of this station's cases already turned into a correction, with its case (OPC UA LastCorrection after a restart). */
  lastPublishedReview(station: string): { review: ReviewRow; result: StationResult } | null {
    const row = this.store
      .sql(
        `SELECT r.id, r.run_id AS runId, r.operator_id AS operatorId, r.decision, r.label, r.note, r.supersedes, r.created_at AS createdAt, c.message
         FROM reviews r JOIN station_runs s ON s.run_id = r.run_id JOIN station_cases c ON c.uid = s.case_uid
         WHERE r.id <= ? AND c.station = ? ORDER BY r.id DESC LIMIT 1`,
      )
      .get(this.reviewCursor(station), station) as (ReviewRow & { message: string }) | undefined;
    if (!row) return null;
    const { message, ...review } = row;
    return { review, result: JSON.parse(message) as StationResult };
  }

  /** The last review id turned into corrections (kept in settings, written with the outbox row). */
  reviewCursor(station: string): number {
    const r = this.store.sql('SELECT value FROM settings WHERE key = ?').get(`station.${station}.reviewCursor`) as { value: string } | undefined;
    if (r) return Number(r.value);
    // First start: reviews older than the station's first case are not corrections of what it published.
    return 0;
  }

  enqueueCorrection(station: string, reviewId: number, caseUid: string, outbox: OutboxMessage[]): void {
    this.store.write((tx) => {
      this.enqueueRows(tx, station, caseUid, outbox, Date.now());
      tx.sql('INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(`station.${station}.reviewCursor`, String(reviewId));
    });
  }

  nextUnsent(channel: string, afterId = 0): OutboxRow | null {
    const r = this.store
      .sql('SELECT id, case_uid AS caseUid, channel, topic, payload, retain FROM station_outbox WHERE channel = ? AND sent_at IS NULL AND id > ? ORDER BY id LIMIT 1')
      .get(channel, afterId) as (Omit<OutboxRow, 'retain'> & { retain: number }) | undefined;
    return r ? { ...r, retain: r.retain === 1 } : null;
  }

  unsentCount(channel: string): number {
    return (this.store.sql('SELECT count(*) AS n FROM station_outbox WHERE channel = ? AND sent_at IS NULL').get(channel) as { n: number }).n;
  }

  markSent(id: number): void {
    this.store.write((tx) => {
      tx.sql('UPDATE station_outbox SET sent_at = ?, attempts = attempts + 1 WHERE id = ?').run(Date.now(), id);
      logChainedRow(tx, 'system', 'ledger.outbox', [id]);
    });
  }

  result(resultIdOrUid: string): StationResult | null {
    const r = this.store.sql('SELECT message FROM station_cases WHERE result_id = ? OR uid = ?').get(resultIdOrUid, resultIdOrUid) as { message: string } | undefined;
    return r ? (JSON.parse(r.message) as StationResult) : null;
  }

  latestForSerial(serial: string, station: string): StationResult | null {
    const r = this.store.sql('SELECT message FROM station_cases WHERE serial = ? AND station = ? ORDER BY created_at DESC, rowid DESC LIMIT 1').get(serial, station) as
      | { message: string }
      | undefined;
    return r ? (JSON.parse(r.message) as StationResult) : null;
  }

  last(station: string): StationResult | null {
    const r = this.store.sql('SELECT message FROM station_cases WHERE station = ? ORDER BY created_at DESC, rowid DESC LIMIT 1').get(station) as { message: string } | undefined;
    return r ? (JSON.parse(r.message) as StationResult) : null;
  }

  /** Cases recorded at or after `since` (epoch ms), oldest first, at most `limit`. */
  since(station: string, since: number, limit: number): StationResult[] {
    const rows = this.store.sql('SELECT message FROM station_cases WHERE station = ? AND created_at >= ? ORDER BY created_at, rowid LIMIT ?').all(station, since, limit) as {
      message: string;
    }[];
    return rows.map((r) => JSON.parse(r.message) as StationResult);
  }

  /** The last `limit` cases of a station, newest first (the desktop app's live feed). */
  recent(station: string, limit: number): StationResult[] {
    const rows = this.store.sql('SELECT message FROM station_cases WHERE station = ? ORDER BY created_at DESC, rowid DESC LIMIT ?').all(station, limit) as { message: string }[];
    return rows.map((r) => JSON.parse(r.message) as StationResult);
  }

  /** Reviews recorded on these runs, oldest first. */
  reviewsOfRuns(runIds: readonly number[]): ReviewRow[] {
    if (runIds.length === 0) return [];
    return this.store
      .sql(
        `SELECT id, run_id AS runId, operator_id AS operatorId, decision, label, note, supersedes, created_at AS createdAt
         FROM reviews WHERE run_id IN (${runIds.map(() => '?').join(',')}) ORDER BY id`,
      )
      .all(...runIds) as ReviewRow[];
  }

  count(station: string): number {
    return (this.store.sql('SELECT count(*) AS n FROM station_cases WHERE station = ?').get(station) as { n: number }).n;
  }

  /** Idempotency keys (REST): the first request's hash and its case, or null for a new key. */
  request(key: string): { requestHash: string; caseUid: string | null } | null {
    const r = this.store.sql('SELECT request_hash AS requestHash, case_uid AS caseUid FROM station_requests WHERE idempotency_key = ?').get(key) as
      | { requestHash: string; caseUid: string | null }
      | undefined;
    return r ?? null;
  }

  saveRequest(key: string, requestHash: string, caseUid: string | null): void {
    this.store
      .sql('INSERT INTO station_requests(idempotency_key, request_hash, case_uid, created_at) VALUES (?,?,?,?) ON CONFLICT(idempotency_key) DO UPDATE SET case_uid = excluded.case_uid')
      .run(key, requestHash, caseUid, Date.now());
  }
}
