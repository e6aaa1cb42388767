/**
 * A report thumbnail: the image as recorded (first frame, its default window), scaled to fit a
 * small box, with the run's regions to outline on it. Read from the source file at export time:
 * the history keeps the image's hash, not its pixels, so a moved or changed file is said so
 * (the hash is compared) instead of showing some other image as evidence.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { loadImageBytes, toGrey8, toRgb8 } from '../imaging/index';
import type { RegionBox } from './rows';

export interface Thumbnail {
  png: Buffer;
  width: number;
  height: number;
  /** Size of the image the regions are in. */
  imageWidth: number;
  imageHeight: number;
  regions: { x: number; y: number; width: number; height: number }[];
}

const BOX = 140;

/** The thumbnail, or why there is none. */
export async function thumbnailOf(path: string, regions: readonly RegionBox[], sha256?: string): Promise<Thumbnail | string> {
  try {
    const bytes = await readFile(path);
    if (sha256 && createHash('sha256').update(bytes).digest('hex') !== sha256) return 'the file has changed since it was inspected (SHA-256 differs)';
    const img = await loadImageBytes(bytes, path);
    const f = img.frames[0];
    if (!f) return 'the file has no frame';
    const k = Math.min(1, BOX / Math.max(f.width, f.height));
    const width = Math.max(1, Math.round(f.width * k));
    const height = Math.max(1, Math.round(f.height * k));
    const pixels = f.channels === 3 ? toRgb8(f) : toGrey8(f);
    const png = await sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), { raw: { width: f.width, height: f.height, channels: f.channels } })
      .resize(width, height, { fit: 'fill' })
      .png()
      .toBuffer();
    return {
      png,
      width,
      height,
      imageWidth: f.width,
      imageHeight: f.height,
      regions: regions.filter((r) => r.box.length === 4).map(({ box: [x, y, w, h] }) => ({ x: x!, y: y!, width: w!, height: h! })),
    };
  } catch (e) {
    const code = e && typeof e === 'object' && 'code' in e ? String((e as { code: unknown }).code) : 'ERROR';
    const message = String((e as Error).message ?? e);
    return (message.startsWith(code) ? message : `${code}: ${message}`).slice(0, 200);
  }
}
