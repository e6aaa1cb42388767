/**
 * The history database: opened once per process (SQLite allows one writer; the app's host is
 * it), migrated on open, WAL for readers that never block the writer, and one transaction per
 * logical record so a killed process leaves only whole records.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InspectorError } from '../../shared/errors';
import { StatDeltas } from './aggregates';
import { AuditAppender, chainHoldsFrom, readHead, type ChainHead } from './audit';
import { canonicalJson, sha256Hex } from './hash';
import { BlobStore, type StoredBlob } from './blobs';
import { migrate } from './migrations';
import { operatorSelectionHash, referenceHash } from './derived';
import * as records from './records';
import type { WriteTx } from './records';
import type { BoxReviewInput, CaseVerdictInput, ErrorInput, InferenceRecord, Operator, OperatorRole, ReviewInput } from './types';

export interface OpenOptions {
  /** `FULL` (default) syncs the WAL on every commit: a committed review survives power loss too. */
  synchronous?: 'FULL' | 'NORMAL';
  readonly?: boolean;
  /** Where content-addressed blobs go; default `<db folder>/blobs`. */
  blobDir?: string;
  /** Busy timeout for a second process (the CLI beside the app), ms. */
  busyTimeoutMs?: number;
}

export function anchorPath(file: string): string {
  return `${file}.audit-head`;
}

export function readAnchor(file: string): ChainHead | null {
  const p = anchorPath(file);
  if (!existsSync(p)) return null;
  try {
    const v = JSON.parse(readFileSync(p, 'utf8')) as ChainHead;
    return typeof v.seq === 'number' && typeof v.hash === 'string' ? { seq: v.seq, hash: v.hash } : null;
  } catch {
    return null;
  }
}

