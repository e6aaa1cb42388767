/**
 * The review flow driven from the keyboard in Chromium: layer toggles, opacity, colour map,
 * threshold and contour (checked on canvas pixels), reviewer box editing, note + decision kept per
 * case, compare with linked pan, Korean, large text and high contrast, with a screenshot per state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBridge, type Bridge } from '../support/bridge';
import { IMG_W, reviewCases } from './review-fixtures';
import { grabPane, openCases, screenOf, state, viewOf, waitAttr } from './viewer-helpers';
import { colourAt, voiLinear } from './viewer-oracle';

/** Grey of the ramp image at image x under its default window. */
const grey = (ix: number) => voiLinear(Math.round((Math.floor(ix) / (IMG_W - 1)) * 4000), { center: 2000, width: 4001 });
const blend = (c: number[], g: number, a: number) => c.map((v) => a * v + (1 - a) * g);
const near = (a: number[], e: number[], tol = 4) => a.every((v, i) => Math.abs(v - e[i]!) <= tol);

describe('keyboard-first review (Chromium, real host media)', () => {
  let b: Bridge;
  beforeAll(async () => {
    b = await openBridge({ viewport: { width: 1600, height: 1000 } });
    await openCases(b, reviewCases(b));
    await b.page.locator('body').click({ position: { x: 5, y: 990 } });
  });
  afterAll(async () => {
    await b?.close();
  });
  const key = (k: string) => b.page.keyboard.press(k);
  async function pixelAt(ix: number, iy: number) {
    const v = await viewOf(b);
    const p = screenOf(v, ix, iy);
    return (await grabPane(b)).at(p.x, p.y);
  }

  it('1–9 toggle layers; [ ] opacity, M colour map, . threshold, T contour change the canvas', async () => {
    // Start from the Grad-CAM layer alone: 2 hides the anomaly map.
    await key('2');
    let s = await state(b);
    expect(s.viewer.layers['case-a-anomaly']!.visible).toBe(false);
    expect(s.viewer.layers['case-a-cam']).toMatchObject({ visible: true, opacity: 0.5, colormap: 'turbo' });
    const hot = [200, 150] as const;
    expect(near(await pixelAt(...hot), blend(colourAt('turbo', 1), grey(200), 0.5))).toBe(true);
    // Outside the square the map is 0, below the display threshold: the image alone.
    expect(near(await pixelAt(60, 250), [grey(60), grey(60), grey(60)])).toBe(true);
    await b.screenshot('review-layers-gradcam');

    await key('1');
    expect(near(await pixelAt(...hot), [grey(200), grey(200), grey(200)])).toBe(true);
    await b.screenshot('review-layers-off');
    await key('1');

    await key(']');
    await key(']');
    s = await state(b);
    expect(s.viewer.layers['case-a-cam']!.opacity).toBeCloseTo(0.7, 6);
    expect(near(await pixelAt(...hot), blend(colourAt('turbo', 1), grey(200), 0.7))).toBe(true);

    await key('m');
    s = await state(b);
    expect(s.viewer.layers['case-a-cam']!.colormap).toBe('jet');
    expect(near(await pixelAt(...hot), blend(colourAt('jet', 1), grey(200), 0.7))).toBe(true);
    await b.screenshot('review-layers-jet-70');

    // The square's edge is a ramp (bilinear); a threshold of 0.9 shrinks the drawn area.
    const edge = await pixelAt(143, 150);
    expect(near(edge, [grey(143), grey(143), grey(143)], 2)).toBe(false);
    for (let i = 0; i < 14; i++) await key('.');
    s = await state(b);
    expect(s.viewer.layers['case-a-cam']!.threshold).toBeCloseTo(0.9, 6);
    expect(near(await pixelAt(143, 150), [grey(143), grey(143), grey(143)])).toBe(true);
    expect(near(await pixelAt(...hot), blend(colourAt('jet', 1), grey(200), 0.7))).toBe(true);
    await b.screenshot('review-layers-threshold');

    await key('t');
    // Contour: the inside shows the image, the outline is drawn.
    expect(near(await pixelAt(...hot), [grey(200), grey(200), grey(200)])).toBe(true);
    const v = await viewOf(b);
    const img = await grabPane(b);
    let outline = 0;
    for (let sx = Math.floor(screenOf(v, 130, 0).x); sx < screenOf(v, 200, 0).x; sx++) {
      const px = img.at(sx, screenOf(v, 0, 150).y);
      const ix = (sx + 0.5 - v.x) / v.scale;
      if (!near(px, [grey(ix), grey(ix), grey(ix)], 6)) outline++;
    }
    expect(outline).toBeGreaterThan(0);
    expect(outline).toBeLessThan(12);
    await b.screenshot('review-layers-contour');
    await key('t');
    await key('2');
  });

  it('draws, moves, resizes, relabels and deletes a reviewer box; hover shows label, score and source', async () => {
    await key('b');
    const v = await viewOf(b);
    const pane = (await b.page.getByTestId('viewer-pane-0').boundingBox())!;
    const a = screenOf(v, 300, 220);
    const c = screenOf(v, 360, 270);
    await b.page.mouse.move(pane.x + a.x, pane.y + a.y);
    await b.page.mouse.down();
    await b.page.mouse.move(pane.x + c.x, pane.y + c.y, { steps: 5 });
    await b.page.mouse.up();
    let s = await state(b);
    const boxes = s.review.drafts['case-a']!.boxes;
    expect(boxes).toHaveLength(1);
    expect(boxes[0]!.rect.x).toBeCloseTo(300, 0);
    expect(boxes[0]!.rect.width).toBeCloseTo(60, 0);
    const id = boxes[0]!.id;
    expect(s.viewer.selectedBox).toBe(id);
    await key('ArrowRight');
    await key('Alt+ArrowDown');
    s = await state(b);
    const moved = s.review.drafts['case-a']!.boxes[0]!.rect;
    expect(moved.x).toBeGreaterThan(boxes[0]!.rect.x);
    expect(moved.height).toBeGreaterThan(boxes[0]!.rect.height);
    await key('F2');
    await b.page.keyboard.press('Control+A');
    await b.page.keyboard.type('crack');
    await key('Escape');
    s = await state(b);
    expect(s.review.drafts['case-a']!.boxes[0]!.label).toBe('crack');
    await b.screenshot('review-box-drawn');
    // Move it with the mouse.
    const mid = screenOf(v, moved.x + moved.width / 2, moved.y + moved.height / 2);
    await b.page.mouse.move(pane.x + mid.x, pane.y + mid.y);
    await b.page.mouse.down();
    await b.page.mouse.move(pane.x + mid.x - 20, pane.y + mid.y - 10, { steps: 4 });
    await b.page.mouse.up();
    s = await state(b);
    expect(s.review.drafts['case-a']!.boxes[0]!.rect.x).toBeLessThan(moved.x);
    // Hover over the detector box.
    const det = screenOf(v, 70, 65);
    await b.page.mouse.move(pane.x + det.x, pane.y + det.y);
    const tip = b.page.getByTestId('box-tooltip');
    await tip.waitFor();
    expect(await tip.textContent()).toMatch(/void.*0\.710.*Detector boxes.*vlg@0\.1/s);
    await b.screenshot('review-box-hover');
    // Delete a second box, keep the first.
    const d0 = screenOf(v, 20, 230);
    const d1 = screenOf(v, 60, 280);
    await b.page.mouse.move(pane.x + d0.x, pane.y + d0.y);
    await b.page.mouse.down();
    await b.page.mouse.move(pane.x + d1.x, pane.y + d1.y, { steps: 3 });
    await b.page.mouse.up();
    expect((await state(b)).review.drafts['case-a']!.boxes).toHaveLength(2);
    await key('Delete');
    s = await state(b);
    expect(s.review.drafts['case-a']!.boxes.map((x) => x.id)).toEqual([id]);
    await key('v');
  });

  it('note and boxes survive switching cases (N/P); ? shows the shortcut sheet', async () => {
    await key('e');
    await b.page.keyboard.type('porosity near the tab');
    await key('Escape');
    await key('n');
    await waitAttr(b, 'case-1', 'aria-current', /^true$/);
    expect(await b.page.getByTestId('review-note').inputValue()).toBe('');
    await key('p');
    await waitAttr(b, 'case-0', 'aria-current', /^true$/);
    expect(await b.page.getByTestId('review-note').inputValue()).toBe('porosity near the tab');
    const s = await state(b);
    expect(s.review.drafts['case-a']!.boxes).toHaveLength(1);
    expect(s.review.drafts['case-a']!.dirty).toBe(true);
    // F6 walks the panels: viewer → findings → top bar → cases, focus always visible.
    await b.page.getByTestId('viewer-pane-0').focus();
    await key('F6');
    expect(await b.page.evaluate("!!document.activeElement?.closest('.findings')")).toBe(true);
    await key('F6');
    expect(await b.page.evaluate("!!document.activeElement?.closest('.topbar')")).toBe(true);
    await key('F6');
    expect(await b.page.evaluate("!!document.activeElement?.closest('.cases')")).toBe(true);
    expect(await b.page.evaluate("getComputedStyle(document.activeElement).outlineStyle")).not.toBe('none');
    await key('Shift+F6');
    expect(await b.page.evaluate("!!document.activeElement?.closest('.topbar')")).toBe(true);
    await b.page.locator('body').click({ position: { x: 5, y: 990 } });
    await key('?');
    await b.page.getByTestId('shortcut-sheet').waitFor();
    await b.screenshot('review-shortcut-sheet');
    await key('Escape');
    expect(await b.page.getByTestId('shortcut-sheet').count()).toBe(0);
  });

  it('compare side by side: layers split across panes, pan linked', async () => {
    await key('x');
    await b.page.getByTestId('viewer-pane-1').waitFor();
    await waitAttr(b, 'viewer-pane-1', 'data-view', /./);
    await key('Shift+ArrowRight');
    const v0 = await viewOf(b, 0);
    const v1 = await viewOf(b, 1);
    expect([v1.x, v1.y, v1.scale]).toEqual([v0.x, v0.y, v0.scale]);
    await b.screenshot('review-compare');
    // Shift+X puts the next case of the queue beside this one.
    await key('Shift+X');
    await b.page.getByTestId('pane-caption-1').filter({ hasText: 'Cell B' }).waitFor();
    expect(await b.page.getByTestId('compare-with').inputValue()).toBe('case-b');
    await b.screenshot('review-compare-cases');
    await key('x');
    await key('Space');
  });

  it('Korean, large text and high contrast (no information by colour alone)', async () => {
    await key('Alt+k');
    await b.page.getByRole('heading', { name: '소견' }).waitFor();
    expect(await b.page.getByTestId('verdict').textContent()).toContain('내부 결함');
    expect(await b.page.getByTestId('model-card').textContent()).toContain('CT 기공 분류기');
    await b.screenshot('review-ko');
    await key('Alt+t');
    expect(await b.page.evaluate('getComputedStyle(document.documentElement).fontSize')).toBe('18px');
    await b.screenshot('review-ko-large');
    await key('Alt+c');
    expect(await b.page.evaluate("document.documentElement.classList.contains('high-contrast')")).toBe(true);
    // Boxes take the high-contrast colours (the detector's pure cyan, as its legend swatch) and keep their tags and dashes.
    const v = await viewOf(b);
    const img = await grabPane(b);
    const p = screenOf(v, 40, 70);
    const around = [-2, -1, 0, 1, 2].map((d) => img.at(p.x + d, p.y));
    expect(around.some(([r, g, bl]) => r < 80 && g > 200 && bl > 200)).toBe(true);
    await b.screenshot('review-ko-large-contrast');
    await key('Alt+c');
    await key('Alt+t');
    await key('Alt+k');
    await b.page.getByRole('heading', { name: 'Findings' }).waitFor();
  });
});
