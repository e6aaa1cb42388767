/**
 * The inference engine: packs in, complete inspection results out. Holds the session cache (one
 * session per pack and variant, created on first use), batches images that wait together, and turns
 * classifier or anomaly outputs into one serialisable result per image: probabilities or scores,
 * decision, explanation or anomaly map with its scale, regions in image pixels, provider, timings.
 */
import { toErrorInfo, type ErrorInfo } from '../../shared/errors';
import { runAnomaly, type AnomalyOutput } from '../anomaly/anomaly';
import { runSegmentation, type SegmentationResult } from '../segmentation/run';
import type { ExplainMethod } from '../explain';
import { applyGuard, guardImages, guardTensors, type GuardCheck } from '../guard/guard';
import type { TensorData } from '../guard/features';
import { normalised, resizeMap, type HeatMap } from '../explain/scale';
import { detectionRegion, runGrounding, type GroundingOptions, type GroundingResult } from '../grounding/inspect';
import type { Detection } from '../grounding/postprocess';
import type { LoadedPack } from '../packs/load';
import { findRegions, type Region } from '../regions/regions';
import { runClassifier, type ClassifierOutput, type Explanation } from './classifier';
import type { ClassDecision, ClassScores } from './classify';
import { imageInfo, loadImage, type EngineImage } from './image';
import { SessionCache, type ProviderAttempt, type SessionSettings } from './session';

export interface PackRef {
  name: string;
  version: string;
  kind: string;
  dir: string;
  manifestSha256: string;
  files: Record<string, string>;
  /** [height, width] of the model input: saved maps are written at this resolution. */
  inputSize: [number, number];
}

export interface InspectionResult {
  source: string;
  image: ReturnType<typeof imageInfo>;
  pack: PackRef;
  provider: string;
  providerAttempts: ProviderAttempt[];
  decision: ClassDecision | 'error';
  /** The class (classifier) or `anomaly` that drove a defect/uncertain decision. */
  drivingLabel?: string;
  /** Comparable across packs: defect probability (classifier) or normalised anomaly score. */
  defectScore?: number;
  classification?: ClassScores & { logits: number[] };
  explanation?: Explanation;
  anomaly?: AnomalyOutput;
  /** Segmentation packs: class mask at model resolution, areas, regions with physical areas. */
  segmentation?: SegmentationResult;
  /** Grounding packs: the boxes in image pixels, best first (also listed as regions). */
  detections?: Detection[];
  /** Grounding packs: the prompt (caption) used, its phrases and thresholds, the ONNX contract. */
  grounding?: GroundingResult;
  regions: Region[];
  timings: { preprocessMs: number; inferenceMs: number; explainMs: number; totalMs: number; batchSize: number };
  /** The input guard's check (packs with a `guard`): out of distribution means decision `uncertain`. */
  guard?: GuardCheck;
  error?: ErrorInfo;
}

export interface InspectOptions {
  method?: ExplainMethod;
  batchSize?: number;
  /** Regions: foreground where the displayed (scaled) map ≥ this; anomaly maps use their 0.5 threshold. */
  regionThreshold?: number;
  minRegionArea?: number;
  /** Grounding packs: overrides of the pack's prompt and thresholds for this run. */
  grounding?: GroundingOptions;
  /** The grants every file must still be inside when it is read (the walk checked them once before). */
  roots?: readonly string[];
}

export interface EngineSettings extends SessionSettings {
  batchSize?: number;
}

export function packRef(pack: LoadedPack): PackRef {
  const m = pack.manifest;
  return { name: m.name, version: m.version, kind: m.kind, dir: pack.dir, manifestSha256: pack.manifestSha256, files: m.files, inputSize: m.input.size };
}

function regionsOf(map: HeatMap, img: EngineImage, threshold: number, minArea: number | undefined): Region[] {
  if (!map.valid) return [];
  const full = resizeMap(map, img.width, img.height);
  return findRegions(normalised(full), img.width, img.height, {
    threshold,
    minArea: minArea ?? Math.max(4, Math.round(img.width * img.height * 0.001)),
    maxRegions: 20,
  });
}

/** Largest batch the model's input accepts (a fixed leading dimension caps it). */
/** A graph exported with a fixed batch size takes exactly that many images per run. */
export function maxBatch(pack: LoadedPack, wanted: number): number {
  const input = pack.graph.inputs.find((i) => i.name === pack.manifest.input.name);
  const lead = input?.shape?.[0];
  return lead !== undefined && lead > 0 ? lead : wanted;
}

