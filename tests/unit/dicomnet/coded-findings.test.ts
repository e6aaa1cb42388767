/* eslint-disable @typescript-eslint/no-explicit-any -- naturalized DICOM is untyped JSON; the assertions check its shape */
/**
 * Findings with coded concepts (issue #17 item 4): the SR and SEG of a chest-xray-pneumonia run,
 * built by `buildResults` (what the node sends) with the codes of the shipped pack's own manifest,
 * code the finding as SNOMED CT 233604007 "Pneumonia" — the image-level finding, the region's, the
 * per-label probabilities' and the reviewer's class — and the SEG's segmented property type the
 * same, under SCT 49755003; a battery-ct-porosity run (industrial: no standard code) keeps its
 * private 99INSPECTOR codes, declared in the Coding Scheme Identification Sequence. Both pass
 * dciodvfy without errors. Repository samples only (no ../shared data).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labelCodings, type LabelCodings } from '../../../src/core/dicomnet/objects/common';
import { buildResults } from '../../../src/core/dicomnet/results';
import { HistoryStore } from '../../../src/core/history/index';
import { readManifest } from '../../../src/core/packs/load';
import { dciodvfy, hasDciodvfy } from '../../integration/dicomnet/orthanc';
import { items, naturalize } from '../../integration/dicomnet/naturalize';
import { repoRoot } from '../../support/paths';
import { sampleRecord, tempDir } from '../history/support';

const ROOT = '1.2.826.0.1.3680043.10.1234';
const CR = join(repoRoot, 'resources', 'samples', 'chest-xray-pneumonia', 'dicom', 'RG1_J2KI.dcm');
const CT = join(repoRoot, 'resources', 'samples', 'battery-ct-porosity', 'dicom-series', 'ct_slice2_porosity_1.dcm');
const codingsOf = (pack: string): LabelCodings => labelCodings(readManifest(join(repoRoot, 'models', pack)).manifest.labels);

const conceptOf = (i: Record<string, any>) => i['ConceptNameCodeSequence']?.[0]?.['CodeValue'] as string | undefined;
const valueOf = (i: Record<string, any>) => {
  const c = i['ConceptCodeSequence']?.[0];
  return c ? { CodeValue: c['CodeValue'], CodingSchemeDesignator: c['CodingSchemeDesignator'], CodeMeaning: c['CodeMeaning'] } : undefined;
};
const code = (CodeValue: string, CodingSchemeDesignator: string, CodeMeaning: string) => ({ CodeValue, CodingSchemeDesignator, CodeMeaning });
const PNEUMONIA = code('233604007', 'SCT', 'Pneumonia');
const NORMAL = code('17621005', 'SCT', 'Normal');

/** A 16 × 12 map with a hot blob, so the SEG has a segment to carry. */
function heatmap() {
  const width = 16;
  const height = 12;
  const values = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) values[y * width + x] = Math.exp(-((x - 11) ** 2 + (y - 4) ** 2) / 6);
  return { width, height, values, low: 0, high: 1 };
}

function recordRun(store: HistoryStore, opts: { source: string; modality: 'xray' | 'ct'; size: [number, number]; pack: string; verdict: string; probabilities: Record<string, number>; region: string }) {
  const h = heatmap();
  const blob = store.putBlob('heatmap', h.values, { dtype: 'float32', shape: [h.height, h.width] });
  return store.recordInference(
    sampleRecord(1, {
      image: { sourcePath: opts.source, sha256: 'e'.repeat(64), format: 'dicom', modality: opts.modality, width: opts.size[1], height: opts.size[0], validation: { outcome: 'ok' } },
      pack: { name: opts.pack, version: '1.0.0', fileHashes: { 'model.onnx': 'a'.repeat(64), 'pack.yaml': 'b'.repeat(64) } },
      verdict: opts.verdict,
      probabilities: opts.probabilities,
      regions: [{ box: [400, 300, 600, 500], label: opts.region, score: 0.9 }],
      explanation: { method: 'gradcam', blob: blob.hash, scale: { kind: 'anchored', width: h.width, height: h.height, low: h.low, high: h.high } } as never,
    }),
  ).runId;
}

function conformant(path: string): void {
  if (!hasDciodvfy) return void console.warn('dciodvfy absent: structure checked, conformance not');
  const v = dciodvfy(path);
  expect(v.errors, v.output).toEqual([]);
}

