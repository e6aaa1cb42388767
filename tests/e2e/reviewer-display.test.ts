/**
 * Display details of issue 11 item 8, in Chromium with real host media: region captions readable
 * (size follows Large text, on a dark tag) and never clipped at the pane edge; high contrast
 * changes legend swatches and boxes alike; legend numbers never run into each other; the pixel
 * readout cleared when the case changes and in the image's own unit (HU only where the frame says
 * so, "(raw)" otherwise); Korean text: banner, class names, model card, keep-all wrapping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBridge, type Bridge } from '../support/bridge';
import { reviewCases } from './review-fixtures';
import { openCases, waitAttr } from './viewer-helpers';

type Caption = { text: string; fill: string; fontSize: number; x: number; y: number; width: number; height: number };
type Rect = { x: number; y: number; width: number; height: number };
const overlap = (a: Rect, b: Rect) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('captions, legend, high contrast, readout, Korean (fixture cases)', () => {
  let b: Bridge;
  const hook = <T>(fn: string, ...args: unknown[]) =>
    b.page.evaluate(([f, a]) => (globalThis as unknown as Record<string, Record<string, (...x: unknown[]) => unknown>>)['__inspector']![f as string]!(...(a as unknown[])), [fn, args] as const) as Promise<T>;
  const pane = async () => (await b.page.getByTestId('viewer-pane-0').boundingBox())!;
  const captions = () => hook<Caption[]>('boxCaptions', 0);

  beforeAll(async () => {
    b = await openBridge({ viewport: { width: 1600, height: 1000 } });
    const [a, c] = reviewCases(b);
    // Case B is a CT frame rescaled to HU; case A has no unit (raw stored values).
    const ct = { ...c!, frames: c!.frames.map((f) => ({ ...f, unit: 'HU' })), heatmaps: c!.heatmaps!.map((h) => ({ ...h, scale: { min: -1234.5678, max: 98765.4321, kind: 'calibrated' } })) };
    await openCases(b, [a!, ct] as never);
    await b.page.getByTestId('operator-later').click();
  });
  afterAll(async () => {
    await b?.close();
  });

  it('captions stay inside the pane when a box touches its top or right edge', async () => {
    const p = await pane();
    // Region box (150,100) at the pane's very top; detector box (40..100) ending at its right edge.
    for (const vp of [
      { scale: 2, x: 0, y: -100 * 2 },
      { scale: 1, x: p.width - 100, y: 10 },
      { scale: 3, x: -150 * 3 + 5, y: -100 * 3 },
    ]) {
      await hook('setViewport', vp, 0);
      await b.page.waitForTimeout(100);
      const cs = await captions();
      expect(cs.length).toBe(2);
      for (const c of cs) {
        const visible = c.x + c.width > 0 && c.x < p.width && c.y + c.height > 0 && c.y < p.height;
        if (!visible) continue; // the box itself is off screen
        expect(c.x, `${c.text} at ${JSON.stringify(vp)}`).toBeGreaterThanOrEqual(-0.5);
        expect(c.y, `${c.text} at ${JSON.stringify(vp)}`).toBeGreaterThanOrEqual(-0.5);
        expect(c.x + c.width, `${c.text} at ${JSON.stringify(vp)}`).toBeLessThanOrEqual(p.width + 0.5);
      }
    }
    await hook('setViewport', { scale: 2, x: 0, y: -100 * 2 }, 0);
    await b.screenshot('reviewer-captions-edge');
  });

  it('caption size follows Large text; high contrast changes boxes and legend swatches alike', async () => {
    const before = await captions();
    expect(before.every((c) => c.fontSize === 13)).toBe(true);
    await b.page.getByTestId('large-text').click();
    await b.page.waitForTimeout(100);
    expect((await captions()).every((c) => c.fontSize === 17)).toBe(true);
    await b.page.getByTestId('large-text').click();

    const swatch = (src: string) => b.page.getByTestId(`swatch-${src}`).evaluate((e) => getComputedStyle(e).borderTopColor);
    const hex = (rgb: string) => '#' + rgb.match(/\d+/g)!.slice(0, 3).map((n) => Number(n).toString(16).padStart(2, '0')).join('');
    const fills = async () => Object.fromEntries((await captions()).map((c) => [c.text.split(' ')[0], c.fill.toLowerCase()]));
    const normal = { region: hex(await swatch('region')), detector: hex(await swatch('detector')) };
    expect(await fills()).toEqual({ REG: normal.region, DET: normal.detector });
    await b.page.getByTestId('high-contrast').click();
    await b.page.waitForTimeout(100);
    const contrast = { region: hex(await swatch('region')), detector: hex(await swatch('detector')) };
    expect(contrast).not.toEqual(normal);
    expect(contrast.region).not.toBe(contrast.detector);
    expect(await fills()).toEqual({ REG: contrast.region, DET: contrast.detector });
    await b.screenshot('reviewer-high-contrast');
    await b.page.getByTestId('high-contrast').click();
  });

  it('legend numbers never overlap, also with long values and Large text', async () => {
    await b.page.getByTestId('case-1').click();
    await waitAttr(b, 'case-1', 'aria-current', /true/);
    for (const large of [false, true]) {
      if (large) await b.page.getByTestId('large-text').click();
      // Case B's legend (not case A's, still up until B's scene is shown).
      await b.page.locator('[data-testid^="legend-case-b"]').first().waitFor();
      const items = await b.page.locator('[data-testid^="legend-case-b"]').all();
      expect(items.length).toBeGreaterThan(0);
      for (const item of items) {
        const [min, max, thr] = await Promise.all(['legend-min', 'legend-max', 'legend-threshold'].map(async (id) => (await item.getByTestId(id).boundingBox())!));
        expect(overlap(min!, max!)).toBe(false);
        expect(overlap(min!, thr!)).toBe(false);
        expect(overlap(max!, thr!)).toBe(false);
        expect(await item.getByTestId('legend-max').textContent()).toBe('98765');
      }
      await b.screenshot(large ? 'reviewer-legend-large' : 'reviewer-legend');
    }
    await b.page.getByTestId('large-text').click();
  });

  it('the pixel readout shows the image unit (HU only for the CT frame, raw otherwise) and clears on a case change', async () => {
    const p = await pane();
    const readout = b.page.getByTestId('readout-0');
    await b.page.mouse.move(p.x + p.width / 2, p.y + p.height / 2);
    await b.page.waitForFunction(() => /x \d+ y \d+/.test(document.querySelector('[data-testid="readout-0"]')?.textContent ?? ''));
    expect(await readout.textContent()).toMatch(/x \d+ y \d+ · \d+ HU/);
    await b.page.keyboard.press('p'); // previous case (the mouse stays where it is)
    await waitAttr(b, 'case-0', 'aria-current', /true/);
    // Cleared once case A is shown, though the mouse has not moved (before, the last value stayed up).
    await b.page.waitForFunction(() => !/x \d+ y \d+/.test(document.querySelector('[data-testid="readout-0"]')?.textContent ?? ''), undefined, { timeout: 5000 });
    expect(await b.page.getByTestId('readout-0').textContent()).not.toMatch(/x \d+ y \d+/);
    await b.page.mouse.move(p.x + p.width / 2 + 3, p.y + p.height / 2);
    await b.page.waitForFunction(() => /x \d+ y \d+/.test(document.querySelector('[data-testid="readout-0"]')?.textContent ?? ''));
    const raw = (await b.page.getByTestId('readout-0').textContent())!;
    expect(raw).toMatch(/x \d+ y \d+ · \d+ \(raw\)/);
    expect(raw).not.toContain('HU');
  });

  it('Korean: banner, class names and model card in Korean, words kept whole when wrapping', async () => {
    await b.page.getByTestId('lang-ko').click();
    const banner = b.page.getByTestId('verdict-banner');
    await banner.filter({ hasText: '내부 결함' }).waitFor();
    const card = (await b.page.getByTestId('model-card').textContent())!;
    expect(card).toContain('CT 기공 분류기');
    expect(card).toContain('배터리 CT 단면.');
    expect(await b.page.getByTestId('verdict-card').textContent()).toContain('외부 결함');
    // Region captions name the class in Korean too (the detector's own label has no pack name).
    await b.page.waitForTimeout(100);
    expect((await captions()).map((c) => c.text).sort()).toEqual(['DET void 0.71', 'REG 내부 결함 0.83']);
    expect(await b.page.getByTestId('regions').textContent()).toContain('REG 내부 결함 0.83');
    const style = await b.page.locator('.findings').evaluate((e) => getComputedStyle(e).wordBreak);
    expect(style).toBe('keep-all');
    await b.screenshot('reviewer-korean');
    await b.page.getByTestId('lang-en').click();
  });
});
