/**
 * DICOM TLS certificate rotation without a restart (tlsReload.ts), with real certificates from an
 * openssl-made CA, the node's real TLS listener and real TLS clients (Node's tls, the project's
 * SCU, dcmtk echoscu +tls):
 * - the node starts with certificate A; certificate B is put in place the way certbot-like tools
 *   do it (write a temporary file, rename over the old one); within the reload interval new
 *   connections get B and C-ECHO works, while an association opened before the swap keeps A and
 *   still answers a C-ECHO sent on it after the swap;
 * - a key of another certificate, a garbage certificate and a missing key are refused with
 *   tls-reload-failed (DICOM_TLS_RELOAD_FAILED and the reason) while B stays in service; the next
 *   good set is picked up; a renewed CA bundle lets a peer of a second CA in;
 * - reload_seconds: 0 keeps the start's certificate.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDicomConfig } from '../../../src/core/dicomnet/config';
import { dimse, type CEchoResponse, type Client } from '../../../src/core/dicomnet/dimse';
import { DicomNode, type NodeEvent } from '../../../src/core/dicomnet/node';
import { echo } from '../../../src/core/dicomnet/send';
import { clientOptions, loadTls } from '../../../src/core/dicomnet/tls';
import { validateTls } from '../../../src/core/dicomnet/tlsReload';
import { HistoryStore } from '../../../src/core/history/index';
import { hasDcmtk, makeCa } from './orthanc';

const exec = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fingerprintOf = (certFile: string) => new X509Certificate(readFileSync(certFile)).fingerprint256;

async function waitFor<T>(what: string, probe: () => T | undefined, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Write-then-rename, as certbot and most renewal tools replace a file: readers see the old or the new file, never half of one. */
function replace(target: string, content: Buffer | string): void {
  const tmp = `${target}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, target);
}

describe('DICOM TLS certificates are reloaded without a restart', () => {
  const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-tls-reload-'));
  const pki = makeCa(tmp, 'plant', ['nodeA', 'nodeB', 'modality']);
  const other = makeCa(tmp, 'lab', ['labmodality']);
  const live = join(tmp, 'live');
  mkdirSync(live);
  const files = { cert: join(live, 'node.crt'), key: join(live, 'node.key'), ca: join(live, 'ca.crt') };
  const A = fingerprintOf(pki.leaf['nodeA']!.cert);
  const B = fingerprintOf(pki.leaf['nodeB']!.cert);
  const modality = loadTls({
    cert: pki.leaf['modality']!.cert,
    key: pki.leaf['modality']!.key,
    ca: pki.ca,
    require_client_cert: true,
  });
  const stores: HistoryStore[] = [];
  const nodes: DicomNode[] = [];

  afterAll(async () => {
    for (const n of nodes) await n.close();
    for (const s of stores) s.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  async function startNode(
    name: string,
    reloadSeconds: number,
    f: typeof files,
  ): Promise<{ node: DicomNode; port: number; events: NodeEvent[] }> {
    const config = parseDicomConfig(
      [
        'ae_title: INSPECTOR',
        'allow: [{ aet: MODALITY, host: 127.0.0.1 }, { aet: LABMOD, host: 127.0.0.1 }]',
        `tls: { cert: ${f.cert}, key: ${f.key}, ca: ${f.ca}, reload_seconds: ${reloadSeconds} }`,
      ].join('\n'),
    );
    config.port = 0;
    const store = HistoryStore.open(join(tmp, `${name}.sqlite`));
    stores.push(store);
    const events: NodeEvent[] = [];
    const node = new DicomNode({
      config,
      store,
      inbox: join(tmp, `${name}-inbox`),
      outboxDir: join(tmp, `${name}-outbox`),
      softwareVersion: 'test',
      log: (e) => events.push(e),
      inspect: () => Promise.reject(new Error('no rules: nothing is inspected')),
    });
    nodes.push(node);
    return { node, port: await node.start(), events };
  }

  /** A fresh TLS connection, as a modality makes it (its certificate, our CA): which certificate does the node show? */
  const peerFingerprint = (port: number, client = modality) =>
    new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, ...clientOptions(client) }, () => {
        const fp = s.getPeerCertificate().fingerprint256;
        s.end();
        resolve(fp);
      });
      s.once('error', reject);
    });

  const echoTo = (port: number, client = modality, callingAet = 'MODALITY') =>
    echo({ aet: 'INSPECTOR', host: '127.0.0.1', port, tls: true }, { callingAet, timeoutSeconds: 5, tls: client });

  it('the new certificate reaches new associations, the old association keeps its own, bad sets are refused and the old one stays', async () => {
    copyFileSync(pki.leaf['nodeA']!.cert, files.cert);
    copyFileSync(pki.leaf['nodeA']!.key, files.key);
    copyFileSync(pki.ca, files.ca);
    const { node, port, events } = await startNode('rotate', 0.2, files);
    const reloaded = () => events.filter((e) => e.event === 'tls-reloaded');
    const failed = () => events.filter((e) => e.event === 'tls-reload-failed');

    expect(await peerFingerprint(port)).toBe(A);
    await echoTo(port);

    // An association opened now, with certificate A, held open (the library lingers before releasing it).
    const held: Client = new dimse.Client();
    const heldEchoes: number[] = [];
    let released = false;
    held.on('associationReleased', () => (released = true));
    held.on('networkError', () => {});
    const first = new dimse.requests.CEchoRequest();
    first.on('response', (r: CEchoResponse) => heldEchoes.push(r.getStatus()));
    held.addRequest(first);
    held.send('127.0.0.1', port, 'MODALITY', 'INSPECTOR', {
      associationLingerTimeout: 4000,
      connectTimeout: 5000,
      associationTimeout: 5000,
      pduTimeout: 10_000,
      securityOptions: clientOptions(modality),
    });
    await waitFor('the first C-ECHO on the held association', () => (heldEchoes.length ? true : undefined));
    // The library keeps its open association here; reaching it is the only way to send on it again.
    const network = (held as unknown as { network: { socket: tls.TLSSocket; sendRequests(r: unknown[]): void } })
      .network;
    expect(network.socket.getPeerCertificate().fingerprint256).toBe(A);

    // Renewal: B goes in by write + rename, key and certificate together.
    replace(files.key, readFileSync(pki.leaf['nodeB']!.key));
    replace(files.cert, readFileSync(pki.leaf['nodeB']!.cert));
    const r1 = await waitFor('tls-reloaded', () => reloaded()[0]);
    expect(r1).toMatchObject({
      fingerprint256: B,
      previousFingerprint256: A,
      subject: 'CN=nodeB',
      issuer: 'CN=plant test CA',
    });
    expect(new Date((r1 as { validTo: string }).validTo).getTime()).toBe(
      new Date(new X509Certificate(readFileSync(pki.leaf['nodeB']!.cert)).validTo).getTime(),
    );
    expect(JSON.stringify(r1)).not.toMatch(/PRIVATE KEY|BEGIN/);
    expect(failed()).toEqual([]);
    expect(await peerFingerprint(port)).toBe(B);
    await echoTo(port);
    // The SCU side uses what is in service too (send.ts builds its TLS options per association).
    expect(node.association.tls!.cert.equals(readFileSync(pki.leaf['nodeB']!.cert))).toBe(true);

    // The association from before the swap: still A, and a C-ECHO on it now is answered.
    expect(released).toBe(false);
    expect(network.socket.getPeerCertificate().fingerprint256).toBe(A);
    const second = new dimse.requests.CEchoRequest();
    second.on('response', (r: CEchoResponse) => heldEchoes.push(r.getStatus()));
    network.sendRequests([second]);
    await waitFor('the second C-ECHO on the held association', () => (heldEchoes.length === 2 ? true : undefined));
    expect(heldEchoes).toEqual([dimse.constants.Status.Success, dimse.constants.Status.Success]);
    await waitFor('the held association released', () => (released ? true : undefined), 8000);

    // A key of another certificate: refused, B stays.
    replace(files.key, readFileSync(pki.leaf['modality']!.key));
    const f1 = await waitFor('tls-reload-failed (key)', () => failed()[0]);
    expect(f1).toMatchObject({ event: 'tls-reload-failed', code: 'DICOM_TLS_RELOAD_FAILED', reason: 'key-mismatch' });
    expect((f1 as { message: string }).message).toContain(B);
    // Refused once, not again at every poll while the files stay as they are.
    await sleep(600);
    expect(failed()).toHaveLength(1);
    expect(await peerFingerprint(port)).toBe(B);
    await echoTo(port);

    // The good key back: the set in service again, nothing to reload and nothing logged.
    replace(files.key, readFileSync(pki.leaf['nodeB']!.key));
    await sleep(600);
    expect(events.filter((e) => e.event.startsWith('tls-'))).toHaveLength(2);
    // The key gone (as between an unlink and a rename).
    unlinkSync(files.key);
    const f2 = await waitFor('tls-reload-failed (missing)', () => failed()[1]);
    expect(f2).toMatchObject({ code: 'DICOM_TLS_RELOAD_FAILED', reason: 'file-not-found' });
    expect((f2 as { message: string }).message).toContain(files.key);
    replace(files.key, readFileSync(pki.leaf['nodeB']!.key));
    // A certificate file that is PEM-shaped garbage, then one that is no PEM at all.
    replace(files.cert, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
    const f3 = await waitFor('tls-reload-failed (garbage)', () => failed()[2]);
    expect(f3).toMatchObject({ code: 'DICOM_TLS_RELOAD_FAILED', reason: 'certificate-invalid' });
    replace(files.cert, 'hello\n');
    const f4 = await waitFor('tls-reload-failed (not PEM)', () => failed()[3]);
    expect(f4).toMatchObject({ code: 'DICOM_TLS_RELOAD_FAILED', reason: 'file-invalid' });
    expect(reloaded()).toHaveLength(1);
    expect(await peerFingerprint(port)).toBe(B);
    await echoTo(port);
    expect(node.association.tls!.cert.equals(readFileSync(pki.leaf['nodeB']!.cert))).toBe(true);

    // The next good set (A again) is picked up.
    replace(files.key, readFileSync(pki.leaf['nodeA']!.key));
    replace(files.cert, readFileSync(pki.leaf['nodeA']!.cert));
    const r2 = await waitFor('the second tls-reloaded', () => reloaded()[1]);
    expect(r2).toMatchObject({ fingerprint256: A, previousFingerprint256: B });
    expect(await peerFingerprint(port)).toBe(A);

    // dcmtk's SCU over TLS after the rotation.
    if (hasDcmtk) {
      const r = await exec('echoscu', [
        '+tls',
        pki.leaf['modality']!.key,
        pki.leaf['modality']!.cert,
        '+cf',
        pki.ca,
        '-aet',
        'MODALITY',
        '-aec',
        'INSPECTOR',
        '127.0.0.1',
        String(port),
      ]).then(
        () => ({ ok: true, log: '' }),
        (e: { stdout: string; stderr: string }) => ({ ok: false, log: `${e.stdout}${e.stderr}` }),
      );
      expect(r.ok, r.log).toBe(true);
    }

    // A renewed CA bundle: a modality whose certificate comes from a second CA gets in only after it.
    const lab = loadTls({
      cert: other.leaf['labmodality']!.cert,
      key: other.leaf['labmodality']!.key,
      ca: pki.ca,
      require_client_cert: true,
    });
    // (Under TLS 1.3 the client may finish its side before the server refuses its certificate: then it sees the connection drop.)
    await expect(echoTo(port, lab, 'LABMOD')).rejects.toMatchObject({
      code: expect.stringMatching(/^DICOM_(TLS_FAILED|NETWORK_ERROR|ECHO_FAILED)$/),
    });
    await waitFor('the lab modality refused', () =>
      events.some((e) => e.event === 'rejected' && e.reason === 'tls-handshake-failed') ? true : undefined,
    );
    replace(files.ca, Buffer.concat([readFileSync(pki.ca), readFileSync(other.ca)]));
    const r3 = await waitFor('the CA reload', () => reloaded()[2]);
    expect(r3).toMatchObject({ fingerprint256: A, previousFingerprint256: A });
    await echoTo(port, lab, 'LABMOD');
    await echoTo(port);
  }, 60_000);

  it('reload_seconds: 0 keeps the certificate of the start', async () => {
    const fixed = { cert: join(live, 'fixed.crt'), key: join(live, 'fixed.key'), ca: join(live, 'fixed-ca.crt') };
    copyFileSync(pki.leaf['nodeA']!.cert, fixed.cert);
    copyFileSync(pki.leaf['nodeA']!.key, fixed.key);
    copyFileSync(pki.ca, fixed.ca);
    const { port, events } = await startNode('fixed', 0, fixed);
    replace(fixed.key, readFileSync(pki.leaf['nodeB']!.key));
    replace(fixed.cert, readFileSync(pki.leaf['nodeB']!.cert));
    await sleep(800);
    expect(await peerFingerprint(port)).toBe(A);
    expect(events.filter((e) => e.event.startsWith('tls-'))).toEqual([]);
  });

  it('validateTls refuses a certificate outside its validity and names its identity when good', () => {
    const m = loadTls({
      cert: pki.leaf['nodeB']!.cert,
      key: pki.leaf['nodeB']!.key,
      ca: pki.ca,
      require_client_cert: true,
    });
    const id = validateTls(m);
    expect(id).toMatchObject({ fingerprint256: B, subject: 'CN=nodeB' });
    // makeCa's certificates are valid for two days from now.
    const later = new Date(Date.now() + 3 * 86400_000);
    const earlier = new Date(Date.now() - 86400_000);
    const reasonAt = (at: Date) => {
      try {
        validateTls(m, at);
        return 'accepted';
      } catch (e) {
        return `${(e as { code: string }).code}:${(e as { details: { reason: string } }).details.reason}`;
      }
    };
    expect(reasonAt(later)).toBe('DICOM_TLS_RELOAD_FAILED:expired');
    expect(reasonAt(earlier)).toBe('DICOM_TLS_RELOAD_FAILED:not-yet-valid');
    expect(() =>
      validateTls({ ...m, ca: Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n') }),
    ).toThrow(/CA certificate 1 of 1/);
  });
});
