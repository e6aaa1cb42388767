/** Fetches published media (raw little-endian typed arrays) from the host's media store. */
import type { PixelArray, PixelDType } from './types';

const ctors: Record<PixelDType, new (b: ArrayBuffer) => PixelArray> = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
};

/** A zero-length array of a dtype: a frame record's type before its pixels arrive. */
export const emptyOf = (dtype: PixelDType): PixelArray => new ctors[dtype](new ArrayBuffer(0));

export async function fetchMedia(mediaBase: string, id: string): Promise<ArrayBuffer> {
  const res = await fetch(`${mediaBase}/${encodeURIComponent(id)}`);
  if (!res.ok) throw new Error(`media ${id}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

export async function fetchTyped(mediaBase: string, id: string, dtype: PixelDType): Promise<PixelArray> {
  return new ctors[dtype](await fetchMedia(mediaBase, id));
}
