/**
 * Query/retrieve against a real Orthanc: C-FIND at study and series level by patient, date,
 * modality and accession; C-MOVE of a study into our listener (recorded like a push); a partial
 * C-MOVE (one instance refused by our side) gives DICOM_MOVE_PARTIAL with the counts, keeps what
 * arrived, and a second move completes it; an unknown move destination gives DICOM_MOVE_FAILED;
 * QIDO-RS finds the study and WADO-RS retrieves it into the inbox; STOW-RS stores an object.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qido, wadoStudy } from '../../../src/core/dicomnet/dicomweb';
import { DicomListener } from '../../../src/core/dicomnet/listener';
import { cFind, cMove, retrieveStudy } from '../../../src/core/dicomnet/query';
import { recordInstance, studyInstances } from '../../../src/core/dicomnet/records';
import { stowFiles } from '../../../src/core/dicomnet/send';
import { HistoryStore } from '../../../src/core/history/index';
import type { InspectorError } from '../../../src/shared/errors';
import { hasShared, repoRoot, sharedData } from '../../support/paths';
import { freePort, hasOrthanc, Orthanc } from './orthanc';

const CR = join(repoRoot, 'resources', 'samples', 'chest-xray-pneumonia', 'dicom', 'RG1_J2KI.dcm');
const CR_STUDY = '1.3.6.1.4.1.5962.1.2.9.20040826185059.5457';
const CT_DIR = join(sharedData, 'dicom', 'ct-series-ge-head-tilted');
const CT = ['01.dcm', '02.dcm', '03.dcm'].map((f) => join(CT_DIR, f));

describe.skipIf(!hasOrthanc || !hasShared)('query/retrieve against Orthanc', () => {
  let pacs: Orthanc;
  let listener: DicomListener;
  let store: HistoryStore;
  let ctStudy = '';
  /** Fault injection on our side: the n-th instance to arrive from now on is refused (0 = none). */
  let failArrival = 0;
  const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-qr-'));
  const inbox = join(tmp, 'inbox');
  let pacsAddr: { aet: string; host: string; port: number; objects: ['sr'] };
  const opts = { callingAet: 'INSPECTOR', timeoutSeconds: 20 };

  beforeAll(async () => {
    const port = await freePort();
    pacs = await Orthanc.start({ inspector: { aet: 'INSPECTOR', host: '127.0.0.1', port } });
    pacsAddr = { aet: pacs.aet, host: '127.0.0.1', port: pacs.dicom, objects: ['sr'] };
    store = HistoryStore.open(join(tmp, 'h.sqlite'));
    listener = new DicomListener({
      aeTitle: 'INSPECTOR',
      port,
      bind: '127.0.0.1',
      allow: [{ aet: pacs.aet, host: '127.0.0.1' }],
      inbox,
      onStored: (r) => {
        // A storage fault on our side for chosen instances (as a full disk would give): the PACS sees the sub-operation fail.
        if (failArrival > 0 && --failArrival === 0) throw Object.assign(new Error('disk full (test)'), { code: 'DICOM_STORE_FAILED' });
        recordInstance(store, r);
      },
    });
    await listener.start();
    await pacs.upload(CR);
    for (const f of CT) {
      const up = await pacs.upload(f);
      ctStudy = (await pacs.get<{ MainDicomTags: Record<string, string> }>(`/studies/${up.ParentStudy}`)).MainDicomTags['StudyInstanceUID']!;
    }
  });

  afterAll(async () => {
    await listener?.close();
    store?.close();
    await pacs?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('C-FIND finds studies by patient, modality, date and accession, and series of a study', async () => {
    const byPatient = await cFind(pacsAddr, { level: 'STUDY', patientId: '9RG1' }, opts);
    expect(byPatient.map((m) => m['StudyInstanceUID'])).toEqual([CR_STUDY]);
    expect(byPatient[0]).toMatchObject({ PatientID: '9RG1', StudyDate: '20040826', AccessionNumber: 'exam Number' });
    const byModality = await cFind(pacsAddr, { level: 'STUDY', modality: 'CT' }, opts);
    expect(byModality.map((m) => m['StudyInstanceUID'])).toEqual([ctStudy]);
    expect(byModality[0]!['NumberOfStudyRelatedInstances']).toBe('3');
    expect((await cFind(pacsAddr, { level: 'STUDY', studyDate: '20040801-20040831' }, opts)).map((m) => m['StudyInstanceUID'])).toEqual([CR_STUDY]);
    expect(await cFind(pacsAddr, { level: 'STUDY', studyDate: '19990101-19991231' }, opts)).toEqual([]);
    expect((await cFind(pacsAddr, { level: 'STUDY', accessionNumber: 'exam Number' }, opts)).map((m) => m['StudyInstanceUID'])).toEqual([CR_STUDY]);
    const series = await cFind(pacsAddr, { level: 'SERIES', studyInstanceUid: CR_STUDY }, opts);
    expect(series).toHaveLength(1);
    expect(series[0]).toMatchObject({ Modality: 'CR', SeriesInstanceUID: '1.3.6.1.4.1.5962.1.3.9.1.20040826185059.5457' });
  });

  it('C-MOVE brings a study into the inbox; a partial move says how much and loses nothing', async () => {
    const ct = await cFind(pacsAddr, { level: 'SERIES', studyInstanceUid: ctStudy }, opts);
    const sops = (await pacs.post<string[]>('/tools/find', { Level: 'Instance', Query: { StudyInstanceUID: ctStudy }, Expand: false })).length;
    expect(sops).toBe(3);
    // Refuse the second instance that arrives.
    failArrival = 2;
    let err: InspectorError | null = null;
    try {
      await retrieveStudy(pacsAddr, ctStudy, listener, opts);
    } catch (e) {
      err = e as InspectorError;
    }
    expect(err?.code, JSON.stringify(err)).toBe('DICOM_MOVE_PARTIAL');
    // Orthanc stops at the failed sub-operation: fewer than the three asked for arrived, and the error says how many.
    const arrived = studyInstances(store.db, ctStudy).length;
    expect(arrived).toBeGreaterThanOrEqual(1);
    expect(arrived).toBeLessThan(3);
    expect(err?.details).toMatchObject({ expected: 3, arrived });
    // The refused file is not left half-recorded in the inbox.
    const dir = join(inbox, ctStudy, ct[0]!['SeriesInstanceUID']!);
    expect(readdirSync(dir).sort()).toEqual(studyInstances(store.db, ctStudy).map((i) => `${i.sop_instance_uid}.dcm`).sort());
    // Again, without the fault: complete.
    expect(await retrieveStudy(pacsAddr, ctStudy, listener, opts)).toMatchObject({ completed: 3, failed: 0, expected: 3, arrived: 3 });
    expect(studyInstances(store.db, ctStudy)).toHaveLength(3);
    expect(studyInstances(store.db, ctStudy)[0]!.calling_aet).toBe(pacs.aet);
  });

  it('C-MOVE to a destination the PACS does not know is a coded failure', async () => {
    await expect(cMove(pacsAddr, { study: CR_STUDY }, 'NOBODY', opts)).rejects.toMatchObject({ code: 'DICOM_MOVE_FAILED' });
  });

  it('QIDO-RS finds, WADO-RS retrieves into the inbox, STOW-RS stores', async () => {
    const web = `${pacs.url}/dicom-web`;
    const found = await qido(web, { level: 'STUDY', patientId: '9RG1' });
    expect(found.map((f) => f['0020000D'])).toEqual([CR_STUDY]);
    expect(found[0]!['00100020']).toBe('9RG1');
    const series = await qido(web, { level: 'SERIES', studyInstanceUid: ctStudy });
    expect(series.map((s) => s['00080060'])).toEqual(['CT']);
    const got = await wadoStudy(web, CR_STUDY, join(tmp, 'wado'), (r) => recordInstance(store, r));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ sopInstanceUid: '1.3.6.1.4.1.5962.1.1.9.1.3.20040826185059.5457', patientId: '9RG1', callingAet: 'DICOMWEB', modality: 'CR' });
    // STOW-RS one CT slice back under a new study? Same file again is accepted (same UID replaces).
    const [o] = await stowFiles(web, [CT[0]!], 20);
    expect(o).toEqual({ path: CT[0], ok: true });
    const [bad] = await stowFiles(`http://127.0.0.1:${await freePort()}/dicom-web`, [CT[0]!], 5);
    expect(bad).toMatchObject({ ok: false, error: { code: 'DICOM_PEER_UNREACHABLE' } });
  });
});
