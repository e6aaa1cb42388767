 
/**
 * The Parametric Map built from a recorded run's heatmap (the same `buildResults` the node sends):
 * on a real CT slice (shared GE head series) its geometry is the slice's — frame of reference,
 * position, orientation, spacing — and on the CR chest sample (no patient geometry) it gets a frame
 * of its own. Float pixels equal the heatmap stretched over the source (the SEG's resampling, so
 * the SEG's mask is exactly the map ≥ half its scale), the Real World Value Mapping and the
 * reference to the source are there, and dciodvfy finds no errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resampleHeatmap } from '../../../src/core/dicomnet/objects/heatmap';
import { buildResults } from '../../../src/core/dicomnet/results';
import { HistoryStore } from '../../../src/core/history/index';
import { dciodvfy, hasDciodvfy } from '../../integration/dicomnet/orthanc';
import { hasShared, repoRoot, sharedData } from '../../support/paths';
import { sampleRecord, tempDir } from '../history/support';
import { naturalize } from '../../integration/dicomnet/naturalize';

const SLICE = join(sharedData, 'dicom', 'ct-series-ge-head-tilted', '01.dcm');
const CR = join(repoRoot, 'resources', 'samples', 'chest-xray-pneumonia', 'dicom', 'RG1_J2KI.dcm');
const ROOT = '1.2.826.0.1.3680043.10.1234';

/** A 16 × 12 map with a hot blob off-centre, in a raw score scale (not 0..1). */
function heatmap(): { width: number; height: number; values: Float32Array; low: number; high: number } {
  const width = 16;
  const height = 12;
  const values = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) values[y * width + x] = -2 + 7 * Math.exp(-((x - 11) ** 2 + (y - 4) ** 2) / 6);
  return { width, height, values, low: -2, high: 5 };
}

async function pmapOf(t: { file: string; dir: string }, sourcePath: string, size: number) {
  const store = HistoryStore.open(t.file);
  const h = heatmap();
  const blob = store.putBlob('heatmap', h.values, { dtype: 'float32', shape: [h.height, h.width] });
  const { runId } = store.recordInference(
    sampleRecord(1, {
      image: { sourcePath, sha256: 'e'.repeat(64), format: 'dicom', modality: 'ct', width: size, height: size, validation: { outcome: 'ok' } },
      explanation: { method: 'gradcam', blob: blob.hash, scale: { kind: 'raw', width: h.width, height: h.height, low: h.low, high: h.high } } as never,
    }),
  );
  const files = await buildResults(store, runId, ['pmap', 'seg'], { uidRoot: ROOT, softwareVersion: '0.0.0-test', outDir: join(t.dir, `out-${runId}`) });
  store.close();
  return { files, h, pmap: files.find((f) => f.kind === 'pmap')!, seg: files.find((f) => f.kind === 'seg')! };
}

