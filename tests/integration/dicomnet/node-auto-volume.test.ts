/* eslint-disable @typescript-eslint/no-explicit-any -- naturalized DICOM is untyped JSON; the test checks its shape */
/**
 * Auto-inspect of a CT series sends ONE multi-frame map per series: storescu pushes the shared
 * 28-slice GE head CT to the node, its auto_inspect rule inspects every slice with the real
 * battery-ct-porosity pack (runBatch, the worker, hirescam maps), and the node sends to two real
 * Orthancs. PACS A (default `volume`) gets per-run SRs and SCs, and exactly one Parametric Map and
 * one SEG for the series, 28 frames each, referencing every source instance; PACS B
 * (`volume: false`) gets 28 single-frame maps, one per slice. A second study whose three slices do
 * not form one stack (one slice's orientation rewritten by dcmodify) is refused as a volume
 * (DICOM_VOLUME_MISMATCH, a `volume-refused` event) and goes per slice instead. dciodvfy finds no
 * errors in the volume map, the volume SEG and a per-slice map.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeEvent } from '../../../src/core/dicomnet/node';
import { listOutbox } from '../../../src/core/dicomnet/outbox';
import { listStudies } from '../../../src/core/dicomnet/records';
import { HistoryAccess } from '../../../src/host/history';
import { hasShared, sharedData } from '../../support/paths';
import { autoInspectCtConfig, held, inspectPushedStudies, uidsOfFiles } from './nodeSupport';
import { dciodvfy, freePort, hasDciodvfy, hasDcmtk, hasOrthanc, Orthanc } from './orthanc';

const run = promisify(execFile);
const SERIES = join(sharedData, 'dicom', 'ct-series-ge-head-tilted');
const PMAP = '1.2.840.10008.5.1.4.1.1.30';
const SEG = '1.2.840.10008.5.1.4.1.1.66.4';
const SC = '1.2.840.10008.5.1.4.1.1.7';
const SR = /^1\.2\.840\.10008\.5\.1\.4\.1\.1\.88\./;
/** The study made of three slices that are not one stack (dcmodify'd copies with their own UIDs). */
const TILTED_STUDY = '1.2.826.0.1.3680043.10.1234.77.1';
const TILTED_SERIES = '1.2.826.0.1.3680043.10.1234.77.2';

