/**
 * The corrected integrated verdict a correction message carries (issue 14 item 7): what a case's
 * verdict becomes with its reviews, from the published result and the reviews alone.
 */
import { describe, expect, it } from 'vitest';
import { correctedVerdict, reviewedCall, type ReviewedDecision } from '../../../src/core/station/correctedVerdict';
import { buildCorrection, type ImageOutcome, type StationResult, type StationVerdict } from '../../../src/core/station/result';

const pack = { name: 'p', version: '1.0.0' };

function image(runId: number, side: 'internal' | 'external', decision: string, o: Partial<ImageOutcome> = {}): ImageOutcome {
  return { view: side === 'internal' ? 'ct' : 'surface', file: `S1_${runId}.png`, sha256: 'a', side, decision, defectScore: 0.1, label: null, pack, provider: 'cpu', runId, ...o };
}

function result(verdict: StationVerdict, images: ImageOutcome[], o: Partial<StationResult> = {}): StationResult {
  return {
    schema: 'inspector.station.result/1', resultId: 'R1', station: 'ST01', line: 'L1', serial: 'S1', partId: 'S1', lot: null,
    verdict, evaluation: verdict === 'PASS' ? 'OK' : verdict === 'UNCERTAIN' || verdict === 'INCOMPLETE' ? 'NotDecidable' : 'NotOK',
    reasons: [], trigger: 'folder', createdAt: '2026-12-06T00:00:00.000Z', caseUid: 'u1', views: { expected: ['ct', 'surface'], missing: [] },
    images, packs: [], runIds: images.filter((i) => i.role !== 'findings').map((i) => i.runId!), inspectionConfigSha256: null,
    integrated: { verdict, method: 'weighted_average', score: 0.2 },
    processingTimes: { startTime: '', endTime: '', acquisitionMs: 0, inspectMs: 0, totalMs: 0 },
    ...o,
  };
}

let nextId = 1;
const rv = (runId: number, decision: string, label: string | null = null, id = nextId++): ReviewedDecision => ({ id, runId, decision, label });
const pass = () => result('PASS', [image(11, 'internal', 'pass'), image(12, 'external', 'pass')]);

describe('reviewedCall: what a review makes of the AI call on one image', () => {
  it.each([
    ['pass', 'accept', null, 'pass'],
    ['defect', 'accept', null, 'defect'],
    ['uncertain', 'accept', null, 'uncertain'],
    ['pass', 'override', 'porosity', 'defect'],
    ['defect', 'override', 'normal', 'pass'],
    ['defect', 'override', 'OK', 'pass'],
    ['pass', 'reject', null, 'defect'],
    ['defect', 'reject', null, 'pass'],
    ['uncertain', 'reject', null, 'uncertain'],
    ['defect', 'reject', 'good', 'pass'],
    ['pass', 'reject', 'crack', 'defect'],
    ['pass', 'uncertain', null, 'uncertain'],
    ['error', 'accept', null, null],
  ])('AI %s, review %s %s → %s', (ai, decision, label, want) => {
    expect(reviewedCall(ai, { decision, label })).toBe(want);
  });
});

