/**
 * What the input guard costs at inference: each shipped pack on its own sample images, inspected
 * (Grad-CAM / anomaly map as a default run does) with its guard and with the same pack's guard
 * removed, in the same run, interleaved; medians of INSPECTOR_BENCH_GUARD_RUNS rounds (default 5).
 * Prints per-image milliseconds and the ratio guarded / unguarded.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../src/core/engine/engine';
import { loadImage, type EngineImage } from '../../src/core/engine/image';
import { loadPack, type LoadedPack } from '../../src/core/packs/load';

const root = join(import.meta.dirname, '..', '..');
const RUNS = Number(process.env['INSPECTOR_BENCH_GUARD_RUNS'] ?? 5);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

for (const name of ['battery-ct-porosity', 'chest-xray-pneumonia', 'surface-pitting-ae']) {
  const guarded = loadPack(join(root, 'models', name));
  const { guard: _g, ...rest } = guarded.manifest;
  // The same pack, same session cache key space, without the guard section.
  const plain: LoadedPack = { ...guarded, manifest: rest as LoadedPack['manifest'], manifestSha256: `${guarded.manifestSha256}-noguard` };
  const dir = join(root, 'resources', 'samples', name);
  const images: EngineImage[] = await Promise.all(readdirSync(dir).filter((f) => /\.(png|jpe?g)$/i.test(f)).map((f) => loadImage(join(dir, f))));
  const engine = new Engine();
  // Warm both variants' sessions first: session creation is not what is measured.
  await engine.inspectImages(guarded, images);
  await engine.inspectImages(plain, images);
  const t = { guarded: [] as number[], plain: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    for (const [k, p] of [['plain', plain], ['guarded', guarded]] as const) {
      const t0 = performance.now();
      await engine.inspectImages(p, images);
      t[k].push((performance.now() - t0) / images.length);
    }
  }
  await engine.close();
  const g = median(t.guarded);
  const u = median(t.plain);
  process.stdout.write(`${name.padEnd(22)} ${images.length} images: unguarded ${u.toFixed(1)} ms/image, guarded ${g.toFixed(1)} ms/image, ratio ${(g / u).toFixed(2)}\n`);
}
