// Grad-CAM overhead measured inside one process: plain and Grad-CAM runs of the same batches
// alternate (ABAB…), so load from other processes falls on both alike. Sessions are created before
// timing starts. Args: PACK_DIR IMAGES_DIR ROUNDS
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../../src/core/engine/engine';
import { loadImage } from '../../../src/core/engine/image';
import { loadPack } from '../../../src/core/packs/load';

const [packDir, imagesDir, roundsArg] = process.argv.slice(2) as [string, string, string];
const pack = loadPack(packDir);
const engine = new Engine({ providers: ['cpu'], intraOpThreads: 2, spinning: false, batchSize: 8 });
const files = readdirSync(imagesDir).filter((f) => f.endsWith('.png')).sort();
const images = await Promise.all(files.map((f) => loadImage(join(imagesDir, f))));
// Warm both sessions (creation is not what this measures).
await engine.inspectImages(pack, images.slice(0, 8), { method: 'none' });
await engine.inspectImages(pack, images.slice(0, 8), { method: 'gradcam' });
const plain: number[] = [];
const cam: number[] = [];
const parts = { plain: { pre: 0, infer: 0, explain: 0 }, cam: { pre: 0, infer: 0, explain: 0 } };
const add = (k: 'plain' | 'cam', rs: Awaited<ReturnType<typeof engine.inspectImages>>) => {
  for (const r of rs) {
    parts[k].pre += r.timings.preprocessMs / 1000;
    parts[k].infer += r.timings.inferenceMs / 1000;
    parts[k].explain += r.timings.explainMs / 1000;
  }
};
for (let r = 0; r < Number(roundsArg); r++) {
  for (let s = 0; s < images.length; s += 8) {
    const batch = images.slice(s, s + 8);
    let t = performance.now();
    add('plain', await engine.inspectImages(pack, batch, { method: 'none' }));
    plain.push(performance.now() - t);
    t = performance.now();
    add('cam', await engine.inspectImages(pack, batch, { method: 'gradcam' }));
    cam.push(performance.now() - t);
  }
}
const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
process.stdout.write(JSON.stringify({ loopSeconds: sum(cam) / 1000, plainSeconds: sum(plain) / 1000, batches: plain.length, parts }) + '\n');
await engine.close();
