/**
 * The append-only audit chain: every audited record gets one entry carrying the hash of the
 * record and of the entry before it, so an edited, deleted, reordered or truncated history no
 * longer verifies. The last entry is also written beside the database (the "anchor"), because
 * cutting entries off the end leaves a chain that is internally consistent.
 */
import type Database from 'better-sqlite3';
import { entryHash, GENESIS_HASH, type AuditSubject } from './hash';

/** A row of `audit_log` as stored (read by the chain check here and by verify.ts). */
export interface AuditLogRow {
  seq: number;
  at: number;
  actor: string;
  action: string;
  entity: string;
  entity_id: string;
  record_hash: string;
  prev_hash: string;
  hash: string;
}

export interface ChainHead {
  seq: number;
  hash: string;
}

export function readHead(db: Database.Database): ChainHead {
  const row = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as ChainHead | undefined;
  return row ?? { seq: 0, hash: GENESIS_HASH };
}

/** Appends entries inside the caller's transaction; the head it holds is only valid there. */
export class AuditAppender {
  private readonly insert: Database.Statement;
  head: ChainHead;

  constructor(db: Database.Database, head = readHead(db)) {
    this.insert = db.prepare(
      'INSERT INTO audit_log(seq, at, actor, action, entity, entity_id, record_hash, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?)',
    );
    this.head = head;
  }

  append(at: number, actor: string, action: string, entity: AuditSubject, entityId: string | number, recordHash: string): ChainHead {
    const seq = this.head.seq + 1;
    const fields = { seq, at, actor, action, entity, entityId: String(entityId), recordHash, prevHash: this.head.hash };
    const hash = entryHash(fields);
    this.insert.run(seq, at, actor, action, entity, fields.entityId, recordHash, fields.prevHash, hash);
    this.head = { seq, hash };
    return this.head;
  }
}

/**
 * The chain still holds `anchor`: its entry is there with the same hash, and every later entry is
 * intact and links to the one before. Cost: the entries written since the anchor (normally the
 * last transaction's), so every write can afford it.
 */
export function chainHoldsFrom(db: Database.Database, anchor: ChainHead): boolean {
  let prev: ChainHead | null = null;
  for (const e of db.prepare('SELECT * FROM audit_log WHERE seq >= ? ORDER BY seq').iterate(anchor.seq) as IterableIterator<AuditLogRow>) {
    if (!prev) {
      if (e.seq !== anchor.seq || e.hash !== anchor.hash) return false;
    } else if (e.seq !== prev.seq + 1 || e.prev_hash !== prev.hash) return false;
    const fields = { seq: e.seq, at: e.at, actor: e.actor, action: e.action, entity: e.entity, entityId: e.entity_id, recordHash: e.record_hash, prevHash: e.prev_hash };
    if (entryHash(fields) !== e.hash) return false;
    prev = { seq: e.seq, hash: e.hash };
  }
  return prev !== null;
}

/**
 * The chain head to print in audit reports and exports, so a copy of it lives off the machine: an
 * attacker who rewrites the whole chain *and* the anchor file beside it is caught only by comparing
 * with such a copy. `anchor` is the file beside the database; `holds` says whether the chain still
 * contains it (false after a truncation or rewrite).
 */
export function offMachineAnchor(db: Database.Database, anchor: ChainHead | null): { head: ChainHead; anchor: ChainHead | null; holds: boolean; line: string } {
  const head = readHead(db);
  const holds = !anchor || anchor.seq === 0 || chainHoldsFrom(db, anchor);
  return { head, anchor, holds, line: `audit head #${head.seq} sha256 ${head.hash}` };
}

export type OffMachineAnchor = ReturnType<typeof offMachineAnchor>;
