/**
 * Issue #15 §3, done-when: the trust figure (src/core/explain/faithfulness.ts) separates the demo
 * pack's maps from the maps of a randomly initialised twin of the same network. The twin is the
 * pack's own ONNX graph with every weight tensor's values randomly permuted
 * (tests/support/trust_twin.py, onnx + numpy); the views are the battery build's own held-out TEST
 * views (its settings — top 10 %, strong at 0.2 — were chosen on the validation views). Both run
 * through the real engine (onnxruntime, the pack's HiResCAM default).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClassifier } from '../../../src/core/engine/classifier';
import { loadImage } from '../../../src/core/engine/image';
import { parseModel } from '../../../src/core/engine/onnx/model';
import { SessionCache } from '../../../src/core/engine/session';
import { logOdds, removePixels, STRONG_AT, topPixels, trustFigures, type TrustFigure } from '../../../src/core/explain/faithfulness';
import { loadPack, type LoadedPack } from '../../../src/core/packs/load';
import { hasShared, repoRoot } from '../../support/paths';

const PY = '/usr/bin/python3';
const script = join(repoRoot, 'tests', 'support', 'trust_twin.py');
const ready = hasShared && existsSync(PY) && spawnSync(PY, ['-c', 'import onnx, numpy, cv2'], { encoding: 'utf8' }).status === 0;
if (!ready) console.warn('SKIP trust-figure separation test: needs ../shared and /usr/bin/python3 with onnx, numpy, cv2');

const VIEWS = 24;
const dir = mkdtempSync(join(os.tmpdir(), 'inspector-trust-'));
const cache = new SessionCache();
const settings = { providers: ['cpu'] };
let real: LoadedPack;
let twin: LoadedPack;
let files: string[] = [];

beforeAll(() => {
  real = loadPack(join(repoRoot, 'models', 'battery-ct-porosity'));
  if (!ready) return;
  const run = (...args: string[]) => {
    const r = spawnSync(PY, [script, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  };
  run('twin', join(real.dir, 'model.onnx'), join(dir, 'twin.onnx'), '1');
  run('views', join(dir, 'views'), String(VIEWS));
  const bytes = new Uint8Array(readFileSync(join(dir, 'twin.onnx')));
  // Same manifest, same graph, other weights: a distinct identity so no session is shared.
  twin = { ...real, model: bytes, graph: parseModel(bytes), manifestSha256: `${real.manifestSha256}:random-twin` };
  files = readdirSync(join(dir, 'views')).sort().map((f) => join(dir, 'views', f));
}, 120_000);
afterAll(async () => {
  await cache.clear();
  rmSync(dir, { recursive: true, force: true });
});

async function figures(pack: LoadedPack): Promise<TrustFigure[]> {
  const out: TrustFigure[] = [];
  // The pack's model has a static batch of 1: one view per run (the figure's passes go one by one too).
  for (const f of files) out.push((await runClassifier(pack, [await loadImage(f)], { method: 'hirescam', cache, settings })).results[0]!.explanation!.trust!);
  return out;
}

describe('trust figure per heatmap', () => {
  it.skipIf(!ready)('separates the battery pack from its randomly initialised twin on held-out test views', async () => {
    const ours = await figures(real);
    const rand = await figures(twin);
    expect(ours).toHaveLength(VIEWS);
    for (const t of [...ours, ...rand]) {
      expect(t.metric).toBe('deletion-vs-random');
      expect(t.verdict).not.toBe('not-applicable'); // both models call these views porosity
      expect(Number.isFinite(t.figure!)).toBe(true);
    }
    const strong = (ts: TrustFigure[]) => ts.filter((t) => t.verdict === 'strong').length / ts.length;
    // Measured on these 24 test views: real 17/24 strong (median figure 0.83), twin 0/24 (figures
    // ≤ 0.03), AUC 0.79. (Validation, where the settings were chosen: 38/40, twin 0/40, AUC 0.95.)
    expect(strong(ours)).toBeGreaterThanOrEqual(0.6);
    const median = (ts: TrustFigure[]) => ts.map((t) => t.figure!).sort((a, b) => a - b)[ts.length >> 1]!;
    expect(median(ours)).toBeGreaterThan(0.5);
    expect(median(rand)).toBeLessThan(0.05);
    expect(strong(rand)).toBe(0);
    // Rank separation: the share of (real, twin) pairs where the real map's figure is higher (AUC).
    let wins = 0;
    for (const a of ours) for (const b of rand) wins += a.figure! > b.figure! ? 1 : 0;
    expect(wins / (ours.length * rand.length)).toBeGreaterThanOrEqual(0.75);
    expect(Math.max(...rand.map((t) => t.figure!))).toBeLessThan(STRONG_AT);
  }, 300_000);

  it('removes exactly the top k % and fills them from the kept neighbourhood; other pixels unchanged', () => {
    const W = 20;
    const H = 10;
    const map = Float64Array.from({ length: W * H }, (_, i) => (i % W >= 15 ? 1 : 0));
    const removed = topPixels(map, 50, () => 0);
    expect(removed.reduce((a, b) => a + b, 0)).toBe(50);
    for (let i = 0; i < W * H; i++) if (removed[i]) expect(i % W).toBeGreaterThanOrEqual(15);
    const image = Float32Array.from({ length: 2 * W * H }, (_, i) => (i < W * H ? 0.25 : 0.75));
    const out = new Float32Array(image.length);
    removePixels(image, 2, H, W, removed, out, 0);
    expect(out).toEqual(image); // a constant plane filled from its neighbourhood stays the same
    const ramp = Float32Array.from({ length: W * H }, (_, i) => i % W);
    const filled = new Float32Array(W * H);
    removePixels(ramp, 1, H, W, removed, filled, 0);
    for (let i = 0; i < W * H; i++) {
      if (!removed[i]) expect(filled[i]).toBe(ramp[i]);
      else expect(filled[i]).toBeLessThan(15); // from the kept (x < 15) side, not the removed values
    }
  });

  it('log-odds from softmax logits, sigmoid logits and probabilities; a class the model does not predict is not applicable', async () => {
    expect(logOdds([0, Math.log(3)], 1, 'softmax')).toBeCloseTo(Math.log(3), 12);
    expect(logOdds([2.5], 0, 'sigmoid')).toBe(2.5);
    expect(logOdds([0.2, 0.8], 1, 'probabilities')).toBeCloseTo(Math.log(4), 6);
    let calls = 0;
    const r = await trustFigures({
      input: new Float32Array(16),
      dims: [1, 1, 4, 4],
      items: [{ map: [1, 0, 0, 0], mapWidth: 2, mapHeight: 2, targetClass: 1, score: 0.02, output: [4, 0] }],
      forward: async (_b, n) => ((calls += n), new Float32Array(2 * n)),
      output: 'softmax',
    });
    expect(r[0]!.verdict).toBe('not-applicable');
    expect(r[0]!.figure).toBeNull();
    expect(calls).toBe(0); // nothing to check: no forward pass spent
  });
});

/**
 * The chest X-ray pack (the other shipped CAM pack; dynamic batch, Grad-CAM default) against its own
 * randomly initialised twin, on pneumonia images of its patient-grouped TEST split
 * (training/eval_sets.py re-derives the build's split; no training or threshold-choice image).
 */
