/**
 * The demo grounding pack on its CT and surface held-out sets, fast: every 3rd image of each set
 * (67 of the 200 battery CT views with inserted voids, "porosity", 44 of its 130 voids; 91 of the
 * 272 BSData held-out photos, "pitting", 40 of its 123 pits) — every 3rd, not every 4th: the CT
 * views alternate void / no void, so an even step would keep no void at all — written by training/grounding/heldout.py with the build's own code and seeds,
 * inspected by the app's engine with the card's prompt and thresholds in one session.
 *
 * What is pinned and why: the card's figures (evaluation.json, PyTorch at build time) are over the
 * full sets; that reproduction (all 472 images, within 0.01) is `npm run bench -- heldout`, which
 * took minutes under load as a unit test. Here the subset's images and boxes must be exactly the
 * pinned ones (the data pipeline did not drift) and its AP@0.5 per class must equal the pinned
 * figure within 0.01 — figures computed by the same helper the bench uses, whose full-set run
 * reproduced the card exactly (porosity 0.6100, pitting 0.7263), and which the bench prints again
 * when the pack is retrained. A subset far from the card would be unrepresentative: its AP must also
 * lie within 0.1 of the card's full-set figure (subset: porosity 0.598, pitting 0.808).
 * Needs ../shared/data and /usr/bin/python3 (OpenCV, PIL); skipped with a message otherwise.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../src/core/engine/engine';
import { heldoutAp, heldoutReady, readCard } from '../../support/groundingHeldout';

if (!heldoutReady) console.warn('heldout.test.ts skipped: needs /usr/bin/python3 and ../shared/data (battery-xct, bsdata)');

/** Every 3rd image: images, ground-truth boxes and AP@0.5 as `npm run bench -- heldout` prints them. */
const PINNED = {
  ct: { images: 67, porosity: { n_gt: 44, ap50: 0.5982799 } },
  surface: { images: 91, pitting: { n_gt: 40, ap50: 0.8077396 } },
} as const;

describe.skipIf(!heldoutReady)('battery CT and BSData held-out subsets (every 3rd image) keep the pinned figures', () => {
  const engine = new Engine();
  afterAll(() => engine.close());

  it('same images and boxes; AP@0.5 of porosity and pitting as pinned, and near the card', { timeout: 600_000 }, async () => {
    const card = readCard();
    const got = await heldoutAp(engine, 3);
    for (const [domain, label] of [['ct', 'porosity'], ['surface', 'pitting']] as const) {
      const pin = PINNED[domain];
      const ours = got[domain];
      expect(ours.errors).toEqual([]);
      expect(ours.n_images).toBe(pin.images);
      // A third of the card's images (rounded up).
      expect(ours.n_images).toBe(Math.ceil(card.domains[domain]!.n_images / 3));
      const want = (pin as unknown as Record<string, { n_gt: number; ap50: number }>)[label]!;
      expect(ours.per_class[label]!.n_gt).toBe(want.n_gt);
      expect(Math.abs(ours.per_class[label]!.ap50 - want.ap50), `${domain} ${label}: ours ${ours.per_class[label]!.ap50}, pinned ${want.ap50}`).toBeLessThan(0.01);
      expect(Math.abs(ours.per_class[label]!.ap50 - card.domains[domain]!.per_class[label]!.ap50)).toBeLessThan(0.1);
    }
  });
});
