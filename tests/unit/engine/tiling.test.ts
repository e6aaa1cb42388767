import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { axisStarts, geometry, poolScores, stitchMaps, stitchGrid, tileLayout, type TileMap } from '../../../src/core/engine/tiling';
import { cropTile } from '../../../src/core/engine/tiling-run';
import { loadPack } from '../../../src/core/packs/load';
import { TilingSpec } from '../../../src/core/packs/manifest';
import { makeTiledPack } from '../../support/tiledPack';

const covers = (starts: number[], side: number, length: number) => {
  const seen = new Uint8Array(length);
  for (const s of starts) seen.fill(1, s, s + side);
  return seen.every((v) => v === 1);
};

describe('tile layout', () => {
  it('covers the axis with the fewest tiles overlapping at least as asked, first at 0 and last at the edge', () => {
    const a = axisStarts(576, 256, 64);
    expect(a).toEqual({ starts: [0, 160, 320], side: 256 });
    const b = axisStarts(576, 192, 48);
    expect(b.starts).toEqual([0, 128, 256, 384]);
    for (const [L, T, O] of [[576, 256, 64], [1000, 160, 40], [577, 192, 0], [161, 160, 0], [999, 224, 111]] as const) {
      const { starts, side } = axisStarts(L, T, O);
      expect(covers(starts, side, L)).toBe(true);
      expect(starts[0]).toBe(0);
      expect(starts.at(-1)! + side).toBe(L);
      for (let i = 1; i < starts.length; i++) expect(starts[i - 1]! + side - starts[i]!).toBeGreaterThanOrEqual(O);
      // The fewest: one tile fewer could not cover with that overlap.
      if (starts.length > 1) expect((starts.length - 1) * (T - O) + O).toBeLessThan(L);
    }
  });

  it('an image smaller than a tile is one tile of the image itself (no padding); equal is one tile', () => {
    expect(tileLayout(100, 60, { tile: [256, 256], overlap: [64, 64] })).toEqual([{ x: 0, y: 0, width: 100, height: 60 }]);
    expect(tileLayout(256, 256, { tile: [256, 256], overlap: [64, 64] })).toEqual([{ x: 0, y: 0, width: 256, height: 256 }]);
    // Narrow and tall: one column, several rows.
    const t = tileLayout(100, 600, { tile: [256, 256], overlap: [64, 64] });
    expect(t.map((r) => [r.x, r.width])).toEqual([[0, 100], [0, 100], [0, 100]]);
    expect(t.map((r) => r.y)).toEqual([0, 172, 344]);
  });

  it('resolves tile and overlap: a number is a square, overlap < 1 a fraction, else pixels; [h, w] per axis', () => {
    expect(geometry(TilingSpec.parse({ tile: 192, overlap: 0.25 }))).toMatchObject({ tile: [192, 192], overlap: [48, 48], stitch: 'linear', score: 'max' });
    expect(geometry(TilingSpec.parse({ tile: [100, 200], overlap: 0.5 })).overlap).toEqual([50, 100]);
    expect(geometry(TilingSpec.parse({ tile: [100, 200], overlap: 30 })).overlap).toEqual([30, 30]);
  });

  it('crops a tile out of the image pixel for pixel (interleaved channels)', () => {
    const w = 7, h = 5;
    const data = Float32Array.from({ length: w * h * 3 }, (_, i) => i);
    const t = cropTile({ width: w, height: h, channels: 3, data, source: 'x.png', sha256: 'ab' }, { x: 2, y: 1, width: 3, height: 2 });
    expect([t.width, t.height, t.channels]).toEqual([3, 2, 3]);
    expect(Array.from(t.data.subarray(0, 3))).toEqual([(1 * w + 2) * 3, (1 * w + 2) * 3 + 1, (1 * w + 2) * 3 + 2]);
    expect(t.data[3 * 3]).toBe((2 * w + 2) * 3);
    expect(t.sha256).toBeUndefined();
    expect(t.source).toBe('x.png#tile=2,1,3,2');
  });
});