describe('correctedVerdict', () => {
  it('a PASS case overridden to a defect on its CT view becomes INTERNAL_DEFECT, NotOK, changed', () => {
    const r = pass();
    const review = rv(11, 'override', 'porosity');
    const c = correctedVerdict(r, [review]);
    expect(c).toEqual({ verdict: 'INTERNAL_DEFECT', evaluation: 'NotOK', changed: true, reviewIds: [review.id], basis: 'reviewed' });
    // …on the surface view: EXTERNAL_DEFECT; on both: COMBINED_DEFECT.
    expect(correctedVerdict(r, [rv(12, 'override', 'scratch')]).verdict).toBe('EXTERNAL_DEFECT');
    expect(correctedVerdict(r, [rv(11, 'override', 'porosity'), rv(12, 'reject')]).verdict).toBe('COMBINED_DEFECT');
  });

  it('an accept leaves the verdict as published: verdictChanged false', () => {
    expect(correctedVerdict(pass(), [rv(11, 'accept')])).toMatchObject({ verdict: 'PASS', evaluation: 'OK', changed: false, basis: 'unchanged' });
    const defect = result('INTERNAL_DEFECT', [image(21, 'internal', 'defect', { label: 'porosity' }), image(22, 'external', 'pass')]);
    expect(correctedVerdict(defect, [rv(21, 'accept')])).toMatchObject({ verdict: 'INTERNAL_DEFECT', evaluation: 'NotOK', changed: false, basis: 'unchanged' });
    // A verdict the integration reached from scores (no side decided defect) stands on an accept.
    const byScore = result('INTERNAL_DEFECT', [image(23, 'internal', 'uncertain'), image(24, 'external', 'pass')]);
    expect(correctedVerdict(byScore, [rv(23, 'accept'), rv(24, 'accept')])).toMatchObject({ verdict: 'INTERNAL_DEFECT', changed: false });
  });

  it('a defect overruled: the other side decides (PASS, or UNCERTAIN where it was unsure)', () => {
    const d = result('INTERNAL_DEFECT', [image(31, 'internal', 'defect'), image(32, 'external', 'pass')]);
    expect(correctedVerdict(d, [rv(31, 'override', 'normal')])).toMatchObject({ verdict: 'PASS', evaluation: 'OK', changed: true });
    const unsure = result('INTERNAL_DEFECT', [image(33, 'internal', 'defect'), image(34, 'external', 'uncertain')]);
    expect(correctedVerdict(unsure, [rv(33, 'reject')])).toMatchObject({ verdict: 'UNCERTAIN', evaluation: 'NotDecidable', changed: true });
    const combined = result('COMBINED_DEFECT', [image(35, 'internal', 'defect'), image(36, 'external', 'defect')]);
    expect(correctedVerdict(combined, [rv(35, 'override', 'normal')]).verdict).toBe('EXTERNAL_DEFECT');
  });

  it('an UNCERTAIN case is decided by a reviewer call, also one that agrees with the AI', () => {
    const u = result('UNCERTAIN', [image(41, 'internal', 'uncertain'), image(42, 'external', 'pass')], { integrated: { verdict: 'UNCERTAIN', method: 'weighted_average', score: 0.5, drivingSide: 'internal' } });
    expect(correctedVerdict(u, [rv(41, 'override', 'normal')])).toMatchObject({ verdict: 'PASS', changed: true });
    expect(correctedVerdict(u, [rv(41, 'override', 'void')])).toMatchObject({ verdict: 'INTERNAL_DEFECT', changed: true });
    const band = result('UNCERTAIN', [image(43, 'internal', 'pass'), image(44, 'external', 'pass')], { integrated: { verdict: 'UNCERTAIN', method: 'weighted_average', score: 0.5, drivingSide: 'internal' } });
    expect(correctedVerdict(band, [rv(43, 'accept')])).toMatchObject({ verdict: 'UNCERTAIN', changed: false, basis: 'unchanged' });
    expect(correctedVerdict(band, [rv(43, 'override', 'normal')])).toMatchObject({ verdict: 'PASS', changed: true, basis: 'reviewed' });
    expect(correctedVerdict(u, [rv(42, 'override', 'normal')])).toMatchObject({ verdict: 'UNCERTAIN', changed: false, basis: 'reviewed' });
  });

  it('the latest review of a run counts: an override superseded by an accept restores the verdict', () => {
    const r = pass();
    const first = rv(11, 'override', 'porosity');
    const second = rv(11, 'accept');
    expect(correctedVerdict(r, [second, first])).toMatchObject({ verdict: 'PASS', changed: false, reviewIds: [second.id] });
    // Reviews on both runs: both are what the verdict rests on.
    const other = rv(12, 'uncertain');
    expect(correctedVerdict(r, [first, other])).toMatchObject({ verdict: 'INTERNAL_DEFECT', reviewIds: [first.id, other.id] });
  });

  it('reviews of findings runs and of other cases never change the verdict', () => {
    const r = result('PASS', [image(51, 'internal', 'pass'), image(52, 'external', 'pass'), image(53, 'internal', 'found', { role: 'findings' })]);
    expect(r.runIds).toEqual([51, 52]);
    expect(correctedVerdict(r, [rv(53, 'reject'), rv(999, 'override', 'crack')])).toMatchObject({ verdict: 'PASS', changed: false, reviewIds: [], basis: 'unchanged' });
  });

  it('missing views or failed images: the verdict stands (a review cannot supply them)', () => {
    const missing = result('INCOMPLETE', [image(61, 'internal', 'pass')], { views: { expected: ['ct', 'surface'], missing: ['surface'] }, reasons: [{ code: 'STATION_VIEW_MISSING', message: 'm', view: 'surface' }] });
    expect(correctedVerdict(missing, [rv(61, 'override', 'porosity')])).toMatchObject({ verdict: 'INCOMPLETE', evaluation: 'NotDecidable', changed: false, basis: 'incomplete' });
    // verdict.incomplete: DEFECT made a failed surface image a defect: an override to normal of the CT does not pass the part.
    const failed = result('EXTERNAL_DEFECT', [image(62, 'internal', 'pass'), image(63, 'external', 'error')], { reasons: [{ code: 'IMAGE_DECODE_FAILED', message: 'm' }] });
    expect(correctedVerdict(failed, [rv(62, 'override', 'normal')])).toMatchObject({ verdict: 'EXTERNAL_DEFECT', changed: false, basis: 'incomplete' });
  });

  it('buildCorrection carries it beside every earlier field', () => {
    const r = pass();
    const review = { id: 7, runId: 11, operatorId: 'lee.s', decision: 'override', label: 'porosity', note: 'n', supersedes: null, createdAt: Date.parse('2026-12-06T01:02:03Z') };
    const c = buildCorrection(r, review, correctedVerdict(r, [review]));
    expect(c).toEqual({
      schema: 'inspector.station.correction/1', correctionId: 'ST01:review:7', resultId: 'R1', station: 'ST01', line: 'L1', serial: 'S1', partId: 'S1', lot: null,
      originalVerdict: 'PASS', reviewId: 7, supersedesReviewId: null, runId: 11, view: 'ct', file: 'S1_11.png', decision: 'override', label: 'porosity', note: 'n',
      reviewer: 'lee.s', reviewedAt: '2026-12-06T01:02:03.000Z',
      correctedVerdict: 'INTERNAL_DEFECT', correctedEvaluation: 'NotOK', verdictChanged: true, correctionBasis: 'reviewed', appliedReviewIds: [7],
    });
  });
});
