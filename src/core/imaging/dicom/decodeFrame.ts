/**
 * One frame's bytes → stored values in their natural typed array: decompression, byte order,
 * 1-bit unpacking, planar → interleaved, 4:2:2 expansion, Bits Stored masking and sign extension.
 * Colour stays in the file's colour model (YBR stays YBR) unless the codec itself converted it.
 */
import type { PixelArray, PixelDType, Photometric } from '../types';
import { inflateRawSync } from 'node:zlib';
import type { PixelModule } from './pixelModule';
import { nativeFrameBytes } from './frames';
import type { TransferSyntax } from './transferSyntax';
import { decodeRle } from './codecs/rle';
import { decodeWasm, type DecodedCodestream } from './codecs/wasm';
import { decodeJpegNative } from './codecs/turbojpeg';
import { decodeJ2kNative } from './codecs/openjpeg';
import { decodeJpegLossless } from './codecs/jpegLossless';
import { decodeJpeg12 } from './codecs/jpeg12';
import { adobeTransform, withoutColourTransform } from './codecs/jpegColour';
import { peekJ2k, peekJpeg, type CodestreamHeader } from './codecs/peek';
import { ImagingErrorCode, imagingError } from '../errors';

export interface StoredFrame {
  stored: PixelArray;
  dtype: PixelDType;
  channels: 1 | 3;
  photometric: Photometric;
}

export function dtypeFor(bitsAllocated: number, signed: boolean, float: boolean): PixelDType {
  if (float) return bitsAllocated === 64 ? 'float64' : 'float32';
  if (bitsAllocated <= 8) return signed ? 'int8' : 'uint8';
  if (bitsAllocated <= 16) return signed ? 'int16' : 'uint16';
  return signed ? 'int32' : 'uint32';
}

export function allocate(dtype: PixelDType, length: number): PixelArray {
  switch (dtype) {
    case 'uint8': return new Uint8Array(length);
    case 'int8': return new Int8Array(length);
    case 'uint16': return new Uint16Array(length);
    case 'int16': return new Int16Array(length);
    case 'uint32': return new Uint32Array(length);
    case 'int32': return new Int32Array(length);
    case 'float32': return new Float32Array(length);
    case 'float64': return new Float64Array(length);
  }
}

/** Copies little- (or big-) endian bytes into a fresh, aligned array of `dtype`. */
function fromBytes(bytes: Uint8Array, dtype: PixelDType, littleEndian: boolean): PixelArray {
  const size = dtype.endsWith('8') ? 1 : dtype.endsWith('16') ? 2 : dtype.endsWith('64') ? 8 : 4;
  const out = allocate(dtype, Math.floor(bytes.length / size));
  const target = new Uint8Array(out.buffer, 0, out.length * size);
  target.set(bytes.subarray(0, target.length));
  if (!littleEndian && size > 1) {
    // Node's native swaps: the per-byte JS loop made big endian 0.7× pydicom.
    const view = Buffer.from(target.buffer, target.byteOffset, target.byteLength);
    if (size === 2) view.swap16();
    else if (size === 4) view.swap32();
    else view.swap64();
  }
  return out;
}

/** Keeps the Bits Stored bits below High Bit+1 and sign-extends them when Pixel Representation is 1. */
export function maskAndSign(values: PixelArray, bitsStored: number, shift: number, signed: boolean, containerBits: number): void {
  if (values instanceof Float32Array || values instanceof Float64Array) return;
  if (bitsStored >= containerBits && shift === 0) return;
  if (bitsStored >= 32) return;
  const mask = bitsStored >= 32 ? 0xffffffff : (1 << bitsStored) - 1;
  const up = 32 - bitsStored;
  for (let i = 0; i < values.length; i++) {
    const v = (values[i]! >>> shift) & mask;
    values[i] = signed ? (v << up) >> up : v;
  }
}

function unpackBits(bytes: Uint8Array, bitOffset: number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const bit = bitOffset + i;
    out[i] = (bytes[bit >> 3]! >> (bit & 7)) & 1;
  }
  return out;
}

function interleavePlanes(planar: PixelArray, pixels: number): PixelArray {
  const out = planar.slice() as PixelArray;
  for (let p = 0; p < pixels; p++) {
    out[3 * p] = planar[p]!;
    out[3 * p + 1] = planar[pixels + p]!;
    out[3 * p + 2] = planar[2 * pixels + p]!;
  }
  return out;
}

