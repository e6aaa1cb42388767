/**
 * Heatmaps land exactly on image pixels: a known map is drawn over a known image whose aspect ratio
 * differs from the square model input, and the composited canvas is read back at known positions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBridge, type Bridge } from '../support/bridge';
import { expectNear, grabPane, openCases, publish, screenOf, viewOf, type CaseRef } from './viewer-helpers';
import { colourAt } from './viewer-oracle';

type InputMapping = Record<string, unknown>;

const W = 300;
const H = 200;
/** 8×8 map of 2×2 constant blocks: block (r, c) = (4r + c) / 15, so each block centre is exact. */
function blockMap(): Float32Array {
  const m = new Float32Array(64);
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) m[y * 8 + x] = (4 * (y >> 1) + (x >> 1)) / 15;
  return m;
}

describe('heatmap alignment on image pixels (Chromium, real media bytes)', () => {
  let b: Bridge;
  let caseFor: (mapping: InputMapping, id: string) => CaseRef;
  beforeAll(async () => {
    b = await openBridge({ viewport: { width: 1600, height: 1000 } });
    // The profile chooser opens over the viewer at start (never over the verdict): dismiss it, as a user would.
    await b.page.getByTestId('operator-later').click();
    // A black 16-bit image (value 0 under a window at 1000) so the map's colours read back unmixed.
    const pixels = publish(b, new Uint16Array(W * H));
    const map = publish(b, blockMap());
    caseFor = (mapping, id) => ({
      id,
      title: id,
      origin: 'test',
      frames: [{ mediaId: pixels, width: W, height: H, channels: 1, dtype: 'uint16', windows: [{ center: 1000, width: 100 }] }],
      heatmaps: [
        { mediaId: map, id: `${id}-cam`, kind: 'gradcam', method: 'Grad-CAM', source: 'test-pack@1', width: 8, height: 8, mapping, scale: { min: 0, max: 1, kind: 'calibrated' } },
      ],
    });
  });
  afterAll(async () => {
    await b?.close();
  });

  async function checkBlocks(id: string, cover: { x: number; y: number; width: number; height: number }) {
    const { page } = b;
    // Full opacity, no threshold, jet: every covered pixel is exactly a colour-map entry.
    await page.getByTestId(`layer-opacity-${id}-cam`).fill('1');
    await page.getByTestId(`layer-threshold-${id}-cam`).fill('0');
    await page.getByTestId(`layer-colormap-${id}-cam`).selectOption('jet');
    const v = await viewOf(b);
    // The three controls each re-render the layer; read the pane back once the last one is drawn
    // (the first block shows the full-opacity colour), not while an earlier frame is still up.
    const near = (a: number[], e: number[]) => a.every((x, i) => Math.abs(x - e[i]!) <= 3);
    const probe = (() => {
      for (let r = 0; r < 4; r++)
        for (let c = 0; c < 4; c++) {
          const ix = cover.x + ((2 * c + 1) / 8) * cover.width;
          const iy = cover.y + ((2 * r + 1) / 8) * cover.height;
          if (ix >= 0 && iy >= 0 && ix < W && iy < H) return { p: screenOf(v, ix, iy), want: colourAt('jet', (4 * r + c) / 15) };
        }
      throw new Error('no block on the image');
    })();
    let img = await grabPane(b);
    for (let i = 0; i < 20 && !near(img.at(probe.p.x, probe.p.y), probe.want); i++) {
      await page.waitForTimeout(100);
      img = await grabPane(b);
    }
    let checked = 0;
    for (let r = 0; r < 4; r++) {
      for (let c = 0; c < 4; c++) {
        const ix = cover.x + ((2 * c + 1) / 8) * cover.width;
        const iy = cover.y + ((2 * r + 1) / 8) * cover.height;
        if (ix < 0 || iy < 0 || ix >= W || iy >= H) continue;
        const p = screenOf(v, ix, iy);
        expectNear(img.at(p.x, p.y), colourAt('jet', (4 * r + c) / 15), 3);
        checked++;
      }
    }
    return { v, img, checked };
  }

  // The legend is an overlay in the pane's top-right corner (as OHIF's overlays are); at fit it covers
  // block r0 c3 of a stretch map. A reviewer folds it with G to see that corner — so does this test,
  // which is about where the map lands, not about the legend.
  it('stretch: the map covers the whole 3:2 image', async () => {
    await openCases(b, [caseFor({ kind: 'stretch', inputWidth: 224, inputHeight: 224 }, 'stretch')]);
    await b.page.keyboard.press('g');
    await b.page.getByTestId('legend-open').waitFor();
    const { checked } = await checkBlocks('stretch', { x: 0, y: 0, width: W, height: H });
    expect(checked).toBe(16);
    await b.screenshot('viewer-align-stretch');
  });

  it('centre crop: the map covers only the centred 175² square; outside it the image shows', async () => {
    await openCases(b, [caseFor({ kind: 'center-crop', inputWidth: 224, inputHeight: 224, resize: 256 }, 'crop')]);
    const cover = { x: 62.5, y: 12.5, width: 175, height: 175 };
    const { v, img, checked } = await checkBlocks('crop', cover);
    expect(checked).toBe(16);
    // Left and right of the crop: the black image, no heatmap.
    for (const ix of [20, 280]) {
      const p = screenOf(v, ix, 100);
      expectNear(img.at(p.x, p.y), [0, 0, 0], 2);
    }
    // Block edges sit where the crop maps them: just inside the left edge is block (r, 0).
    const inside = screenOf(v, cover.x + 3, cover.y + cover.height * (1 / 8));
    expectNear(img.at(inside.x, inside.y), colourAt('jet', 0), 6);
    await b.screenshot('viewer-align-crop');
  });

  it('letterbox: the map is taller than the image and its padding rows fall outside it', async () => {
    await openCases(b, [caseFor({ kind: 'letterbox', inputWidth: 224, inputHeight: 224 }, 'letterbox')]);
    // Input covers y −50…250: rows 0 and 3 of blocks are in the padding, rows 1–2 on the image.
    const { checked, v, img } = await checkBlocks('letterbox', { x: 0, y: -50, width: W, height: 300 });
    expect(checked).toBe(8);
    // Nothing is drawn outside the image even though the map extends past it.
    const above = screenOf(v, 150, -10);
    if (above.y >= 0) expectNear(img.at(above.x, above.y), [0, 0, 0], 2);
    await b.screenshot('viewer-align-letterbox');
  });
});
