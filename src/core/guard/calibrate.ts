/**
 * `inspector pack guard`: records a pack's input envelope from its reference (validation) images,
 * and measures it — the share of held-out own images flagged (false alarms) and of foreign images
 * flagged (detection). Runs on the app's own engine and preprocessing, so the numbers are what
 * inference will see.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { InspectorError } from '../../shared/errors';
import { maxBatch } from '../engine/engine';
import { loadImage, type EngineImage } from '../engine/image';
import type { SessionCache } from '../engine/session';
import { MANIFEST_FILE } from '../packs/discover';
import { loadPack, sha256, type LoadedPack } from '../packs/load';
import { Manifest, type GuardSpec } from '../packs/manifest';
import { embeddingTensor, extractFeatures, inputFeatures, type GuardFeatures } from './features';
import { judge, statisticFlags, statisticValue, type GuardFile } from './guard';
import { crossFittedDistances, fitGaussian, mahalanobis, quantile } from './stats';

export const GUARD_FILE = 'guard.json';
export type Feature = NonNullable<GuardSpec['statistic']>['feature'];
export const FEATURES: Feature[] = ['embedding', 'layers', 'histogram', 'max-probability', 'energy'];

export interface GuardOptions {
  /** DICOM modalities the pack takes (the reference folder is usually PNG/JPEG exports). */
  dicomModalities?: ('ct' | 'xray' | 'rgb' | 'other')[];
  feature?: Feature;
  /** Quantile of the reference statistic (cross-fitted for Gaussians) that becomes the threshold. */
  quantile?: number;
  /** Sizes accepted: [min / margin, max × margin] of the reference images' sides. */
  sizeMargin?: number;
  shrinkage?: number;
}

export interface ImageFeatures {
  source: string;
  image: EngineImage;
  features: GuardFeatures;
}

/** Decodes and featurises files in small batches (a failed file is skipped and counted). */
export async function featurise(pack: LoadedPack, paths: readonly string[], tensors: readonly string[], cache: SessionCache): Promise<{ items: ImageFeatures[]; failed: string[] }> {
  const items: ImageFeatures[] = [];
  const failed: string[] = [];
  const batch = maxBatch(pack, 16);
  for (let s = 0; s < paths.length; s += batch) {
    const imgs: EngineImage[] = [];
    for (const p of paths.slice(s, s + batch)) {
      try {
        const img = await loadImage(p);
        // Features are computed from pixels; the decoded pixels of a large file need not stay.
        imgs.push(img);
      } catch {
        failed.push(p);
      }
    }
    if (imgs.length === 0) continue;
    // No internal tensors (a grounding pack: its graph needs the prompt's tokens too): the
    // image statistics alone, without a model run.
    const feats = tensors.length ? await extractFeatures(pack, imgs, tensors, { cache, withLogits: true }) : imgs.map((img) => inputFeatures(pack, img));
    imgs.forEach((img, i) => items.push({ source: img.source, image: { ...img, data: new Float32Array(0) }, features: feats[i]! }));
  }
  return { items, failed };
}

const sideRange = (v: number[], down: number, up: number): [number, number] => [Math.max(1, Math.floor(Math.min(...v) / down)), Math.ceil(Math.max(...v) * up)];

