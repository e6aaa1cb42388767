/**
 * `audit verify`: walks the chain from the first entry and reports the first link that does not
 * hold — an entry missing, reordered or edited, a record edited or deleted, a record nobody
 * logged, or a chain shorter than the anchor written beside the database.
 */
import type Database from 'better-sqlite3';
import type { AuditLogRow, ChainHead } from './audit';
import type { BlobStore } from './blobs';
import { LEDGER_CHAIN_MIGRATION, verifyDerived, verifyBlobs, verifyDicomFiles } from './derived';
import { MIGRATIONS, schemaVersion } from './migrations';
import { SIGNING_MIGRATION, ADDED_COLUMNS, entryHash, GENESIS_HASH, HASHED_COLUMNS, recordHash, RUN_ADDED_COLUMNS, runRecordHash, SEALED_WITH_RUN, type AuditEntity } from './hash';

export type BreakCode =
  | 'AUDIT_ENTRY_MISSING'
  | 'AUDIT_CHAIN_BROKEN'
  | 'AUDIT_ENTRY_ALTERED'
  | 'AUDIT_RECORD_MISSING'
  | 'AUDIT_RECORD_ALTERED'
  | 'AUDIT_RECORD_UNLOGGED'
  | 'AUDIT_TRUNCATED'
  | 'AUDIT_CHAIN_REWRITTEN'
  | 'AUDIT_GUARD_MISSING'
  | 'AUDIT_DERIVED_MISMATCH'
  | 'AUDIT_BLOB_MISMATCH';

export interface AuditBreak {
  code: BreakCode;
  /** Sequence number of the first entry that fails (for unlogged records: 0). */
  seq: number;
  message: string;
  entity?: string;
  entityId?: string;
}

export interface VerifyReport {
  ok: boolean;
  entries: number;
  head: ChainHead;
  anchor: ChainHead | null;
  firstBreak: AuditBreak | null;
  /** Records checked against their entry, per entity. */
  records: Record<string, number>;
  /** Shown tables recomputed from (or chained with) the signed rows and found equal. */
  derived?: string[];
  /** Blob files re-hashed (only with `blobs`: `audit verify --blobs`). */
  blobsChecked?: number;
  /** Received DICOM files re-hashed against their chained instance rows (with `blobs`). */
  dicomFilesChecked?: number;
  ms: number;
}

export interface VerifyOptions {
  /** Re-hash every heatmap blob a signed run names (slower: reads every map). */
  blobs?: BlobStore;
  /**
   * Check the tables chained on this machine — the DICOM worklist, the station ledger and the result
   * outboxes (default true). Central verify turns it off: fleet sync does not carry their rows.
   */
  worklist?: boolean;
}

const isEntity = (e: string): e is AuditEntity => e in HASHED_COLUMNS;

type StoredRow = Record<string, unknown>;

/** Reads an audited record as stored and hashes it the way its entry did (runs with their image and case). */
export function storedRecordReader(db: Database.Database): (entity: AuditEntity, id: string | number) => { row: StoredRow; hash: string } | null {
  // Prepared on first use: a migration that reads records (v2's backfill) runs before later
  // migrations have created the tables of entities added since.
  const lookups = new Map<string, Database.Statement>();
  const lookup = (entity: AuditEntity) => {
    let s = lookups.get(entity);
    if (!s) {
      const spec = HASHED_COLUMNS[entity];
      // Added run columns only where the schema has them (the audit-chain migration reads runs before they exist).
      const added: readonly string[] = entity === 'run' ? RUN_ADDED_COLUMNS : (ADDED_COLUMNS[entity] ?? []);
      const present = added.length ? new Set((db.prepare(`PRAGMA table_info(${spec.table})`).all() as { name: string }[]).map((c) => c.name)) : new Set<string>();
      const columns: readonly string[] = [...spec.columns, ...added.filter((c) => present.has(c))];
      lookups.set(entity, (s = db.prepare(`SELECT ${columns.join(',')} FROM ${spec.table} WHERE ${spec.key} = ?`)));
    }
    return s;
  };
  const image = db.prepare(`SELECT ${SEALED_WITH_RUN.image.columns.join(',')} FROM images WHERE id = ?`);
  const kase = db.prepare(`SELECT ${SEALED_WITH_RUN.case.columns.join(',')} FROM cases WHERE id = ?`);
  return (entity, id) => {
    const key = entity === 'operator' ? String(id) : Number(id);
    const row = lookup(entity).get(key) as StoredRow | undefined;
    if (!row) return null;
    if (entity !== 'run') return { row, hash: recordHash(entity, row) };
    const img = (image.get(row['image_id']) as StoredRow | undefined) ?? {};
    const c = (kase.get(row['case_id']) as StoredRow | undefined) ?? {};
    return { row, hash: runRecordHash(row, img, c) };
  };
}

