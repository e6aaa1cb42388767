/**
 * One recorded inference run → the DICOM objects asked for (SR, SC, SEG, Parametric Map), written as Part 10 files
 * into the outbox folder; or several runs → one multi-frame map/SEG (`buildVolume`) or one study SR (`buildStudyReport`). The run must come from a DICOM instance: its patient, study and
 * references come from that file.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getRun, type HistoryStore } from '../history/index';
import { InspectorError } from '../../shared/errors';
import type { ResultObject } from './config';
import { deidentify, type DeidOptions } from './deid';
import { readSource, writePart10, type LabelCodings, type Naturalized } from './objects/common';
import { buildSc, type HeatmapInput } from './objects/sc';
import { buildPmap, buildPmapVolume, type PmapFrame } from './objects/pmap';
import { buildSeg, buildSegVolume } from './objects/seg';
import { buildSr, buildStudySr, type SourceRef, type StudySrPredecessor } from './objects/sr';

export interface ResultFile {
  kind: ResultObject;
  path: string;
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  runId: number;
}

export interface ResultOptions {
  uidRoot: string;
  softwareVersion: string;
  outDir: string;
  labelNames?: Record<string, string>;
  /** The pack's standard label codes for the SR findings and SEG segments (objects/common.ts `labelCodings`). */
  labelCodings?: LabelCodings;
  /** De-identify every object before it is written. */
  deidentify?: DeidOptions;
}

function heatmapOf(store: HistoryStore, ex: { blob?: string | null; scale?: Record<string, unknown> } | null): HeatmapInput | undefined {
  if (!ex?.blob || !ex.scale) return undefined;
  const { width, height, low, high } = ex.scale as { width?: number; height?: number; low?: number; high?: number };
  if (!width || !height || low === undefined || high === undefined) return undefined;
  const b = store.blobs.get(ex.blob);
  const values = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  if (values.length !== width * height) return undefined;
  return { width, height, values, low, high };
}

function refOf(source: Naturalized): SourceRef {
  return {
    sopClassUid: source['SOPClassUID'] as string,
    sopInstanceUid: source['SOPInstanceUID'] as string,
    seriesInstanceUid: source['SeriesInstanceUID'] as string,
    studyInstanceUid: source['StudyInstanceUID'] as string,
  };
}