/** YBR_FULL_422 native layout Y0 Y1 Cb Cr → Y Cb Cr per pixel (chroma shared by each pair). */
function expand422(data: PixelArray, pixels: number, columns: number): PixelArray {
  const out = allocate(data instanceof Uint16Array ? 'uint16' : 'uint8', pixels * 3);
  const rows = pixels / columns;
  let i = 0;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x += 2) {
      const y0 = data[i]!, y1 = data[i + 1]!, cb = data[i + 2]!, cr = data[i + 3]!;
      i += 4;
      const o = 3 * (y * columns + x);
      out[o] = y0;
      out[o + 1] = cb;
      out[o + 2] = cr;
      if (x + 1 < columns) {
        out[o + 3] = y1;
        out[o + 4] = cb;
        out[o + 5] = cr;
      }
    }
  }
  return out;
}

function mismatch(what: string, details: Record<string, unknown>): never {
  throw imagingError(ImagingErrorCode.DICOM_DIMENSION_MISMATCH, `The compressed frame disagrees with the data set: ${what}.`, details);
}

function checkHeader(h: CodestreamHeader | undefined, pm: PixelModule): void {
  if (!h) return;
  if ((h.height !== 0 && h.height !== pm.rows) || h.width !== pm.columns) {
    mismatch(`it is ${h.width}×${h.height} but Rows/Columns say ${pm.columns}×${pm.rows}`, { codestream: [h.width, h.height], dataSet: [pm.columns, pm.rows] });
  }
  if (h.components !== pm.samplesPerPixel) {
    mismatch(`it has ${h.components} components but Samples per Pixel is ${pm.samplesPerPixel}`, { components: h.components, samplesPerPixel: pm.samplesPerPixel });
  }
}

function checkDecoded(d: { width: number; height: number; components: number }, pm: PixelModule): void {
  if (d.width !== pm.columns || d.height !== pm.rows || d.components !== pm.samplesPerPixel) {
    mismatch(`it decoded to ${d.width}×${d.height}×${d.components} but the data set says ${pm.columns}×${pm.rows}×${pm.samplesPerPixel}`, {
      decoded: [d.width, d.height, d.components],
      dataSet: [pm.columns, pm.rows, pm.samplesPerPixel],
    });
  }
}

/** Stored photometric after a codec: JPEG/J2K decoders hand back RGB for YBR inputs they convert. */
function codecPhotometric(pm: PixelModule, convertsColour: boolean): Photometric {
  const pi = pm.photometric;
  if (pi === 'MONOCHROME1' || pi === 'MONOCHROME2' || pi === 'PALETTE COLOR' || pi === 'RGB') return pi;
  if (pi === 'YBR_RCT' || pi === 'YBR_ICT') return 'RGB';
  return convertsColour ? 'RGB' : 'YBR_FULL';
}

/**
 * The codec's own output as the frame's array when it already has the container's sample size and
 * an exact buffer of its own: one 512² copy and its garbage less per frame (the JPEG bench spent
 * a tenth of its time in that copy). Reading unsigned samples as signed reinterprets the same bits
 * that the copy would have converted.
 */
function adoptCodecBuffer(source: Uint8Array | Uint16Array, dtype: PixelDType, count: number): PixelArray | undefined {
  if (source.byteOffset !== 0 || source.length !== count || source.buffer.byteLength !== source.byteLength || !(source.buffer instanceof ArrayBuffer)) return undefined;
  switch (dtype) {
    case 'uint8': return source.BYTES_PER_ELEMENT === 1 ? new Uint8Array(source.buffer) : undefined;
    case 'int8': return source.BYTES_PER_ELEMENT === 1 ? new Int8Array(source.buffer) : undefined;
    case 'uint16': return source.BYTES_PER_ELEMENT === 2 ? new Uint16Array(source.buffer) : undefined;
    case 'int16': return source.BYTES_PER_ELEMENT === 2 ? new Int16Array(source.buffer) : undefined;
    default: return undefined;
  }
}

/**
 * `inRange`: the codec says its samples are unsigned and no wider than Bits Stored, so masking
 * would change nothing — skipped (a JS pass of ~10 ms over a 1955×1841 CR).
 */
