/**
 * The engine's view of an image: interleaved 8-bit or float pixels. Loading goes through this one
 * adapter so the engine does not care whether sharp or the imaging core (DICOM) decoded the file.
 */
import sharp from 'sharp';
import { InspectorError } from '../../shared/errors';

export interface EngineImage {
  width: number;
  height: number;
  channels: 1 | 3;
  /** Row-major, channels interleaved, values in [0, 1]. */
  data: Float32Array;
  source: string;
}

export async function loadImage(path: string): Promise<EngineImage> {
  try {
    const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const channels = info.channels === 1 || info.channels === 2 ? 1 : 3;
    const out = new Float32Array(info.width * info.height * channels);
    const scale = data.length === info.width * info.height * info.channels ? 255 : 65535;
    const src = scale === 255 ? data : new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
    for (let i = 0, o = 0; i < info.width * info.height; i++) {
      for (let c = 0; c < channels; c++) out[o++] = src[i * info.channels + c]! / scale;
    }
    return { width: info.width, height: info.height, channels, data: out, source: path };
  } catch (err) {
    throw new InspectorError('IMAGE_UNREADABLE', `Could not read the image ${path}: ${(err as Error).message}`, { path });
  }
}
