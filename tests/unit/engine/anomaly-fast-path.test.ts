import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gaussianBlur } from '../../../src/core/anomaly/gaussian';
import { referenceBlur, referenceBoxMean, referenceResidual } from '../../../src/core/anomaly/reference';
import { boxMean, residualMap } from '../../../src/core/anomaly/residual';
import { seededRandom } from '../../../src/shared/random';
import { repoRoot } from '../../support/paths';

// The fast post-processing (index tables, row-wise column pass) must give the very same numbers as
// the plain loops it replaced: bit for bit, not "close", so scores, maps and the packs' reference
// scores cannot move. Shapes include ones narrower than the kernel (reflect wraps more than once).
const dir = join(repoRoot, 'tests', 'fixtures', 'anomaly-residual');
const f32 = (name: string) => {
  const b = readFileSync(join(dir, name));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const dims = (JSON.parse(readFileSync(join(dir, 'ref.json'), 'utf8')) as { dims: number[] }).dims;
const [, , h, w] = dims as [number, number, number, number];

function noise(n: number, seed: number): Float64Array {
  const r = seededRandom(seed);
  return Float64Array.from({ length: n }, () => r());
}

describe('anomaly post-processing fast path equals the plain loops bit for bit', () => {
  it('1 − SSIM in luma, window 5, then σ 2 blur, on the real BSData pair (the surface pack\'s settings)', () => {
    const input = f32('input.f32');
    const recon = f32('recon.f32');
    const spec = { metric: 'ssim', channels: 'luma', window: 5 } as const;
    const fast = gaussianBlur(residualMap(input, recon, dims, 0, spec), w, h, 2);
    const ref = referenceBlur(referenceResidual(input, recon, dims, 0, spec), w, h, 2);
    expect(fast.length).toBe(w * h);
    expect(Array.from(fast)).toEqual(Array.from(ref));
    // Not a trivial map: the residual varies.
    expect(Math.max(...fast) - Math.min(...fast)).toBeGreaterThan(0.01);
  });

  for (const [width, height] of [[1, 1], [1, 7], [2, 3], [3, 2], [5, 17], [40, 9]] as const) {
    it(`blur σ 2 and σ 0.7, box means 3 and 7, on ${width}×${height}`, () => {
      const src = noise(width * height, width * 31 + height);
      for (const sigma of [2, 0.7]) expect(Array.from(gaussianBlur(src, width, height, sigma))).toEqual(Array.from(referenceBlur(src, width, height, sigma)));
      for (const win of [3, 7]) expect(Array.from(boxMean(src, width, height, win))).toEqual(Array.from(referenceBoxMean(src, width, height, win)));
    });
  }

  it('σ 0 is a copy, not the same array', () => {
    const src = noise(12, 5);
    const out = gaussianBlur(src, 4, 3, 0);
    expect(out).not.toBe(src);
    expect(Array.from(out)).toEqual(Array.from(src));
  });
});
