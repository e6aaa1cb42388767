/**
 * Tiled inference, the geometry: where the tiles of a large image lie and how per-tile maps become
 * one map of the whole image. Pure functions (no model), so layout and stitching are unit-tested
 * on their own; src/core/engine/tiling-run.ts runs the model over the tiles.
 *
 * Hand-written: the rule is a few lines of arithmetic, and the viewer, the regions and the record
 * must all agree on it exactly (docs/PACKS.md "Tiling" states it).
 */
import { bilinearAt } from '../../shared/bilinear';
import { InspectorError } from '../../shared/errors';
import type { Manifest, TilingSpec } from '../packs/manifest';

/** A tile in source-image pixels. */
export interface TileRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The tiling in force for one image: tile size and overlap resolved to pixels. */
export interface TileGeometry {
  /** [height, width] of a tile, source pixels. */
  tile: [number, number];
  /** [vertical, horizontal] overlap, source pixels (at least this much; the layout may add more). */
  overlap: [number, number];
  stitch: TilingSpec['stitch'];
  score: TilingSpec['score'];
}

const KINDS_TILED = new Set(['classifier', 'anomaly']);

/** [height, width] of a tile as declared (a number is a square). */
export function tileSize(spec: TilingSpec): [number, number] {
  return typeof spec.tile === 'number' ? [spec.tile, spec.tile] : [spec.tile[0], spec.tile[1]];
}

/** Overlap in pixels: a value below 1 is a fraction of the tile side, otherwise whole pixels. */
export function overlapPx(overlap: number, side: number): number {
  return overlap < 1 ? Math.round(overlap * side) : overlap;
}

export function geometry(spec: TilingSpec): TileGeometry {
  const tile = tileSize(spec);
  return { tile, overlap: [overlapPx(spec.overlap, tile[0]), overlapPx(spec.overlap, tile[1])], stitch: spec.stitch, score: spec.score };
}

/**
 * Checks what the schema cannot: whole-pixel overlaps, an overlap smaller than the tile (else the
 * tiles never advance), and a kind whose outputs can be stitched. PACK_TILING_INVALID otherwise.
 */
export function verifyTiling(m: Manifest, dir: string): void {
  const spec = m.tiling;
  if (!spec) return;
  const bad = (message: string) => {
    throw new InspectorError('PACK_TILING_INVALID', `pack.yaml in ${dir}: tiling ${message}`, { dir, tiling: spec });
  };
  if (!KINDS_TILED.has(m.kind)) bad(`is for classifier and anomaly packs (their maps can be stitched); this pack is a ${m.kind}.`);
  if (spec.overlap >= 1 && !Number.isInteger(spec.overlap)) bad(`overlap ${spec.overlap} is neither a fraction below 1 nor whole pixels.`);
  const [th, tw] = tileSize(spec);
  const g = geometry(spec);
  if (g.overlap[0] >= th || g.overlap[1] >= tw) bad(`overlap (${g.overlap[0]} × ${g.overlap[1]} px) must be smaller than the tile (${th} × ${tw} px).`);
  if (m.kind === 'anomaly' && spec.score !== 'max') bad(`score ${spec.score} is not defined for anomaly packs: their threshold is on one map's score, so tiles pool by max.`);
}

/**
 * Start positions along one axis: the fewest tiles of side `t` overlapping by at least `o` that
 * cover `length`, spread evenly so the first starts at 0 and the last ends at the edge (no padding,
 * every tile is real image). A side shorter than the tile is one tile of that side.
 */
export function axisStarts(length: number, t: number, o: number): { starts: number[]; side: number } {
  if (length <= t) return { starts: [0], side: length };
  const n = Math.ceil((length - o) / (t - o));
  if (n <= 1) return { starts: [0], side: t };
  const starts = Array.from({ length: n }, (_, i) => Math.round((i * (length - t)) / (n - 1)));
  return { starts, side: t };
}

/** The tiles of a `width × height` image, row by row. */
export function tileLayout(width: number, height: number, g: Pick<TileGeometry, 'tile' | 'overlap'>): TileRect[] {
  const ys = axisStarts(height, g.tile[0], g.overlap[0]);
  const xs = axisStarts(width, g.tile[1], g.overlap[1]);
  const out: TileRect[] = [];
  for (const y of ys.starts) for (const x of xs.starts) out.push({ x, y, width: xs.side, height: ys.side });
  return out;
}

