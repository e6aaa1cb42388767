/**
 * The verdict banner of a case: one of PASS, a defect class, UNCERTAIN or INCOMPLETE, decided
 * here from the findings so the banner, the probability bars and the case list agree. A near-tie
 * (the two most likely classes within the pack's uncertain band) is UNCERTAIN even when the top
 * class is "pass": a coin flip is not a pass. A near-tie never softens a defect the pack or the
 * integrated verdict decided (the line got NG): that banner stays the defect and names the tie.
 * Pure (unit-tested without a DOM).
 */
import type { Findings } from './types';

export type BannerKind = 'pass' | 'defect' | 'uncertain' | 'incomplete';
export type BannerReason = 'failed' | 'out-of-distribution' | 'band' | 'near-tie' | 'model';

export interface Banner {
  kind: BannerKind;
  reason: BannerReason;
  /** The class the model chose (defect banners name it). */
  label: string;
  /** Top-two probabilities of a near-tie. */
  tie?: [{ label: string; p: number }, { label: string; p: number }];
  /** The failed image's code (INCOMPLETE). */
  code?: string;
}

/** Glyphs pair with colour: the verdict is never told by colour alone. */
export const BANNER_GLYPH: Record<BannerKind, string> = { pass: '✓', defect: '✕', uncertain: '?', incomplete: '⊘' };

/** A pack without an uncertain band (low = high) still calls top-two within this a near-tie. */
export const NEAR_TIE_MIN = 0.05;
const PASS_LABEL = /^(pass|ok|normal|good)$/i;

export function bannerOf(f: Findings | undefined, failure?: { code: string }): Banner | undefined {
  if (failure || f?.decision === 'incomplete' || f?.integrated?.verdict === 'INCOMPLETE') {
    return { kind: 'incomplete', reason: 'failed', label: f?.verdict ?? '', ...(failure ? { code: failure.code } : {}) };
  }
  if (!f) return undefined;
  const label = f.verdict;
  if (f.guard?.code === 'INPUT_OUT_OF_DISTRIBUTION' || f.flags?.some((x) => x.code === 'INPUT_OUT_OF_DISTRIBUTION')) return { kind: 'uncertain', reason: 'out-of-distribution', label };
  if (f.decision === 'uncertain' || /^uncertain$/i.test(f.integrated?.verdict ?? '') || /^uncertain$/i.test(label)) return { kind: 'uncertain', reason: 'band', label };
  const sorted = [...f.probabilities].sort((a, b) => b.p - a.p);
  const band = Math.max(NEAR_TIE_MIN, f.thresholds ? f.thresholds.high - f.thresholds.low : 0);
  const decidedDefect = f.decision === 'defect' || /_DEFECT$/.test(f.integrated?.verdict ?? '');
  if (sorted.length >= 2 && sorted[0]!.p - sorted[1]!.p <= band) {
    const tie: Banner['tie'] = [{ label: sorted[0]!.label, p: sorted[0]!.p }, { label: sorted[1]!.label, p: sorted[1]!.p }];
    return { kind: decidedDefect ? 'defect' : 'uncertain', reason: 'near-tie', label, tie };
  }
  const pass = f.decision ? f.decision === 'pass' : f.integrated ? /^pass$/i.test(f.integrated.verdict) : PASS_LABEL.test(label);
  return { kind: pass ? 'pass' : 'defect', reason: 'model', label };
}

/** A recorded verdict string's kind (history rows): INCOMPLETE and UNCERTAIN by name, pass labels, else a defect. */
export function kindOfVerdict(verdict: string): BannerKind {
  if (/^incomplete$/i.test(verdict)) return 'incomplete';
  if (/^uncertain$/i.test(verdict)) return 'uncertain';
  return PASS_LABEL.test(verdict) ? 'pass' : 'defect';
}
