/**
 * The explanation message of a station case: what the deciding packs' maps (the battery pack's
 * HiResCAM) show, published AFTER the case's result once the maps are recorded as audited records
 * of their own (run_explanations). It names the result it explains (resultId, the run ids), never
 * changes its verdict, and is rebuilt from the records alone — the MQTT payload (outbox), the OPC UA
 * LastExplanation variable and REST `GET /inspections/:id/explanation` are the same bytes.
 * Field reference: docs/STATION.md, "Explanation message".
 */
import sharp from 'sharp';
import { normalised, resizeMap, type HeatMap } from '../explain/scale';
import type { HistoryStore } from '../history/index';
import { InspectorError } from '../../shared/errors';
import { FINDINGS_CHANNEL } from './ledger';
import type { StationResult, StationVerdict, Evaluation } from './result';

export interface ExplanationRegion {
  /** Box in source-image pixels: x, y, width, height. */
  box: [number, number, number, number];
  /** The class the map explains (the region's label as recorded). */
  label: string;
  /** The map's highest value inside the box, on the map's display scale (0..1). */
  peak: number | null;
  /** The box's share of the whole map (sum of display-scale values inside ÷ over the image), 0..1. */
  share: number;
}

export interface ExplainedImage {
  /** The run_explanations record (audited). */
  recordId: number;
  /** The deciding run the map explains (one of the result's runIds). */
  runId: number;
  view: string | null;
  file: string;
  imageSha256: string | null;
  image: { width: number; height: number };
  pack: { name: string; version: string };
  method: string;
  /** The class the map explains (e.g. porosity), also on a passed image. */
  explainedClass: string | null;
  /** The CAM's layer(s). */
  layer: string | null;
  /** The image's own decision as published in the result. */
  decision: string | null;
  /** The score of the pass that drew the map (equal to the decided one on unchanged files). */
  score: number | null;
  map: {
    /** SHA-256 of the raw map (float32 little-endian, row-major) as kept in the blob store. */
    sha256: string | null;
    width: number;
    height: number;
    dtype: 'float32';
    scale: { kind: string; low: number | null; high: number | null };
    valid: boolean;
  };
  trust: { verdict: string; figure: number | null } | null;
  regions: ExplanationRegion[];
  /** REST paths (relative to the station's REST base URL): this JSON and the map as a PNG. */
  href: { json: string; png: string };
  recordedAt: string;
}

export interface StationExplanation {
  schema: 'inspector.station.explanation/1';
  /** Stable per case: `<station>:explanation:<resultId>`. */
  explanationId: string;
  /** The published result this explains (unchanged by it). */
  resultId: string;
  caseUid: string;
  station: string;
  line: string;
  serial: string;
  partId: string;
  lot: string | null;
  verdict: StationVerdict;
  evaluation: Evaluation;
  runIds: number[];
  maps: ExplainedImage[];
  /** The last map record's time, and how long after the result it came. */
  createdAt: string;
  afterResultMs: number;
}

/** What a consumer can know about a case's explanation now. */
export type ExplanationState = 'recorded' | 'pending' | 'none';

interface RecordRow {
  id: number;
  run_id: number;
  created_at: number;
  method: string;
  explanation: string;
  blob_sha256: string | null;
  regions: string;
  score: number | null;
  width: number | null;
  height: number | null;
}

