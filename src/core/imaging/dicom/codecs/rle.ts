/**
 * DICOM RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets, one PackBits segment
 * per byte plane, most significant byte first, samples as separate planes whatever Planar
 * Configuration says. Output: interleaved samples as little-endian bytes of the natural array.
 */
import { ImagingErrorCode, imagingError } from '../../errors';

export function decodeRle(frame: Uint8Array, pixels: number, samples: number, bytesPerSample: number): Uint8Array {
  if (frame.length < 64) throw fail(`the frame is ${frame.length} bytes, shorter than the 64-byte RLE header`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  const expected = samples * bytesPerSample;
  if (segments !== expected) throw fail(`the header lists ${segments} segments where ${expected} are expected`);
  const out = new Uint8Array(pixels * expected);
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : frame.length;
    if (start < 64 || start > frame.length || end < start || end > frame.length) throw fail(`segment ${s + 1} has offset ${start} outside the frame`);
    const sample = Math.floor(s / bytesPerSample);
    const lePos = bytesPerSample - 1 - (s % bytesPerSample);
    const stride = expected;
    let o = sample * bytesPerSample + lePos;
    const oEnd = o + pixels * stride;
    let i = start;
    while (o < oEnd && i < end) {
      const n = frame[i++]!;
      if (n < 128) {
        // literal run of n+1 bytes
        const count = Math.min(n + 1, end - i);
        for (let k = 0; k < count && o < oEnd; k++, o += stride) out[o] = frame[i + k]!;
        i += n + 1;
      } else if (n > 128) {
        const value = frame[i++]!;
        for (let k = 0; k < 257 - n && o < oEnd; k++, o += stride) out[o] = value;
      }
    }
    if (o < oEnd) throw fail(`segment ${s + 1} ends after ${(o - (sample * bytesPerSample + lePos)) / stride} of ${pixels} pixels`);
  }
  return out;
}

function fail(why: string) {
  return imagingError(ImagingErrorCode.DICOM_DECODE_FAILED, `The RLE frame could not be decoded: ${why}.`, { codec: 'rle' });
}
