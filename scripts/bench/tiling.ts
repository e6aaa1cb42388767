/**
 * What tiling costs: the 576² CT slices (tests/fixtures/tiling with its void, and the clean held-out
 * slice) inspected by the shipped battery-CT pack in one resized pass (the reference) and by its
 * tiled variants (same model.onnx; 256-px tiles overlapping 64 px = 9 tiles, 192-px tiles overlapping
 * 48 px = 16 tiles), HiResCAM and the guard as the pack runs them, in the same run, interleaved;
 * medians of INSPECTOR_BENCH_TILING_RUNS rounds (default 7). Prints ms/image, the ratio to the one
 * resized pass and the load average.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../src/core/engine/engine';
import { loadImage } from '../../src/core/engine/image';
import { loadPack } from '../../src/core/packs/load';
import { batteryPackDir, makeTiledPack, tilingFixture } from '../../tests/support/tiledPack';

const RUNS = Number(process.env['INSPECTOR_BENCH_TILING_RUNS'] ?? 7);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const root = join(import.meta.dirname, '..', '..');

const images = [await loadImage(join(tilingFixture, 'slice2-void.png')), await loadImage(join(root, '..', 'shared', 'data', 'battery-xct', 'slices', 'im_2.png'))];
const variants = [
  ['one resized pass', loadPack(batteryPackDir)],
  ['tiled 256/64 (9 tiles)', loadPack(makeTiledPack({ tile: 256, overlap: 64 }))],
  ['tiled 192/48 (16 tiles)', loadPack(makeTiledPack({ tile: 192, overlap: 48 }))],
] as const;
const engine = new Engine();
for (const [, p] of variants) await engine.inspectImages(p, images); // warm every session first
const t = new Map<string, number[]>(variants.map(([n]) => [n, []]));
const load0 = loadavg()[0]!;
for (let i = 0; i < RUNS; i++) {
  for (const [n, p] of variants) {
    const t0 = performance.now();
    await engine.inspectImages(p, images);
    t.get(n)!.push((performance.now() - t0) / images.length);
  }
}
await engine.close();
const ref = median(t.get(variants[0][0])!);
for (const [n] of variants) {
  const m = median(t.get(n)!);
  process.stdout.write(`${n.padEnd(26)} ${m.toFixed(1).padStart(7)} ms/image  ratio ${(m / ref).toFixed(2)}× the one resized pass\n`);
}
process.stdout.write(`${images.length} images of 576², ${RUNS} rounds; load average ${load0.toFixed(2)} → ${loadavg()[0]!.toFixed(2)} (1 min)\n`);
