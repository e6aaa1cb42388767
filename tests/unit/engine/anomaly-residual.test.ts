import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { autoencoderMaps } from '../../../src/core/anomaly/anomaly';
import { boxMean, residualMap } from '../../../src/core/anomaly/residual';
import { createPack } from '../../../src/core/packs/create';
import { AnomalySpec, type ResidualSpec } from '../../../src/core/packs/manifest';
import { repoRoot } from '../../support/paths';
import { onnxDir, scratch } from './support';

// A real pair: a crop of a shipped BSData photo and the surface AE's reconstruction of it, with
// PyTorch maps from tests/fixtures/anomaly-residual/make_fixtures.py (training/lib/nets.py).
const dir = join(repoRoot, 'tests', 'fixtures', 'anomaly-residual');
interface Case { residual: ResidualSpec | null; sigma: number; score: 'max' | 'mean'; rawScore: number; mapSum: number; peak: [number, number]; samples: [number, number][] }
const ref = JSON.parse(readFileSync(join(dir, 'ref.json'), 'utf8')) as { dims: number[]; cases: Case[] };
const f32 = (name: string) => {
  const b = readFileSync(join(dir, name));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const input = f32('input.f32');
const recon = f32('recon.f32');
const [, , h, w] = ref.dims as [number, number, number, number];

function argmax2d(data: ArrayLike<number>, width: number): [number, number] {
  let best = 0;
  for (let i = 1; i < data.length; i++) if (data[i]! > data[best]!) best = i;
  return [Math.floor(best / width), best % width];
}

describe('autoencoder residual maps equal the PyTorch build maths on a real BSData pair', () => {
  it('the fixture is the real crop, not an empty file', () => {
    expect(input.length).toBe(3 * h * w);
    expect(recon.length).toBe(input.length);
    expect(ref.cases.length).toBeGreaterThanOrEqual(7);
  });

  for (const c of ref.cases) {
    const name = `${JSON.stringify(c.residual ?? 'default l2')}, σ ${c.sigma}, score ${c.score}`;
    it(name, () => {
      const { maps, scores } = autoencoderMaps(input, recon, ref.dims, c.sigma, c.score, c.residual ?? undefined);
      const map = maps[0]!;
      expect(Math.abs(scores[0]! - c.rawScore) / c.rawScore).toBeLessThan(1e-4);
      expect(Math.abs(map.reduce((s, v) => s + v, 0) - c.mapSum) / c.mapSum).toBeLessThan(1e-4);
      let worst = 0;
      for (const [i, v] of c.samples) worst = Math.max(worst, Math.abs(map[i]! - v));
      expect(worst / c.rawScore).toBeLessThan(1e-4);
      expect(argmax2d(map, w)).toEqual(c.peak);
    });
  }

  it('no residual section and an explicit l2/mean give the same map (existing packs unchanged)', () => {
    const a = residualMap(input, recon, ref.dims, 0);
    const b = residualMap(input, recon, ref.dims, 0, { metric: 'l2', channels: 'mean' });
    expect(Array.from(b)).toEqual(Array.from(a));
    let manual = 0;
    for (let ch = 0; ch < 3; ch++) manual += (input[ch * h * w]! - recon[ch * h * w]!) ** 2 / 3;
    expect(a[0]).toBeCloseTo(manual, 12);
  });

  it('SSIM of an image with itself is 1 everywhere (dissimilarity 0)', () => {
    const d = residualMap(input, input, ref.dims, 0, { metric: 'ssim', window: 5 });
    expect(Math.max(...d.map(Math.abs))).toBeLessThan(1e-9);
  });

  it('box mean reflects at the border without repeating the edge pixel', () => {
    // Row [1, 2, 3] with window 3: the left neighbour of 1 is 2 (mirror), so (2 + 1 + 2) / 3.
    const m = boxMean([1, 2, 3], 3, 1, 3);
    expect(m[0]).toBeCloseTo(5 / 3, 12);
    expect(m[2]).toBeCloseTo(7 / 3, 12);
  });

  it('the manifest accepts l1/ssim residuals and rejects an even SSIM window or an unknown metric', () => {
    const base = { format: 'autoencoder' as const };
    expect(AnomalySpec.parse({ ...base, residual: { metric: 'ssim', channels: 'luma', window: 5 } }).residual).toEqual({ metric: 'ssim', channels: 'luma', window: 5 });
    expect(AnomalySpec.parse(base).residual).toBeUndefined();
    expect(AnomalySpec.safeParse({ ...base, residual: { metric: 'ssim', window: 4 } }).success).toBe(false);
    expect(AnomalySpec.safeParse({ ...base, residual: { metric: 'cosine' } }).success).toBe(false);
  });

  it('pack create writes the residual into the manifest (what --residual ssim,luma,5 passes)', async () => {
    const residual = { metric: 'ssim', channels: 'luma', window: 5 } as const;
    const pack = await createPack({ onnx: join(onnxDir, 'ae-mini.onnx'), kind: 'anomaly', sigma: 2, residual, out: scratch('ae-residual') });
    expect(pack.manifest.anomaly).toMatchObject({ format: 'autoencoder', residual, sigma: 2 });
  });
});
