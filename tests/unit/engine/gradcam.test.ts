import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runClassifier } from '../../../src/core/engine/classifier';
import { loadImage } from '../../../src/core/engine/image';
import { SessionCache } from '../../../src/core/engine/session';
import { resizeBilinear } from '../../../src/core/engine/preprocess';
import { classifierPack, imageDir, maxAbsDiff, minMax, pearson, readRef } from './support';

interface Ref {
  images: Record<string, { logits: number[]; target: number; activationShape: number[]; raw: Record<string, number[]>; gradcamScaled: number[] }>;
}

const cache = new SessionCache();
afterAll(() => cache.clear());

// Reference maps: PyTorch autograd on the tensor that feeds global pooling, to pytorch-grad-cam's
// formulas (training/testpacks/export_testpacks.py). Each model is a plain torch.onnx.export.
const MODELS: [string, string][] = [
  ['resnet-mini', '/layer3/Relu_1_output_0'],
  ['mobilenet-mini', '/body/body.9/Clip_output_0'],
  ['densenet-mini', '/Relu_output_0'],
  ['mlp-head', '/body/body.6/Relu_output_0'],
];
const METHODS = ['gradcam', 'gradcampp', 'xgradcam', 'hirescam', 'layercam'] as const;

describe.each(MODELS)('Grad-CAM family on %s equals PyTorch autograd', (model, expectedTarget) => {
  it('detects the target layer, reproduces logits and every method map', async () => {
    const pack = await classifierPack(model);
    expect(pack.manifest.explanation?.target).toBe(expectedTarget);
    const ref = readRef<Ref>(`${model}.ref.json`);
    const names = Object.keys(ref.images);
    expect(names.length).toBeGreaterThan(3);
    const images = await Promise.all(names.map((f) => loadImage(join(imageDir, f))));
    for (const method of METHODS) {
      const run = await runClassifier(pack, images, { method, cache, settings: { providers: ['cpu'] } });
      expect(run.provider).toBe('cpu');
      run.results.forEach((r, i) => {
        const e = ref.images[names[i]!]!;
        expect(maxAbsDiff(r.logits, e.logits)).toBeLessThan(1e-4);
        expect(r.scores.topClass).toBe(e.target);
        const ex = r.explanation!;
        expect(ex.method).toBe(method);
        expect(ex.fallbackReason).toBeUndefined();
        expect([ex.map.height, ex.map.width]).toEqual(e.activationShape.slice(1));
        const got = minMax(ex.map.data);
        const want = minMax(e.raw[method]!);
        expect(maxAbsDiff(got, want), `${method} ${names[i]}`).toBeLessThanOrEqual(1e-3);
        // A map that is zero everywhere (negative evidence only) has no correlation to compute.
        if (Math.max(...e.raw[method]!) > 0) expect(pearson(ex.map.data, e.raw[method]!)).toBeGreaterThanOrEqual(0.999);
      });
    }
  });
});

describe('pytorch-grad-cam display scaling', () => {
  it('min–max then cv2 bilinear resize matches scale_cam_image', async () => {
    const ref = readRef<Ref>('mobilenet-mini.ref.json');
    const e = ref.images['defect_4.png']!;
    const [, h, w] = e.activationShape as [number, number, number];
    const scaled = resizeBilinear(Float32Array.from(minMax(e.raw['gradcam']!)), w, h, 1, 64, 64);
    expect(maxAbsDiff(scaled, e.gradcamScaled)).toBeLessThan(1e-5);
  });
});

describe('undifferentiable head', () => {
  it('falls back to EigenCAM and names the method and the operator', async () => {
    const pack = await classifierPack('sorted-head');
    expect(pack.manifest.explanation?.method).toBe('eigencam');
    expect(pack.manifest.explanation?.targetReason).toMatch(/TopK/);
    const img = await loadImage(join(imageDir, 'defect_4.png'));
    const run = await runClassifier(pack, [img], { method: 'gradcam', cache, settings: { providers: ['cpu'] } });
    const ex = run.results[0]!.explanation!;
    expect(ex.requested).toBe('gradcam');
    expect(ex.method).toBe('eigencam');
    expect(ex.fallbackReason).toMatch(/TopK/);
    expect(ex.map.valid).toBe(true);
    expect(Math.max(...ex.map.data)).toBeGreaterThan(0);
  });

  it('Score-CAM is forward-only and batched; weights are a softmax over channel scores', async () => {
    const pack = await classifierPack('sorted-head');
    const images = await Promise.all(['normal_0.png', 'defect_4.png'].map((f) => loadImage(join(imageDir, f))));
    const run = await runClassifier(pack, images, { method: 'scorecam', cache, settings: { providers: ['cpu'] } });
    for (const r of run.results) {
      expect(r.explanation!.method).toBe('scorecam');
      expect(r.explanation!.channelsUsed).toBe(24);
      expect(r.explanation!.map.valid).toBe(true);
      // Softmax weights sum to 1, so the map is a convex combination of ReLU'd activations.
      expect(Math.max(...r.explanation!.map.data)).toBeGreaterThan(0);
    }
  });
});

describe('Score-CAM on a static-batch export', () => {
  it('feeds batch 1 to a graph whose batch dimension is fixed at 1, and gives the dynamic-batch map', async () => {
    // sorted-head-static.onnx = sorted-head.onnx with the input/output batch dim fixed at 1 (onnx
    // edit of the same weights), what a plain torch.onnx.export without dynamic_axes gives. Before,
    // Score-CAM fed 16 masked images at once and onnxruntime refused the dimensions (INTERNAL).
    const dynamic = await classifierPack('sorted-head');
    const fixed = await classifierPack('sorted-head-static');
    const input = fixed.graph.inputs.find((i) => i.name === fixed.manifest.input.name)!;
    expect(input.shape?.[0]).toBe(1);
    const image = await loadImage(join(imageDir, 'defect_4.png'));
    const a = await runClassifier(dynamic, [image], { method: 'scorecam', cache, settings: { providers: ['cpu'] } });
    const b = await runClassifier(fixed, [image], { method: 'scorecam', cache, settings: { providers: ['cpu'] } });
    const ra = a.results[0]!;
    const rb = b.results[0]!;
    expect(rb.error).toBeUndefined();
    expect(rb.explanation!.method).toBe('scorecam');
    expect(rb.explanation!.channelsUsed).toBe(ra.explanation!.channelsUsed);
    expect(maxAbsDiff(rb.explanation!.map.data, ra.explanation!.map.data)).toBeLessThan(1e-5);
    expect(Math.max(...rb.explanation!.map.data)).toBeGreaterThan(0);
  });
});

it('fixture images are all referenced', () => {
  const ref = readRef<Ref>('resnet-mini.ref.json');
  const pngs = readdirSync(imageDir).filter((f) => f.endsWith('.png') && !f.startsWith('wide'));
  expect(Object.keys(ref.images).sort()).toEqual(pngs.sort());
});
