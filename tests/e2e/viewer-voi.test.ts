/**
 * Exact DICOM display in Chromium: files whose display is a VOI LUT Sequence (pydicom's vlut_04,
 * an identity ramp, and a committed gamma-table fixture), one with VOI LUT Function SIGMOID (a
 * committed fixture: no public file in ../shared/data has one) and one with a Modality LUT
 * Sequence (mlut_18) are opened through the real handlers; the pane's
 * pixels must equal the imaging core's `toGrey8` of the same file, before and after a W/L drag.
 * Also the shortcut sheet's workspace switches (Alt+1/2/3) in both languages.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImage } from '../../src/core/imaging/index';
import { toGrey8 } from '../../src/core/imaging/pixels';
import type { Frame, WindowSetting } from '../../src/core/imaging/types';
import { openBridge, type Bridge } from '../support/bridge';
import { hasShared, repoRoot, sharedData } from '../support/paths';
import { grabPane, paneOverlays, viewOf, waitAttr, type View } from './viewer-helpers';

const VLUT = join(sharedData, 'dicom', 'pydicom-data', 'vlut_04.dcm');
const MLUT = join(sharedData, 'dicom', 'pydicom-data', 'mlut_18.dcm');
const SIGMOID = join(repoRoot, 'tests', 'fixtures', 'imaging', 'voi', 'ct_small_sigmoid.dcm');
const GAMMA_LUT = join(repoRoot, 'tests', 'fixtures', 'imaging', 'voi', 'ct_small_voilut.dcm');

type VoiView = View & { voi: string };

if (!hasShared) console.warn('viewer-voi E2E: the VOI LUT and Modality LUT files are skipped, ../shared/data is absent');

describe('exact DICOM VOI in the viewer (Chromium, real handlers)', () => {
  let b: Bridge;
  let chosen: string[] = [];
  beforeAll(async () => {
    for (const f of [SIGMOID, GAMMA_LUT]) if (!existsSync(f)) throw new Error(`fixture missing: ${f}`);
    if (hasShared) for (const f of [VLUT, MLUT]) if (!existsSync(f)) throw new Error(`expected shared file missing: ${f}`);
    b = await openBridge({ choosePaths: () => chosen });
  });
  afterAll(async () => {
    await b?.close();
  });

  async function open(path: string): Promise<{ frame: Frame; view: VoiView }> {
    chosen = [path];
    await b.page.getByTestId('open-files').click();
    await b.page.getByTestId('case-0').waitFor();
    await waitAttr(b, 'viewer-pane-0', 'data-view', /./);
    await b.page.evaluate(() => (globalThis as unknown as { __inspector: { ready(): Promise<void> } }).__inspector.ready());
    const frame = (await loadImage(path)).frames[0]!;
    return { frame, view: (await viewOf(b)) as VoiView };
  }

  /**
   * Every screen pixel over the image's central 80 % against the core's grey level of the image
   * pixel under it (nearest, as the renderer samples). Returns how many were compared.
   */
  async function expectCoreGrey(frame: Frame, window?: WindowSetting): Promise<number> {
    const want = toGrey8(frame, window);
    const v = await viewOf(b);
    const img = await grabPane(b);
    const covered = await paneOverlays(b);
    let n = 0;
    const bad: string[] = [];
    const x0 = Math.ceil(v.x + frame.width * v.scale * 0.1);
    const x1 = Math.floor(v.x + frame.width * v.scale * 0.9);
    const y0 = Math.ceil(v.y + frame.height * v.scale * 0.1);
    const y1 = Math.floor(v.y + frame.height * v.scale * 0.9);
    for (let sy = y0; sy < y1; sy += 3) {
      for (let sx = x0; sx < x1; sx += 3) {
        if (covered.some(([l, t, r, btm]) => sx >= l - 1 && sx <= r + 1 && sy >= t - 1 && sy <= btm + 1)) continue;
        const ix = Math.floor((sx + 0.5 - v.x) / v.scale);
        const iy = Math.floor((sy + 0.5 - v.y) / v.scale);
        const g = want[iy * frame.width + ix]!;
        const [r, gg, bb] = img.at(sx, sy);
        if (r !== g || gg !== g || bb !== g) bad.push(`(${ix},${iy}) stored ${frame.stored[iy * frame.width + ix]}: ${r},${gg},${bb} ≠ ${g}`);
        n++;
      }
    }
    expect(bad.slice(0, 5), `${bad.length} of ${n} pixels differ`).toEqual([]);
    expect(n, 'most of the image is compared, not hidden under overlays').toBeGreaterThan(((x1 - x0) * (y1 - y0)) / 9 / 2);
    return n;
  }

  async function drag(dx: number, dy: number) {
    const box = (await b.page.getByTestId('viewer-pane-0').boundingBox())!;
    const start = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    await b.page.mouse.move(start.x, start.y);
    await b.page.mouse.down();
    await b.page.mouse.move(start.x + dx, start.y + dy, { steps: 4 });
    await b.page.mouse.up();
  }

  it('SIGMOID (0028,1056): drawn as the sigmoid, and a drag moves the sigmoid’s centre/width', async () => {
    const { frame, view } = await open(SIGMOID);
    expect(frame.windows[0]).toMatchObject({ center: 40, width: 400, function: 'SIGMOID' });
    expect(view.voi).toBe('SIGMOID');
    expect([view.center, view.width]).toEqual([40, 400]);
    expect(await b.page.getByTestId('voi-0').textContent()).toContain('SIGMOID');
    expect(await expectCoreGrey(frame)).toBeGreaterThan(1000);
    await b.screenshot('viewer-voi-sigmoid');
    await drag(40, -20);
    const v = (await viewOf(b)) as VoiView;
    expect(v.voi).toBe('SIGMOID');
    expect(v.width).toBeGreaterThan(400);
    expect(v.center).toBeLessThan(40);
    await expectCoreGrey(frame, { center: v.center, width: v.width, function: 'SIGMOID' });
    // A preset is a LINEAR window; the default (Shift+0) brings the file's sigmoid back.
    await b.page.getByTestId('preset-soft').click();
    expect(((await viewOf(b)) as VoiView).voi).toBe('LINEAR');
    await expectCoreGrey(frame, { center: 40, width: 400, function: 'LINEAR' });
    await b.page.getByTestId('viewer-pane-0').focus();
    await b.page.keyboard.press('Shift+Digit0');
    expect(((await viewOf(b)) as VoiView).voi).toBe('SIGMOID');
    await expectCoreGrey(frame);
  });

  it('VOI LUT Sequence (gamma table): the table is the display; a drag switches to the linear window over its range', async () => {
    const { frame, view } = await open(GAMMA_LUT);
    expect(frame.windows).toEqual([]);
    expect(frame.voiLut?.data.length).toBe(1200);
    expect(view.voi).toBe('VOI_LUT');
    expect(await b.page.getByTestId('voi-0').getAttribute('data-voi')).toBe('VOI_LUT');
    expect(await b.page.getByTestId('voi-0').textContent()).toContain('VOI LUT table “GAMMA 0.5”');
    // The table's linear window over its input range (where a drag starts) draws something else.
    const linear = toGrey8(frame, { center: 600, width: 1200, function: 'LINEAR' });
    const table = toGrey8(frame);
    expect(table.filter((g, i) => Math.abs(g - linear[i]!) > 20).length).toBeGreaterThan(1000);
    expect(await expectCoreGrey(frame)).toBeGreaterThan(1000);
    await b.screenshot('viewer-voi-lut-gamma');
    await drag(30, 10);
    const v = (await viewOf(b)) as VoiView;
    expect(v.voi).toBe('LINEAR');
    expect(v.width).toBeGreaterThan(1200);
    expect(await b.page.getByTestId('voi-0').textContent()).toMatch(/W \d+ \/ L \d+/);
    await expectCoreGrey(frame, { center: v.center, width: v.width, function: 'LINEAR' });
    await b.screenshot('viewer-voi-lut-dragged');
    await b.page.getByTestId('viewer-pane-0').focus();
    await b.page.keyboard.press('Shift+Digit0');
    expect(((await viewOf(b)) as VoiView).voi).toBe('VOI_LUT');
    await expectCoreGrey(frame);
  });

  it.skipIf(!hasShared)('VOI LUT Sequence of a public file (pydicom-data vlut_04): table mode, exact pixels', async () => {
    const { frame, view } = await open(VLUT);
    expect(frame.windows).toEqual([]);
    expect(frame.voiLut?.data.length).toBe(256);
    expect(view.voi).toBe('VOI_LUT');
    expect(await expectCoreGrey(frame)).toBeGreaterThan(1000);
    await b.screenshot('viewer-voi-lut');
    await drag(-20, 10);
    const v = (await viewOf(b)) as VoiView;
    expect(v.voi).toBe('LINEAR');
    await expectCoreGrey(frame, { center: v.center, width: v.width, function: 'LINEAR' });
  });

  it.skipIf(!hasShared)('Modality LUT Sequence (mlut_18): stored values and the table travel; the display is the core’s', async () => {
    b.host.grants.grant(MLUT);
    const opened = await b.host.handlers['images.open']({ path: MLUT });
    expect(opened.frames[0]!.dtype).toBe('int16');
    expect(opened.frames[0]!.modalityLut?.data.length).toBe(4096);
    const { frame, view } = await open(MLUT);
    expect(frame.modality.kind).toBe('lut');
    expect(view.voi).toBe('LINEAR');
    expect(await expectCoreGrey(frame)).toBeGreaterThan(1000);
    await b.screenshot('viewer-voi-modality-lut');
    await drag(-30, 15);
    const v = await viewOf(b);
    await expectCoreGrey(frame, { center: v.center, width: v.width, function: 'LINEAR' });
  });

  it('the shortcut sheet lists Alt+1…7 (Review, History, Dashboard, Evaluate, Worklist, Line, Fleet) in English and Korean', async () => {
    const { page } = b;
    await page.locator('body').click({ position: { x: 5, y: 990 } });
    await page.keyboard.press('?');
    const sheet = page.getByTestId('shortcut-sheet');
    await sheet.waitFor();
    const rows = async () => (await sheet.locator('.sheet-row').allTextContents()).filter((t) => /^Alt\+\d/.test(t));
    expect(await rows()).toEqual(['Alt+1Go to Review', 'Alt+2Go to History', 'Alt+3Go to Dashboard', 'Alt+4Go to Evaluate', 'Alt+5Go to the DICOM worklist', 'Alt+6Go to Line', 'Alt+7Go to the Fleet room']);
    await b.screenshot('viewer-shortcut-sheet-views');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Alt+KeyK');
    await page.keyboard.press('?');
    await sheet.waitFor();
    expect(await rows()).toEqual(['Alt+1판독 화면으로 이동', 'Alt+2이력 화면으로 이동', 'Alt+3대시보드로 이동', 'Alt+4평가 화면으로 이동', 'Alt+5DICOM 워크리스트로 이동', 'Alt+6라인 화면으로 이동', 'Alt+7플릿 화면으로 이동']);
    await b.screenshot('viewer-shortcut-sheet-views-ko');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Alt+KeyK');
  });
});
