/**
 * Choosing and measuring a pack's guard: every candidate statistic is fitted on the reference
 * (validation) images and scored on held-out own images (false alarms) and foreign sets
 * (detection). The chosen one is the candidate given, or else the one with the highest detection
 * over all foreign images among those whose false-alarm rate meets the target.
 */
import { expandPaths } from '../engine/inspect';
import { SessionCache } from '../engine/session';
import type { LoadedPack } from '../packs/load';
import type { GuardSpec } from '../packs/manifest';
import { envelopeOf, envelopeOfDomains, featurise, FEATURES, fitDomainHistogram, fitStatistic, rates, type Feature, type GuardOptions, type ImageFeatures, type SetRate } from './calibrate';
import { embeddingTensor, layerTensors } from './features';
import type { GuardFile } from './guard';

export interface Domain {
  name: string;
  path: string;
}

export interface StudyInput {
  /** One folder, or one per training domain (the envelope becomes the union of per-domain envelopes). */
  reference: string | Domain[];
  /** Held-out own images: one folder, or one per domain (each its own false-alarm set). */
  own?: string | Domain[];
  foreign: { name: string; path: string }[];
  /** At most this many images per foreign set, spread evenly over the sorted files. */
  limit?: number;
  falseAlarmTarget?: number;
}

export interface Candidate {
  feature: Feature;
  /** How the candidate differs from another of the same feature (a multi-domain histogram: union or pooled). */
  variant?: string;
  falseAlarm: number;
  detection: number;
  sets: SetRate[];
}

export interface Study {
  tensor: string;
  layers: string[];
  referenceCount: number;
  candidates: Candidate[];
  chosen: Feature;
  chosenVariant?: string;
  /** The per-domain reference sets, for a multi-domain pack. */
  domains?: { name: string; n: number }[];
  guard: GuardSpec;
  file?: GuardFile;
  sets: SetRate[];
}

const PREFERENCE: Feature[] = ['layers', 'embedding', 'histogram', 'max-probability', 'energy'];

function spread(paths: string[], limit: number | undefined): string[] {
  if (!limit || paths.length <= limit) return paths;
  const step = paths.length / limit;
  return Array.from({ length: limit }, (_, i) => paths[Math.floor(i * step)]!);
}

const summary = (sets: SetRate[]) => {
  const own = sets.filter((s) => s.own);
  const foreign = sets.filter((s) => !s.own);
  const sum = (v: SetRate[], k: 'n' | 'flagged') => v.reduce((a, s) => a + s[k], 0);
  return {
    falseAlarm: own.length ? sum(own, 'flagged') / Math.max(1, sum(own, 'n')) : NaN,
    detection: foreign.length ? sum(foreign, 'flagged') / Math.max(1, sum(foreign, 'n')) : NaN,
  };
};

export async function studyGuard(pack: LoadedPack, input: StudyInput, opts: GuardOptions = {}): Promise<Study> {
  if (Array.isArray(input.reference) || pack.manifest.kind === 'grounding') return studyDomains(pack, input, opts);
  const cache = new SessionCache();
  try {
    const tensor = await embeddingTensor(pack);
    const layers = layerTensors(pack, tensor);
    const ref = await featurise(pack, expandPaths([input.reference]), layers, cache);
    const sets: { name: string; own: boolean; items: ImageFeatures[]; failed: number }[] = [];
    if (typeof input.own === 'string') {
      const own = await featurise(pack, expandPaths([input.own]), layers, cache);
      sets.push({ name: 'own held-out', own: true, items: own.items, failed: own.failed.length });
    }
    await foreignSets(pack, input, layers, cache, sets);
    const accepts = envelopeOf(ref.items, opts, pack);
    const candidates: Candidate[] = [];
    const fitted = new Map<Feature, ReturnType<typeof fitStatistic>>();
    for (const feature of FEATURES) {
      if ((feature === 'max-probability' || feature === 'energy') && pack.manifest.kind !== 'classifier') continue;
      const fit = fitStatistic(feature, ref.items, layers, opts);
      fitted.set(feature, fit);
      const r = rates({ accepts, statistic: fit.spec }, fit.file, sets);
      candidates.push({ feature, ...summary(r), sets: r });
    }
    const target = input.falseAlarmTarget ?? 0.02;
    const ok = candidates.filter((c) => !(c.falseAlarm > target));
    // Ties go to the earlier candidate in FEATURES (layers before the deepest layer alone, before
    // the histogram, before the model's confidence): the richer view of the input wins a tie.
    const rank = (f: Feature) => PREFERENCE.indexOf(f);
    const chosen =
      opts.feature ??
      (ok.length ? ok : candidates).reduce((a, b) => (b.detection > a.detection || (b.detection === a.detection && rank(b.feature) < rank(a.feature)) ? b : a)).feature;
    const fit = fitted.get(chosen)!;
    const final = candidates.find((c) => c.feature === chosen)!;
    const guard: GuardSpec = { accepts, statistic: fit.spec, measured: measuredOf(ref.items.length, input, final.sets) };
    return { tensor, layers, referenceCount: ref.items.length, candidates, chosen, guard, ...(fit.file ? { file: fit.file } : {}), sets: final.sets };
  } finally {
    await cache.clear();
  }
}

