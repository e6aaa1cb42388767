/**
 * A throwaway PostgreSQL 15 cluster for a test: initdb in a temp folder, started on a random
 * 127.0.0.1 port with its socket in that folder, stopped and removed at the end. PostgreSQL
 * refuses to run as root, so as root the cluster belongs to `nobody`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';

const BIN = process.env['PG_BIN'] ?? '/usr/lib/postgresql/15/bin';
export const postgresAvailable = existsSync(join(BIN, 'initdb')) && existsSync(join(BIN, 'pg_ctl'));
export const skipReason = `PostgreSQL 15 server binaries not found in ${BIN} (apt-get install postgresql)`;

export interface TempPostgres {
  url: string;
  port: number;
  /** The cluster's folder (certificates given to the server live here). */
  dir: string;
  stop(): void;
  /** Stops the server, keeping its data, for an outage; `resume()` starts it again on the same port. */
  pause(): void;
  resume(): void;
}

export interface PostgresOptions {
  /** PEM server certificate and key: the server speaks TLS and accepts only TLS connections. */
  tls?: { cert: string; key: string };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function asOwner(args: string[], cwd: string): void {
  const root = process.getuid?.() === 0;
  const [cmd, ...rest] = root ? ['runuser', '-u', 'nobody', '--', ...args] : args;
  const r = spawnSync(cmd!, rest, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
}

export async function startPostgres(options: PostgresOptions = {}): Promise<TempPostgres> {
  const dir = mkdtempSync(join(os.tmpdir(), 'inspector-pg-'));
  chmodSync(dir, 0o777);
  if (process.getuid?.() === 0) execFileSync('chown', ['nobody', dir]);
  const data = join(dir, 'data');
  asOwner([join(BIN, 'initdb'), '-D', data, '--auth=trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync'], dir);
  let tlsOpts = '';
  if (options.tls) {
    // The server reads its key only if the key belongs to it and nobody else can read it.
    const cert = join(dir, 'server.crt');
    const key = join(dir, 'server.key');
    writeFileSync(cert, options.tls.cert);
    writeFileSync(key, options.tls.key, { mode: 0o600 });
    if (process.getuid?.() === 0) execFileSync('chown', ['nobody', cert, key]);
    writeFileSync(join(dir, 'pg_hba.conf'), 'local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n');
    if (process.getuid?.() === 0) execFileSync('chown', ['nobody', join(dir, 'pg_hba.conf')]);
    tlsOpts = ` -c ssl=on -c ssl_cert_file=${cert} -c ssl_key_file=${key} -c hba_file=${join(dir, 'pg_hba.conf')}`;
  }
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    // fsync off: the tests kill the sync client, never the server.
    const opts = `-c listen_addresses=127.0.0.1 -c port=${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off${tlsOpts}`;
    const start = () => asOwner([join(BIN, 'pg_ctl'), '-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '60', 'start'], dir);
    try {
      start();
    } catch (e) {
      if (attempt < 3) continue; // the port was taken between the probe and the bind
      throw e;
    }
    const halt = () => asOwner([join(BIN, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'], dir);
    let running = true;
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      dir,
      stop() {
        try {
          if (running) halt();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
      pause() {
        // A clean shutdown: the server's own commits survive (the tests run it with
        // synchronous_commit=off, which a crash would not honour).
        asOwner([join(BIN, 'pg_ctl'), '-D', data, '-m', 'fast', '-w', 'stop'], dir);
        running = false;
      },
      resume() {
        start();
        running = true;
      },
    };
  }
}
