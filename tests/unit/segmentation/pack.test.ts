/**
 * The shipped segmentation demo pack (models/surface-pitting-seg): its ONNX model in
 * onnxruntime-node gives PyTorch's logits on the same two held-out BSData photos (reference tensors
 * saved by training/segmentation/build.py), and the pack loads (hashes verified) and runs through
 * the engine: the mask is exactly sigmoid(PyTorch logits) ≥ the pack's cut, the areas count those
 * pixels, the photo with pitting is a defect with pitting regions.
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../src/core/engine/engine';
import type { EngineImage } from '../../../src/core/engine/image';
import { loadPack } from '../../../src/core/packs/load';
import { repoRoot } from '../../support/paths';
import { readNpy } from './npy';

const dir = join(repoRoot, 'models', 'surface-pitting-seg');
const fx = join(repoRoot, 'tests', 'fixtures', 'segmentation');
const input = readNpy(join(fx, 'input.npy'));
const ref = readNpy(join(fx, 'logits.npy'));

/** NCHW tensor → the engine's interleaved HWC image at the same size (so resizing is the identity). */
function imageOf(i: number): EngineImage {
  const [, c, h, w] = input.shape as [number, number, number, number];
  const data = new Float32Array(h * w * 3);
  const base = i * c * h * w;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < 3; k++) data[(y * w + x) * 3 + k] = input.data[base + k * h * w + y * w + x]!;
  return { width: w, height: h, channels: 3, data, source: `fixture-${i}` };
}

describe('surface-pitting-seg pack', () => {
  const engine = new Engine({ providers: ['cpu'] });
  afterAll(() => engine.close());

  it('onnxruntime gives the logits PyTorch gave on the same inputs', async () => {
    const s = await ort.InferenceSession.create(join(dir, 'model.onnx'));
    const out = await s.run({ input: new ort.Tensor('float32', input.data, input.shape) });
    const got = out['logits']!;
    expect(got.dims).toEqual(ref.shape);
    let maxDiff = 0;
    let maxRef = 0;
    const g = got.data as Float32Array;
    for (let i = 0; i < g.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(g[i]! - ref.data[i]!));
      maxRef = Math.max(maxRef, Math.abs(ref.data[i]!));
    }
    expect(maxRef).toBeGreaterThan(1);
    expect(maxDiff).toBeLessThan(1e-3);
    await s.release();
  });

  it('loads, runs through the engine and gives the mask, areas and regions of the reference logits', async () => {
    const pack = loadPack(dir);
    expect(pack.manifest.kind).toBe('segmentation');
    const cut = pack.manifest.segmentation!.classes[0]!.threshold;
    const [, , h, w] = ref.shape as [number, number, number, number];
    const results = await engine.inspectImages(pack, [imageOf(0), imageOf(1)]);
    results.forEach((r, i) => {
      expect(r.error).toBeUndefined();
      const seg = r.segmentation!;
      expect([seg.width, seg.height]).toEqual([w, h]);
      let expectedPixels = 0;
      let disagree = 0;
      for (let p = 0; p < h * w; p++) {
        const z = ref.data[i * h * w + p]!;
        const on = 1 / (1 + Math.exp(-z)) >= cut;
        // Pixels within float noise of the cut may fall either way; there are at most a handful.
        if (Math.abs(1 / (1 + Math.exp(-z)) - cut) < 1e-4) continue;
        expectedPixels += on ? 1 : 0;
        if ((seg.mask[p] === 0) !== on) disagree++;
      }
      expect(disagree).toBe(0);
      expect(Math.abs(seg.areas['pitting']!.areaPx - expectedPixels)).toBeLessThanOrEqual(2);
      expect(r.decision).toBe(seg.regions.length ? 'defect' : 'pass');
    });
    // Fixture 0 is a held-out photo with labelled pitting: the pack finds some.
    expect(results[0]!.decision).toBe('defect');
    expect(results[0]!.drivingLabel).toBe('pitting');
    expect(results[0]!.segmentation!.regions[0]!.label).toBe('pitting');
    expect(results[0]!.regions.length).toBe(results[0]!.segmentation!.regions.length);
  });
});
