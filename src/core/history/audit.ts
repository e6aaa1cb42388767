/**
 * The append-only audit chain: every audited record gets one entry carrying the hash of the
 * record and of the entry before it, so an edited, deleted, reordered or truncated history no
 * longer verifies. The last entry is also written beside the database (the "anchor"), because
 * cutting entries off the end leaves a chain that is internally consistent.
 */
import type Database from 'better-sqlite3';
import { entryHash, GENESIS_HASH, type AuditSubject } from './hash';

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
