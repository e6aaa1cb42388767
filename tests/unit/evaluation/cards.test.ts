/**
 * "The numbers printed by `evaluate` reproduce the cards", kept short for CI: `inspector evaluate`
 * on the held-out sets training/eval_sets.py rebuilds, compared figure by figure with what the
 * model card says (tests/support/cards.ts reads each card's *Evaluated on this station* table at run
 * time; tolerances: ± half a unit in the card's last printed digit, counts exact).
 * - chest-xray-pneumonia (157 radiographs) and battery-ct-porosity (500 CT views): the full sets,
 *   against the card itself (each takes seconds);
 * - surface-pitting-ae: its 272 full-resolution photos take minutes on a loaded box, so every 4th
 *   photo here, against pinned figures (the full set against the card: `npm run bench -- cards`,
 *   which also covers the grounding pack's three domains; its DeepPCB subset is pinned in
 *   grounding-evaluate.test.ts).
 * Needs ../shared/data and /usr/bin/python3 (OpenCV, torch for the CT views); skipped otherwise.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PY, cardsReady, checkTable, compareCard, evaluateCli } from '../../support/cards';
import { repoRoot } from '../../support/paths';

if (!cardsReady) console.warn('cards.test.ts skipped: needs /usr/bin/python3 and ../shared/data (battery-xct, bsdata, chest-xray-nih, deeppcb)');

/**
 * surface-pitting-ae on every 4th held-out photo, as `evaluate` gave it in the same session in which
 * its full set reproduced every figure of the card (`npm run bench -- cards`); re-derive both
 * together when the pack is rebuilt.
 */
const SURFACE_SUBSET = { images: 68, tp: 9, fp: 0, tn: 40, fn: 19, rocAuc: 0.7089285714285715, averagePrecision: 0.7719441135368885, pixelAuroc: 0.9187022733546708, aupro: 0.630047247408763 };

describe.skipIf(!cardsReady)('evaluate reproduces the model cards', () => {
  let root: string;
  let sets: string;
  beforeAll(() => {
    root = mkdtempSync(join(os.tmpdir(), 'inspector-cards-'));
    sets = join(root, 'sets');
    const r = spawnSync(PY, [join(repoRoot, 'training', 'eval_sets.py'), sets, '--only', 'chest,battery,surface'], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  }, 300_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  for (const pack of ['chest-xray-pneumonia', 'battery-ct-porosity']) {
    it(`${pack}: every figure of its card's station table, on the full held-out set`, { timeout: 300_000 }, () => {
      const { metrics } = evaluateCli(['--pack', pack, '--set', join(sets, pack), '--db', join(root, `${pack}.sqlite`), '--bootstrap', '1000'], join(root, `${pack}-out`));
      const checks = compareCard(pack, metrics);
      expect(checks.length).toBeGreaterThanOrEqual(12);
      expect(checks.filter((c) => !c.ok), checkTable(checks)).toEqual([]);
    });
  }

  it('surface-pitting-ae: every 4th held-out photo gives the pinned figures', { timeout: 300_000 }, () => {
    const [head, ...rows] = readFileSync(join(sets, 'surface-pitting-ae', 'labels.csv'), 'utf8').trim().split('\n');
    const subset = join(root, 'surface-subset');
    mkdirSync(subset);
    writeFileSync(join(subset, 'labels.csv'), [head, ...rows.filter((_, i) => i % 4 === 0)].join('\n') + '\n');
    const { metrics } = evaluateCli(['--pack', 'surface-pitting-ae', '--set', subset, '--db', join(root, 'surface.sqlite'), '--bootstrap', '200'], join(root, 'surface-out'));
    const m = metrics.packs[0]!;
    const p = m.binary.point;
    expect({ images: m.images, tp: p.tp, fp: p.fp, tn: p.tn, fn: p.fn }).toEqual({ images: SURFACE_SUBSET.images, tp: SURFACE_SUBSET.tp, fp: SURFACE_SUBSET.fp, tn: SURFACE_SUBSET.tn, fn: SURFACE_SUBSET.fn });
    expect(m.binary.rocAuc!).toBeCloseTo(SURFACE_SUBSET.rocAuc, 6);
    expect(m.binary.averagePrecision!).toBeCloseTo(SURFACE_SUBSET.averagePrecision, 6);
    expect(m.pixel!.pixelAuroc!).toBeCloseTo(SURFACE_SUBSET.pixelAuroc, 4);
    expect(m.pixel!.aupro!).toBeCloseTo(SURFACE_SUBSET.aupro, 4);
  });
});