describe('trust figure per heatmap, chest X-ray pack', () => {
  const CHEST_VIEWS = 24;
  let chest: LoadedPack;
  let chestTwin: LoadedPack;
  let images: string[] = [];
  beforeAll(() => {
    chest = loadPack(join(repoRoot, 'models', 'chest-xray-pneumonia'));
    if (!ready) return;
    const sets = join(dir, 'sets');
    const r = spawnSync(PY, ['-c', `import sys; sys.path.insert(0, ${JSON.stringify(join(repoRoot, 'training'))}); from pathlib import Path; import eval_sets; eval_sets.chest(Path(${JSON.stringify(sets)}))`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    const rows = readFileSync(join(sets, 'chest-xray-pneumonia', 'labels.csv'), 'utf8').trim().split(/\r?\n/).slice(1).map((l) => l.split(','));
    images = rows.filter(([, label]) => label === 'pneumonia').map(([path]) => path!).slice(0, CHEST_VIEWS);
    const t = spawnSync(PY, [script, 'twin', join(chest.dir, 'model.onnx'), join(dir, 'chest-twin.onnx'), '1'], { encoding: 'utf8' });
    if (t.status !== 0) throw new Error(t.stderr);
    const bytes = new Uint8Array(readFileSync(join(dir, 'chest-twin.onnx')));
    chestTwin = { ...chest, model: bytes, graph: parseModel(bytes), manifestSha256: `${chest.manifestSha256}:random-twin` };
  }, 120_000);

  it.skipIf(!ready)('separates the chest pack from its randomly initialised twin on pneumonia test images', async () => {
    const run = async (pack: LoadedPack) => {
      const out: TrustFigure[] = [];
      for (const f of images) out.push((await runClassifier(pack, [await loadImage(f)], { method: pack.manifest.explanation?.method ?? 'gradcam', cache, settings })).results[0]!.explanation!.trust!);
      return out;
    };
    const ours = await run(chest);
    const rand = await run(chestTwin);
    expect(ours).toHaveLength(CHEST_VIEWS);
    const strong = (ts: TrustFigure[]) => ts.filter((t) => t.verdict === 'strong').length / ts.length;
    const fig = (t: TrustFigure) => (t.figure === null ? -Infinity : t.figure); // not applicable ranks lowest
    // Measured on these 24 images: real 10/24 strong (figures −0.89…1.07), one not applicable (the
    // pack calls it normal at < 10 %); twin 0/24 strong, |figure| ≤ 0.05; AUC 0.68. A weaker model
    // than the battery pack (test ROC-AUC 0.82): its maps are often not what moves its score, and
    // the figure says so — but "strong" is never said of the random twin.
    expect(strong(ours)).toBeGreaterThanOrEqual(0.3);
    expect(strong(rand)).toBe(0);
    expect(Math.max(...rand.map(fig))).toBeLessThan(STRONG_AT);
    let wins = 0;
    for (const a of ours) for (const b of rand) wins += fig(a) > fig(b) ? 1 : 0;
    expect(wins / (ours.length * rand.length)).toBeGreaterThanOrEqual(0.6);
  }, 300_000);
});
