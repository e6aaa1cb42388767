/**
 * Decoding of segmentation outputs on hand-made tensors whose answers are known: a sigmoid head
 * (independent classes, per-class cuts), a softmax head with a background class, areas scaled to
 * the source image and to mm² by the pixel spacing, regions per connected component, and the coded
 * errors for a wrong output shape or class count.
 */
import { describe, expect, it } from 'vitest';
import { segment, type SegmentationSpec } from '../../../src/core/segmentation/index';

const logit = (p: number) => Math.log(p / (1 - p));

describe('segment', () => {
  it('sigmoid head: pixels at or above a class cut, two components, areas in source px² and mm²', () => {
    // 4 × 6 map, one class; two blobs of 3 and 2 pixels at p = 0.9/0.8, a 0.45 pixel under the 0.5 cut.
    const w = 6, h = 4;
    const p = new Array(w * h).fill(0.1);
    for (const [x, y, v] of [[0, 0, 0.9], [1, 0, 0.8], [0, 1, 0.7], [4, 2, 0.95], [5, 3, 0.6], [3, 0, 0.45]] as const) p[y * w + x] = v;
    const spec: SegmentationSpec = { activation: 'sigmoid', classes: [{ label: 'pitting', colour: '#ff0000', background: false, threshold: 0.5 }], minArea: 1 };
    const r = segment(Float32Array.from(p.map(logit)), [1, 1, h, w], spec, { sourceSize: [60, 40], pixelSpacing: [0.05, 0.05] });
    // Source is 10× each way: one model pixel = 100 source px² = 0.25 mm².
    expect(r.areas['pitting']!.fraction).toBeCloseTo(5 / 24, 10);
    expect(r.areas['pitting']!.areaPx).toBeCloseTo(500, 6);
    expect(r.areas['pitting']!.areaMm2).toBeCloseTo(1.25, 6);
    expect(r.regions.map((g) => ({ box: g.box, areaPx: Math.round(g.areaPx), score: +g.score.toFixed(4) }))).toEqual([
      { box: [0, 0, 20, 20], areaPx: 300, score: 0.9 },
      { box: [40, 20, 20, 20], areaPx: 200, score: 0.95 },
    ]);
    expect(r.score).toBeCloseTo(0.95, 5);
    expect([...r.mask].filter((v) => v === 0)).toHaveLength(5);
    expect(r.mask[3]).toBe(255);
  });

  it('softmax head: arg-max class per pixel, background never a region, no spacing → no mm²', () => {
    // 3 classes (background, pit, scratch) on 2 × 3; logits chosen so the arg-max is known per pixel.
    const want = [0, 1, 1, 2, 0, 0];
    const n = want.length;
    const data = new Float32Array(3 * n);
    want.forEach((k, i) => {
      for (let c = 0; c < 3; c++) data[c * n + i] = c === k ? 2 : 0;
    });
    const spec: SegmentationSpec = {
      activation: 'softmax',
      classes: [
        { label: 'ok', colour: '#000000', background: true, threshold: 0.5 },
        { label: 'pit', colour: '#ff0000', background: false, threshold: 0.5 },
        { label: 'scratch', colour: '#00ff00', background: false, threshold: 0.5 },
      ],
      minArea: 1,
    };
    const r = segment(data, [1, 3, 2, 3], spec, { sourceSize: [3, 2] });
    expect([...r.mask]).toEqual([255, 1, 1, 2, 255, 255]);
    const pMax = Math.exp(2) / (Math.exp(2) + 2);
    expect(r.probabilities[1]![1]).toBeCloseTo(pMax, 6);
    expect(r.areas).toEqual({ pit: { fraction: 2 / 6, areaPx: 2, areaMm2: null }, scratch: { fraction: 1 / 6, areaPx: 1, areaMm2: null } });
    expect(r.regions.map((g) => g.label).sort()).toEqual(['pit', 'scratch']);
    expect(r.score).toBeCloseTo(pMax, 6);
  });

  it('drops components under minArea and refuses a wrong shape or class count with SEGMENTATION_BAD_OUTPUT', () => {
    const spec: SegmentationSpec = { activation: 'none', exclusive: false, classes: [{ label: 'pit', colour: '#ff0000', background: false, threshold: 0.5 }], minArea: 2 };
    const r = segment(Float32Array.from([0.9, 0, 0, 0]), [1, 1, 2, 2], spec, { sourceSize: [2, 2] });
    expect(r.regions).toEqual([]);
    expect(r.areas['pit']!.areaPx).toBe(1);
    expect(() => segment(new Float32Array(8), [1, 2, 2, 2], spec, { sourceSize: [2, 2] })).toThrow(expect.objectContaining({ code: 'SEGMENTATION_BAD_OUTPUT' }));
    expect(() => segment(new Float32Array(4), [2, 2], spec, { sourceSize: [2, 2] })).toThrow(expect.objectContaining({ code: 'SEGMENTATION_BAD_OUTPUT' }));
  });
});
