/**
 * A HiDPI screen (Chromium at device scale factor 2, as a Retina or 200 % Windows display): the
 * frame is windowed at device resolution, so every device pixel of the pane equals the imaging
 * core's grey level of the image pixel under it — at fit and zoomed in, where one image pixel
 * spans many device pixels and any resampling on the way to the screen would blur its edges.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImage } from '../../src/core/imaging/index';
import { toGrey8 } from '../../src/core/imaging/pixels';
import type { Frame } from '../../src/core/imaging/types';
import { openBridge, type Bridge } from '../support/bridge';
import { repoRoot } from '../support/paths';
import { grabPane, paneOverlays, viewOf, waitAttr } from './viewer-helpers';

const CT = join(repoRoot, 'tests', 'fixtures', 'imaging', 'voi', 'ct_small_sigmoid.dcm');
const DPR = 2;

describe('HiDPI: the frame is windowed per device pixel (Chromium at device scale factor 2)', () => {
  let b: Bridge;
  beforeAll(async () => {
    b = await openBridge({ choosePaths: () => [CT], deviceScaleFactor: DPR });
  });
  afterAll(async () => {
    await b?.close();
  });

  /** Every device pixel of the visible image (stride 1, central area) against the core's grey. */
  async function expectExact(frame: Frame): Promise<{ compared: number; edges: number }> {
    const want = toGrey8(frame);
    const v = await viewOf(b);
    const img = await grabPane(b);
    const pane = (await b.page.getByTestId('viewer-pane-0').boundingBox())!;
    expect(img.width).toBe(Math.round(pane.width * DPR));
    const covered = await paneOverlays(b);
    const s = v.scale * DPR;
    const ox = v.x * DPR;
    const oy = v.y * DPR;
    // The part of the image on screen, inset so the pane's border is not compared.
    const x0 = Math.max(Math.ceil(ox), 4);
    const y0 = Math.max(Math.ceil(oy), 4);
    const x1 = Math.min(Math.floor(ox + frame.width * s), img.width - 4);
    const y1 = Math.min(Math.floor(oy + frame.height * s), img.height - 4);
    const bad: string[] = [];
    let compared = 0;
    let edges = 0;
    for (let py = y0; py < y1; py++) {
      for (let px = x0; px < x1; px++) {
        if (covered.some(([l, t, r, btm]) => px / DPR >= l - 1 && px / DPR <= r + 1 && py / DPR >= t - 1 && py / DPR <= btm + 1)) continue;
        const ix = Math.floor((px + 0.5 - ox) / s);
        const iy = Math.floor((py + 0.5 - oy) / s);
        const g = want[iy * frame.width + ix]!;
        const [r, gg, bb] = img.at(px, py);
        if (r !== g || gg !== g || bb !== g) bad.push(`device (${px},${py}) image (${ix},${iy}): ${r},${gg},${bb} ≠ ${g}`);
        // A device pixel whose left neighbour shows another image pixel of another grey: an edge.
        if (px > x0 && Math.floor((px - 0.5 - ox) / s) !== ix && want[iy * frame.width + ix - 1] !== g) edges++;
        compared++;
      }
    }
    expect(bad.slice(0, 5), `${bad.length} of ${compared} device pixels differ`).toEqual([]);
    return { compared, edges };
  }

  it('at fit and at 8× zoom, every device pixel is the core’s grey of its image pixel', async () => {
    // The operator chooser opens at start; its drop shadow falls on the pane's right edge.
    await b.page.getByTestId('operator-later').click();
    await b.page.getByTestId('open-files').click();
    await b.page.getByTestId('case-0').waitFor();
    await waitAttr(b, 'viewer-pane-0', 'data-view', /./);
    await b.page.evaluate(() => (globalThis as unknown as { __inspector: { ready(): Promise<void> } }).__inspector.ready());
    const frame = (await loadImage(CT)).frames[0]!;
    expect(await b.page.evaluate('devicePixelRatio')).toBe(DPR);

    const fit = await expectExact(frame);
    expect(fit.compared).toBeGreaterThan(100_000);
    await b.screenshot('viewer-hidpi-fit');

    // Ctrl+wheel zooms about the pointer; several notches take one image pixel to many device pixels.
    const box = (await b.page.getByTestId('viewer-pane-0').boundingBox())!;
    await b.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await b.page.keyboard.down('Control');
    for (let i = 0; i < 12; i++) await b.page.mouse.wheel(0, -100);
    await b.page.keyboard.up('Control');
    const zoomed = await viewOf(b);
    expect(zoomed.scale * DPR).toBeGreaterThan(8);
    const z = await expectExact(frame);
    // Image pixel edges were compared too (where smoothing would have left intermediate greys).
    expect(z.edges).toBeGreaterThan(1000);
    await b.screenshot('viewer-hidpi-zoomed');
  });
});