function write(dir: string, ds: Naturalized): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${ds['SOPInstanceUID'] as string}.dcm`);
  writeFileSync(`${path}.part`, writePart10(ds));
  renameSync(`${path}.part`, path);
  return path;
}

export async function buildResults(store: HistoryStore, runId: number, kinds: ResultObject[], opts: ResultOptions): Promise<ResultFile[]> {
  const detail = getRun(store.db, runId);
  if (detail.image.format !== 'dicom') {
    throw new InspectorError('DICOM_RUN_NOT_DICOM', `Run ${runId} inspected a ${detail.image.format} image; DICOM results need a DICOM source.`, { runId });
  }
  const source = readSource(detail.image.sourcePath);
  const ref = refOf(source);
  const out: ResultFile[] = [];
  const codings = opts.labelCodings ? { labelCodings: opts.labelCodings } : {};
  for (const kind of new Set(kinds)) {
    let ds: Naturalized;
    if (kind === 'sr') ds = buildSr({ detail, source, ref, uidRoot: opts.uidRoot, softwareVersion: opts.softwareVersion, ...(opts.labelNames ? { labelNames: opts.labelNames } : {}), ...codings });
    else if (kind === 'sc')
      ds = await buildSc({ detail, source, sourcePath: detail.image.sourcePath, ref, heatmap: heatmapOf(store, detail.run.explanation as never), uidRoot: opts.uidRoot, softwareVersion: opts.softwareVersion });
    else if (kind === 'pmap') ds = buildPmap({ detail, source, ref, heatmap: heatmapOf(store, detail.run.explanation as never), uidRoot: opts.uidRoot, softwareVersion: opts.softwareVersion });
    else ds = buildSeg({ detail, source, ref, heatmap: heatmapOf(store, detail.run.explanation as never), uidRoot: opts.uidRoot, softwareVersion: opts.softwareVersion, ...codings });
    if (opts.deidentify) ds = deidentify(ds, opts.deidentify, source);
    const path = write(opts.outDir, ds);
    out.push({ kind, path, sopClassUid: ds['SOPClassUID'] as string, sopInstanceUid: ds['SOPInstanceUID'] as string, studyInstanceUid: ds['StudyInstanceUID'] as string, runId });
  }
  return out;
}

/**
 * One multi-frame Parametric Map or SEG of several runs — the slices of a CT/MR series inspected
 * one by one — a frame per slice (objects/pmap.ts `volumeFrames`). Named after the first run; every
 * run must come from a DICOM instance of the same study, with a map, and of the same pack.
 */
export async function buildVolume(store: HistoryStore, kind: 'pmap' | 'seg', runIds: number[], opts: ResultOptions): Promise<ResultFile> {
  if (runIds.length === 0) throw new InspectorError('USAGE', 'A volume object needs runs.');
  const details = runIds.map((id) => getRun(store.db, id));
  const frames: PmapFrame[] = details.map((detail) => {
    if (detail.image.format !== 'dicom') {
      throw new InspectorError('DICOM_RUN_NOT_DICOM', `Run ${detail.run.id} inspected a ${detail.image.format} image; DICOM results need a DICOM source.`, { runId: detail.run.id });
    }
    if (detail.run.packName !== details[0]!.run.packName || detail.run.packVersion !== details[0]!.run.packVersion) {
      throw new InspectorError('DICOM_VOLUME_MISMATCH', `Run ${detail.run.id} used ${detail.run.packName} ${detail.run.packVersion}; a volume is of one pack.`, { runId: detail.run.id });
    }
    const source = readSource(detail.image.sourcePath);
    return { source, ref: refOf(source), heatmap: heatmapOf(store, detail.run.explanation as never), runId: detail.run.id };
  });
  const base = { detail: details[0]!, uidRoot: opts.uidRoot, softwareVersion: opts.softwareVersion, ...(opts.labelCodings ? { labelCodings: opts.labelCodings } : {}) };
  let ds = kind === 'pmap' ? buildPmapVolume(base, frames) : buildSegVolume(base, frames);
  if (opts.deidentify) ds = deidentify(ds, opts.deidentify, frames[0]!.source);
  const path = write(opts.outDir, ds);
  return { kind, path, sopClassUid: ds['SOPClassUID'] as string, sopInstanceUid: ds['SOPInstanceUID'] as string, studyInstanceUid: ds['StudyInstanceUID'] as string, runId: runIds[0]! };
}

/**
 * One TID 1500 SR over several runs of one study (objects/sr.ts `buildStudySr`), named after the
 * first run. Every run must come from a DICOM instance (DICOM_RUN_NOT_DICOM), of the same study
 * (DICOM_SR_STUDY_MISMATCH) and pack (DICOM_SR_PACK_MISMATCH); nothing is written otherwise.
 */
export function buildStudyReport(
  store: HistoryStore,
  runIds: number[],
  opts: ResultOptions & { predecessor?: StudySrPredecessor },
): ResultFile & { issued: StudySrPredecessor } {
  if (runIds.length === 0) throw new InspectorError('USAGE', 'A study report needs runs.');
  const runs = runIds.map((id) => {
    const detail = getRun(store.db, id);
    if (detail.image.format !== 'dicom') {
      throw new InspectorError('DICOM_RUN_NOT_DICOM', `Run ${id} inspected a ${detail.image.format} image; DICOM results need a DICOM source.`, { runId: id });
    }
    const source = readSource(detail.image.sourcePath);
    return { detail, source, ref: refOf(source) };
  });
  let ds = buildStudySr({
    runs,
    uidRoot: opts.uidRoot,
    softwareVersion: opts.softwareVersion,
    ...(opts.labelNames ? { labelNames: opts.labelNames } : {}),
    ...(opts.labelCodings ? { labelCodings: opts.labelCodings } : {}),
    ...(opts.predecessor ? { predecessor: opts.predecessor } : {}),
  });
  // What a re-issue names, before de-identification: deidentify maps these UIDs (and the re-issue's predecessor) the same way every time.
  const issued = { studyInstanceUid: ds['StudyInstanceUID'] as string, seriesInstanceUid: ds['SeriesInstanceUID'] as string, sopInstanceUid: ds['SOPInstanceUID'] as string, instanceNumber: ds['InstanceNumber'] as number };
  if (opts.deidentify) ds = deidentify(ds, opts.deidentify, runs[0]!.source);
  const path = write(opts.outDir, ds);
  return { issued, kind: 'sr', path, sopClassUid: ds['SOPClassUID'] as string, sopInstanceUid: ds['SOPInstanceUID'] as string, studyInstanceUid: ds['StudyInstanceUID'] as string, runId: runIds[0]! };
}
