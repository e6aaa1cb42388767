/**
 * The central PostgreSQL: versioned schema migrations (like the station's), applied under an
 * advisory lock so two stations starting at once migrate it once. Rows from every station land
 * in one `records` table keyed by (station, table, record id), partitioned by month of the
 * record's own time; a new synced table needs no central migration. The primary key is the only
 * index: it serves the upsert, per-station reads and per-table lookups, and every further index
 * would slow ingest (the sync benchmark measures it).
 */
import pg from 'pg';
import { InspectorError } from '../../shared/errors';
import { INGEST_MIGRATION, ROLLUP_MIGRATION } from './rollups';

export interface CentralMigration {
  version: number;
  name: string;
  sql: string;
}

export const CENTRAL_MIGRATIONS: CentralMigration[] = [
  {
    version: 1,
    name: 'stations, records, watermarks',
    sql: `
CREATE TABLE stations(
  station_id text PRIMARY KEY,
  last_seq bigint NOT NULL DEFAULT 0,
  audit_seq bigint NOT NULL DEFAULT 0,
  audit_hash text,
  synced_at timestamptz);
CREATE TABLE records(
  station_id text NOT NULL, tbl text NOT NULL, rid text NOT NULL, seq bigint NOT NULL,
  at timestamptz NOT NULL, row jsonb NOT NULL,
  PRIMARY KEY (station_id, tbl, rid, at)) PARTITION BY RANGE (at);`,
  },
  {
    version: 2,
    name: 'approved packs',
    sql: `
CREATE TABLE approved_packs(
  name text NOT NULL, version text NOT NULL, hash text NOT NULL, signature text, approver text NOT NULL,
  approved_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (name, version));`,
  },
  { version: 3, name: 'dashboard rollups', sql: ROLLUP_MIGRATION },
  {
    version: 4,
    name: 'records by station and outbox sequence',
    // central verify reads a station's rows in outbox order, a page at a time (verify.ts). The case
    // key index is led by the key: led by station_id, the planner took it for the rollup's lookup
    // of a run's case *by id* on partitions without statistics yet and scanned every case of the
    // station for each run — quadratic in a month's cases; the lookup by id belongs to the key.
    sql: `CREATE INDEX records_station_seq ON records (station_id, seq);
DROP INDEX records_case_key;
CREATE INDEX records_case_key ON records ((row->>'case_key'), station_id) WHERE tbl = 'cases';`,
  },
  { version: 5, name: 'one-statement sync batches', sql: INGEST_MIGRATION },
];

export const CENTRAL_LATEST = CENTRAL_MIGRATIONS[CENTRAL_MIGRATIONS.length - 1]!.version;
const MIGRATION_LOCK = 0x1e57_f1ee;

/**
 * TLS policy: the central database usually sits across the plant network, so a connection to a
 * host that is not this machine must say how it is protected. `sslmode=verify-full` with
 * `sslrootcert=FILE` (libpq's own URL parameters, read by the pg driver) checks the server's
 * certificate and name; `sslmode=disable` is an explicit, visible choice of plaintext. Anything
 * else off-machine is refused rather than silently sent in the clear.
 */
export function checkCentralTls(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InspectorError('USAGE', `The central database URL is not a valid URL: "${redact(url)}".`);
  }
  const host = u.hostname.replace(/^\[|\]$/g, '') || u.searchParams.get('host') || 'localhost';
  const local = host === 'localhost' || host === '::1' || /^127\./.test(host) || host.startsWith('/');
  const mode = u.searchParams.get('sslmode');
  if (!local && mode === null) {
    throw new InspectorError(
      'FLEET_TLS_REQUIRED',
      `The central database ${host} is not on this machine: add sslmode=verify-full&sslrootcert=CA.pem to the URL (or sslmode=disable to send in plaintext on purpose).`,
      { host },
    );
  }
}

