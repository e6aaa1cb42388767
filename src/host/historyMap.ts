/**
 * A recorded run's heatmap, back from the blob store: the raw float32 map the engine produced is
 * published to the media store with the scale it was shown with, in the same shape `inspect.run`
 * gives a live map, so a reopened case draws the same layer as right after the inspection.
 */
import { getRun } from '../core/history/index';
import { EXPLAIN_METHODS, TrustFigure } from '../shared/inspect';
import type { Output } from '../shared/contract';
import { toErrorInfo } from '../shared/errors';
import type { HistoryAccess } from './history';
import type { MediaStore } from './media';

type Recorded = Pick<Output<'images.openRun'>, 'heatmap' | 'heatmapError' | 'mask'>;

const CAM_METHODS = new Set<string>(EXPLAIN_METHODS);

/** The trust figure as the run recorded it; anything that does not parse is left out, never guessed. */
const recordedTrust = (v: unknown) => {
  const p = TrustFigure.safeParse(v);
  return p.success ? p.data : undefined;
};

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function recordedMap(history: HistoryAccess, media: MediaStore, runId: number): Recorded {
  const store = history.get();
  const { run } = getRun(store.db, runId);
  const ex = run.explanation;
  if (ex?.mask) return recordedMask(store, media, ex.mask);
  if (!ex?.blob) return {};
  const s = ex.scale as Record<string, unknown>;
  const width = num(s['width']);
  const height = num(s['height']);
  const low = num(s['low']);
  const high = num(s['high']);
  if (width === undefined || height === undefined || low === undefined || high === undefined) return {};
  let bytes: Buffer;
  try {
    bytes = store.blobs.get(ex.blob);
  } catch (e) {
    // The run and its verdict still reopen; the viewer says why the map is not there.
    return { heatmapError: toErrorInfo(e) };
  }
  const mediaId = media.publish({ contentType: 'application/octet-stream', bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
  // Explanations come from the closed list of CAM methods; anything else was an anomaly map.
  const kind = CAM_METHODS.has(ex.method) ? 'explanation' : 'anomaly';
  const e = ex as typeof ex & { targetLabel?: unknown; inputSize?: unknown };
  const inputSize = Array.isArray(e.inputSize) && e.inputSize.length === 2 ? (e.inputSize as [number, number]) : undefined;
  const pixelThreshold = num(run.thresholds['pixel']);
  return {
    heatmap: {
      mediaId,
      kind,
      method: ex.method,
      width,
      height,
      scale: {
        mode: s['kind'] === 'minmax' ? 'minmax' : 'anchored',
        low,
        high,
        source: s['source'] === 'image' ? 'image' : 'pack',
        ...(typeof s['derivation'] === 'string' ? { derivation: s['derivation'] } : {}),
      },
      valid: s['valid'] !== false,
      ...(inputSize ? { inputSize } : {}),
      ...(typeof e.targetLabel === 'string' ? { targetLabel: e.targetLabel } : {}),
      ...(kind === 'anomaly' && pixelThreshold !== undefined ? { pixelThreshold } : {}),
      ...(recordedTrust(ex.trust) ? { trust: recordedTrust(ex.trust)! } : {}),
      ...((ex as { tiling?: unknown }).tiling ? { tiled: true } : {}),
    },
  };
}

/** A segmentation run's mask, back from the blob store (checked against its hash on read). */
function recordedMask(store: ReturnType<HistoryAccess['get']>, media: MediaStore, m: NonNullable<NonNullable<ReturnType<typeof getRun>['run']['explanation']>['mask']>): Recorded {
  let bytes: Buffer;
  try {
    bytes = store.blobs.get(m.blob);
  } catch (e) {
    return { heatmapError: toErrorInfo(e) };
  }
  if (bytes.byteLength !== m.width * m.height) return { heatmapError: { code: 'BLOB_CORRUPT', message: `The mask of this run has ${bytes.byteLength} bytes, not ${m.width} × ${m.height}.` } };
  const mediaId = media.publish({ contentType: 'application/octet-stream', bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
  return { mask: { mediaId, width: m.width, height: m.height, classes: m.classes ?? [] } };
}
