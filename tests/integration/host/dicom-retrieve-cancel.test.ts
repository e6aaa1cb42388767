/**
 * The worklist's Cancel through the real host handlers and a real Orthanc: `dicom.retrieve` of the
 * shared 28-slice CT by C-GET is cancelled with `dicom.cancelRetrieve` once the first slice is in
 * (the node's own 'stored' event); the retrieve fails DICOM_CANCELLED with the count, and exactly
 * that many slices stay in the inbox, the history and the worklist. Retrieving again completes the
 * study. A cancel with nothing running says so; a bad UID is refused by the contract; a second
 * retrieve of a study already being retrieved is refused with its code.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Host } from '../../../src/host/createHost';
import { dispatch } from '../../../src/host/dispatch';
import { hasShared } from '../../support/paths';
import { freePort, hasOrthanc, Orthanc } from '../dicomnet/orthanc';
import { cancelAtFirstSlice, closeHostAndPacs, CT_SERIES, startHostWithDicom, uploadStudy, walk } from './retrieveSupport';

describe.skipIf(!hasShared || !hasOrthanc)('dicom.cancelRetrieve: a C-GET cancelled from the worklist keeps what arrived (host handlers, Orthanc)', () => {
  const dir = mkdtempSync(join(os.tmpdir(), 'inspector-retrieve-cancel-'));
  let pacs: Orthanc;
  let host: Host;
  let study = '';
  let slices = 0;
  const call = async (channel: string, input: unknown) => dispatch(host.handlers, channel, input, { checkOutput: true });

  beforeAll(async () => {
    const port = await freePort();
    pacs = await Orthanc.start({ inspector: { aet: 'INSPECTOR', host: '127.0.0.1', port } });
    ({ study, slices } = await uploadStudy(pacs, CT_SERIES));
    const started = await startHostWithDicom(dir, port, `{ aet: TESTPACS, host: 127.0.0.1, port: ${pacs.dicom} }`);
    host = started.host;
    const status = started.status;
    expect(status.state).toBe('listening');
  }, 120_000);

  afterAll(() => closeHostAndPacs(host, pacs, dir));

  it('nothing running: cancelled false; a UID that is not one is refused by the contract', async () => {
    expect(await call('dicom.cancelRetrieve', { studyInstanceUid: study })).toEqual({ ok: true, value: { cancelled: false } });
    const bad = await call('dicom.cancelRetrieve', { studyInstanceUid: '1.2; DROP' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'IPC_INVALID_PAYLOAD' } });
    expect(await call('dicom.cancelRetrieve', {})).toMatchObject({ ok: false, error: { code: 'IPC_INVALID_PAYLOAD' } });
  });

  it('cancelled after the first slice: DICOM_CANCELLED with the count, and those slices are kept in the inbox, history and worklist; a second retrieve meanwhile is refused', async () => {
    expect(slices).toBe(28);
    const { off, cancel } = cancelAtFirstSlice(host, study, call);
    const running = call('dicom.retrieve', { studyInstanceUid: study });
    // The same study again while it runs: refused, the first one goes on.
    expect(await call('dicom.retrieve', { studyInstanceUid: study })).toMatchObject({ ok: false, error: { code: 'DICOM_RETRIEVE_RUNNING' } });
    const r = (await running) as { ok: false; error: { code: string; details: Record<string, number> } };
    off();
    expect(await cancel()).toEqual({ ok: true, value: { cancelled: true } });
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe('DICOM_CANCELLED');
    const arrived = r.error.details['arrived']!;
    expect(arrived).toBeGreaterThanOrEqual(1);
    expect(arrived).toBeLessThan(slices);

    const db = host.history.get().db;
    expect(db.prepare('SELECT count(*) FROM dicom_instances WHERE study_instance_uid = ?').pluck().get(study)).toBe(arrived);
    const { studies } = (await host.handlers['dicom.worklist']({})) as { studies: { studyInstanceUid: string; instances: number; folder: string }[] };
    const row = studies.find((s) => s.studyInstanceUid === study)!;
    expect(row.instances).toBe(arrived);
    expect(walk(row.folder).filter((f) => f.endsWith('.dcm'))).toHaveLength(arrived);
    // Ended: nothing left to cancel.
    expect(await call('dicom.cancelRetrieve', { studyInstanceUid: study })).toEqual({ ok: true, value: { cancelled: false } });
  }, 120_000);

  it('retrieving again completes the study', async () => {
    const r = await call('dicom.retrieve', { studyInstanceUid: study });
    expect(r).toMatchObject({ ok: true, value: { method: 'get', expected: slices } });
    const { studies } = await host.handlers['dicom.worklist']({});
    expect(studies.find((s) => s.studyInstanceUid === study)!.instances).toBe(slices);
  }, 120_000);
});
