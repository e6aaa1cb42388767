import { describe, expect, it } from 'vitest';
import { bannerOf, kindOfVerdict, NEAR_TIE_MIN } from '../../../src/renderer/src/review/banner';
import type { Findings } from '../../../src/renderer/src/review/types';

const f = (probs: [string, number][], extra: Partial<Findings> = {}): Findings => ({
  verdict: probs.slice().sort((a, b) => b[1] - a[1])[0]![0],
  probabilities: probs.map(([label, p]) => ({ label, p })),
  models: [],
  ...extra,
});

describe('verdict banner', () => {
  it('a failed image makes the case INCOMPLETE whatever the model said', () => {
    expect(bannerOf(f([['ok', 0.99], ['dent', 0.01]], { decision: 'pass' }), { code: 'IMAGE_TRUNCATED' })).toMatchObject({ kind: 'incomplete', code: 'IMAGE_TRUNCATED' });
    expect(bannerOf(undefined, { code: 'IMAGE_EMPTY_FILE' })?.kind).toBe('incomplete');
    expect(bannerOf(f([['ok', 0.9], ['dent', 0.1]], { integrated: { verdict: 'INCOMPLETE', drivers: [] } }))?.kind).toBe('incomplete');
  });

  it('a near-tie is UNCERTAIN, even with a pass on top; the band widens with the pack thresholds', () => {
    expect(bannerOf(f([['ok', 0.49], ['dent', 0.47], ['scratch', 0.04]], { decision: 'pass' }))).toMatchObject({ kind: 'uncertain', reason: 'near-tie', tie: [{ label: 'ok' }, { label: 'dent' }] });
    // Just outside the minimum band: a real pass.
    const gap = NEAR_TIE_MIN + 0.01;
    expect(bannerOf(f([['ok', 0.5 + gap / 2], ['dent', 0.5 - gap / 2]], { decision: 'pass' }))?.kind).toBe('pass');
    // The same gap inside a 0.3-wide uncertain band is a tie.
    expect(bannerOf(f([['ok', 0.5 + gap / 2], ['dent', 0.5 - gap / 2]], { decision: 'pass', thresholds: { low: 0.35, high: 0.65 } }))?.reason).toBe('near-tie');
  });

  it('out-of-distribution input and the uncertain band are UNCERTAIN; clear results are PASS or the defect', () => {
    expect(bannerOf(f([['ok', 0.05], ['dent', 0.95]], { decision: 'defect', flags: [{ code: 'INPUT_OUT_OF_DISTRIBUTION' }] }))).toMatchObject({ kind: 'uncertain', reason: 'out-of-distribution' });
    expect(bannerOf(f([['ok', 0.3], ['dent', 0.7]], { decision: 'uncertain' }))?.reason).toBe('band');
    expect(bannerOf(f([['ok', 0.05], ['dent', 0.95]], { decision: 'defect' }))).toMatchObject({ kind: 'defect', label: 'dent' });
    // A near-tie does not soften a decided defect into UNCERTAIN beside an integrated INTERNAL_DEFECT (QA walk).
    expect(bannerOf(f([['dent', 0.47], ['scratch', 0.45], ['ok', 0.08]], { decision: 'defect' }))).toMatchObject({ kind: 'defect', reason: 'near-tie', label: 'dent', tie: [{ label: 'dent' }, { label: 'scratch' }] });
    expect(bannerOf(f([['dent', 0.47], ['scratch', 0.45], ['ok', 0.08]], { integrated: { verdict: 'INTERNAL_DEFECT', drivers: [] } }))?.kind).toBe('defect');
    expect(bannerOf(f([['normal', 0.97], ['pneumonia', 0.03]]))?.kind).toBe('pass');
    expect(bannerOf(undefined)).toBeUndefined();
  });

  it('recorded verdict strings map to kinds (INCOMPLETE included)', () => {
    expect(['INCOMPLETE', 'UNCERTAIN', 'normal', 'ok', 'porosity', 'INTERNAL_DEFECT'].map(kindOfVerdict)).toEqual(['incomplete', 'uncertain', 'pass', 'pass', 'defect', 'defect']);
  });
});
