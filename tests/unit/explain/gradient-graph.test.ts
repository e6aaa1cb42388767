/**
 * Issue #15 speed: the head's gradient as an ONNX graph run by onnxruntime (src/core/explain/gradgraph.ts)
 * gives the same maps as the exact TypeScript replay it is checked against, and is what the battery
 * pack's default explanation uses after the first batch. Timings are in `npm run bench -- camlayers`.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runClassifier } from '../../../src/core/engine/classifier';
import { loadImage } from '../../../src/core/engine/image';
import { SessionCache } from '../../../src/core/engine/session';
import { gradientGraphState, relativeError } from '../../../src/core/explain';
import { withCamLayers } from '../../../src/core/explain/override';
import { loadPack } from '../../../src/core/packs/load';

const root = resolve(import.meta.dirname, '..', '..', '..');
const samples = join(root, 'resources', 'samples', 'battery-ct-porosity');
const F1 = '/features/features.1/act/Relu_output_0';
const F2 = '/features/features.2/act/Relu_output_0';
const cache = new SessionCache();
afterAll(() => cache.clear());
const settings = { providers: ['cpu'] };

describe('gradient graph in onnxruntime', () => {
  it('equals the TypeScript replay for the battery default, a fused map and every gradient method', async () => {
    const files = readdirSync(samples).filter((f) => f.endsWith('.png')).sort().slice(0, 3);
    const images = await Promise.all(files.map((f) => loadImage(join(samples, f))));
    for (const [label, pack] of [
      ['default', loadPack(join(root, 'models', 'battery-ct-porosity'))],
      ['fused', withCamLayers(loadPack(join(root, 'models', 'battery-ct-porosity')), { fuse: [F1, F2] })],
    ] as const) {
      for (const method of ['hirescam', 'gradcam', 'gradcampp', 'layercam', 'finercam'] as const) {
        // The pack's model has a static batch of 1: one view per run.
        for (const [i, image] of images.entries()) {
          const replay = (await runClassifier(pack, [image], { method, cache, settings, gradient: 'replay' })).results[0]!.explanation!;
          const auto = (await runClassifier(pack, [image], { method, cache, settings })).results[0]!.explanation!;
          const what = `${label} ${method} ${files[i]}`;
          expect(replay.gradientPath, what).toBe('replay');
          // The first batch of a head is the check (replay); every later one runs in onnxruntime.
          expect(auto.gradientPath, what).toBe(i === 0 && method === 'hirescam' ? 'replay' : 'onnxruntime');
          expect(relativeError(auto.map.data, replay.map.data), what).toBeLessThan(1e-4);
          expect(auto.headLogitError!, what).toBeLessThan(1e-3);
        }
      }
      const states = [...gradientGraphState(pack.graph)!.values()];
      expect(states.every((s) => s.ok)).toBe(true);
    }
  });

  it('a broken rule is caught by the check: the replay stays and the reason is kept', async () => {
    const pack = loadPack(join(root, 'models', 'battery-ct-porosity'));
    const image = await loadImage(join(samples, readdirSync(samples).filter((f) => f.endsWith('.png')).sort()[0]!));
    // A runner that returns the graph's outputs with the gradient scaled, as a wrong rule would.
    const { gradientRunnerFor } = await import('../../../src/core/engine/classifier');
    const real = gradientRunnerFor(pack, cache, settings);
    const broken = { ...real, run: async (...args: Parameters<typeof real.run>) => {
      const out = await real.run(...args);
      for (const [k, v] of Object.entries(out)) if (k.startsWith('inspector/grad/')) out[k] = { data: v.data.map((x, i) => (i % 7 === 0 ? 0 : x)), dims: v.dims };
      return out;
    } };
    const r1 = await runClassifier(pack, [image], { method: 'hirescam', cache, settings, gradientRunner: broken });
    const r2 = await runClassifier(pack, [image], { method: 'hirescam', cache, settings, gradientRunner: broken });
    expect(r1.results[0]!.explanation!.gradientPath).toBe('replay');
    expect(r2.results[0]!.explanation!.gradientPath).toBe('replay');
    const state = [...gradientGraphState(pack.graph)!.values()][0]!;
    expect(state.ok).toBe(false);
    expect(!state.ok && state.reason).toMatch(/differs from the replay/);
  });
});

describe('which heads of the exported test CNNs the gradient graph covers', () => {
  it('ResNet, MobileNetV2 (ReLU6 = Clip) and the MLP head run in onnxruntime; a MaxPool head keeps the replay, saying why', async () => {
    const { classifierPack, imageDir, readRef } = await import('../engine/support');
    const ref = readRef<{ images: string[]; layers: Record<string, string[]> }>('cam-methods.ref.json');
    const image = await loadImage(join(imageDir, ref.images[0]!));
    const paths: Record<string, string[]> = {};
    const reasons: string[] = [];
    for (const model of Object.keys(ref.layers)) {
      const pack = await classifierPack(model);
      for (const layer of ref.layers[model]!) {
        const p = withCamLayers(pack, { layer });
        await runClassifier(p, [image], { method: 'gradcam', cache, settings });
        const second = await runClassifier(p, [image], { method: 'gradcam', cache, settings });
        expect(second.results[0]!.explanation, `${model} ${layer}`).toBeDefined();
        (paths[model] ??= []).push(second.results[0]!.explanation!.gradientPath!);
      }
      for (const s of gradientGraphState(pack.graph)?.values() ?? []) if (!s.ok) reasons.push(`${model}: ${s.reason}`);
    }
    expect(paths['resnet-mini']).toEqual(['onnxruntime', 'onnxruntime', 'onnxruntime']);
    expect(paths['mobilenet-mini']).toEqual(['onnxruntime', 'onnxruntime', 'onnxruntime']);
    expect(paths['mlp-head']).toEqual(['onnxruntime', 'onnxruntime', 'onnxruntime']);
    // densenet-mini's stem feeds a MaxPool: that layer's map comes from the replay (exact, slower).
    expect(paths['densenet-mini']![0]).toBe('replay');
    expect(reasons.join('\n')).toMatch(/densenet-mini: operator MaxPool/);
  });
});
