/**
 * Tiled inference in the viewer: the full 576² held-out CT slice with an inserted void
 * (tests/fixtures/tiling) inspected from the UI with a tiled variant of the battery-CT pack (same
 * model.onnx, hash-checked) through the real worker, then the pane read back. Oracle: the void's
 * mask box (from the fixture, not from the engine) and the published stitched map.
 * - the verdict is the porosity label; the map spans the full image: at grid-cell centres the pane
 *   shows the colour-map entry of that cell's value, and the hottest cell lies on the void;
 * - the region box around the void is drawn on it: its outline pixels change when boxes are shown,
 *   a ring outside it does not.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBridge, type Bridge } from '../support/bridge';
import { hasShared } from '../support/paths';
import { makeTiledPack, tilingFixture } from '../support/tiledPack';
import { expectNear, grabPane, openChosenAndInspect, paneOverlays, screenOf, viewOf, waitAttr } from './viewer-helpers';
import { colourAt } from './viewer-oracle';

const SLICE = join(tilingFixture, 'slice2-void.png');
const PACK = 'battery-ct-tiled';
const meta = JSON.parse(readFileSync(join(tilingFixture, 'slice2-void.json'), 'utf8')) as { voidBox: [number, number, number, number] };
const [vx, vy, vw, vh] = meta.voidBox;

type Grab = Awaited<ReturnType<typeof grabPane>>;

/** The layer controls each re-render it: read the pane once the probe shows its final colour. */
async function grabWhenDrawn(b: Bridge, probe: { p: { x: number; y: number }; want: number[] }): Promise<Grab> {
  let img = await grabPane(b);
  for (let i = 0; i < 30 && !probe.want.every((c, k) => Math.abs(c - img.at(probe.p.x, probe.p.y)[k]!) <= 4); i++) {
    await b.page.waitForTimeout(100);
    img = await grabPane(b);
  }
  return img;
}

