/**
 * Which of an auto-inspected study's runs go out as one multi-frame Parametric Map / SEG: the
 * runs of a volumetric series (CT, MR, PT) with more than one slice, each slice its own
 * instance. A PACS shows one map per series instead of one series per slice. Whether the slices
 * really form one stack (size, frame of reference, orientation, spacing) is buildVolume's check
 * (DICOM_VOLUME_MISMATCH); the node falls back to per-slice objects when it refuses.
 */
import type Database from 'better-sqlite3';
import type { Destination } from './config';

/** Modalities whose series are stacks of slices in patient space. */
const VOLUMETRIC = new Set(['CT', 'MR', 'PT']);

export interface VolumeSeries {
  seriesInstanceUid: string;
  modality: string;
  runIds: number[];
}

export interface VolumePlan {
  /** Series sent as one multi-frame object each. */
  volumes: VolumeSeries[];
  /** Runs whose maps go out one per run (not volumetric, a single slice, or not in the inbox). */
  single: number[];
}

/** Groups runs by the series of the received instance each inspected (matched by inbox path). */
export function planVolumes(db: Database.Database, runIds: number[]): VolumePlan {
  const lookup = db.prepare(
    `SELECT d.series_instance_uid AS series, d.modality, d.sop_instance_uid AS sop
     FROM inference_runs r JOIN images i ON i.id = r.image_id JOIN dicom_instances d ON d.path = i.source_path WHERE r.id = ?`,
  );
  const bySeries = new Map<string, { modality: string; runs: number[]; sops: Set<string> }>();
  const single: number[] = [];
  for (const id of runIds) {
    const row = lookup.get(id) as { series: string; modality: string; sop: string } | undefined;
    if (!row || !VOLUMETRIC.has(row.modality.trim().toUpperCase())) {
      single.push(id);
      continue;
    }
    const s = bySeries.get(row.series) ?? { modality: row.modality, runs: [], sops: new Set<string>() };
    s.runs.push(id);
    s.sops.add(row.sop);
    bySeries.set(row.series, s);
  }
  const volumes: VolumeSeries[] = [];
  for (const [series, s] of bySeries) {
    // One slice is no volume; two runs of the same instance (a multi-frame source) would repeat a frame.
    if (s.runs.length > 1 && s.sops.size === s.runs.length) volumes.push({ seriesInstanceUid: series, modality: s.modality, runIds: s.runs });
    else single.push(...s.runs);
  }
  return { volumes, single: single.sort((a, b) => a - b) };
}

/** Destinations that take a series' maps as one volume (`volume`, default true) and those that want them per slice. */
export function splitByVolume(destinations: Destination[]): { volume: Destination[]; perSlice: Destination[] } {
  return { volume: destinations.filter((d) => d.volume !== false), perSlice: destinations.filter((d) => d.volume === false) };
}
