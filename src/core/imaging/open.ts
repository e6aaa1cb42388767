/** The worker's view of opening images for the viewer: metadata + per-frame pixel bytes. */
import type { ImageFile, ImageSeries, ModalityTransform, SeriesGrouping } from './types';
import { loadImageFile } from './load';
import { loadFolder } from './series';
import { displayFrame, type DisplayFrame } from './display';
import type { ErrorInfo } from '../../shared/errors';

export interface OpenedImage {
  path: string;
  format: string;
  transferSyntax?: { uid: string; name: string };
  attributes: Record<string, string | number | undefined>;
  frames: DisplayFrame[];
}

export interface OpenedSeries {
  id: string;
  grouping: SeriesGrouping;
  description: string;
  modality?: string;
  sliceSpacing?: number;
  files: string[];
  frames: DisplayFrame[];
}

/**
 * The unit of a frame's real values: the file's Rescale/LUT Type when it names one (`US` is
 * "unspecified"), HU for CT rescaled without a type (PS3.3 C.8.2.1: CT values are HU), and none
 * otherwise — a radiograph or a photo shows raw stored values, never "HU".
 */
function unitOf(modality: unknown, t: ModalityTransform): string | undefined {
  const type = t.type?.trim();
  if (type && type !== 'US') return type;
  return modality === 'CT' && t.kind === 'rescale' ? 'HU' : undefined;
}

export function openedImage(file: ImageFile): OpenedImage {
  const a = file.source.attributes;
  return {
    path: file.source.path ?? '',
    format: file.source.format,
    ...(file.source.transferSyntax ? { transferSyntax: file.source.transferSyntax } : {}),
    attributes: a,
    frames: file.frames.map((f) => displayFrame(f, unitOf(a.modality, f.modality))),
  };
}

export async function openImage(path: string): Promise<OpenedImage> {
  return openedImage(await loadImageFile(path));
}

export function openedSeries(s: ImageSeries): OpenedSeries {
  return {
    id: s.id,
    grouping: s.grouping,
    description: s.description,
    ...(s.modality ? { modality: s.modality } : {}),
    ...(s.sliceSpacing !== undefined ? { sliceSpacing: s.sliceSpacing } : {}),
    files: s.files,
    frames: s.frames.map((f) => displayFrame(f, unitOf(s.modality, f.modality))),
  };
}

export async function openFolder(
  dir: string,
  roots?: readonly string[],
): Promise<{ series: OpenedSeries[]; errors: { path: string; error: ErrorInfo }[]; skipped: { path: string; code: string; message: string }[] }> {
  const { series, errors, skipped } = await loadFolder(dir, roots ? { roots } : {});
  return { series: series.map(openedSeries), errors, skipped };
}
