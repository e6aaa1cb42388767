/**
 * Real peers for the station tests: Debian's mosquitto on a random loopback port with its own temp
 * config and persistence, a persistent-session MQTT subscriber (an MES), and the station itself as a
 * separate `inspector station` process that can be SIGKILLed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { repoRoot } from '../../support/paths';

export const MOSQUITTO = '/usr/sbin/mosquitto';
export const hasMosquitto = existsSync(MOSQUITTO);
export const lineDemo = join(repoRoot, 'resources', 'samples', 'line-demo');
export const bin = join(repoRoot, 'bin', 'inspector.js');

/** Known integrated verdicts of the shipped line-demo cells (the same as `inspector batch` gives). */
export const DEMO_VERDICTS: Record<string, string> = { 'cell-001': 'PASS', 'cell-002': 'INTERNAL_DEFECT', 'cell-003': 'PASS', 'cell-004': 'COMBINED_DEFECT' };

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolvePort(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(what: string, fn: () => T | undefined | false | null, timeoutMs = 60_000, stepMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(stepMs);
  }
}

export class Broker {
  proc: ChildProcess | undefined;
  log = '';
  constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async start(root: string): Promise<Broker> {
    const dir = join(root, 'mosquitto');
    mkdirSync(dir, { recursive: true });
    const b = new Broker(await freePort(), dir);
    await b.up();
    return b;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    const conf = join(this.dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      [
        `listener ${this.port} 127.0.0.1`,
        'allow_anonymous true',
        'persistence true',
        `persistence_location ${this.dir}/`,
        // Started as root (CI), mosquitto drops to the `mosquitto` user, which cannot write into the
        // test's private temp folder: persistence then fails ("Error saving in-memory database") and
        // a restart forgets every session — a MES subscriber's subscription included. Stay root here.
        ...(process.getuid?.() === 0 ? ['user root'] : []),
        'autosave_interval 1',
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        '',
      ].join('\n'),
    );
    this.proc = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    const end = Date.now() + 10_000;
    for (;;) {
      const ok = await new Promise<boolean>((r) => {
        const s = net.connect(this.port, '127.0.0.1');
        s.once('connect', () => (s.destroy(), r(true)));
        s.once('error', () => r(false));
      });
      if (ok) return;
      if (Date.now() > end) throw new Error(`mosquitto did not start: ${this.log}`);
      await sleep(50);
    }
  }

  /** SIGTERM: mosquitto saves its persistence (sessions, queued QoS 1 messages) and exits. */
  async down(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((r) => {
      p.once('exit', () => r());
      p.kill('SIGTERM');
    });
    this.proc = undefined;
  }
}

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
  json: Record<string, unknown>;
}

/** A MES-like subscriber: fixed client id, persistent session (clean: false), QoS 1. */
export async function subscriber(url: string, filter: string, clientId = `mes-${process.pid}-${Math.random().toString(16).slice(2, 8)}`) {
  const got: Received[] = [];
  const client: MqttClient = mqtt.connect(url, { clientId, clean: false, reconnectPeriod: 200 });
  // CONNACK's session-present flag of every connection: after a broker restart a persistent
  // session must still be there (otherwise mqtt.js resubscribes, racing the publishers' resends).
  const sessionPresent: boolean[] = [];
  client.on('connect', (ack) => sessionPresent.push(ack.sessionPresent));
  client.on('message', (topic, payload, packet) => {
    const text = payload.toString();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      /* non-JSON payloads are kept as text */
    }
    got.push({ topic, payload: text, retain: packet.retain, json });
  });
  client.on('error', () => {});
  await new Promise<void>((r) => client.once('connect', () => r()));
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, got, sessionPresent, results: () => got.filter((m) => m.topic.endsWith('/result')) };
}

