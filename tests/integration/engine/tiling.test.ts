/**
 * Tiled inference on a real image: the held-out 576² battery-CT slice with an inserted void
 * (tests/fixtures/tiling, training/battery_ct/tiled_slice.py) through a tiled variant of the shipped
 * porosity pack (same model.onnx, hash-checked). The void is found, the map's peak and a region land
 * on it in full-image pixels, each tile's score is exactly the engine's on that tile alone, and the
 * CLI records the tiling with the run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, type InspectionResult } from '../../../src/core/engine/engine';
import { loadImage, type EngineImage } from '../../../src/core/engine/image';
import { cropTile } from '../../../src/core/engine/tiling-run';
import { withCamLayers } from '../../../src/core/explain/override';
import { loadPack, type LoadedPack } from '../../../src/core/packs/load';
import { hasShared, sharedData } from '../../support/paths';
import { batteryPackDir, makeTiledPack, tilingFixture } from '../../support/tiledPack';
import { cli, scratchDir } from '../cli/support';

const meta = JSON.parse(readFileSync(join(tilingFixture, 'slice2-void.json'), 'utf8')) as { voidBox: [number, number, number, number] };
const [vx, vy, vw, vh] = meta.voidBox;
const voidPng = join(tilingFixture, 'slice2-void.png');
const TILING = { tile: 256, overlap: 64, stitch: 'linear', score: 'max' };

function peakOf(r: InspectionResult, img: EngineImage): [number, number] {
  const m = r.explanation!.map;
  let best = 0;
  for (let i = 1; i < m.data.length; i++) if (m.data[i]! > m.data[best]!) best = i;
  // Grid pixel centre → image pixels (the grid spans the image).
  return [((best % m.width) + 0.5) * (img.width / m.width), (Math.floor(best / m.width) + 0.5) * (img.height / m.height)];
}

describe.skipIf(!hasShared)('tiled inference on a full 576² CT slice', () => {
  const engine = new Engine();
  let tiled: LoadedPack;
  let plain: LoadedPack;
  let img: EngineImage;
  beforeAll(async () => {
    tiled = loadPack(makeTiledPack(TILING));
    plain = loadPack(batteryPackDir);
    img = await loadImage(voidPng);
  });
  afterAll(() => engine.close());

  it('finds the void: DEFECT, map peak and a region on it, in full-image pixels', async () => {
    const [r] = await engine.inspectImages(tiled, [img]);
    expect(r!.error).toBeUndefined();
    expect(r!.decision).toBe('defect');
    expect(r!.image).toMatchObject({ width: 576, height: 576 });
    expect(r!.tiling).toMatchObject({ tile: [256, 256], overlap: [64, 64], stitch: 'linear', score: 'max', grid: [45, 45] });
    // HiResCAM at features.2 is 20² for the 160² input; 256-px tiles → 20/256 grid px per image px.
    expect(r!.tiling!.tiles.map((t) => [t.x, t.y])).toEqual([0, 160, 320].flatMap((y) => [0, 160, 320].map((x) => [x, y])));
    expect(r!.defectScore).toBe(Math.max(...r!.tiling!.tiles.map((t) => t.defectScore!)));
    const [px, py] = peakOf(r!, img);
    const margin = 8;
    expect(px).toBeGreaterThanOrEqual(vx - margin);
    expect(px).toBeLessThanOrEqual(vx + vw + margin);
    expect(py).toBeGreaterThanOrEqual(vy - margin);
    expect(py).toBeLessThanOrEqual(vy + vh + margin);
    const cx = vx + vw / 2, cy = vy + vh / 2;
    const hit = r!.regions.find((g) => g.x <= cx && cx <= g.x + g.width && g.y <= cy && cy <= g.y + g.height);
    expect(hit, JSON.stringify(r!.regions)).toBeDefined();
    // The region is about the void, not the cell: far smaller than the slice.
    expect(hit!.width * hit!.height).toBeLessThan(0.05 * 576 * 576);
  });

  it('the same slice without the void passes: the tiles are not all defect', async () => {
    const clean = await loadImage(join(sharedData, 'battery-xct', 'slices', 'im_2.png'));
    const [r] = await engine.inspectImages(tiled, [clean]);
    expect(r!.decision).toBe('pass');
    expect(r!.defectScore!).toBeLessThan(r!.classification!.thresholds.high);
  });

  it('each tile runs exactly like that crop inspected as a whole image by the untiled pack', async () => {
    const [r] = await engine.inspectImages(tiled, [img]);
    const tiles = r!.tiling!.tiles;
    const alone = await engine.inspectImages(plain, tiles.map((t) => cropTile(img, t)));
    alone.forEach((a, i) => expect(a.defectScore!).toBeCloseTo(tiles[i]!.defectScore!, 5));
  });

  it('score: mean averages the tiles’ probabilities; a defect tile keeps a pooled pass UNCERTAIN, never PASS', async () => {
    const meanPack = loadPack(makeTiledPack({ ...TILING, score: 'mean' }));
    const [r] = await engine.inspectImages(meanPack, [img]);
    const tiles = r!.tiling!.tiles;
    const mean = tiles.reduce((a, t) => a + t.defectScore!, 0) / tiles.length;
    expect(r!.defectScore).toBeCloseTo(mean, 9);
    expect(tiles.some((t) => t.decision === 'defect')).toBe(true);
    // The void covers a small part of the slice: the mean is below the pack's threshold …
    expect(mean).toBeLessThan(r!.classification!.thresholds.high);
    // … but a tile alone is a defect, so the image goes to a person.
    expect(r!.decision).toBe('uncertain');
  });

  it('a tile outside the guard’s envelope (air-only corners at 192 px) makes the image UNCERTAIN without regions', async () => {
    const small = loadPack(makeTiledPack({ tile: 192, overlap: 48 }));
    const [r] = await engine.inspectImages(small, [img]);
    const flagged = r!.tiling!.tiles.filter((t) => t.outOfDistribution);
    expect(flagged.length).toBeGreaterThan(0);
    expect(r!.tiling!.tiles.some((t) => t.decision === 'defect')).toBe(true);
    expect(r!.guard?.outOfDistribution).toBe(true);
    expect(r!.guard!.reasons[0]).toContain(`${flagged.length} of 16 tiles`);
    expect(r!.decision).toBe('uncertain');
    expect(r!.regions).toEqual([]);
    // The map stays, so the reviewer still sees what the model looked at.
    expect(r!.explanation!.map.valid).toBe(true);
  });

  it('a tile that fails fails the image with its code (part of it was not inspected: never a PASS)', async () => {
    // The real slice with a corner patch the model turns into NaN scores (only tile 0,0 sees it).
    const data = Float32Array.from(img.data);
    for (let y = 0; y < 40; y++) for (let x = 0; x < 40; x++) data[y * img.width + x] = NaN;
    const [r] = await engine.inspectImages(tiled, [{ ...img, data, source: 'nan-corner.png' }]);
    expect(r!.tiling!.tiles[0]!.decision).toBe('error');
    expect(r!.tiling!.tiles.slice(1).every((t) => t.decision !== 'error')).toBe(true);
    expect(r!.decision).toBe('error');
    expect(r!.error?.code).toBe('MODEL_OUTPUT_NOT_FINITE');
    expect(r!.regions).toEqual([]);
  });

  it('targetClass predicted: a tile explaining the normal label enters the stitch at the scale’s bottom', async () => {
    const predicted = loadPack(makeTiledPack(TILING, { patch: (d) => ((d['explanation'] as Record<string, unknown>)['targetClass'] = 'predicted') }));
    const [r] = await engine.inspectImages(predicted, [img]);
    const t0 = r!.tiling!.tiles[0]!;
    expect([t0.x, t0.y, t0.decision]).toEqual([0, 0, 'pass']);
    const m = r!.explanation!.map;
    expect(m.scale.mode).toBe('anchored');
    // Grid pixels seen only by tile (0, 0) (x, y < 160 image px), whose map explains "normal".
    const only = Math.floor((150 / 576) * m.width);
    for (let gy = 0; gy < only; gy++) for (let gx = 0; gx < only; gx++) expect(m.data[gy * m.width + gx]).toBe(m.scale.low);
    // The void's tiles explain porosity: the region is still on it.
    const cx = vx + vw / 2, cy = vy + vh / 2;
    expect(r!.regions.some((g) => g.x <= cx && cx <= g.x + g.width && g.y <= cy && cy <= g.y + g.height)).toBe(true);
  });

  it('an image smaller than a tile is one pass on the image itself: the untiled result, same map', async () => {
    const small = cropTile(img, { x: 300, y: 120, width: 200, height: 150 });
    const [t] = await engine.inspectImages(tiled, [small]);
    const [u] = await engine.inspectImages(plain, [small]);
    expect(t!.tiling!.tiles).toEqual([expect.objectContaining({ x: 0, y: 0, width: 200, height: 150 })]);
    expect(t!.defectScore).toBeCloseTo(u!.defectScore!, 6);
    expect(t!.decision).toBe(u!.decision);
    // The stitched grid is at the tile map's resolution over the image, which here is the tile: the map's own size.
    expect([t!.explanation!.map.width, t!.explanation!.map.height]).toEqual([u!.explanation!.map.width, u!.explanation!.map.height]);
    const a = t!.explanation!.map.data, b = u!.explanation!.map.data;
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeLessThan(1e-5);
    expect(t!.regions.map((g) => [g.x, g.y, g.width, g.height])).toEqual(u!.regions.map((g) => [g.x, g.y, g.width, g.height]));
  });

  it('a re-run with another target layer (the explanation selector) stays tiled, its map stitched', async () => {
    const layer = '/features/features.3/act/Relu_output_0';
    const [r] = await engine.inspectImages(withCamLayers(tiled, { layer }), [img]);
    expect(r!.explanation!.target).toBe(layer);
    expect(r!.tiling!.tiles).toHaveLength(9);
    // features.3 is 10² per 160² input: 10/256 grid px per image px.
    expect(r!.tiling!.grid).toEqual([23, 23]);
    expect(r!.decision).toBe('defect');
  });

  it('the CLI records the run with its tiling, and shows it', () => {
    const root = scratchDir('tiling');
    const pack = makeTiledPack(TILING, { dir: scratchDir('tiled-pack') });
    const db = join(root, 'h.sqlite');
    const maps = join(root, 'maps');
    const r = cli(['inspect', voidPng, '--pack', pack, '--db', db, '--json', '--save-maps', maps], { dataDir: root });
    expect(r.stdout, r.stderr).not.toBe('');
    const report = JSON.parse(r.stdout);
    expect(report.results[0].decision).toBe('defect');
    expect(report.results[0].tiling.tiles).toHaveLength(9);
    // The saved map spans the full image: written at the image's size, with the tiling named.
    const saved = JSON.parse(readFileSync(join(maps, 'slice2-void.png.battery-ct-porosity.hirescam.json'), 'utf8'));
    expect(saved).toMatchObject({ shape: [576, 576], nativeShape: [45, 45], tiling: { tile: [256, 256], overlap: [64, 64], tiles: 9 } });
    const list = JSON.parse(cli(['history', 'list', '--db', db, '--json'], { dataDir: root }).stdout);
    const id = list.rows[0].runId;
    expect(list.rows[0]).toMatchObject({ verdict: 'porosity' });
    const show = cli(['history', 'show', String(id), '--db', db, '--json'], { dataDir: root });
    expect(show.status, show.stderr).toBe(0);
    const run = JSON.parse(show.stdout);
    const text = JSON.stringify(run);
    expect(text).toContain('"tiling"');
    expect(text).toMatch(/"tiles":9\b/);
    const human = cli(['history', 'show', String(id), '--db', db], { dataDir: root }).stdout;
    expect(human).toMatch(/tiling +9 tiles of 256x256 \(overlap 64x64 px\), maps stitched by linear, score max; worst tile \[(0|160|320),(0|160|320),256,256\] 1\.0000/);
  });
});

describe.skipIf(!hasShared)('tiled anomaly pack on a real 800 × 326 BSData photo', () => {
  const engine = new Engine();
  afterAll(() => engine.close());

  it('stitches the anomaly map over the full photo; the score is the worst tile’s, each tile as its crop alone', async () => {
    const aeDir = join(batteryPackDir, '..', 'surface-pitting-ae');
    const tiled = loadPack(makeTiledPack({ tile: 320, overlap: 0.25, stitch: 'max' }, { base: aeDir }));
    const plain = loadPack(aeDir);
    const photo = await loadImage(join(sharedData, 'bsdata', 'images', '01_200907090403_462500_045_crop_2.jpg'));
    const [r] = await engine.inspectImages(tiled, [photo]);
    expect(r!.error).toBeUndefined();
    const t = r!.tiling!;
    // 326 rows: two 320-px rows at 0 and 6; 800 columns: three at 0, 240, 480.
    expect(t.tiles.map((x) => [x.x, x.y])).toEqual([0, 6].flatMap((y) => [0, 240, 480].map((x) => [x, y])));
    expect(t.overlap).toEqual([80, 80]);
    const alone = await engine.inspectImages(plain, t.tiles.map((x) => cropTile(photo, x)));
    alone.forEach((a, i) => expect(a.defectScore!).toBeCloseTo(t.tiles[i]!.defectScore!, 5));
    expect(r!.defectScore).toBeCloseTo(Math.max(...alone.map((a) => a.defectScore!)), 9);
    const worst = alone.reduce((a, b) => (b.defectScore! > a.defectScore! ? b : a));
    expect(r!.anomaly!.rawScore).toBeCloseTo(worst.anomaly!.rawScore!, 5);
    // The stitched map (max rule) at a pixel seen by one tile only is that tile's own map there.
    const m = r!.anomaly!.map;
    expect(m.valid).toBe(true);
    expect([m.width, m.height]).toEqual([t.grid[1], t.grid[0]]);
    const a0 = alone[0]!.anomaly!.map; // tile (0, 0), 320² on its own map grid
    const gx = Math.floor((10 / 800) * m.width), gy = Math.floor((3 / 326) * m.height);
    const ix = ((gx + 0.5) * 800) / m.width, iy = ((gy + 0.5) * 326) / m.height;
    const u = Math.max(0, Math.min(a0.width - 1, (ix / 320) * a0.width - 0.5)), v = Math.max(0, Math.min(a0.height - 1, (iy / 320) * a0.height - 0.5));
    const x0 = Math.floor(u), y0 = Math.floor(v), x1 = Math.min(a0.width - 1, x0 + 1), y1 = Math.min(a0.height - 1, y0 + 1), fx = u - x0, fy = v - y0;
    const d = a0.data, W = a0.width;
    const want = (d[y0 * W + x0]! * (1 - fx) + d[y0 * W + x1]! * fx) * (1 - fy) + (d[y1 * W + x0]! * (1 - fx) + d[y1 * W + x1]! * fx) * fy;
    expect(m.data[gy * m.width + gx]!).toBeCloseTo(want, 5);
  });
});