export async function connectCentral(url: string): Promise<pg.Client> {
  if (!/^postgres(ql)?:\/\//.test(url)) throw new InspectorError('USAGE', `The central database must be a postgres:// URL; got "${url}".`);
  checkCentralTls(url);
  // A password is never put in a URL that lands in shell history or a config file: PGPASSWORD
  // (read by the pg driver) or the station config's password_env carries it.
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (e) {
    const err = e as Error & { code?: string };
    // A certificate that does not verify is a configuration or security problem, not an outage.
    if (/CERT|SELF_SIGNED|ALTNAME|UNABLE_TO_VERIFY/.test(err.code ?? '') || /does not support SSL/.test(err.message)) {
      throw new InspectorError('FLEET_TLS_FAILED', `The central database's TLS could not be verified: ${err.message}`, { url: redact(url), code: err.code });
    }
    throw new InspectorError('FLEET_CENTRAL_UNREACHABLE', `Cannot reach the central database: ${err.message}`, { url: redact(url) });
  }
  return client;
}

export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

export async function centralVersion(c: pg.Client): Promise<number> {
  const r = await c.query(`SELECT to_regclass('fleet_schema') IS NOT NULL AS present`);
  if (!r.rows[0].present) return 0;
  const v = await c.query('SELECT coalesce(max(version), 0) AS v FROM fleet_schema');
  return Number(v.rows[0].v);
}

/** Brings the central schema to the latest version; returns the version it started from. */
export async function migrateCentral(c: pg.Client): Promise<number> {
  await c.query('BEGIN');
  try {
    await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await c.query('CREATE TABLE IF NOT EXISTS fleet_schema(version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    const from = await centralVersion(c);
    if (from > CENTRAL_LATEST) {
      throw new InspectorError('FLEET_SCHEMA_TOO_NEW', `The central database has schema version ${from}; this Inspector knows up to ${CENTRAL_LATEST}.`, { version: from });
    }
    for (const m of CENTRAL_MIGRATIONS) {
      if (m.version <= from) continue;
      await c.query(m.sql);
      await c.query('INSERT INTO fleet_schema(version, name) VALUES ($1, $2)', [m.version, m.name]);
    }
    await c.query('COMMIT');
    return from;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => {});
    throw e;
  }
}

/** Monthly partition bounds of an epoch-ms instant (UTC). */
export function monthOf(ms: number): { name: string; from: string; to: string } {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const iso = (yy: number, mm: number) => new Date(Date.UTC(yy, mm, 1)).toISOString();
  return { name: `records_${y}${String(m + 1).padStart(2, '0')}`, from: iso(y, m), to: iso(y, m + 1) };
}

const knownPartitions = new Set<string>();

/** Creates the month partitions a batch needs (inside the caller's transaction). */
export async function ensurePartitions(c: pg.Client, times: Iterable<number>): Promise<void> {
  const months = new Map<string, ReturnType<typeof monthOf>>();
  // A batch's times are mostly in one month: the bounds are worked out once per month, not per row.
  let lo = Infinity;
  let hi = -Infinity;
  for (const t of times) {
    if (t >= lo && t < hi) continue;
    const m = monthOf(t);
    lo = Date.parse(m.from);
    hi = Date.parse(m.to);
    if (!knownPartitions.has(m.name)) months.set(m.name, m);
  }
  if (months.size === 0) return;
  // Two stations creating the same month at once would collide in the catalog.
  await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK + 1]);
  for (const m of months.values()) {
    await c.query(`CREATE TABLE IF NOT EXISTS ${m.name} PARTITION OF records FOR VALUES FROM ('${m.from}') TO ('${m.to}')`);
  }
  // Remembered only once committed: a rolled-back batch may have created nothing.
  return void months.forEach((m) => pendingPartitions.add(m.name));
}

/**
 * The month partitions a batch needs, created and committed in a short transaction of their own
 * (none at all when every month is known): the sync's single-statement batches then insert into
 * partitions that exist. A partition left empty by a failed batch is harmless.
 */
export async function ensurePartitionsCommitted(c: pg.Client, times: Iterable<number>): Promise<void> {
  let lo = Infinity;
  let hi = -Infinity;
  let missing = false;
  for (const t of times) {
    if (t >= lo && t < hi) continue;
    const m = monthOf(t);
    lo = Date.parse(m.from);
    hi = Date.parse(m.to);
    if (!knownPartitions.has(m.name)) missing = true;
  }
  if (!missing) return;
  await c.query('BEGIN');
  try {
    await ensurePartitions(c, times);
    await c.query('COMMIT');
    partitionsCommitted();
  } catch (e) {
    partitionsRolledBack();
    await c.query('ROLLBACK').catch(() => {});
    throw e;
  }
}

const pendingPartitions = new Set<string>();
export function partitionsCommitted(): void {
  for (const n of pendingPartitions) knownPartitions.add(n);
  pendingPartitions.clear();
}
export function partitionsRolledBack(): void {
  pendingPartitions.clear();
}