/** A per-tile map: raw values on its own grid, covering its tile exactly. */
export interface TileMap {
  rect: TileRect;
  width: number;
  height: number;
  data: Float32Array;
}

/**
 * The grid the stitched map is drawn on: the full image at the tiles' map resolution (a 40² map of
 * a 192 px tile gives 120² for a 576² image), so the stitched map is no coarser than a tile's.
 */
export function stitchGrid(imageWidth: number, imageHeight: number, maps: readonly TileMap[]): { width: number; height: number } {
  const sx = Math.max(...maps.map((m) => m.width / m.rect.width));
  const sy = Math.max(...maps.map((m) => m.height / m.rect.height));
  return { width: Math.max(1, Math.round(imageWidth * sx)), height: Math.max(1, Math.round(imageHeight * sy)) };
}

/** Bilinear sample of a tile map at map coordinates (pixel centres at i + 0.5, as the viewer samples). */
function sample(m: TileMap, u: number, v: number): number {
  return bilinearAt(m.data, m.width, m.height, u, v);
}

/** Linear (tent) weight of relative position t ∈ (0, 1) in a tile: 1 at the centre, → 0 at its edges. */
function tent(t: number): number {
  return Math.max(1e-6, 1 - Math.abs(2 * t - 1));
}

/**
 * One map of the whole image from the tiles' maps, on `grid` (which spans the image exactly, so it is
 * placed by stretching over the image). At each grid pixel centre every tile containing it is sampled
 * bilinearly on its own map, and the samples are combined by `rule`:
 * - `linear`: weighted mean, each tile weighted by tent(x) · tent(y) of the pixel's relative position
 *   in it (1 at the tile centre, falling linearly to ~0 at its edges), so seams blend away;
 * - `mean`: plain mean of the overlapping tiles;
 * - `max`: the largest value (a defect seen by any tile is never diluted).
 */
export function stitchMaps(maps: readonly TileMap[], imageWidth: number, imageHeight: number, rule: TilingSpec['stitch'], grid = stitchGrid(imageWidth, imageHeight, maps)): Float32Array {
  const { width: gw, height: gh } = grid;
  const acc = new Float64Array(gw * gh);
  const wsum = new Float64Array(gw * gh);
  if (rule === 'max') acc.fill(-Infinity);
  const px = imageWidth / gw;
  const py = imageHeight / gh;
  for (const m of maps) {
    const r = m.rect;
    // Grid pixels whose centres lie in [r.x, r.x + r.width).
    const gx0 = Math.max(0, Math.ceil(r.x / px - 0.5));
    const gx1 = Math.min(gw, Math.ceil((r.x + r.width) / px - 0.5));
    const gy0 = Math.max(0, Math.ceil(r.y / py - 0.5));
    const gy1 = Math.min(gh, Math.ceil((r.y + r.height) / py - 0.5));
    for (let gy = gy0; gy < gy1; gy++) {
      const ty = ((gy + 0.5) * py - r.y) / r.height;
      for (let gx = gx0; gx < gx1; gx++) {
        const tx = ((gx + 0.5) * px - r.x) / r.width;
        const v = sample(m, tx * m.width, ty * m.height);
        const i = gy * gw + gx;
        if (rule === 'max') {
          if (v > acc[i]!) acc[i] = v;
          wsum[i] = 1;
        } else {
          const w = rule === 'linear' ? tent(tx) * tent(ty) : 1;
          acc[i] = acc[i]! + w * v;
          wsum[i] = wsum[i]! + w;
        }
      }
    }
  }
  const out = new Float32Array(gw * gh);
  for (let i = 0; i < out.length; i++) {
    // Every grid pixel lies in some tile (the layout covers the image); NaN would mark a layout bug.
    out[i] = wsum[i]! > 0 ? (rule === 'max' ? acc[i]! : acc[i]! / wsum[i]!) : NaN;
  }
  return out;
}

/** The image score from the tiles' scores: the largest (`max`, default) or their mean. */
export function poolScores(scores: readonly number[], rule: TilingSpec['score']): number {
  if (scores.length === 0) return NaN;
  return rule === 'max' ? Math.max(...scores) : scores.reduce((a, b) => a + b, 0) / scores.length;
}
