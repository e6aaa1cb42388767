/**
 * Grounding packs inside the engine: one GroundingModel per pack on the engine's session cache,
 * each image detected with the run's prompt and thresholds (the pack's by default). Detections
 * become the result's `grounding` section and, as boxes, its regions — so everything that already
 * shows or records regions (viewer box layer, history) carries them.
 */
import { toErrorInfo, type ErrorInfo } from '../../shared/errors';
import type { EngineImage } from '../engine/image';
import type { SessionCache, SessionSettings } from '../engine/session';
import type { LoadedPack } from '../packs/load';
import type { Region } from '../regions/regions';
import { GroundingModel, type GroundingRun } from './model';
import type { Detection } from './postprocess';

export interface GroundingOptions {
  prompt?: string;
  boxThreshold?: number;
  textThreshold?: number;
}

export type GroundingResult = Omit<GroundingRun, 'timings' | 'detections'>;

export interface GroundingImageResult {
  run?: GroundingRun;
  error?: ErrorInfo;
}

const models = new WeakMap<SessionCache, Map<string, GroundingModel>>();

function modelFor(pack: LoadedPack, cache: SessionCache, settings: SessionSettings): GroundingModel {
  let byPack = models.get(cache);
  if (!byPack) models.set(cache, (byPack = new Map()));
  const key = `${pack.manifestSha256}:${pack.dir}`;
  let m = byPack.get(key);
  if (!m) byPack.set(key, (m = GroundingModel.open(pack.dir, pack.manifest.model, settings, cache)));
  return m;
}

export async function runGrounding(
  pack: LoadedPack,
  images: readonly EngineImage[],
  opts: GroundingOptions,
  cache: SessionCache,
  settings: SessionSettings,
): Promise<{ results: GroundingImageResult[]; provider: string; providerAttempts: { provider: string; ok: boolean; reason?: string }[] }> {
  const g = pack.manifest.grounding!;
  const model = modelFor(pack, cache, settings);
  const io = await model.interface();
  const results: GroundingImageResult[] = [];
  for (const img of images) {
    try {
      const run = await model.detect(img, opts.prompt ?? g.prompt, {
        boxThreshold: opts.boxThreshold ?? g.boxThreshold,
        textThreshold: opts.textThreshold ?? g.textThreshold,
        ...(g.nmsIou !== undefined ? { nmsIou: g.nmsIou } : {}),
      });
      results.push({ run });
    } catch (err) {
      results.push({ error: toErrorInfo(err) });
    }
  }
  return { results, provider: io.provider, providerAttempts: io.attempts };
}

/** A box as a region: the peak is the score, placed at the box centre. */
export function detectionRegion(d: Detection): Region {
  return {
    x: Math.round(d.x),
    y: Math.round(d.y),
    width: Math.max(1, Math.round(d.width)),
    height: Math.max(1, Math.round(d.height)),
    area: Math.round(d.width * d.height),
    peak: d.score,
    mean: d.score,
    peakX: Math.round(d.x + d.width / 2),
    peakY: Math.round(d.y + d.height / 2),
  };
}