export class Engine {
  readonly cache = new SessionCache();

  constructor(readonly settings: EngineSettings = {}) {}

  async inspectImages(pack: LoadedPack, images: readonly EngineImage[], opts: InspectOptions = {}): Promise<InspectionResult[]> {
    const batch = maxBatch(pack, opts.batchSize ?? this.settings.batchSize ?? 8);
    const results: InspectionResult[] = [];
    for (let s = 0; s < images.length; s += batch) results.push(...(await this.inspectBatch(pack, images.slice(s, s + batch), opts)));
    return results;
  }

  /** Decodes and inspects files; a file that fails to load gets an error result, the rest go on. */
  async inspectFiles(pack: LoadedPack, paths: readonly string[], opts: InspectOptions = {}): Promise<InspectionResult[]> {
    const loaded: (EngineImage | ErrorInfo)[] = [];
    for (const p of paths) loaded.push(await loadImage(p, opts.roots).catch((e: unknown) => toErrorInfo(e)));
    const ok = loaded.filter((x): x is EngineImage => 'data' in x);
    const done = await this.inspectImages(pack, ok, opts);
    let k = 0;
    return loaded.map((x, i) =>
      'data' in x
        ? done[k++]!
        : {
            source: paths[i]!,
            image: { width: 0, height: 0 },
            pack: packRef(pack),
            provider: '',
            providerAttempts: [],
            decision: 'error' as const,
            regions: [],
            timings: { preprocessMs: 0, inferenceMs: 0, explainMs: 0, totalMs: 0, batchSize: 0 },
            error: x,
          },
    );
  }

  /** Inspects, then guards: an image outside the pack's input envelope is flagged and UNCERTAIN. */
  private async inspectBatch(pack: LoadedPack, images: readonly EngineImage[], opts: InspectOptions): Promise<InspectionResult[]> {
    // The guard's activations ride on the inference run's fetch list: one forward pass, not two.
    const guardOutputs = pack.manifest.guard ? guardTensors(pack) : [];
    const { results, fetched, input } = await this.runBatch(pack, images, opts, guardOutputs);
    if (!pack.manifest.guard || results.every((r) => r.error)) return results;
    const logits = results.map((r) => r.classification?.logits);
    return applyGuard(results, await guardImages(pack, images, { cache: this.cache, settings: this.settings, logits, ...(fetched ? { activations: fetched } : {}), ...(input ? { input } : {}) }));
  }

