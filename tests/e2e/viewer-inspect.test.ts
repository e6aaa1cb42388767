/**
 * A real pack on a real image whose aspect ratio (96×80) differs from the model input: inspect
 * from the keyboard (F5), then read the canvas back and compare it with the engine's own map
 * resampled onto image pixels (half-pixel-centre bilinear), at full opacity and no threshold.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBridge, type Bridge } from '../support/bridge';
import { hasShared, repoRoot, sharedData } from '../support/paths';
import { grabPane, inspectWith, openAndInspect, openWithTestPack, screenOf, viewOf, waitAttr } from './viewer-helpers';
import { colourAt } from './viewer-oracle';

const fixtures = join(repoRoot, 'tests', 'fixtures', 'packs');
const WIDE = join(fixtures, 'images', 'wide_defect.png');

function bilinear(m: Float32Array, mw: number, mh: number, u: number, v: number): number {
  const x = Math.max(0, Math.min(mw - 1, u - 0.5));
  const y = Math.max(0, Math.min(mh - 1, v - 0.5));
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const x1 = Math.min(mw - 1, x0 + 1);
  const y1 = Math.min(mh - 1, y0 + 1);
  const fx = x - x0;
  const fy = y - y0;
  return (m[y0 * mw + x0]! * (1 - fx) + m[y0 * mw + x1]! * fx) * (1 - fy) + (m[y1 * mw + x0]! * (1 - fx) + m[y1 * mw + x1]! * fx) * fy;
}

describe('inspect with a real pack, heatmap on image pixels (Chromium, real worker)', () => {
  let b: Bridge;
  beforeAll(async () => {
    b = await openWithTestPack('inspector-e2e-inspect-', WIDE);
  });
  afterAll(async () => {
    await b?.close();
  });

  it('F5 runs the pack; the Grad-CAM layer lands on the 96×80 image exactly as the engine computed it', async () => {
    const { page } = b;
    await openAndInspect(b);
    const opacity = page.locator('[data-testid^="layer-opacity-"]').first();
    await opacity.fill('1');
    await page.locator('[data-testid^="layer-threshold-"]').first().fill('0');
    await page.locator('[data-testid^="layer-colormap-"]').first().selectOption('turbo');
    expect(await page.getByTestId('verdict').textContent()).toMatch(/ok|scratch|dent/);
    await b.screenshot('viewer-inspect-gradcam');

    // The engine is deterministic: the same run through the real handler gives the same map.
    const run = await b.host.handlers['inspect.run']({ paths: [WIDE], pack: 'resnet-mini' });
    const r = run.results[0]!;
    const h = r.heatmap!;
    expect(h.valid).toBe(true);
    expect([r.image.width, r.image.height]).toEqual([96, 80]);
    expect(r.pack.inputSize[0] / r.pack.inputSize[1]).not.toBeCloseTo(96 / 80, 2);
    const bytes = b.host.media.get(h.mediaId)!.bytes;
    const map = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const norm = (x: number) => Math.max(0, Math.min(1, (x - h.scale.low) / (h.scale.high - h.scale.low)));

    const v = await viewOf(b);
    const img = await grabPane(b);
    const error = (dx: number, dy: number) => {
      let sum = 0;
      let n = 0;
      for (let iy = 4; iy < 80; iy += 6) {
        for (let ix = 4; ix < 96; ix += 6) {
          const p = screenOf(v, ix + 0.5, iy + 0.5);
          const u = ((ix + 0.5 + dx) / 96) * h.width;
          const w = ((iy + 0.5 + dy) / 80) * h.height;
          const want = colourAt('turbo', norm(bilinear(map, h.width, h.height, u, w)));
          const got = img.at(p.x, p.y);
          sum += Math.abs(got[0] - want[0]) + Math.abs(got[1] - want[1]) + Math.abs(got[2] - want[2]);
          n += 3;
        }
      }
      return sum / n;
    };
    const aligned = error(0, 0);
    expect(aligned).toBeLessThan(12);
    // The comparison has teeth: the same map shifted by a tenth of the image reads back worse.
    expect(error(9.6, 8)).toBeGreaterThan(aligned * 1.5);
  });

  it('the inspection was recorded; A accepts it in the history under the selected operator', async () => {
    await b.host.handlers['operator.create']({ id: 'lee', name: '이검사', role: 'reviewer' });
    await b.host.handlers['operator.select']({ id: 'lee' });
    await b.page.locator('body').click({ position: { x: 5, y: 990 } });
    await b.page.keyboard.press('a');
    await b.page.getByTestId('save-state').filter({ hasText: /Saved/ }).waitFor();
    // Two runs: the one F5 recorded (reviewed now) and the test's own comparison run.
    const { rows } = await b.host.handlers['history.search']({ sort: 'time', order: 'asc' });
    expect(rows).toHaveLength(2);
    expect(rows[0]!.review).toMatchObject({ decision: 'accept', operatorId: 'lee' });
    expect(rows[1]!.review).toBeNull();
  });
});

const SLICE = join(sharedData, 'battery-xct', 'slices', 'im_1.png');
const PACK = 'battery-ct-porosity';
if (!hasShared) console.warn('shipped-pack E2E skipped: ../shared/data is absent');

describe.skipIf(!hasShared)('a shipped pack on a real 16-bit CT slice (Chromium, real worker)', () => {
  let b: Bridge;
  beforeAll(async () => {
    if (!existsSync(SLICE)) throw new Error(`expected shared file missing: ${SLICE}`);
    b = await openBridge({ choosePaths: () => [SLICE] });
  });
  afterAll(async () => {
    await b?.close();
  });

  /** Mean absolute RGB difference between two pane captures. */
  const diff = (a: Awaited<ReturnType<typeof grabPane>>, c: Awaited<ReturnType<typeof grabPane>>) => {
    let s = 0;
    let n = 0;
    for (let y = 5; y < a.height; y += 7) {
      for (let x = 5; x < a.width; x += 7) {
        const p = a.at(x, y);
        const q = c.at(x, y);
        s += Math.abs(p[0] - q[0]) + Math.abs(p[1] - q[1]) + Math.abs(p[2] - q[2]);
        n += 3;
      }
    }
    return s / n;
  };

  it('inspects with the pack, names its classes and card in English and Korean; the layer toggles and outlines', async () => {
    const { page } = b;
    // What the pack's own files say, through the same handler the panel uses.
    const card = await b.host.handlers['packs.card']({ name: PACK });
    await page.getByTestId('open-files').click();
    await waitAttr(b, 'viewer-pane-0', 'data-view', /./);
    await inspectWith(b, PACK);
    await page.locator('[data-testid^="layer-opacity-"]').first().waitFor({ timeout: 90_000 });
    expect(await page.getByTestId('legend').textContent()).toContain(`${PACK}@${card.version}`);
    const verdictText = await page.getByTestId('verdict-card').textContent();
    for (const l of card.labels) expect(verdictText).toContain(l.display.en);
    if (card.title) expect(await page.getByTestId('model-card').textContent()).toContain(card.title.en);
    // Full opacity from the threshold up so the toggle is plain to see.
    await page.locator('[data-testid^="layer-opacity-"]').first().fill('0.8');
    await page.locator('[data-testid^="layer-threshold-"]').first().fill('0');
    const on = await grabPane(b);
    await b.screenshot('viewer-ct-pack-gradcam');

    await page.locator('body').click({ position: { x: 5, y: 990 } });
    await page.keyboard.press('1');
    const off = await grabPane(b);
    expect(diff(on, off)).toBeGreaterThan(3);
    await page.keyboard.press('1');
    expect(diff(on, await grabPane(b))).toBeLessThan(0.5);

    await page.keyboard.press('t');
    const outline = await grabPane(b);
    // The outline leaves most of the slice as it is without the layer.
    expect(diff(outline, off)).toBeLessThan(diff(on, off));
    await b.screenshot('viewer-ct-pack-contour');
    await page.keyboard.press('t');

    await page.keyboard.press('Alt+k');
    const ko = card.labels.find((l) => l.display.ko)?.display.ko;
    if (ko) await page.getByTestId('verdict-card').filter({ hasText: ko }).waitFor();
    if (card.title?.ko) expect(await page.getByTestId('model-card').textContent()).toContain(card.title.ko);
    await b.screenshot('viewer-ct-pack-ko');
    await page.keyboard.press('Alt+k');
  });
});
