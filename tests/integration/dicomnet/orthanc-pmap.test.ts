 
/**
 * The Parametric Map through a real PACS: a run on a real CT slice (shared GE head series) with a
 * recorded heatmap is sent by `inspector dicom send --objects pmap`, by C-STORE and by STOW-RS, to
 * Orthanc, which holds the slice. Read back from Orthanc: filed in the slice's study, the float
 * pixels unchanged, the slice's frame of reference and position, the reference to the slice, and
 * dciodvfy finds no errors in what Orthanc stored.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/core/history/index';
import { hasShared, repoRoot, sharedData } from '../../support/paths';
import { sampleRecord, tempDir } from '../../unit/history/support';
import { dciodvfy, freePort, hasDciodvfy, hasOrthanc, Orthanc } from './orthanc';
import { naturalize } from './naturalize';

const SLICE = join(sharedData, 'dicom', 'ct-series-ge-head-tilted', '01.dcm');

describe.skipIf(!hasOrthanc || !hasDciodvfy || !hasShared)('Parametric Map ⇄ Orthanc', () => {
  const t = tempDir('inspector-pmap-orthanc-');
  let pacs: Orthanc;
  let runId: number;
  let map: Float32Array;
  const source = naturalize(readFileSync(SLICE));

  beforeAll(async () => {
    pacs = await Orthanc.start({ inspector: { aet: 'INSPECTOR', host: '127.0.0.1', port: await freePort() } });
    await pacs.upload(SLICE);
    const store = HistoryStore.open(t.file);
    const width = 24;
    const height = 24;
    map = new Float32Array(width * height).map((_, i) => Math.hypot((i % width) - 16, Math.floor(i / width) - 8) < 5 ? 0.9 : 0.05);
    const blob = store.putBlob('heatmap', map, { dtype: 'float32', shape: [height, width] });
    runId = store.recordInference(
      sampleRecord(1, {
        image: { sourcePath: SLICE, sha256: 'e'.repeat(64), format: 'dicom', modality: 'ct', width: 512, height: 512, validation: { outcome: 'ok' } },
        explanation: { method: 'gradcam', blob: blob.hash, scale: { kind: 'threshold-anchored', threshold: 0.5, width, height, low: 0, high: 1 } } as never,
      }),
    ).runId;
    store.close();
  });

  afterAll(async () => {
    await pacs?.stop();
    t.cleanup();
  });

  const send = (...to: string[]) =>
    spawnSync(process.execPath, [join(repoRoot, 'bin', 'inspector.js'), 'dicom', 'send', '--run', String(runId), ...to, '--objects', 'pmap', '--db', t.file, '--aet', 'INSPECTOR', '--json'], {
      cwd: repoRoot,
      env: { ...process.env, INSPECTOR_DATA_DIR: join(t.dir, 'data') },
      encoding: 'utf8',
    });

  it('is stored by C-STORE and STOW-RS and read back with its floats, geometry and reference intact', async () => {
    const viaDimse = send('--to', `${pacs.aet}@127.0.0.1:${pacs.dicom}`);
    expect(viaDimse.status, viaDimse.stderr).toBe(0);
    const viaStow = send('--url', `${pacs.url}/dicom-web`);
    expect(viaStow.status, viaStow.stderr).toBe(0);
    const sent = [...JSON.parse(viaDimse.stdout), ...JSON.parse(viaStow.stdout)] as { kind: string; status: string; sopInstanceUid: string; path: string }[];
    expect(sent.map((s) => [s.kind, s.status])).toEqual([['pmap', 'sent'], ['pmap', 'sent']]);
    // Filed with the slice, in its study.
    expect(await pacs.instancesOfStudy(source['StudyInstanceUID'])).toHaveLength(3);

    for (const s of sent) {
      const [id] = await pacs.post<string[]>('/tools/find', { Level: 'Instance', Query: { SOPInstanceUID: s.sopInstanceUid } });
      expect(id).toBeTruthy();
      const bytes = Buffer.from(await (await fetch(`${pacs.url}/instances/${id}/file`)).arrayBuffer());
      const f = join(t.dir, `stored-${s.sopInstanceUid}.dcm`);
      writeFileSync(f, bytes);
      const v = dciodvfy(f);
      expect(v.errors, v.output).toEqual([]);
      const ds = naturalize(bytes);
      expect(ds).toMatchObject({ SOPClassUID: '1.2.840.10008.5.1.4.1.1.30', Rows: 512, Columns: 512, BitsAllocated: 32, FrameOfReferenceUID: source['FrameOfReferenceUID'] });
      expect(ds['SharedFunctionalGroupsSequence'][0]['DerivationImageSequence'][0]['SourceImageSequence'][0]['ReferencedSOPInstanceUID']).toBe(source['SOPInstanceUID']);
      const position = ds['PerFrameFunctionalGroupsSequence'][0]['PlanePositionSequence'][0]['ImagePositionPatient'] as number[];
      position.forEach((p, i) => expect(p).toBeCloseTo(Number(source['ImagePositionPatient'][i]), 5));
      // The floats Orthanc returns are the ones we wrote: the map's 0.9 disc and 0.05 background, stretched.
      const stored = new Float32Array(ds['FloatPixelData'][0] as ArrayBuffer);
      const written = new Float32Array(naturalize(readFileSync(s.path))['FloatPixelData'][0] as ArrayBuffer);
      expect(Buffer.from(stored.buffer).equals(Buffer.from(written.buffer))).toBe(true);
      expect(stored[Math.round((8.5 / 24) * 512) * 512 + Math.round((16.5 / 24) * 512)]).toBeCloseTo(0.9, 5);
      expect(stored[500 * 512 + 10]).toBeCloseTo(0.05, 5);
    }
  });
});