describe('coded findings in the SR and SEG', () => {
  const t = tempDir('inspector-coded-findings-');
  afterAll(() => t.cleanup());

  it('a chest-xray-pneumonia run: the finding is SCT 233604007 "Pneumonia" in the SR and the SEG; dciodvfy clean', async () => {
    const store = HistoryStore.open(t.file);
    const runId = recordRun(store, { source: CR, modality: 'xray', size: [1955, 1841], pack: 'chest-xray-pneumonia', verdict: 'pneumonia', probabilities: { normal: 0.2, pneumonia: 0.8 }, region: 'pneumonia' });
    store.createOperator({ id: 'kim.r', name: 'Kim Radiographer', role: 'reviewer' });
    store.recordReview({ runId, operatorId: 'kim.r', decision: 'override', label: 'normal' });
    const codings = codingsOf('chest-xray-pneumonia');
    const files = await buildResults(store, runId, ['sr', 'seg'], { uidRoot: ROOT, softwareVersion: '0.0.0-test', outDir: join(t.dir, 'chest'), labelCodings: codings });
    store.close();
    const sr = files.find((f) => f.kind === 'sr')!;
    const seg = files.find((f) => f.kind === 'seg')!;
    conformant(sr.path);
    conformant(seg.path);

    const ds = naturalize(readFileSync(sr.path));
    const all = [...items(ds)];
    const groups = all.filter((i) => conceptOf(i) === '125007');
    const findingOf = (g: Record<string, any>) => valueOf((g['ContentSequence'] as Record<string, any>[]).find((i) => conceptOf(i) === '121071')!);
    // The image-level group and the region's group: the finding is the SNOMED concept.
    expect(groups.map(findingOf)).toEqual([PNEUMONIA, PNEUMONIA]);
    // Each label's probability is qualified by its own concept.
    const probabilities = all.filter((i) => conceptOf(i) === 'probability' && (i['ContentSequence'] as Record<string, any>[]).some((c) => conceptOf(c) === '121071'));
    expect(probabilities.map((p) => [findingOf(p), p['MeasuredValueSequence'][0]['NumericValue']])).toEqual([
      [NORMAL, 0.2],
      [PNEUMONIA, 0.8],
    ]);
    // The reviewer's class (override to normal) too.
    const review = all.find((i) => conceptOf(i) === 'review')!;
    expect(valueOf(review)).toEqual(code('overridden', '99INSPECTOR', 'AI result overridden'));
    expect(findingOf(review)).toEqual(NORMAL);
    // No finding is left in the private scheme; the rest of the document is as before.
    expect(all.filter((i) => conceptOf(i) === '121071').map((i) => valueOf(i)!.CodingSchemeDesignator)).toEqual(['SCT', 'SCT', 'SCT', 'SCT', 'SCT']);
    expect(all.find((i) => conceptOf(i) === '111001')!['TextValue']).toBe('chest-xray-pneumonia');
    expect(all.find((i) => i['ValueType'] === 'SCOORD')!['GraphicData']).toEqual([400, 300, 1000, 300, 1000, 800, 400, 800, 400, 300]);
    // Probabilities and the decision are still private concepts: the scheme stays declared.
    expect(ds['CodingSchemeIdentificationSequence'].map((s: Record<string, any>) => s['CodingSchemeDesignator'])).toEqual(['99INSPECTOR']);

    const segment = naturalize(readFileSync(seg.path))['SegmentSequence'][0];
    expect(segment['SegmentLabel']).toBe('pneumonia');
    expect(segment['SegmentedPropertyTypeCodeSequence'][0]).toMatchObject(PNEUMONIA);
    expect(segment['SegmentedPropertyCategoryCodeSequence'][0]).toMatchObject(code('49755003', 'SCT', 'Morphologically Abnormal Structure'));
    // Nothing private in the SEG: no scheme to declare.
    expect(naturalize(readFileSync(seg.path))['CodingSchemeIdentificationSequence']).toBeUndefined();
  });

  it('a battery-ct-porosity run (industrial, no standard code): findings and segment stay 99INSPECTOR, declared; dciodvfy clean', async () => {
    const store = HistoryStore.open(t.file);
    const runId = recordRun(store, { source: CT, modality: 'ct', size: [160, 160], pack: 'battery-ct-porosity', verdict: 'porosity', probabilities: { normal: 0.1, porosity: 0.9 }, region: 'porosity' });
    const codings = codingsOf('battery-ct-porosity');
    expect(codings).toEqual({});
    const files = await buildResults(store, runId, ['sr', 'seg'], { uidRoot: ROOT, softwareVersion: '0.0.0-test', outDir: join(t.dir, 'battery'), labelCodings: codings });
    store.close();
    const sr = files.find((f) => f.kind === 'sr')!;
    const seg = files.find((f) => f.kind === 'seg')!;
    conformant(sr.path);
    conformant(seg.path);

    const ds = naturalize(readFileSync(sr.path));
    const findings = [...items(ds)].filter((i) => conceptOf(i) === '121071').map((i) => valueOf(i));
    expect(findings).toEqual([
      code('porosity', '99INSPECTOR', 'porosity'),
      code('normal', '99INSPECTOR', 'normal'),
      code('porosity', '99INSPECTOR', 'porosity'),
      code('porosity', '99INSPECTOR', 'porosity'),
    ]);
    expect(ds['CodingSchemeIdentificationSequence'][0]).toMatchObject({ CodingSchemeDesignator: '99INSPECTOR', CodingSchemeName: 'Inspector pack labels' });

    const segDs = naturalize(readFileSync(seg.path));
    expect(segDs['SegmentSequence'][0]['SegmentedPropertyTypeCodeSequence'][0]).toMatchObject(code('porosity', '99INSPECTOR', 'porosity'));
    expect(segDs['SegmentSequence'][0]['SegmentedPropertyCategoryCodeSequence'][0]).toMatchObject({ CodeValue: '49755003', CodingSchemeDesignator: 'SCT' });
    expect(segDs['CodingSchemeIdentificationSequence'].map((s: Record<string, any>) => s['CodingSchemeDesignator'])).toEqual(['99INSPECTOR']);
  });
});
