/**
 * The worklist query over real history rows and real inbox files (the shared CT series and the
 * bundled CR), the AI status of each node state, the tag listing the viewer's browser shows, the
 * settings entry that makes the app run the node, and the host service's coded failure.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readHeader } from '../../../src/core/dicomnet/p10';
import { recordInstance, setStudyStatus } from '../../../src/core/dicomnet/records';
import { studySeriesFolders, worklist } from '../../../src/core/dicomnet/worklist';
import { HistoryStore } from '../../../src/core/history/index';
import { listTags } from '../../../src/core/imaging/dicom/tags';
import { loadDicomSetting, loadStation, saveDicomSetting, saveStation } from '../../../src/core/settings/index';
import { DicomNodeService } from '../../../src/host/dicomNode';
import { HistoryAccess } from '../../../src/host/history';
import { appPaths } from '../../../src/host/paths';
import type { WorkerClient } from '../../../src/host/workerClient';
import { repoRoot } from '../../support/paths';
import { hasShared, sharedData } from '../../support/paths';
import { sampleRecord, tempDir } from '../history/support';

const CT = join(sharedData, 'dicom', 'ct-series-ge-head-tilted');
const CR = join(repoRoot, 'resources', 'samples', 'chest-xray-pneumonia', 'dicom', 'RG1_J2KI.dcm');

describe.skipIf(!hasShared)('worklist', () => {
  const t = tempDir('inspector-worklist-');
  afterAll(() => t.cleanup());

  /** Files into <inbox>/<study>/<series>/<sop>.dcm and rows, as the listener does. */
  function receive(store: HistoryStore, file: string, at: number) {
    const bytes = readFileSync(file);
    const h = readHeader(bytes);
    const dir = join(t.dir, 'inbox', h.studyInstanceUid, h.seriesInstanceUid);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${h.sopInstanceUid}.dcm`);
    copyFileSync(file, path);
    recordInstance(store, { ...h, path, bytes: bytes.length, sha256: 'a'.repeat(64), callingAet: 'MODALITY1', peerHost: '127.0.0.1', receivedAt: at });
    return h;
  }

  it('lists each study with patient, description, modality, counts and the AI status of its node state', () => {
    const store = HistoryStore.open(t.file);
    const ct = ['01.dcm', '02.dcm', '03.dcm'].map((f, i) => receive(store, join(CT, f), 1000 + i))[0]!;
    const cr = receive(store, CR, 2000);
    let list = worklist(store.db);
    expect(list.map((s) => s.studyInstanceUid)).toEqual([cr.studyInstanceUid, ct.studyInstanceUid]); // newest first
    const head = list[1]!;
    expect(head).toMatchObject({ patientId: ct.patientId, patientName: 'REMOVED', description: 'HEAD', modalities: ['CT'], series: 1, instances: 3, from: ['MODALITY1'], aiStatus: 'not-run', nodeStatus: 'received' });
    expect(head.folder).toBe(join(t.dir, 'inbox', ct.studyInstanceUid));
    expect(studySeriesFolders(store.db, ct.studyInstanceUid)).toEqual([{ seriesInstanceUid: ct.seriesInstanceUid, modality: 'CT', folder: join(head.folder, ct.seriesInstanceUid), instances: 3 }]);

    setStudyStatus(store, cr.studyInstanceUid, 'inspecting');
    expect(worklist(store.db)[0]!.aiStatus).toBe('running');
    setStudyStatus(store, cr.studyInstanceUid, 'failed', { errorCode: 'DICOM_INSPECT_FAILED' });
    expect(worklist(store.db)[0]).toMatchObject({ aiStatus: 'failed', errorCode: 'DICOM_INSPECT_FAILED' });
    setStudyStatus(store, ct.studyInstanceUid, 'no-rule');

    // Inspected: findings when a run's defect score reached its threshold (or its band's low edge), else no findings.
    const batch = (score: number) => {
      const id = Number(store.db.prepare(`INSERT INTO batches(name, source, started_at) VALUES ('dicom', 'dicom', 1)`).run().lastInsertRowid);
      store.recordInference({ ...sampleRecord(score * 100), batchId: id, score, threshold: 0.5 } as never);
      return id;
    };
    setStudyStatus(store, cr.studyInstanceUid, 'inspected', { batchId: batch(0.2) });
    list = worklist(store.db);
    expect(list.find((s) => s.studyInstanceUid === cr.studyInstanceUid)).toMatchObject({ aiStatus: 'no-findings', runIds: [expect.any(Number)] });
    expect(list.find((s) => s.studyInstanceUid === ct.studyInstanceUid)!.aiStatus).toBe('not-run');
    setStudyStatus(store, cr.studyInstanceUid, 'inspected', { batchId: batch(0.9) });
    expect(worklist(store.db).find((s) => s.studyInstanceUid === cr.studyInstanceUid)!.aiStatus).toBe('findings');
    // Inside the pack's uncertain band (below its high threshold): needs the reader, not "no findings".
    const near = Number(store.db.prepare(`INSERT INTO batches(name, source, started_at) VALUES ('dicom', 'dicom', 1)`).run().lastInsertRowid);
    store.recordInference({ ...sampleRecord(45), batchId: near, score: 0.45, threshold: 0.5, thresholds: { low: 0.4, high: 0.5 } } as never);
    setStudyStatus(store, cr.studyInstanceUid, 'inspected', { batchId: near });
    expect(worklist(store.db).find((s) => s.studyInstanceUid === cr.studyInstanceUid)!.aiStatus).toBe('findings');
    store.close();
  });

  it('tag rows: dictionary names, private elements marked, sequences nested, no pixel bytes', () => {
    const { rows, truncated } = listTags(readFileSync(join(CT, '01.dcm')));
    expect(truncated).toBe(false);
    const byTag = (tag: string) => rows.filter((r) => r.tag === tag);
    expect(byTag('(0018,0050)')[0]).toMatchObject({ vr: 'DS', name: 'SliceThickness', value: '4.0', private: false, depth: 0 });
    expect(byTag('(0019,0010)')[0]).toMatchObject({ name: 'PrivateCreator', value: 'GEMS_ACQU_01', private: true });
    expect(rows.filter((r) => r.private).length).toBeGreaterThan(20);
    const pixel = byTag('(7FE0,0010)')[0]!;
    expect(pixel.value).toBe(`<${512 * 512 * 2} bytes>`);
    // Nothing near the size of a frame crosses IPC.
    expect(Math.max(...rows.map((r) => r.value.length))).toBeLessThanOrEqual(257);
    const sq = rows.find((r) => r.vr === 'SQ');
    if (sq) expect(rows[rows.indexOf(sq) + 1]).toMatchObject({ name: 'Item 1', depth: sq.depth + 1 });
  });

  it('settings.yaml names the node configuration; saving the station keeps it; a bad config is a coded failed state', async () => {
    const data = join(t.dir, 'data');
    mkdirSync(data, { recursive: true });
    expect(loadDicomSetting(data)).toBeNull();
    saveStation(data, { id: 'RAD-00' });
    expect(saveDicomSetting(data, 'dicom.yaml')).toBe(join(data, 'dicom.yaml'));
    expect(loadStation(data)?.id).toBe('RAD-00');
    writeFileSync(join(data, 'settings.yaml'), 'dicom:\n  config: dicom.yaml\n');
    expect(loadDicomSetting(data)).toBe(join(data, 'dicom.yaml'));
    saveStation(data, { id: 'RAD-01' });
    expect(loadDicomSetting(data)).toBe(join(data, 'dicom.yaml'));
    writeFileSync(join(data, 'dicom.yaml'), 'ae_title: INSPECTOR\nport: 11112\nallow: [{ aet: PACS1, hots: 127.0.0.1 }]\n');
    const paths = appPaths(repoRoot, data);
    const history = new HistoryAccess(paths.defaultDatabase);
    // The worker is never reached: the configuration fails validation before anything starts.
    const service = new DicomNodeService({ paths, worker: {} as WorkerClient, history, version: '0.0.0' });
    const s = await service.startFromSettings();
    expect(s.state).toBe('failed');
    expect(s.error?.code).toBe('DICOM_CONFIG_INVALID');
    expect(s.error?.message).toMatch(/hots/);
    writeFileSync(join(data, 'settings.yaml'), 'dicom:\n  confg: dicom.yaml\n');
    expect((await new DicomNodeService({ paths, worker: {} as WorkerClient, history, version: '0' }).startFromSettings()).error?.code).toBe('SETTINGS_BAD_FILE');
    history.close();
  });
});
