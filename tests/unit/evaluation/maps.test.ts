/**
 * Bringing maps and masks to one grid: bilinear upsampling as OpenCV's INTER_LINEAR (what the
 * builds used for their localisation numbers), polygons filled by pixel centre, mask images
 * area-averaged and thresholded at half.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadMask, mapLocalisation, rasterisePolygons, resizeBilinear } from '../../../src/core/evaluation/maps';

const PY = '/usr/bin/python3';
const hasCv2 = existsSync(PY) && spawnSync(PY, ['-c', 'import cv2, numpy'], { encoding: 'utf8' }).status === 0;
if (!hasCv2) console.warn('SKIP bilinear reference test: /usr/bin/python3 with python3-opencv is absent');

describe('maps onto the evaluation grid', () => {
  it.skipIf(!hasCv2)('bilinear upsampling of a 10 × 10 map to 160 × 120 equals cv2.resize INTER_LINEAR', () => {
    const src = Array.from({ length: 100 }, (_, i) => Math.sin(i * 0.7) * 0.5 + (i % 7) / 10);
    const r = spawnSync(PY, ['-c', 'import sys,json,numpy as np,cv2; a=np.array(json.load(sys.stdin),np.float64).reshape(10,10); print(json.dumps(cv2.resize(a,(160,120),interpolation=cv2.INTER_LINEAR).ravel().tolist()))'], {
      input: JSON.stringify(src),
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const ref = JSON.parse(r.stdout) as number[];
    const ours = resizeBilinear(src, 10, 10, 160, 120);
    let worst = 0;
    ours.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - ref[i]!))));
    // OpenCV keeps its interpolation weights in float32 even for float64 images: ~1e-7 apart.
    expect(worst).toBeLessThan(1e-6);
    expect(ours[0]).toBe(src[0]); // the border replicates, as OpenCV's does
  });

  it('fills polygons by pixel centre and scales them from image to grid pixels', () => {
    // A 40 × 20 px rectangle at (20, 10) in a 200 × 100 image, on a 100 × 50 grid: 20 × 10 cells.
    const m = rasterisePolygons([{ label: 'pit', points: [[20, 10], [60, 10], [60, 30], [20, 30]] }], 200, 100, 100, 50);
    expect(m.reduce((a, b) => a + b, 0)).toBe(200);
    expect(m[5 * 100 + 10]).toBe(1);
    expect(m[4 * 100 + 10]).toBe(0);
    expect(m[5 * 100 + 30]).toBe(0);
  });

  it('reads a mask image at another size and scores the pointing game and energy on it', async () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'inspector-mask-'));
    const W = 64;
    const px = Buffer.alloc(W * W);
    for (let y = 16; y < 32; y++) for (let x = 16; x < 32; x++) px[y * W + x] = 255;
    await sharp(px, { raw: { width: W, height: W, channels: 1 } }).png().toFile(join(dir, 'm.png'));
    const mask = await loadMask(join(dir, 'm.png'), 32, 32);
    expect(mask.reduce((a, b) => a + b, 0)).toBe(64); // 8 × 8 at half size
    const hit = new Float64Array(32 * 32).fill(0.1);
    hit[10 * 32 + 10] = 1;
    const miss = new Float64Array(32 * 32).fill(0.1);
    miss[25 * 32 + 25] = 1;
    const r = mapLocalisation([{ map: hit, mask, width: 32, height: 32 }, { map: miss, mask, width: 32, height: 32 }], 0);
    expect(r.images).toBe(2);
    expect(r.pointingGame).toBe(0.5);
    expect(r.energyInMask).toBeCloseTo(((0.9 + 64 * 0.1) / (1023 * 0.1 + 1) + (64 * 0.1) / (1023 * 0.1 + 1)) / 2, 12);
  });
});