export function verifyAudit(db: Database.Database, anchor: ChainHead | null = null, options: VerifyOptions = {}): VerifyReport {
  const t0 = performance.now();
  const read = storedRecordReader(db);
  const seen: Record<string, number> = {};
  const logged = new Map<string, Set<string>>();
  const sealed = { case: new Set<number>(), image: new Set<number>() };
  let prev: ChainHead = { seq: 0, hash: GENESIS_HASH };
  let firstBreak: AuditBreak | null = null;
  let entries = 0;
  let anchorHashSeen: string | null = null;

  for (const e of db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as IterableIterator<AuditLogRow>) {
    entries++;
    const at = (code: BreakCode, message: string): AuditBreak => ({ code, seq: e.seq, message, entity: e.entity, entityId: e.entity_id });
    if (e.seq !== prev.seq + 1) {
      firstBreak = { code: 'AUDIT_ENTRY_MISSING', seq: prev.seq + 1, message: `Entry ${prev.seq + 1} is missing: entry ${prev.seq} is followed by ${e.seq}.` };
      break;
    }
    if (e.prev_hash !== prev.hash) {
      firstBreak = at('AUDIT_CHAIN_BROKEN', `Entry ${e.seq} does not follow entry ${prev.seq}: an entry was removed, inserted or moved here.`);
      break;
    }
    const fields = { seq: e.seq, at: e.at, actor: e.actor, action: e.action, entity: e.entity, entityId: e.entity_id, recordHash: e.record_hash, prevHash: e.prev_hash };
    if (entryHash(fields) !== e.hash) {
      firstBreak = at('AUDIT_ENTRY_ALTERED', `Entry ${e.seq} (${e.action} ${e.entity} ${e.entity_id}) was changed after it was written.`);
      break;
    }
    if (isEntity(e.entity)) {
      const stored = read(e.entity, e.entity_id);
      if (!stored) {
        firstBreak = at('AUDIT_RECORD_MISSING', `The ${e.entity} ${e.entity_id} logged by entry ${e.seq} is gone.`);
        break;
      }
      if (stored.hash !== e.record_hash) {
        firstBreak = at(
          'AUDIT_RECORD_ALTERED',
          `The ${e.entity} ${e.entity_id}${e.entity === 'run' ? ' (with its image and case)' : ''} no longer matches what entry ${e.seq} logged.`,
        );
        break;
      }
      if (e.entity === 'run') {
        sealed.case.add(stored.row['case_id'] as number);
        sealed.image.add(stored.row['image_id'] as number);
      }
      seen[e.entity] = (seen[e.entity] ?? 0) + 1;
      let ids = logged.get(e.entity);
      if (!ids) logged.set(e.entity, (ids = new Set()));
      ids.add(e.entity_id);
    }
    if (anchor && e.seq === anchor.seq) anchorHashSeen = e.hash;
    prev = { seq: e.seq, hash: e.hash };
  }

  if (!firstBreak && anchor) {
    if (anchor.seq > prev.seq) {
      firstBreak = {
        code: 'AUDIT_TRUNCATED',
        seq: prev.seq + 1,
        message: `The chain ends at entry ${prev.seq} but entry ${anchor.seq} was written: entries were cut off the end.`,
      };
    } else if (anchor.seq > 0 && anchorHashSeen !== anchor.hash) {
      firstBreak = { code: 'AUDIT_CHAIN_REWRITTEN', seq: anchor.seq, message: `Entry ${anchor.seq} is not the entry that was written there: the chain was rebuilt.` };
    }
  }
  if (!firstBreak) firstBreak = findUnlogged(db, seen, logged) ?? findUnsealed(db, sealed);
  if (!firstBreak) firstBreak = findMissingGuard(db);
  let derived: string[] | undefined;
  let blobsChecked: number | undefined;
  let dicomFilesChecked: number | undefined;
  if (!firstBreak && hasDerivedTables(db)) {
    // The DICOM worklist is chained from the signing migration on, the station ledger and outboxes from
    // theirs; central verify has none of their rows.
    const local = options.worklist !== false;
    const d = verifyDerived(db, { dicom: local && migrated(db, SIGNING_MIGRATION), ledger: local && migrated(db, LEDGER_CHAIN_MIGRATION) });
    derived = d.checked;
    firstBreak = d.firstBreak;
  }
  if (!firstBreak && options.blobs) {
    const b = verifyBlobs(db, options.blobs);
    blobsChecked = b.checked;
    firstBreak = b.firstBreak;
    if (!firstBreak && derived?.includes('dicom_instances')) {
      const f = verifyDicomFiles(db);
      dicomFilesChecked = f.checked;
      firstBreak = f.firstBreak;
    }
  }
  seen['case'] = sealed.case.size;
  seen['image'] = sealed.image.size;
  return {
    ok: !firstBreak,
    entries,
    head: prev,
    anchor,
    firstBreak,
    records: seen,
    ...(derived ? { derived } : {}),
    ...(blobsChecked !== undefined ? { blobsChecked } : {}),
    ...(dicomFilesChecked !== undefined ? { dicomFilesChecked } : {}),
    ms: performance.now() - t0,
  };
}

