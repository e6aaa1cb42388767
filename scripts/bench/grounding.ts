// Grounding benchmark: the demo grounding pack (models/defects-grounding) on DeepPCB test
// images, Inspector (onnxruntime-node, our pre/post-processing) against PyTorch eager on the same
// weights, images and prompt, each as a whole process in the same run. Prints ms/image, the ratio
// (target ≥ 1.5× faster) and the share of preprocessing + post-processing (target ≤ 25 %).
// Needs training/work/defects-grounding/model.pt (training/grounding/build.py) for PyTorch.
// BENCH_IMAGES=n (default 40) images from ../shared/data/deeppcb, else the bundled samples.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const out = join(root, 'bench-output', 'grounding');
const weights = join(root, 'training', 'work', 'defects-grounding', 'model.pt');
const deeppcb = resolve(root, '..', 'shared', 'data', 'deeppcb');
const n = Number(process.env['BENCH_IMAGES'] ?? 40);
const prompt = 'open circuit . short . mouse bite . spur . spurious copper . pin hole .';

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

interface Run { loopSeconds: number; preSeconds: number; postSeconds: number; images: number; detections: number; inferSeconds?: number; provider?: string; threads?: number }
function run(label: string, cmd: string, args: string[]): Run {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`${label} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Run;
}

const ours = run('inspector', process.execPath, ['--import', 'tsx', join(root, 'scripts', 'bench', 'grounding', 'inspector.ts'), list, prompt]);
const rows: string[] = [];
const ms = (r: Run) => (r.loopSeconds * 1000) / r.images;
const share = (r: Run) => (100 * (r.preSeconds + r.postSeconds)) / r.loopSeconds;
rows.push(`images ${ours.images} (${paths[0]!.includes('deeppcb') ? 'DeepPCB test split' : 'bundled samples'}), 640 × 640, prompt "${prompt}"`);
rows.push(`Inspector (onnxruntime-node, ${ours.provider}): ${ms(ours).toFixed(1)} ms/image; pre ${(ours.preSeconds * 1000 / ours.images).toFixed(1)}, infer ${(ours.inferSeconds! * 1000 / ours.images).toFixed(1)}, post ${(ours.postSeconds * 1000 / ours.images).toFixed(1)} ms; pre+post share ${share(ours).toFixed(1)} % (target ≤ 25 %); ${ours.detections} boxes`);
if (existsSync(weights)) {
  const torch = run('pytorch', '/usr/bin/python3', [join(root, 'scripts', 'bench', 'grounding', 'reference.py'), weights, list, prompt]);
  rows.push(`PyTorch eager (${torch.threads} threads): ${ms(torch).toFixed(1)} ms/image; pre+post share ${share(torch).toFixed(1)} %; ${torch.detections} boxes`);
  rows.push(`ratio PyTorch / Inspector: ${(ms(torch) / ms(ours)).toFixed(2)}× (target ≥ 1.5×)`);
} else rows.push(`PyTorch reference skipped: ${weights} is absent (run training/grounding/build.py)`);
process.stdout.write(rows.join('\n') + '\n');
writeFileSync(join(out, 'result.txt'), rows.join('\n') + '\n');
