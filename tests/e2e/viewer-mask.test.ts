/**
 * The mask layer of a segmentation pack: a real BSData photo inspected with the shipped
 * surface-pitting-seg pack through the real worker, then the pane read back. The recorded mask
 * (from the media store, as the host published it) is the oracle: inside its class cells the pane
 * shows the exact blend of the image and the class colour at the chosen opacity, outside nothing
 * changes; a class toggled off disappears; outline mode paints only near the class boundary. A run
 * reopened from History draws the mask recorded with it (issue #15), and the findings card says
 * what the model found (classes, regions, areas).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBridge, type Bridge } from '../support/bridge';
import { hasShared, sharedData } from '../support/paths';
import { grabPane, paneOverlays, screenOf, viewOf, waitAttr } from './viewer-helpers';

const PHOTO = join(sharedData, 'bsdata', 'images', '01_200907090403_462500_045_crop_2.jpg');
const PACK = 'surface-pitting-seg';
if (!hasShared) console.warn('mask-layer E2E skipped: ../shared/data is absent');

type Grab = Awaited<ReturnType<typeof grabPane>>;

/**
 * Screen points (pixel centres of the image on the pane, away from HTML overlays) inside class `k`
 * of the mask and outside every class, away from edges; and, for outline mode, every point within
 * 3 cells of a class with whether it is next to the edge.
 */
const PITTING = [0xff, 0x3b, 0x30];
/** The image colour blended with the pitting class colour at `alpha` (konva: opaque fill at node alpha). */
const blendOf = (base: [number, number, number], alpha: number) => base.map((c, i) => c * (1 - alpha) + PITTING[i]! * alpha);
/** The largest channel difference between the pane and what is wanted at the points. */
function maxErr(g: Grab, pts: { x: number; y: number }[], want: (p: { x: number; y: number }) => number[]): number {
  let worst = 0;
  for (const p of pts) {
    const got = g.at(p.x, p.y);
    const w = want(p);
    for (let i = 0; i < 3; i++) worst = Math.max(worst, Math.abs(got[i]! - w[i]!));
  }
  return worst;
}

async function oraclePoints(b: Bridge, image: { width: number; height: number }, mask: Uint8Array, mw: number, mh: number, k: number) {
  const iw = image.width;
  const ih = image.height;
  const cellOf = (ix: number, iy: number) => [Math.min(mw - 1, Math.floor(((ix + 0.5) / iw) * mw)), Math.min(mh - 1, Math.floor(((iy + 0.5) / ih) * mh))] as const;
  const at = (cx: number, cy: number) => (cx < 0 || cy < 0 || cx >= mw || cy >= mh ? 255 : mask[cy * mw + cx]!);
  /** All cells within `r` of (cx, cy) are `value`: far from any class edge. */
  const uniform = (cx: number, cy: number, value: number, rad: number) => {
    for (let dy = -rad; dy <= rad; dy++) for (let dx = -rad; dx <= rad; dx++) if (at(cx + dx, cy + dy) !== value) return false;
    return true;
  };
  const v = await viewOf(b);
  const overlays = await paneOverlays(b);
  const covered = (x: number, y: number) => overlays.some(([ox, oy, ow, oh]) => x >= ox - 2 && x <= ox + ow + 2 && y >= oy - 2 && y <= oy + oh + 2);
  // Image points (pixel centres) inside and outside the mask, away from edges and from HTML overlays.
  const inside: { x: number; y: number }[] = [];
  const outside: { x: number; y: number }[] = [];
  const near: { x: number; y: number; edge: boolean }[] = [];
  for (let iy = 0; iy < ih; iy++) {
    for (let ix = 0; ix < iw; ix++) {
      const [cx, cy] = cellOf(ix, iy);
      const p = screenOf(v, ix + 0.5, iy + 0.5);
      if (p.x < 1 || p.y < 1 || covered(p.x, p.y)) continue;
      if (ix % 2 === 0 && iy % 2 === 0 && uniform(cx, cy, k, 1)) inside.push(p);
      else if (ix % 4 === 0 && iy % 4 === 0 && uniform(cx, cy, 255, 1)) outside.push(p);
      // For outline mode: every pixel within 3 cells of the class, and whether it is next to the edge.
      if (!uniform(cx, cy, 255, 3)) near.push({ ...p, edge: !uniform(cx, cy, at(cx, cy), 1) });
    }
  }
  return { inside, outside, near };
}