/** Cases and images that no logged run seals: added behind the app's back. */
function findUnsealed(db: Database.Database, sealed: { case: Set<number>; image: Set<number> }): AuditBreak | null {
  for (const entity of ['case', 'image'] as const) {
    const table = SEALED_WITH_RUN[entity].table;
    const { n } = db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number };
    if (n === sealed[entity].size) continue;
    for (const { id } of db.prepare(`SELECT id FROM ${table} ORDER BY id`).iterate() as IterableIterator<{ id: number }>) {
      if (!sealed[entity].has(id)) {
        return { code: 'AUDIT_RECORD_UNLOGGED', seq: 0, entity, entityId: String(id), message: `The ${entity} ${id} is not sealed by any logged run: it was added outside the app.` };
      }
    }
  }
  return null;
}
/** Rows without an entry: inserted behind the app's back, or their entries were cut off with the end. */
function findUnlogged(db: Database.Database, seen: Record<string, number>, logged: Map<string, Set<string>>): AuditBreak | null {
  const tables = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]);
  for (const [entity, spec] of Object.entries(HASHED_COLUMNS)) {
    // A database from before an entity's migration (checked by backup on old files) has no such rows,
    // or (an entity signed by a later migration than its table's) rows written before they were signed.
    if (!tables.has(spec.table) || !signedIn(db, entity as AuditEntity)) continue;
    const { n } = db.prepare(`SELECT count(*) AS n FROM ${spec.table}`).get() as { n: number };
    if (n === (seen[entity] ?? 0)) continue;
    const ids = logged.get(entity) ?? new Set<string>();
    for (const id of db.prepare(`SELECT ${spec.key} FROM ${spec.table} ORDER BY ${spec.key}`).pluck().iterate() as IterableIterator<string | number>) {
      if (!ids.has(String(id))) {
        return {
          code: 'AUDIT_RECORD_UNLOGGED',
          seq: 0,
          entity,
          entityId: String(id),
          message: `The ${entity} ${id} has no audit entry: it was added outside the app or its entry was removed.`,
        };
      }
    }
    return { code: 'AUDIT_RECORD_UNLOGGED', seq: 0, entity, message: `${n} ${spec.table} rows but ${seen[entity] ?? 0} entries: a record is logged twice.` };
  }
  return null;
}

/**
 * Entities whose table existed before its rows were signed: the migration that logs the rows
 * already there (by name; the lead renumbers migrations at merge). Before it, the rows have no entries.
 */
const SIGNED_BY_MIGRATION: Partial<Record<AuditEntity, string>> = { evaluation_batch: SIGNING_MIGRATION };

function migrated(db: Database.Database, name: string): boolean {
  // Read at call time: migrations.ts imports this module for its record reader.
  const m = MIGRATIONS.find((x) => x.name === name);
  return !!m && schemaVersion(db) >= m.version;
}

function signedIn(db: Database.Database, entity: AuditEntity): boolean {
  const name = SIGNED_BY_MIGRATION[entity];
  return !name || migrated(db, name);
}

/** The append-only triggers are the first line of defence; their absence is itself a finding. */
function findMissingGuard(db: Database.Database): AuditBreak | null {
  const guards = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[]).map((r) => r.name));
  for (const t of ['audit_log', 'reviews', 'inference_runs']) {
    for (const kind of ['no_update', 'no_delete']) {
      if (!guards.has(`${t}_${kind}`)) {
        return { code: 'AUDIT_GUARD_MISSING', seq: 0, message: `The append-only guard ${t}_${kind} was removed from the database.` };
      }
    }
  }
  return null;
}

/** Databases before the statistics migration (checked by backup on old files) have nothing derived. */
function hasDerivedTables(db: Database.Database): boolean {
  return !!db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'review_state'`).get();
}
