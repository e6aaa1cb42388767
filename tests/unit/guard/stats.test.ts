/** The guard's statistics: SPD inverse, Mahalanobis distance, cross-fitting, quantiles. */
import { describe, expect, it } from 'vitest';
import { crossFittedDistances, fitGaussian, mahalanobis, quantile, spdInverse } from '../../../src/core/guard/stats';

describe('guard statistics', () => {
  it('spdInverse inverts a symmetric positive definite matrix', () => {
    const a = new Float64Array([4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2]);
    const inv = spdInverse(a, 3);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += a[i * 3 + k]! * inv[k * 3 + j]!;
        expect(s).toBeCloseTo(i === j ? 1 : 0, 10);
      }
  });

  it('Mahalanobis distance scales each axis by its spread and grows with distance from the mean', () => {
    // Points on two axes: x spread 10× y's. A step of 1 along y is as far as 10 along x.
    const rows: number[][] = [];
    for (let i = 0; i < 400; i++) rows.push([10 * Math.sin(i * 1.7), Math.cos(i * 2.3)]);
    const g = fitGaussian(rows, 0);
    const dx = mahalanobis(g, [g.mean[0]! + 10, g.mean[1]!]);
    const dy = mahalanobis(g, [g.mean[0]!, g.mean[1]! + 1]);
    expect(dx / dy).toBeGreaterThan(0.8);
    expect(dx / dy).toBeLessThan(1.25);
    expect(mahalanobis(g, g.mean)).toBe(0);
  });

  it('cross-fitted distances of reference rows are larger than in-sample ones (why thresholds use them)', () => {
    const rows: number[][] = [];
    for (let i = 0; i < 60; i++) rows.push(Array.from({ length: 30 }, (_, j) => Math.sin(i * 12.9898 + j * 78.233) * 43758.5453 % 1));
    const g = fitGaussian(rows, 0.1);
    const inSample = rows.map((r) => mahalanobis(g, r));
    const cross = crossFittedDistances(rows, 5, 0.1);
    expect(quantile(cross, 0.5)).toBeGreaterThan(1.2 * quantile(inSample, 0.5));
  });

  it('quantile interpolates like numpy', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([5, 1, 3], 1)).toBe(5);
    expect(quantile([5, 1, 3], 0)).toBe(1);
  });
});
