// Grounding benchmark: the demo grounding pack (models/defects-grounding) on DeepPCB test
// images, Inspector (onnxruntime-node, our pre/post-processing) against PyTorch eager on the same
// model, images and prompt, each as a whole process in the same run. Prints ms/image, the ratio
// (target ≥ 1.5× faster), the share of preprocessing + post-processing (target ≤ 25 %), whether
// both found the same boxes, and the load average.
// PyTorch's model is training/grounding/net.py's module with the weights of the shipped
// onnx/model.onnx (training/grounding/onnx_weights.py), so a fresh clone needs no training
// checkpoint; tests/unit/grounding/onnx-weights.test.ts checks it equals onnxruntime's outputs.
// Fairness: PyTorch gets exactly onnxruntime's intra-op thread count (BENCH_THREADS, default all
// cores, as the engine's sessions use).
// BENCH_IMAGES=n (default 40) images from ../shared/data/deeppcb, else the bundled samples;
// BENCH_PYTHON the interpreter of the PyTorch half (default /usr/bin/python3).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const out = join(root, 'bench-output', 'grounding');
const onnxModel = join(root, 'models', 'defects-grounding', 'onnx', 'model.onnx');
const deeppcb = resolve(root, '..', 'shared', 'data', 'deeppcb');
const python = process.env['BENCH_PYTHON'] ?? '/usr/bin/python3'; // Debian's, with torch and onnx
const n = Number(process.env['BENCH_IMAGES'] ?? 40);
const threads = Number(process.env['BENCH_THREADS'] ?? availableParallelism());
const prompt = 'open circuit . short . mouse bite . spur . spurious copper . pin hole .';
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

mkdirSync(out, { recursive: true });
let paths: string[];
if (existsSync(join(deeppcb, 'test.txt'))) {
  paths = readFileSync(join(deeppcb, 'test.txt'), 'utf8').split('\n').filter(Boolean).slice(0, n).map((l) => join(deeppcb, l.split(/\s+/)[0]!.replace(/\.jpg$/, '_test.jpg')));
} else {
  const s = join(root, 'resources', 'samples', 'pcb-grounding');
  paths = readdirSync(s).filter((f) => f.endsWith('.jpg')).map((f) => join(s, f));
}
const list = join(out, 'images.txt');
writeFileSync(list, paths.join('\n') + '\n');

type Box = { label: string; score: number; box: number[] };
interface Run { loopSeconds: number; preSeconds: number; postSeconds: number; images: number; detections: number; inferSeconds?: number; provider?: string; threads: number; boxes: Box[][] }
function run(label: string, cmd: string, args: string[]): Run {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${label} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Run;
}

/** Boxes found by both runs: same image, same label, every corner within 0.5 px, score within 1e-3. */
function sameBoxes(a: Box[][], b: Box[][]): number {
  let same = 0;
  a.forEach((dets, i) => {
    const left = [...(b[i] ?? [])];
    for (const d of dets) {
      const k = left.findIndex((e) => e.label === d.label && Math.abs(e.score - d.score) < 1e-3 && e.box.every((v, j) => Math.abs(v - d.box[j]!) < 0.5));
      if (k >= 0) {
        left.splice(k, 1);
        same++;
      }
    }
  });
  return same;
}

const rows: string[] = [`load average before: ${loadavg()} (${availableParallelism()} CPU threads)`];
const ours = run('inspector', process.execPath, ['--import', 'tsx', join(root, 'scripts', 'bench', 'grounding', 'inspector.ts'), list, prompt, String(threads)]);
const ms = (r: Run) => (r.loopSeconds * 1000) / r.images;
const share = (r: Run) => (100 * (r.preSeconds + r.postSeconds)) / r.loopSeconds;
rows.push(`images ${ours.images} (${paths[0]!.includes('deeppcb') ? 'DeepPCB test split' : 'bundled samples'}), 640 × 640, prompt "${prompt}"`);
rows.push(`Inspector (onnxruntime-node, ${ours.provider}, ${ours.threads} intra-op threads): ${ms(ours).toFixed(1)} ms/image; pre ${(ours.preSeconds * 1000 / ours.images).toFixed(1)}, infer ${(ours.inferSeconds! * 1000 / ours.images).toFixed(1)}, post ${(ours.postSeconds * 1000 / ours.images).toFixed(1)} ms; pre+post share ${share(ours).toFixed(1)} % (target ≤ 25 %); ${ours.detections} boxes`);
const probe = spawnSync(python, ['-c', 'import torch, onnx, cv2, yaml'], { encoding: 'utf8' });
let exitCode = 0;
if (probe.status !== 0) {
  const why = probe.error ? `${python} not found` : (probe.stderr.trim().split('\n').pop() ?? 'import failed');
  rows.push(`PyTorch reference NOT run: ${python} cannot import torch, onnx, cv2 and yaml (${why}). Install Debian's python3-torch, python3-onnx, python3-opencv, python3-yaml for the comparison.`);
  exitCode = 2;
} else {
  const torch = run('pytorch', python, [join(root, 'scripts', 'bench', 'grounding', 'reference.py'), onnxModel, list, prompt, String(threads)]);
  const same = sameBoxes(ours.boxes, torch.boxes);
  rows.push(`PyTorch eager (torch ${torch.threads} threads = onnxruntime's; weights of the shipped model.onnx): ${ms(torch).toFixed(1)} ms/image; pre+post share ${share(torch).toFixed(1)} %; ${torch.detections} boxes`);
  rows.push(`same boxes (label, score ±1e-3, corners ±0.5 px): ${same} of ${ours.detections} / ${torch.detections}`);
  rows.push(`ratio PyTorch / Inspector: ${(ms(torch) / ms(ours)).toFixed(2)}× (target ≥ 1.5×)`);
}
rows.push(`load average after: ${loadavg()}`);
process.stdout.write(rows.join('\n') + '\n');
writeFileSync(join(out, 'result.txt'), rows.join('\n') + '\n');
process.exit(exitCode);
