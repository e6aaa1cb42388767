import { describe, expect, it } from 'vitest';
import { findRegions } from '../../../src/core/regions/regions';

describe('regions', () => {
  it('boxes 8-connected components with area, peak and mean; drops small ones', () => {
    const w = 10;
    const h = 6;
    const v = new Float32Array(w * h);
    // Component A: a 3×2 block at (1,1) with a peak of 0.9.
    for (const [x, y, val] of [[1, 1, 0.6], [2, 1, 0.7], [3, 1, 0.6], [1, 2, 0.6], [2, 2, 0.9], [3, 2, 0.6]] as const) v[y * w + x] = val;
    // Component B: a diagonal pair (8-connected) at (7,3),(8,4).
    v[3 * w + 7] = 0.8;
    v[4 * w + 8] = 0.6;
    // A single speck, and a NaN that must never count.
    v[5 * w + 0] = 0.99;
    v[0 * w + 9] = NaN;
    const regions = findRegions(v, w, h, { threshold: 0.5, minArea: 2 });
    expect(regions).toHaveLength(2);
    expect(regions[0]).toMatchObject({ x: 1, y: 1, width: 3, height: 2, area: 6, peakX: 2, peakY: 2 });
    expect(regions[0]!.peak).toBeCloseTo(0.9, 6);
    expect(regions[0]!.mean).toBeCloseTo((0.6 * 4 + 0.7 + 0.9) / 6, 6);
    expect(regions[1]).toMatchObject({ x: 7, y: 3, width: 2, height: 2, area: 2 });
    expect(findRegions(v, w, h, { threshold: 0.5, minArea: 1 })).toHaveLength(3);
  });
});
