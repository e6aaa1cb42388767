/**
 * Shipped Korean model cards are honest translations: registered (hashed) in their pack like the
 * English card, every figure they state is one the English card (or pack.yaml) states, every class
 * has a Korean name, and the "사용 목적" (intended use) section the review panel shows is there.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifest } from '../../../src/core/packs/load';
import { repoRoot } from '../../support/paths';

const models = join(repoRoot, 'models');
const withKo = readdirSync(models).filter((d) => existsSync(join(models, d, 'MODEL_CARD.ko.md')));

/** Figures: decimals, percentages and counts of 3+ digits, as written (0.988, 1.0 %, 500). */
const figures = (text: string) => new Set([...text.replace(/<!--[\s\S]*?-->/g, '').matchAll(/(?<![\w.])\d+(?:\.\d+)?(?: ?%)?/g)].map((m) => m[0].replace(' ', '')).filter((f) => f.includes('.') || f.includes('%') || f.length >= 3));

describe('shipped Korean model cards', () => {
  it('at least one shipped pack has one (battery-ct-porosity)', () => {
    expect(withKo).toContain('battery-ct-porosity');
  });

  it.each(withKo)('%s: hashed in pack.yaml, Korean class names, intended use, only the English card’s figures', (name) => {
    const dir = join(models, name);
    const ko = readFileSync(join(dir, 'MODEL_CARD.ko.md'), 'utf8');
    const en = readFileSync(join(dir, 'MODEL_CARD.md'), 'utf8');
    const { manifest } = readManifest(dir);
    expect(manifest.files['MODEL_CARD.ko.md']).toBe(createHash('sha256').update(readFileSync(join(dir, 'MODEL_CARD.ko.md'))).digest('hex'));
    for (const l of manifest.labels) expect(l.display.ko, l.id).toBeTruthy();
    expect(manifest.title?.ko).toBeTruthy();
    // The heading the review panel reads the intended use from (renderer review/inspect.ts intendedUse).
    expect(/(?:^|\n)##\s+사용 목적\s*\n([\s\S]*?)(?=\n##\s|$)/.exec(ko)?.[1]).toMatch(/[가-힣]/);
    const known = new Set([...figures(en), ...figures(readFileSync(join(dir, 'pack.yaml'), 'utf8'))]);
    // Sums the Korean card states (the foreign sets together) are checked against the English rows.
    const foreign = [...en.matchAll(/^\| (?!\*\*own)[a-z-]+ \| (\d+) \| (\d+) \|/gm)].reduce((s, m) => s + Number(m[1]), 0);
    known.add(String(foreign));
    const unknown = [...figures(ko)].filter((f) => !known.has(f));
    expect(unknown, 'figures in the Korean card that the English card does not state').toEqual([]);
  });
});
