/**
 * Issue #15 §0–1: every explanation method, at several target layers of each test classifier and
 * fused over them, equals PyTorch on the same ONNX graph (r ≥ 0.999). The references come from
 * training/testpacks/cam_methods_ref.py: the graph evaluated with PyTorch ops (its logits checked
 * against the original PyTorch models'), PyTorch autograd for the gradient at each layer, and
 * pytorch-grad-cam's formulas re-implemented there (KPCA-CAM through sklearn's KernelPCA itself).
 * The app computes the same maps from onnxruntime's activations and its own TypeScript replay of
 * the graph from that layer on (Conv, pooling, residual adds, concat, depthwise convs).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadPack } from '../../../src/core/packs/load';
import { afterAll, describe, expect, it } from 'vitest';
import { runClassifier } from '../../../src/core/engine/classifier';
import { loadImage } from '../../../src/core/engine/image';
import { SessionCache } from '../../../src/core/engine/session';
import { METHODS } from '../../../src/core/explain';
import { withCamLayers } from '../../../src/core/explain/override';
import { EXPLAIN_METHODS } from '../../../src/shared/inspect';
import { classifierPack, imageDir, maxAbsDiff, minMax, pearson, readRef } from '../engine/support';

interface Ref {
  images: string[];
  layers: Record<string, string[]>;
  models: Record<string, Record<string, { target: number; logits: number[]; maps: Record<string, Record<string, number[]> & { shape: number[] }>; fused: Record<string, number[]> }>>;
}

const ref = readRef<Ref>('cam-methods.ref.json');
const cache = new SessionCache();
afterAll(() => cache.clear());
const METHODS_TESTED = ['gradcam', 'gradcampp', 'xgradcam', 'hirescam', 'layercam', 'gradcamelementwise', 'eigengradcam', 'finercam', 'eigencam', 'fem', 'kpcacam', 'ablationcam'] as const;
const settings = { providers: ['cpu'] };

function expectSameMap(got: ArrayLike<number>, want: number[], what: string) {
  expect(got.length, what).toBe(want.length);
  // A map that is zero everywhere (negative evidence only) has no correlation to compute.
  if (Math.max(...want) <= 0) {
    expect(Math.max(...Array.from(got)), what).toBeLessThan(1e-6);
    return;
  }
  expect(pearson(got, want), what).toBeGreaterThanOrEqual(0.999);
  expect(maxAbsDiff(minMax(got), minMax(want)), what).toBeLessThan(1e-2);
  // Raw values too (the anchored display scale depends on them), not only the shape of the map.
  expect(maxAbsDiff(got, want) / Math.max(...want), what).toBeLessThan(2e-3);
}

describe.each(Object.keys(ref.layers))('%s: every method at every layer and fused equals PyTorch', (model) => {
  const layers = ref.layers[model]!;
  it('single layers', async () => {
    const pack = await classifierPack(model);
    const images = await Promise.all(ref.images.map((f) => loadImage(join(imageDir, f))));
    for (const layer of layers) {
      const p = withCamLayers(pack, { layer });
      for (const method of METHODS_TESTED) {
        const run = await runClassifier(p, images, { method, cache, settings });
        run.results.forEach((r, i) => {
          const e = ref.models[model]![ref.images[i]!]!;
          const what = `${model} ${layer} ${method} ${ref.images[i]}`;
          expect(r.error, what).toBeUndefined();
          const ex = r.explanation!;
          expect(ex.method, what).toBe(method);
          expect(ex.fallbackReason, what).toBeUndefined();
          expect(ex.target, what).toBe(layer);
          expect(ex.targetClass, what).toBe(e.target);
          const want = e.maps[layer]!;
          expect([ex.map.height, ex.map.width], what).toEqual(want.shape.slice(1));
          expectSameMap(ex.map.data, want[method]!, what);
          if (ex.headLogitError !== undefined) expect(ex.headLogitError, what).toBeLessThan(1e-3);
        });
      }
    }
  });

  it('fused over the three layers (pytorch-grad-cam multi-layer aggregation)', async () => {
    const pack = await classifierPack(model);
    const image = await loadImage(join(imageDir, ref.images[0]!));
    const p = withCamLayers(pack, { fuse: layers });
    for (const method of Object.keys(ref.models[model]![ref.images[0]!]!.fused)) {
      const run = await runClassifier(p, [image], { method: method as (typeof METHODS)[number], cache, settings });
      const ex = run.results[0]!.explanation!;
      expect(ex.layers).toEqual(layers);
      expect(ex.fusion).toBe('mean-minmax');
      expect([ex.map.width, ex.map.height]).toEqual([64, 64]);
      // Per-image relative values: never on the pack's anchored scale.
      expect(ex.map.scale.mode).toBe('minmax');
      expectSameMap(ex.map.data, ref.models[model]![ref.images[0]!]!.fused[method]!, `${model} fused ${method}`);
    }
  });
});

describe('layer choice', () => {
  it('an unknown layer is refused with the candidates listed', async () => {
    const pack = await classifierPack('resnet-mini');
    let err: unknown;
    try {
      withCamLayers(pack, { layer: '/no/such/tensor' });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'EXPLAIN_LAYER_UNKNOWN' });
    expect((err as { details: { candidates: string[] } }).details.candidates).toEqual(expect.arrayContaining(ref.layers['resnet-mini']!));
  });

  it('a different layer gives a different, finer map than the default', async () => {
    const pack = await classifierPack('resnet-mini');
    const image = await loadImage(join(imageDir, 'defect_4.png'));
    const last = await runClassifier(pack, [image], { method: 'gradcam', cache, settings });
    const early = await runClassifier(withCamLayers(pack, { layer: '/layer2/Relu_1_output_0' }), [image], { method: 'gradcam', cache, settings });
    expect(last.results[0]!.explanation!.map.width).toBe(8);
    expect(early.results[0]!.explanation!.map.width).toBe(16);
    // Same logits either way: only the explanation changed.
    expect(maxAbsDiff(last.results[0]!.logits, early.results[0]!.logits)).toBe(0);
  });

  it('a pack whose fused layers name no tensor of the graph is refused on load (PACK_UNKNOWN_TARGET)', async () => {
    const pack = await classifierPack('resnet-mini');
    const file = join(pack.dir, 'pack.yaml');
    const doc = parse(readFileSync(file, 'utf8')) as { explanation: Record<string, unknown> };
    doc.explanation['layers'] = ['/layer2/Relu_1_output_0'];
    writeFileSync(file, stringify(doc));
    expect(loadPack(pack.dir).manifest.explanation?.layers).toEqual(['/layer2/Relu_1_output_0']);
    doc.explanation['layers'] = ['/layer2/NoSuchTensor'];
    writeFileSync(file, stringify(doc));
    expect(() => loadPack(pack.dir)).toThrow(expect.objectContaining({ code: 'PACK_UNKNOWN_TARGET' }));
  });

  it('the IPC contract lists the same methods as the core', () => {
    expect([...EXPLAIN_METHODS].sort()).toEqual([...METHODS].sort());
  });
});
