// Grounding benchmark: the demo grounding pack (models/defects-grounding) on DeepPCB test
// images, Inspector (onnxruntime-node, our pre/post-processing) against PyTorch eager on the same
// model, images and prompt, each as a whole process in the same run. Prints ms/image, the ratio
// (target ≥ 1.5× faster), the share of preprocessing + post-processing (target ≤ 25 %), whether
// both found the same boxes, and the load average.
// PyTorch's model is training/grounding/net.py's module with the weights of the shipped
// onnx/model.onnx (training/grounding/onnx_weights.py), so a fresh clone needs no training
// checkpoint; tests/unit/grounding/onnx-weights.test.ts checks it equals onnxruntime's outputs.
// Fairness: each thread count in BENCH_THREADS (default "1,N", N = all cores as the engine's sessions
// use) is run by both, PyTorch with exactly onnxruntime's intra-op thread count and, like our
// sessions (spinning off, engine/session.ts), OMP_WAIT_POLICY=PASSIVE: on a loaded box torch's
// default spin-waiting OpenMP pool made its 2-thread run 3–12× slower than its 1-thread run,
// which would flatter Inspector.
// BENCH_IMAGES=n (default 40) images from ../shared/data/deeppcb, else the bundled samples;
// BENCH_ROUNDS (default 3) interleaved rounds per side, medians printed (the load drifts);
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
const rounds = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 3));
const threadCounts = (process.env['BENCH_THREADS'] ?? `1,${availableParallelism()}`).split(',').map(Number).filter((t, i, a) => t > 0 && a.indexOf(t) === i);
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
function run(label: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Run {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, env });
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
rows.push(`images ${paths.length} (${paths[0]!.includes('deeppcb') ? 'DeepPCB test split' : 'bundled samples'}), 640 × 640, prompt "${prompt}"`);
const ms = (r: Run) => (r.loopSeconds * 1000) / r.images;
const share = (r: Run) => (100 * (r.preSeconds + r.postSeconds)) / r.loopSeconds;
const probe = spawnSync(python, ['-c', 'import torch, onnx, cv2, yaml'], { encoding: 'utf8' });
let exitCode = 0;
const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!;
for (const threads of threadCounts) {
  rows.push(`— ${threads} thread(s) each, ${rounds} interleaved rounds (Inspector, PyTorch, Inspector, …; each a fresh process, warm-up round excluded) —`);
  const ours: Run[] = [];
  const torch: Run[] = [];
  for (let k = 0; k < rounds; k++) {
    ours.push(run('inspector', process.execPath, ['--import', 'tsx', join(root, 'scripts', 'bench', 'grounding', 'inspector.ts'), list, prompt, String(threads)]));
    if (probe.status === 0) torch.push(run('pytorch', python, [join(root, 'scripts', 'bench', 'grounding', 'reference.py'), onnxModel, list, prompt, String(threads)], { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' }));
  }
  const o = ours[ours.length - 1]!;
  const per = (r: Run[], f: (x: Run) => number) => median(r.map(f));
  rows.push(`Inspector (onnxruntime-node, ${o.provider}, ${o.threads} intra-op threads, no spinning): ${per(ours, ms).toFixed(1)} ms/image (rounds ${ours.map((r) => ms(r).toFixed(1)).join(', ')}); pre ${per(ours, (r) => (r.preSeconds * 1000) / r.images).toFixed(1)}, infer ${per(ours, (r) => (r.inferSeconds! * 1000) / r.images).toFixed(1)}, post ${per(ours, (r) => (r.postSeconds * 1000) / r.images).toFixed(1)} ms; pre+post share ${per(ours, share).toFixed(1)} % (target ≤ 25 %); ${o.detections} boxes`);
  if (probe.status !== 0) {
    const why = probe.error ? `${python} not found` : (probe.stderr.trim().split('\n').pop() ?? 'import failed');
    rows.push(`PyTorch reference NOT run: ${python} cannot import torch, onnx, cv2 and yaml (${why}). Install Debian's python3-torch, python3-onnx, python3-opencv, python3-yaml for the comparison.`);
    exitCode = 2;
    continue;
  }
  const t = torch[torch.length - 1]!;
  rows.push(`PyTorch eager (torch ${t.threads} threads = onnxruntime's, OMP_WAIT_POLICY=PASSIVE; weights of the shipped model.onnx): ${per(torch, ms).toFixed(1)} ms/image (rounds ${torch.map((r) => ms(r).toFixed(1)).join(', ')}); pre+post share ${per(torch, share).toFixed(1)} %; ${t.detections} boxes`);
  rows.push(`same boxes (label, score ±1e-3, corners ±0.5 px): ${sameBoxes(o.boxes, t.boxes)} of ${o.detections} / ${t.detections}`);
  const ratios = ours.map((r, k) => ms(torch[k]!) / ms(r));
  rows.push(`ratio PyTorch / Inspector at ${threads} thread(s): ${median(ratios).toFixed(2)}× median of the rounds (${ratios.map((r) => r.toFixed(2)).join(', ')}; target ≥ 1.5×)`);
}
rows.push(`load average after: ${loadavg()}`);
process.stdout.write(rows.join('\n') + '\n');
writeFileSync(join(out, 'result.txt'), rows.join('\n') + '\n');
process.exit(exitCode);