describe.skipIf(!hasOrthanc || !hasDciodvfy || !hasDcmtk || !hasShared)('DICOM node auto-inspect: one multi-frame map per CT series', () => {
  const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-auto-volume-'));
  const slices = hasShared ? readdirSync(SERIES).filter((f) => f.endsWith('.dcm')).sort().map((f) => join(SERIES, f)) : [];
  const events: NodeEvent[] = [];
  let volumePacs: Orthanc;
  let slicePacs: Orthanc;
  let history: HistoryAccess;
  let ctStudy = '';
  let ctSops = new Set<string>();
  const tiltedSops = new Set<string>();

  const verify = (bytes: Buffer, name: string) => {
    const file = join(tmp, name);
    writeFileSync(file, bytes);
    return dciodvfy(file);
  };

  beforeAll(async () => {
    ({ study: ctStudy, sops: ctSops } = uidsOfFiles(slices));
    // Three slices as their own study; the middle one tilted, so the three are no single stack.
    const tiltedDir = join(tmp, 'tilted');
    mkdirSync(tiltedDir);
    const tilted = slices.slice(0, 3).map((s, i) => {
      const f = join(tiltedDir, `${i + 1}.dcm`);
      copyFileSync(s, f);
      tiltedSops.add(`${TILTED_SERIES}.${i + 1}`);
      return f;
    });
    for (const [i, f] of tilted.entries()) {
      const mods = [`(0020,000d)=${TILTED_STUDY}`, `(0020,000e)=${TILTED_SERIES}`, `(0008,0018)=${TILTED_SERIES}.${i + 1}`, ...(i === 1 ? ['(0020,0037)=0\\1\\0\\0\\0\\-1'] : [])];
      await run('dcmodify', ['-nb', ...mods.flatMap((m) => ['-m', m]), f]);
    }

    const nodePort = await freePort();
    const inspector = { inspector: { aet: 'INSPECTOR', host: '127.0.0.1', port: nodePort } };
    volumePacs = await Orthanc.start(inspector, 'VOLPACS');
    slicePacs = await Orthanc.start(inspector, 'SLICEPACS');
    history = new HistoryAccess(join(tmp, 'history.sqlite'));
    const config = autoInspectCtConfig(nodePort, [
      `{ aet: VOLPACS, host: 127.0.0.1, port: ${volumePacs.dicom}, objects: [sr, sc, seg, pmap] }`,
      `{ aet: SLICEPACS, host: 127.0.0.1, port: ${slicePacs.dicom}, objects: [pmap], volume: false }`,
    ]);
    await inspectPushedStudies({ config, history, tmp, port: nodePort, events, pushes: [slices, tilted], studies: 2 });
  }, 300_000);

  afterAll(async () => {
    history?.close();
    await volumePacs?.stop();
    await slicePacs?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('both studies inspected, every object sent', () => {
    const s = history.get();
    expect(events.filter((e) => e.event === 'inspect-failed')).toEqual([]);
    expect(listStudies(s.db).map((r) => [r.study_instance_uid, r.status]).sort()).toEqual([[ctStudy, 'inspected'], [TILTED_STUDY, 'inspected']].sort());
    const outbox = listOutbox(s.db);
    expect(outbox.filter((e) => e.status !== 'sent')).toEqual([]);
    // A: 31 SR + 31 SC + the CT volume's SEG and map + 3 SEG and 3 maps of the tilted slices; B: 31 maps.
    expect(outbox.length).toBe(31 + 31 + 2 + 3 + 3 + 31);
  });

  it('PACS A: one 28-frame Parametric Map and one 28-frame SEG for the CT series, referencing every slice; SR and SC per slice', async () => {
    const got = await held(volumePacs, ctStudy);
    const of = (cls: string | RegExp) => got.filter((g) => (typeof cls === 'string' ? g.ds['SOPClassUID'] === cls : cls.test(g.ds['SOPClassUID'])));
    expect(of(SR)).toHaveLength(28);
    expect(of(SC)).toHaveLength(28);
    const maps = of(PMAP);
    const segs = of(SEG);
    expect(maps).toHaveLength(1);
    expect(segs).toHaveLength(1);
    expect(got).toHaveLength(28 + 28 + 2);
    for (const [{ ds, bytes }, name] of [
      [maps[0]!, 'volume-pmap.dcm'],
      [segs[0]!, 'volume-seg.dcm'],
    ] as const) {
      expect(ds).toMatchObject({ NumberOfFrames: 28, Rows: 512, Columns: 512, StudyInstanceUID: ctStudy });
      const referenced = ds['ReferencedSeriesSequence'][0]['ReferencedInstanceSequence'].map((r: any) => r['ReferencedSOPInstanceUID']);
      expect(new Set(referenced)).toEqual(ctSops);
      const derived = (ds['PerFrameFunctionalGroupsSequence'] as any[]).map((fg) => fg['DerivationImageSequence'][0]['SourceImageSequence'][0]['ReferencedSOPInstanceUID']);
      expect(new Set(derived)).toEqual(ctSops);
      const v = verify(bytes, name);
      expect(v.errors, v.output).toEqual([]);
    }
    const volume = events.filter((e): e is Extract<NodeEvent, { event: 'volume-queued' }> => e.event === 'volume-queued');
    expect(volume.map((e) => [e.studyInstanceUid, e.modality, e.runs.length, e.objects])).toEqual([[ctStudy, 'CT', 28, 2]]);
  });

  it('PACS B (volume: false): one single-frame map per slice, each naming its own slice', async () => {
    const got = await held(slicePacs, ctStudy);
    expect(got.map((g) => g.ds['SOPClassUID'])).toEqual(Array(28).fill(PMAP));
    expect(got.map((g) => g.ds['NumberOfFrames'])).toEqual(Array(28).fill(1));
    const refs = got.map((g) => g.ds['ReferencedSeriesSequence'][0]['ReferencedInstanceSequence'].map((r: any) => r['ReferencedSOPInstanceUID']));
    expect(refs.every((r) => r.length === 1)).toBe(true);
    expect(new Set(refs.flat())).toEqual(ctSops);
    const v = verify(got[0]!.bytes, 'slice-pmap.dcm');
    expect(v.errors, v.output).toEqual([]);
  });

  it('slices that are no single stack: refused as a volume with the reason, sent per slice instead', async () => {
    const refused = events.filter((e): e is Extract<NodeEvent, { event: 'volume-refused' }> => e.event === 'volume-refused');
    expect(refused.map((e) => [e.studyInstanceUid, e.seriesInstanceUid, e.runs.length, e.code])).toEqual([[TILTED_STUDY, TILTED_SERIES, 3, 'DICOM_VOLUME_MISMATCH']]);
    expect(refused[0]!.message).toMatch(/orientation/);
    const got = await held(volumePacs, TILTED_STUDY);
    const count = (cls: string | RegExp) => got.filter((g) => (typeof cls === 'string' ? g.ds['SOPClassUID'] === cls : cls.test(g.ds['SOPClassUID']))).length;
    expect([count(SR), count(SC), count(SEG), count(PMAP)]).toEqual([3, 3, 3, 3]);
    const maps = got.filter((g) => g.ds['SOPClassUID'] === PMAP);
    expect(maps.map((m) => m.ds['NumberOfFrames'])).toEqual([1, 1, 1]);
    expect(new Set(maps.map((m) => m.ds['ReferencedSeriesSequence'][0]['ReferencedInstanceSequence'][0]['ReferencedSOPInstanceUID']))).toEqual(tiltedSops);
    expect((await held(slicePacs, TILTED_STUDY)).map((g) => g.ds['NumberOfFrames'])).toEqual([1, 1, 1]);
  });
});
