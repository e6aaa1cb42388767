/**
 * File names that say "image": what a folder walk inspects (engine), evaluates (sets) and, when such
 * a file does not decode, keeps as a broken image rather than a stray file (viewer's folder open).
 * DICOM files often carry no extension at all; those are recognised by content instead.
 */
import { extname } from 'node:path';

export const IMAGE_EXT: ReadonlySet<string> = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp', '.dcm', '.dicom']);

export const hasImageName = (path: string): boolean => IMAGE_EXT.has(extname(path).toLowerCase());
