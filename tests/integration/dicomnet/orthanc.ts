/**
 * A real PACS for the DICOM node's tests: Debian's Orthanc (+ DICOMweb plugin) on random loopback
 * ports with a fresh temporary storage, our node registered as modality "inspector". Started and
 * stopped by the test; `hasOrthanc` is false when the binary is absent (the tests then skip).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';

const BIN = ['/usr/sbin/Orthanc', '/usr/bin/Orthanc'].find((p) => existsSync(p));
const DICOMWEB = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';
export const hasOrthanc = BIN !== undefined && existsSync(DICOMWEB);
export const hasDciodvfy = spawnSync('sh', ['-c', 'command -v dciodvfy']).status === 0;
export const hasDcmtk = spawnSync('sh', ['-c', 'command -v storescp']).status === 0;

/**
 * A CA and leaf certificates signed by it (openssl), each for localhost / 127.0.0.1 with both
 * server and client use: one per party of a DICOM TLS test.
 */
export function makeCa(dir: string, name: string, leaves: string[]): { ca: string; leaf: Record<string, { cert: string; key: string }> } {
  const f = (x: string) => join(dir, `${name}-${x}`);
  const ssl = (...a: string[]) => execFileSync('openssl', a, { stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name} test CA`, '-keyout', f('ca.key'), '-out', f('ca.crt'));
  writeFileSync(f('ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  const leaf: Record<string, { cert: string; key: string }> = {};
  for (const l of leaves) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${l}`, '-keyout', f(`${l}.key`), '-out', f(`${l}.csr`));
    ssl('x509', '-req', '-in', f(`${l}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('ext'), '-out', f(`${l}.crt`));
    leaf[l] = { cert: f(`${l}.crt`), key: f(`${l}.key`) };
  }
  return { ca: f('ca.crt'), leaf };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Modality {
  aet: string;
  host: string;
  port: number;
}

export class Orthanc {
  private constructor(
    readonly dir: string,
    readonly http: number,
    readonly dicom: number,
    readonly aet: string,
    private readonly proc: ChildProcess,
    readonly log: string,
  ) {}

  /** `extra` is merged into Orthanc's configuration (e.g. DICOM TLS keys); a modality may be Orthanc's object form. */
  static async start(modalities: Record<string, Modality | Record<string, unknown>>, aet = 'TESTPACS', extra: Record<string, unknown> = {}): Promise<Orthanc> {
    if (!BIN) throw new Error('Orthanc is not installed');
    const dir = mkdtempSync(join(os.tmpdir(), 'inspector-orthanc-'));
    const http = await freePort();
    const dicom = await freePort();
    const config = {
      Name: 'InspectorTestPACS',
      StorageDirectory: join(dir, 'db'),
      IndexDirectory: join(dir, 'db'),
      HttpPort: http,
      DicomPort: dicom,
      DicomAet: aet,
      DicomCheckCalledAet: true,
      RemoteAccessAllowed: false,
      AuthenticationEnabled: false,
      DicomAlwaysAllowEcho: true,
      DicomAlwaysAllowStore: false,
      DicomCheckModalityHost: true,
      DicomScuTimeout: 10,
      DicomModalities: Object.fromEntries(Object.entries(modalities).map(([k, m]) => [k, 'aet' in m ? [m.aet, m.host, m.port] : m])),
      Plugins: [DICOMWEB],
      DicomWeb: { Enable: true, Root: '/dicom-web/' },
      StableAge: 1,
      ...extra,
    };
    const file = join(dir, 'orthanc.json');
    writeFileSync(file, JSON.stringify(config));
    const log = join(dir, 'orthanc.log');
    const proc = spawn(BIN, [`--logfile=${log}`, file], { stdio: 'ignore' });
    const o = new Orthanc(dir, http, dicom, aet, proc, log);
    const until = Date.now() + 20_000;
    for (;;) {
      try {
        const r = await fetch(`${o.url}/system`);
        if (r.ok) break;
      } catch {
        /* not up yet */
      }
      if (Date.now() > until || proc.exitCode !== null) throw new Error(`Orthanc did not start: ${existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : 'no log'}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return o;
  }

  get url(): string {
    return `http://127.0.0.1:${this.http}`;
  }

  async get<T = unknown>(path: string): Promise<T> {
    const r = await fetch(`${this.url}${path}`);
    if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  }

  async post<T = unknown>(path: string, body: unknown, contentType = 'application/json'): Promise<T> {
    const r = await fetch(`${this.url}${path}`, { method: 'POST', headers: { 'Content-Type': contentType }, body: body instanceof Uint8Array ? new Uint8Array(body) : JSON.stringify(body) });
    const text = await r.text();
    if (!r.ok) throw new Error(`POST ${path}: HTTP ${r.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  /** Uploads a Part 10 file over REST; returns Orthanc's ids. */
  async upload(path: string): Promise<{ ID: string; ParentStudy: string; ParentSeries: string }> {
    return this.post('/instances', readFileSync(path), 'application/dicom');
  }

  async instancesOfStudy(studyUid: string): Promise<string[]> {
    return this.post<string[]>('/tools/find', { Level: 'Instance', Query: { StudyInstanceUID: studyUid } });
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null) {
      const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
      try {
        await fetch(`${this.url}/tools/shutdown`, { method: 'POST' });
      } catch {
        this.proc.kill('SIGTERM');
      }
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** dciodvfy's verdict on a file: its error lines (warnings are kept apart). */
export function dciodvfy(path: string): { errors: string[]; warnings: string[]; output: string } {
  const r = spawnSync('dciodvfy', [path], { encoding: 'utf8' });
  const output = `${r.stdout}${r.stderr}`;
  const lines = output.split('\n');
  return { errors: lines.filter((l) => /^Error/.test(l)), warnings: lines.filter((l) => /^Warning/.test(l)), output };
}
