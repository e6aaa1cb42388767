/**
 * Background sync over TLS against a real PostgreSQL 15 that accepts only TLS connections: the
 * station's loop sends as records are written, goes "offline" while the server is down (records
 * keep landing in the station's own history), and catches up exactly once when it is back. The TLS
 * policy: a server certificate from another CA is refused with FLEET_TLS_FAILED, plaintext is
 * rejected by the server, and an off-machine URL that does not say how it is protected is refused
 * before any connection.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackgroundSync, checkCentralTls, connectCentral, migrateCentral, requeueAll, syncStation, type BackgroundSyncState } from '../../../src/core/fleet/index';
import { HistoryStore } from '../../../src/core/history/index';
import { postgresAvailable, skipReason, startPostgres, type TempPostgres } from './postgres';
import { syntheticRun } from './records';

const rec = (i: number) => syntheticRun(i, { station: 'BG1', key: `BG-${i}` });

if (!postgresAvailable) console.warn(`fleet background sync tests skipped: ${skipReason}`);

/** A CA and a server certificate for localhost / 127.0.0.1 signed by it, made with openssl. */
function makeCa(dir: string, name: string): { ca: string; cert: string; key: string } {
  const f = (x: string) => join(dir, `${name}-${x}`);
  const ssl = (...a: string[]) => execFileSync('openssl', a, { stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name} test CA`, '-keyout', f('ca.key'), '-out', f('ca.crt'));
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', f('server.key'), '-out', f('server.csr'));
  writeFileSync(f('ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('ext'), '-out', f('server.crt'));
  return { ca: f('ca.crt'), cert: readFileSync(f('server.crt'), 'utf8'), key: readFileSync(f('server.key'), 'utf8') };
}


async function until(what: string, f: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('central TLS policy (no server needed)', () => {
  it('refuses an off-machine URL that does not say how it is protected, accepts explicit choices', () => {
    expect(() => checkCentralTls('postgres://station@central.plant/inspector')).toThrow(expect.objectContaining({ code: 'FLEET_TLS_REQUIRED' }));
    expect(() => checkCentralTls('postgres://station@10.1.2.3:5432/inspector')).toThrow(expect.objectContaining({ code: 'FLEET_TLS_REQUIRED' }));
    expect(() => checkCentralTls('postgres://station@central.plant/inspector?sslmode=verify-full&sslrootcert=/etc/ca.pem')).not.toThrow();
    expect(() => checkCentralTls('postgres://station@central.plant/inspector?sslmode=disable')).not.toThrow();
    expect(() => checkCentralTls('postgres://postgres@127.0.0.1:5432/postgres')).not.toThrow();
    expect(() => checkCentralTls('postgres://postgres@localhost/postgres')).not.toThrow();
  });
});

describe.skipIf(!postgresAvailable)('background sync over TLS to a real PostgreSQL', () => {
  let pgs: TempPostgres;
  const root = mkdtempSync(join(os.tmpdir(), 'inspector-bgsync-'));
  let good: ReturnType<typeof makeCa>;
  let other: ReturnType<typeof makeCa>;
  let tlsUrl: string;

  beforeAll(async () => {
    good = makeCa(root, 'plant');
    other = makeCa(root, 'foreign');
    pgs = await startPostgres({ tls: { cert: good.cert, key: good.key } });
    tlsUrl = `postgres://postgres@localhost:${pgs.port}/postgres?sslmode=verify-full&sslrootcert=${good.ca}`;
  });
  afterAll(() => pgs?.stop());

  it('verifies the server against the station CA; a foreign CA and plaintext are refused', async () => {
    const c = await connectCentral(tlsUrl);
    expect((await c.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0].ssl).toBe(true);
    await c.end();
    await expect(connectCentral(`postgres://postgres@localhost:${pgs.port}/postgres?sslmode=verify-full&sslrootcert=${other.ca}`)).rejects.toMatchObject({ code: 'FLEET_TLS_FAILED' });
    await expect(connectCentral(`postgres://postgres@127.0.0.1:${pgs.port}/postgres`)).rejects.toMatchObject({ code: 'FLEET_CENTRAL_UNREACHABLE', message: expect.stringMatching(/no encryption/) });
  });

  it('sends as records land, stays offline through an outage and catches up exactly once', async () => {
    const store = HistoryStore.open(join(root, 'BG1.sqlite'));
    for (let i = 0; i < 5; i++) store.recordInference(rec(i));
    const states: BackgroundSyncState[] = [];
    const bg = new BackgroundSync(store.db, { url: tlsUrl, station: 'BG1', intervalMs: 150, batchSize: 7, onState: (s) => states.push(s) }).start();
    const central = async () => {
      const c = new pg.Client({ connectionString: tlsUrl });
      await c.connect();
      try {
        const r = await c.query("SELECT count(*)::int AS n, count(DISTINCT (tbl, rid))::int AS d FROM records WHERE station_id = 'BG1'");
        return r.rows[0] as { n: number; d: number };
      } finally {
        await c.end();
      }
    };
    const localTotal = () => (store.db.prepare("SELECT (SELECT count(*) FROM cases) + (SELECT count(*) FROM images) + (SELECT count(*) FROM inference_runs) + (SELECT count(*) FROM audit_log)").pluck().get() as number);
    try {
      await until('the first records in central', () => bg.state.status === 'synced' && bg.state.pending === 0);
      expect((await central()).n).toBe(localTotal());

      // New records are sent by the loop without anyone asking.
      for (let i = 5; i < 9; i++) store.recordInference(rec(i));
      bg.kick();
      await until('the new records', async () => bg.state.pending === 0 && (await central()).n === localTotal());

      // Outage: the server goes away; the station keeps recording; the loop says offline.
      pgs.pause();
      for (let i = 9; i < 20; i++) store.recordInference(rec(i));
      await until('offline', () => bg.state.status === 'offline');
      expect(bg.state.lastError?.code).toBe('FLEET_CENTRAL_UNREACHABLE');
      expect(bg.state.pending).toBeGreaterThan(0);
      pgs.resume();
      await until('caught up after the outage', () => bg.state.status === 'synced' && bg.state.pending === 0);
      const after = await central();
      expect(after.n).toBe(localTotal());
      expect(after.d).toBe(after.n); // no duplicates
      expect(states.some((s) => s.status === 'sending')).toBe(true);
    } finally {
      await bg.stop();
      store.close();
    }
    expect(bg.state.status).toBe('stopped');
  });

  it('a central that lost acknowledged records is named (FLEET_CENTRAL_BEHIND); requeue-all restores it, once each', async () => {
    const store = HistoryStore.open(join(root, 'BG2.sqlite'));
    for (let i = 0; i < 6; i++) store.recordInference(rec(100 + i));
    const c = await connectCentral(tlsUrl);
    try {
      await migrateCentral(c);
      const first = await syncStation(store.db, c, 'BG2', { batchSize: 5 });
      expect(first.pending).toBe(0);
      // Central restored from a backup taken mid-way: it lost the later half and its watermark moved back.
      await c.query("DELETE FROM records WHERE station_id = 'BG2' AND seq > 10");
      await c.query("UPDATE stations SET last_seq = 10 WHERE station_id = 'BG2'");
      store.recordInference(rec(200));
      await expect(syncStation(store.db, c, 'BG2')).rejects.toMatchObject({ code: 'FLEET_CENTRAL_BEHIND', details: { central: 10, acknowledged: first.lastSeq } });
      expect(requeueAll(store.db)).toBeGreaterThan(first.lastSeq);
      const again = await syncStation(store.db, c, 'BG2');
      expect(again.pending).toBe(0);
      const r = await c.query("SELECT count(*)::int AS n, count(DISTINCT (tbl, rid))::int AS d FROM records WHERE station_id = 'BG2'");
      const local = store.db.prepare("SELECT (SELECT count(*) FROM cases) + (SELECT count(*) FROM images) + (SELECT count(*) FROM inference_runs) + (SELECT count(*) FROM audit_log)").pluck().get() as number;
      expect(r.rows[0]).toEqual({ n: local, d: local });
    } finally {
      await c.end();
      store.close();
    }
  });
});
