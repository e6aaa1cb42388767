/** The mask layer's painting: nearest cell per paint pixel, hidden classes, outline = boundary only. */
import { describe, expect, it } from 'vitest';
import { cellsOf, hexRgb, maskPaintSize, paintMask } from '../../../src/renderer/src/mask/paint';
import type { MaskData } from '../../../src/renderer/src/mask/types';

// 4×3 mask: class 0 in a 2×2 block at (1,0)–(2,1), class 1 at (0,2), background class 2 at (3,2).
const N = 255;
const mask: MaskData = {
  id: 'm',
  source: 'p@1',
  width: 4,
  height: 3,
  values: Uint8Array.from([N, 0, 0, N, N, 0, 0, N, 1, N, N, 2]),
  classes: [
    { label: 'pit', colour: '#ff3b30', background: false },
    { label: 'scratch', colour: '#00ff00', background: false },
    { label: 'bg', colour: '#0000ff', background: true },
  ],
  covers: { x: 0, y: 0, width: 40, height: 30 },
};

const alphaAt = (px: Uint8ClampedArray, w: number, x: number, y: number) => px[(y * w + x) * 4 + 3];

describe('mask painting', () => {
  it('paints one pixel per covered image pixel, capped on the long side', () => {
    expect(maskPaintSize(mask)).toEqual({ w: 40, h: 30 });
    expect(maskPaintSize({ ...mask, covers: { x: 0, y: 0, width: 8000, height: 2000 } }, 2048)).toEqual({ w: 2048, h: 512 });
    expect(hexRgb('#FF3B30')).toEqual([255, 59, 48]);
  });

  it('each paint pixel takes the cell its centre falls in; background and hidden classes are not painted', () => {
    const cells = cellsOf(mask, 40, 30, new Set());
    expect(cells[0 * 40 + 9]).toBe(N); // x 9 → cell 0
    expect(cells[0 * 40 + 10]).toBe(0); // x 10 → cell 1
    expect(cells[19 * 40 + 29]).toBe(0);
    expect(cells[20 * 40 + 5]).toBe(1);
    expect(cells[25 * 40 + 35]).toBe(N); // background class
    expect(cellsOf(mask, 40, 30, new Set([1]))[20 * 40 + 5]).toBe(N);
  });

  it('fills with the class colour at full alpha; hidden labels drop out', () => {
    const px = paintMask(mask, 40, 30, { hidden: [], outline: false, lineWidth: 1 });
    expect([...px.slice((5 * 40 + 15) * 4, (5 * 40 + 15) * 4 + 4)]).toEqual([255, 59, 48, 255]);
    expect(alphaAt(px, 40, 5, 5)).toBe(0);
    expect([...px.slice((25 * 40 + 5) * 4, (25 * 40 + 5) * 4 + 4)]).toEqual([0, 255, 0, 255]);
    const hidden = paintMask(mask, 40, 30, { hidden: ['pit'], outline: false, lineWidth: 1 });
    expect(alphaAt(hidden, 40, 15, 5)).toBe(0);
    expect(alphaAt(hidden, 40, 5, 25)).toBe(255);
  });

  it('outline paints only the pixels within lineWidth of the class boundary, inside the class', () => {
    const px = paintMask(mask, 40, 30, { hidden: [], outline: true, lineWidth: 2 });
    // Block spans x 10..29, y 0..19: its edge rows/columns are painted, its centre is not.
    expect(alphaAt(px, 40, 10, 10)).toBe(255);
    expect(alphaAt(px, 40, 11, 10)).toBe(255);
    expect(alphaAt(px, 40, 12, 10)).toBe(0);
    expect(alphaAt(px, 40, 20, 10)).toBe(0);
    expect(alphaAt(px, 40, 29, 10)).toBe(255);
    expect(alphaAt(px, 40, 20, 0)).toBe(255); // the image edge closes a region
    expect(alphaAt(px, 40, 20, 19)).toBe(255);
    expect(alphaAt(px, 40, 9, 10)).toBe(0); // outside stays clear
    let painted = 0;
    for (let i = 3; i < px.length; i += 4) if (px[i]) painted++;
    const fill = paintMask(mask, 40, 30, { hidden: [], outline: false, lineWidth: 2 });
    let filled = 0;
    for (let i = 3; i < fill.length; i += 4) if (fill[i]) filled++;
    expect(painted).toBeLessThan(filled);
  });
});