describe('stitching', () => {
  const flat = (rect: TileMap['rect'], v: number, n = 4): TileMap => ({ rect, width: n, height: n, data: new Float32Array(n * n).fill(v) });

  it('grid: the full image at the tiles’ map resolution', () => {
    expect(stitchGrid(576, 576, [flat({ x: 0, y: 0, width: 256, height: 256 }, 0, 64)])).toEqual({ width: 144, height: 144 });
  });

  it('a single tile covering the image gives its own map back (upsampled exactly like the map)', () => {
    const m: TileMap = { rect: { x: 0, y: 0, width: 8, height: 8 }, width: 4, height: 4, data: Float32Array.from({ length: 16 }, (_, i) => i) };
    const out = stitchMaps([m], 8, 8, 'linear', { width: 4, height: 4 });
    expect(Array.from(out)).toEqual(Array.from(m.data));
  });

  it('overlaps: mean averages, max keeps the largest, linear blends by distance to each tile centre', () => {
    // Two 8-px tiles on a 12-px wide image overlap in x ∈ [4, 8).
    const a = flat({ x: 0, y: 0, width: 8, height: 8 }, 1, 8);
    const b = flat({ x: 4, y: 0, width: 8, height: 8 }, 3, 8);
    const grid = { width: 12, height: 8 };
    const row = (rule: 'mean' | 'max' | 'linear') => Array.from(stitchMaps([a, b], 12, 8, rule, grid).subarray(4 * 12, 5 * 12));
    expect(row('mean')).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    expect(row('max')).toEqual([1, 1, 1, 1, 3, 3, 3, 3, 3, 3, 3, 3]);
    const lin = row('linear');
    expect(lin.slice(0, 4)).toEqual([1, 1, 1, 1]);
    expect(lin.slice(8)).toEqual([3, 3, 3, 3]);
    // x = 4.5: a's weight 1 − |2·4.5/8 − 1| = 0.875, b's 1 − |2·0.5/8 − 1| = 0.125.
    expect(lin[4]).toBeCloseTo((0.875 * 1 + 0.125 * 3) / 1, 6);
    expect(lin[7]).toBeCloseTo(0.125 * 1 + 0.875 * 3, 6);
    // Symmetric about the overlap's middle, monotone across it: no seam.
    expect(lin[5]! + lin[6]!).toBeCloseTo(4, 6);
    for (let x = 1; x < 12; x++) expect(lin[x]!).toBeGreaterThanOrEqual(lin[x - 1]!);
  });

  it('a spot seen by one tile lands where it is in the image, whatever the tile', () => {
    // Tile at x=100,y=50 (64 px, 16² map) with a hot map cell at (10, 3) → image centre (100 + 10.5·4, 50 + 3.5·4).
    const hot: TileMap = { rect: { x: 100, y: 50, width: 64, height: 64 }, width: 16, height: 16, data: new Float32Array(256) };
    hot.data[3 * 16 + 10] = 1;
    const bg = flat({ x: 0, y: 0, width: 200, height: 200 }, 0, 50);
    const out = stitchMaps([bg, hot], 200, 200, 'max', { width: 200, height: 200 });
    // The hot spot's centroid (pixel centres at i + 0.5) is the hot cell's centre in image pixels.
    let sx = 0, sy = 0, s = 0;
    out.forEach((v, i) => ((sx += v * ((i % 200) + 0.5)), (sy += v * (Math.floor(i / 200) + 0.5)), (s += v)));
    expect(sx / s).toBeCloseTo(142, 6);
    expect(sy / s).toBeCloseTo(64, 6);
  });

  it('pools tile scores by max or mean', () => {
    expect(poolScores([0.1, 0.9, 0.2], 'max')).toBe(0.9);
    expect(poolScores([0.1, 0.9, 0.2], 'mean')).toBeCloseTo(0.4, 9);
  });
});

describe('pack.yaml tiling: validated with its own code', () => {
  const codeOf = (tiling: Record<string, unknown>, opts: { kind?: string } = {}) => {
    const dir = makeTiledPack(tiling);
    if (opts.kind) {
      const p = join(dir, 'pack.yaml');
      writeFileSync(p, readFileSync(p, 'utf8').replace('kind: classifier', `kind: ${opts.kind}`));
    }
    try {
      loadPack(dir);
      return 'ok';
    } catch (e) {
      return (e as { code: string }).code;
    }
  };
  it('accepts a good section and refuses bad values with PACK_TILING_INVALID', () => {
    expect(codeOf({ tile: 256, overlap: 64 })).toBe('ok');
    expect(codeOf({ tile: [256, 192], overlap: 0.25, stitch: 'max', score: 'mean' })).toBe('ok');
    expect(codeOf({ tile: 0 })).toBe('PACK_TILING_INVALID');
    expect(codeOf({ tile: 256, overlap: -1 })).toBe('PACK_TILING_INVALID');
    expect(codeOf({ tile: 256, overlap: 256 })).toBe('PACK_TILING_INVALID');
    expect(codeOf({ tile: 256, overlap: 12.5 })).toBe('PACK_TILING_INVALID');
    expect(codeOf({ tile: 256, stitch: 'median' })).toBe('PACK_TILING_INVALID');
    expect(codeOf({ tile: 256, score: 'p95' })).toBe('PACK_TILING_INVALID');
    expect(codeOf({ tile: 256, tiles: 4 })).toBe('PACK_TILING_INVALID');
    expect(codeOf({ overlap: 8 })).toBe('PACK_TILING_INVALID');
  });
});
