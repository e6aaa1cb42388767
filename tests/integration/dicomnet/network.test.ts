/**
 * The listener and the senders over real sockets: dcmtk's storescu/echoscu as independent peers
 * for receiving, our SCU for the failure paths (rejected association with the peer's reason,
 * unreachable peer, a peer that never answers), and the outbox keeping a failed send across a
 * restart and delivering it once the peer is back.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { dimse } from '../../../src/core/dicomnet/dimse';
import { DicomListener } from '../../../src/core/dicomnet/listener';
import { enqueue, flushOutbox, listOutbox, requeueUnsent } from '../../../src/core/dicomnet/outbox';
import { recordInstance } from '../../../src/core/dicomnet/records';
import { echo, storeFiles } from '../../../src/core/dicomnet/send';
import { HistoryStore } from '../../../src/core/history/index';
import type { InspectorError } from '../../../src/shared/errors';
import { repoRoot } from '../../support/paths';
import { freePort, hasDcmtk } from './orthanc';

const run = promisify(execFile);
const SOURCE = join(repoRoot, 'resources', 'samples', 'chest-xray-pneumonia', 'dicom', 'RG1_J2KI.dcm');
const SOURCE_SOP = '1.3.6.1.4.1.5962.1.1.9.1.3.20040826185059.5457';
const { RejectReason } = dimse.constants;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tmp(): string {
  const d = mkdtempSync(join(os.tmpdir(), 'inspector-dicomnet-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function listener(dir: string, port = 0, store?: HistoryStore): Promise<DicomListener> {
  const l = new DicomListener({
    aeTitle: 'INSPECTOR',
    port,
    bind: '127.0.0.1',
    allow: [{ aet: 'STORESCU', host: '127.0.0.1' }, { aet: 'ECHOSCU' }, { aet: 'NODE_A' }],
    inbox: join(dir, 'inbox'),
    ...(store ? { onStored: (r) => recordInstance(store, r) } : {}),
  });
  await l.start();
  cleanups.push(() => l.close());
  return l;
}

const portOf = (l: DicomListener) => (l as unknown as { server: net.Server }).server.address() as net.AddressInfo;

async function failure(p: Promise<unknown>): Promise<InspectorError> {
  try {
    await p;
  } catch (e) {
    return e as InspectorError;
  }
  throw new Error('expected a failure');
}

describe('DICOM listener', () => {
  it('binds loopback by default and keeps a stored instance byte for byte (dcmtk storescu as the sender)', async ({ skip }) => {
    if (!hasDcmtk) skip('dcmtk (storescu) is not installed');
    const dir = tmp();
    const store = HistoryStore.open(join(dir, 'h.sqlite'));
    cleanups.push(() => store.close());
    const l = await listener(dir, 0, store);
    const addr = portOf(l);
    expect(addr.address).toBe('127.0.0.1');
    await run('echoscu', ['-aet', 'ECHOSCU', '-aec', 'INSPECTOR', '127.0.0.1', String(addr.port)]);
    await run('storescu', ['-xw', '-aet', 'STORESCU', '-aec', 'INSPECTOR', '127.0.0.1', String(addr.port), SOURCE]);
    const row = store.db.prepare('SELECT * FROM dicom_instances').get() as Record<string, string>;
    expect(row).toMatchObject({ sop_instance_uid: SOURCE_SOP, patient_id: '9RG1', calling_aet: 'STORESCU', transfer_syntax: '1.2.840.10008.1.2.4.91', modality: 'CR' });
    expect(row['path']).toBe(join(dir, 'inbox', row['study_instance_uid']!, row['series_instance_uid']!, `${SOURCE_SOP}.dcm`));
    // Same dataset bytes as the original file (the meta header is ours).
    const got = readFileSync(row['path']!);
    const orig = readFileSync(SOURCE);
    const tail = 600_000;
    expect(got.subarray(got.length - tail).equals(orig.subarray(orig.length - tail))).toBe(true);
    const study = store.db.prepare('SELECT status, patient_id FROM dicom_studies').get();
    expect(study).toEqual({ status: 'received', patient_id: '9RG1' });
  });

  it('rejects an unknown calling AE title and a wrong called AE title with the right reasons', async () => {
    const dir = tmp();
    const l = await listener(dir);
    const port = portOf(l).port;
    const rejected: unknown[] = [];
    l.on('rejected', (r) => rejected.push(r));
    const stranger = await failure(echo({ aet: 'INSPECTOR', host: '127.0.0.1', port, objects: ['sr'] }, { callingAet: 'STRANGER', timeoutSeconds: 5 }));
    expect(stranger.code).toBe('DICOM_ASSOCIATION_REJECTED');
    expect(stranger.details).toMatchObject({ result: 1, source: 1, reason: RejectReason.CallingAeNotRecognized });
    expect(stranger.message).toMatch(/calling AE title not recognised/);
    const wrongCalled = await failure(echo({ aet: 'NOT_ME', host: '127.0.0.1', port, objects: ['sr'] }, { callingAet: 'NODE_A', timeoutSeconds: 5 }));
    expect(wrongCalled.code).toBe('DICOM_ASSOCIATION_REJECTED');
    expect(wrongCalled.details).toMatchObject({ reason: RejectReason.CalledAeNotRecognized });
    expect(rejected).toEqual([
      { callingAet: 'STRANGER', calledAet: 'INSPECTOR', host: '127.0.0.1', reason: 'calling-ae-not-recognized' },
      { callingAet: 'NODE_A', calledAet: 'NOT_ME', host: '127.0.0.1', reason: 'called-ae-not-recognized' },
    ]);
    // An allowed peer gets through.
    await echo({ aet: 'INSPECTOR', host: '127.0.0.1', port, objects: ['sr'] }, { callingAet: 'NODE_A', timeoutSeconds: 5 });
  });

  it('refuses an allowed AE title from a host not on its entry', async () => {
    const dir = tmp();
    const l = new DicomListener({ aeTitle: 'INSPECTOR', port: 0, bind: '127.0.0.1', allow: [{ aet: 'NODE_A', host: '10.9.9.9' }], inbox: join(dir, 'inbox') });
    const port = await l.start();
    cleanups.push(() => l.close());
    const e = await failure(echo({ aet: 'INSPECTOR', host: '127.0.0.1', port, objects: ['sr'] }, { callingAet: 'NODE_A', timeoutSeconds: 5 }));
    expect(e.details).toMatchObject({ reason: RejectReason.CallingAeNotRecognized });
  });

  it('says so when the port is taken', async () => {
    const dir = tmp();
    const a = await listener(dir);
    const b = new DicomListener({ aeTitle: 'INSPECTOR', port: portOf(a).port, bind: '127.0.0.1', allow: [], inbox: join(dir, 'inbox') });
    expect((await failure(b.start())).code).toBe('DICOM_PORT_IN_USE');
  });
});

describe('sending', () => {
  it('an unreachable peer and a peer that never answers give coded errors per file', async () => {
    const closed = await freePort();
    const [down] = await storeFiles({ aet: 'X', host: '127.0.0.1', port: closed, objects: ['sr'] }, [SOURCE], { callingAet: 'INSPECTOR', timeoutSeconds: 2 });
    expect(down).toMatchObject({ ok: false, error: { code: 'DICOM_PEER_UNREACHABLE' } });

    // Accepts the TCP connection, then says nothing.
    const sockets: net.Socket[] = [];
    const mute = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), mute.close(() => r()))));
    const started = Date.now();
    const [silent] = await storeFiles({ aet: 'X', host: '127.0.0.1', port: (mute.address() as net.AddressInfo).port, objects: ['sr'] }, [SOURCE], { callingAet: 'INSPECTOR', timeoutSeconds: 1 });
    expect(silent).toMatchObject({ ok: false, error: { code: 'DICOM_TIMEOUT' } });
    expect(Date.now() - started).toBeLessThan(10_000);

    const [missing] = await storeFiles({ aet: 'X', host: '127.0.0.1', port: closed, objects: ['sr'] }, ['/nonexistent.dcm'], { callingAet: 'INSPECTOR', timeoutSeconds: 2 });
    expect(missing).toMatchObject({ ok: false, error: { code: 'DICOM_OBJECT_UNREADABLE' } });
  });

  it('stores into dcmtk storescp (an independent SCP)', async ({ skip }) => {
    if (!hasDcmtk) skip('dcmtk (storescp) is not installed');
    const dir = tmp();
    const port = await freePort();
    const { spawn } = await import('node:child_process');
    const scp = spawn('storescp', ['-aet', 'REFSCP', '-od', dir, '+xa', String(port)], { stdio: 'ignore' });
    cleanups.push(() => void scp.kill());
    for (let i = 0; i < 50; i++) {
      try {
        await echo({ aet: 'REFSCP', host: '127.0.0.1', port, objects: ['sr'] }, { callingAet: 'INSPECTOR', timeoutSeconds: 2 });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const [o] = await storeFiles({ aet: 'REFSCP', host: '127.0.0.1', port, objects: ['sr'] }, [SOURCE], { callingAet: 'INSPECTOR', timeoutSeconds: 10 });
    expect(o).toEqual({ path: SOURCE, ok: true });
    expect(existsSync(join(dir, `CR.${SOURCE_SOP}`))).toBe(true);
  });

  it('the outbox keeps a failed send across a restart and delivers it when the peer is back', async () => {
    const dir = tmp();
    const db = join(dir, 'h.sqlite');
    const port = await freePort();
    const dest = { aet: 'INSPECTOR', host: '127.0.0.1', port, objects: ['sr' as const] };
    let store = HistoryStore.open(db);
    enqueue(store, { destination: dest, kind: 'sr', sopClassUid: '1.2.840.10008.5.1.4.1.1.9.1.3', sopInstanceUid: SOURCE_SOP, studyInstanceUid: '1.2', runId: null, path: SOURCE });
    const first = await flushOutbox(store, { callingAet: 'NODE_A', timeoutSeconds: 2, retrySeconds: 60 });
    expect(first.sent).toBe(0);
    expect(first.failed[0]!.error.code).toBe('DICOM_PEER_UNREACHABLE');
    let [e] = listOutbox(store.db);
    expect(e).toMatchObject({ status: 'pending', attempts: 1, lastErrorCode: 'DICOM_PEER_UNREACHABLE' });
    expect(e!.nextAttemptAt).toBeGreaterThan(Date.now() + 50_000);
    // Not due yet: a flush sends nothing.
    expect((await flushOutbox(store, { callingAet: 'NODE_A', timeoutSeconds: 2, retrySeconds: 60 })).failed).toHaveLength(0);
    store.close(); // "restart"

    const peer = await listener(join(dir, 'peer'), port);
    store = HistoryStore.open(db);
    cleanups.push(() => store.close());
    expect(requeueUnsent(store)).toBe(1);
    const second = await flushOutbox(store, { callingAet: 'NODE_A', timeoutSeconds: 5, retrySeconds: 60 });
    expect(second).toEqual({ sent: 1, failed: [] });
    [e] = listOutbox(store.db);
    expect(e).toMatchObject({ status: 'sent', attempts: 2, lastErrorCode: null });
    expect(peer.stored).toBe(1);
  });
});
