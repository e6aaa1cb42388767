/**
 * Progressive display (as Cornerstone does): besides a large frame, the host publishes a decimated
 * copy of its STORED values — every k-th pixel of every k-th row, same dtype, same values — so the
 * viewer can window the first paint at full precision from a quarter of the bytes and swap in the
 * full frame when it arrives. Never an 8-bit rendition: W/L of preview and frame are identical.
 */
import type { PixelDType } from './types';

/** The preview's long side is at least this: a fitted ~1000 px pane shows no more pixels than it has. */
export const PREVIEW_MIN_SIDE = 1024;

const BYTES: Record<PixelDType, number> = { uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, float64: 8 };

/** Decimation step for a frame, or 1 when a preview would not save enough to be worth a second fetch. */
export function previewStep(width: number, height: number, minSide = PREVIEW_MIN_SIDE): number {
  return Math.max(1, Math.floor(Math.max(width, height) / minSide));
}

export interface FramePreview {
  step: number;
  width: number;
  height: number;
  bytes: Uint8Array;
}

/**
 * Pixel (x, y) of the preview is pixel (x·step, y·step) of the frame, all channels, bytes copied
 * as they are (little-endian in, little-endian out). Its size is ⌈width/step⌉ × ⌈height/step⌉.
 */
export function decimateFrame(bytes: Uint8Array, dtype: PixelDType, width: number, height: number, channels: number, step: number): FramePreview {
  const pw = Math.ceil(width / step);
  const ph = Math.ceil(height / step);
  const px = BYTES[dtype] * channels;
  const out = new Uint8Array(pw * ph * px);
  // Whole pixels move as 32- or 16-bit words where size and alignment allow (integer views: no
  // float canonicalisation can touch the bytes).
  const word = px % 4 === 0 && bytes.byteOffset % 4 === 0 ? 4 : px % 2 === 0 && bytes.byteOffset % 2 === 0 ? 2 : 1;
  const as = (b: Uint8Array) => (word === 4 ? new Uint32Array(b.buffer, b.byteOffset, b.byteLength / 4) : word === 2 ? new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2) : b);
  copyRows(as(bytes), as(out), width, pw, ph, step, px / word);
  return { step, width: pw, height: ph, bytes: out };
}

function copyRows(src: ArrayLike<number>, dst: { [i: number]: number }, width: number, pw: number, ph: number, step: number, per: number): void {
  let o = 0;
  for (let y = 0; y < ph; y++) {
    const row = y * step * width;
    for (let x = 0; x < pw; x++) {
      const i = (row + x * step) * per;
      for (let c = 0; c < per; c++) dst[o++] = src[i + c]!;
    }
  }
}
