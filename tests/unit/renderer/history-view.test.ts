import { describe, expect, it } from 'vitest';
import { dayBound, fileName, formatPercent, formatScore, formatTime, nextSort, searchInput, EMPTY_FILTERS } from '../../../src/renderer/src/history/format';
import { caseFromRun, draftFromReview, effectiveReview, type RunDetail } from '../../../src/renderer/src/history/reopen';
import { totals } from '../../../src/renderer/src/dashboard/dashboardStore';

function detail(reviews: RunDetail['reviews'] = []): RunDetail {
  return {
    run: {
      id: 7, createdAt: new Date(2026, 2, 4, 9, 5).getTime(), day: '2026-03-04', batchId: null, packName: 'chest', packVersion: '1.0.0', packHashes: {}, provider: 'cpu',
      verdict: 'normal', score: 0.2, threshold: 0.5, probabilities: { normal: 0.8, pneumonia: 0.2 }, scores: {}, thresholds: {},
      regions: [{ box: [10, 20, 30, 40], label: 'opacity', score: 0.7 }], explanation: null, timings: {}, configHash: null, operatorId: null,
    },
    case: { id: 1, key: 'SN-001', kind: 'part', line: null, station: null, tags: [] },
    image: { id: 1, sourcePath: '/data/a/img_1.png', sha256: 'x', format: 'png', modality: 'xray', width: 64, height: 64, frames: 1, bytes: 10, validation: { outcome: 'ok' } },
    reviews,
  };
}

const review = (id: number, supersededBy: number | null, over: Partial<RunDetail['reviews'][number]> = {}): RunDetail['reviews'][number] => ({
  id, runId: 7, operatorId: 'kim', operatorName: 'Kim', decision: 'override', label: 'pneumonia', boxes: [{ box: [1, 2, 3, 4], label: 'opacity' }], note: 'n', supersedes: null, supersededBy, createdAt: 1, ...over,
});

describe('history view helpers', () => {
  it('turns the filter form into a search query with local-day bounds', () => {
    const from = dayBound('2026-03-04')!;
    expect(new Date(from).getHours()).toBe(0);
    expect(dayBound('2026-03-04', true)! - from).toBe(24 * 3600 * 1000);
    expect(dayBound('nope')).toBeUndefined();
    const q = searchInput({ ...EMPTY_FILTERS, fromDay: '2026-03-04', toDay: '2026-03-04', verdict: 'defect', reviewStatus: 'override', text: '  SN-1 ' }, { by: 'score', order: 'asc' }, 50, 50);
    expect(q).toEqual({ from, to: from + 86_400_000, verdicts: ['defect'], reviewStatus: 'override', text: 'SN-1', sort: 'score', order: 'asc', limit: 50, offset: 50, withTotal: false });
    expect(searchInput(EMPTY_FILTERS, { by: 'time', order: 'desc' }, 0, 50)).toEqual({ sort: 'time', order: 'desc', limit: 50, offset: 0, withTotal: true });
  });

  it('sorts: same column flips, another column starts descending', () => {
    expect(nextSort({ by: 'time', order: 'desc' }, 'time')).toEqual({ by: 'time', order: 'asc' });
    expect(nextSort({ by: 'time', order: 'asc' }, 'score')).toEqual({ by: 'score', order: 'desc' });
  });

  it('formats times, scores and file names', () => {
    expect(formatTime(new Date(2026, 0, 2, 3, 4).getTime())).toBe('2026-01-02 03:04');
    expect(formatScore(0.12345)).toBe('0.123');
    expect(formatScore(null)).toBe('—');
    expect(formatPercent(0.5)).toBe('50.0%');
    expect(fileName('C:\\scans\\a.dcm')).toBe('a.dcm');
  });

  it('reopens a run as a case: recorded regions, probabilities, run id; the standing review seeds the draft', () => {
    const image = { path: '/data/a/img_1.png', format: 'png', attributes: {}, frames: [], runId: 7, sha256Matches: true };
    const d = detail([review(3, 4, { note: 'old' }), review(4, null, { supersedes: 3, note: 'corrected' })]);
    const c = caseFromRun(d, image);
    expect(c).toMatchObject({ id: 'run-7', runId: 7, origin: 'history', title: 'SN-001 · img_1.png', status: 'overridden' });
    expect(c.boxes).toEqual([{ id: 'run-7-region-0', source: 'region', label: 'opacity', score: 0.7, origin: 'chest@1.0.0', rect: { x: 10, y: 20, width: 30, height: 40 }, runId: 7, index: 0 }]);
    expect(c.findings?.probabilities.map((p) => p.label)).toEqual(['normal', 'pneumonia']);
    expect(effectiveReview(d)?.id).toBe(4);
    const draft = draftFromReview(d)!;
    expect(draft).toMatchObject({ decision: 'override', overrideClass: 'pneumonia', note: 'corrected', dirty: false, savedId: '4' });
    expect(draft.boxes[0]).toMatchObject({ source: 'reviewer', rect: { x: 1, y: 2, width: 3, height: 4 } });
    expect(draftFromReview(detail())).toBeUndefined();
    expect(caseFromRun(detail(), image).status).toBe('inspected');
  });

  it('dashboard totals add the days up', () => {
    const t = totals({
      daily: [
        { day: '2026-03-03', images: 2, runs: 3, verdicts: { pass: 2, defect: 1 }, errors: 1 },
        { day: '2026-03-04', images: 1, runs: 1, verdicts: { defect: 1 }, errors: 0 },
      ],
      packs: [], agreement: { aiLabels: [], humanLabels: [], matrix: [], reviewed: 0, accuracy: null, perClass: [] }, errors: { total: 1, rate: 0.2, byCode: [], recent: [] }, drift: [],
    });
    expect(t).toEqual({ images: 3, runs: 4, errors: 1, verdicts: [['pass', 2], ['defect', 2]] });
  });
});