export function envelopeOf(ref: ImageFeatures[], opts: GuardOptions, pack: LoadedPack): GuardSpec['accepts'] {
  const margin = opts.sizeMargin ?? 4;
  // Larger images are common (radiographs are exported downscaled for training): allow twice the margin up.
  const chroma = ref.map((r) => r.features.chroma);
  const gray = pack.manifest.input.channels === 1 || pack.manifest.input.colour === 'gray';
  const maxChroma = Math.max(...chroma);
  const minChroma = Math.min(...chroma);
  return {
    colour: gray ? 'gray' : 'rgb',
    // Twice the largest (gray) or half the smallest (colour) chroma of the reference, with a floor
    // that JPEG chroma noise on a gray picture stays under.
    ...(gray ? { chromaMax: Number(Math.max(0.03, 2 * maxChroma).toPrecision(4)) } : { chromaMin: Number((minChroma / 2).toPrecision(4)) }),
    dicomModalities: opts.dicomModalities ?? [],
    width: sideRange(ref.map((r) => r.image.width), margin, 2 * margin),
    height: sideRange(ref.map((r) => r.image.height), margin, 2 * margin),
    derivation: {
      method: `sides: [min / ${margin}, max × ${2 * margin}] of the reference images; chroma: ${gray ? '2 × max (≥ 0.03)' : 'min / 2'} of theirs`,
      stats: { n: ref.length, chromaMin: minChroma, chromaMax: maxChroma },
    },
  };
}

/**
 * The union of per-domain envelopes (a pack trained on several kinds of image: a grounding pack's
 * PCB scans, CT slices and colour photos): sides span every domain's range; the colour rule is the
 * domains' common one — gray when every domain is gray, rgb when every one is colour, else any.
 */
export function envelopeOfDomains(domains: { name: string; items: ImageFeatures[] }[], opts: GuardOptions): GuardSpec['accepts'] {
  const margin = opts.sizeMargin ?? 4;
  const all = domains.flatMap((d) => d.items);
  // A domain is gray when its images carry (almost) no colour: JPEG chroma noise stays under 0.03.
  const grayDomain = domains.map((d) => Math.max(...d.items.map((r) => r.features.chroma)) <= 0.03);
  const chroma = all.map((r) => r.features.chroma);
  const maxChroma = Math.max(...chroma);
  const minChroma = Math.min(...chroma);
  const colour = grayDomain.every(Boolean) ? 'gray' : grayDomain.some(Boolean) ? 'any' : 'rgb';
  return {
    colour,
    ...(colour === 'gray' ? { chromaMax: Number(Math.max(0.03, 2 * maxChroma).toPrecision(4)) } : colour === 'rgb' ? { chromaMin: Number((minChroma / 2).toPrecision(4)) } : {}),
    dicomModalities: opts.dicomModalities ?? [],
    width: sideRange(all.map((r) => r.image.width), margin, 2 * margin),
    height: sideRange(all.map((r) => r.image.height), margin, 2 * margin),
    derivation: {
      method: `union of ${domains.length} domains (${domains.map((d, i) => `${d.name}: ${grayDomain[i] ? 'gray' : 'colour'}`).join(', ')}): sides [min / ${margin}, max × ${2 * margin}] of all reference images; colour: ${colour}`,
      stats: { n: all.length, chromaMin: minChroma, chromaMax: maxChroma },
    },
  };
}

/**
 * The histogram statistic as a union of per-domain Gaussians: an image's value is its distance to
 * the nearest domain, in that domain's typical distance. One Gaussian pooled over dissimilar domains
 * (bimodal PCB scans, dark CT slices, bright photos) is so broad that foreign images fall inside it;
 * `pooled` fits that one Gaussian instead, the comparison the study measures.
 */
