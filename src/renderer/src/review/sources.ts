/** Where cases come from: files or a folder the user chose (series grouped by the host). */
import { call } from '../api';
import type { ImageFrame } from '../../../shared/contract';
import type { CaseRef, FrameRef } from './types';

export function frameRef(f: ImageFrame): FrameRef {
  return {
    mediaId: f.mediaId,
    width: f.width,
    height: f.height,
    channels: f.channels,
    dtype: f.dtype,
    slope: f.slope,
    intercept: f.intercept,
    invert: f.invert,
    windows: f.windows.map((w) => ({ center: w.center, width: w.width, ...(w.explanation ? { explanation: w.explanation } : {}) })),
    ...(f.padding ? { padding: f.padding } : {}),
    ...(f.unit ? { unit: f.unit } : {}),
    min: f.min,
    max: f.max,
  };
}

const baseName = (p: string) => p.split(/[\\/]/).filter(Boolean).pop() ?? p;

export function casesFromPaths(paths: string[]): CaseRef[] {
  return paths.map((path) => ({ id: path, title: baseName(path), origin: 'folder', frames: [], path }));
}

/** A folder becomes one case per series (slices sorted by the host), so the wheel scrolls slices. */
export async function casesFromFolder(dir: string): Promise<{ cases: CaseRef[]; errors: number }> {
  const { series, errors } = await call('images.openSeries', { dir });
  return {
    cases: series.map((s) => ({
      id: `${dir}#${s.id}`,
      title: `${baseName(dir)} · ${s.description || s.modality || s.id} (${s.frames.length})`,
      origin: 'folder',
      frames: s.frames.map(frameRef),
    })),
    errors: errors.length,
  };
}

export async function framesOf(ref: CaseRef): Promise<FrameRef[]> {
  if (ref.frames.length || !ref.path) return ref.frames;
  const opened = await call('images.open', { path: ref.path });
  return opened.frames.map(frameRef);
}