function fromCodec(d: DecodedCodestream | { data: Uint8Array | Uint16Array; width: number; height: number; components: number }, pm: PixelModule, photometric: Photometric, inRange = false): StoredFrame {
  checkDecoded(d, pm);
  const signed = pm.pixelRepresentation === 1;
  // 1-bit images (segmentations) come out of J2K as 8-bit samples holding 0/1.
  const container = pm.bitsAllocated === 1 ? 8 : pm.bitsAllocated;
  const dtype = dtypeFor(container, signed, false);
  const count = pm.rows * pm.columns * pm.samplesPerPixel;
  let source: Uint8Array | Uint16Array;
  if ('data' in d) source = d.data;
  else source = d.bitsPerSample > 8 ? new Uint16Array(d.bytes.buffer, d.bytes.byteOffset, d.bytes.byteLength >> 1) : d.bytes;
  if (source.length < count) mismatch(`it decoded to ${source.length} samples, ${count} expected`, { decoded: source.length, expected: count });
  if (source.BYTES_PER_ELEMENT * 8 > container) mismatch(`it holds ${source.BYTES_PER_ELEMENT * 8}-bit samples but Bits Allocated is ${pm.bitsAllocated}`, {});
  const out = adoptCodecBuffer(source, dtype, count) ?? allocate(dtype, count);
  // Widening (8-bit codestream in a 16-bit container) and reinterpretation happen in one native
  // copy (TypedArray#set converts like assignment); sign extension from Bits Stored then recovers
  // negative values codecs return as unsigned.
  if (out.buffer !== source.buffer) out.set(source.subarray(0, count));
  if (!inRange || signed) maskAndSign(out, Math.min(pm.bitsStored, source.BYTES_PER_ELEMENT * 8), 0, signed, container);
  return { stored: out, dtype, channels: pm.samplesPerPixel === 3 ? 3 : 1, photometric };
}

