/**
 * The input guard at inference: is this image inside the envelope the pack recorded at creation
 * (pack.yaml `guard`)? The envelope's rules come first (DICOM modality, colour, size), then the
 * statistic (by default the Mahalanobis distance of the model's embedding to its reference
 * images). Any miss flags the image INPUT_OUT_OF_DISTRIBUTION with the reasons, and the engine
 * makes its decision UNCERTAIN: a model's answer on an image unlike its training data is not
 * evidence either way.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InspectorError } from '../../shared/errors';
import type { EngineImage } from '../engine/image';
import type { SessionCache, SessionSettings } from '../engine/session';
import type { LoadedPack } from '../packs/load';
import type { GuardSpec } from '../packs/manifest';
import { confidenceOf, extractFeatures, featuresFromActivations, inputFeatures, type GuardFeatures, type TensorData } from './features';
import { mahalanobis, type Gaussian } from './stats';

export const OOD_CODE = 'INPUT_OUT_OF_DISTRIBUTION';

export interface GuardCheck {
  /** True when the image is outside the pack's envelope. */
  outOfDistribution: boolean;
  code?: typeof OOD_CODE;
  /** One sentence per rule the image broke. */
  reasons: string[];
  /** The statistic's value on this image and the pack's threshold for it. */
  statistic?: { feature: string; value: number; threshold: number };
}

/**
 * guard.json: the reference Gaussians of the chosen feature, one per embedding tensor (one for the
 * histogram), and each one's typical distance (median of the cross-fitted reference distances):
 * the statistic is the largest distance in units of its typical distance.
 */
export interface GuardFile {
  feature: 'embedding' | 'layers' | 'histogram';
  tensors?: string[];
  gaussians: Gaussian[];
  scales: number[];
  /**
   * histogram of a multi-domain pack: gaussians[k] / scales[k] belong to domain k, and the value is
   * the distance to the nearest domain (the union of the per-domain envelopes).
   */
  domains?: string[];
}

const models = new WeakMap<LoadedPack, GuardFile>();

export function guardFile(pack: LoadedPack): GuardFile | undefined {
  const file = pack.manifest.guard?.statistic?.file;
  if (!file) return undefined;
  let g = models.get(pack);
  if (!g) {
    try {
      g = JSON.parse(readFileSync(join(pack.dir, file), 'utf8')) as GuardFile;
    } catch (err) {
      throw new InspectorError('PACK_FILE_MISSING', `The guard file ${file} of ${pack.manifest.name} cannot be read: ${(err as Error).message}`, { dir: pack.dir, file });
    }
    models.set(pack, g);
  }
  return g;
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));

/** The envelope's rules on the decoded image (no model run). */
export function envelopeReasons(accepts: GuardSpec['accepts'], img: EngineImage, chroma: number): string[] {
  const reasons: string[] = [];
  if (img.format === 'dicom' && !accepts.dicomModalities.includes(img.modality ?? 'other')) {
    reasons.push(`DICOM modality ${img.modality ?? 'unknown'} is not one the pack accepts (${accepts.dicomModalities.join(', ') || 'none'})`);
  }
  if (accepts.colour === 'gray' && accepts.chromaMax !== undefined && chroma > accepts.chromaMax) {
    reasons.push(`a colour image (chroma ${fmt(chroma)} > ${fmt(accepts.chromaMax)}) where the pack takes grayscale`);
  }
  if (accepts.colour === 'rgb' && (img.channels === 1 || (accepts.chromaMin !== undefined && chroma < accepts.chromaMin))) {
    reasons.push(`a grayscale image (chroma ${fmt(chroma)}) where the pack takes colour photos`);
  }
  const [w0, w1] = accepts.width;
  const [h0, h1] = accepts.height;
  if (img.width < w0 || img.width > w1 || img.height < h0 || img.height > h1) {
    reasons.push(`size ${img.width}×${img.height} outside the accepted ${w0}–${w1} × ${h0}–${h1} px`);
  }
  return reasons;
}

/** The statistic's value for one image's features. */
export function statisticValue(spec: NonNullable<GuardSpec['statistic']>, f: GuardFeatures, model: GuardFile | undefined): number {
  switch (spec.feature) {
    case 'embedding':
    case 'layers':
      // By name: the features may hold more tensors than the guard uses (calibration extracts them all).
      return Math.max(...model!.gaussians.map((g, l) => mahalanobis(g, f.embedding[f.tensors.indexOf(model!.tensors![l]!)]!) / model!.scales[l]!));
    case 'histogram':
      return Math.min(...model!.gaussians.map((g, k) => mahalanobis(g, f.histogram) / model!.scales[k]!));
    case 'max-probability':
      return f.maxProbability ?? NaN;
    case 'energy':
      return f.energy ?? NaN;
  }
}

