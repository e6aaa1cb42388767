/** Any supported file → `ImageFile`: sniff the format from the bytes (never the extension), dispatch. */
import { stat } from 'node:fs/promises';
import { InspectorError } from '../../shared/errors';
import { readRegularFile } from '../files/read';
import type { ImageFile } from './types';
import { hasPart10Prefix, sniffHeaderless } from './dicom/parse';
import { loadDicom, type DicomLoadOptions } from './dicom/load';
import { loadWithSharp, sniffFormat } from './sharpLoader';
import { ImagingErrorCode, imagingError } from './errors';

/** Files larger than this are refused before reading (4 GiB would not fit a Buffer anyway). */
const MAX_FILE_BYTES = 2 ** 31 - 1;

/** `frames` applies to DICOM frames and TIFF pages alike; `maxPages` is the viewer's TIFF page limit. */
export type LoadOptions = DicomLoadOptions & { maxPages?: number };

export async function loadImageBytes(bytes: Uint8Array, path?: string, options: LoadOptions = {}): Promise<ImageFile> {
  if (bytes.length === 0) throw imagingError(ImagingErrorCode.EMPTY_FILE, 'The file is empty.');
  if (hasPart10Prefix(bytes)) return loadDicom(bytes, path, options);
  const format = sniffFormat(bytes);
  if (format) return loadWithSharp(bytes, format, path, options);
  if (sniffHeaderless(bytes)) return loadDicom(bytes, path, options);
  throw imagingError(ImagingErrorCode.NOT_AN_IMAGE, 'The file is neither DICOM nor an image format Inspector reads.');
}

/** `roots`: the grants the file must still be inside when it is read (core/files/read.ts). */
export async function loadImageFile(path: string, options: LoadOptions = {}, roots?: readonly string[]): Promise<ImageFile> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw imagingError(ImagingErrorCode.UNREADABLE, `${path} is not a file.`, { path });
    size = s.size;
  } catch (e) {
    if (e && typeof e === 'object' && 'code' in e && String((e as { code: unknown }).code).startsWith('IMAGE_')) throw e;
    throw imagingError(ImagingErrorCode.UNREADABLE, `The file cannot be read: ${(e as Error).message}.`, { path });
  }
  if (size > MAX_FILE_BYTES) throw imagingError(ImagingErrorCode.TOO_LARGE, `The file is ${size} bytes, more than Inspector reads at once.`, { path, size });
  let bytes: Buffer;
  try {
    // Re-checked on the opened descriptor: regular file, and still inside the grant (a swap after the walk).
    bytes = await readRegularFile(path, roots);
  } catch (e) {
    if (e instanceof InspectorError && e.code === 'WALK_OUTSIDE_ROOT') throw e;
    throw imagingError(ImagingErrorCode.UNREADABLE, `The file cannot be read: ${(e as Error).message}`, { path });
  }
  return loadImageBytes(bytes, path, options);
}
