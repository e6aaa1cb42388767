/**
 * The core's words in the Korean UI (QA walk, session 8): every reason the input guard can give —
 * built here by the core's own rule functions, not copied strings — is put into Korean with its
 * numbers kept, so a changed template in src/core/guard/guard.ts fails this test instead of
 * showing English in the ko UI; class ids and case verdicts take the pack's Korean display names
 * or the shared vocabulary, and English keeps the ids.
 */
import { describe, expect, it } from 'vitest';
import { envelopeReasons, judge, type GuardFile } from '../../../src/core/guard/guard';
import type { EngineImage } from '../../../src/core/engine/image';
import type { GuardFeatures } from '../../../src/core/guard/features';
import type { GuardSpec } from '../../../src/core/packs/manifest';
import { propose } from '../../../src/core/evaluation/thresholds';
import { classNamer, guardReasonText, isKnownGuardReason, proposalNoteText } from '../../../src/shared/coreWords';

const img = (over: Partial<EngineImage>): EngineImage => ({ width: 4000, height: 10, channels: 3, data: new Float32Array(0), source: 'x.dcm', format: 'dicom', modality: 'xray', ...over });
const accepts = (over: Partial<GuardSpec['accepts']>): GuardSpec['accepts'] => ({ colour: 'gray', chromaMax: 0.01, dicomModalities: ['CT'], width: [100, 800], height: [100, 800], ...over }) as GuardSpec['accepts'];
const features: GuardFeatures = { embedding: [Float64Array.of(9)], tensors: ['t0'], histogram: Float64Array.of(9), maxProbability: 0.2, energy: 7, chroma: 0.3 };
const gauss: GuardFile = { feature: 'layers', tensors: ['t0'], gaussians: [{ mean: [0], precision: [1], shrinkage: 0 }], scales: [1] };

/** Every reason the core can write: the envelope rules and each statistic, flagged. */
function coreReasons(): string[] {
  const out = [...envelopeReasons(accepts({}), img({}), 0.3), ...envelopeReasons(accepts({ colour: 'rgb', chromaMin: 0.5 }), img({ format: 'png' }), 0.1)];
  for (const feature of ['embedding', 'layers', 'histogram', 'max-probability', 'energy'] as const) {
    const spec = { accepts: accepts({ colour: 'rgb', chromaMax: undefined, dicomModalities: ['xray'], width: [1, 9000], height: [1, 9000] }), statistic: { feature, threshold: feature === 'max-probability' ? 0.9 : 2.5 } } as unknown as GuardSpec;
    out.push(...judge(spec, img({}), features, { ...gauss, feature: feature === 'histogram' ? 'histogram' : 'layers' }).reasons);
  }
  return out;
}

describe('guard reasons and class names in Korean', () => {
  it('every core guard reason has a Korean form that keeps its numbers', () => {
    const reasons = coreReasons();
    // DICOM modality, colour, size; grayscale (+ size); five statistics.
    expect(reasons.length).toBe(10);
    for (const r of reasons) {
      expect(isKnownGuardReason(r), r).toBe(true);
      const ko = guardReasonText('ko', r);
      expect(ko, r).not.toBe(r);
      expect(ko).toMatch(/[가-힣]/);
      expect(ko).not.toMatch(/\b(the|image|pack|model|reference)\b/);
      for (const n of r.match(/\d+(?:\.\d+)?/g) ?? []) expect(ko, r).toContain(n);
      expect(guardReasonText('en', r)).toBe(r);
    }
  });

  it('the History view\'s own reason and unknown text: translated, or shown as recorded', () => {
    expect(guardReasonText('ko', "guard statistic 3.17 beyond the pack's threshold 2.76")).toBe('가드 통계량 3.17이(가) 팩의 임계값 2.76을(를) 넘었습니다');
    expect(guardReasonText('ko', 'something new')).toBe('something new');
  });

  it('class names: the pack\'s Korean display, else the shared words; English keeps ids', () => {
    const labels = [{ id: 'porosity', display: { en: 'Porosity', ko: '기공' } }];
    const ko = classNamer('ko', labels);
    expect(['normal', 'porosity', 'anomalous', 'defect', 'PASS', 'INTERNAL_DEFECT', 'UNCERTAIN', 'INCOMPLETE'].map(ko)).toEqual(['정상', '기공', '이상', '결함', '합격', '내부 결함', '판단 보류', '불완전']);
    expect(ko('porosity / crack')).toBe('기공 / crack');
    const en = classNamer('en', labels);
    expect(['normal', 'porosity', 'PASS'].map(en)).toEqual(['normal', 'porosity', 'PASS']);
  });

  it('the threshold proposal\'s notes (the core\'s own, from a real 7 + 7 set) read in Korean', () => {
    const labels = [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1];
    const scores = [0.1, 0.12, 0.2, 0.25, 0.3, 0.33, 0.5, 0.4, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95];
    for (const objective of [{ kind: 'f1' }, { kind: 'sigma', k: 3 }, { kind: 'false-alarm', maxRate: 0 }] as const) {
      const note = propose(labels, scores, objective as Parameters<typeof propose>[2]).note!;
      expect(note, objective.kind).toBeTruthy();
      const ko = proposalNoteText('ko', note);
      expect(ko, note).not.toMatch(/[a-z]{4,}/);
      for (const n of note.match(/\d+(?:\.\d+)?/g) ?? []) expect(ko, note).toContain(n);
      expect(proposalNoteText('en', note)).toBe(note);
    }
  });
});
