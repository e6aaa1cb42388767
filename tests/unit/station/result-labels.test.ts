/**
 * Each image in a station result names what it saw (`label`): a classifier its top class, an anomaly
 * pack anomalous/normal, a segmentation pack the class with the largest region. A segmentation run has
 * no classification block, so without the drivingLabel fallback a MES reading `label` saw null for a
 * part that the pack had just called a `pitting` defect.
 */
import { describe, expect, it } from 'vitest';
import type { ImageResult, InspectReport } from '../../../src/core/engine/inspect';
import { buildResult } from '../../../src/core/station/result';

const pack = { name: 'p', version: '1.0.0', manifestSha256: 'm', files: {} };

function image(over: Partial<ImageResult>): ImageResult {
  return {
    source: '/in/S1_ct.png', caseId: 'S1', side: 'internal', configSha256: 'c',
    image: { sha256: 'abc' } as ImageResult['image'], pack: pack as ImageResult['pack'], provider: 'cpu',
    providerAttempts: [], decision: 'pass', regions: [],
    timings: { preprocessMs: 0, inferenceMs: 0, explainMs: 0, totalMs: 0, batchSize: 1 },
    ...over,
  } as ImageResult;
}

function labelOf(r: ImageResult): string | null {
  const report = { results: [r], cases: [], skipped: [], configSha256: 'c', totalMs: 0 } as unknown as InspectReport;
  const out = buildResult({
    resultId: 'r', caseUid: 'u', station: { id: 'ST01', line: 'L1' }, serial: 'S1', lot: null, views: ['ct'],
    files: [{ view: 'ct', path: '/in/S1_ct.png', name: 'S1_ct.png', sha256: 'abc', size: 1, lastWriteMs: 0 }],
    trigger: 'folder', report, runIds: [1], startedAt: 0, inspectStart: 0, now: 1,
  });
  return out.images[0]!.label;
}

describe('station result: image labels by pack kind', () => {
  it('classifier: its top class', () => {
    expect(labelOf(image({ decision: 'defect', drivingLabel: 'dent', classification: { topLabel: 'dent' } as ImageResult['classification'] }))).toBe('dent');
  });
  it('anomaly: anomalous when defect, normal when pass (never the internal "anomaly" driving label)', () => {
    const anomaly = { score: 0.9 } as ImageResult['anomaly'];
    expect(labelOf(image({ decision: 'defect', drivingLabel: 'anomaly', anomaly }))).toBe('anomalous');
    expect(labelOf(image({ decision: 'pass', anomaly }))).toBe('normal');
  });
  it('segmentation: the class with the largest region; null when nothing was found', () => {
    const segmentation = { classes: [] } as unknown as ImageResult['segmentation'];
    expect(labelOf(image({ decision: 'defect', drivingLabel: 'pitting', segmentation }))).toBe('pitting');
    expect(labelOf(image({ decision: 'pass', segmentation }))).toBeNull();
  });
});
