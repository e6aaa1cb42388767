import { describe, expect, it } from 'vitest';
import { colourAt, colormapTable, COLORMAPS } from '../../../src/renderer/src/viewer/colormaps';
import { contourRaster, inputCoverRect, normalise, recolour } from '../../../src/renderer/src/viewer/heatmap';
import { renderFrame, renderView, type LutCache } from '../../../src/renderer/src/viewer/render';
import type { FrameData, HeatmapData } from '../../../src/renderer/src/viewer/types';
import { fitViewport, toImage, toScreen, zoomAt } from '../../../src/renderer/src/viewer/viewport';
import { buildGreyLut, CT_PRESETS, dragWindow, frameStats, presetWindow, rangeToWindow, voiLinear, windowBounds } from '../../../src/renderer/src/viewer/voi';

const ct = (data: Int16Array, w: number, h: number, extra: Partial<FrameData> = {}): FrameData => ({
  width: w, height: h, channels: 1, dtype: 'int16', data, slope: 1, intercept: -1024, invert: false, windows: [], ...extra,
});

describe('VOI LUT (DICOM LINEAR)', () => {
  it('hits 0 and 255 exactly where PS3.3 C.11.2.1.2.1 says (c=40, w=400)', () => {
    const win = { center: 40, width: 400 };
    expect(windowBounds(win)).toEqual({ lo: -160, hi: 239 });
    expect(voiLinear(-160.5, win)).toBe(0);
    expect(voiLinear(-160, win)).toBe(0);
    expect(voiLinear(239.5, win)).toBe(255);
    expect(voiLinear(240, win)).toBe(255);
    expect(voiLinear(39.5, win)).toBe(128);
  });

  it('folds rescale, window and invert into one table over every 16-bit stored value', () => {
    const f = ct(new Int16Array(1), 1, 1);
    const { lut, offset } = buildGreyLut(f, CT_PRESETS.soft, false)!;
    expect(offset).toBe(-32768);
    const grey = (stored: number) => lut[stored - offset]! & 0xff;
    expect(grey(1024 - 161)).toBe(0); // −161 HU
    expect(grey(1024 + 240)).toBe(255); // 240 HU
    expect(grey(1024 + 40)).toBe(voiLinear(40, CT_PRESETS.soft));
    const inv = buildGreyLut(f, CT_PRESETS.soft, true)!;
    expect(inv.lut[1024 + 240 + 32768]! & 0xff).toBe(0);
    expect(lut[0]! >>> 24).toBe(255);
  });

  it('paints padding black whatever the window and inversion', () => {
    const f = ct(new Int16Array(1), 1, 1, { padding: { from: -2000, to: -2000 } });
    for (const invert of [false, true]) {
      const { lut, offset } = buildGreyLut(f, { center: -3000, width: 10 }, invert)!;
      expect(lut[-2000 - offset]! & 0xffffff).toBe(0);
    }
  });

  it('presets, min–max and auto come from the values, padding excluded', () => {
    const data = new Int16Array(1000);
    for (let i = 0; i < 1000; i++) data[i] = i;
    data[0] = -2000;
    const f = ct(data, 1000, 1, { padding: { from: -2000, to: -2000 } });
    const s = frameStats(f);
    expect(s.min).toBe(1 - 1024);
    expect(s.max).toBe(999 - 1024);
    expect(s.p005).toBeGreaterThan(s.min);
    expect(s.p995).toBeLessThan(s.max);
    expect(presetWindow('lung', f, s)).toEqual({ width: 1500, center: -600 });
    expect(presetWindow('bone', f, s)).toEqual({ width: 2000, center: 300 });
    expect(presetWindow('minmax', f, s)).toEqual(rangeToWindow(s.min, s.max));
    // No window in the file → default is min–max.
    expect(presetWindow('default', f, s)).toEqual(rangeToWindow(s.min, s.max));
    expect(presetWindow('default', { ...f, windows: [{ center: 50, width: 350 }] }, s)).toEqual({ center: 50, width: 350 });
  });

  it('drags like OHIF: right widens, down raises the centre, scaled by dynamic range', () => {
    const stats = { min: -1024, max: 3071, p005: 0, p995: 0 };
    const w = dragWindow({ center: 40, width: 400 }, 10, 5, stats);
    expect(w).toEqual({ center: 40 + 5 * 16, width: 400 + 10 * 16 });
    expect(dragWindow({ center: 0, width: 10 }, -100, 0, stats).width).toBe(1);
  });
});

