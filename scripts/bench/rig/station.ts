/**
 * The set-up the station benchmarks share (in a subfolder: `npm run bench -- NAME` runs only top-level files) (`npm run bench -- station` and `-- soak`): free loopback
 * ports, Debian's mosquitto on one of them, the line-demo cells dropped as a camera's writer does
 * (write beside, then rename), a real `inspector station` process and its RSS from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const bin = join(root, 'bin', 'inspector.js');
export const demo = join(root, 'resources', 'samples', 'line-demo');
export const MOSQUITTO = '/usr/sbin/mosquitto';
export const CELLS = ['cell-001', 'cell-002', 'cell-003', 'cell-004'];
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => r(p));
    });
  });
}

/** VmRSS (or another /proc status field such as RssAnon) in MB; NaN when the process is gone. */
export function rssMb(pid: number | undefined, field = 'VmRSS'): number {
  if (!pid) return NaN;
  try {
    const m = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** A case's two views of a line-demo cell under `serial`; returns the last file's mtime (ms). */
export function dropCase(dir: string, cell: string, serial: string): number {
  let last = 0;
  for (const [v, ext] of [['ct', 'png'], ['surface', 'jpg']] as const) {
    const t = join(dir, `${serial}_${v}.${ext}`);
    copyFileSync(join(demo, `${cell}_${v}.${ext}`), `${t}.part`);
    renameSync(`${t}.part`, t);
    last = Math.max(last, statSync(t).mtimeMs);
  }
  return last;
}

/** mosquitto on a random loopback port (anonymous, no persistence: the benches need no restarts). */
export async function startBroker(tmp: string): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  writeFileSync(join(tmp, 'mosquitto.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\n`);
  const proc = spawn(MOSQUITTO, ['-c', join(tmp, 'mosquitto.conf')], { stdio: 'ignore' });
  await sleep(300);
  return { url: `mqtt://127.0.0.1:${port}`, proc };
}

export interface StationRun {
  proc: ChildProcess;
  /** The station's `ready` line (endpoints, pid). */
  ready: Promise<Record<string, unknown>>;
  /** The last 20,000 characters of its stderr. */
  stderr(): string;
  /** Each complete stderr line, as it comes (the trace lines the station bench reads). */
  onLine(fn: (line: string) => void): void;
}

export function startStationProcess(cfg: string, db: string, env: Record<string, string>): StationRun {
  const proc = spawn(process.execPath, [bin, 'station', '--config', cfg, '--db', db], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  let partial = '';
  const listeners: ((l: string) => void)[] = [];
  proc.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-20_000);
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) for (const f of listeners) f(l);
  });
  const ready = new Promise<Record<string, unknown>>((r, j) => {
    proc.stdout!.on('data', (d: Buffer) => {
      const line = d.toString().split('\n').find((l) => l.includes('"ready"'));
      if (line) r(JSON.parse(line) as Record<string, unknown>);
    });
    proc.once('exit', () => j(new Error(`station did not start:\n${err}`)));
  });
  return { proc, ready, stderr: () => err, onLine: (fn) => listeners.push(fn) };
}
