/**
 * SHA-256 of a frame's stored values: the little-endian bytes of its natural typed array, before
 * the modality LUT. The same definition as the shared `expected-pydicom.json`, so a hash printed by
 * `inspector probe` can be compared with pydicom's `pixel_array` byte for byte.
 */
import { createHash } from 'node:crypto';
import { endianness } from 'node:os';
import type { Frame, PixelArray } from './types';

export function storedBytesLE(values: PixelArray): Uint8Array {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (endianness() === 'LE' || values.BYTES_PER_ELEMENT === 1) return bytes;
  const size = values.BYTES_PER_ELEMENT;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size) for (let k = 0; k < size; k++) out[i + k] = bytes[i + size - 1 - k]!;
  return out;
}

export function frameSha256(frame: Pick<Frame, 'stored'>): string {
  return createHash('sha256').update(storedBytesLE(frame.stored)).digest('hex');
}
