/* eslint-disable @typescript-eslint/no-explicit-any -- naturalized DICOM is untyped JSON; the assertions check its shape */
/**
 * One SR per study (results.ts `buildStudyReport` → objects/sr.ts `buildStudySr`): three runs on
 * three real CT slices of one study (shared GE head series), with the chest pack's label codes,
 * become ONE Comprehensive SR — a TID 1501 image-level group per run naming that run's slice,
 * each region a planar ROI group whose SCOORD is selected from that run's slice, the findings as
 * the pack's SCT codes, every slice in the image library and in the evidence, a run's reviewer
 * decision inside its own group — and dciodvfy finds no errors. Runs of two studies are refused
 * with DICOM_SR_STUDY_MISMATCH, runs of two packs with DICOM_SR_PACK_MISMATCH, and nothing is
 * written then.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labelCodings } from '../../../src/core/dicomnet/objects/common';
import { buildStudyReport } from '../../../src/core/dicomnet/results';
import { HistoryStore } from '../../../src/core/history/index';
import { readManifest } from '../../../src/core/packs/load';
import { dciodvfy, hasDciodvfy } from '../../integration/dicomnet/orthanc';
import { items, naturalize } from '../../integration/dicomnet/naturalize';
import { hasShared, repoRoot, sharedData } from '../../support/paths';
import { sampleRecord, tempDir } from '../history/support';

const ROOT = '1.2.826.0.1.3680043.10.1234';
const SERIES = join(sharedData, 'dicom', 'ct-series-ge-head-tilted');
const CR = join(repoRoot, 'resources', 'samples', 'chest-xray-pneumonia', 'dicom', 'RG1_J2KI.dcm');
const CODINGS = labelCodings(readManifest(join(repoRoot, 'models', 'chest-xray-pneumonia')).manifest.labels);

const conceptOf = (i: Record<string, any>) => i['ConceptNameCodeSequence']?.[0]?.['CodeValue'] as string | undefined;
const children = (i: Record<string, any>) => (i['ContentSequence'] ?? []) as Record<string, any>[];
const sopsOf = (i: Record<string, any>) => [...items(i)].filter((c) => c['ValueType'] === 'IMAGE').map((c) => c['ReferencedSOPSequence'][0]['ReferencedSOPInstanceUID'] as string);

describe.skipIf(!hasShared)('one SR over the runs of a study', () => {
  const t = tempDir('inspector-study-sr-');
  afterAll(() => t.cleanup());
  const slices = hasShared ? readdirSync(SERIES).filter((f) => f.endsWith('.dcm')).sort().slice(0, 3).map((f) => join(SERIES, f)) : [];

  function record(store: HistoryStore, i: number, source: string, regions: [number, number, number, number][], pack = 'chest-xray-pneumonia') {
    return store.recordInference(
      sampleRecord(i, {
        image: { sourcePath: source, sha256: (i + 0xab).toString(16).padStart(64, '0'), format: 'dicom', modality: 'ct', width: 512, height: 512, validation: { outcome: 'ok' } },
        pack: { name: pack, version: '1.0.0', fileHashes: { 'model.onnx': 'a'.repeat(64), 'pack.yaml': 'b'.repeat(64) } },
        verdict: regions.length ? 'pneumonia' : 'normal',
        probabilities: { normal: regions.length ? 0.25 : 0.75, pneumonia: regions.length ? 0.75 : 0.25 },
        regions: regions.map((box) => ({ box, label: 'pneumonia', score: 0.9 })),
      }),
    ).runId;
  }

  it('three slices → one SR: a group per run naming its slice, SCOORDs on that slice, SCT findings, evidence of all; dciodvfy clean', () => {
    const store = HistoryStore.open(t.file);
    const boxes: [number, number, number, number][][] = [[[100, 120, 40, 30]], [], [[10, 20, 30, 40], [300, 310, 20, 25]]];
    const runIds = slices.map((s, i) => record(store, i + 1, s, boxes[i]!));
    store.createOperator({ id: 'kim.r', name: 'Kim Radiographer', role: 'reviewer' });
    store.recordReview({ runId: runIds[1]!, operatorId: 'kim.r', decision: 'override', label: 'pneumonia' });
    const file = buildStudyReport(store, runIds, { uidRoot: ROOT, softwareVersion: '0.0.0-test', outDir: join(t.dir, 'study'), labelCodings: CODINGS });
    store.close();
    expect(file.runId).toBe(runIds[0]);
    if (hasDciodvfy) {
      const v = dciodvfy(file.path);
      expect(v.errors, v.output).toEqual([]);
    } else console.warn('dciodvfy absent: structure checked, conformance not');

    const sources = slices.map((s) => naturalize(readFileSync(s)));
    const sops = sources.map((s) => s['SOPInstanceUID'] as string);
    expect(new Set(sops).size).toBe(3);
    const ds = naturalize(readFileSync(file.path));
    expect(ds).toMatchObject({ Modality: 'SR', StudyInstanceUID: sources[0]!['StudyInstanceUID'], PatientID: sources[0]!['PatientID'], VerificationFlag: 'UNVERIFIED', CompletionFlag: 'COMPLETE' });
    expect(file.studyInstanceUid).toBe(sources[0]!['StudyInstanceUID']);

    // Evidence and image library: every slice, once.
    const evidence = ds['CurrentRequestedProcedureEvidenceSequence'];
    expect(evidence).toHaveLength(1);
    expect(evidence[0]['StudyInstanceUID']).toBe(sources[0]!['StudyInstanceUID']);
    expect(evidence[0]['ReferencedSeriesSequence'].map((s: any) => s['SeriesInstanceUID'])).toEqual([sources[0]!['SeriesInstanceUID']]);
    expect(evidence[0]['ReferencedSeriesSequence'][0]['ReferencedSOPSequence'].map((r: any) => r['ReferencedSOPInstanceUID'])).toEqual(sops);
    const library = children(ds).find((i) => conceptOf(i) === '111028')!;
    expect(sopsOf(library)).toEqual(sops);

    // Measurements: per run its image-level group, then one group per region.
    const measurements = children(ds).find((i) => conceptOf(i) === '126010')!;
    const groups = children(measurements);
    expect(groups.every((g) => conceptOf(g) === '125007')).toBe(true);
    expect(groups).toHaveLength(3 + 1 + 0 + 2);
    const tracking = (g: Record<string, any>) => children(g).find((i) => conceptOf(i) === '112039')!['TextValue'];
    const trackingUid = (g: Record<string, any>) => children(g).find((i) => conceptOf(i) === '112040')!['UID'];
    expect(groups.map(tracking)).toEqual([
      `run ${runIds[0]} image classification`,
      `run ${runIds[0]} region 1`,
      `run ${runIds[1]} image classification`,
      `run ${runIds[2]} image classification`,
      `run ${runIds[2]} region 1`,
      `run ${runIds[2]} region 2`,
    ]);
    expect(new Set(groups.map(trackingUid)).size).toBe(6);
    // Each group references its own run's slice, and only that one.
    expect(groups.map(sopsOf)).toEqual([[sops[0]], [sops[0]], [sops[1]], [sops[2]], [sops[2]], [sops[2]]]);
    const scoords = groups.map((g) => children(g).find((i) => i['ValueType'] === 'SCOORD')?.['GraphicData']);
    expect(scoords).toEqual([undefined, [100, 120, 140, 120, 140, 150, 100, 150, 100, 120], undefined, undefined, [10, 20, 40, 20, 40, 60, 10, 60, 10, 20], [300, 310, 320, 310, 320, 335, 300, 335, 300, 310]]);
    // The pack's codes: pneumonia is SCT 233604007, normal SCT 17621005.
    const findingOf = (g: Record<string, any>) => children(g).find((i) => conceptOf(i) === '121071')!['ConceptCodeSequence'][0];
    expect(groups.map((g) => `${findingOf(g)['CodingSchemeDesignator']} ${findingOf(g)['CodeValue']}`)).toEqual(['SCT 233604007', 'SCT 233604007', 'SCT 17621005', 'SCT 233604007', 'SCT 233604007', 'SCT 233604007']);
    // The reviewed run's decision sits in its own group (the root would not say which run), the document stays UNVERIFIED (two runs unreviewed).
    const decisionsIn = groups.map((g) => children(g).filter((i) => conceptOf(i) === 'review').map((i) => i['ConceptCodeSequence'][0]['CodeValue']));
    expect(decisionsIn).toEqual([[], [], ['overridden'], [], [], []]);
    expect(children(ds).filter((i) => conceptOf(i) === 'review')).toEqual([]);
    expect(ds['VerifyingObserverSequence']).toBeUndefined();
  });

  it('runs of two studies → DICOM_SR_STUDY_MISMATCH; of two packs → DICOM_SR_PACK_MISMATCH; nothing written', () => {
    expect(existsSync(CR)).toBe(true);
    const store = HistoryStore.open(t.file);
    const ct = record(store, 10, slices[0]!, []);
    const cr = record(store, 11, CR, []);
    const otherPack = record(store, 12, slices[1]!, [], 'battery-ct-porosity');
    const out = join(t.dir, 'refused');
    expect(() => buildStudyReport(store, [ct, cr], { uidRoot: ROOT, softwareVersion: '0.0.0-test', outDir: out })).toThrow(expect.objectContaining({ code: 'DICOM_SR_STUDY_MISMATCH', message: expect.stringContaining(`Run ${cr}`) }));
    expect(() => buildStudyReport(store, [ct, otherPack], { uidRoot: ROOT, softwareVersion: '0.0.0-test', outDir: out })).toThrow(expect.objectContaining({ code: 'DICOM_SR_PACK_MISMATCH' }));
    expect(() => buildStudyReport(store, [], { uidRoot: ROOT, softwareVersion: '0.0.0-test', outDir: out })).toThrow(expect.objectContaining({ code: 'USAGE' }));
    store.close();
    expect(existsSync(out)).toBe(false);
  });
});
