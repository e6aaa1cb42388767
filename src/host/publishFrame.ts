/**
 * Frame bytes go to the media store; the renderer gets only their ids (frames stay out of JSON).
 * A large frame also gets a decimated preview of its stored values (core `decimateFrame`), so the
 * viewer's first paint fetches a quarter of the bytes and windows them at full precision.
 */
import { decimateFrame, previewStep } from '../core/imaging/preview';
import type { DisplayFrame } from '../core/imaging/display';
import type { PixelDType } from '../core/imaging/types';
import type { MediaStore } from './media';

export interface PublishedPreview {
  mediaId: string;
  step: number;
  width: number;
  height: number;
}

/** Publishes the preview of a frame's pixels when the frame is large enough to need one. */
export function publishPreview(media: MediaStore, bytes: Uint8Array, dtype: PixelDType, width: number, height: number, channels: number): PublishedPreview | undefined {
  const step = previewStep(width, height);
  if (step < 2) return undefined;
  const p = decimateFrame(bytes, dtype, width, height, channels, step);
  const mediaId = media.publish({ contentType: `application/x-inspector-pixels; dtype=${dtype}; width=${p.width}; height=${p.height}; channels=${channels}; step=${step}`, bytes: p.bytes });
  return { mediaId, step, width: p.width, height: p.height };
}

/**
 * `withPreview`: only the frame a case opens on is painted first, so only it gets a preview (a
 * series of large slices would otherwise double its media entries).
 */
export function publishFrame(media: MediaStore, f: DisplayFrame, withPreview: boolean) {
  const preview = withPreview ? publishPreview(media, f.bytes, f.info.dtype, f.info.width, f.info.height, f.info.channels) : undefined;
  const mediaId = media.publish({ contentType: f.info.contentType, bytes: f.bytes });
  return { ...f.info, mediaId, ...(preview ? { preview } : {}) };
}
