import { beforeEach, describe, expect, it } from 'vitest';
import { findingsOf, heatmapRefOf, intendedUse, regionBoxes } from '../../../src/renderer/src/review/inspect';
import { useReviewStore } from '../../../src/renderer/src/state/reviewStore';
import type { CaseRef } from '../../../src/renderer/src/review/types';

const cases: CaseRef[] = [
  { id: 'a', title: 'A', origin: 'test', frames: [], runId: 7 },
  { id: 'b', title: 'B', origin: 'test', frames: [] },
];

describe('review store: drafts per case', () => {
  beforeEach(() => useReviewStore.setState({ cases: [], current: -1, drafts: {}, submitter: undefined, lastError: undefined }));

  it('keeps each case’s note and boxes when moving between cases', () => {
    const r = useReviewStore.getState();
    r.setCases(cases);
    r.editDraft('a', { note: 'pore near tab' });
    r.addBox('a', { id: 'x', source: 'reviewer', label: 'pore', origin: 'kim', rect: { x: 1, y: 2, width: 3, height: 4 } });
    r.step(1);
    expect(useReviewStore.getState().current).toBe(1);
    expect(useReviewStore.getState().draftOf('b')).toMatchObject({ note: '', boxes: [], dirty: false });
    r.step(1); // past the end: stays
    expect(useReviewStore.getState().current).toBe(1);
    r.step(-1);
    const d = useReviewStore.getState().draftOf('a');
    expect(d).toMatchObject({ note: 'pore near tab', dirty: true });
    expect(d.boxes.map((b) => b.label)).toEqual(['pore']);
    r.updateBox('a', 'x', { label: 'crack' });
    r.deleteBox('a', 'nope');
    expect(useReviewStore.getState().draftOf('a').boxes[0]!.label).toBe('crack');
  });

  it('records a decision through the submitter, marks the case and clears dirty; errors are kept, not thrown', async () => {
    const seen: unknown[] = [];
    const r = useReviewStore.getState();
    r.setCases(cases);
    r.setSubmitter(async (c, draft, reviewer) => {
      seen.push([c.id, draft.decision, draft.overrideClass, reviewer]);
      if (!c.runId) throw new Error('no run');
      return { id: '41', at: '2026-01-01T00:00:00Z' };
    });
    r.editDraft('a', { note: 'n' });
    await r.decide('override', 'external');
    let s = useReviewStore.getState();
    expect(s.cases[0]!.status).toBe('overridden');
    expect(s.drafts['a']).toMatchObject({ decision: 'override', overrideClass: 'external', dirty: false, savedId: '41' });
    r.goTo(1);
    await r.decide('reject');
    s = useReviewStore.getState();
    expect(s.lastError).toBe('no run');
    expect(s.cases[1]!.status).toBeUndefined();
    expect(s.drafts['b']!.dirty).toBe(true);
    expect(seen).toHaveLength(2);
  });
});

describe('inspect.run result → layers, boxes, findings', () => {
  const result = {
    source: '/p/wide.png',
    caseId: 'c',
    side: 'internal' as const,
    image: { width: 96, height: 80 },
    pack: { name: 'resnet-mini', version: '0.1.0', kind: 'classifier', dir: '/m', manifestSha256: 'x', files: {}, inputSize: [64, 64] as [number, number] },
    provider: 'cpu',
    providerAttempts: [],
    decision: 'defect' as const,
    drivingLabel: 'dent',
    classification: { labels: ['ok', 'scratch', 'dent'], thresholds: { low: 0.4, high: 0.6 }, probabilities: [0.1, 0.2, 0.7], logits: [0, 0, 0], topClass: 2, topLabel: 'dent', topProbability: 0.7, defectScore: 0.9, decision: 'defect', drivingLabel: 'dent' },
    explanation: { method: 'gradcam', requested: 'gradcam', target: 'layer4', targetClass: 2, targetLabel: 'dent' },
    heatmap: { mediaId: 'm', kind: 'explanation' as const, method: 'gradcam', width: 8, height: 8, scale: { mode: 'anchored' as const, low: 0, high: 2, source: 'pack' as const }, valid: true },
    regions: [{ x: 10, y: 12, width: 20, height: 22, area: 440, peak: 0.8, mean: 0.5, peakX: 15, peakY: 20 }],
    timings: { preprocessMs: 1, inferenceMs: 1, explainMs: 1, totalMs: 3, batchSize: 1 },
    configSha256: 'c',
    runId: 12,
  };
  const run = {
    results: [result],
    cases: [{ id: 'c', images: ['/p/wide.png'], verdict: { verdict: 'INTERNAL_DEFECT' as const, method: 'rule_based', score: 0.9, configSha256: 'c', sides: { internal: { defectScore: 0.9, decision: 'defect', drivingLabel: 'dent' } } } }],
    configSha256: 'c',
    totalMs: 3,
  };

  it('places the map by the pack input (stretch), keeps a pack-calibrated scale, and names the class', () => {
    const h = heatmapRefOf(result, 'case')!;
    expect(h).toMatchObject({ kind: 'gradcam', method: 'Grad-CAM', className: 'dent', source: 'resnet-mini@0.1.0', mapping: { kind: 'stretch', inputWidth: 64, inputHeight: 64 } });
    expect(h.scale).toEqual({ min: 0, max: 2, kind: 'calibrated' });
    expect(heatmapRefOf({ ...result, heatmap: { ...result.heatmap, valid: false } }, 'case')).toBeUndefined();
  });

  it('regions become region boxes; findings carry the integrated verdict and its drivers', () => {
    expect(regionBoxes(result, 'case')).toEqual([{ id: 'case|resnet-mini|0', source: 'region', label: 'dent', score: 0.8, origin: 'resnet-mini@0.1.0', rect: { x: 10, y: 12, width: 20, height: 22 }, index: 0, runId: 12 }]);
    const f = findingsOf(result, run);
    expect(f.verdict).toBe('dent');
    expect(f.probabilities).toEqual([
      { label: 'ok', p: 0.1 },
      { label: 'scratch', p: 0.2 },
      { label: 'dent', p: 0.7 },
    ]);
    expect(f.runId).toBe('12');
    const card = {
      name: 'resnet-mini',
      version: '0.1.0',
      kind: 'classifier',
      title: { en: 'Surface check', ko: '표면 검사' },
      labels: [{ id: 'dent', display: { en: 'Dent', ko: '찍힘' }, severity: 'medium' }],
      provenance: { metrics: { auroc: 0.91 } },
      modelCard: '# Card\n\n## Intended use\n- Input: one **RGB** photo.\n- Output: classes.\n\n## Data\nx',
    };
    const g = findingsOf(result, run, card);
    expect(g.probabilities[2]).toEqual({ label: 'dent', p: 0.7, displayName: { en: 'Dent', ko: '찍힘' } });
    expect(g.models[0]).toMatchObject({ displayName: { en: 'Surface check', ko: '표면 검사' }, intendedUse: { en: 'Input: one RGB photo. Output: classes.' }, metrics: [{ name: 'auroc', value: 0.91 }] });
    expect(intendedUse(undefined)).toBeUndefined();
    expect(f.integrated).toEqual({ verdict: 'INTERNAL_DEFECT', drivers: [{ side: 'internal', decision: 'defect', score: 0.9, label: 'dent' }] });
  });
});
