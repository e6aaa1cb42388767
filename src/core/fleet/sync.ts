/**
 * Outbox → central. Each batch goes in one PostgreSQL transaction: lock the station's watermark
 * row, upsert the rows after it (ON CONFLICT DO NOTHING on (station, table, record id)), move the
 * watermark, commit; only then are those outbox entries pruned locally. The central watermark is
 * the truth, so a crash before the commit resends the batch and one after it skips it: nothing is
 * lost or counted twice, however often the process dies.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { InspectorError } from '../../shared/errors';
import { ensurePartitionsCommitted } from './central';
import { FRESH_TABLE, ROLLED_UP_TABLES } from './rollups';

export interface SyncResult {
  station: string;
  sent: number;
  batches: number;
  /** The central watermark after the run: the last outbox sequence number central holds. */
  lastSeq: number;
  pending: number;
}

interface PreparedBatch {
  after: number;
  count: number;
  /** The last outbox sequence number in the batch (`after` when it is empty). */
  top: number;
  times: number[];
  /** The rows as jsonb_to_recordset reads them. */
  json: string;
  auditHead: { seq: number; hash: string } | null;
}

interface OutboxEntry {
  seq: number;
  tbl: string;
  rid: string;
}

/** A record's own time, for the central partition: the first time column the table has. */
const TIME_COLUMNS = ['created_at', 'at', 'started_at'];
export function recordTime(row: Record<string, unknown>): number {
  for (const c of TIME_COLUMNS) {
    const v = row[c];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return 0;
}

/** The station's id: `--station`, else the station setting. */
export function stationId(db: Database.Database, explicit?: string): string {
  const id =
    explicit ??
    (db.prepare("SELECT value FROM settings WHERE key IN ('station.id', 'station') ORDER BY key DESC LIMIT 1").pluck().get() as string | undefined);
  if (!id || !/^[A-Za-z0-9._-]{1,64}$/.test(id)) {
    throw new InspectorError(
      id ? 'FLEET_STATION_INVALID' : 'FLEET_STATION_UNKNOWN',
      id ? `Station id "${id}" must be 1-64 letters, digits, dot, dash or underscore.` : 'This station has no id: pass --station ID (or set the station setting).',
    );
  }
  return id;
}

/** Reads rows by their key, one prepared statement per table (the key column found once). */
function rowReader(db: Database.Database): (tbl: string, rid: string) => Record<string, unknown> | undefined {
  const stmts = new Map<string, Database.Statement>();
  return (tbl, rid) => {
    let s = stmts.get(tbl);
    if (!s) {
      const cols = db.prepare(`SELECT name, type FROM pragma_table_info(?) WHERE pk = 1`).all(tbl) as { name: string; type: string }[];
      if (cols.length !== 1) throw new InspectorError('FLEET_TABLE_UNSUPPORTED', `Table ${tbl} needs a single-column primary key to be synced.`, { table: tbl });
      s = db.prepare(`SELECT * FROM "${tbl}" WHERE "${cols[0]!.name}" = ?`);
      stmts.set(tbl, s);
      (s as unknown as { keyIsInt: boolean }).keyIsInt = /INT/i.test(cols[0]!.type);
    }
    const key = (s as unknown as { keyIsInt: boolean }).keyIsInt ? Number(rid) : rid;
    return s.get(key) as Record<string, unknown> | undefined;
  };
}

/**
 * Queues every row of every synced table again (recovery after FLEET_CENTRAL_BEHIND, or a new
 * central database): central's upsert keeps one copy of each row, so nothing is counted twice.
 * The synced tables and their keys are read from the outbox triggers themselves.
 */
export function requeueAll(db: Database.Database): number {
  const triggers = db.prepare("SELECT tbl_name AS t, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%\\_outbox' ESCAPE '\\' ORDER BY rowid").all() as { t: string; sql: string }[];
  return db.transaction(() => {
    let n = 0;
    for (const { t, sql } of triggers) {
      const key = /NEW\.(\w+)/.exec(sql)?.[1];
      if (!key) continue;
      n += db.prepare(`INSERT INTO sync_outbox(tbl, rid) SELECT ?, "${key}" FROM "${t}" ORDER BY rowid`).run(t).changes;
    }
    db.prepare("DELETE FROM settings WHERE key = 'fleet.acked_seq'").run();
    return n;
  })();
}

export function pendingCount(db: Database.Database): number {
  return db.prepare('SELECT count(*) FROM sync_outbox').pluck().get() as number;
}

export interface SyncOptions {
  batchSize?: number;
  /** Stop after this many batches (tests, and a background loop that yields). */
  maxBatches?: number;
  onBatch?: (b: { sent: number; lastSeq: number }) => void;
}

/** Sends everything pending (or `maxBatches` batches) and returns what was sent. */
export async function syncStation(db: Database.Database, central: pg.Client, station: string, opts: SyncOptions = {}): Promise<SyncResult> {
  const batchSize = opts.batchSize ?? 5000;
  const read = rowReader(db);
  const nextEntries = db.prepare('SELECT seq, tbl, rid FROM sync_outbox WHERE seq > ? ORDER BY seq LIMIT ?');
  const pruneEntries = db.prepare('DELETE FROM sync_outbox WHERE seq <= ?');
  const acked = db.prepare("INSERT INTO settings(key, value) VALUES ('fleet.acked_seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value WHERE CAST(value AS INTEGER) < CAST(excluded.value AS INTEGER)");
  // The entries central acknowledged are pruned, and the acknowledgement remembered with them: if
  // central later stands below it, central lost committed records (see FLEET_CENTRAL_BEHIND).
  const prune = { run: (upTo: number) => db.transaction(() => { pruneEntries.run(upTo); if (upTo > 0) acked.run(String(upTo)); })() };
  const ackedSeq = () => Number((db.prepare("SELECT value FROM settings WHERE key = 'fleet.acked_seq'").pluck().get() as string | undefined) ?? 0);
  const localTop = () => (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'sync_outbox'").pluck().get() as number | undefined) ?? 0;
  const result: SyncResult = { station, sent: 0, batches: 0, lastSeq: 0, pending: 0 };
  // One batch, ready to send: the outbox entries after `after`, their rows serialised once. Read in
  // one SQLite read transaction so the rows are those of one moment.
  const readBatch = (after: number): PreparedBatch =>
    db
      .transaction(() => {
        const entries = nextEntries.all(after, batchSize) as OutboxEntry[];
        const payload: { tbl: string; rid: string; seq: number; at: number; row: Record<string, unknown> }[] = [];
        let auditHead: { seq: number; hash: string } | null = null;
        for (const e of entries) {
          const row = read(e.tbl, e.rid);
          if (!row) throw new InspectorError('FLEET_ROW_MISSING', `Outbox entry ${e.seq} names ${e.tbl} ${e.rid}, which is not in the database.`, { ...e });
          for (const k in row) if (row[k] instanceof Uint8Array) row[k] = { $base64: Buffer.from(row[k] as Uint8Array).toString('base64') };
          payload.push({ tbl: e.tbl, rid: e.rid, seq: e.seq, at: recordTime(row), row });
          if (e.tbl === 'audit_log') auditHead = { seq: row['seq'] as number, hash: row['hash'] as string };
        }
        const top = entries.length ? entries[entries.length - 1]!.seq : after;
        return { after, count: entries.length, top, times: payload.map((p) => p.at), json: JSON.stringify(payload), auditHead };
      })
      .deferred();
  // The next batch is read and serialised while PostgreSQL inserts this one (the two run on two
  // cores); it is used only if central's watermark then stands where this batch ends.
  let prefetched: { after: number; batch?: PreparedBatch; error?: unknown } | null = null;

  await central.query('INSERT INTO stations(station_id) VALUES ($1) ON CONFLICT DO NOTHING', [station]);
  await central.query(FRESH_TABLE);
  // Pruning is housekeeping, not truth (the central watermark is): done every few batches and at
  // the end, so a batch costs one statement in PostgreSQL and no write in SQLite.
  let unpruned = 0;
  let prunedTo = 0;
  const pruneUpTo = (seq: number) => {
    if (seq > prunedTo) prune.run(seq);
    prunedTo = Math.max(prunedTo, seq);
    unpruned = 0;
  };
  let lastSeq = Number((await central.query('SELECT last_seq FROM stations WHERE station_id = $1', [station])).rows[0].last_seq);
  try {
    for (;;) {
      result.lastSeq = lastSeq;
      // A station restored from an old backup would reuse sequence numbers central already holds.
      if (lastSeq > localTop()) {
        throw new InspectorError(
          'FLEET_STATION_BEHIND',
          `Central already holds station ${station}'s records up to ${lastSeq}, but this database has only written ${localTop()}: it was restored from an older copy or another station uses the id.`,
          { station, central: lastSeq, local: localTop() },
        );
      }
      if (lastSeq < ackedSeq()) {
        throw new InspectorError(
          'FLEET_CENTRAL_BEHIND',
          `Central holds station ${station}'s records only up to ${lastSeq}, but it had acknowledged up to ${ackedSeq()}: central lost committed records (restored from a backup, or run with synchronous_commit=off and crashed). The rows are still in this station's history: \`inspector sync --requeue-all\` queues every row again (central keeps one copy of each).`,
          { station, central: lastSeq, acknowledged: ackedSeq() },
        );
      }
      const ready: { batch?: PreparedBatch; error?: unknown } | null = prefetched?.after === lastSeq ? prefetched : null;
      prefetched = null;
      if (ready?.error) throw ready.error;
      const batch: PreparedBatch = ready?.batch ?? readBatch(lastSeq);
      if (batch.count === 0 || (opts.maxBatches !== undefined && result.batches >= opts.maxBatches)) break;
      await ensurePartitionsCommitted(central, batch.times);
      // One statement, so one transaction: lock the watermark, insert (only rows really inserted
      // reach the dashboard rollups — a resent batch counts nothing), roll up, move the watermark.
      // If another sync moved the watermark meanwhile, nothing is written and its position returns.
      const head = batch.auditHead;
      const sent = central.query('SELECT applied, last_seq FROM fleet_ingest($1, $2, $3, $4::jsonb, $5, $6, $7)', [
        station,
        lastSeq,
        batch.top,
        batch.json,
        ROLLED_UP_TABLES,
        head?.seq ?? null,
        head?.hash ?? null,
      ]);
      if (opts.maxBatches === undefined || result.batches + 1 < opts.maxBatches) {
        // A bad row in the next batch must not stop this one: its error waits for its turn.
        try {
          prefetched = { after: batch.top, batch: readBatch(batch.top) };
        } catch (error) {
          prefetched = { after: batch.top, error };
        }
      }
      const got = (await sent).rows[0] as { applied: boolean; last_seq: string };
      lastSeq = Number(got.last_seq);
      if (!got.applied) continue;
      result.sent += batch.count;
      result.batches++;
      result.lastSeq = lastSeq;
      if (++unpruned >= 8) pruneUpTo(lastSeq);
      opts.onBatch?.({ sent: batch.count, lastSeq });
    }
  } finally {
    // What central acknowledged is pruned even when a later batch failed.
    pruneUpTo(lastSeq);
  }
  result.pending = pendingCount(db);
  return result;
}