describe('display-resolution windowing', () => {
  it('samples the nearest full-precision pixel under each screen pixel', () => {
    // 4×2 image with HU −1000, 0, 500, 1000 on each row; shown at scale 2 from (1, 0).
    const hu = [-1000, 0, 500, 1000];
    const data = new Int16Array(8);
    for (let i = 0; i < 8; i++) data[i] = hu[i % 4]! + 1024;
    const f = ct(data, 4, 2);
    const out = new Uint32Array(10 * 4);
    renderFrame(f, { center: 0, width: 2001 }, false, { scale: 2, x: 1, y: 0 }, out, 10, 4);
    const g = (x: number, y: number) => out[y * 10 + x]! & 0xff;
    expect(out[0]).toBe(0); // left of the image: transparent
    expect(g(1, 0)).toBe(voiLinear(-1000, { center: 0, width: 2001 }));
    expect(g(3, 3)).toBe(voiLinear(0, { center: 0, width: 2001 }));
    expect(g(8, 1)).toBe(255);
    expect(out[9]).toBe(0);
  });

  it('windows float frames per pixel and RGB per channel', () => {
    const f: FrameData = { width: 2, height: 1, channels: 1, dtype: 'float32', data: new Float32Array([0.25, 0.75]), slope: 1, intercept: 0, invert: true, windows: [] };
    const out = new Uint32Array(2);
    renderFrame(f, rangeToWindow(0, 1), true, { scale: 1, x: 0, y: 0 }, out, 2, 1);
    expect(out[0]! & 0xff).toBeGreaterThan(out[1]! & 0xff);
    const rgb: FrameData = { width: 1, height: 1, channels: 3, dtype: 'uint8', data: new Uint8Array([255, 128, 0]), slope: 1, intercept: 0, invert: false, windows: [] };
    const o2 = new Uint32Array(1);
    renderFrame(rgb, rangeToWindow(0, 255), false, { scale: 1, x: 0, y: 0 }, o2, 1, 1);
    expect([o2[0]! & 0xff, (o2[0]! >> 8) & 0xff, (o2[0]! >> 16) & 0xff]).toEqual([255, 128, 0]);
  });
});

describe('panning keeps the pixels already windowed', () => {
  // A 16-bit frame with a distinct value per pixel, so any misplaced pixel shows.
  const w = 97;
  const h = 61;
  const data = new Int16Array(w * h);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 4000;
  const f = ct(data, w, h);
  const win = { center: 900, width: 3000 };
  const outW = 80;
  const outH = 50;

  function panAndCompare(start: { scale: number; x: number; y: number }, moves: [number, number][], frame: FrameData = f) {
    const cache: LutCache = {};
    const out = new Uint32Array(outW * outH);
    expect(renderView(frame, win, false, start, out, outW, outH, cache)).toBe(false); // nothing drawn yet: full windowing
    let shortcuts = 0;
    for (const [dx, dy] of moves) {
      // As a pan gesture builds views: start + delta, not previous + delta.
      const vp = { scale: start.scale, x: start.x + dx, y: start.y + dy };
      if (renderView(frame, win, false, vp, out, outW, outH, cache)) shortcuts++;
      const full = new Uint32Array(outW * outH);
      renderFrame(frame, win, false, vp, full, outW, outH);
      expect(out).toEqual(full);
    }
    return shortcuts;
  }

  // Scales and offsets as a fit or a zoom makes them. Round decimals would put screen pixels on
  // exact ties between two image pixels, where full windowing's rounding after a move decides
  // differently from a pure shift (a 1e-15 px difference, not a visible one).
  it('equals a full windowing after every whole-pixel move, zoomed in, out, and partly off screen', () => {
    const moves: [number, number][] = [[3, 3], [1, 6], [-4, 2], [-9, -7], [20, -15], [-30, 25], [0, 4], [5, 0], [79, 0], [0, -49], [-60, -40], [-59, -39], [-60, -40], [-60, -41], [-61, -41]];
    expect(panAndCompare({ scale: 1, x: 0, y: 0 }, moves)).toBe(moves.length);
    expect(panAndCompare({ scale: 2.3719, x: -41.3127, y: -17.8093 }, moves)).toBe(moves.length);
    expect(panAndCompare({ scale: 0.43117, x: 12.6173, y: 9.0519 }, moves)).toBe(moves.length);
    const preview = { ...f, data: data.filter((_, i) => (i % w) % 2 === 0 && Math.floor(i / w) % 2 === 0), step: 2 };
    expect(panAndCompare({ scale: 1.5113, x: -3.2531, y: 4.5147 }, moves, preview)).toBe(moves.length);
  });

  it('windows in full when the view moved by a fraction, zoomed, changed window or frame, or jumped past the view', () => {
    const cache: LutCache = {};
    const out = new Uint32Array(outW * outH);
    const vp = { scale: 1.5, x: 2, y: 3 };
    renderView(f, win, false, vp, out, outW, outH, cache);
    expect(renderView(f, win, false, { ...vp, x: 2.5 }, out, outW, outH, cache)).toBe(false);
    expect(renderView(f, win, false, { ...vp, x: 2.5, scale: 1.6 }, out, outW, outH, cache)).toBe(false);
    expect(renderView(f, { center: 100, width: 400 }, false, { ...vp, x: 2.5, scale: 1.6 }, out, outW, outH, cache)).toBe(false);
    expect(renderView(f, { center: 100, width: 400 }, true, { ...vp, x: 3.5, scale: 1.6 }, out, outW, outH, cache)).toBe(false);
    expect(renderView({ ...f }, { center: 100, width: 400 }, true, { ...vp, x: 4.5, scale: 1.6 }, out, outW, outH, cache)).toBe(false);
    expect(renderView(f, win, false, vp, out, outW, outH, cache)).toBe(false);
    expect(renderView(f, win, false, { ...vp, x: vp.x + outW }, out, outW, outH, cache)).toBe(false);
    const full = new Uint32Array(outW * outH);
    renderFrame(f, win, false, { ...vp, x: vp.x + outW }, full, outW, outH);
    expect(out).toEqual(full);
  });
});