export async function decodeFrame(raw: Uint8Array, bitOffset: number, pm: PixelModule, ts: TransferSyntax): Promise<StoredFrame> {
  const pixels = pm.rows * pm.columns;
  const channels: 1 | 3 = pm.samplesPerPixel === 3 ? 3 : 1;
  const signed = pm.pixelRepresentation === 1;
  switch (ts.codec) {
    case 'native': {
      if (pm.bitsAllocated === 1) {
        return { stored: unpackBits(raw, bitOffset, pixels * pm.samplesPerPixel), dtype: 'uint8', channels, photometric: pm.photometric as Photometric };
      }
      const dtype = dtypeFor(pm.bitsAllocated, signed && pm.sampleKind === 'int', pm.sampleKind === 'float');
      let values = fromBytes(raw, dtype, ts.littleEndian);
      let photometric = pm.photometric as Photometric;
      if (pm.photometric === 'YBR_FULL_422') {
        values = expand422(values, pixels, pm.columns);
        photometric = 'YBR_FULL';
      } else if (channels === 3 && pm.planarConfiguration === 1) {
        values = interleavePlanes(values, pixels);
      }
      maskAndSign(values, pm.bitsStored, pm.highBit + 1 - pm.bitsStored, signed, pm.bitsAllocated);
      return { stored: values, dtype, channels, photometric };
    }
    case 'deflate-frame': {
      // Each frame is the native frame's bytes, deflated (RFC 1951); inflate with a hard size cap.
      const expected = nativeFrameBytes(pm);
      let inflated: Uint8Array;
      try {
        // The exact size is known: one output chunk, no concatenation.
        inflated = inflateRawSync(raw, { maxOutputLength: expected + 1, chunkSize: Math.max(64, expected + 1) });
      } catch (e) {
        throw imagingError(ImagingErrorCode.DICOM_DECODE_FAILED, `The deflated frame could not be inflated (${(e as Error).message}).`, { codec: 'deflate' });
      }
      if (inflated.length < expected) {
        throw imagingError(ImagingErrorCode.DICOM_TRUNCATED_PIXEL_DATA, `The deflated frame inflates to ${inflated.length} bytes, ${expected} expected.`, { expected, actual: inflated.length });
      }
      return decodeFrame(inflated, 0, pm, { ...ts, codec: 'native', littleEndian: true });
    }
    case 'rle': {
      if (pm.sampleKind === 'float') mismatch(`RLE with ${pm.bitsAllocated}-bit float samples`, {});
      if (pm.bitsAllocated === 1) {
        // 1-bit frames are RLE-coded as their packed bytes, one segment.
        const packed = decodeRle(raw, Math.ceil((pixels * pm.samplesPerPixel) / 8), 1, 1);
        return { stored: unpackBits(packed, 0, pixels * pm.samplesPerPixel), dtype: 'uint8', channels, photometric: pm.photometric as Photometric };
      }
      const bytes = decodeRle(raw, pixels, pm.samplesPerPixel, pm.bitsAllocated / 8);
      const dtype = dtypeFor(pm.bitsAllocated, signed, false);
      const values = fromBytes(bytes, dtype, true);
      maskAndSign(values, pm.bitsStored, pm.highBit + 1 - pm.bitsStored, signed, pm.bitsAllocated);
      const photometric = pm.photometric === 'YBR_FULL_422' ? 'YBR_FULL' : (pm.photometric as Photometric);
      return { stored: values, dtype, channels, photometric };
    }
    case 'jpeg-baseline':
    case 'jpeg-extended': {
      const h = peekJpeg(raw);
      checkHeader(h, pm);
      if (h && h.precision > 8) {
        const d = decodeJpeg12(raw, pm.photometric);
        return fromCodec(d, pm, codecPhotometric(pm, false));
      }
      const sizeChecked = !!h && h.height === pm.rows && h.width === pm.columns && h.components === pm.samplesPerPixel;
      if (pm.samplesPerPixel === 3 && !(pm.photometric === 'RGB' && adobeTransform(raw) === 1)) {
        // Stored colour samples as the data set names them (YBR stays YBR, PS3.5 §8.2.1): libjpeg is
        // told the stream was not transformed. Native SIMD libjpeg-turbo first, bit-identical to WASM.
        const untransformed = withoutColourTransform(raw);
        const photometric: Photometric = pm.photometric === 'RGB' ? 'RGB' : 'YBR_FULL';
        const native = await decodeJpegNative(untransformed, pm.columns, pm.rows, 3, sizeChecked);
        if (native) return fromCodec({ data: native, width: pm.columns, height: pm.rows, components: 3 }, pm, photometric);
        return fromCodec(await decodeWasm('jpeg', untransformed), pm, photometric);
      }
      if (pm.samplesPerPixel === 1 || pm.samplesPerPixel === 3) {
        // Greyscale, or RGB that the encoder transformed to YCbCr (libjpeg converts it back).
        // Native SIMD libjpeg-turbo, bit-identical to the WASM build; absent or refusing → WASM.
        const native = await decodeJpegNative(raw, pm.columns, pm.rows, channels, sizeChecked);
        if (native) return fromCodec({ data: native, width: pm.columns, height: pm.rows, components: pm.samplesPerPixel }, pm, codecPhotometric(pm, true));
      }
      const d = await decodeWasm('jpeg', raw);
      return fromCodec(d, pm, codecPhotometric(pm, true));
    }
    case 'jpeg-lossless': {
      const h = peekJpeg(raw);
      checkHeader(h, pm);
      const data = decodeJpegLossless(raw, h && h.precision > 8 ? 2 : 1);
      return fromCodec({ data, width: h?.width ?? pm.columns, height: h?.height || pm.rows, components: h?.components ?? pm.samplesPerPixel }, pm, codecPhotometric(pm, false));
    }
    case 'jpeg-ls': {
      checkHeader(peekJpeg(raw), pm);
      const d = await decodeWasm('jpeg-ls', raw);
      return fromCodec(d, pm, codecPhotometric(pm, false));
    }
    case 'j2k':
    case 'htj2k': {
      checkHeader(peekJ2k(raw), pm);
      // Native OpenJPEG (2.5 decodes HTJ2K too) with its threads; absent or refusing → WASM. J2K and
      // HTJ2K lossless: samples equal to the WASM builds. HTJ2K lossy: OpenJPH's 9/7 rounds ±1 on a few
      // samples; OpenJPEG is the reference there (Pillow's and pydicom's decoder, our J2K path).
      const native = decodeJ2kNative(raw);
      if (native) {
        const inRange = !native.signed && native.precision <= pm.bitsStored;
        return fromCodec({ data: native.samples, width: native.width, height: native.height, components: native.components }, pm, codecPhotometric(pm, false), inRange);
      }
      const d = await decodeWasm(ts.codec, raw);
      return fromCodec(d, pm, codecPhotometric(pm, false));
    }
    default:
      throw imagingError(ImagingErrorCode.DICOM_UNSUPPORTED_TRANSFER_SYNTAX, `Transfer syntax ${ts.name} (${ts.uid}) cannot be decoded.`, { uid: ts.uid, name: ts.name });
  }
}
