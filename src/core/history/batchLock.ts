/**
 * One writer per batch. `batch --resume` of a batch that another process is still running would
 * inspect and record the same images twice, so the writer takes a lease row in the database (the
 * same file every writer already shares, so no PID file can be left behind on another disk):
 * - acquiring is one IMMEDIATE transaction: no row, an expired lease, or a lease of a process on
 *   this host that no longer exists → the row is ours; otherwise BATCH_LOCKED naming the holder;
 * - the holder renews `heartbeat_at` every LEASE_MS / 3 while it runs, and deletes the row when done;
 * - a holder killed with SIGKILL stops renewing: on the same host its PID is seen dead at once, from
 *   another host the lease expires after LEASE_MS (30 s), so nothing blocks forever.
 * The lease is operational state, not evidence: it is outside the audit chain.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import { InspectorError } from '../../shared/errors';

export const LEASE_MS = 30_000;

interface LockRow {
  holder: string;
  pid: number;
  host: string;
  token: string;
  acquired_at: number;
  heartbeat_at: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface BatchLease {
  batchId: number;
  token: string;
  /** Stops the heartbeat and gives the batch up. */
  release(): void;
}

export function acquireBatchLock(db: Database.Database, batchId: number, holder: string, opts: { now?: () => number; leaseMs?: number } = {}): BatchLease {
  const now = opts.now ?? Date.now;
  const leaseMs = opts.leaseMs ?? LEASE_MS;
  const me = { holder, pid: process.pid, host: hostname(), token: randomUUID() };
  db.transaction(() => {
    const row = db.prepare('SELECT holder, pid, host, token, acquired_at, heartbeat_at FROM batch_locks WHERE batch_id = ?').get(batchId) as LockRow | undefined;
    if (row) {
      const expired = now() - row.heartbeat_at > leaseMs;
      const deadHere = row.host === me.host && row.pid !== process.pid && !alive(row.pid);
      if (!expired && !deadHere) {
        throw new InspectorError(
          'BATCH_LOCKED',
          `Batch ${batchId} is being run by ${row.holder} (process ${row.pid} on ${row.host}, since ${new Date(row.acquired_at).toISOString()}); wait for it to finish or stop it first.`,
          { batchId, holder: row.holder, pid: row.pid, host: row.host, acquiredAt: row.acquired_at, heartbeatAt: row.heartbeat_at },
        );
      }
    }
    const t = now();
    db.prepare(
      `INSERT INTO batch_locks(batch_id, holder, pid, host, token, acquired_at, heartbeat_at) VALUES (?,?,?,?,?,?,?)
       ON CONFLICT(batch_id) DO UPDATE SET holder = excluded.holder, pid = excluded.pid, host = excluded.host, token = excluded.token,
         acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at`,
    ).run(batchId, me.holder, me.pid, me.host, me.token, t, t);
  }).immediate();
  const beat = setInterval(() => {
    try {
      db.prepare('UPDATE batch_locks SET heartbeat_at = ? WHERE batch_id = ? AND token = ?').run(now(), batchId, me.token);
    } catch {
      /* a busy database misses one beat; the lease is three beats long */
    }
  }, Math.max(1000, Math.floor(leaseMs / 3)));
  beat.unref();
  return {
    batchId,
    token: me.token,
    release() {
      clearInterval(beat);
      if (db.open) db.prepare('DELETE FROM batch_locks WHERE batch_id = ? AND token = ?').run(batchId, me.token);
    },
  };
}
