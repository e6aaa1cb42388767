/**
 * The multi-domain guard (the grounding pack's): an image's value is its distance to the nearest
 * domain's Gaussian. Two well-separated domains in feature space: a point midway between them is
 * inside one Gaussian pooled over both (its mean is there) but outside the union of the per-domain
 * envelopes; each domain's own new points are inside the union. statisticValue reads guard.json's
 * per-domain Gaussians the same way.
 */
import { describe, expect, it } from 'vitest';
import { envelopeOfDomains, fitDomainHistogram, type ImageFeatures } from '../../../src/core/guard/calibrate';
import { statisticFlags, statisticValue } from '../../../src/core/guard/guard';

const D = 8;
// Deterministic pseudo-noise in [-0.5, 0.5).
const noise = (i: number, j: number) => ((Math.sin(i * 12.9898 + j * 78.233) * 43758.5453) % 1 + 1) % 1 - 0.5;
const item = (centre: number, i: number, chroma: number, side = 640): ImageFeatures => ({
  source: `img${i}`,
  image: { width: side, height: side, channels: chroma > 0 ? 3 : 1, data: new Float32Array(0), source: `img${i}` },
  features: { embedding: [], tensors: [], histogram: Float64Array.from({ length: D }, (_, j) => centre + 0.05 * noise(i, j)), chroma },
});
const domain = (name: string, centre: number, chroma: number, from: number) => ({ name, items: Array.from({ length: 80 }, (_, i) => item(centre, from + i, chroma)) });

describe('union of per-domain envelopes', () => {
  const domains = [domain('pcb', 0.2, 0, 0), domain('surface', 0.8, 0.1, 1000)];
  const union = fitDomainHistogram(domains, {});
  const pooled = fitDomainHistogram(domains, {}, true);
  const value = (fit: typeof union, it: ImageFeatures) => statisticValue(fit.spec, it.features, fit.file);

  it('flags a point between the domains that one pooled Gaussian accepts', () => {
    const midway = item(0.5, 5000, 0);
    expect(statisticFlags(union.spec, value(union, midway))).toBe(true);
    expect(statisticFlags(pooled.spec, value(pooled, midway))).toBe(false);
    expect(union.file.domains).toEqual(['pcb', 'surface']);
    expect(union.file.gaussians).toHaveLength(2);
    expect(pooled.file.gaussians).toHaveLength(1);
  });

  it('accepts new points of either domain, scored by the nearest domain', () => {
    const fresh = [item(0.2, 7000, 0), item(0.2, 7001, 0), item(0.8, 8000, 0.1), item(0.8, 8001, 0.1)];
    for (const f of fresh) expect(statisticFlags(union.spec, value(union, f)), f.source).toBe(false);
    expect(union.spec.threshold).toBeGreaterThan(1);
  });

  it('the envelope: colour any when one domain is gray and one colour; sides span both', () => {
    const acc = envelopeOfDomains([domains[0]!, { name: 'big', items: [item(0.8, 9000, 0.1, 2000)] }], {});
    expect(acc.colour).toBe('any');
    expect(acc.width).toEqual([160, 16000]);
    const gray = envelopeOfDomains([domains[0]!], {});
    expect(gray.colour).toBe('gray');
  });
});
