/**
 * What a segmentation pack found, for the findings card: per defect class its regions and area,
 * not class probabilities (a segmentation model gives none per image — the card used to read
 * "Model: pitting · normal 97.8 %", the defect score shown as the probability of "normal").
 * Pure (unit-tested without a DOM); the live result and a reopened run give the same lines.
 */
import type { Locale } from '../i18n';
import { translate } from '../i18n';
import type { LocalText } from '../review/types';

export interface SegmentationClassFinding {
  label: string;
  displayName?: LocalText;
  regions: number;
  /** Share of the image the class covers, 0–1. */
  fraction: number;
  areaPx: number;
  areaMm2: number | null;
}

export interface SegmentationFindings {
  decision: 'pass' | 'defect';
  /** Highest defect-class pixel probability (the image score). */
  score: number;
  classes: SegmentationClassFinding[];
}

type Areas = Record<string, { fraction: number; areaPx: number; areaMm2: number | null }>;

/** From a live result's areas and regions (the classes that were found first, largest area first). */
export function segmentationFindings(
  s: { decision: 'pass' | 'defect'; score: number; areas: Areas; regions: readonly { label: string }[] },
  display: (label: string) => LocalText | undefined,
): SegmentationFindings {
  const classes = Object.entries(s.areas).map(([label, a]) => {
    const d = display(label);
    return { label, ...(d ? { displayName: d } : {}), regions: s.regions.filter((r) => r.label === label).length, fraction: a.fraction, areaPx: a.areaPx, areaMm2: a.areaMm2 };
  });
  classes.sort((a, b) => b.areaPx - a.areaPx);
  return { decision: s.decision, score: s.score, classes };
}

/** From a recorded run: `scores.areaPx.<class>` (and `areaMm2.<class>`), its regions, the image size. */
export function recordedSegmentationFindings(
  run: { verdict: string; score: number; scores: Record<string, number>; regions: readonly { label?: string | undefined }[] },
  image: { width: number; height: number },
  display: (label: string) => LocalText | undefined = () => undefined,
): SegmentationFindings | undefined {
  const labels = Object.keys(run.scores).filter((k) => k.startsWith('areaPx.')).map((k) => k.slice('areaPx.'.length));
  if (!labels.length) return undefined;
  const px = image.width * image.height;
  const areas: Areas = Object.fromEntries(labels.map((l) => [l, { areaPx: run.scores[`areaPx.${l}`]!, fraction: px ? run.scores[`areaPx.${l}`]! / px : 0, areaMm2: run.scores[`areaMm2.${l}`] ?? null }]));
  const found = labels.some((l) => run.regions.some((r) => r.label === l));
  return segmentationFindings({ decision: found ? 'defect' : 'pass', score: run.score, areas, regions: run.regions.map((r) => ({ label: r.label ?? '' })) }, display);
}

const name = (c: SegmentationClassFinding, locale: Locale) => (c.displayName ? (locale === 'ko' && c.displayName.ko ? c.displayName.ko : c.displayName.en) : c.label);

function pct(f: number): string {
  const p = f * 100;
  return p === 0 ? '0' : p < 0.1 ? '< 0.1' : p.toFixed(1);
}

/** One line per class: "Pitting: 3 regions · 1.2 % of the image (4,210 px²)". */
export function segmentationLines(f: SegmentationFindings, locale: Locale): string[] {
  const t = (k: Parameters<typeof translate>[1]) => translate(locale, k);
  return f.classes.map((c) => {
    const area = c.areaMm2 !== null ? `${c.areaMm2.toFixed(c.areaMm2 < 10 ? 2 : 1)} mm²` : `${Math.round(c.areaPx).toLocaleString('en-US')} px²`;
    const regions = `${c.regions} ${c.regions === 1 ? t('seg.region') : t('seg.regions')}`;
    return `${name(c, locale)}: ${regions} · ${pct(c.fraction)} % ${t('seg.ofImage')} (${area})`;
  });
}

/** The card's headline: which classes were found, or that none was. */
export function segmentationHeadline(f: SegmentationFindings, locale: Locale): string {
  const found = f.classes.filter((c) => c.regions > 0);
  if (f.decision === 'pass' || !found.length) return translate(locale, 'seg.noneFound');
  return `${translate(locale, 'seg.found')} ${found.map((c) => name(c, locale)).join(', ')}`;
}