describe.skipIf(!hasShared)('Parametric Map of the heatmap', () => {
  const t = tempDir('inspector-pmap-');
  afterAll(() => t.cleanup());

  it('on a CT slice: float map on the slice grid, its geometry copied, RWVM, the source referenced, dciodvfy clean', async () => {
    const source = naturalize(readFileSync(SLICE));
    const { pmap, seg, h } = await pmapOf(t, SLICE, 512);
    expect(pmap.sopClassUid).toBe('1.2.840.10008.5.1.4.1.1.30');
    if (hasDciodvfy) {
      const v = dciodvfy(pmap.path);
      expect(v.errors, v.output).toEqual([]);
    } else console.warn('dciodvfy absent: Parametric Map structure checked, conformance not');
    const ds = naturalize(readFileSync(pmap.path));
    expect(ds).toMatchObject({ Rows: 512, Columns: 512, BitsAllocated: 32, NumberOfFrames: 1, StudyInstanceUID: source['StudyInstanceUID'], PatientID: source['PatientID'] });
    expect(ds['FrameOfReferenceUID']).toBe(source['FrameOfReferenceUID']);
    const shared = ds['SharedFunctionalGroupsSequence'][0];
    const frame = ds['PerFrameFunctionalGroupsSequence'][0];
    const near = (a: number[], b: number[]) => a.forEach((x, i) => expect(x).toBeCloseTo(Number(b[i]), 5));
    near(frame['PlanePositionSequence'][0]['ImagePositionPatient'], source['ImagePositionPatient']);
    near(shared['PlaneOrientationSequence'][0]['ImageOrientationPatient'], source['ImageOrientationPatient']);
    near(shared['PixelMeasuresSequence'][0]['PixelSpacing'], source['PixelSpacing']);
    expect(shared['DerivationImageSequence'][0]['SourceImageSequence'][0]['ReferencedSOPInstanceUID']).toBe(source['SOPInstanceUID']);
    expect(ds['ReferencedSeriesSequence'][0]['SeriesInstanceUID']).toBe(source['SeriesInstanceUID']);
    const rwvm = shared['RealWorldValueMappingSequence'][0];
    expect(rwvm).toMatchObject({ RealWorldValueSlope: 1, RealWorldValueIntercept: 0, LUTLabel: 'HEATMAP' });
    expect(rwvm['MeasurementUnitsCodeSequence'][0]).toMatchObject({ CodeValue: '1', CodingSchemeDesignator: 'UCUM' });
    expect(rwvm['DoubleFloatRealWorldValueFirstValueMapped']).toBeLessThanOrEqual(-2);
    expect(rwvm['DoubleFloatRealWorldValueLastValueMapped']).toBeGreaterThanOrEqual(5 * 0.99);

    // The pixels: the heatmap stretched over the slice, as floats, in the map's own units.
    const px = new Float32Array(ds['FloatPixelData'][0] as ArrayBuffer);
    expect(px).toHaveLength(512 * 512);
    const expected = resampleHeatmap(h, 512, 512);
    let worst = 0;
    for (let i = 0; i < px.length; i++) worst = Math.max(worst, Math.abs(px[i]! - expected[i]!));
    expect(worst).toBe(0);
    // Hot where the blob is (x = 11/16, y = 4/12 of the grid), cold in the far corner.
    expect(px[Math.round((4.5 / 12) * 512) * 512 + Math.round((11.5 / 16) * 512)]!).toBeGreaterThan(4);
    expect(px[511 * 512]!).toBeLessThan(-1.9);
    // The SEG of the same run is exactly this map at half its scale.
    const segDs = naturalize(readFileSync(seg.path));
    const bits = new Uint8Array(segDs['PixelData'][0] as ArrayBuffer);
    let differ = 0;
    for (let i = 0; i < px.length; i++) if ((((bits[i >> 3]! >> (i & 7)) & 1) === 1) !== (px[i]! - h.low) / (h.high - h.low) >= 0.5) differ++;
    expect(differ).toBe(0);
  });

  it('on a CR (no patient geometry): a frame of reference of its own, Imager Pixel Spacing, dciodvfy clean', async () => {
    const source = naturalize(readFileSync(CR));
    const { pmap } = await pmapOf(t, CR, 1955);
    if (hasDciodvfy) {
      const v = dciodvfy(pmap.path);
      expect(v.errors, v.output).toEqual([]);
    }
    const ds = naturalize(readFileSync(pmap.path));
    expect(ds).toMatchObject({ Rows: 1955, Columns: 1841, Modality: 'CR' });
    expect(source['FrameOfReferenceUID']).toBeUndefined();
    expect(String(ds['FrameOfReferenceUID']).startsWith(`${ROOT}.`)).toBe(true);
    expect(ds['ImageType']).toEqual(['DERIVED', 'PRIMARY', 'PROJECTION', 'QUANTITY']);
    expect(ds['SharedFunctionalGroupsSequence'][0]['FrameAnatomySequence'][0]['AnatomicRegionSequence'][0]).toMatchObject({ CodeValue: '51185008', CodingSchemeDesignator: 'SCT' });
  });

  it('a run without a heatmap gives DICOM_PMAP_NO_MAP and writes nothing', async () => {
    const store = HistoryStore.open(t.file);
    const { runId } = store.recordInference(
      sampleRecord(2, { image: { sourcePath: SLICE, sha256: 'f'.repeat(64), format: 'dicom', modality: 'ct', width: 512, height: 512, validation: { outcome: 'ok' } } }),
    );
    await expect(buildResults(store, runId, ['pmap'], { uidRoot: ROOT, softwareVersion: '0', outDir: join(t.dir, 'none') })).rejects.toMatchObject({ code: 'DICOM_PMAP_NO_MAP' });
    store.close();
  });
});
