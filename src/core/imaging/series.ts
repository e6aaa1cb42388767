/**
 * Frames of one acquisition, in anatomical order. DICOM files group by Series Instance UID and sort
 * by Image Position projected on the slice normal (the cross product of Image Orientation's row and
 * column vectors), then Instance Number: correct for tilted gantries and uneven spacing, where
 * Instance Number or file names may lie. Other images group by folder, size and name stem ("im001.png",
 * "im002.png" …) and sort by the number in the name.
 */
import { basename, dirname } from 'node:path';
import { walkFiles } from '../files/walk';
import type { Frame, ImageFile, ImageSeries, SeriesGrouping } from './types';
import { loadImageFile, type LoadOptions } from './load';
import { toErrorInfo, type ErrorInfo } from '../../shared/errors';

function normal(o: Frame['orientation']): [number, number, number] | undefined {
  if (!o) return undefined;
  const [a, b, c, d, e, f] = o;
  return [b * f - c * e, c * d - a * f, a * e - b * d];
}

const collator = new Intl.Collator('en', { numeric: true });

function stemOf(path: string): string {
  return basename(path).replace(/\d+(?=\D*$)/, '#');
}

export function groupSeries(files: ImageFile[]): ImageSeries[] {
  const groups = new Map<string, ImageFile[]>();
  for (const f of files) {
    const first = f.frames[0];
    if (!first) continue;
    const a = f.source.attributes;
    const key =
      f.source.format === 'dicom'
        ? `dicom:${a.seriesInstanceUid ?? f.source.path}`
        : f.frames.length > 1
          ? `file:${f.source.path}`
          : `img:${dirname(f.source.path ?? '')}|${stemOf(f.source.path ?? '')}|${first.width}x${first.height}x${first.channels}|${first.dtype}`;
    const list = groups.get(key) ?? [];
    list.push(f);
    groups.set(key, list);
  }
  const out: ImageSeries[] = [];
  for (const [key, list] of groups) out.push(buildSeries(key, GROUPING_OF_KEY[key.slice(0, key.indexOf(':'))]!, list));
  return out.sort((x, y) => collator.compare(x.files[0] ?? '', y.files[0] ?? ''));
}

const GROUPING_OF_KEY: Record<string, SeriesGrouping> = { dicom: 'dicom', file: 'file', img: 'stack' };

function buildSeries(key: string, grouping: SeriesGrouping, list: ImageFile[]): ImageSeries {
  const entries: { frame: Frame; file: string; instance: number; name: string }[] = [];
  for (const f of list) {
    for (const frame of f.frames) {
      entries.push({ frame, file: f.source.path ?? '', instance: Number(f.source.attributes.instanceNumber ?? NaN), name: f.source.path ?? '' });
    }
  }
  const n = normal(entries[0]?.frame.orientation);
  const project = (fr: Frame) => (n && fr.position ? fr.position[0] * n[0] + fr.position[1] * n[1] + fr.position[2] * n[2] : undefined);
  const allPositioned = list.length > 1 && n !== undefined && entries.every((e) => project(e.frame) !== undefined);
  entries.sort((x, y) => {
    if (allPositioned) {
      const d = project(x.frame)! - project(y.frame)!;
      if (Math.abs(d) > 1e-4) return d;
    }
    if (Number.isFinite(x.instance) && Number.isFinite(y.instance) && x.instance !== y.instance) return x.instance - y.instance;
    const byName = collator.compare(x.name, y.name);
    return byName !== 0 ? byName : x.frame.index - y.frame.index;
  });
  let sliceSpacing: number | undefined;
  if (allPositioned && entries.length > 1) {
    const gaps = entries.slice(1).map((e, i) => project(e.frame)! - project(entries[i]!.frame)!).sort((a, b) => a - b);
    sliceSpacing = gaps[Math.floor(gaps.length / 2)];
  }
  const first = list[0]!;
  const a = first.source.attributes;
  const description =
    first.source.format === 'dicom'
      ? [a.modality, a.seriesDescription ?? a.studyDescription].filter(Boolean).join(' ') || basename(first.source.path ?? 'DICOM')
      : list.length > 1
        ? `${stemOf(first.source.path ?? '')} (${list.length} images)`
        : basename(first.source.path ?? 'image');
  return {
    id: key,
    grouping,
    description,
    ...(typeof a.modality === 'string' ? { modality: a.modality } : {}),
    frames: entries.map((e) => e.frame),
    files: entries.map((e) => e.file),
    ...(sliceSpacing !== undefined ? { sliceSpacing } : {}),
  };
}

export interface FolderLoad {
  series: ImageSeries[];
  /** Files that were not images or failed, each with its coded error. */
  errors: { path: string; error: ErrorInfo }[];
}

/**
 * Every regular file directly inside `dir` (sorted naturally), grouped into series. The shared
 * walker lists them: FIFOs, dangling links, loops and (with `roots`) links out of the grant are
 * reported in `errors` with their code instead of blocking or aborting the folder.
 */
export async function loadFolder(dir: string, options: LoadOptions & { roots?: readonly string[] } = {}): Promise<FolderLoad> {
  const { roots, ...load } = options;
  const walked = walkFiles([dir], { recursive: false, includeHidden: true, compare: collator.compare, ...(roots ? { roots } : {}) });
  const files: ImageFile[] = [];
  const errors: FolderLoad['errors'] = walked.skipped.map((s) => ({ path: s.path, error: { code: s.code, message: s.message } }));
  for (const path of walked.files) {
    try {
      files.push(await loadImageFile(path, load, roots));
    } catch (e) {
      errors.push({ path, error: toErrorInfo(e, 'IMAGE_DECODE_FAILED') });
    }
  }
  return { series: groupSeries(files), errors };
}
