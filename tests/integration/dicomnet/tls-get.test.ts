/**
 * DICOM TLS and C-GET against real peers. An openssl-made CA signs a certificate for each party:
 * - our listener with `tls` accepts dcmtk `storescu +tls` (mutual TLS), and refuses a plaintext
 *   storescu (tls-required) and an anonymous-TLS one without a certificate (handshake failed);
 * - Orthanc with DICOM TLS on (only TLS on its DICOM port, the peer's certificate required):
 *   our C-ECHO, C-FIND, C-GET and C-STORE over TLS work — our C-FIND answers what dcmtk
 *   `findscu +tls` answers on the same Orthanc; the C-GET brings all 28 slices of the shared CT
 *   series with pixels equal to the originals; a client holding a foreign CA's certificate gets
 *   DICOM_TLS_FAILED; a plaintext association to the TLS port fails with a coded error.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStudy } from '../../../src/core/dicomnet/cget';
import { DicomListener, type Rejection } from '../../../src/core/dicomnet/listener';
import { cFind } from '../../../src/core/dicomnet/query';
import { echo, storeFiles } from '../../../src/core/dicomnet/send';
import { loadTls } from '../../../src/core/dicomnet/tls';
import { loadImageBytes } from '../../../src/core/imaging';
import { hasShared, sharedData } from '../../support/paths';
import { hasDcmtk, hasOrthanc, makeCa, Orthanc } from './orthanc';

const SERIES = join(sharedData, 'dicom', 'ct-series-ge-head-tilted');
const CT_STUDY_OF = (file: string) => spawnSync('dcmdump', ['+P', '0020,000d', file], { encoding: 'utf8' }).stdout.match(/\[([0-9.]+)\]/)?.[1];
const run = (cmd: string, args: string[]) =>
  new Promise<{ status: number | null; output: string }>((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (d: Buffer) => (output += d.toString()));
    p.stderr.on('data', (d: Buffer) => (output += d.toString()));
    p.on('close', (status) => resolve({ status, output }));
  });

describe.skipIf(!hasOrthanc || !hasDcmtk || !hasShared)('DICOM TLS (listener and SCU) and C-GET, against dcmtk and Orthanc', () => {
  const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-dicomtls-'));
  const pki = makeCa(tmp, 'plant', ['inspector', 'orthanc', 'modality']);
  const foreign = makeCa(tmp, 'foreign', ['intruder']);
  const ours = loadTls({ cert: pki.leaf['inspector']!.cert, key: pki.leaf['inspector']!.key, ca: pki.ca, require_client_cert: true });
  const files = readdirSync(SERIES).filter((f) => f.endsWith('.dcm')).sort().map((f) => join(SERIES, f));
  let pacs: Orthanc;

  beforeAll(async () => {
    pacs = await Orthanc.start({ inspector: { AET: 'INSPECTOR', Host: '127.0.0.1', Port: 104, UseDicomTls: true, AllowGet: true } }, 'TLSPACS', {
      DicomTlsEnabled: true,
      DicomTlsCertificate: pki.leaf['orthanc']!.cert,
      DicomTlsPrivateKey: pki.leaf['orthanc']!.key,
      DicomTlsTrustedCertificates: pki.ca,
      DicomTlsRemoteCertificateRequired: true,
    });
    for (const f of files) await pacs.upload(f);
  }, 120_000);

  afterAll(async () => {
    await pacs?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('the listener takes storescu +tls with a plant certificate and refuses plaintext and certificate-less TLS peers', async () => {
    const inbox = join(tmp, 'inbox-listener');
    const listener = new DicomListener({ aeTitle: 'INSPECTOR', port: 0, bind: '127.0.0.1', allow: [{ aet: 'MODALITY1', host: '127.0.0.1' }], inbox, tls: ours });
    const rejected: Rejection[] = [];
    listener.on('rejected', (r: Rejection) => rejected.push(r));
    const port = await listener.start();
    try {
      const tlsArgs = ['+tls', pki.leaf['modality']!.key, pki.leaf['modality']!.cert, '+cf', pki.ca];
      const ok = await run('storescu', [...tlsArgs, '-aet', 'MODALITY1', '-aec', 'INSPECTOR', '127.0.0.1', String(port), files[0]!]);
      expect(ok.status, ok.output).toBe(0);
      expect(listener.stored).toBe(1);

      const plain = await run('storescu', ['-aet', 'MODALITY1', '-aec', 'INSPECTOR', '127.0.0.1', String(port), files[1]!]);
      expect(plain.status).not.toBe(0);
      const anonymous = await run('storescu', ['+tla', '+cf', pki.ca, '-aet', 'MODALITY1', '-aec', 'INSPECTOR', '127.0.0.1', String(port), files[2]!]);
      expect(anonymous.status).not.toBe(0);
      const intruder = await run('storescu', ['+tls', foreign.leaf['intruder']!.key, foreign.leaf['intruder']!.cert, '+cf', pki.ca, '-aet', 'MODALITY1', '-aec', 'INSPECTOR', '127.0.0.1', String(port), files[3]!]);
      expect(intruder.status).not.toBe(0);
      expect(listener.stored).toBe(1);
      expect(rejected.map((r) => r.reason)).toEqual(['tls-required', 'tls-handshake-failed', 'tls-handshake-failed']);
    } finally {
      await listener.close();
    }
  });

  it('C-ECHO, C-FIND (same answers as findscu +tls), C-GET of 28 slices and C-STORE over TLS to Orthanc', async () => {
    const dest = { aet: 'TLSPACS', host: '127.0.0.1', port: pacs.dicom, tls: true };
    const opts = { callingAet: 'INSPECTOR', timeoutSeconds: 15, tls: ours };
    await echo(dest, opts);

    const study = CT_STUDY_OF(files[0]!)!;
    const matches = await cFind(dest, { level: 'SERIES', studyInstanceUid: study }, opts);
    const dcmtk = await run('findscu', ['+tls', pki.leaf['inspector']!.key, pki.leaf['inspector']!.cert, '+cf', pki.ca, '-S', '-aet', 'INSPECTOR', '-aec', 'TLSPACS', '-k', 'QueryRetrieveLevel=SERIES', '-k', `StudyInstanceUID=${study}`, '-k', 'SeriesInstanceUID', '127.0.0.1', String(pacs.dicom)]);
    expect(dcmtk.status, dcmtk.output).toBe(0);
    const dcmtkSeries = [...dcmtk.output.matchAll(/\(0020,000e\) UI \[([0-9.]+)\]/g)].map((m) => m[1]);
    expect(matches.map((m) => m['SeriesInstanceUID'])).toEqual(dcmtkSeries);
    expect(matches).toHaveLength(1);

    const inbox = join(tmp, 'inbox-get');
    const got = await getStudy(dest, study, { inbox }, opts);
    expect(got).toMatchObject({ expected: 28, arrived: 28, completed: 28, failed: 0 });
    const series = readdirSync(join(inbox, study));
    expect(series).toHaveLength(1);
    const received = readdirSync(join(inbox, study, series[0]!)).sort();
    expect(received).toHaveLength(28);
    // Pixels as the originals have them (C-GET files are re-encoded by the library, the values are not).
    const bySop = new Map<string, string>();
    for (const f of files) bySop.set((await loadImageBytes(readFileSync(f))).source.attributes!['sopInstanceUid'] as string, f);
    for (const name of received) {
      const back = await loadImageBytes(readFileSync(join(inbox, study, series[0]!, name)));
      const original = await loadImageBytes(readFileSync(bySop.get(name.replace(/\.dcm$/, ''))!));
      expect(Buffer.from(back.frames[0]!.stored.buffer).equals(Buffer.from(original.frames[0]!.stored.buffer))).toBe(true);
    }

    // A C-STORE over TLS: one of what we got back, stored again (same instance, Orthanc answers success).
    const [stored] = await storeFiles(dest, [join(inbox, study, series[0]!, received[0]!)], opts);
    expect(stored).toMatchObject({ ok: true });
  }, 180_000);

  it('a foreign certificate gets DICOM_TLS_FAILED; plaintext to the TLS port and tls without material are coded errors', async () => {
    const dest = { aet: 'TLSPACS', host: '127.0.0.1', port: pacs.dicom, tls: true };
    const theirs = loadTls({ cert: foreign.leaf['intruder']!.cert, key: foreign.leaf['intruder']!.key, ca: foreign.ca, require_client_cert: true });
    await expect(echo(dest, { callingAet: 'INSPECTOR', timeoutSeconds: 5, tls: theirs })).rejects.toMatchObject({ code: 'DICOM_TLS_FAILED' });
    // Our CA, but a certificate Orthanc does not trust: the server refuses us.
    const halfForeign = { ...theirs, ca: ours.ca };
    await expect(echo(dest, { callingAet: 'INSPECTOR', timeoutSeconds: 5, tls: halfForeign })).rejects.toMatchObject({ code: expect.stringMatching(/^DICOM_(TLS_FAILED|NETWORK_ERROR|TIMEOUT)$/) });
    await expect(echo({ ...dest, tls: false }, { callingAet: 'INSPECTOR', timeoutSeconds: 5 })).rejects.toMatchObject({ code: expect.stringMatching(/^DICOM_(NETWORK_ERROR|TIMEOUT|PEER_UNREACHABLE)$/) });
    await expect(echo(dest, { callingAet: 'INSPECTOR', timeoutSeconds: 5 })).rejects.toMatchObject({ code: 'DICOM_TLS_NOT_CONFIGURED' });
  }, 60_000);
});
