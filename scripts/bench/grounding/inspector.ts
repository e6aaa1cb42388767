// Inspector side of scripts/bench/grounding.ts: the shipped demo grounding pack on onnxruntime-node
// through GroundingModel.detect (preprocessing, tokenization, inference, post-processing); images
// decoded before timing, as in the PyTorch run. Prints one JSON line (with every image's boxes, for
// the same-boxes check). argv: IMAGES.txt PROMPT THREADS (onnxruntime intra-op threads).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadImage } from '../../../src/core/engine/image';
import { GroundingModel } from '../../../src/core/grounding/model';

const root = resolve(import.meta.dirname, '..', '..', '..');
const [imagesFile, prompt, threadsArg] = process.argv.slice(2) as [string, string, string];
const threads = Number(threadsArg);
const paths = readFileSync(imagesFile, 'utf8').split('\n').filter(Boolean);
const images = await Promise.all(paths.map((p) => loadImage(p)));
const model = GroundingModel.open(join(root, 'models', 'defects-grounding'), 'onnx/model.onnx', { intraOpThreads: threads });
let loop = 0;
let pre = 0;
let infer = 0;
let post = 0;
let detections = 0;
let boxes: { label: string; score: number; box: number[] }[][] = [];
for (let rep = 0; rep < 2; rep++) {
  // The first round warms up (session creation, allocator).
  pre = infer = post = detections = 0;
  boxes = [];
  const t0 = performance.now();
  for (const img of images) {
    const r = await model.detect(img, prompt, { boxThreshold: 0.3, textThreshold: 0.25, nmsIou: 0.5 });
    pre += r.timings.preprocessMs;
    infer += r.timings.inferenceMs;
    post += r.timings.postprocessMs;
    detections += r.detections.length;
    boxes.push(r.detections.map((d) => ({ label: d.label, score: d.score, box: [d.x, d.y, d.x + d.width, d.y + d.height] })));
  }
  loop = (performance.now() - t0) / 1000;
}
const io = await model.interface();
await model.close();
process.stdout.write(JSON.stringify({ loopSeconds: loop, preSeconds: pre / 1000, inferSeconds: infer / 1000, postSeconds: post / 1000, images: images.length, detections, provider: io.provider, threads, boxes }) + '\n');
