/**
 * Autoencoder calibration on real-sized maps: the shipped surface model (160×400 maps) over enough
 * images that spreading the pixels into Math.min/Math.max would overflow the call stack.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { calibratePack, extent } from '../../../src/core/packs/calibrate';
import { createPack } from '../../../src/core/packs/create';
import { repoRoot } from '../../support/paths';
import { scratch } from './support';

const model = join(repoRoot, 'models', 'surface-pitting-ae', 'model.onnx');
const samples = join(repoRoot, 'resources', 'samples', 'surface-pitting-ae');

describe('calibration at scale', () => {
  it('extent() agrees with Math.min/max and survives millions of values', () => {
    const v = Float32Array.from({ length: 3_000_000 }, (_, i) => Math.sin(i) * 5);
    const [lo, hi] = extent(v);
    expect(lo).toBe(v.reduce((a, b) => Math.min(a, b), Infinity));
    expect(hi).toBe(v.reduce((a, b) => Math.max(a, b), -Infinity));
    expect(() => Math.max(...v)).toThrow(RangeError); // what calibration used to do
    expect(extent([1, 2], 7)).toEqual([1, 7]);
  });

  it.runIf(existsSync(model))('derives thresholds for the shipped surface autoencoder over 48 photos', async () => {
    const normal = mkdtempSync(join(os.tmpdir(), 'inspector-calib-normal-'));
    const photos = readdirSync(samples).filter((f) => f.endsWith('.jpg'));
    for (let i = 0; i < 48; i++) copyFileSync(join(samples, photos[i % photos.length]!), join(normal, `${String(i).padStart(2, '0')}.jpg`));
    const pack = await createPack({ onnx: model, kind: 'anomaly', out: scratch('calib-large'), inputSize: [160, 400], sigma: 4 });
    const extra = await calibratePack(pack, { normalDir: normal, threshold: 'mean-k-std', k: 3, percentile: 99 });
    const a = extra!.anomaly!;
    expect(a.imageThreshold!.derivation.stats).toMatchObject({ k: 3, n: 48 });
    // 48 maps of 160×400, every 4th pixel kept: 768,000 values went through min/max.
    expect(a.pixelThreshold!.derivation.stats!['n']).toBe(48 * 160 * 100);
    const [lo, hi] = a.normalisation!.maps;
    expect(lo).toBeLessThanOrEqual(a.pixelThreshold!.value);
    expect(hi).toBeGreaterThanOrEqual(a.pixelThreshold!.value);
  });
});
