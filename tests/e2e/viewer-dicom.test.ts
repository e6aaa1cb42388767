/**
 * Real DICOM in the viewer: a CT (int16, HU) and a MONOCHROME1 CR are opened through the real
 * `files.choose` → `images.open` handlers, windowed from full-precision pixels, and dragged with
 * the mouse; rendered pixels are checked against the DICOM LINEAR formula on the stored values.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBridge, type Bridge } from '../support/bridge';
import { hasShared, sharedData } from '../support/paths';
import { grabPane, screenOf, viewOf, waitAttr, type View } from './viewer-helpers';
import { dragSensitivity, voiLinear } from './viewer-oracle';

const CT = join(sharedData, 'dicom', 'cornerstone-testimages', 'CTImage.dcm');
const CR = join(sharedData, 'dicom', 'dwv-testdata', 'gdcm-CR-MONO1-10-chest.dcm');
const SERIES = join(sharedData, 'dicom', 'ct-series-ge-head-tilted');

if (!hasShared) console.warn('viewer-dicom E2E skipped: ../shared/data is absent');

describe.skipIf(!hasShared)('DICOM display in the viewer (Chromium, real handlers)', () => {
  let b: Bridge;
  let chosen: string[] = [];
  beforeAll(async () => {
    for (const f of [CT, CR, SERIES]) if (!existsSync(f)) throw new Error(`expected shared file missing: ${f}`);
    b = await openBridge({ choosePaths: () => chosen });
  });
  afterAll(async () => {
    await b?.close();
  });

  /** The stored values the host published for the frame on screen, fetched from the media store. */
  async function storedPixels(path: string) {
    const opened = await b.host.handlers['images.open']({ path });
    const f = opened.frames[0]!;
    const bytes = b.host.media.get(f.mediaId)!.bytes;
    const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const data = f.dtype === 'int16' ? new Int16Array(buf) : f.dtype === 'uint16' ? new Uint16Array(buf) : new Uint8Array(buf);
    return { f, real: (x: number, y: number) => data[Math.floor(y) * f.width + Math.floor(x)]! * f.slope + f.intercept };
  }

  async function openFiles(paths: string[]) {
    chosen = paths;
    await b.page.getByTestId('open-files').click();
    await b.page.getByTestId('case-0').waitFor();
    await waitAttr(b, 'viewer-pane-0', 'data-view', /./);
    await b.page.evaluate(() => (globalThis as unknown as { __inspector: { ready(): Promise<void> } }).__inspector.ready());
  }

  /** Grey levels on screen vs the LINEAR formula at sample points across the image. */
  async function checkWindowed(v: View, real: (x: number, y: number) => number, w: number, h: number, invert: boolean) {
    const img = await grabPane(b);
    let n = 0;
    for (const [fx, fy] of [[0.3, 0.3], [0.5, 0.5], [0.7, 0.4], [0.45, 0.75], [0.2, 0.6]] as const) {
      const ix = Math.floor(w * fx) + 0.5;
      const iy = Math.floor(h * fy) + 0.5;
      const p = screenOf(v, ix, iy);
      let g = voiLinear(real(ix, iy), { center: v.center, width: v.width });
      if (invert) g = 255 - g;
      const [r, gg, bb] = img.at(p.x, p.y);
      expect(Math.abs(r - g), `at ${ix},${iy}`).toBeLessThanOrEqual(1);
      expect(gg).toBe(r);
      expect(bb).toBe(r);
      n++;
    }
    return n;
  }

  it('CT: default window from the file, then drag W/L like OHIF (x = width, y = centre)', async () => {
    await openFiles([CT]);
    const { f, real } = await storedPixels(CT);
    expect(f.dtype).toBe('int16');
    let v = await viewOf(b);
    expect(v.invert).toBe(false);
    expect(v.width).toBe(f.windows[0]!.width);
    expect(await checkWindowed(v, real, f.width, f.height, false)).toBe(5);
    await b.screenshot('viewer-ct-default');

    const pane = b.page.getByTestId('viewer-pane-0');
    const box = (await pane.boundingBox())!;
    const start = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    await b.page.mouse.move(start.x, start.y);
    await b.page.mouse.down();
    await b.page.mouse.move(start.x + 60, start.y + 30, { steps: 6 });
    await b.page.mouse.up();
    const before = v;
    v = await viewOf(b);
    // Sensitivity as OHIF: 4 × dynamic range / 1024 per pixel (±1 px: the cursor lands on sub-pixels).
    const m = dragSensitivity(f.min, f.max);
    expect(Math.abs(v.width - (before.width + 60 * m))).toBeLessThanOrEqual(1.5 * m);
    expect(Math.abs(v.center - (before.center + 30 * m))).toBeLessThanOrEqual(1.5 * m);
    expect(v.width).toBeGreaterThan(before.width);
    expect(await checkWindowed(v, real, f.width, f.height, false)).toBe(5);
    await b.screenshot('viewer-ct-dragged');
  });

  it('CT: presets and a narrow window resolve single HU steps (full precision, not an 8-bit preview)', async () => {
    const { f, real } = await storedPixels(CT);
    await b.page.keyboard.press('Shift+Digit2');
    let v = await viewOf(b);
    expect([v.width, v.center]).toEqual([1500, -600]);
    await b.page.getByTestId('preset-bone').click();
    v = await viewOf(b);
    expect([v.width, v.center]).toEqual([2000, 300]);
    expect(await checkWindowed(v, real, f.width, f.height, false)).toBe(5);
    await b.screenshot('viewer-ct-bone');
    await b.page.getByTestId('preset-soft').click();
    v = await viewOf(b);
    expect([v.width, v.center]).toEqual([400, 40]);
    expect(await checkWindowed(v, real, f.width, f.height, false)).toBe(5);
    // Two neighbouring pixels 1–3 HU apart, window 2 HU wide between them: black and white.
    // An 8-bit preview of the 12-bit range could not tell them apart.
    const y = Math.floor(f.height / 2) + 0.5;
    let pair: [number, number] | undefined;
    for (let x = Math.floor(f.width * 0.3); x < f.width * 0.7 && !pair; x++) {
      const d = real(x + 1.5, y) - real(x + 0.5, y);
      if (d >= 1 && d <= 3) pair = [x + 0.5, x + 1.5];
    }
    expect(pair).toBeDefined();
    const [x0, x1] = pair!;
    const mid = (real(x0, y) + real(x1, y)) / 2;
    await b.page.evaluate(([c, w]) => (globalThis as unknown as { __inspector: { setWindow(c: number, w: number): void } }).__inspector.setWindow(c, w), [mid + 0.5, 2] as const);
    v = await viewOf(b);
    const img = await grabPane(b);
    const dark = img.at(screenOf(v, x0, y).x, screenOf(v, x0, y).y)[0];
    const light = img.at(screenOf(v, x1, y).x, screenOf(v, x1, y).y)[0];
    expect(dark).toBe(voiLinear(real(x0, y), { center: mid + 0.5, width: 2 }));
    expect(light).toBe(voiLinear(real(x1, y), { center: mid + 0.5, width: 2 }));
    expect(light - dark).toBeGreaterThan(200);
    // Space resets to the file's window and the fitted view.
    await b.page.getByTestId('viewer-pane-0').focus();
    await b.page.keyboard.press('Space');
    v = await viewOf(b);
    expect(v.width).toBe(f.windows[0]!.width);
  });

  it('MONOCHROME1 CR: displayed inverted (low values white), invert toggle flips it back', async () => {
    await openFiles([CR]);
    const { f, real } = await storedPixels(CR);
    expect(f.invert).toBe(true);
    let v = await viewOf(b);
    expect(v.invert).toBe(true);
    expect(await checkWindowed(v, real, f.width, f.height, true)).toBe(5);
    await b.screenshot('viewer-cr-mono1');
    await b.page.keyboard.press('i');
    v = await viewOf(b);
    expect(v.invert).toBe(false);
    expect(await checkWindowed(v, real, f.width, f.height, false)).toBe(5);
    await b.page.keyboard.press('i');
    // Drag on the radiograph: narrower and lower.
    const box = (await b.page.getByTestId('viewer-pane-0').boundingBox())!;
    const before = await viewOf(b);
    await b.page.mouse.move(box.x + 300, box.y + 300);
    await b.page.mouse.down();
    await b.page.mouse.move(box.x + 260, box.y + 280, { steps: 4 });
    await b.page.mouse.up();
    v = await viewOf(b);
    expect(v.width).toBeLessThan(before.width);
    expect(v.center).toBeLessThan(before.center);
    expect(await checkWindowed(v, real, f.width, f.height, true)).toBe(5);
    await b.screenshot('viewer-cr-dragged');
  });

  it('the opt-in WebGL path windows the CT to the same grey levels', async () => {
    await b.page.evaluate("localStorage.setItem('inspector.renderer', 'webgl')");
    await b.page.reload();
    await openFiles([CT]);
    const { f, real } = await storedPixels(CT);
    let v = await viewOf(b);
    // The WebGL canvas took the pane's size: it, not the 2D layer, drew the frame.
    const pane = await b.page.getByTestId('viewer-pane-0').boundingBox();
    expect(await b.page.evaluate("document.querySelector('[data-testid=\"viewer-pane-0\"] canvas.gl-image').width")).toBe(Math.floor(pane!.width));
    expect(await checkWindowed(v, real, f.width, f.height, false)).toBe(5);
    await b.page.getByTestId('preset-bone').click();
    v = await viewOf(b);
    expect(await checkWindowed(v, real, f.width, f.height, false)).toBe(5);
    await b.screenshot('viewer-ct-webgl');
    await b.page.evaluate("localStorage.removeItem('inspector.renderer')");
    await b.page.reload();
  });

  it('a folder opens as a series: wheel and arrow keys step through slices', async () => {
    chosen = [SERIES];
    await b.page.getByTestId('open-folder').click();
    await b.page.getByTestId('case-0').waitFor({ timeout: 60_000 });
    await b.page.getByTestId('case-0').filter({ hasText: '(28)' }).waitFor();
    await waitAttr(b, 'viewer-pane-0', 'data-view', /"frame":0/);
    const box = (await b.page.getByTestId('viewer-pane-0').boundingBox())!;
    await b.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await b.page.mouse.wheel(0, 100);
    await b.page.mouse.wheel(0, 100);
    await waitAttr(b, 'viewer-pane-0', 'data-view', /"frame":2/);
    await b.page.keyboard.press('ArrowUp');
    expect((await viewOf(b)).frame).toBe(1);
    await b.screenshot('viewer-series-slice');
  });
});