describe.skipIf(!hasShared)('tiled pack: a void in a full 576² slice, map and region on it (Chromium, real worker)', () => {
  let b: Bridge;
  /** Flat cells checked on the live map, and the peak cell: the reopened run must draw the same. */
  const flatCells: { gx: number; gy: number; want: [number, number, number] }[] = [];
  const grid = { width: 0, height: 0 };
  beforeAll(async () => {
    const userDataDir = mkdtempSync(join(os.tmpdir(), 'inspector-e2e-tiled-'));
    mkdirSync(join(userDataDir, 'models', PACK), { recursive: true });
    makeTiledPack({ tile: 256, overlap: 64, stitch: 'linear', score: 'max' }, { dir: join(userDataDir, 'models', PACK), name: PACK });
    b = await openBridge({ userDataDir, choosePaths: () => [SLICE], viewport: { width: 1600, height: 1000 } });
  });
  afterAll(async () => {
    await b?.close();
  });

  it('the void is found and its map peak and region land on it on screen', async () => {
    const { page } = b;
    // The profile chooser opens over the viewer at start: dismiss it, as a user would.
    await page.getByTestId('operator-later').click();
    await openChosenAndInspect(b, PACK);
    const opacity = page.locator('[data-testid^="layer-opacity-"]').first();
    await opacity.waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('verdict-card').textContent()).toMatch(/Porosity/);
    // The reviewer is told the map and score come from tiles.
    expect(await page.getByTestId('tiling').textContent()).toBe('Tiled inference: 9 × 256×256 px · overlap 64 px · image score: tiles pooled by max');

    // The oracle map: the engine is deterministic, so the same handler run gives the map the UI drew.
    const run = await b.host.handlers['inspect.run']({ paths: [SLICE], pack: PACK });
    const r = run.results[0]!;
    expect(r.decision).toBe('defect');
    expect(r.tiling?.tiles).toHaveLength(9);
    const h = r.heatmap!;
    const bytes = b.host.media.get(h.mediaId)!.bytes;
    const map = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    expect(map.length).toBe(h.width * h.height);
    Object.assign(grid, { width: h.width, height: h.height });
    const cellW = 576 / h.width;
    const cellH = 576 / h.height;
    let peak = 0;
    for (let i = 1; i < map.length; i++) if (map[i]! > map[peak]!) peak = i;
    const peakX = ((peak % h.width) + 0.5) * cellW;
    const peakY = (Math.floor(peak / h.width) + 0.5) * cellH;
    // The hottest cell is on the void (mask box from the fixture, one cell of slack).
    expect(peakX).toBeGreaterThanOrEqual(vx - cellW);
    expect(peakX).toBeLessThanOrEqual(vx + vw + cellW);
    expect(peakY).toBeGreaterThanOrEqual(vy - cellH);
    expect(peakY).toBeLessThanOrEqual(vy + vh + cellH);

    // Full opacity, no threshold, jet, boxes off: the pane shows the map's colours exactly at cell centres.
    const id = (await opacity.getAttribute('data-testid'))!.replace('layer-opacity-', '');
    await page.getByTestId('boxes-toggle-region').uncheck();
    await page.getByTestId(`layer-opacity-${id}`).fill('1');
    await page.getByTestId(`layer-threshold-${id}`).fill('0');
    await page.getByTestId(`layer-colormap-${id}`).selectOption('jet');
    await page.keyboard.press('g'); // fold the legend over the top-right corner
    const v = await viewOf(b);
    const norm = (x: number) => Math.max(0, Math.min(1, (x - h.scale.low) / (h.scale.high - h.scale.low)));
    const cellAt = (gx: number, gy: number) => ({ p: screenOf(v, (gx + 0.5) * cellW, (gy + 0.5) * cellH), want: colourAt('jet', norm(map[gy * h.width + gx]!)) });
    const pc = cellAt(peak % h.width, Math.floor(peak / h.width));
    const img = await grabWhenDrawn(b, pc);
    await b.screenshot('viewer-tiled-map');
    const overlays = await paneOverlays(b);
    const covered = (x: number, y: number) => overlays.some(([ox, oy, ow, oh]) => x >= ox - 2 && x <= ow + 2 && y >= oy - 2 && y <= oh + 2);
    // Cells whose 3 × 3 neighbourhood is flat (normalised values within 0.01): there the drawn colour
    // does not depend on how the viewer resamples between cells, so it must be the cell's own.
    const nAt = (gx: number, gy: number) => norm(map[gy * h.width + gx]!);
    const flat = (gx: number, gy: number) => [-1, 0, 1].every((dy) => [-1, 0, 1].every((dx) => Math.abs(nAt(gx + dx, gy + dy) - nAt(gx, gy)) <= 0.01));
    let checked = 0;
    let hot = 0;
    for (let gy = 1; gy < h.height - 1; gy++) {
      for (let gx = 1; gx < h.width - 1; gx++) {
        const c = cellAt(gx, gy);
        if (!flat(gx, gy) || covered(c.p.x, c.p.y)) continue;
        expectNear(img.at(c.p.x, c.p.y), c.want, 4);
        flatCells.push({ gx, gy, want: c.want });
        checked++;
        if (nAt(gx, gy) >= 0.99) hot++;
      }
    }
    expect(checked).toBeGreaterThan(60);
    expect(hot).toBeGreaterThan(0);
    expectNear(img.at(pc.p.x, pc.p.y), pc.want, 4);
    // The peak is hot on screen (a void, not the cool background the map shows elsewhere).
    expect(norm(map[peak]!)).toBeGreaterThan(0.9);

    // The region around the void, drawn on it: outline pixels change with boxes on, a ring outside does not.
    const cx = vx + vw / 2, cy = vy + vh / 2;
    const g = r.regions.find((q) => q.x <= cx && cx <= q.x + q.width && q.y <= cy && cy <= q.y + q.height);
    expect(g, JSON.stringify(r.regions)).toBeDefined();
    expect(g!.width * g!.height).toBeLessThan(0.05 * 576 * 576);
    const off = await grabPane(b);
    await page.getByTestId('boxes-toggle-region').check();
    await page.waitForTimeout(200);
    const on = await grabPane(b);
    await b.screenshot('viewer-tiled-region');
    const differs = (p: { x: number; y: number }) => on.at(p.x, p.y).some((c, k) => Math.abs(c - off.at(p.x, p.y)[k]!) > 20);
    const edge: { x: number; y: number }[] = [];
    const ring: { x: number; y: number }[] = [];
    for (let t = 0.15; t <= 0.85; t += 0.05) {
      edge.push(screenOf(v, g!.x + t * g!.width, g!.y + g!.height), screenOf(v, g!.x, g!.y + t * g!.height), screenOf(v, g!.x + g!.width, g!.y + t * g!.height));
      const pad = 12 / v.scale;
      ring.push(screenOf(v, g!.x + t * g!.width, g!.y + g!.height + pad), screenOf(v, g!.x - pad, g!.y + t * g!.height), screenOf(v, g!.x + g!.width + pad, g!.y + t * g!.height));
    }
    const near = (p: { x: number; y: number }) => [-1, 0, 1].some((d) => differs({ x: p.x + d, y: p.y }) || differs({ x: p.x, y: p.y + d }));
    const edgeHit = edge.filter((p) => !covered(p.x, p.y) && near(p)).length;
    const edgeAll = edge.filter((p) => !covered(p.x, p.y)).length;
    expect(edgeHit / edgeAll).toBeGreaterThan(0.9);
    const other = r.regions.filter((q) => q !== g);
    const inOther = (p: { x: number; y: number }) => other.some((q) => {
      const a = screenOf(v, q.x, q.y), z = screenOf(v, q.x + q.width, q.y + q.height);
      // The box and its caption above it (about 24 px high, up to 240 px wide).
      return p.x >= a.x - 4 && p.x <= Math.max(z.x, a.x + 240) + 4 && p.y >= a.y - 30 && p.y <= z.y + 4;
    });
    const ringFree = ring.filter((p) => !covered(p.x, p.y) && !inOther(p));
    expect(ringFree.length).toBeGreaterThan(10);
    expect(ringFree.filter(differs).length).toBe(0);
  });

  it('reopened from History, the recorded stitched map lands on the full image the same way', async () => {
    const { page } = b;
    expect(flatCells.length).toBeGreaterThan(60);
    const { rows } = await b.host.handlers['history.search']({ sort: 'time', order: 'asc' });
    const runId = rows[0]!.runId;
    await page.keyboard.press('Alt+2');
    await page.getByTestId(`history-open-${runId}`).click();
    await waitAttr(b, 'view-review', 'aria-current', /^page$/);
    const opacity = page.locator('[data-testid^="layer-opacity-"]').first();
    await opacity.waitFor({ timeout: 60_000 });
    const id = (await opacity.getAttribute('data-testid'))!.replace('layer-opacity-', '');
    await page.getByTestId('boxes-toggle-region').uncheck();
    await page.getByTestId(`layer-opacity-${id}`).fill('1');
    await page.getByTestId(`layer-threshold-${id}`).fill('0');
    await page.getByTestId(`layer-colormap-${id}`).selectOption('jet');
    expect(await page.getByTestId('tiling').textContent()).toBe('Tiled inference: 9 tiles');
    await page.keyboard.press('g'); // fold the legend, as in the live case
    const v = await viewOf(b);
    const at = (c: { gx: number; gy: number }) => screenOf(v, ((c.gx + 0.5) * 576) / grid.width, ((c.gy + 0.5) * 576) / grid.height);
    const first = { p: at(flatCells[0]!), want: flatCells[0]!.want };
    const img = await grabWhenDrawn(b, first);
    await b.screenshot('viewer-tiled-reopened');
    const overlays = await paneOverlays(b);
    const covered = (x: number, y: number) => overlays.some(([ox, oy, ow, oh]) => x >= ox - 2 && x <= ow + 2 && y >= oy - 2 && y <= oh + 2);
    let checked = 0;
    for (const c of flatCells) {
      const p = at(c);
      if (covered(p.x, p.y)) continue;
      expectNear(img.at(p.x, p.y), c.want, 4);
      checked++;
    }
    expect(checked).toBeGreaterThan(60);
  });
});