export function fitDomainHistogram(domains: { name: string; items: ImageFeatures[] }[], opts: GuardOptions, pooled = false): { spec: NonNullable<GuardSpec['statistic']>; file: GuardFile } {
  const q = opts.quantile ?? 0.99;
  const shrinkage = opts.shrinkage ?? 0.1;
  const groups = pooled ? [{ name: 'pooled', items: domains.flatMap((d) => d.items) }] : domains;
  const rows = groups.map((d) => d.items.map((r) => r.features.histogram));
  const gaussians = rows.map((r) => fitGaussian(r, shrinkage));
  const cross = rows.map((r) => crossFittedDistances(r, 5, shrinkage));
  const scales = cross.map((c) => quantile(c, 0.5));
  // Each reference image: cross-fitted to its own domain, plain distance to the others (it was not in their fit).
  const combined = rows.flatMap((r, d) => r.map((x, i) => Math.min(cross[d]![i]! / scales[d]!, ...gaussians.map((g, k) => (k === d ? Infinity : mahalanobis(g, x) / scales[k]!)))));
  const threshold = quantile(combined, q);
  return {
    spec: {
      feature: 'histogram',
      file: GUARD_FILE,
      threshold,
      derivation: {
        method: `q${q * 100} over the reference images of the 5-fold cross-fitted Mahalanobis distance of the 32-bin sqrt histogram of the model view ${pooled ? 'to one Gaussian pooled over' : 'to the nearest of the per-domain Gaussians of'} ${domains.map((d) => d.name).join(', ')}, in units of that Gaussian's median (covariance shrunk by α = ${shrinkage})`,
        stats: { n: combined.length, dims: rows[0]![0]!.length, p50: quantile(combined, 0.5), p99: quantile(combined, 0.99), max: Math.max(...combined) },
      },
    },
    file: { feature: 'histogram', gaussians, scales, domains: groups.map((d) => d.name) },
  };
}

/**
 * The statistic's threshold and, for the Gaussians, the model, from the reference features.
 * `layers` is the list of embedding tensors (deepest last); `embedding` uses only the deepest.
 */
export function fitStatistic(feature: Feature, ref: ImageFeatures[], layers: readonly string[], opts: GuardOptions): { spec: NonNullable<GuardSpec['statistic']>; file?: GuardFile } {
  const q = opts.quantile ?? 0.99;
  const shrinkage = opts.shrinkage ?? 0.1;
  if (feature === 'embedding' || feature === 'layers' || feature === 'histogram') {
    const picks = feature === 'histogram' ? [-1] : feature === 'embedding' ? [layers.length - 1] : layers.map((_, i) => i);
    const rowsOf = (l: number) => ref.map((r) => (l < 0 ? r.features.histogram : r.features.embedding[l]!));
    const gaussians = picks.map((l) => fitGaussian(rowsOf(l), shrinkage));
    const cross = picks.map((l) => crossFittedDistances(rowsOf(l), 5, shrinkage));
    const scales = cross.map((c) => quantile(c, 0.5));
    const combined = ref.map((_, i) => Math.max(...cross.map((c, k) => c[i]! / scales[k]!)));
    const threshold = quantile(combined, q);
    const tensors = feature === 'histogram' ? undefined : picks.map((l) => layers[l]!);
    const what = feature === 'histogram' ? '32-bin sqrt histogram of the model view' : `global averages of ${tensors!.join(', ')}`;
    return {
      spec: {
        feature,
        ...(tensors ? { tensors } : {}),
        file: GUARD_FILE,
        threshold,
        derivation: {
          method: `q${q * 100} over the reference images of the ${picks.length > 1 ? 'largest ' : ''}5-fold cross-fitted Mahalanobis distance${picks.length > 1 ? ' per layer' : ''}, in units of its median (${what}; covariance shrunk by α = ${shrinkage})`,
          stats: { n: ref.length, dims: picks.reduce((a, l) => a + rowsOf(l)[0]!.length, 0), p50: quantile(combined, 0.5), p99: quantile(combined, 0.99), max: Math.max(...combined) },
        },
      },
      file: { feature, ...(tensors ? { tensors } : {}), gaussians, scales },
    };
  }
  const values = ref.map((r) => (feature === 'max-probability' ? r.features.maxProbability : r.features.energy)).filter((v): v is number => v !== undefined);
  if (values.length === 0) throw new InspectorError('USAGE', `--feature ${feature} needs a classifier pack.`);
  const threshold = feature === 'max-probability' ? quantile(values, 1 - q) : quantile(values, q);
  return {
    spec: {
      feature,
      threshold,
      derivation: { method: `${feature === 'max-probability' ? `q${((1 - q) * 100).toPrecision(2)}` : `q${q * 100}`} of the reference images' ${feature}`, stats: { n: values.length, p50: quantile(values, 0.5) } },
    },
  };
}

