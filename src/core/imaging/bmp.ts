/**
 * Windows BMP, which this sharp build cannot read (its libvips has no ImageMagick loader):
 * uncompressed 1/4/8-bit palette, 24-bit BGR and 32-bit BGRX/bitfields, bottom-up or top-down.
 */
import { ImagingErrorCode, imagingError, MAX_PIXELS_PER_IMAGE } from './errors';

export interface BmpImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

function fail(why: string): never {
  throw imagingError(ImagingErrorCode.DECODE_FAILED, `The BMP image could not be decoded: ${why}.`, { format: 'bmp' });
}

export function decodeBmp(b: Uint8Array): BmpImage {
  if (b.length < 54 || b[0] !== 0x42 || b[1] !== 0x4d) fail('no BMP header');
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dataOffset = v.getUint32(10, true);
  const headerSize = v.getUint32(14, true);
  const width = v.getInt32(18, true);
  const rawHeight = v.getInt32(22, true);
  const bpp = v.getUint16(28, true);
  const compression = v.getUint32(30, true);
  const height = Math.abs(rawHeight);
  const topDown = rawHeight < 0;
  if (width <= 0 || height === 0) fail(`dimensions ${width}×${rawHeight}`);
  if (width * height > MAX_PIXELS_PER_IMAGE) {
    throw imagingError(ImagingErrorCode.TOO_LARGE, `The image has ${width}×${height} pixels, more than the limit of ${MAX_PIXELS_PER_IMAGE}.`, { width, height });
  }
  if (!(compression === 0 || (compression === 3 && bpp === 32))) fail(`compression ${compression} is not supported`);
  if (![1, 4, 8, 24, 32].includes(bpp)) fail(`${bpp} bits per pixel is not supported`);
  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (dataOffset + stride * height > b.length) {
    throw imagingError(ImagingErrorCode.DECODE_FAILED, `The BMP image is truncated: ${b.length - dataOffset} of ${stride * height} pixel bytes.`, { format: 'bmp' });
  }
  const paletteStart = 14 + headerSize;
  const colours = bpp <= 8 ? v.getUint32(46, true) || 1 << bpp : 0;
  const palette: number[][] = [];
  for (let i = 0; i < colours; i++) {
    const p = paletteStart + 4 * i;
    if (p + 3 > b.length) break;
    palette.push([b[p + 2]!, b[p + 1]!, b[p]!]);
  }
  const grey = bpp <= 8 && palette.every(([r, g, bl]) => r === g && g === bl);
  const channels: 1 | 3 = grey ? 1 : 3;
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      let rgb: number[];
      if (bpp === 24 || bpp === 32) {
        const p = row + x * (bpp / 8);
        rgb = [b[p + 2]!, b[p + 1]!, b[p]!];
      } else {
        const bit = x * bpp;
        const byte = b[row + (bit >> 3)]!;
        const index = (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        rgb = palette[index] ?? [0, 0, 0];
      }
      const o = (y * width + x) * channels;
      if (channels === 1) out[o] = rgb[0]!;
      else {
        out[o] = rgb[0]!;
        out[o + 1] = rgb[1]!;
        out[o + 2] = rgb[2]!;
      }
    }
  }
  return { width, height, channels, data: out };
}
