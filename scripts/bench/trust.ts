// Trust-figure benchmark (issue #15 §3): what the faithfulness check (src/core/explain/faithfulness.ts:
// the map's top 10 % removed and the same region moved 4 times, re-scored) adds to an inspection.
// The battery-CT pack on its sample views repeated to BENCH_IMAGES (default 48), CPU, batch 1 (the
// pack's static batch: 5 extra forward passes of 1 image each); and the chest X-ray pack (dynamic
// batch: the 5 passes go as one batch of 5). In one run, per pack: the default explanation without
// the figure (the reference) and with it; prints ms/image (CPU time of this process), the added
// ms/image and the ratio, with the load average before and after.
import { loadavg } from 'node:os';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runClassifier } from '../../src/core/engine/classifier';
import { loadImage } from '../../src/core/engine/image';
import { SessionCache } from '../../src/core/engine/session';
import { loadPack } from '../../src/core/packs/load';

const root = resolve(import.meta.dirname, '..', '..');
const n = Number(process.env['BENCH_IMAGES'] ?? 48);
const cache = new SessionCache();
const settings = { providers: ['cpu'] };
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`load average before: ${load()}`);

for (const name of ['battery-ct-porosity', 'chest-xray-pneumonia']) {
  const pack = loadPack(join(root, 'models', name));
  const samples = join(root, 'resources', 'samples', name);
  const files = readdirSync(samples).filter((f) => /\.(png|jpg)$/.test(f)).sort();
  const images = await Promise.all(Array.from({ length: n }, (_, i) => loadImage(join(samples, files[i % files.length]!))));
  const method = pack.manifest.explanation?.method ?? 'gradcam';
  const timed = async (trust: boolean) => {
    await runClassifier(pack, images.slice(0, 1), { method, cache, settings, trust }); // warm-up
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const verdicts: Record<string, number> = {};
    for (const img of images) {
      const r = await runClassifier(pack, [img], { method, cache, settings, trust });
      const v = r.results[0]!.explanation?.trust?.verdict;
      if (v) verdicts[v] = (verdicts[v] ?? 0) + 1;
    }
    const c = process.cpuUsage(c0);
    return { cpuMs: ((c.user + c.system) / 1000) / n, wallMs: (performance.now() - t0) / n, verdicts };
  };
  // Interleaved twice (A B A B) so a load change during the run hits both.
  const a1 = await timed(false);
  const b1 = await timed(true);
  const a2 = await timed(false);
  const b2 = await timed(true);
  const off = (a1.cpuMs + a2.cpuMs) / 2;
  const on = (b1.cpuMs + b2.cpuMs) / 2;
  const offW = (a1.wallMs + a2.wallMs) / 2;
  const onW = (b1.wallMs + b2.wallMs) / 2;
  console.log(`\n${name} (${method}, ${n} images, batch 1)`);
  console.log(`  explanation, no trust figure : ${off.toFixed(2)} ms CPU / image  (${offW.toFixed(2)} ms wall)`);
  console.log(`  explanation + trust figure   : ${on.toFixed(2)} ms CPU / image  (${onW.toFixed(2)} ms wall)`);
  console.log(`  added: ${(on - off).toFixed(2)} ms CPU / image (${(onW - offW).toFixed(2)} ms wall), ratio ${(on / off).toFixed(2)}×; verdicts ${JSON.stringify(b2.verdicts)}`);
}
await cache.clear();
console.log(`\nload average after: ${load()}`);
