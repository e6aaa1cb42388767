/**
 * Bounded explanations. EigenCAM is pytorch-grad-cam's get_2d_projection (first principal
 * component of the centred (H·W)×C activation), checked here against numpy's SVD on the same
 * activation, on both shapes (more channels than positions and the reverse); its extra memory is
 * the smaller side's Gram matrix, so a 160×160 target (5 GB as an (H·W)² Gram on main) takes a few
 * MB. Every method's cost is derived from the tensor sizes, and neither the requested method nor a
 * fallback is started when it would exceed the bound.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eigenCam } from '../../../src/core/explain/cams';
import { DEFAULT_EXPLAIN_BUDGET, explainCost } from '../../../src/core/explain/budget';
import { explainBatch, type HeadPlan } from '../../../src/core/explain';
import type { OnnxGraph } from '../../../src/core/engine/onnx/model';

const python = '/usr/bin/python3';
const hasNumpy = existsSync(python) && spawnSync(python, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

function activation(k: number, h: number, w: number, seed: number): Float32Array {
  const out = new Float32Array(k * h * w);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    // Non-negative, spatially structured (ReLU-like features with a blob), so a clear first component.
    const k0 = Math.floor(i / (h * w));
    const p = i % (h * w);
    const y = Math.floor(p / w);
    const x = p % w;
    const blob = Math.exp(-((x - w / 3) ** 2 + (y - h / 2) ** 2) / (0.1 * h * w + 1));
    out[i] = Math.max(0, blob * ((k0 % 3) + 1) + (s / 2 ** 31 - 0.5) * 0.3);
  }
  return out;
}

/** numpy's get_2d_projection on the same activation, sign-fixed to agree with the mean activation, then ReLU. */
function numpyProjection(a: Float32Array, k: number, h: number, w: number): number[] {
  const script = `
import sys, json, numpy as np
k, h, w = ${k}, ${h}, ${w}
a = np.frombuffer(sys.stdin.buffer.read(), dtype=np.float32).astype(np.float64).reshape(k, h * w)
x = a.T - a.T.mean(axis=0)
U, S, VT = np.linalg.svd(x, full_matrices=True)
p = x @ VT[0, :]
if p @ a.sum(axis=0) < 0: p = -p
print(json.dumps(np.maximum(p, 0).tolist()))
`;
  const r = spawnSync(python, ['-c', script], { input: Buffer.from(a.buffer), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as number[];
}

describe.skipIf(!hasNumpy)('EigenCAM equals numpy SVD projection', () => {
  for (const [k, h, w] of [
    [24, 12, 10],
    [200, 5, 4],
  ] as const) {
    it(`K=${k}, ${h}×${w}`, () => {
      const a = activation(k, h, w, 7 + k);
      const ours = eigenCam({ k, h, w, data: a });
      const ref = numpyProjection(a, k, h, w);
      const scale = Math.max(...ref);
      expect(scale).toBeGreaterThan(0);
      let diff = 0;
      for (let i = 0; i < ref.length; i++) diff = Math.max(diff, Math.abs(ours[i]! - ref[i]!));
      expect(diff / scale).toBeLessThan(1e-6);
    });
  }
});

describe('explanation bounds', () => {
  it('EigenCAM on a 160×160 target: memory of the C×C Gram, not (H·W)²', () => {
    const [k, h, w] = [16, 160, 160];
    const cost = explainCost('eigencam', { n: 1, k, h, w });
    // The (H·W)² Gram alone would be 25600² doubles = 5.2 GB.
    expect(cost.bytes).toBeLessThan(8 * (k * h * w + k * k + 3 * h * w) + 1);
    expect(cost.bytes).toBeLessThan(4 * 1024 ** 2);
    const map = eigenCam({ k, h, w, data: activation(k, h, w, 3) });
    expect(map.length).toBe(h * w);
    expect(Math.max(...map)).toBeGreaterThan(0);
  });

  it('the cost of every method grows with the tensor sizes; a huge one exceeds the default bound', () => {
    for (const m of ['gradcam', 'layercam', 'eigencam', 'scorecam'] as const) {
      const small = explainCost(m, { n: 1, k: 64, h: 8, w: 8, inputElements: 3 * 64 * 64 });
      const big = explainCost(m, { n: 8, k: 4096, h: 256, w: 256, inputElements: 3 * 1024 * 1024 });
      expect(big.bytes + big.flops + big.forwards).toBeGreaterThan(small.bytes + small.flops + small.forwards);
      const b = DEFAULT_EXPLAIN_BUDGET;
      expect(small.bytes <= b.maxBytes && small.flops <= b.maxFlops && small.forwards <= b.maxForwards).toBe(true);
      expect(big.bytes > b.maxBytes || big.flops > b.maxFlops || big.forwards > b.maxForwards).toBe(true);
    }
  });

  const [n, k, h, w] = [1, 8, 6, 6];
  const batch = {
    graph: { inputs: [], outputs: [], nodes: [], initializers: new Map() } as unknown as OnnxGraph,
    plan: { target: 'features' } as HeadPlan,
    method: 'eigencam' as const,
    activations: { data: activation(k, h, w, 11), dims: [n, k, h, w] },
    logits: new Float32Array([1, 0]),
    classes: [0],
    input: { data: new Float32Array(3 * 12 * 12).fill(0.5), dims: [1, 3, 12, 12] },
  };

  it('a forward method over the bound is not started: coded EXPLAIN_OVER_BUDGET', async () => {
    await expect(explainBatch({ ...batch, budget: { maxBytes: 1e9, maxFlops: 10, maxForwards: 1e6 } })).rejects.toMatchObject({ code: 'EXPLAIN_OVER_BUDGET' });
  });

  it('when the other forward method fits, it is used and the bound is named as the reason', async () => {
    // Score-CAM's own work here is 8 channels × (36 + 432) multiply-adds; EigenCAM's is over 60 000.
    const forward = async (input: Float32Array, bn: number) => {
      const out = new Float32Array(bn * 2);
      const per = input.length / bn;
      for (let i = 0; i < bn; i++) {
        let s = 0;
        for (let j = 0; j < per; j++) s += input[i * per + j]!;
        out[i * 2] = s / per;
      }
      return out;
    };
    const [r] = await explainBatch({ ...batch, forward, budget: { maxBytes: 1e9, maxFlops: 10_000, maxForwards: 100 } });
    expect(r!.method).toBe('scorecam');
    expect(r!.fallbackReason).toMatch(/eigencam would exceed the explanation bound/);
  });
});
