/**
 * DICOM TLS for the C-MOVE sub-association of Inspector's retrieve SCP: an allow entry that is a
 * move destination with `tls: true` gets its C-STOREs over TLS with the node's certificate. Real
 * peers: a dcmtk `storescp +tls` (mutual TLS, certificates from an openssl CA made here) is the
 * destination, dcmtk `storescu +tls` fills the node's inbox. Debian's dcmtk 3.6.7 `movescu` has
 * no TLS and the node's listener takes TLS only, so the move is asked by Inspector's own C-MOVE
 * SCU over TLS (tested against Orthanc in tls-get / orthanc-query); the peer under test here is the
 * storescp the sub-association reaches.
 * The same destination without `tls` in its entry fails every sub-operation (the TLS storescp
 * does not speak plain DICOM), and the node says why — so the TLS path is what made the first work.
 * The outbox (send_results, `dicom send`) to a `tls: true` destination is checked on the same storescp.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDicomConfig } from '../../../src/core/dicomnet/config';
import { enqueue, flushOutbox, listOutbox } from '../../../src/core/dicomnet/outbox';
import { cMove } from '../../../src/core/dicomnet/query';
import { loadTls } from '../../../src/core/dicomnet/tls';
import { DicomNode, type NodeEvent } from '../../../src/core/dicomnet/node';
import { HistoryStore } from '../../../src/core/history/index';
import { hasShared, sharedData } from '../../support/paths';
import { heldOf } from './naturalize';
import { freePort, hasDcmtk, makeCa } from './orthanc';

const CT = join(sharedData, 'dicom', 'ct-series-ge-head-tilted');
const exec = promisify(execFile);
const dcmtk = (tool: string, args: string[]) =>
  exec(tool, args).then(
    (r) => ({ ok: true, log: `${r.stdout}${r.stderr}` }),
    (e: { stdout: string; stderr: string }) => ({ ok: false, log: `${e.stdout}${e.stderr}` }),
  );
const dir = (p: string) => readdirSync(p).filter((f) => !f.startsWith('.')).map((f) => join(p, f));

describe.skipIf(!hasDcmtk || !hasShared)('C-MOVE SCP to a TLS destination (allow entry with tls: true)', () => {
  const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-retrieve-tls-'));
  const pki = makeCa(tmp, 'plant', ['inspector', 'archive', 'viewer']);
  const tlsArgs = (who: string) => ['+tls', pki.leaf[who]!.key, pki.leaf[who]!.cert, '+cf', pki.ca];
  const files = readdirSync(CT).filter((f) => f.endsWith('.dcm')).sort().slice(0, 8).map((f) => join(CT, f));
  const destDir = join(tmp, 'archive');
  const events: NodeEvent[] = [];
  let storescp: ChildProcess;
  let node: DicomNode;
  let store: HistoryStore;
  let port = 0;
  let study = '';
  let destPort = 0;

  beforeAll(async () => {
    destPort = await freePort();
    mkdirSync(destDir, { recursive: true });
    storescp = spawn('storescp', [...tlsArgs('archive'), '-aet', 'ARCHIVE', '-od', destDir, String(destPort)], { stdio: 'ignore' });
    store = HistoryStore.open(join(tmp, 'history.sqlite'));
    const config = parseDicomConfig(
      [
        'ae_title: INSPECTOR',
        `tls: { cert: ${pki.leaf['inspector']!.cert}, key: ${pki.leaf['inspector']!.key}, ca: ${pki.ca} }`,
        'allow:',
        '  - { aet: VIEWER, host: 127.0.0.1 }',
        `  - { aet: ARCHIVE, host: 127.0.0.1, port: ${destPort}, tls: true }`,
        `  - { aet: ARCHPLAIN, host: 127.0.0.1, port: ${destPort} }`,
        'answer_retrieve: true',
        'timeout_seconds: 10',
      ].join('\n'),
    );
    config.port = 0;
    node = new DicomNode({
      config,
      store,
      inbox: join(tmp, 'inbox'),
      outboxDir: join(tmp, 'outbox'),
      softwareVersion: 'test',
      log: (e) => events.push(e),
      inspect: () => Promise.reject(new Error('no rules: nothing is inspected')),
    });
    port = await node.start();
    const pushed = await dcmtk('storescu', [...tlsArgs('viewer'), '-aet', 'VIEWER', '-aec', 'INSPECTOR', '127.0.0.1', String(port), ...files]);
    expect(pushed.ok, pushed.log).toBe(true);
    study = heldOf(readFileSync(files[0]!)).study;
  }, 60_000);

  afterAll(async () => {
    storescp?.kill('SIGTERM');
    await node?.close();
    store?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const move = (aem: string) => {
    const viewer = loadTls({ cert: pki.leaf['viewer']!.cert, key: pki.leaf['viewer']!.key, ca: pki.ca, require_client_cert: true });
    return cMove({ aet: 'INSPECTOR', host: '127.0.0.1', port, tls: true }, { study }, aem, { callingAet: 'VIEWER', timeoutSeconds: 20, tls: viewer });
  };

  it('moves the study over TLS to storescp +tls: every instance arrives with the pixel data as sent', async () => {
    expect(await move('ARCHIVE')).toEqual({ completed: files.length, failed: 0, warnings: 0 });
    const until = Date.now() + 10_000;
    while (dir(destDir).length < files.length && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const got = new Map(dir(destDir).map((f) => { const h = heldOf(readFileSync(f)); return [h.sop, h] as const; }));
    expect(got.size).toBe(files.length);
    for (const f of files) {
      const sent = heldOf(readFileSync(f));
      expect(got.get(sent.sop)?.pixelData.equals(sent.pixelData), sent.sop).toBe(true);
    }
    expect(events).toContainEqual(expect.objectContaining({ event: 'retrieve-answered', kind: 'move', destination: 'ARCHIVE', completed: files.length, failed: 0 }));
  }, 60_000);

  it('the same destination without tls in its allow entry fails every sub-operation, with a coded reason', async () => {
    const before = dir(destDir).length;
    const err = await move('ARCHPLAIN').then(() => null, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'DICOM_MOVE_FAILED', details: { completed: 0, failed: files.length, status: 0xa702 } });
    const failed = events.find((e) => e.event === 'retrieve-answered' && e['destination'] === 'ARCHPLAIN');
    expect(failed).toMatchObject({ completed: 0, failed: files.length });
    expect(dir(destDir).length).toBe(before);
  }, 60_000);

  it('send_results / the outbox to a tls: true destination: stored in storescp +tls; without the certificate it stays queued, coded', async () => {
    const destination = { aet: 'ARCHIVE', host: '127.0.0.1', port: destPort, objects: ['sr' as const], tls: true };
    const file = files[0]!;
    const sop = heldOf(readFileSync(file)).sop;
    const ours = loadTls({ cert: pki.leaf['inspector']!.cert, key: pki.leaf['inspector']!.key, ca: pki.ca, require_client_cert: true });
    const id = enqueue(store, { destination, kind: 'sr', sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: sop, studyInstanceUid: study, runId: null, path: file });
    const without = await flushOutbox(store, { callingAet: 'INSPECTOR', timeoutSeconds: 5, retrySeconds: 0.001 });
    expect(without.failed).toEqual([{ id, error: expect.objectContaining({ code: 'DICOM_TLS_NOT_CONFIGURED' }) }]);
    const plain = enqueue(store, { destination: { ...destination, tls: false }, kind: 'sr', sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: sop, studyInstanceUid: study, runId: null, path: file });
    await new Promise((r) => setTimeout(r, 20));
    const second = await flushOutbox(store, { callingAet: 'INSPECTOR', timeoutSeconds: 5, retrySeconds: 60, tls: ours });
    expect(second.sent).toBe(1);
    expect(second.failed).toEqual([{ id: plain, error: expect.objectContaining({ code: expect.stringMatching(/^DICOM_(NETWORK_ERROR|TIMEOUT|PEER_UNREACHABLE)$/) }) }]);
    expect(listOutbox(store.db).find((e) => e.id === id)).toMatchObject({ status: 'sent' });
    expect(listOutbox(store.db).find((e) => e.id === plain)).toMatchObject({ status: 'pending' });
  }, 60_000);

  it('config: tls on an allow entry needs the node tls section and a host and port (it is a move destination)', () => {
    const code = (text: string) => { try { parseDicomConfig(text); return 'ok'; } catch (e) { return (e as { code: string }).code; } };
    expect(code('allow: [{ aet: A, host: 127.0.0.1, port: 104, tls: true }]')).toBe('DICOM_CONFIG_INVALID');
    expect(code('tls: { cert: c, key: k, ca: a }\nallow: [{ aet: A, host: 127.0.0.1, tls: true }]')).toBe('DICOM_CONFIG_INVALID');
    expect(code('tls: { cert: c, key: k, ca: a }\nallow: [{ aet: A, host: 127.0.0.1, port: 104, tls: true }]')).toBe('ok');
  });
});
