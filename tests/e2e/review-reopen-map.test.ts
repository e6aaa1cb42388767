/**
 * A reopened history case brings its heatmap back: a real pack inspects a real 96×80 image (F5), the
 * heatmap layer's canvas is read; the run is then reopened from the history view and its layer,
 * drawn from the raw map kept in the blob store, must be the same pixels (same placement by the
 * pack's input size, same scale, same default layer settings), with the same legend.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bridge } from '../support/bridge';
import { repoRoot } from '../support/paths';
import { openAndInspect, openWithTestPack, ready, waitAttr } from './viewer-helpers';

const fixtures = join(repoRoot, 'tests', 'fixtures', 'packs');
const WIDE = join(fixtures, 'images', 'wide_defect.png');

/** The heatmaps as drawn on the overlay layer's canvas (boxes hidden for the read), as raw RGBA. */
async function heatmapLayer(b: Bridge): Promise<{ data: Buffer; width: number; height: number }> {
  await b.page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
  const url = await b.page.evaluate(() => {
    type Node = { visible(v: boolean): void; draw(): void; getNativeCanvasElement(): HTMLCanvasElement; findOne(sel: string): Node };
    const konva = (globalThis as unknown as { Konva: { stages: (Node & { container(): HTMLElement })[] } }).Konva;
    const stage = konva.stages.find((s) => s.container().closest('[data-testid="viewer-pane-0"]'))!;
    const layer = stage.findOne('.overlay-layer');
    const boxes = layer.findOne('.boxes');
    boxes.visible(false);
    layer.draw();
    const png = layer.getNativeCanvasElement().toDataURL('image/png');
    boxes.visible(true);
    layer.draw();
    return png;
  });
  const { data, info } = await sharp(Buffer.from(url.split(',')[1]!, 'base64')).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

describe('reopened history case: the heatmap layer comes back as it was drawn live (Chromium, real worker)', () => {
  let b: Bridge;
  beforeAll(async () => {
    b = await openWithTestPack('inspector-e2e-reopen-map-', WIDE);
  });
  afterAll(async () => {
    await b?.close();
  });

  it('inspect, reopen from the history: identical layer pixels and legend', async () => {
    const { page } = b;
    await openAndInspect(b);
    const liveView = await page.getByTestId('viewer-pane-0').getAttribute('data-view');
    const liveLegend = (await page.locator('[data-testid^="legend-"]').filter({ hasText: 'Grad-CAM' }).first().textContent())!;
    const live = await heatmapLayer(b);
    await b.screenshot('review-reopen-map-live');

    const { rows } = await b.host.handlers['history.search']({});
    expect(rows).toHaveLength(1);
    const runId = rows[0]!.runId;
    await page.keyboard.press('Alt+2');
    await page.getByTestId(`history-open-${runId}`).click();
    await waitAttr(b, 'view-review', 'aria-current', /^page$/);
    await page.getByTestId('case-1').waitFor();
    await waitAttr(b, 'case-1', 'aria-current', /^true$/);
    await ready(b);
    await page.locator(`[data-testid="legend-run-${runId}|resnet-mini|gradcam"]`).waitFor();
    // Same image, same pane: the same fitted view, so layer pixels are comparable one to one.
    expect(await page.getByTestId('viewer-pane-0').getAttribute('data-view')).toBe(liveView);
    const reopened = await heatmapLayer(b);
    await b.screenshot('review-reopen-map-reopened');
    expect([reopened.width, reopened.height]).toEqual([live.width, live.height]);

    let drawn = 0;
    let differ = 0;
    for (let i = 0; i < live.data.length; i += 4) {
      if (live.data[i + 3]! > 0) drawn++;
      if (live.data[i] !== reopened.data[i] || live.data[i + 1] !== reopened.data[i + 1] || live.data[i + 2] !== reopened.data[i + 2] || live.data[i + 3] !== reopened.data[i + 3]) differ++;
    }
    // The live layer really drew a map (threshold 0.2 leaves part of it), and the reopened one is identical.
    expect(drawn).toBeGreaterThan(1000);
    expect(differ).toBe(0);
    const legend = (await page.locator(`[data-testid="legend-run-${runId}|resnet-mini|gradcam"]`).textContent())!;
    expect(legend).toBe(liveLegend);
  });
});