  private async runBatch(
    pack: LoadedPack,
    images: readonly EngineImage[],
    opts: InspectOptions,
    extraOutputs: readonly string[] = [],
  ): Promise<{ results: InspectionResult[]; fetched?: Record<string, TensorData>; input?: { data: Float32Array; dims: readonly number[] } }> {
    const started = performance.now();
    const m = pack.manifest;
    const ref = packRef(pack);
    const n = images.length;
    if (m.kind === 'classifier') {
      const method = opts.method ?? m.explanation?.method ?? 'gradcam';
      const run = await runClassifier(pack, images, { method, cache: this.cache, settings: this.settings, extraOutputs });
      const total = performance.now() - started;
      const results = run.results.map((r: ClassifierOutput, i) => {
        const img = images[i]!;
        const res: InspectionResult = {
          source: img.source,
          image: imageInfo(img),
          pack: ref,
          provider: run.provider,
          providerAttempts: run.providerAttempts,
          decision: r.error ? 'error' : r.scores.decision,
          ...(r.error ? {} : { drivingLabel: r.scores.drivingLabel, defectScore: r.scores.defectScore }),
          classification: { ...r.scores, logits: r.logits },
          // Regions are defect locations: a map explaining a normal label (a good part's evidence) gives none.
          regions:
            r.explanation && !r.error && m.labels[r.explanation.targetClass]?.severity !== 'none'
              ? regionsOf(r.explanation.map, img, opts.regionThreshold ?? 0.5, opts.minRegionArea)
              : [],
          timings: { preprocessMs: run.timings.preprocessMs / n, inferenceMs: run.timings.inferenceMs / n, explainMs: run.timings.explainMs / n, totalMs: total / n, batchSize: n },
        };
        if (r.explanation) res.explanation = r.explanation;
        if (r.error) res.error = r.error;
        return res;
      });
      return { results, fetched: run.fetched, input: run.input };
    }
    if (m.kind === 'anomaly') {
      const run = await runAnomaly(pack, images, { cache: this.cache, settings: this.settings, extraOutputs });
      const total = performance.now() - started;
      const results = run.results.map((r, i) => {
        const img = images[i]!;
        const decision: InspectionResult['decision'] = r.error ? 'error' : r.anomalous === undefined ? 'uncertain' : r.anomalous ? 'defect' : 'pass';
        const res: InspectionResult = {
          source: img.source,
          image: imageInfo(img),
          pack: ref,
          provider: run.provider,
          providerAttempts: run.providerAttempts,
          decision,
          ...(r.score !== undefined ? { defectScore: r.score } : {}),
          ...(decision === 'defect' || decision === 'uncertain' ? { drivingLabel: 'anomaly' } : {}),
          anomaly: r,
          regions: r.error ? [] : regionsOf(r.map, img, 0.5, opts.minRegionArea),
          timings: { preprocessMs: run.timings.preprocessMs / n, inferenceMs: run.timings.inferenceMs / n, explainMs: run.timings.postprocessMs / n, totalMs: total / n, batchSize: n },
        };
        if (r.error) res.error = r.error;
        return res;
      });
      return { results, fetched: run.fetched, input: run.input };
    }
    if (m.kind === 'grounding') {
      const run = await runGrounding(pack, images, opts.grounding ?? {}, this.cache, this.settings);
      const total = performance.now() - started;
      return { results: run.results.map((r, i) => {
        const img = images[i]!;
        const g = r.run;
        const top = g?.detections[0];
        const res: InspectionResult = {
          source: img.source,
          image: imageInfo(img),
          pack: ref,
          provider: run.provider,
          providerAttempts: run.providerAttempts,
          decision: !g ? 'error' : top ? 'defect' : 'pass',
          ...(g ? { defectScore: top?.score ?? 0 } : {}),
          ...(top ? { drivingLabel: top.label } : {}),
          regions: g ? g.detections.map(detectionRegion) : [],
          timings: g
            ? { preprocessMs: g.timings.preprocessMs, inferenceMs: g.timings.inferenceMs, explainMs: g.timings.postprocessMs, totalMs: total / n, batchSize: 1 }
            : { preprocessMs: 0, inferenceMs: 0, explainMs: 0, totalMs: total / n, batchSize: 1 },
        };
        if (g) {
          const { timings: _t, detections, ...rest } = g;
          res.detections = detections;
          res.grounding = rest;
        }
        if (r.error) res.error = r.error;
        return res;
      }) };
    }
    if (m.kind === 'segmentation') {
      const run = await runSegmentation(pack, images, { cache: this.cache, settings: this.settings });
      const total = performance.now() - started;
      return { results: run.results.map((r, i) => {
        const img = images[i]!;
        const res: InspectionResult = {
          source: img.source,
          image: imageInfo(img),
          pack: ref,
          provider: run.provider,
          providerAttempts: run.providerAttempts,
          decision: r.error ? 'error' : r.decision,
          ...(r.error ? {} : { defectScore: r.score }),
          ...(r.drivingLabel ? { drivingLabel: r.drivingLabel } : {}),
          segmentation: r,
          regions: r.regions.map((g) => ({ x: g.box[0], y: g.box[1], width: g.box[2], height: g.box[3], area: g.areaPx, peak: g.score, mean: g.mean, peakX: g.box[0] + (g.box[2] >> 1), peakY: g.box[1] + (g.box[3] >> 1) })),
          timings: { preprocessMs: run.timings.preprocessMs / n, inferenceMs: run.timings.inferenceMs / n, explainMs: run.timings.postprocessMs / n, totalMs: total / n, batchSize: n },
        };
        if (r.error) res.error = r.error;
        return res;
      }) };
    }
    const error = { code: 'PACK_KIND_UNSUPPORTED', message: `Packs of kind ${m.kind} are not supported by this engine yet.` };
    const results = images.map((img) => ({
      source: img.source,
      image: imageInfo(img),
      pack: ref,
      provider: '',
      providerAttempts: [],
      decision: 'error' as const,
      regions: [],
      timings: { preprocessMs: 0, inferenceMs: 0, explainMs: 0, totalMs: 0, batchSize: n },
      error,
    }));
    return { results };
  }

  async close(): Promise<void> {
    await this.cache.clear();
  }
}
