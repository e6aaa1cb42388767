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
import { hasImageName } from './extensions';
import { ImagingErrorCode } from './errors';

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
  /** Image files that did not open (broken, truncated, unsupported), each with its coded error: they stay cases. */
  errors: { path: string; error: ErrorInfo }[];
  /**
   * Entries not opened at all, with their code, as `inspect.run` reports them: files that are not
   * images (INPUT_NOT_AN_IMAGE: no image name and no image content) and entries the walker refused
   * (WALK_NOT_REGULAR, WALK_LINK_DANGLING, WALK_OUTSIDE_ROOT, WALK_LOOP …). Never dropped silently.
   */
  skipped: { path: string; code: string; message: string }[];
}

/**
 * Every regular file directly inside `dir` (sorted naturally), grouped into series. The shared
 * walker lists them: FIFOs, dangling links, loops and (with `roots`) links out of the grant are
 * reported in `skipped` with their code instead of blocking or aborting the folder. A file is read
 * by content (DICOM often has no extension); one that is no image by content nor by name is
 * skipped as INPUT_NOT_AN_IMAGE, one named as an image that fails is a broken image (`errors`).
 */
export async function loadFolder(dir: string, options: LoadOptions & { roots?: readonly string[] } = {}): Promise<FolderLoad> {
  const { roots, ...load } = options;
  const walked = walkFiles([dir], { recursive: false, includeHidden: true, compare: collator.compare, ...(roots ? { roots } : {}) });
  const files: ImageFile[] = [];
  const errors: FolderLoad['errors'] = [];
  const skipped: FolderLoad['skipped'] = walked.skipped.map((s) => ({ path: s.path, code: s.code, message: s.message }));
  for (const path of walked.files) {
    try {
      files.push(await loadImageFile(path, load, roots));
    } catch (e) {
      const error = toErrorInfo(e, 'IMAGE_DECODE_FAILED');
      if (error.code === ImagingErrorCode.NOT_AN_IMAGE && !hasImageName(path)) {
        skipped.push({ path, code: 'INPUT_NOT_AN_IMAGE', message: `Skipped ${basename(path)}: neither its content nor its name is an image format Inspector reads.` });
      } else if (error.code === 'WALK_OUTSIDE_ROOT') {
        // Swapped for a link out of the grant after the walk: refused like the walker's own finds.
        skipped.push({ path, code: error.code, message: error.message });
      } else {
        errors.push({ path, error });
      }
    }
  }
  return { series: groupSeries(files), errors, skipped };
}