describe.skipIf(!hasShared)('segmentation mask layer on a real BSData photo (Chromium, real worker)', () => {
  let b: Bridge;
  beforeAll(async () => {
    if (!existsSync(PHOTO)) throw new Error(`expected shared file missing: ${PHOTO}`);
    b = await openBridge({ choosePaths: () => [PHOTO] });
  });
  afterAll(async () => {
    await b?.close();
  });

  it('fill at the chosen opacity, per-class toggle, outline only on the boundary, keyboard toggle', async () => {
    const { page } = b;
    await page.getByTestId('pack-list').waitFor({ timeout: 60_000 });
    await page.getByTestId('open-files').click();
    await waitAttr(b, 'viewer-pane-0', 'data-view', /./);
    await page.getByTestId('inspect-pack').selectOption(PACK);
    await page.locator('body').click({ position: { x: 5, y: 990 } });
    await page.keyboard.press('F5');
    await page.getByTestId('mask-toggle').waitFor({ timeout: 90_000 });
    // Region boxes would cover the mask's edge: off, so the pane shows image + mask only.
    await page.getByTestId('boxes-toggle-region').uncheck();
    const alpha = 0.6;
    await page.getByTestId('mask-opacity').fill(String(alpha));
    expect(await page.getByTestId('legend').textContent()).toContain('Pitting');
    // The live findings card: what was found (classes, regions, areas), not "pitting · normal 97.8 %".
    expect(await page.getByTestId('verdict').textContent()).toContain('found Pitting');
    expect(await page.getByTestId('seg-area-pitting').textContent()).toMatch(/^Pitting: \d+ regions? · /);

    // The oracle: the engine is deterministic, so the same handler run gives the mask the UI drew.
    const run = await b.host.handlers['inspect.run']({ paths: [PHOTO], pack: PACK });
    const r = run.results[0]!;
    const seg = r.segmentation!;
    expect(seg.mask).toBeDefined();
    const { width: mw, height: mh, mediaId } = seg.mask!;
    const mask = b.host.media.get(mediaId)!.bytes;
    expect(mask.length).toBe(mw * mh);
    const k = seg.classes.findIndex((c) => c.label === 'pitting');
    const colour = PITTING;
    expect(seg.classes[k]!.colour.toLowerCase()).toBe('#ff3b30');
    let classCells = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i] === k) classCells++;
    expect(classCells).toBeGreaterThan(50);
    const { inside, outside, near } = await oraclePoints(b, r.image, mask, mw, mh, k);
    expect(inside.length).toBeGreaterThan(100);
    expect(outside.length).toBeGreaterThan(1000);

    const on = await grabPane(b);
    await b.screenshot('viewer-mask-fill');
    await page.getByTestId('mask-toggle').uncheck();
    const off = await grabPane(b);
    await page.getByTestId('mask-toggle').check();
    const blend = (base: [number, number, number]) => blendOf(base, alpha);
    // Inside: the exact alpha blend (konva draws an opaque class colour at node alpha = opacity).
    expect(maxErr(on, inside, (p) => blend(off.at(p.x, p.y)))).toBeLessThanOrEqual(3);
    // It has teeth: the image alone is far from that blend there.
    expect(maxErr(off, inside, (p) => blend(off.at(p.x, p.y)))).toBeGreaterThan(30);
    // Outside: untouched.
    expect(maxErr(on, outside, (p) => off.at(p.x, p.y))).toBeLessThanOrEqual(1);

    // The class toggled off: gone everywhere.
    await page.getByTestId('mask-class-pitting').uncheck();
    const noClass = await grabPane(b);
    expect(maxErr(noClass, inside, (p) => off.at(p.x, p.y))).toBeLessThanOrEqual(1);
    expect(await page.getByTestId('legend').textContent()).not.toContain('Pitting');
    await page.getByTestId('mask-class-pitting').check();

    // Outline: interiors show the image; painted pixels lie only next to the class edge.
    await page.getByTestId('mask-outline').check();
    const outline = await grabPane(b);
    await b.screenshot('viewer-mask-outline');
    expect(maxErr(outline, inside, (p) => off.at(p.x, p.y))).toBeLessThanOrEqual(1);
    let painted = 0;
    let stray = 0;
    for (const p of near) {
      const got = outline.at(p.x, p.y);
      const base = off.at(p.x, p.y);
      const w = blend(base);
      const isBlend = got.every((c, i) => Math.abs(c - w[i]!) <= 3) && got.some((c, i) => Math.abs(c - base[i]!) > 10);
      if (!isBlend) continue;
      if (p.edge) painted++;
      else stray++;
    }
    expect(painted).toBeGreaterThan(20);
    expect(stray).toBe(0);
    await page.getByTestId('mask-outline').uncheck();

    // Keyboard: the mask is layer 1 (no heatmap on a segmentation case); its digit toggles it.
    await page.locator('body').click({ position: { x: 5, y: 990 } });
    await page.keyboard.press('1');
    expect(await page.getByTestId('mask-toggle').isChecked()).toBe(false);
    expect(maxErr(await grabPane(b), inside, (p) => off.at(p.x, p.y))).toBeLessThanOrEqual(1);
    await page.keyboard.press('1');
    expect(await page.getByTestId('mask-toggle').isChecked()).toBe(true);

    // High contrast: the fill keeps its alpha, and the class edge is drawn at full colour on top.
    await page.getByTestId('high-contrast').click();
    const hc = await grabPane(b);
    await b.screenshot('viewer-mask-high-contrast');
    const full = near.filter((p) => p.edge && hc.at(p.x, p.y).every((c, i) => Math.abs(c - colour[i]!) <= 3)).length;
    expect(full).toBeGreaterThan(20);
    await page.getByTestId('high-contrast').click();
  });

  it('a reopened segmentation run draws the mask recorded with it (equal to the live one) and says what it found', async () => {
    const { page } = b;
    // Two runs: the one F5 recorded and the test's own comparison run; reopen the first.
    const { rows } = await b.host.handlers['history.search']({ sort: 'time', order: 'asc' });
    expect(rows.length).toBeGreaterThanOrEqual(1);
    const runId = rows[0]!.runId;
    // The oracle: the live mask of the same photo (the engine is deterministic).
    const r = (await b.host.handlers['inspect.run']({ paths: [PHOTO], pack: PACK })).results[0]!;
    const { width: mw, height: mh, mediaId } = r.segmentation!.mask!;
    const mask = b.host.media.get(mediaId)!.bytes;
    const k = r.segmentation!.classes.findIndex((c) => c.label === 'pitting');
    await page.keyboard.press('Alt+2');
    await page.getByTestId(`history-open-${runId}`).click();
    await waitAttr(b, 'view-review', 'aria-current', /^page$/);
    await waitAttr(b, 'case-1', 'aria-current', /^true$/);
    await page.getByTestId('mask-toggle').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('mask-unrecorded').count()).toBe(0);
    expect(await page.getByTestId('legend').textContent()).toContain('Pitting');
    await page.getByTestId('boxes-toggle-region').uncheck();
    const alpha = 0.6;
    await page.getByTestId('mask-opacity').fill(String(alpha));
    await page.getByTestId('mask-outline').uncheck();
    const { inside, outside } = await oraclePoints(b, r.image, mask, mw, mh, k);
    expect(inside.length).toBeGreaterThan(100);
    const on = await grabPane(b);
    await b.screenshot('viewer-mask-reopened');
    await page.getByTestId('mask-toggle').uncheck();
    const off = await grabPane(b);
    await page.getByTestId('mask-toggle').check();
    // The reopened layer is the live mask: the blend exactly inside the live class cells, nothing outside.
    expect(maxErr(on, inside, (p) => blendOf(off.at(p.x, p.y), alpha))).toBeLessThanOrEqual(3);
    expect(maxErr(on, outside, (p) => off.at(p.x, p.y))).toBeLessThanOrEqual(1);

    // The findings card says what a segmentation model found: classes, regions and areas — no
    // class "probabilities" (it used to read "Model: pitting · normal 97.8 %").
    const verdict = (await page.getByTestId('verdict').textContent())!;
    expect(verdict).toContain('found Pitting');
    const area = (await page.getByTestId('seg-area-pitting').textContent())!;
    expect(area).toMatch(/^Pitting: \d+ regions? · [\d.<\s]+ % of the image \([\d,]+ px²\)$/);
    expect(area).toContain(`${r.segmentation!.regions.filter((g) => g.label === 'pitting').length} region`);
    expect(await page.getByTestId('verdict-card').textContent()).not.toContain('normal');
  });
});
