/**
 * Every new method's memory and work are derived from the tensor sizes before it runs (as
 * EigenCAM's Gram bound is), and neither the requested method nor a fallback is started over the
 * bound. KPCA-CAM's kernel is (h·w)² doubles, Ablation-CAM runs the head once per channel, and a
 * gradient from an earlier layer runs the rest of the backbone: each is refused where it would
 * take gigabytes or minutes.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_EXPLAIN_BUDGET, explainBatch, explainCost, METHODS, type HeadPlan } from '../../../src/core/explain';
import { headCost, planHead } from '../../../src/core/explain/head';
import type { OnnxGraph } from '../../../src/core/engine/onnx/model';
import { classifierPack } from '../engine/support';

const within = (c: { bytes: number; flops: number; forwards: number }, b = DEFAULT_EXPLAIN_BUDGET) => c.bytes <= b.maxBytes && c.flops <= b.maxFlops && c.forwards <= b.maxForwards;

describe('explanation bounds of the #15 methods', () => {
  it('every method: a small target fits the default bound, a huge one exceeds it', () => {
    for (const m of METHODS.filter((x) => x !== 'none')) {
      const small = explainCost(m, { n: 1, k: 64, h: 8, w: 8, inputElements: 3 * 64 * 64, headMacs: 1e5, headBytes: 1e5 });
      const big = explainCost(m, { n: 32, k: 4096, h: 256, w: 256, inputElements: 3 * 1024 * 1024, headMacs: 1e9, headBytes: 1e9 });
      expect(within(small), m).toBe(true);
      expect(within(big), m).toBe(false);
    }
  });

  it('KPCA-CAM on a 160×160 target needs the (h·w)² kernel: refused, EigenCAM (C×C Gram) used instead', async () => {
    const [k, h, w] = [16, 160, 160];
    const cost = explainCost('kpcacam', { n: 1, k, h, w });
    expect(cost.bytes).toBeGreaterThanOrEqual(8 * (h * w) ** 2);
    expect(within(cost)).toBe(false);
    const data = new Float32Array(k * h * w).map((_, i) => ((i * 7919) % 101) / 101);
    const [r] = await explainBatch({
      graph: { inputs: [], outputs: [], nodes: [], initializers: new Map() } as unknown as OnnxGraph,
      plan: { target: 'features', layers: [] } as unknown as HeadPlan,
      method: 'kpcacam',
      activations: { data, dims: [1, k, h, w] },
      logits: new Float32Array([1, 0]),
      classes: [0],
    });
    expect(r!.method).toBe('eigencam');
    expect(r!.fallbackReason).toMatch(/kpcacam would exceed the explanation bound/);
  });

  it('no fallback over the bound either: coded EXPLAIN_OVER_BUDGET, nothing started', async () => {
    const [k, h, w] = [16, 160, 160];
    await expect(
      explainBatch({
        graph: { inputs: [], outputs: [], nodes: [], initializers: new Map() } as unknown as OnnxGraph,
        plan: { target: 'features', layers: [] } as unknown as HeadPlan,
        method: 'kpcacam',
        activations: { data: new Float32Array(k * h * w), dims: [1, k, h, w] },
        logits: new Float32Array([1, 0]),
        classes: [0],
        budget: { maxBytes: 1024 ** 2, maxFlops: 1e12, maxForwards: 0 },
      }),
    ).rejects.toMatchObject({ code: 'EXPLAIN_OVER_BUDGET' });
  });

  it('an earlier layer costs the rest of the backbone: its head cost comes from the graph weights', async () => {
    const pack = await classifierPack('resnet-mini');
    const last = planHead(pack.graph, 'logits');
    const early = planHead(pack.graph, 'logits', '/layer1/Relu_1_output_0');
    const cLast = headCost(pack.graph, last, 48, 8, 8);
    const cEarly = headCost(pack.graph, early, 16, 32, 32);
    // layer2 + layer3 convolutions: far more than the pooled linear layer alone.
    expect(cEarly.macs).toBeGreaterThan(100 * cLast.macs);
    // Ablation-CAM there: one head pass per channel per image.
    const abl = explainCost('ablationcam', { n: 1, k: 16, h: 32, w: 32, headMacs: cEarly.macs, headBytes: cEarly.bytes });
    expect(abl.flops).toBeGreaterThanOrEqual(16 * cEarly.macs);
    // A tight bound refuses the gradient before any head pass runs.
    const a = new Float32Array(16 * 32 * 32);
    await expect(
      explainBatch({
        graph: pack.graph,
        plan: early,
        method: 'gradcam',
        activations: { data: a, dims: [1, 16, 32, 32] },
        logits: new Float32Array(3),
        classes: [0],
        budget: { maxBytes: 1e9, maxFlops: cEarly.macs, maxForwards: 0 },
      }),
    ).rejects.toMatchObject({ code: 'EXPLAIN_OVER_BUDGET' });
  });
});
