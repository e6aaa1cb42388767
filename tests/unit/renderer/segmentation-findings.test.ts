/**
 * The findings card of a segmentation run (issue #15 leftover): it says which classes were found
 * with their regions and areas — it used to read "Model: pitting · normal 97.8 %", the image's
 * defect score shown as the probability of a class "normal" the pack does not even have.
 */
import { describe, expect, it } from 'vitest';
import { recordedSegmentationFindings, segmentationFindings, segmentationHeadline, segmentationLines } from '../../../src/renderer/src/mask/findings';

const live = {
  decision: 'defect' as const,
  score: 0.978,
  areas: { pitting: { fraction: 0.0123, areaPx: 4210, areaMm2: null }, scratch: { fraction: 0, areaPx: 0, areaMm2: null } },
  regions: [{ label: 'pitting' }, { label: 'pitting' }, { label: 'pitting' }],
};
const display = (l: string) => (l === 'pitting' ? { en: 'Pitting', ko: '피팅' } : undefined);

describe('segmentation findings', () => {
  it('names the classes found with regions and areas, in English and Korean; no probability line', () => {
    const f = segmentationFindings(live, display);
    expect(segmentationHeadline(f, 'en')).toBe('found Pitting');
    expect(segmentationLines(f, 'en')).toEqual(['Pitting: 3 regions · 1.2 % of the image (4,210 px²)', 'scratch: 0 regions · 0 % of the image (0 px²)']);
    expect(segmentationHeadline(f, 'ko')).toBe('검출: 피팅');
    expect(segmentationLines(f, 'ko')[0]).toBe('피팅: 3 영역 · 1.2 % (영상 대비) (4,210 px²)');
    for (const line of [segmentationHeadline(f, 'en'), ...segmentationLines(f, 'en')]) {
      expect(line).not.toMatch(/normal|97\.8/);
    }
  });

  it('areas in mm² when the pack knows the pixel spacing; a pass says no defect class was found', () => {
    const mm = segmentationFindings({ ...live, areas: { pitting: { fraction: 0.0004, areaPx: 40, areaMm2: 1.234 } }, regions: [{ label: 'pitting' }] }, display);
    expect(segmentationLines(mm, 'en')).toEqual(['Pitting: 1 region · < 0.1 % of the image (1.23 mm²)']);
    const none = segmentationFindings({ decision: 'pass', score: 0.2, areas: { pitting: { fraction: 0, areaPx: 0, areaMm2: null } }, regions: [] }, display);
    expect(segmentationHeadline(none, 'en')).toBe('no defect class found');
  });

  it('a reopened run gives the same lines from its recorded areas and regions', () => {
    const run = { verdict: 'anomalous', score: 0.978, scores: { defect: 0.978, 'areaPx.pitting': 4210 }, regions: [{ label: 'pitting' }, { label: 'pitting' }, { label: 'pitting' }] };
    const f = recordedSegmentationFindings(run, { width: 1000, height: 342.28 }, display)!;
    expect(segmentationHeadline(f, 'en')).toBe('found Pitting');
    expect(segmentationLines(f, 'en')).toEqual(['Pitting: 3 regions · 1.2 % of the image (4,210 px²)']);
    expect(recordedSegmentationFindings({ ...run, scores: { defect: 0.5 } }, { width: 10, height: 10 })).toBeUndefined();
  });
});
