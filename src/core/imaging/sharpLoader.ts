/**
 * Ordinary images through sharp/libvips: PNG, JPEG, TIFF (every page a frame), WebP, GIF; BMP via
 * ./bmp. 16-bit data stays 16-bit (sharp would otherwise convert to 8-bit sRGB), EXIF orientation is
 * applied, alpha is dropped, and `limitInputPixels` refuses decompression bombs before decoding.
 */
import sharp, { type Metadata } from 'sharp';
import type { Frame, ImageFile, ImageFormat, PixelArray, PixelDType } from './types';
import { decodeBmp } from './bmp';
import { ImagingErrorCode, imagingError, MAX_PIXELS_PER_FILE, MAX_PIXELS_PER_IMAGE } from './errors';

export function sniffFormat(b: Uint8Array): ImageFormat | undefined {
  const s = (o: number, n: number) => String.fromCharCode(...b.subarray(o, o + n));
  if (b.length >= 8 && b[0] === 0x89 && s(1, 3) === 'PNG') return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 4 && ((s(0, 2) === 'II' && (b[2] === 42 || b[2] === 43)) || (s(0, 2) === 'MM' && (b[3] === 42 || b[3] === 43)))) return 'tiff';
  if (b.length >= 12 && s(0, 4) === 'RIFF' && s(8, 4) === 'WEBP') return 'webp';
  if (b.length >= 6 && s(0, 4) === 'GIF8') return 'gif';
  if (b.length >= 26 && s(0, 2) === 'BM') return 'bmp';
  return undefined;
}

function sharpError(e: unknown, format: ImageFormat): never {
  const message = e instanceof Error ? e.message : String(e);
  if (/pixel limit/i.test(message)) {
    throw imagingError(ImagingErrorCode.TOO_LARGE, `The ${format.toUpperCase()} image has more pixels than the limit of ${MAX_PIXELS_PER_IMAGE}.`, { format, limit: MAX_PIXELS_PER_IMAGE });
  }
  if (/unsupported image format/i.test(message)) throw imagingError(ImagingErrorCode.NOT_AN_IMAGE, 'The file is neither DICOM nor an image format Inspector reads.');
  throw imagingError(ImagingErrorCode.DECODE_FAILED, `The ${format.toUpperCase()} image could not be decoded (${message.split('\n')[0]}).`, { format });
}

const DEPTHS: Record<string, { dtype: PixelDType; bits: number; raw: 'uchar' | 'ushort' | 'float' | 'char' | 'short' | 'uint' | 'int' }> = {
  uchar: { dtype: 'uint8', bits: 8, raw: 'uchar' },
  char: { dtype: 'int8', bits: 8, raw: 'char' },
  ushort: { dtype: 'uint16', bits: 16, raw: 'ushort' },
  short: { dtype: 'int16', bits: 16, raw: 'short' },
  uint: { dtype: 'uint32', bits: 32, raw: 'uint' },
  int: { dtype: 'int32', bits: 32, raw: 'int' },
  float: { dtype: 'float32', bits: 32, raw: 'float' },
};

function typed(buf: Buffer, dtype: PixelDType): PixelArray {
  const copy = new Uint8Array(buf.length);
  copy.set(buf);
  switch (dtype) {
    case 'uint16': return new Uint16Array(copy.buffer);
    case 'int16': return new Int16Array(copy.buffer);
    case 'uint32': return new Uint32Array(copy.buffer);
    case 'int32': return new Int32Array(copy.buffer);
    case 'float32': return new Float32Array(copy.buffer);
    case 'int8': return new Int8Array(copy.buffer);
    default: return copy;
  }
}

function frameOf(index: number, width: number, height: number, channels: 1 | 3, dtype: PixelDType, bits: number, stored: PixelArray): Frame {
  return {
    index,
    width,
    height,
    channels,
    dtype,
    stored,
    bitsStored: bits,
    photometric: channels === 1 ? 'MONOCHROME2' : 'RGB',
    modality: { kind: 'rescale', slope: 1, intercept: 0 },
    windows: [],
    invert: false,
  };
}

