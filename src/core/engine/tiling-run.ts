/**
 * Tiled inference, the run: a large image is cut into tiles (tiling.ts), the tiles go through the
 * engine in batches exactly as whole images would (preprocessing, model, explanation, guard), and
 * their results become one result for the full image — stitched map, regions on the full image,
 * pooled score and decision, and the tiling used (recorded with the run).
 */
import type { HeatMap } from '../explain/scale';
import { makeHeatMap } from '../explain/scale';
import type { LoadedPack } from '../packs/load';
import type { Region } from '../regions/regions';
import type { ClassDecision } from './classify';
import { scoreClasses } from './classify';
import type { InspectionResult } from './engine';
import type { EngineImage } from './image';
import { geometry, poolScores, stitchMaps, stitchGrid, tileLayout, type TileMap, type TileRect } from './tiling';

/** What a tiled result records: the rule in force and every tile with its own score and decision. */
export interface TilingRecord {
  tile: [number, number];
  overlap: [number, number];
  stitch: 'linear' | 'mean' | 'max';
  score: 'max' | 'mean';
  /** [height, width] of the stitched map's grid (it spans the full image). */
  grid: [number, number];
  tiles: (TileRect & { defectScore?: number; decision: InspectionResult['decision']; outOfDistribution?: boolean })[];
}

/** Cuts one tile out of an interleaved image (no resampling: the tile is the image's own pixels). */
export function cropTile(img: EngineImage, r: TileRect): EngineImage {
  const c = img.channels;
  const data = new Float32Array(r.width * r.height * c);
  for (let y = 0; y < r.height; y++) {
    const from = ((r.y + y) * img.width + r.x) * c;
    data.set(img.data.subarray(from, from + r.width * c), y * r.width * c);
  }
  const { sha256: _s, bytes: _b, ...facts } = img;
  return { ...facts, width: r.width, height: r.height, data, source: `${img.source}#tile=${r.x},${r.y},${r.width},${r.height}` };
}

const RANK: Record<InspectionResult['decision'], number> = { pass: 0, uncertain: 1, defect: 2, error: 3 };

/** The stitched map with the tiles' display scale (anchored scales are shared; min–max is re-taken on the whole). */
function stitchedHeatMap(maps: { rect: TileRect; map: HeatMap }[], img: EngineImage, rule: 'linear' | 'mean' | 'max'): HeatMap {
  const tiles: TileMap[] = maps.map((m) => ({ rect: m.rect, width: m.map.width, height: m.map.height, data: m.map.data }));
  const grid = stitchGrid(img.width, img.height, tiles);
  const data = stitchMaps(tiles, img.width, img.height, rule, grid);
  const s = maps[0]!.map.scale;
  const anchor = s.mode === 'anchored' ? { low: s.low, high: s.high, ...(s.derivation ? { derivation: s.derivation } : {}) } : undefined;
  const out = makeHeatMap(data, grid.width, grid.height, anchor);
  const invalid = maps.find((m) => !m.map.valid);
  return invalid ? { ...out, valid: false, invalidReason: `a tile's map is invalid: ${invalid.map.invalidReason ?? 'NaN or infinite values'}` } : out;
}

export interface TiledRunner {
  /** Runs the engine on images (the tiles), in the engine's own batches, with the guard. */
  run(images: readonly EngineImage[]): Promise<InspectionResult[]>;
  /** Regions on the full image from a full-image map (the engine's own rule). */
  regions(map: HeatMap, img: EngineImage, kind: 'explanation' | 'anomaly'): Region[];
}

/**
 * One image, tiled. The pooled result is the worst tile's (highest defect score) with:
 * - defect score: max over tiles (`score: max`) or their mean (`score: mean`; a classifier's
 *   probabilities are averaged and decided by the pack's thresholds);
 * - decision: with `max`, the worst tile decision (defect > uncertain > pass), so no tile's defect is
 *   ever hidden; with `mean`, the pooled probabilities' decision, raised to UNCERTAIN when a tile alone
 *   is a defect or out of the guard's envelope;
 * - the guard: out of distribution when any tile is (the image is then UNCERTAIN without regions);
 * - the map: tiles' maps stitched (tiling.ts), regions found on it at full-image resolution.
 */
