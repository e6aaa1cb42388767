/**
 * `central verify`: each station's rows are put back into an empty station database (same
 * migrations) and its chain walked by the station's own `verifyAudit`, so central catches exactly
 * the tamper cases the local verify does. The chain head central recorded at sync time is the
 * anchor: trailing entries deleted centrally are caught too.
 *
 * Years of a station's rows do not fit in memory: they are read from PostgreSQL a page at a time in
 * outbox order (keyset on (station_id, seq), central migration 4) and rebuilt into a scratch SQLite
 * file in the temporary folder, deleted afterwards; `verifyAudit` walks it with iterators. Memory
 * stays at one page whatever the station's size.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { HASHED_COLUMNS } from '../history/hash';
import { migrate } from '../history/migrations';
import { verifyAudit, type AuditBreak, type BreakCode } from '../history/verify';

export interface StationVerdict {
  station: string;
  ok: boolean;
  entries: number;
  records: Record<string, number>;
  /** Rows received after the last audit entry central holds: checked once their entry arrives. */
  pending: number;
  break: { code: BreakCode; table: string | null; recordId: string | null; seq: number; message: string } | null;
}

const TABLE_OF: Record<string, string> = { ...Object.fromEntries(Object.entries(HASHED_COLUMNS).map(([e, s]) => [e, s.table])), case: 'cases', image: 'images' };

export async function listStations(c: pg.Client, only?: string[]): Promise<string[]> {
  const r = await c.query('SELECT station_id FROM stations WHERE ($1::text[] IS NULL OR station_id = ANY($1)) ORDER BY station_id', [only?.length ? only : null]);
  return r.rows.map((x) => x.station_id as string);
}

export interface VerifyOptions {
  /** Rows read from central per page (default 20,000). */
  pageSize?: number;
  /** Folder for the scratch database (default: the system's temporary folder). */
  scratchDir?: string;
}

export async function verifyStation(c: pg.Client, station: string, opts: VerifyOptions = {}): Promise<StationVerdict> {
  const pageSize = opts.pageSize ?? 20_000;
  const st = await c.query('SELECT audit_seq, audit_hash FROM stations WHERE station_id = $1', [station]);
  const anchor = st.rows[0]?.audit_hash ? { seq: Number(st.rows[0].audit_seq), hash: st.rows[0].audit_hash as string } : null;
  // A record and its entry are written in one local transaction, the entry last: rows after the
  // last entry central holds may be a transaction cut in two by a batch boundary.
  const lastEntry = await c.query("SELECT coalesce(max(seq), 0) AS s FROM records WHERE station_id = $1 AND tbl = 'audit_log'", [station]);
  const cut = Number(lastEntry.rows[0].s);
  const scratch = mkdtempSync(join(opts.scratchDir ?? os.tmpdir(), 'inspector-central-verify-'));
  const mem = new Database(join(scratch, 'station.sqlite'));
  try {
    // A scratch copy: losing it in a crash loses nothing, so no journal and no fsync.
    mem.pragma('journal_mode = OFF');
    mem.pragma('synchronous = OFF');
    migrate(mem);
    const columns = new Map<string, Set<string>>();
    const insert = new Map<string, Database.Statement>();
    let pending = 0;
    const load = mem.transaction((rows: { tbl: string; seq: string; row: Record<string, unknown> }[]) => {
      for (const r of rows) {
        if (Number(r.seq) > cut) {
          pending++;
          continue;
        }
        let cols = columns.get(r.tbl);
        if (!cols) columns.set(r.tbl, (cols = new Set(mem.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(r.tbl) as string[])));
        // A table this Inspector does not know (a newer station's) has no chain entries to check.
        if (cols.size === 0) continue;
        const keys = Object.keys(r.row).filter((k) => cols.has(k)).sort();
        const sig = `${r.tbl}|${keys.join(',')}`;
        let s = insert.get(sig);
        if (!s) insert.set(sig, (s = mem.prepare(`INSERT INTO "${r.tbl}"(${keys.map((k) => `"${k}"`).join(',')}) VALUES (${keys.map(() => '?').join(',')})`)));
        s.run(keys.map((k) => toSqlite(r.row[k])));
      }
    });
    for (let after = -1; ; ) {
      const page = await c.query('SELECT tbl, seq, row FROM records WHERE station_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [station, after, pageSize]);
      if (page.rows.length === 0) break;
      load(page.rows);
      after = Number(page.rows[page.rows.length - 1].seq);
      if (page.rows.length < pageSize) break;
    }
    // The outbox rows the triggers wrote while rebuilding are not the station's.
    mem.exec('DELETE FROM sync_outbox');
    // Caches the station's store keeps in code (not triggers) are not synced: rebuilt from the records.
    mem.exec(`
INSERT INTO stat_daily(day, pack_name, verdict, n) SELECT day, pack_name, verdict, count(*) FROM inference_runs GROUP BY 1, 2, 3;
INSERT INTO stat_images_daily(day, n) SELECT date(created_at / 1000, 'unixepoch', 'localtime'), count(*) FROM images GROUP BY 1;
INSERT INTO stat_score_hist(pack_name, day, bin, n)
  SELECT pack_name, day, max(0, min(99, CAST(score * 100 AS INTEGER))), count(*) FROM inference_runs GROUP BY 1, 2, 3;
INSERT INTO cases_fts(cases_fts) VALUES ('rebuild');`);
    const rep = verifyAudit(mem, anchor);
    const b = rep.firstBreak;
    return {
      station,
      ok: rep.ok,
      entries: rep.entries,
      records: rep.records,
      pending,
      break: b ? { ...locate(b), code: b.code, seq: b.seq, message: `station ${station}: ${b.message}` }
        : null,
    };
  } finally {
    mem.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

const CHAIN_CODES = new Set<BreakCode>(['AUDIT_ENTRY_MISSING', 'AUDIT_CHAIN_BROKEN', 'AUDIT_ENTRY_ALTERED', 'AUDIT_TRUNCATED', 'AUDIT_CHAIN_REWRITTEN']);

/** The central row to look at: the audit entry for chain breaks, else the record itself. */
function locate(b: AuditBreak): { table: string | null; recordId: string | null } {
  if (CHAIN_CODES.has(b.code)) return { table: 'audit_log', recordId: String(b.seq) };
  if (b.entity) return { table: TABLE_OF[b.entity] ?? b.entity, recordId: b.entityId ?? null };
  return { table: null, recordId: null };
}

function toSqlite(v: unknown): unknown {
  if (v && typeof v === 'object' && '$base64' in v) return Buffer.from(String((v as { $base64: string }).$base64), 'base64');
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return v ?? null;
}
