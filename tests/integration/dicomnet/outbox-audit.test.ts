/**
 * Issue 12 item 5, the DICOM outbox: the worklist's "Results sent" cell (sent / pending / failed,
 * the last error, the next try) reads `dicom_outbox`. Before it was chained, marking a failed send
 * as sent passed `audit verify`. Now every transition (queued, retry scheduled, failed for good,
 * re-queued, sent) logs the row's hash. Real SQLite, the real outbox code over real sockets: a
 * closed loopback port for the failures, our own DICOM listener as the peer that accepts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DicomListener } from '../../../src/core/dicomnet/listener';
import { enqueue, flushOutbox, listOutbox, MAX_ATTEMPTS, requeueUnsent } from '../../../src/core/dicomnet/outbox';
import { recordInstance } from '../../../src/core/dicomnet/records';
import { worklist } from '../../../src/core/dicomnet/worklist';
import { HistoryStore, readAnchor, verifyAudit } from '../../../src/core/history/index';
import { repoRoot } from '../../support/paths';
import { freePort } from './orthanc';

const SOURCE = join(repoRoot, 'resources', 'samples', 'chest-xray-pneumonia', 'dicom', 'RG1_J2KI.dcm');
const SOURCE_SOP = '1.3.6.1.4.1.5962.1.1.9.1.3.20040826185059.5457';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const dir = mkdtempSync(join(os.tmpdir(), 'inspector-outbox-audit-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'h.sqlite');
  const store = HistoryStore.open(file);
  cleanups.push(() => store.close());
  const port = await freePort();
  const dest = { aet: 'PEER', host: '127.0.0.1', port, objects: ['sr' as const] };
  const id = enqueue(store, { destination: dest, kind: 'sr', sopClassUid: '1.2.840.10008.5.1.4.1.1.9.1.3', sopInstanceUid: SOURCE_SOP, studyInstanceUid: '1.2', runId: null, path: SOURCE });
  const flush = (now?: () => number) => flushOutbox(store, { callingAet: 'NODE_A', timeoutSeconds: 2, retrySeconds: 1, ...(now ? { now } : {}) });
  const verify = () => verifyAudit(store.db, readAnchor(file));
  return { dir, store, port, id, flush, verify };
}

describe('audit verify covers the DICOM outbox', () => {
  it('normal operation verifies at every step: failures, retries, failed for good, re-queued, sent', async () => {
    const { dir, store, port, flush, verify } = await setup();
    expect(verify().firstBreak).toBeNull();
    expect(verify().derived).toContain('dicom_outbox');
    // Peer down: each try fails, the next one is scheduled; the clock moves past each retry delay.
    let clock = Date.now();
    for (let i = 1; i <= MAX_ATTEMPTS; i++) {
      const r = await flush(() => clock);
      expect(r.failed[0]!.error.code).toBe('DICOM_PEER_UNREACHABLE');
      expect(verify().firstBreak).toBeNull();
      clock = listOutbox(store.db)[0]!.nextAttemptAt + 1;
    }
    expect(listOutbox(store.db)[0]).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS, lastErrorCode: 'DICOM_PEER_UNREACHABLE' });
    // A person re-queues; the peer is back; the send goes through.
    const peer = new DicomListener({ aeTitle: 'PEER', port, bind: '127.0.0.1', allow: [{ aet: 'NODE_A' }], inbox: join(dir, 'peer') });
    await peer.start();
    cleanups.push(() => peer.close());
    expect(requeueUnsent(store)).toBe(1);
    expect(verify().firstBreak).toBeNull();
    expect(await flush()).toEqual({ sent: 1, failed: [] });
    expect(listOutbox(store.db)[0]).toMatchObject({ status: 'sent', lastErrorCode: null });
    expect(peer.stored).toBe(1);
    expect(verify().firstBreak).toBeNull();
  });

  it("a failed send marked sent (the worklist's Results sent cell would say sent)", async () => {
    const { store, id, flush, verify } = await setup();
    // The source instance in the worklist, so the cell is really shown for its study.
    recordInstance(store, { ...studyOf(), path: SOURCE, bytes: 1, sha256: 'f'.repeat(64), callingAet: 'MOD', peerHost: '127.0.0.1', receivedAt: 1 });
    await flush();
    expect(worklist(store.db)[0]!.outbox).toMatchObject({ pending: 1, sent: 0, lastErrorCode: 'DICOM_PEER_UNREACHABLE' });
    store.db.prepare(`UPDATE dicom_outbox SET status = 'sent', last_error_code = NULL, last_error = NULL WHERE id = ?`).run(id);
    expect(worklist(store.db)[0]!.outbox).toMatchObject({ pending: 0, sent: 1 });
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'dicom_outbox', entityId: String(id), message: expect.stringMatching(/changed outside the app/) });
  });

  it('the next try moved, or a row deleted or added, is caught', async () => {
    const { store, id, flush, verify } = await setup();
    await flush();
    store.db.prepare('UPDATE dicom_outbox SET next_attempt_at = next_attempt_at + 3600000 WHERE id = ?').run(id);
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'dicom_outbox', entityId: String(id) });
    store.db.prepare('DELETE FROM dicom_outbox WHERE id = ?').run(id);
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'dicom_outbox', entityId: String(id), message: expect.stringMatching(/is gone/) });
  });

  it('a row added outside the app is caught', async () => {
    const { store, verify } = await setup();
    store.db.exec(`INSERT INTO dicom_outbox(created_at, destination, kind, sop_class_uid, sop_instance_uid, study_instance_uid, run_id, path, status, next_attempt_at)
      SELECT created_at, destination, kind, sop_class_uid, sop_instance_uid || '.9', study_instance_uid, run_id, path, 'sent', next_attempt_at FROM dicom_outbox LIMIT 1`);
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'dicom_outbox', message: expect.stringMatching(/never logged/) });
  });
});

function studyOf() {
  return {
    sopInstanceUid: `${SOURCE_SOP}.1`,
    sopClassUid: '1.2.840.10008.5.1.4.1.1.1',
    studyInstanceUid: '1.2',
    seriesInstanceUid: '1.2.1',
    patientId: 'P1',
    accessionNumber: 'A1',
    studyDate: '20240101',
    modality: 'CR',
    bodyPart: 'CHEST',
    stationName: 'S',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
  };
}
