/**
 * The worklist's Cancel for a DICOMweb PACS, through the real host handlers and a real Orthanc
 * with its DICOMweb plugin: `dicom.retrieve` of the shared 28-slice CT by WADO-RS is cancelled
 * with `dicom.cancelRetrieve` once the first slice is in (the node's own 'stored' event); the
 * retrieve fails DICOM_CANCELLED with the count, exactly that many whole slices (byte-identical to
 * Orthanc's) stay in the inbox, the history and the worklist, no partial file is left, and
 * retrieving again completes the study.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Host } from '../../../src/host/createHost';
import { dispatch } from '../../../src/host/dispatch';
import { hasShared } from '../../support/paths';
import { freePort, hasOrthanc, Orthanc } from '../dicomnet/orthanc';
import { cancelAtFirstSlice, closeHostAndPacs, CT_SERIES, startHostWithDicom, uploadStudy, walk } from './retrieveSupport';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.skipIf(!hasShared || !hasOrthanc)('dicom.cancelRetrieve: a WADO-RS retrieve cancelled from the worklist keeps what arrived whole (host handlers, Orthanc DICOMweb)', () => {
  const dir = mkdtempSync(join(os.tmpdir(), 'inspector-wado-cancel-'));
  let pacs: Orthanc;
  let host: Host;
  let study = '';
  let slices = 0;
  let inbox = '';
  const call = async (channel: string, input: unknown) => dispatch(host.handlers, channel, input, { checkOutput: true });

  beforeAll(async () => {
    const port = await freePort();
    pacs = await Orthanc.start({ inspector: { aet: 'INSPECTOR', host: '127.0.0.1', port } });
    ({ study, slices } = await uploadStudy(pacs, CT_SERIES));
    const started = await startHostWithDicom(dir, port, `{ url: "${pacs.url}/dicom-web" }`);
    host = started.host;
    const status = started.status;
    expect(status.state).toBe('listening');
    inbox = status.inbox!;
  }, 120_000);

  afterAll(() => closeHostAndPacs(host, pacs, dir));

  it('cancelled after the first slice: DICOM_CANCELLED with the count; exactly those slices, whole, in the inbox, history and worklist; no partial file', async () => {
    expect(slices).toBe(28);
    const { off, cancel } = cancelAtFirstSlice(host, study, call);
    const r = (await call('dicom.retrieve', { studyInstanceUid: study })) as { ok: boolean; error?: { code: string; details: Record<string, number> } };
    off();
    // Before the abort was wired, the cancel was refused and the retrieve brought all 28.
    expect(await cancel()).toEqual({ ok: true, value: { cancelled: true } });
    expect(r.ok).toBe(false);
    expect(r.error!.code).toBe('DICOM_CANCELLED');
    const arrived = r.error!.details['arrived']!;
    expect(arrived).toBeGreaterThanOrEqual(1);
    expect(arrived).toBeLessThan(slices);

    const db = host.history.get().db;
    const rows = db.prepare('SELECT sop_instance_uid AS uid, path, bytes, sha256 FROM dicom_instances WHERE study_instance_uid = ?').all(study) as { uid: string; path: string; bytes: number; sha256: string }[];
    expect(rows).toHaveLength(arrived);
    const { studies } = (await host.handlers['dicom.worklist']({})) as { studies: { studyInstanceUid: string; instances: number; folder: string }[] };
    const row = studies.find((s) => s.studyInstanceUid === study)!;
    expect(row.instances).toBe(arrived);
    // Nothing but the whole instances in the whole inbox: no `.part` left by a part cut off.
    const files = walk(inbox);
    expect(files.filter((f) => !f.endsWith('.dcm'))).toEqual([]);
    expect(files.sort()).toEqual(rows.map((x) => x.path).sort());
    for (const x of rows) {
      const [id] = await pacs.post<string[]>('/tools/find', { Level: 'Instance', Query: { SOPInstanceUID: x.uid } });
      const original = Buffer.from(await (await fetch(`${pacs.url}/instances/${id}/file`)).arrayBuffer());
      const stored = readFileSync(x.path);
      expect(stored.length).toBe(x.bytes);
      expect(sha(stored)).toBe(x.sha256);
      expect(sha(stored)).toBe(sha(original));
    }
    expect(await call('dicom.cancelRetrieve', { studyInstanceUid: study })).toEqual({ ok: true, value: { cancelled: false } });
  }, 120_000);

  it('retrieving again completes the study by WADO-RS', async () => {
    const r = await call('dicom.retrieve', { studyInstanceUid: study });
    expect(r).toMatchObject({ ok: true, value: { method: 'wado', arrived: slices } });
    const { studies } = await host.handlers['dicom.worklist']({});
    expect(studies.find((s) => s.studyInstanceUid === study)!.instances).toBe(slices);
    expect(host.history.get().db.prepare('SELECT count(*) FROM dicom_instances WHERE study_instance_uid = ?').pluck().get(study)).toBe(slices);
    expect(walk(inbox).filter((f) => f.endsWith('.dcm'))).toHaveLength(slices);
  }, 120_000);
});