describe('heatmap placement and colour', () => {
  it('undoes stretch, centre-crop and letterbox for an image whose aspect differs from the input', () => {
    expect(inputCoverRect({ kind: 'stretch', inputWidth: 224, inputHeight: 224 }, 300, 200)).toEqual({ x: 0, y: 0, width: 300, height: 200 });
    // Shorter side 200 → 256 (×1.28), centre 224² crop = 175² image pixels centred.
    const crop = inputCoverRect({ kind: 'center-crop', inputWidth: 224, inputHeight: 224, resize: 256 }, 300, 200);
    expect(crop.width).toBeCloseTo(175, 9);
    expect(crop.x).toBeCloseTo(62.5, 9);
    expect(crop.y).toBeCloseTo(12.5, 9);
    // Longer side 300 → 224: input covers 300×300, padding 50 above and below.
    expect(inputCoverRect({ kind: 'letterbox', inputWidth: 224, inputHeight: 224 }, 300, 200)).toEqual({ x: 0, y: -50, width: 300, height: 300 });
  });

  const map = (values: number[], w: number, h: number): HeatmapData => ({
    id: 'm', kind: 'gradcam', method: 'Grad-CAM', source: 'test', width: w, height: h, values: new Float32Array(values),
    covers: { x: 0, y: 0, width: w, height: h }, scale: { min: 0, max: 1, kind: 'calibrated' },
  });

  it('recolours on the map grid and leaves everything below the display threshold transparent', () => {
    const m = map([0, 0.3, 0.6, 1], 4, 1);
    const rgba = recolour(m, 'turbo', 0.5);
    expect([...rgba.slice(0, 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...rgba.slice(8, 11)]).toEqual(colourAt('turbo', 0.6));
    expect(rgba[11]).toBe(255);
    expect([...rgba.slice(12, 15)]).toEqual(colourAt('turbo', 1));
    expect(normalise(5, { min: 0, max: 10, kind: 'per-image' })).toBe(0.5);
  });

  it('colour maps are OpenCV tables in RGB order (jet ends dark red, not dark blue)', () => {
    for (const c of COLORMAPS) expect(colormapTable(c)).toHaveLength(768);
    expect(colourAt('jet', 1)).toEqual([128, 0, 0]);
    expect(colourAt('jet', 0)).toEqual([0, 0, 128]);
    expect(colourAt('cividis', 0)).toEqual([0, 34, 78]);
  });

  it('contour mode draws only the outline of the above-threshold region', () => {
    const v = new Array(100).fill(0);
    for (let y = 3; y < 7; y++) for (let x = 3; x < 7; x++) v[y * 10 + x] = 1;
    const out = contourRaster(map(v, 10, 10), 'inferno', 0.5, 40, 40, 2);
    const a = (x: number, y: number) => out[(y * 40 + x) * 4 + 3];
    expect(a(20, 20)).toBe(0); // inside stays clear
    expect(a(2, 2)).toBe(0); // far outside clear
    let edge = 0;
    for (let x = 0; x < 40; x++) if (a(x, 20) === 255) edge++;
    expect(edge).toBeGreaterThanOrEqual(2);
    expect(edge).toBeLessThanOrEqual(6);
  });
});

describe('viewport', () => {
  it('fits, zooms about the cursor and converts both ways', () => {
    const v = fitViewport(2048, 1024, 1000, 600, 0);
    expect(v.scale).toBeCloseTo(1000 / 2048, 9);
    expect(v.y).toBeCloseTo((600 - 500) / 2, 9);
    const z = zoomAt(v, 2, 300, 200);
    const before = toImage(v, 300, 200);
    const after = toImage(z, 300, 200);
    expect(after.x).toBeCloseTo(before.x, 9);
    expect(after.y).toBeCloseTo(before.y, 9);
    const s = toScreen(z, after.x, after.y);
    expect(s.x).toBeCloseTo(300, 9);
  });
});
