// Inspector side of the Grad-CAM benchmark, run as its own process by scripts/bench/gradcam.ts so
// that "whole process" includes start-up and session creation, as for the PyTorch side.
// Args: PACK_DIR IMAGES_DIR METHOD BATCH THREADS SPINNING(0|1)
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../../src/core/engine/engine';
import { loadImage } from '../../../src/core/engine/image';
import type { ExplainMethod } from '../../../src/core/explain';
import { loadPack } from '../../../src/core/packs/load';

const [packDir, imagesDir, method, batch, threads, spinning] = process.argv.slice(2) as [string, string, ExplainMethod, string, string, string];
const pack = loadPack(packDir);
const engine = new Engine({ providers: ['cpu'], intraOpThreads: Number(threads), spinning: spinning === '1', batchSize: Number(batch) });
const files = readdirSync(imagesDir).filter((f) => f.endsWith('.png')).sort();
const t0 = performance.now();
const images = await Promise.all(files.map((f) => loadImage(join(imagesDir, f))));
const results = await engine.inspectImages(pack, images, { method });
const loopSeconds = (performance.now() - t0) / 1000;
const maps: Record<string, number[]> = {};
results.slice(0, 4).forEach((r, i) => {
  if (r.explanation) maps[files[i]!] = Array.from(r.explanation.map.data);
});
const explainMs = results.reduce((s, r) => s + r.timings.explainMs, 0);
process.stdout.write(JSON.stringify({ images: results.length, loopSeconds, explainSeconds: explainMs / 1000, provider: results[0]?.provider, method: results[0]?.explanation?.method ?? 'none', maps }) + '\n');
await engine.close();