/**
 * Page limit for a multi-page TIFF in the viewer: each page is a seek from the file's start in
 * libtiff, so decoding every page of a 1,000-page file is quadratic. Pages past the limit are not
 * decoded (the file's `pages` and `pagesShown` attributes say so). INSPECTOR_TIFF_PAGE_LIMIT sets it.
 */
export const TIFF_PAGE_LIMIT = (() => {
  const v = Number(process.env['INSPECTOR_TIFF_PAGE_LIMIT']);
  return Number.isInteger(v) && v > 0 ? v : 256;
})();

export interface SharpLoadOptions {
  /** Decode only these pages (the engine asks for `[0]`: one frame, in constant time). */
  frames?: number[];
  /** At most this many pages (default TIFF_PAGE_LIMIT). */
  maxPages?: number;
}

export async function loadWithSharp(bytes: Uint8Array, format: ImageFormat, path?: string, opts: SharpLoadOptions = {}): Promise<ImageFile> {
  const source = { ...(path ? { path } : {}), format, bytes: bytes.length, attributes: {} as Record<string, string | number | undefined> };
  if (format === 'bmp') {
    const bmp = decodeBmp(bytes);
    return { source, frames: [frameOf(0, bmp.width, bmp.height, bmp.channels, 'uint8', 8, bmp.data)] };
  }
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const options = { limitInputPixels: MAX_PIXELS_PER_IMAGE, failOn: 'truncated' as const };
  let meta: Metadata;
  const firstOnly = opts.frames?.length === 1 && opts.frames[0] === 0;
  try {
    // `pages: 1, page: 0`: libvips reads only the first directory, whatever the page count.
    meta = await sharp(input, firstOnly ? { ...options, page: 0, pages: 1 } : options).metadata();
  } catch (e) {
    sharpError(e, format);
  }
  // GIF/WebP animations are one picture for inspection purposes; TIFF pages are frames (slices).
  const filePages = format === 'tiff' ? (meta.pages ?? 1) : 1;
  const wanted = firstOnly
    ? [0]
    : (opts.frames ?? Array.from({ length: Math.min(filePages, opts.maxPages ?? TIFF_PAGE_LIMIT) }, (_, i) => i)).filter((p) => p >= 0 && p < filePages);
  const pages = wanted.length;
  if ((meta.width ?? 0) * (meta.height ?? 0) * pages > MAX_PIXELS_PER_FILE) {
    throw imagingError(ImagingErrorCode.TOO_LARGE, `The image has ${pages} pages of ${meta.width}×${meta.height} pixels, more than the limit.`, { format });
  }
  const frames: Frame[] = [];
  for (const page of wanted) {
    try {
      let pipeline = sharp(input, { ...options, page, pages: 1 }).rotate();
      const pageMeta = page === 0 ? meta : await sharp(input, { ...options, page, pages: 1 }).metadata();
      const depth = DEPTHS[pageMeta.depth ?? 'uchar'] ?? DEPTHS.uchar!;
      const colourIn = (pageMeta.channels ?? 3) - (pageMeta.hasAlpha ? 1 : 0);
      const grey = colourIn === 1;
      if (pageMeta.hasAlpha) pipeline = pipeline.removeAlpha();
      // Without an explicit colourspace sharp converts to 8-bit sRGB: keep grey grey and 16-bit 16-bit.
      if (grey) pipeline = pipeline.toColourspace(depth.bits === 16 ? 'grey16' : 'b-w');
      else if (depth.bits === 16) pipeline = pipeline.toColourspace('rgb16');
      const { data, info } = await pipeline.raw({ depth: depth.raw }).toBuffer({ resolveWithObject: true });
      const channels: 1 | 3 = info.channels === 1 ? 1 : 3;
      if (info.channels !== channels) throw new Error(`unexpected ${info.channels} channels`);
      frames.push(frameOf(page, info.width, info.height, channels, depth.dtype, depth.bits, typed(data, depth.dtype)));
    } catch (e) {
      if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string' && (e as { code: string }).code.startsWith('IMAGE_')) throw e;
      sharpError(e, format);
    }
  }
  if (filePages > 1) {
    source.attributes.pages = filePages;
    source.attributes.pagesShown = pages;
  }
  if (meta.density) source.attributes.dpi = meta.density;
  if (meta.orientation) source.attributes.exifOrientation = meta.orientation;
  return { source, frames };
}