/** Atomic replace: a kill leaves the old anchor or the new one, never half a file. */
export function writeAnchor(file: string, head: ChainHead): void {
  const p = anchorPath(file);
  const tmp = `${p}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ seq: head.seq, hash: head.hash, at: new Date().toISOString() }));
  renameSync(tmp, p);
}

/**
 * SQLite's and the file system's storage failures as coded errors with the path and what to do:
 * a raw SQLITE_READONLY or SQLITE_FULL names neither the file nor a remedy.
 */
export function storageError(e: unknown, file: string): InspectorError | null {
  const code = String((e as { code?: unknown }).code ?? '');
  if (/^SQLITE_READONLY/.test(code) || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    return new InspectorError(
      'HISTORY_READ_ONLY',
      `The history database ${file} is read-only (${code}); nothing was recorded. Reading commands (history list, history stats, audit verify) still work; to record, move it to writable storage or fix its permissions.`,
      { file, cause: code, hint: 'move the database to writable storage or fix its permissions' },
    );
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') {
    return new InspectorError(
      'HISTORY_DISK_FULL',
      `The disk holding the history database ${file} is full (${code}); the last record was not written (nothing half-written remains). Free space there, then retry.`,
      { file, cause: code, hint: 'free disk space beside the database, then retry' },
    );
  }
  return null;
}

export class HistoryStore {
  readonly db: Database.Database;
  readonly blobs: BlobStore;
  private readonly statements = new Map<string, Database.Statement>();
  private anchored: ChainHead;
  private nestedWrote = false;

  private constructor(
    readonly file: string,
    db: Database.Database,
    blobDir: string,
  ) {
    this.db = db;
    this.blobs = new BlobStore(blobDir);
    this.anchored = readHead(db);
  }

  static open(file: string, opts: OpenOptions = {}): HistoryStore {
    const memory = file === ':memory:';
    if (!memory && !opts.readonly) mkdirSync(dirname(file), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
    } catch (e) {
      throw storageError(e, file) ?? new InspectorError('HISTORY_OPEN_FAILED', `Cannot open the history database ${file}: ${(e as Error).message}`, { file });
    }
    try {
      db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
      if (!opts.readonly) {
        db.pragma('journal_mode = WAL');
        db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
      }
      db.pragma('foreign_keys = ON');
      // A million runs carry ~10 indexes; the default 2 MB page cache thrashes on them.
      db.pragma('cache_size = -65536');
      db.pragma('mmap_size = 268435456');
      if (!opts.readonly) migrate(db);
    } catch (e) {
      db.close();
      if (e instanceof InspectorError) throw e;
      const coded = storageError(e, file);
      if (coded) throw coded;
      throw new InspectorError('HISTORY_OPEN_FAILED', `Cannot use the history database ${file}: ${(e as Error).message}`, { file });
    }
    const store = new HistoryStore(file, db, opts.blobDir ?? join(memory ? process.cwd() : dirname(file), 'blobs'));
    if (!memory && !opts.readonly) store.recordTruncationIfAny();
    return store;
  }

  sql(text: string): Database.Statement {
    let s = this.statements.get(text);
    if (!s) {
      s = this.db.prepare(text);
      this.statements.set(text, s);
    }
    return s;
  }

  /**
   * One logical record (or one batch of them) = one transaction, audit entries included. A write
   * nested in another (the station records runs, case and outbox together) becomes a savepoint and
   * leaves the anchor to the outermost write, which writes it only after its commit: an anchor ahead
   * of the committed chain would read as truncation after a kill -9.
   */
  write<T>(fn: (tx: WriteTx) => T): T {
    try {
      return this.writeTx(fn);
    } catch (e) {
      throw storageError(e, this.file) ?? e;
    }
  }

  private writeTx<T>(fn: (tx: WriteTx) => T): T {
    const nested = this.db.inTransaction;
    let head: ChainHead | undefined;
    const result = this.db
      .transaction(() => {
        const tx: WriteTx = { db: this.db, sql: (t) => this.sql(t), chain: new AuditAppender(this.db), stats: new StatDeltas(), cases: new Map(), now: Date.now };
        const out = fn(tx);
        tx.stats.flush(tx.sql);
        head = tx.chain.head;
        return out;
      })
      .immediate();
    if (nested) {
      this.nestedWrote = true;
      return result;
    }
    if (this.nestedWrote) {
      this.nestedWrote = false;
      head = readHead(this.db);
    }
    // The anchor moves forward only from a chain that still holds it (see anchorHolds).
    if (head && head.seq !== this.anchored.seq && this.file !== ':memory:' && this.anchorHolds()) {
      writeAnchor(this.file, head);
      this.anchored = head;
    }
    return result;
  }

  /**
   * The anchor moves forward only from a verified chain: its entry must still be in the database
   * with the same hash, and every entry after it must link to it. A truncated or rewritten chain
   * leaves the anchor where it was (so verify keeps reporting it) instead of re-anchoring.
   */
  private anchorHolds(): boolean {
    const anchor = readAnchor(this.file);
    if (!anchor || anchor.seq === 0) return true;
    return chainHoldsFrom(this.db, anchor);
  }

  /**
   * Called on every read-write open: a chain that no longer holds the anchor is recorded as an
   * audit event (once per anchor), so the finding survives in the chain itself.
   */
  private recordTruncationIfAny(): void {
    const anchor = readAnchor(this.file);
    if (!anchor || anchor.seq === 0 || chainHoldsFrom(this.db, anchor)) return;
    const subject = `anchor ${anchor.seq} ${anchor.hash}`;
    const logged = this.db.prepare(`SELECT 1 FROM audit_log WHERE action = 'audit.truncation_detected' AND entity_id = ?`).get(subject);
    if (logged) return;
    const head = readHead(this.db);
    this.write((tx) => records.recordEvent(tx, 'system', 'audit.truncation_detected', subject, sha256Hex(canonicalJson({ anchor, head }))));
  }

  recordInference(rec: InferenceRecord): records.RecordedRun {
    return this.write((tx) => records.recordInference(tx, rec));
  }

  /** Many records in one transaction: the batch path (a folder inspected at once, the bench). */
  recordInferences(recs: InferenceRecord[]): records.RecordedRun[] {
    return this.write((tx) => recs.map((r) => records.recordInference(tx, r)));
  }

  recordReview(r: ReviewInput): number {
    return this.write((tx) => records.recordReview(tx, r));
  }

  recordBoxReview(r: BoxReviewInput): number {
    return this.write((tx) => records.recordBoxReview(tx, r));
  }

  recordAgreement(a: records.AgreementInput): number {
    return this.write((tx) => records.recordAgreement(tx, a));
  }

  recordExplanation(x: records.ExplanationInput): number {
    return this.write((tx) => records.recordExplanation(tx, x));
  }

  recordCaseVerdict(v: CaseVerdictInput): number {
    return this.write((tx) => records.recordCaseVerdict(tx, v));
  }

  recordError(e: ErrorInput): number {
    return this.write((tx) => records.recordError(tx, e));
  }

  startBatch(b: { name: string; source?: string | null; operatorId?: string | null }): number {
    return this.write((tx) => records.startBatch(tx, b));
  }

  startEvaluationBatch(b: { name: string; source?: string | null; operatorId?: string | null; setIdentity: string }): number {
    return this.write((tx) => records.startEvaluationBatch(tx, b));
  }

  recordEvaluationCase(batchId: number, caseKey: string, verdict: string): void {
    this.write((tx) => records.recordEvaluationCase(tx, batchId, caseKey, verdict));
  }

  recordEvaluation(e: records.EvaluationInput): number {
    return this.write((tx) => records.recordEvaluation(tx, e));
  }

  recordThresholdVersion(t: records.ThresholdInput): number {
    return this.write((tx) => records.recordThresholdVersion(tx, t));
  }

  createOperator(op: { id: string; name: string; role: OperatorRole }): Operator {
    return this.write((tx) => records.createOperator(tx, op));
  }

  listOperators(): Operator[] {
    return (this.sql('SELECT id, name, role, created_at AS createdAt FROM operators ORDER BY name, id').all() as Operator[]).map((o) => ({ ...o }));
  }

  getOperator(id: string): Operator | null {
    return (this.sql('SELECT id, name, role, created_at AS createdAt FROM operators WHERE id = ?').get(id) as Operator | undefined) ?? null;
  }

  /** The profile chosen at start is remembered for the next start; it is not a sign-in. */
  selectOperator(id: string): Operator {
    const op = this.getOperator(id);
    if (!op) throw new InspectorError('OPERATOR_UNKNOWN', `No operator "${id}".`);
    // Chained, like the drift baseline: reports and exports sign with this profile.
    this.write((tx) => {
      tx.sql('INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run('operator.current', id);
      records.recordEvent(tx, id, 'operator.select', 'operator.current', operatorSelectionHash(id));
    });
    return op;
  }

  currentOperator(): Operator | null {
    const row = this.sql('SELECT value FROM settings WHERE key = ?').get('operator.current') as { value: string } | undefined;
    return row ? this.getOperator(row.value) : null;
  }

  /** Stores a large array as a compressed blob and registers it; returns its hash. */
  putBlob(kind: string, data: ArrayBufferView, meta: { dtype?: string; shape?: number[] } = {}): StoredBlob {
    let stored: StoredBlob;
    try {
      stored = this.blobs.put(data);
    } catch (e) {
      throw storageError(e, this.blobs.dir) ?? e;
    }
    this.sql('INSERT OR IGNORE INTO blobs(hash, kind, dtype, shape, bytes, stored_bytes, created_at) VALUES (?,?,?,?,?,?,?)').run(
      stored.hash,
      kind,
      meta.dtype ?? null,
      meta.shape ? JSON.stringify(meta.shape) : null,
      stored.bytes,
      stored.storedBytes,
      Date.now(),
    );
    return stored;
  }

  /** The pack's validation score distribution, the baseline drift is measured against. */
  setPackReference(pack: string, version: string, scores: number[]): void {
    if (scores.length < 10 || scores.some((s) => !Number.isFinite(s))) {
      throw new InspectorError('DRIFT_BAD_REFERENCE', 'A reference distribution needs at least 10 finite scores.');
    }
    // Chained: the baseline is not derivable from any row, so verify compares it with its logged hash.
    const text = JSON.stringify(scores);
    this.write((tx) => {
      tx.sql(
        'INSERT INTO pack_reference(pack_name, pack_version, scores, created_at) VALUES (?,?,?,?) ON CONFLICT DO UPDATE SET scores = excluded.scores, created_at = excluded.created_at',
      ).run(pack, version, text, tx.now());
      records.recordEvent(tx, 'system', 'pack_reference.set', `${pack}@${version}`, referenceHash(text));
    });
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
