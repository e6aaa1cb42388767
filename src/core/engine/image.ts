/**
 * The engine's view of an image: interleaved pixels in [0, 1]. Every format enters through the
 * imaging core — the same decoder the viewer shows — so EXIF orientation, 16-bit depth, TIFF pages
 * and the decompression-bomb limits are identical for what the model sees and what the reviewer
 * sees, and heatmaps land on the same pixels.
 */
import { createHash } from 'node:crypto';
import { InspectorError } from '../../shared/errors';
import { readRegularFile } from '../files/read';
import { loadImageBytes, toGrey8, toRgb8, type Frame, type ImageFormat } from '../imaging';

export type ImageModality = 'ct' | 'xray' | 'rgb' | 'other';

export interface EngineImage {
  width: number;
  height: number;
  channels: 1 | 3;
  /** Row-major, channels interleaved, values in [0, 1]. */
  data: Float32Array;
  source: string;
  /** SHA-256 of the file's bytes: what the history records and the audit trail names. */
  sha256?: string;
  format?: ImageFormat;
  modality?: ImageModality;
  bytes?: number;
}

/** What a result says about its input image (file facts only when it came from a file). */
export function imageInfo(img: EngineImage): { width: number; height: number; sha256?: string; format?: string; modality?: ImageModality; bytes?: number } {
  return {
    width: img.width,
    height: img.height,
    ...(img.sha256 ? { sha256: img.sha256 } : {}),
    ...(img.format ? { format: img.format } : {}),
    ...(img.modality ? { modality: img.modality } : {}),
    ...(img.bytes !== undefined ? { bytes: img.bytes } : {}),
  };
}

const XRAY_MODALITIES = new Set(['CR', 'DX', 'XA', 'RF', 'MG', 'IO', 'PX', 'DR']);

function modalityOf(format: ImageFormat, dicomModality: unknown, channels: number): ImageModality {
  if (format === 'dicom') {
    if (dicomModality === 'CT') return 'ct';
    if (typeof dicomModality === 'string' && XRAY_MODALITIES.has(dicomModality)) return 'xray';
    return 'other';
  }
  return channels === 3 ? 'rgb' : 'other';
}

const MAX_STORED: Partial<Record<Frame['dtype'], number>> = { uint8: 255, uint16: 65535, int16: 32767 };

/**
 * DICOM is fed as displayed with its default window (X-ray/CT models are trained on windowed 8-bit
 * exports); other formats as stored, divided by the full range of their bit depth, without any
 * contrast stretch.
 */
function toUnit(frame: Frame, format: ImageFormat): Float32Array {
  const n = frame.width * frame.height * frame.channels;
  const out = new Float32Array(n);
  if (format === 'dicom') {
    const px = frame.channels === 3 ? toRgb8(frame) : toGrey8(frame);
    for (let i = 0; i < n; i++) out[i] = px[i]! / 255;
    return out;
  }
  const max = MAX_STORED[frame.dtype];
  if (max === undefined) {
    const px = frame.channels === 3 ? toRgb8(frame) : toGrey8(frame);
    for (let i = 0; i < n; i++) out[i] = px[i]! / 255;
    return out;
  }
  const src = frame.stored;
  for (let i = 0; i < n; i++) out[i] = Math.max(0, src[i]!) / max;
  return out;
}

/** `roots`: the grants the file must still be inside when it is read (see core/files/read.ts). */
export async function loadImage(path: string, roots?: readonly string[]): Promise<EngineImage> {
  let bytes: Buffer;
  try {
    // Never block on what is not a regular file (a FIFO named *.png), and re-check the grant on what is opened.
    bytes = await readRegularFile(path, roots);
  } catch (err) {
    if (err instanceof InspectorError && err.code === 'WALK_OUTSIDE_ROOT') throw err;
    if (err instanceof InspectorError) throw new InspectorError('IMAGE_UNREADABLE', err.message, { path, cause: err.code });
    throw new InspectorError('IMAGE_UNREADABLE', `Could not read the image ${path}: ${(err as Error).message}`, { path });
  }
  const file = await loadImageBytes(bytes, path, { frames: [0] });
  const frame = file.frames[0];
  if (!frame) throw new InspectorError('IMAGE_NO_FRAMES', `${path} holds no image frame.`, { path });
  return {
    width: frame.width,
    height: frame.height,
    channels: frame.channels,
    data: toUnit(frame, file.source.format),
    source: path,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    format: file.source.format,
    modality: modalityOf(file.source.format, file.source.attributes['modality'], frame.channels),
    bytes: bytes.length,
  };
}