export function statisticFlags(spec: NonNullable<GuardSpec['statistic']>, value: number): boolean {
  if (!Number.isFinite(value)) return true;
  return spec.feature === 'max-probability' ? value < spec.threshold : value > spec.threshold;
}

const DESCRIBE: Record<string, string> = {
  embedding: 'the model’s internal features are unlike its reference images (Mahalanobis distance, in typical reference distances,',
  layers: 'the model’s internal features are unlike its reference images (largest per-layer Mahalanobis distance, in typical reference distances,',
  histogram: 'the intensity histogram is unlike the reference images (Mahalanobis distance, in typical reference distances,',
  'max-probability': 'the model is less confident than on any typical reference image (max probability',
  energy: 'the model’s energy score is outside its reference images (energy',
};

export function judge(spec: GuardSpec, img: EngineImage, f: GuardFeatures, model: GuardFile | undefined): GuardCheck {
  const reasons = envelopeReasons(spec.accepts, img, f.chroma);
  let statistic: GuardCheck['statistic'];
  if (spec.statistic) {
    const value = statisticValue(spec.statistic, f, model);
    statistic = { feature: spec.statistic.feature, value, threshold: spec.statistic.threshold };
    if (statisticFlags(spec.statistic, value)) {
      const op = spec.statistic.feature === 'max-probability' ? '<' : '>';
      reasons.push(`${DESCRIBE[spec.statistic.feature]} ${fmt(value)} ${op} ${fmt(spec.statistic.threshold)})`);
    }
  }
  return { outOfDistribution: reasons.length > 0, ...(reasons.length ? { code: OOD_CODE } : {}), reasons, ...(statistic ? { statistic } : {}) };
}

/**
 * The internal activations the guard's statistic reads (embedding / layers); none for the
 * histogram, confidence and rule checks. The engine adds these to its own inference run's fetch
 * list, so the guard costs no second forward pass.
 */
export function guardTensors(pack: LoadedPack): string[] {
  const spec = pack.manifest.guard;
  if (!spec?.statistic || (spec.statistic.feature !== 'embedding' && spec.statistic.feature !== 'layers')) return [];
  return [...(spec.statistic.tensors ?? guardFile(pack)?.tensors ?? [])];
}

/**
 * Guards a batch. `logits` (classifiers) are the rows the engine already computed, used by the
 * confidence statistics instead of a second run of the head; `activations` are the guard's tensors
 * (`guardTensors`) fetched by the engine's inference run. Without them the guard runs the model
 * itself (calibration and callers outside the engine).
 */
export async function guardImages(
  pack: LoadedPack,
  images: readonly EngineImage[],
  opts: { cache: SessionCache; settings?: SessionSettings; logits?: (number[] | undefined)[]; activations?: Record<string, TensorData>; input?: { data: Float32Array; dims: readonly number[] } },
): Promise<GuardCheck[] | undefined> {
  const spec = pack.manifest.guard;
  if (!spec) return undefined;
  const model = guardFile(pack);
  const tensors = guardTensors(pack);
  let feats: GuardFeatures[];
  if (tensors.length) {
    const acts = opts.activations;
    feats = acts && tensors.every((t) => acts[t])
      ? featuresFromActivations(pack, images, tensors, acts, opts.input)
      : await extractFeatures(pack, images, tensors, { cache: opts.cache, ...(opts.settings ? { settings: opts.settings } : {}) });
  } else {
    // Histogram, confidence and rules need no embedding: no extra model run.
    feats = images.map((img) => inputFeatures(pack, img));
  }
  return images.map((img, i) => {
    const f = feats[i]!;
    const row = opts.logits?.[i];
    if (row) Object.assign(f, confidenceOf(row));
    return judge(spec, img, f, model);
  });
}

/**
 * What the engine does with a check: an out-of-distribution image's decision is UNCERTAIN, and it
 * gets no regions — they are defect locations, and the model's defects there are no evidence. The
 * map stays, so a reviewer still sees what the model looked at.
 */
export function applyGuard<R extends { decision: string; guard?: GuardCheck; error?: unknown; regions: unknown[] }>(results: R[], checks: GuardCheck[] | undefined): R[] {
  if (!checks) return results;
  results.forEach((r, i) => {
    const c = checks[i];
    if (!c) return;
    r.guard = c;
    if (c.outOfDistribution && !r.error) {
      r.decision = 'uncertain';
      r.regions = [];
    }
  });
  return results;
}