export interface StationProc {
  proc: ChildProcess;
  stdout: string;
  stderr: string;
  ready: Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

export function startStationProcess(config: string, db: string, env: Record<string, string> = {}): StationProc {
  const proc = spawn(process.execPath, [bin, 'station', '--config', config, '--db', db, '--json'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const sp: StationProc = { proc, stdout: '', stderr: '', ready: Promise.resolve({}), exited: Promise.resolve(null) };
  sp.exited = new Promise((r) => proc.once('exit', (code) => r(code)));
  sp.ready = new Promise((resolveReady, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      sp.stdout += d.toString();
      const line = sp.stdout.split('\n').find((l) => l.includes('"event":"ready"'));
      if (line) resolveReady(JSON.parse(line) as Record<string, unknown>);
    });
    proc.stderr!.on('data', (d: Buffer) => (sp.stderr += d.toString()));
    proc.once('exit', (code) => reject(new Error(`station exited (${code}) before it was ready:\n${sp.stderr}`)));
  });
  return sp;
}

export async function stopStation(sp: StationProc): Promise<number | null> {
  if (sp.proc.exitCode !== null || sp.proc.signalCode !== null) return sp.proc.exitCode;
  sp.proc.kill('SIGTERM');
  return sp.exited;
}

export function tempRoot(prefix: string): string {
  return mkdtempSync(join(os.tmpdir(), `inspector-${prefix}-`));
}

/** A line-demo cell's two views copied under a new serial (the content, not the name, identifies a case). */
export function dropCell(dir: string, cell: string, serial: string, views: ('ct' | 'surface')[] = ['ct', 'surface']): string[] {
  const out: string[] = [];
  for (const v of views) {
    const ext = v === 'ct' ? 'png' : 'jpg';
    const target = join(dir, `${serial}_${v}.${ext}`);
    // Written beside and renamed, as well-behaved writers do; the slow-writer test covers the rest.
    copyFileSync(join(lineDemo, `${cell}_${v}.${ext}`), `${target}.part`);
    renameSync(`${target}.part`, target);
    out.push(target);
  }
  return out;
}

export function stationYaml(o: {
  watchDir: string;
  mqttUrl?: string;
  topic?: string;
  settleMs?: number;
  caseTimeoutMs?: number;
  after?: string;
  extra?: string;
  id?: string;
  /** inspector.yaml to inspect with (default: the line-demo's). */
  inspection?: string;
}): string {
  return [
    `station: { id: ${o.id ?? 'ST01'}, line: L1 }`,
    `inspection: ${o.inspection ?? join(lineDemo, 'inspector.yaml')}`,
    'watch:',
    `  - dir: ${o.watchDir}`,
    '    pattern: "{serial}_{view}.{ext}"',
    '    views: [ct, surface]',
    `    settle_ms: ${o.settleMs ?? 300}`,
    `    case_timeout_ms: ${o.caseTimeoutMs ?? 3000}`,
    `    after: ${o.after ?? 'keep'}`,
    'publish:',
    ...(o.mqttUrl ? [`  mqtt: { url: "${o.mqttUrl}", topic: "${o.topic ?? 'inspector/ST01'}", qos: 1 }`] : []),
    ...(o.extra ? [o.extra] : []),
    '',
  ].join('\n');
}

/** One JSON line an out-of-process OPC UA client (opcuaClient.ts, resultsClient.ts, …) printed. */
export interface ClientLine {
  step: string;
  [k: string]: unknown;
}

/** Starts a node-opcua client script beside these tests in its own process and collects its JSON lines as they come. */
export function startClientProcess(script: string, env: Record<string, string>, onLine: (l: ClientLine) => void = () => {}) {
  const p = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, script)], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: ClientLine[] = [];
  let buf = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!l.startsWith('{')) continue;
      const j = JSON.parse(l) as ClientLine;
      lines.push(j);
      onLine(j);
    }
  });
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
  // For a test's cleanup list: a client still running when the test ends is SIGKILLed.
  const kill = async () => {
    if (p.exitCode === null) p.kill('SIGKILL');
  };
  return { proc: p, lines, exited, stderr: () => stderr, kill };
}

/** Runs a client script (startClientProcess) to its exit: its exit code, JSON lines and stderr. */
export async function runClientProcess(script: string, env: Record<string, string>, onLine?: (l: ClientLine) => void, cleanup?: (() => Promise<unknown>)[]) {
  const c = startClientProcess(script, env, onLine);
  cleanup?.push(c.kill);
  const code = await c.exited;
  return { code, lines: c.lines, stderr: c.stderr() };
}

/**
 * Sets up a station with MQTT, OPC UA (user `mes`, password from MES_PASSWORD) and REST (bearer token):
 * a real mosquitto, the watch folder, station.yaml, a persistent MES subscriber on inspector/ST01/#
 * and the history database's folder. The broker and the subscriber are added to `cleanup`.
 */
export async function stationWithMesPeers(o: { root: string; cleanup: (() => Promise<unknown>)[]; mesClientId: string; mesPassword: string; token: string }) {
  const { root, cleanup } = o;
  const broker = await Broker.start(root);
  cleanup.push(() => broker.down());
  const watch = join(root, 'incoming');
  mkdirSync(watch, { recursive: true });
  const cfg = join(root, 'station.yaml');
  const opcPort = await freePort();
  const restPort = await freePort();
  writeFileSync(
    cfg,
    stationYaml({
      watchDir: watch,
      mqttUrl: broker.url,
      settleMs: 200,
      caseTimeoutMs: 5000,
      extra: [`  opcua: { port: ${opcPort}, users: { mes: MES_PASSWORD }, auto_accept_certificates: true }`, `  rest: { port: ${restPort} }`].join('\n'),
    }),
  );
  const env = { MES_PASSWORD: o.mesPassword, INSPECTOR_STATION_TOKEN: o.token };
  const mes = await subscriber(broker.url, 'inspector/ST01/#', o.mesClientId);
  cleanup.push(() => mes.client.endAsync());
  const db = join(root, 'data', 'history.sqlite');
  mkdirSync(dirname(db), { recursive: true });
  return { broker, watch, cfg, opcPort, restPort, env, mes, db };
}
