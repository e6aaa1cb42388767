/**
 * `inspect.run`: paths from the renderer are checked against the user's grants, the worker runs the
 * engine, and each raw map is published to the media store (float32 bytes) instead of riding in JSON.
 */
import type { InspectReport } from '../core/engine/inspect';
import type { HeatMap } from '../core/explain/scale';
import type { SegmentationResult } from '../core/segmentation/run';
import type { Input, Output } from '../shared/contract';
import type { AccessGrants } from './grants';
import type { HistoryAccess } from './history';
import { recordReport } from './recordInspection';
import { stationCalibration } from '../core/evaluation/validation';
import type { MediaStore } from './media';
import type { WorkerClient } from './workerClient';

function publish(media: MediaStore, map: HeatMap, kind: 'explanation' | 'anomaly', method: string) {
  const bytes = new Uint8Array(map.data.buffer, map.data.byteOffset, map.data.byteLength);
  const mediaId = media.publish({ contentType: 'application/octet-stream', bytes });
  return { mediaId, kind, method, width: map.width, height: map.height, scale: map.scale, valid: map.valid, ...(map.invalidReason ? { invalidReason: map.invalidReason } : {}) };
}

/** A segmentation result's class mask goes to the media store (uint8 per model pixel), never into JSON. */
function publishMask(media: MediaStore, s: SegmentationResult) {
  const { mask, ...rest } = s;
  if (s.error || !mask.length) return rest;
  const mediaId = media.publish({ contentType: 'application/octet-stream', bytes: mask });
  return { ...rest, mask: { mediaId, width: s.width, height: s.height } };
}

export function toRunResult(report: InspectReport, media: MediaStore, runIds: readonly (number | undefined)[] = []): Output<'inspect.run'> {
  return {
    ...report,
    results: report.results.map((r, i) => {
      const { explanation, anomaly, segmentation, ...rest } = r;
      const heatmap = explanation
        ? publish(media, explanation.map, 'explanation', explanation.method)
        : anomaly
          ? publish(media, anomaly.map, 'anomaly', anomaly.format)
          : undefined;
      return {
        ...rest,
        ...(explanation ? { explanation: { ...explanation, map: undefined } } : {}),
        ...(anomaly ? { anomaly: { ...anomaly, map: undefined } } : {}),
        ...(heatmap ? { heatmap } : {}),
        ...(segmentation ? { segmentation: publishMask(media, segmentation) } : {}),
        ...(runIds[i] !== undefined ? { runId: runIds[i] } : {}),
      };
    }),
  } as Output<'inspect.run'>;
}

export async function runInspect(
  ctx: { worker: WorkerClient; grants: AccessGrants; media: MediaStore; history: HistoryAccess },
  input: Input<'inspect.run'>,
): Promise<Output<'inspect.run'>> {
  const looksLikePath = (p: string) => /[\\/]/.test(p);
  const store = ctx.history.get();
  const report = await ctx.worker.call('inspect', {
    // The station's applied threshold versions decide; results say whether the pack was validated here.
    calibration: stationCalibration(store.db),
    paths: input.paths.map((p) => ctx.grants.check(p)),
    // A name (no slash, so also `..`) resolves only to an installed pack; a folder must be granted.
    ...(input.pack ? { packs: [looksLikePath(input.pack) ? ctx.grants.check(input.pack) : input.pack] } : {}),
    // The worker re-checks every hop on real paths: folder entries, and packs named by inspector.yaml.
    roots: ctx.grants.list(),
    ...(input.method ? { method: input.method } : {}),
    ...(input.camLayers && input.pack ? { camLayers: input.camLayers } : {}),
    ...(input.grounding ? { grounding: input.grounding } : {}),
    ...(input.config ? { config: ctx.grants.check(input.config) } : {}),
  });
  // Every inspection is recorded before the renderer sees it: the run id is what a review refers to.
  const runIds = await recordReport(ctx.worker, store, report, { operatorId: store.currentOperator()?.id ?? null });
  return toRunResult(report, ctx.media, runIds);
}