function hasTable(store: HistoryStore): boolean {
  return store.sql(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'run_explanations'`).get() !== undefined;
}

/** The latest explanation record of each of the result's deciding runs, oldest run first. */
function records(store: HistoryStore, r: StationResult): RecordRow[] {
  if (r.runIds.length === 0 || !hasTable(store)) return [];
  const rows = store
    .sql(
      `SELECT x.id, x.run_id, x.created_at, x.method, x.explanation, x.blob_sha256, x.regions, x.score, i.width, i.height
       FROM run_explanations x JOIN inference_runs ir ON ir.id = x.run_id JOIN images i ON i.id = ir.image_id
       WHERE x.run_id IN (${r.runIds.map(() => '?').join(',')}) ORDER BY x.run_id, x.id`,
    )
    .all(...r.runIds) as RecordRow[];
  const latest = new Map<number, RecordRow>();
  for (const x of rows) latest.set(x.run_id, x);
  return [...latest.values()];
}

export function explanationState(store: HistoryStore, r: StationResult): ExplanationState {
  if (records(store, r).length > 0) return 'recorded';
  const waiting = store.sql('SELECT 1 FROM station_outbox WHERE case_uid = ? AND channel = ? AND sent_at IS NULL').get(r.caseUid, FINDINGS_CHANNEL);
  return waiting ? 'pending' : 'none';
}

/** The map of a record as a HeatMap (raw values and the recorded display scale). */
function heatMapOf(store: HistoryStore, x: Pick<RecordRow, 'explanation' | 'blob_sha256'>): HeatMap | null {
  if (!x.blob_sha256) return null;
  const e = JSON.parse(x.explanation) as { scale: { kind: string; low?: number; high?: number; width?: number; height?: number; valid?: boolean } };
  const s = e.scale;
  if (!s.width || !s.height) return null;
  const buf = store.blobs.get(x.blob_sha256); // BLOB_MISSING / BLOB_CORRUPT: the map cannot be trusted
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  if (data.length !== s.width * s.height) throw new InspectorError('STATION_EXPLANATION_MAP_SHAPE', `Map ${x.blob_sha256.slice(0, 12)} holds ${data.length} values, not ${s.width}×${s.height}.`);
  const mode = s.kind === 'anchored' ? 'anchored' : 'minmax';
  return { width: s.width, height: s.height, data, valid: s.valid !== false, scale: { mode, low: s.low ?? 0, high: s.high ?? 1, source: mode === 'anchored' ? 'pack' : 'image' } };
}

/**
 * The map on the source image's grid, display-scaled to 0..1: the same bilinear upsampling and
 * scale the engine read the regions off (engine.ts regionsOf), so a box's share is of that map.
 */
function onImage(map: HeatMap, width: number, height: number): Float32Array {
  return normalised(resizeMap(map, width, height));
}

function shareOf(values: Float32Array, width: number, box: [number, number, number, number], total: number): number {
  if (!(total > 0)) return 0;
  const [bx, by, bw, bh] = box.map((v) => Math.round(v)) as [number, number, number, number];
  let sum = 0;
  const height = values.length / width;
  for (let y = Math.max(0, by); y < Math.min(height, by + bh); y++) for (let x = Math.max(0, bx); x < Math.min(width, bx + bw); x++) sum += values[y * width + x]!;
  return Math.round((sum / total) * 1e4) / 1e4;
}

export function explanationPaths(resultId: string, runId: number): { json: string; png: string } {
  const id = encodeURIComponent(resultId);
  return { json: `/inspections/${id}/explanation`, png: `/inspections/${id}/explanation/map.png?runId=${runId}` };
}

/**
 * The explanation message of a published result, from its recorded maps; null while none is
 * recorded. Deterministic in the records: rebuilt later (REST) it is the same message.
 */
export function buildExplanation(store: HistoryStore, r: StationResult): StationExplanation | null {
  const rows = records(store, r);
  if (rows.length === 0) return null;
  const maps = rows.map((x): ExplainedImage => {
    const e = JSON.parse(x.explanation) as { targetLabel?: string; target?: string; layers?: string[]; scale: { kind: string; low?: number; high?: number; width?: number; height?: number; valid?: boolean }; trust?: { verdict: string; figure: number | null } };
    const img = r.images.find((i) => i.runId === x.run_id);
    const width = x.width ?? 0;
    const height = x.height ?? 0;
    const map = width > 0 && height > 0 ? heatMapOf(store, x) : null;
    const values = map?.valid ? onImage(map, width, height) : null;
    let total = 0;
    if (values) for (const v of values) total += v;
    const regions = (JSON.parse(x.regions) as { box: [number, number, number, number]; label: string; score?: number }[]).map((g) => ({
      box: g.box,
      label: g.label,
      peak: g.score ?? null,
      share: values ? shareOf(values, width, g.box, total) : 0,
    }));
    return {
      recordId: x.id,
      runId: x.run_id,
      view: img?.view ?? null,
      file: img?.file ?? '',
      imageSha256: img?.sha256 ?? null,
      image: { width, height },
      pack: img ? { ...img.pack } : { name: '', version: '' },
      method: x.method,
      explainedClass: e.targetLabel ?? null,
      layer: e.layers?.join('+') ?? e.target ?? null,
      decision: img?.decision ?? null,
      score: x.score,
      map: {
        sha256: x.blob_sha256,
        width: e.scale.width ?? 0,
        height: e.scale.height ?? 0,
        dtype: 'float32',
        scale: { kind: e.scale.kind, low: e.scale.low ?? null, high: e.scale.high ?? null },
        valid: e.scale.valid !== false,
      },
      trust: e.trust ? { verdict: e.trust.verdict, figure: e.trust.figure ?? null } : null,
      regions,
      href: explanationPaths(r.resultId, x.run_id),
      recordedAt: new Date(x.created_at).toISOString(),
    };
  });
  const last = Math.max(...rows.map((x) => x.created_at));
  return {
    schema: 'inspector.station.explanation/1',
    explanationId: `${r.station}:explanation:${r.resultId}`,
    resultId: r.resultId,
    caseUid: r.caseUid,
    station: r.station,
    line: r.line,
    serial: r.serial,
    partId: r.partId,
    lot: r.lot,
    verdict: r.verdict,
    evaluation: r.evaluation,
    runIds: maps.map((m) => m.runId),
    maps,
    createdAt: new Date(last).toISOString(),
    afterResultMs: Math.max(0, last - Date.parse(r.createdAt)),
  };
}

/**
 * One recorded map as an 8-bit greyscale PNG on the source image's grid (0 = the scale's low,
 * 255 = its high; the scale is in the JSON): overlays the image pixel for pixel, in any tool.
 * Grey, not a colour map: the value is what an integrator measures, a palette is a display choice.
 */
export async function explanationPng(store: HistoryStore, r: StationResult, runId: number): Promise<{ png: Buffer; sha256: string }> {
  const x = records(store, r).find((y) => y.run_id === runId);
  if (!x) throw new InspectorError('STATION_EXPLANATION_NOT_FOUND', `Result ${r.resultId} has no recorded map for run ${runId}.`);
  const map = heatMapOf(store, x);
  if (!map || !x.width || !x.height) throw new InspectorError('STATION_EXPLANATION_NO_MAP', `The explanation record ${x.id} keeps no map.`);
  if (!map.valid) throw new InspectorError('STATION_EXPLANATION_MAP_INVALID', `The map of explanation record ${x.id} holds NaN or infinite values.`);
  const values = onImage(map, x.width, x.height);
  const grey = Buffer.alloc(values.length);
  for (let i = 0; i < values.length; i++) grey[i] = Math.round(values[i]! * 255);
  const png = await sharp(grey, { raw: { width: x.width, height: x.height, channels: 1 } }).toColourspace('b-w').png().toBuffer();
  return { png, sha256: x.blob_sha256! };
}
