/**
 * PACS viewer conventions on the shared tilted CT head series, in real Chromium with the real
 * handlers: four-corner annotations from the DICOM header, orientation markers from Image
 * Orientation (Patient), a length in mm from Pixel Spacing and a rectangle ROI in HU. Expected
 * values are computed here from the host's own decoded frame and the files' headers read with
 * dicom-parser, independently of the renderer's code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBridge, type Bridge } from '../support/bridge';
import { hasShared, sharedData } from '../support/paths';
import { viewOf, waitAttr } from './viewer-helpers';

const SERIES = join(sharedData, 'dicom', 'ct-series-ge-head-tilted');

if (!hasShared) console.warn('viewer-annotations E2E skipped: ../shared/data is absent');

describe.skipIf(!hasShared)('viewer conventions: corners, orientation, length and ROI (Chromium, real handlers)', () => {
  let b: Bridge;
  beforeAll(async () => {
    if (!existsSync(SERIES)) throw new Error(`expected shared folder missing: ${SERIES}`);
    b = await openBridge({ choosePaths: () => [SERIES] });
    await b.page.getByTestId('open-folder').click();
    await b.page.getByTestId('case-0').filter({ hasText: '(28)' }).waitFor({ timeout: 60_000 });
    await waitAttr(b, 'viewer-pane-0', 'data-view', /"frame":0/);
    await b.page.evaluate(() => (globalThis as unknown as { __inspector: { ready(): Promise<void> } }).__inspector.ready());
  }, 120_000);
  afterAll(async () => {
    await b?.close();
  });

  /** The first slice as the host decoded it (stored values + rescale), and its file's header. */
  async function firstSlice() {
    const { series } = await b.host.handlers['images.openSeries']({ dir: SERIES });
    const s = series[0]!;
    const f = s.frames[0]!;
    const bytes = b.host.media.get(f.mediaId)!.bytes;
    const data = new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const ds = dicomParser.parseDicom(readFileSync(s.files[0]!));
    const hu = (x: number, y: number) => data[y * f.width + x]! * f.slope + f.intercept;
    return { f, hu, ds, count: s.frames.length };
  }

  const lines = async (id: string) => (await b.page.getByTestId(id).locator('div').allInnerTexts()).map((t) => t.trim());

  it('four corners show patient, series, slice position/number, W/L and zoom from the header', async () => {
    const { f, ds, count } = await firstSlice();
    expect(f.dtype).toBe('int16');
    const v = await viewOf(b);
    expect(await lines('corner-topLeft-0')).toEqual([ds.string('x00100010'), `ID ${ds.string('x00100020')}`]);
    const tr = await lines('corner-topRight-0');
    expect(tr).toContain(`${ds.string('x00080060')} Se ${ds.string('x00200011')}`);
    const bl = await lines('corner-bottomLeft-0');
    expect(bl[0]).toBe(`Im 1/${count} (#${ds.string('x00200013')})`);
    // Slice position: Image Position projected on the slice normal (row × column cosines).
    const ipp = [0, 1, 2].map((i) => ds.floatString('x00200032', i)!);
    const o = [0, 1, 2, 3, 4, 5].map((i) => ds.floatString('x00200037', i)!);
    const n = [o[1]! * o[5]! - o[2]! * o[4]!, o[2]! * o[3]! - o[0]! * o[5]!, o[0]! * o[4]! - o[1]! * o[3]!];
    const pos = ipp[0]! * n[0]! + ipp[1]! * n[1]! + ipp[2]! * n[2]!;
    expect(bl[1]).toBe(`Pos ${pos.toFixed(1)} mm`);
    expect(bl[2]).toBe(`Th ${Number(ds.string('x00180050')).toFixed(1)} mm`);
    expect(await lines('corner-bottomRight-0')).toEqual([`W ${Math.round(v.width)} L ${Math.round(v.center)}`, `Zoom ${Math.round(v.scale * 100)}%`]);
    expect([v.width, v.center]).toEqual([Number(ds.string('x00281051')), Number(ds.string('x00281050'))]);
    // Orientation: rows run to the patient's left, columns posterior and (tilted gantry) feet-ward.
    expect(o.slice(0, 3)).toEqual([1, 0, 0]);
    expect(await b.page.getByTestId('orient-right-0').innerText()).toBe('L');
    expect(await b.page.getByTestId('orient-left-0').innerText()).toBe('R');
    expect(await b.page.getByTestId('orient-bottom-0').innerText()).toBe('PF');
    expect(await b.page.getByTestId('orient-top-0').innerText()).toBe('AH');
    // The corner follows the slice: the next one has its own number and position.
    await b.page.getByTestId('viewer-pane-0').focus();
    await b.page.keyboard.press('ArrowDown');
    await waitAttr(b, 'viewer-pane-0', 'data-view', /"frame":1/);
    expect((await lines('corner-bottomLeft-0'))[0]).toMatch(new RegExp(`^Im 2/${count} `));
    expect((await lines('corner-bottomLeft-0'))[1]).not.toBe(bl[1]);
    await b.page.keyboard.press('ArrowUp');
    await waitAttr(b, 'viewer-pane-0', 'data-view', /"frame":0/);
  });

  it('length tool: a drag across the skull reads its length in mm from Pixel Spacing', async () => {
    const { f } = await firstSlice();
    expect(f.pixelSpacing).not.toBeNull();
    const v = await viewOf(b);
    await b.page.getByTestId('tool-length').click();
    const box = (await b.page.getByTestId('viewer-pane-0').boundingBox())!;
    const at = (ix: number, iy: number) => ({ x: box.x + v.x + ix * v.scale, y: box.y + v.y + iy * v.scale });
    const a = at(100, 256);
    const c = at(400, 300);
    await b.page.mouse.move(a.x, a.y);
    await b.page.mouse.down();
    await b.page.mouse.move(c.x, c.y, { steps: 8 });
    await b.page.mouse.up();
    const item = b.page.getByTestId('measurement-length');
    await item.waitFor();
    const [p, q] = JSON.parse((await item.getAttribute('data-points'))!) as { x: number; y: number }[];
    // The line starts and ends where the mouse went (within one screen pixel).
    expect(Math.abs(p!.x - 100)).toBeLessThanOrEqual(1 / v.scale);
    expect(Math.abs(q!.y - 300)).toBeLessThanOrEqual(1 / v.scale);
    const mm = Math.hypot((q!.x - p!.x) * f.pixelSpacing!.column, (q!.y - p!.y) * f.pixelSpacing!.row);
    expect(await item.innerText()).toBe(`${mm.toFixed(1)} mm`);
    // Pixel Spacing 0.488 mm: 300 × 44 px ≈ 148 mm, nowhere near the pixel count.
    expect(mm).toBeGreaterThan(140);
    expect(mm).toBeLessThan(155);
  });

  it('ROI tool: a rectangle in the brain reports mean/SD/min/max in HU', async () => {
    const { f, hu } = await firstSlice();
    expect(f.unit).toBe('HU');
    const v = await viewOf(b);
    await b.page.getByTestId('tool-roi').click();
    const box = (await b.page.getByTestId('viewer-pane-0').boundingBox())!;
    const at = (ix: number, iy: number) => ({ x: box.x + v.x + ix * v.scale, y: box.y + v.y + iy * v.scale });
    const a = at(180, 340);
    const c = at(220, 380);
    await b.page.mouse.move(a.x, a.y);
    await b.page.mouse.down();
    await b.page.mouse.move(c.x, c.y, { steps: 8 });
    await b.page.mouse.up();
    const item = b.page.getByTestId('measurement-roi');
    await item.waitFor();
    const [p, q] = JSON.parse((await item.getAttribute('data-points'))!) as { x: number; y: number }[];
    // Pixels whose centres lie inside the rectangle, HU from the host's stored values.
    const x0 = Math.ceil(Math.min(p!.x, q!.x) - 0.5), x1 = Math.floor(Math.max(p!.x, q!.x) - 0.5);
    const y0 = Math.ceil(Math.min(p!.y, q!.y) - 0.5), y1 = Math.floor(Math.max(p!.y, q!.y) - 0.5);
    const vals: number[] = [];
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) vals.push(hu(x, y));
    const mean = vals.reduce((s, x) => s + x, 0) / vals.length;
    const sd = Math.sqrt(vals.reduce((s, x) => s + (x - mean) ** 2, 0) / vals.length);
    const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));
    const text = await item.innerText();
    expect(text).toContain(`Mean ${fmt(mean)} HU SD ${sd.toFixed(1)}`);
    expect(text).toContain(`Min ${fmt(Math.min(...vals))} Max ${fmt(Math.max(...vals))}`);
    await b.screenshot('viewer-annotations-ct');
    // Delete with a measuring tool on takes back the last measurement only.
    await b.page.getByTestId('viewer-pane-0').focus();
    await b.page.keyboard.press('Delete');
    await item.waitFor({ state: 'detached' });
    expect(await b.page.getByTestId('measurement-length').count()).toBe(1);
    // Soft tissue at the skull base (pydicom: −5.8 HU mean over 180–220 × 340–380), no padding (−1500) or air.
    expect(vals.length).toBeGreaterThan(1400);
    expect(mean).toBeGreaterThan(-30);
    expect(mean).toBeLessThan(20);
    expect(Math.min(...vals)).toBeGreaterThan(-200);
  });
});
