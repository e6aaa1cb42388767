/**
 * What `inspector probe` and the viewer's metadata panel report for a file: per frame its geometry,
 * type, colour model, rescale, default window, spacing and the hash of its stored values; or the
 * coded error that refused it. Plain JSON, so it crosses the worker boundary unchanged.
 */
import type { Frame, ImageFile } from './types';
import { loadImageFile } from './load';
import { frameSha256 } from './hash';
import { defaultWindow, realRange } from './pixels';
import { toErrorInfo, type ErrorInfo } from '../../shared/errors';

export interface FrameReport {
  index: number;
  width: number;
  height: number;
  channels: number;
  dtype: string;
  bitsStored: number;
  photometric: string;
  rescale: { slope: number; intercept: number } | { lut: { entries: number; firstMapped: number } };
  window: { center: number; width: number; function: string; explanation?: string };
  invert: boolean;
  pixelSpacing: { row: number; column: number; source: string } | null;
  min: number;
  max: number;
  sha256: string;
}

export interface ProbeReport {
  path: string;
  ok: boolean;
  format?: string;
  transferSyntax?: { uid: string; name: string };
  sourcePhotometric?: string;
  frames?: FrameReport[];
  error?: ErrorInfo;
  ms: number;
}

export function frameReport(f: Frame): FrameReport {
  const w = defaultWindow(f);
  const { min, max } = realRange(f);
  return {
    index: f.index,
    width: f.width,
    height: f.height,
    channels: f.channels,
    dtype: f.dtype,
    bitsStored: f.bitsStored,
    photometric: f.photometric,
    rescale: f.modality.kind === 'rescale' ? { slope: f.modality.slope, intercept: f.modality.intercept } : { lut: { entries: f.modality.lut.data.length, firstMapped: f.modality.lut.firstMapped } },
    window: { center: w.center, width: w.width, function: w.function, ...(w.explanation ? { explanation: w.explanation } : {}) },
    invert: f.invert,
    pixelSpacing: f.pixelSpacing ? { ...f.pixelSpacing } : null,
    min,
    max,
    sha256: frameSha256(f),
  };
}

export function fileReport(path: string, file: ImageFile, ms: number): ProbeReport {
  return {
    path,
    ok: true,
    format: file.source.format,
    ...(file.source.transferSyntax ? { transferSyntax: file.source.transferSyntax } : {}),
    ...(file.source.sourcePhotometric ? { sourcePhotometric: file.source.sourcePhotometric } : {}),
    frames: file.frames.map(frameReport),
    ms,
  };
}

export async function probeFile(path: string): Promise<ProbeReport> {
  const t0 = performance.now();
  try {
    const file = await loadImageFile(path);
    return fileReport(path, file, performance.now() - t0);
  } catch (e) {
    return { path, ok: false, error: toErrorInfo(e, 'IMAGE_DECODE_FAILED'), ms: performance.now() - t0 };
  }
}
