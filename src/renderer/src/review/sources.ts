/** Where cases come from: files or a folder the user chose (series grouped by the host). */
import { call } from '../api';
import type { ImageFrame } from '../../../shared/contract';
import type { VoiFunction } from '../viewer/types';
import type { CaseRef, FrameRef } from './types';

const VOI_FUNCTIONS = new Set<string>(['LINEAR', 'LINEAR_EXACT', 'SIGMOID']);
/** The file's window function; anything the standard does not define is drawn as LINEAR (as the core does). */
const voiFunction = (fn: string): VoiFunction => (VOI_FUNCTIONS.has(fn) ? (fn as VoiFunction) : 'LINEAR');

export function frameRef(f: ImageFrame, source?: { path: string; frame: number }): FrameRef {
  return {
    ...(source ? { source } : {}),
    mediaId: f.mediaId,
    width: f.width,
    height: f.height,
    channels: f.channels,
    dtype: f.dtype,
    slope: f.slope,
    intercept: f.intercept,
    invert: f.invert,
    windows: f.windows.map((w) => ({ center: w.center, width: w.width, function: voiFunction(w.function), ...(w.explanation ? { explanation: w.explanation } : {}) })),
    ...(f.modalityLut ? { modalityLut: f.modalityLut } : {}),
    ...(f.voiLut ? { voiLut: f.voiLut } : {}),
    ...(f.padding ? { padding: f.padding } : {}),
    ...(f.unit ? { unit: f.unit } : {}),
    min: f.min,
    max: f.max,
    ...(f.preview ? { preview: f.preview } : {}),
    ...(f.pixelSpacing ? { pixelSpacing: f.pixelSpacing } : {}),
    ...(f.position ? { position: f.position } : {}),
    ...(f.orientation ? { orientation: f.orientation } : {}),
    ...(f.header ? { header: f.header } : {}),
  };
}

const baseName = (p: string) => p.split(/[\\/]/).filter(Boolean).pop() ?? p;

export function casesFromPaths(paths: string[]): CaseRef[] {
  return paths.map((path) => ({ id: path, title: baseName(path), origin: 'folder', frames: [], path }));
}

/** A bundled sample set: one case per image, with the pack of the same name suggested. */
export function casesFromSample(sample: { name: string; dir: string; images: string[]; config?: string }, packNames: readonly string[]): CaseRef[] {
  const pack = packNames.includes(sample.name) ? sample.name : undefined;
  return sample.images.map((path) => ({
    id: path,
    title: path.slice(sample.dir.length + 1) || baseName(path),
    origin: 'sample' as const,
    frames: [],
    path,
    ...(pack ? { pack } : {}),
    ...(sample.config ? { config: sample.config } : {}),
  }));
}

/**
 * A folder becomes one case per DICOM series or multi-frame file (slices sorted by the host, so
 * the wheel scrolls them) and one case per image otherwise: same-size photos or slices named
 * part_001.png, part_002.png … are grouped by name only, and on a line each is its own part to
 * inspect (F5, Inspect all need the file).
 */
export async function casesFromFolder(dir: string): Promise<{ cases: CaseRef[]; errors: number; skipped: { path: string; code: string; message: string }[] }> {
  const { series, errors, skipped } = await call('images.openSeries', { dir });
  const cases = series.flatMap((s): CaseRef[] =>
    s.grouping === 'stack'
      ? s.frames.map((f, i) => ({ id: s.files[i]!, title: baseName(s.files[i]!), origin: 'folder', frames: [frameRef(f, { path: s.files[i]!, frame: 0 })], path: s.files[i]! }))
      : [
          {
            id: `${dir}#${s.id}`,
            title: `${baseName(dir)} · ${s.description || s.modality || s.id} (${s.frames.length})`,
            origin: 'folder',
            // One file per slice, or one multi-frame file holding them all.
            frames: s.frames.map((f, i) => frameRef(f, s.files.length === s.frames.length ? { path: s.files[i]!, frame: 0 } : { path: s.files[0]!, frame: i })),
            // One file is one image to inspect; a multi-file DICOM series has no single path.
            ...(new Set(s.files).size === 1 ? { path: s.files[0]! } : {}),
          },
        ],
  );
  return {
    cases: [
      ...cases,
      // A file that did not open stays in the queue: opening or inspecting it shows its error code.
      ...errors.map((e): CaseRef => ({ id: e.path, title: baseName(e.path), origin: 'folder', frames: [], path: e.path })),
    ],
    errors: errors.length,
    // Entries that are no image at all (or refused by the walk) are not cases: the queue shows them as a note.
    skipped,
  };
}

export async function framesOf(ref: CaseRef): Promise<FrameRef[]> {
  if (ref.frames.length || !ref.path) return ref.frames;
  const path = ref.path;
  const opened = await call('images.open', { path });
  return opened.frames.map((f, i) => frameRef(f, { path, frame: i }));
}
