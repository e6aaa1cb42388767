/**
 * Grounding pre-processing against HF Python: output sizes by transformers' DETR rule (fixed size,
 * or shortest edge capped by longest edge, Python's half-to-even round), and pixel values against
 * PIL's Image.resize(BILINEAR) + rescale + normalise computed in Python (fixtures/pil.json, by
 * training/grounding/fixtures.py) on a real BSData photo.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadImage } from '../../../src/core/engine/image';
import { parsePreprocessor } from '../../../src/core/grounding/folder';
import { outputSize, pixelInput, roundHalfEven } from '../../../src/core/grounding/preprocess';
import { repoRoot } from '../../support/paths';

const DETR = { shortestEdge: 800, longestEdge: 1333 };

describe('output size (transformers get_size_with_aspect_ratio)', () => {
  it('follows the issue\'s examples under shortest 800 / longest 1333', () => {
    expect(outputSize(640, 640, DETR)).toEqual([800, 800]);
    expect(outputSize(480, 640, DETR)).toEqual([800, 1066]); // 640 wide × 480 high
    expect(outputSize(1000, 2000, DETR)).toEqual([666, 1333]); // 2000 × 1000: round(666.5) = 666
  });

  it('handles portrait, already-sized, uncapped and fixed-size rules', () => {
    expect(outputSize(640, 480, DETR)).toEqual([1066, 800]);
    expect(outputSize(2000, 1000, DETR)).toEqual([1333, 666]);
    expect(outputSize(800, 1200, DETR)).toEqual([800, 1200]); // shortest edge already 800, ratio fits
    expect(outputSize(100, 1000, DETR)).toEqual([133, 1333]); // raw 133.3 → 133; width int(133.3*10)
    expect(outputSize(480, 640, { shortestEdge: 800 })).toEqual([800, 1066]);
    expect(outputSize(300, 5000, { shortestEdge: 800 })).toEqual([800, 13333]);
    expect(outputSize(123, 456, { height: 800, width: 800 })).toEqual([800, 800]);
  });

  it('rounds halves to even like Python', () => {
    expect([0.5, 1.5, 2.5, 666.5, 667.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 666, 668, 2, 3]);
  });

  it('reads size rules from preprocessor_config.json forms', () => {
    expect(parsePreprocessor('d', { size: { shortest_edge: 800, longest_edge: 1333 } }).size).toEqual(DETR);
    expect(parsePreprocessor('d', { size: 800, max_size: 1333 }).size).toEqual(DETR);
    expect(parsePreprocessor('d', { size: { height: 800, width: 800 } }).size).toEqual({ height: 800, width: 800 });
    expect(() => parsePreprocessor('d', { size: { longest_edge: 3 } })).toThrow(expect.objectContaining({ code: 'GROUNDING_FILE_INVALID' }));
    expect(() => parsePreprocessor('d', { size: { height: 8, width: 8 }, image_std: [1, 0, 1] })).toThrow(/image_std/);
  });
});

interface PilFixture {
  image: string;
  resized: { height: number; width: number; samples: [number, number, number, number, number][] }[];
}

describe('pixel values (PIL bilinear, rescale, normalise)', () => {
  const fx = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'pil.json'), 'utf8')) as PilFixture;
  const prep = parsePreprocessor('d', { size: { height: 1, width: 1 } });

  it.each(fx.resized.map((r) => [`${r.width}×${r.height}`, r] as const))('matches PIL at %s', async (_name, r) => {
    const img = await loadImage(join(repoRoot, fx.image));
    const px = pixelInput(img, { ...prep, size: { height: r.height, width: r.width } });
    expect([px.height, px.width]).toEqual([r.height, r.width]);
    const plane = r.height * r.width;
    let off = 0;
    let maxLevelDiff = 0;
    for (const [y, x, c, want] of r.samples) {
      const got = px.pixelValues[c * plane + y * r.width + x]!;
      const levels = Math.abs(got - want) * prep.std[c]! * 255;
      maxLevelDiff = Math.max(maxLevelDiff, levels);
      if (levels > 0.51) off++;
    }
    // PIL computes in fixed point; a rare one-level difference is rounding, more would be a wrong filter.
    expect(maxLevelDiff).toBeLessThanOrEqual(1.01);
    expect(off / r.samples.length).toBeLessThan(0.05);
    expect(px.pixelMask.length).toBe(plane);
    expect(px.pixelMask.every((v) => v === 1n)).toBe(true);
  });
});
