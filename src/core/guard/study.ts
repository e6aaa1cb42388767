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
import { envelopeOf, featurise, FEATURES, fitStatistic, rates, type Feature, type GuardOptions, type ImageFeatures, type SetRate } from './calibrate';
import { embeddingTensor, layerTensors } from './features';
import type { GuardFile } from './guard';

export interface StudyInput {
  reference: string;
  own?: string;
  foreign: { name: string; path: string }[];
  /** At most this many images per foreign set, spread evenly over the sorted files. */
  limit?: number;
  falseAlarmTarget?: number;
}

export interface Candidate {
  feature: Feature;
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
  const cache = new SessionCache();
  try {
    const tensor = await embeddingTensor(pack);
    const layers = layerTensors(pack, tensor);
    const ref = await featurise(pack, expandPaths([input.reference]), layers, cache);
    const sets: { name: string; own: boolean; items: ImageFeatures[]; failed: number }[] = [];
    if (input.own) {
      const own = await featurise(pack, expandPaths([input.own]), layers, cache);
      sets.push({ name: 'own held-out', own: true, items: own.items, failed: own.failed.length });
    }
    for (const f of input.foreign) {
      const r = await featurise(pack, spread(expandPaths([f.path]), input.limit), layers, cache);
      sets.push({ name: f.name, own: false, items: r.items, failed: r.failed.length });
    }
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
    const measured: Record<string, number> = { referenceImages: ref.items.length };
    const s = summary(final.sets);
    if (input.own) measured['falseAlarmRate'] = s.falseAlarm;
    if (input.foreign.length) measured['detectionRate'] = s.detection;
    for (const set of final.sets) {
      const key = set.name.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''));
      measured[`${key}N`] = set.n;
      measured[`${key}Flagged`] = set.flagged;
    }
    const guard: GuardSpec = { accepts, statistic: fit.spec, measured };
    return { tensor, layers, referenceCount: ref.items.length, candidates, chosen, guard, ...(fit.file ? { file: fit.file } : {}), sets: final.sets };
  } finally {
    await cache.clear();
  }
}
