/* eslint-disable @typescript-eslint/no-explicit-any -- naturalized DICOM is untyped JSON; the test checks its shape */
/**
 * A multi-frame Parametric Map of a CT volume through a real PACS: the 28 slices of the shared GE
 * head series, one recorded run each with its own heatmap, go as ONE map by
 * `inspector dicom send --volume --objects pmap` (C-STORE) to an Orthanc that holds the series.
 * Read back from Orthanc: dciodvfy finds no errors; 28 frames ordered along the slice normal, each
 * with the plane position of its slice and a Derivation Image naming that slice; every frame's
 * floats byte-equal to that slice's map stretched over 512×512. Slices that do not form a volume
 * (a CR among them) are refused with DICOM_VOLUME_MISMATCH and nothing is sent. The volume SEG
 * (`--objects seg`) likewise: 28 frames, each the thresholded map of its slice, dciodvfy clean.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resampleHeatmap } from '../../../src/core/dicomnet/objects/heatmap';
import { heatmapMask, packBits } from '../../../src/core/dicomnet/objects/seg';
import { HistoryStore } from '../../../src/core/history/index';
import { hasShared, repoRoot, sharedData } from '../../support/paths';
import { sampleRecord, tempDir } from '../../unit/history/support';
import { naturalize } from './naturalize';
import { dciodvfy, freePort, hasDciodvfy, hasOrthanc, Orthanc } from './orthanc';

const SERIES = join(sharedData, 'dicom', 'ct-series-ge-head-tilted');
const CR = join(repoRoot, 'resources', 'samples', 'chest-xray-pneumonia', 'dicom', 'RG1_J2KI.dcm');
const W = 24;
const H = 24;

describe.skipIf(!hasOrthanc || !hasDciodvfy || !hasShared)('multi-frame Parametric Map of a CT volume ⇄ Orthanc', () => {
  const t = tempDir('inspector-pmap-volume-');
  const slices = hasShared ? readdirSync(SERIES).filter((f) => f.endsWith('.dcm')).sort().map((f) => join(SERIES, f)) : [];
  let pacs: Orthanc;
  const runs: { runId: number; slice: string; map: Float32Array }[] = [];
  let crRun = 0;

  beforeAll(async () => {
    pacs = await Orthanc.start({ inspector: { aet: 'INSPECTOR', host: '127.0.0.1', port: await freePort() } });
    for (const s of slices) await pacs.upload(s);
    const store = HistoryStore.open(t.file);
    const record = (i: number, path: string, map: Float32Array, modality: 'ct' | 'xray', size: number) => {
      const blob = store.putBlob('heatmap', map, { dtype: 'float32', shape: [H, W] });
      return store.recordInference(
        sampleRecord(i, {
          image: { sourcePath: path, sha256: i.toString(16).padStart(64, 'f'), format: 'dicom', modality, width: size, height: size, validation: { outcome: 'ok' } },
          explanation: { method: 'gradcam', blob: blob.hash, scale: { kind: 'threshold-anchored', threshold: 0.5, width: W, height: H, low: 0, high: 1 } } as never,
        }),
      ).runId;
    };
    slices.forEach((slice, i) => {
      // A disc that wanders from slice to slice, so a frame in the wrong place or order shows.
      const map = new Float32Array(W * H).map((_, p) => (Math.hypot((p % W) - (4 + (i % 16)), Math.floor(p / W) - 4 - (i % 12)) < 4 ? 0.9 - i / 100 : 0.05 + i / 1000));
      runs.push({ runId: record(i + 1, slice, map, 'ct', 512), slice, map });
    });
    crRun = record(100, CR, new Float32Array(W * H).fill(0.5), 'xray', 2048);
    store.close();
  }, 120_000);

  afterAll(async () => {
    await pacs?.stop();
    t.cleanup();
  });

  const send = (runIds: number[], objects = 'pmap') =>
    spawnSync(process.execPath, [join(repoRoot, 'bin', 'inspector.js'), 'dicom', 'send', ...runIds.flatMap((r) => ['--run', String(r)]), '--volume', '--objects', objects, '--to', `${pacs.aet}@127.0.0.1:${pacs.dicom}`, '--db', t.file, '--aet', 'INSPECTOR', '--json'], {
      cwd: repoRoot,
      env: { ...process.env, INSPECTOR_DATA_DIR: join(t.dir, 'data') },
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });

  it('28 slices → one 28-frame map in Orthanc: dciodvfy clean, per-frame position and derivation, frames byte-equal', async () => {
    // Given in reverse: the map orders its frames along the slice normal itself.
    const r = send(runs.map((x) => x.runId).reverse());
    expect(r.status, r.stderr).toBe(0);
    const sent = JSON.parse(r.stdout) as { kind: string; status: string; sopInstanceUid: string }[];
    expect(sent.map((s) => [s.kind, s.status])).toEqual([['pmap', 'sent']]);
    const [id] = await pacs.post<string[]>('/tools/find', { Level: 'Instance', Query: { SOPInstanceUID: sent[0]!.sopInstanceUid } });
    const bytes = Buffer.from(await (await fetch(`${pacs.url}/instances/${id}/file`)).arrayBuffer());
    const file = join(t.dir, 'volume.dcm');
    writeFileSync(file, bytes);
    const v = dciodvfy(file);
    expect(v.errors, v.output).toEqual([]);

    const ds = naturalize(bytes);
    const first = naturalize(readFileSync(slices[0]!));
    expect(ds).toMatchObject({ SOPClassUID: '1.2.840.10008.5.1.4.1.1.30', NumberOfFrames: 28, Rows: 512, Columns: 512, FrameOfReferenceUID: first['FrameOfReferenceUID'], StudyInstanceUID: first['StudyInstanceUID'] });
    const orientation = (first['ImageOrientationPatient'] as number[]).map(Number);
    const [a, b, c, d, e, f] = orientation as [number, number, number, number, number, number];
    const normal = [b * f - c * e, c * d - a * f, a * e - b * d];
    const along = (p: number[]) => p.reduce((s, x, k) => s + x * normal[k]!, 0);
    const bySop = new Map(runs.map((x) => [naturalize(readFileSync(x.slice))['SOPInstanceUID'] as string, x]));
    const floats = Buffer.concat((ds['FloatPixelData'] as ArrayBuffer[]).map((x) => Buffer.from(x)));
    expect(floats.length).toBe(28 * 512 * 512 * 4);
    let previous = -Infinity;
    const seen = new Set<string>();
    (ds['PerFrameFunctionalGroupsSequence'] as Record<string, any>[]).forEach((fg, k) => {
      const sop = fg['DerivationImageSequence'][0]['SourceImageSequence'][0]['ReferencedSOPInstanceUID'] as string;
      const run = bySop.get(sop)!;
      expect(run, sop).toBeDefined();
      seen.add(sop);
      const src = naturalize(readFileSync(run.slice));
      const position = (fg['PlanePositionSequence'][0]['ImagePositionPatient'] as number[]).map(Number);
      position.forEach((p, i) => expect(p).toBeCloseTo(Number((src['ImagePositionPatient'] as number[])[i]), 4));
      expect(along(position)).toBeGreaterThan(previous);
      previous = along(position);
      expect(fg['FrameContentSequence'][0]['DimensionIndexValues']).toBe(k + 1);
      const want = resampleHeatmap({ width: W, height: H, values: run.map, low: 0, high: 1 }, 512, 512);
      const frame = floats.subarray(k * 512 * 512 * 4, (k + 1) * 512 * 512 * 4);
      expect(frame.equals(Buffer.from(want.buffer)), `frame ${k + 1}`).toBe(true);
    });
    expect(seen.size).toBe(28);
    expect(ds['ReferencedSeriesSequence'][0]['ReferencedInstanceSequence']).toHaveLength(28);
  }, 180_000);

  it('the SEG of the volume likewise: 28 frames in Orthanc, dciodvfy clean, each frame the mask of its slice', async () => {
    const r = send(runs.map((x) => x.runId), 'seg');
    expect(r.status, r.stderr).toBe(0);
    const sent = JSON.parse(r.stdout) as { kind: string; status: string; sopInstanceUid: string }[];
    expect(sent.map((s) => [s.kind, s.status])).toEqual([['seg', 'sent']]);
    const [id] = await pacs.post<string[]>('/tools/find', { Level: 'Instance', Query: { SOPInstanceUID: sent[0]!.sopInstanceUid } });
    const bytes = Buffer.from(await (await fetch(`${pacs.url}/instances/${id}/file`)).arrayBuffer());
    const file = join(t.dir, 'volume-seg.dcm');
    writeFileSync(file, bytes);
    const v = dciodvfy(file);
    expect(v.errors, v.output).toEqual([]);
    const ds = naturalize(bytes);
    expect(ds).toMatchObject({ SOPClassUID: '1.2.840.10008.5.1.4.1.1.66.4', NumberOfFrames: 28, Rows: 512, Columns: 512, SegmentationType: 'BINARY' });
    const bits = Buffer.concat((ds['PixelData'] as ArrayBuffer[]).map((x) => Buffer.from(x)));
    const perFrame = (512 * 512) / 8;
    const bySop = new Map(runs.map((x) => [naturalize(readFileSync(x.slice))['SOPInstanceUID'] as string, x]));
    let ones = 0;
    (ds['PerFrameFunctionalGroupsSequence'] as Record<string, any>[]).forEach((fg, k) => {
      const run = bySop.get(fg['DerivationImageSequence'][0]['SourceImageSequence'][0]['ReferencedSOPInstanceUID'] as string)!;
      const src = naturalize(readFileSync(run.slice));
      (fg['PlanePositionSequence'][0]['ImagePositionPatient'] as number[]).forEach((p, i) => expect(Number(p)).toBeCloseTo(Number((src['ImagePositionPatient'] as number[])[i]), 4));
      const mask = heatmapMask({ width: W, height: H, values: run.map, low: 0, high: 1 }, 512, 512);
      ones += mask.reduce((n, x) => n + x, 0);
      expect(bits.subarray(k * perFrame, (k + 1) * perFrame).equals(Buffer.from(packBits(mask))), `frame ${k + 1}`).toBe(true);
    });
    expect(ones).toBeGreaterThan(0);
  }, 180_000);

  it('a CR among the slices: DICOM_VOLUME_MISMATCH, nothing sent', async () => {
    const before = (await pacs.get<string[]>('/instances')).length;
    const r = send([runs[0]!.runId, crRun]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/DICOM_VOLUME_MISMATCH/);
    expect((await pacs.get<string[]>('/instances')).length).toBe(before);
  }, 60_000);
});
