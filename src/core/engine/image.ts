/**
 * The engine's view of an image: interleaved 8-bit or float pixels. Loading goes through this one
 * adapter so the engine does not care whether sharp or the imaging core (DICOM) decoded the file.
 */
import { extname } from 'node:path';
import sharp from 'sharp';
import { InspectorError } from '../../shared/errors';
import { loadImage as loadWithImagingCore, toGrey8, toRgb8 } from '../imaging';

export interface EngineImage {
  width: number;
  height: number;
  channels: 1 | 3;
  /** Row-major, channels interleaved, values in [0, 1]. */
  data: Float32Array;
  source: string;
}

/**
 * DICOM goes through the imaging core and is fed to the model as displayed with its default window
 * (X-ray/CT models are trained on windowed 8-bit exports); other formats are read by sharp as
 * stored, without any contrast stretch.
 */
async function loadDicom(path: string): Promise<EngineImage> {
  const file = await loadWithImagingCore(path, { frames: [0] });
  const frame = file.frames[0];
  if (!frame) throw new InspectorError('IMAGE_NO_FRAMES', `${path} holds no image frame.`, { path });
  const px = frame.channels === 3 ? toRgb8(frame) : toGrey8(frame);
  const data = new Float32Array(px.length);
  for (let i = 0; i < px.length; i++) data[i] = px[i]! / 255;
  return { width: frame.width, height: frame.height, channels: frame.channels, data, source: path };
}

export async function loadImage(path: string): Promise<EngineImage> {
  const ext = extname(path).toLowerCase();
  if (ext === '.dcm' || ext === '.dicom' || ext === '') return loadDicom(path);
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