export async function inspectTiled(pack: LoadedPack, img: EngineImage, runner: TiledRunner): Promise<InspectionResult> {
  const spec = pack.manifest.tiling!;
  const g = geometry(spec);
  const rects = tileLayout(img.width, img.height, g);
  const t0 = performance.now();
  const results = await runner.run(rects.map((r) => cropTile(img, r)));
  const ok = results.filter((r) => !r.error);
  const tiles = rects.map((r, i) => {
    const res = results[i]!;
    return { ...r, decision: res.decision, ...(res.defectScore !== undefined ? { defectScore: res.defectScore } : {}), ...(res.guard?.outOfDistribution ? { outOfDistribution: true } : {}) };
  });
  const worstOf = (rs: InspectionResult[]) => rs.reduce((a, b) => ((b.defectScore ?? -1) > (a.defectScore ?? -1) ? b : a));
  // A tile that failed fails the image: a hidden part of it was not inspected (never a silent PASS).
  const failed = results.find((r) => r.error);
  const base = failed ?? worstOf(ok.length ? ok : results);
  const record: TilingRecord = { tile: g.tile, overlap: g.overlap, stitch: g.stitch, score: g.score, grid: [0, 0], tiles };
  const totalMs = performance.now() - t0;
  const sum = (k: 'preprocessMs' | 'inferenceMs' | 'explainMs') => results.reduce((a, r) => a + r.timings[k], 0);
  const out: InspectionResult = {
    ...base,
    source: img.source,
    image: { ...base.image, width: img.width, height: img.height, ...(img.sha256 ? { sha256: img.sha256 } : {}), ...(img.bytes !== undefined ? { bytes: img.bytes } : {}) },
    timings: { preprocessMs: sum('preprocessMs'), inferenceMs: sum('inferenceMs'), explainMs: sum('explainMs'), totalMs, batchSize: Math.max(1, ...results.map((r) => r.timings.batchSize)) },
    regions: [],
    tiling: record,
  };
  if (failed) return out;

  const scores = ok.map((r) => r.defectScore ?? 0);
  out.defectScore = poolScores(scores, g.score);
  const worstDecision = ok.reduce<InspectionResult['decision']>((d, r) => (RANK[r.decision] > RANK[d] ? r.decision : d), 'pass');
  if (g.score === 'mean' && base.classification) {
    const n = ok.length;
    const probs = base.classification.probabilities.map((_, k) => ok.reduce((a, r) => a + (r.classification?.probabilities[k] ?? 0), 0) / n);
    const pooled = scoreClasses(probs, pack.manifest, true);
    out.classification = { ...pooled, logits: base.classification.logits };
    out.defectScore = pooled.defectScore;
    out.drivingLabel = pooled.drivingLabel;
    out.decision = worstDecision === 'defect' && pooled.decision === 'pass' ? 'uncertain' : (pooled.decision as ClassDecision);
  } else {
    out.decision = worstDecision;
    if (worstDecision === 'pass') delete out.drivingLabel;
  }
  const ood = ok.find((r) => r.guard?.outOfDistribution);
  if (ood) out.guard = { ...ood.guard!, reasons: [`${ok.filter((r) => r.guard?.outOfDistribution).length} of ${ok.length} tiles: ${ood.guard!.reasons.join('; ')}`] };

  const m = pack.manifest;
  if (base.explanation) {
    // Tiles whose map explains a normal label carry no defect evidence: they enter the stitch at the
    // scale's bottom, so a good tile's "normal" evidence never becomes a defect region.
    const maps = ok.flatMap((r) => {
      const e = r.explanation;
      if (!e) return [];
      const normal = m.labels[e.targetClass]?.severity === 'none';
      return [{ rect: rects[results.indexOf(r)]!, map: normal ? { ...e.map, data: new Float32Array(e.map.data.length).fill(e.map.scale.low) } : e.map }];
    });
    const map = stitchedHeatMap(maps, img, g.stitch);
    record.grid = [map.height, map.width];
    out.explanation = { ...base.explanation, map };
    if (m.labels[base.explanation.targetClass]?.severity !== 'none') out.regions = runner.regions(map, img, 'explanation');
  } else if (base.anomaly) {
    const map = stitchedHeatMap(ok.map((r) => ({ rect: rects[results.indexOf(r)]!, map: r.anomaly!.map })), img, g.stitch);
    record.grid = [map.height, map.width];
    out.anomaly = { ...base.anomaly, map };
    out.regions = runner.regions(map, img, 'anomaly');
  }
  if (out.guard?.outOfDistribution) {
    out.decision = 'uncertain';
    out.regions = [];
  }
  return out;
}
