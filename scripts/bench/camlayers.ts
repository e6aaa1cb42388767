// Explanation layers benchmark (issue #15): the battery-CT pack on its sample views, repeated to
// BENCH_IMAGES (default 48), CPU. In one run: Inspector without a map, with Grad-CAM at the
// last stage (10×10: the head is one linear layer), with HiResCAM at features.2 (the new default:
// the head replayed is two residual blocks, Conv forward + backward in TypeScript), and fused over
// features.1–2 — each with the gradient from the TypeScript replay (the previous implementation) and
// from the gradient graph in onnxruntime (./src/core/explain/gradgraph.ts, the default); and PyTorch computing the same HiResCAM map (autograd on the same ONNX graph,
// training/lib/onnx_torch.py) as the reference. Prints a table, the ratios, and the maps' agreement.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runClassifier } from '../../src/core/engine/classifier';
import { loadImage } from '../../src/core/engine/image';
import { SessionCache } from '../../src/core/engine/session';
import { withCamLayers } from '../../src/core/explain/override';
import { loadPack } from '../../src/core/packs/load';

const root = resolve(import.meta.dirname, '..', '..');
const n = Number(process.env['BENCH_IMAGES'] ?? 48);
const F1 = '/features/features.1/act/Relu_output_0';
const F2 = '/features/features.2/act/Relu_output_0';
const F4 = '/features/features.4/act/Relu_output_0';
const samples = join(root, 'resources', 'samples', 'battery-ct-porosity');
const files = readdirSync(samples).filter((f) => f.endsWith('.png')).sort();
const paths = Array.from({ length: n }, (_, i) => join(samples, files[i % files.length]!));

const pack = loadPack(join(root, 'models', 'battery-ct-porosity'));
const cache = new SessionCache();
const settings = { providers: ['cpu'] };
const images = await Promise.all(paths.map((p) => loadImage(p)));

type Opts = Parameters<typeof runClassifier>[2];
async function timed(label: string, p: typeof pack, method: Opts['method'], gradient: Opts['gradient'] = 'auto') {
  // Warm-up: sessions, weights, and (auto) the gradient graph's one-time check against the replay.
  await runClassifier(p, images.slice(0, 1), { method, cache, settings, gradient });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let explainMs = 0;
  const maps: number[][] = [];
  for (let i = 0; i < images.length; i += 1) {
    const r = await runClassifier(p, images.slice(i, i + 1), { method, cache, settings, gradient });
    explainMs += r.timings.explainMs;
    for (const x of r.results) if (x.explanation) maps.push(Array.from(x.explanation.map.data));
  }
  const c = process.cpuUsage(c0);
  // CPU time of this process (the session runs in it): steadier than wall time on a shared box.
  return { label, seconds: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, explain: explainMs / 1000, maps };
}

const runs = [
  await timed('Inspector, no map', pack, 'none'),
  await timed('Inspector + Grad-CAM @ features.4 (before)', withCamLayers(pack, { layer: F4 }), 'gradcam'),
  await timed('Inspector + HiResCAM @ features.2, TypeScript replay (previous)', pack, 'hirescam', 'replay'),
  await timed('Inspector + HiResCAM @ features.2, gradient graph in onnxruntime (default)', pack, 'hirescam'),
  await timed('Inspector + HiResCAM fused features.1–2, replay (previous)', withCamLayers(pack, { fuse: [F1, F2] }), 'hirescam', 'replay'),
  await timed('Inspector + HiResCAM fused features.1–2, gradient graph', withCamLayers(pack, { fuse: [F1, F2] }), 'hirescam'),
];
cache.clear();

const py = spawnSync('/usr/bin/python3', ['-c', `
import json, sys, time
sys.path.insert(0, 'training')
import cv2, numpy as np, torch
from lib.onnx_torch import OnnxTorch
torch.set_num_threads(1)
paths = json.loads(sys.stdin.read())
net = OnnxTorch('models/battery-ct-porosity/model.onnx')
x = np.stack([cv2.resize(cv2.imread(p, cv2.IMREAD_UNCHANGED).astype(np.float32) / 65535.0, (160, 160), interpolation=cv2.INTER_LINEAR) for p in paths])[:, None]
L = '${F2}'
def run():
    maps = []
    for i in range(0, len(x), 8):
        v = net.run(torch.from_numpy(x[i:i + 8]), keep={L})
        v[net.output][:, 1].sum().backward()
        maps.append(torch.relu((v[L].grad * v[L].detach()).sum(1)).flatten(1))
    return torch.cat(maps)
run()
t0 = time.time(); c0 = time.process_time(); m = run(); t = time.time() - t0; c = time.process_time() - c0
print(json.dumps({"seconds": t, "cpu": c, "maps": m[:4].tolist()}))
`], { cwd: root, input: JSON.stringify(paths), encoding: 'utf8', maxBuffer: 64 << 20 });
if (py.status !== 0) throw new Error(py.stderr);
const ref = JSON.parse(py.stdout.trim().split('\n').pop()!) as { seconds: number; cpu: number; maps: number[][] };

const pearson = (a: number[], b: number[]) => {
  const ma = a.reduce((s, v) => s + v, 0) / a.length;
  const mb = b.reduce((s, v) => s + v, 0) / b.length;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
};

console.log(`${n} views of 160², batch 1, CPU (shared box: compare ratios, not seconds)`);
console.log('| run | wall s | CPU s | of which explanation (wall) s | CPU ms per image |');
console.log('|---|---|---|---|---|');
for (const r of runs) console.log(`| ${r.label} | ${r.seconds.toFixed(2)} | ${r.cpu.toFixed(2)} | ${r.explain.toFixed(2)} | ${((1000 * r.cpu) / n).toFixed(1)} |`);
console.log(`| PyTorch HiResCAM @ features.2 (forward + autograd, 1 thread) | ${ref.seconds.toFixed(2)} | ${ref.cpu.toFixed(2)} | | ${((1000 * ref.cpu) / n).toFixed(1)} |`);
const [plain, before, replay, now, fusedReplay, fused] = runs.map((r) => r.cpu) as [number, number, number, number, number, number];
const explainCpu = (x: number) => (1000 * (x - plain)) / n;
console.log(`explanation CPU per image (run minus no-map run): replay ${explainCpu(replay).toFixed(1)} ms, gradient graph ${explainCpu(now).toFixed(1)} ms, Grad-CAM@features.4 ${explainCpu(before).toFixed(1)} ms`);
console.log(`CPU ratios: replay / gradient graph ${(replay / now).toFixed(2)} (explanation part alone ${((replay - plain) / Math.max(now - plain, 1e-9)).toFixed(1)}); fused replay / fused graph ${(fusedReplay / fused).toFixed(2)}; gradient graph / no map ${(now / plain).toFixed(2)}; / Grad-CAM@features.4 ${(now / before).toFixed(2)}; / PyTorch same map ${(now / ref.cpu).toFixed(2)} (replay / PyTorch ${(replay / ref.cpu).toFixed(2)})`);
console.log(`maps vs PyTorch (first 4 views): gradient graph r = ${ref.maps.map((m, i) => pearson(runs[3]!.maps[i]!, m).toFixed(5)).join(', ')}; replay r = ${ref.maps.map((m, i) => pearson(runs[2]!.maps[i]!, m).toFixed(5)).join(', ')}`);
let worst = 0;
runs[2]!.maps.forEach((m, i) => m.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - runs[3]!.maps[i]![j]!)))));
console.log(`gradient graph vs replay: largest |Δ| over all ${n} maps ${worst.toExponential(2)}`);
console.log(`load average: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
