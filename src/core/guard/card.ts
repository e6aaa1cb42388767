/**
 * The guard's section of a pack's model card (between `<!-- BEGIN GENERATED: guard -->` markers),
 * written by `pack guard --write` from the same study that set the thresholds, so the card's rates
 * are the measured ones. The card's hash in pack.yaml is updated with it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rehash } from './calibrate';
import type { Study } from './study';

const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)} %` : '—');

export function guardCardBody(study: Study): string {
  const g = study.guard;
  const a = g.accepts;
  const lines: string[] = [];
  lines.push(`Statistic: **${study.chosen}${study.chosenVariant ? ` (${study.chosenVariant} Gaussians)` : ''}**, threshold ${g.statistic?.threshold.toPrecision(4)} (${g.statistic?.derivation.method}).`);
  lines.push(`Envelope: ${a.colour} images, sides ${a.width.join('–')} × ${a.height.join('–')} px, DICOM modalities: ${a.dicomModalities.join(', ') || 'none'}.`);
  lines.push(study.domains ? `Fitted on ${study.referenceCount} held-out images of its training domains (${study.domains.map((d) => `${d.name} ${d.n}`).join(', ')}), none of them trained on.` : `Fitted on ${study.referenceCount} validation images.`);
  lines.push('');
  lines.push('| set | images | flagged | share | by the statistic alone |');
  lines.push('|---|---|---|---|---|');
  for (const s of study.sets) lines.push(`| ${s.own ? `**${s.name === 'own held-out' ? 'own held-out' : s.name} (false alarms)**` : s.name} | ${s.n} | ${s.flagged} | ${pct(s.rate)} | ${s.byStatistic} |`);
  const own = study.sets.filter((s) => s.own);
  const foreign = study.sets.filter((s) => !s.own);
  const sum = (v: typeof own, k: 'n' | 'flagged' | 'byStatistic') => v.reduce((x, s) => x + s[k], 0);
  lines.push('');
  lines.push(`**False-alarm rate ${pct(sum(own, 'flagged') / Math.max(1, sum(own, 'n')))}** (target ≤ 2 %); **detection rate ${pct(sum(foreign, 'flagged') / Math.max(1, sum(foreign, 'n')))}** over all foreign images (target ≥ 95 %; the statistic alone: ${pct(sum(foreign, 'byStatistic') / Math.max(1, sum(foreign, 'n')))}).`);
  lines.push('');
  lines.push(`Candidates compared on the same images (each fitted on the ${study.domains ? 'fit half of each domain' : 'validation split'}, threshold at its q99):`);
  lines.push('');
  lines.push('| statistic | false alarms | detection (with the envelope rules) | detection by the statistic alone |');
  lines.push('|---|---|---|---|');
  for (const c of study.candidates) {
    const f = c.sets.filter((s) => !s.own);
    const alone = f.reduce((x, s) => x + s.byStatistic, 0) / Math.max(1, f.reduce((x, s) => x + s.n, 0));
    const chosen = c.feature === study.chosen && c.variant === study.chosenVariant;
    lines.push(`| ${c.feature}${c.variant ? ` (${c.variant})` : ''}${chosen ? ' (chosen)' : ''} | ${pct(c.falseAlarm)} | ${pct(c.detection)} | ${pct(alone)} |`);
  }
  lines.push('');
  lines.push(`Reproduce: \`bash training/guard.sh --write\` (held-out sets by \`training/${study.domains ? 'grounding/' : ''}guard_sets.py\`, then \`inspector pack guard\`).`);
  return lines.join('\n');
}

/** Replaces the card's generated guard section (when the card has the markers) and rehashes the pack. */
export function writeGuardCard(dir: string, study: Study, card = 'MODEL_CARD.md'): boolean {
  const path = join(dir, card);
  if (!existsSync(path)) return false;
  const text = readFileSync(path, 'utf8');
  const b = '<!-- BEGIN GENERATED: guard -->';
  const e = '<!-- END GENERATED: guard -->';
  const i = text.indexOf(b);
  const j = text.indexOf(e);
  if (i < 0 || j < i) return false;
  writeFileSync(path, `${text.slice(0, i + b.length)}\n${guardCardBody(study)}\n${text.slice(j)}`);
  rehash(dir);
  return true;
}