type Sets = { name: string; own: boolean; items: ImageFeatures[]; failed: number }[];

async function foreignSets(pack: LoadedPack, input: StudyInput, layers: readonly string[], cache: SessionCache, sets: Sets): Promise<void> {
  for (const f of input.foreign) {
    const r = await featurise(pack, spread(expandPaths([f.path]), input.limit), layers, cache);
    sets.push({ name: f.name, own: false, items: r.items, failed: r.failed.length });
  }
}

function measuredOf(referenceImages: number, input: StudyInput, sets: SetRate[]): Record<string, number> {
  const measured: Record<string, number> = { referenceImages };
  const s = summary(sets);
  if (input.own) measured['falseAlarmRate'] = s.falseAlarm;
  if (input.foreign.length) measured['detectionRate'] = s.detection;
  for (const set of sets) {
    const key = set.name.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''));
    measured[`${key}N`] = set.n;
    measured[`${key}Flagged`] = set.flagged;
  }
  return measured;
}

const asDomains = (v: string | Domain[]): Domain[] => (typeof v === 'string' ? [{ name: 'all', path: v }] : v);

/**
 * A pack whose inputs come from several domains, or a grounding pack: the image statistics (the
 * histogram of the model view, colour, size) without a model run — a grounding graph needs the
 * prompt's tokens with the pixels, and its boxes carry no class probability to score. Candidates:
 * the union of per-domain histogram Gaussians and one Gaussian pooled over the domains; the same
 * choice rule (best detection within the false-alarm target; ties to the union).
 */
async function studyDomains(pack: LoadedPack, input: StudyInput, opts: GuardOptions): Promise<Study> {
  const cache = new SessionCache();
  try {
    const domains: { name: string; items: ImageFeatures[] }[] = [];
    for (const d of asDomains(input.reference)) domains.push({ name: d.name, items: (await featurise(pack, expandPaths([d.path]), [], cache)).items });
    const sets: Sets = [];
    if (input.own) {
      for (const d of asDomains(input.own)) {
        const r = await featurise(pack, expandPaths([d.path]), [], cache);
        sets.push({ name: typeof input.own === 'string' ? 'own held-out' : `own held-out ${d.name}`, own: true, items: r.items, failed: r.failed.length });
      }
    }
    await foreignSets(pack, input, [], cache, sets);
    const accepts = envelopeOfDomains(domains, opts);
    // Covariance shrinkage is a candidate too: 136–300 images per domain in 32 bins leave the
    // per-domain covariances noisy, and how much to shrink them is measured, not assumed.
    const alphas = opts.shrinkage !== undefined ? [opts.shrinkage] : [0.1, 0.3, 0.5];
    const variants = alphas.flatMap((a) => [
      { variant: `union of per-domain, α ${a}`, fit: fitDomainHistogram(domains, { ...opts, shrinkage: a }) },
      { variant: `pooled, α ${a}`, fit: fitDomainHistogram(domains, { ...opts, shrinkage: a }, true) },
    ]);
    const candidates: Candidate[] = variants.map((v) => {
      const r = rates({ accepts, statistic: v.fit.spec }, v.fit.file, sets);
      return { feature: 'histogram', variant: v.variant, ...summary(r), sets: r };
    });
    const target = input.falseAlarmTarget ?? 0.02;
    const ok = candidates.filter((c) => !(c.falseAlarm > target));
    const pool = ok.length ? ok : candidates;
    // Best detection; ties to the lower false-alarm rate, then to the earlier (union, less shrunk) candidate.
    const best = pool.reduce((a, b) => (b.detection > a.detection || (b.detection === a.detection && b.falseAlarm < a.falseAlarm) ? b : a));
    const fit = variants.find((v) => v.variant === best.variant)!.fit;
    const n = domains.reduce((a, d) => a + d.items.length, 0);
    const guard: GuardSpec = { accepts, statistic: fit.spec, measured: measuredOf(n, input, best.sets) };
    return {
      tensor: '',
      layers: [],
      referenceCount: n,
      candidates,
      chosen: 'histogram',
      chosenVariant: best.variant!,
      domains: domains.map((d) => ({ name: d.name, n: d.items.length })),
      guard,
      file: fit.file,
      sets: best.sets,
    };
  } finally {
    await cache.clear();
  }
}