export interface SetRate {
  name: string;
  own: boolean;
  n: number;
  flagged: number;
  rate: number;
  /** Flagged by the envelope's rules alone and by the statistic alone. */
  byRules: number;
  byStatistic: number;
  failedToDecode: number;
}

/** Share of each set flagged by a guard (rules + statistic). */
export function rates(spec: GuardSpec, file: GuardFile | undefined, sets: { name: string; own: boolean; items: ImageFeatures[]; failed: number }[]): SetRate[] {
  return sets.map((s) => {
    let flagged = 0;
    let byRules = 0;
    let byStatistic = 0;
    for (const it of s.items) {
      const check = judge(spec, it.image, it.features, file);
      if (check.outOfDistribution) flagged++;
      const ruleOnly = judge({ ...spec, statistic: undefined }, it.image, it.features, file);
      if (ruleOnly.outOfDistribution) byRules++;
      if (spec.statistic && statisticFlags(spec.statistic, statisticValue(spec.statistic, it.features, file))) byStatistic++;
    }
    const n = s.items.length;
    return { name: s.name, own: s.own, n, flagged, rate: n ? flagged / n : NaN, byRules, byStatistic, failedToDecode: s.failed };
  });
}

/**
 * Writes guard.json and the manifest's `guard` section. pack.yaml is edited as text — the `guard:`
 * block replaced or appended, the guard file's hash set under `files:` — so the rest of the file
 * (written by training/package.py, reviewed by people) stays byte for byte as it was.
 */
export function writeGuard(dir: string, guard: GuardSpec, file: GuardFile | undefined): LoadedPack {
  const path = join(dir, MANIFEST_FILE);
  let text = readFileSync(path, 'utf8');
  // Drop an earlier guard block: from `guard:` to the next top-level key or the end.
  text = text.replace(/^guard:\n(?:[ #].*\n|\n)*/m, '');
  text = text.replace(new RegExp(`^  ${GUARD_FILE.replace('.', '\\.')}: [0-9a-f]{64}\n`, 'm'), '');
  if (file) {
    // Six significant digits: the file stays reviewable and hashes stably across platforms.
    const round = (v: number[]) => v.map((x) => Number(x.toPrecision(6)));
    const body = JSON.stringify({ ...file, gaussians: file.gaussians.map((g) => ({ ...g, mean: round(g.mean), precision: round(g.precision) })) });
    writeFileSync(join(dir, GUARD_FILE), body + '\n');
    const hash = sha256(readFileSync(join(dir, GUARD_FILE)));
    if (!/^files:\n/m.test(text)) throw new InspectorError('PACK_MANIFEST_INVALID', `${path} has no files: section.`);
    text = text.replace(/^files:\n/m, `files:\n  ${GUARD_FILE}: ${hash}\n`);
  }
  if (!text.endsWith('\n')) text += '\n';
  text += stringify({ guard }, { lineWidth: 120 });
  const parsed = Manifest.safeParse(parse(text));
  if (!parsed.success) throw new InspectorError('PACK_MANIFEST_INVALID', `The guard would make pack.yaml invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  writeFileSync(path, text);
  return loadPack(dir);
}

/** Re-registers the SHA-256 of every file the manifest lists (after a model card edit). */
export function rehash(dir: string): void {
  const path = join(dir, MANIFEST_FILE);
  const text = readFileSync(path, 'utf8');
  const doc = parse(text) as { files: Record<string, string> };
  let out = text;
  for (const [rel, old] of Object.entries(doc.files)) {
    const now = sha256(readFileSync(join(dir, rel)));
    if (now !== old) out = out.replace(old, now);
  }
  writeFileSync(path, out);
}

export { embeddingTensor };
