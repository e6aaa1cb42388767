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
import { inspectTiled, type TilingRecord } from './tiling-run';
import { calibratePack, validationOf, type StationCalibration, type ThresholdInForce, type ValidationInfo } from './calibration';

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
  /** The threshold that decided: pack.yaml's or the station's applied version (with its id). */
  threshold?: ThresholdInForce;
  /** Whether these exact pack files were evaluated on this station ("not validated on this station"). */
  validation?: ValidationInfo;
  error?: ErrorInfo;
  /** Tiled packs (pack.yaml `tiling`): the tiling used and each tile's score; maps and regions are on the full image. */
  tiling?: TilingRecord;
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
  /**
   * The station's applied threshold versions and evaluated pack identities (from the history):
   * a version for these exact pack files replaces pack.yaml's thresholds. Absent: pack.yaml
   * decides and every result says it was not checked against a station history.
   */
  calibration?: StationCalibration;
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

/** An image that produced no result (unreadable file, unsupported pack kind): the error and nothing else. */
function failedResult(pack: LoadedPack, source: string, error: ErrorInfo, batchSize: number): InspectionResult {
  return {
    source,
    image: { width: 0, height: 0 },
    pack: packRef(pack),
    provider: '',
    providerAttempts: [],
    decision: 'error',
    regions: [],
    timings: { preprocessMs: 0, inferenceMs: 0, explainMs: 0, totalMs: 0, batchSize },
    error,
  };
}

/**
 * An applied band on an anomaly pack (T1 < T2, raw score): a raw score inside it goes to a person.
 * The classifier's band is applied by its own decision rule (manifest `decision.low`).
 */
function uncertainInBand(r: InspectionResult, t: ThresholdInForce): void {
  const raw = r.anomaly?.rawScore;
  if (raw === undefined || !(t.low < t.high) || r.decision !== 'pass' || raw < t.low) return;
  r.decision = 'uncertain';
  r.drivingLabel = 'anomaly';
}

/** A graph exported with a fixed batch size takes exactly that many images per run. */
export function maxBatch(pack: LoadedPack, wanted: number): number {
  const input = pack.graph.inputs.find((i) => i.name === pack.manifest.input.name);
  const lead = input?.shape?.[0];
  return lead !== undefined && lead > 0 ? lead : wanted;
}

export class Engine {
  readonly cache = new SessionCache();

  constructor(readonly settings: EngineSettings = {}) {}

  async inspectImages(given: LoadedPack, images: readonly EngineImage[], opts: InspectOptions = {}): Promise<InspectionResult[]> {
    const { pack, threshold, validation } = calibratePack(given, opts.calibration);
    const batch = maxBatch(pack, opts.batchSize ?? this.settings.batchSize ?? 8);
    const results: InspectionResult[] = [];
    const inBatches = async (imgs: readonly EngineImage[]) => {
      const out: InspectionResult[] = [];
      for (let s = 0; s < imgs.length; s += batch) out.push(...(await this.inspectBatch(pack, imgs.slice(s, s + batch), opts)));
      return out;
    };
    if (pack.manifest.tiling) {
      // Each image's tiles run batched like images; the result is stitched onto the full image.
      const runner = { run: inBatches, regions: (map: HeatMap, img: EngineImage, kind: 'explanation' | 'anomaly') => regionsOf(map, img, kind === 'anomaly' ? 0.5 : (opts.regionThreshold ?? 0.5), opts.minRegionArea) };
      for (const img of images) results.push(await inspectTiled(pack, img, runner));
    } else results.push(...(await inBatches(images)));
    for (const r of results) {
      if (threshold) {
        r.threshold = threshold;
        if (r.anomaly && !r.error) uncertainInBand(r, threshold);
      }
      r.validation = validation;
    }
    return results;
  }

  /** Decodes and inspects files; a file that fails to load gets an error result, the rest go on. */
  async inspectFiles(pack: LoadedPack, paths: readonly string[], opts: InspectOptions = {}): Promise<InspectionResult[]> {
    const loaded: (EngineImage | ErrorInfo)[] = [];
    for (const p of paths) loaded.push(await loadImage(p, opts.roots).catch((e: unknown) => toErrorInfo(e)));
    const ok = loaded.filter((x): x is EngineImage => 'data' in x);
    const done = await this.inspectImages(pack, ok, opts);
    let k = 0;
    const validation = validationOf(pack, opts.calibration);
    return loaded.map((x, i) => ('data' in x ? done[k++]! : { ...failedResult(pack, paths[i]!, x, 0), validation }));
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
    // What every kind's result shares: the image, the pack, the provider that ran, per-image timings.
    const common = (img: EngineImage, run: { provider: string; providerAttempts: ProviderAttempt[] }, t: { preprocessMs: number; inferenceMs: number; postMs: number }, perImage = true) => ({
      source: img.source,
      image: imageInfo(img),
      pack: ref,
      provider: run.provider,
      providerAttempts: run.providerAttempts,
      timings: {
        preprocessMs: perImage ? t.preprocessMs / n : t.preprocessMs,
        inferenceMs: perImage ? t.inferenceMs / n : t.inferenceMs,
        explainMs: perImage ? t.postMs / n : t.postMs,
        totalMs: (performance.now() - started) / n,
        batchSize: perImage ? n : 1,
      },
    });
    const withError = (res: InspectionResult, error: ErrorInfo | undefined): InspectionResult => (error ? { ...res, error } : res);
    if (m.kind === 'classifier') {
      const method = opts.method ?? m.explanation?.method ?? 'gradcam';
      const run = await runClassifier(pack, images, { method, cache: this.cache, settings: this.settings, extraOutputs });
      const t = { preprocessMs: run.timings.preprocessMs, inferenceMs: run.timings.inferenceMs, postMs: run.timings.explainMs };
      const results = run.results.map((r: ClassifierOutput, i) => {
        const img = images[i]!;
        return withError(
          {
            ...common(img, run, t),
            decision: r.error ? 'error' : r.scores.decision,
            ...(r.error ? {} : { drivingLabel: r.scores.drivingLabel, defectScore: r.scores.defectScore }),
            classification: { ...r.scores, logits: r.logits },
            // Regions are defect locations: a map explaining a normal label (a good part's evidence) gives none.
            regions:
              r.explanation && !r.error && m.labels[r.explanation.targetClass]?.severity !== 'none'
                ? regionsOf(r.explanation.map, img, opts.regionThreshold ?? 0.5, opts.minRegionArea)
                : [],
            ...(r.explanation ? { explanation: r.explanation } : {}),
          },
          r.error,
        );
      });
      return { results, fetched: run.fetched, input: run.input };
    }
    if (m.kind === 'anomaly') {
      const run = await runAnomaly(pack, images, { cache: this.cache, settings: this.settings, extraOutputs });
      const t = { preprocessMs: run.timings.preprocessMs, inferenceMs: run.timings.inferenceMs, postMs: run.timings.postprocessMs };
      const results = run.results.map((r, i) => {
        const img = images[i]!;
        const decision: InspectionResult['decision'] = r.error ? 'error' : r.anomalous === undefined ? 'uncertain' : r.anomalous ? 'defect' : 'pass';
        return withError(
          {
            ...common(img, run, t),
            decision,
            ...(r.score !== undefined ? { defectScore: r.score } : {}),
            ...(decision === 'defect' || decision === 'uncertain' ? { drivingLabel: 'anomaly' } : {}),
            anomaly: r,
            regions: r.error ? [] : regionsOf(r.map, img, 0.5, opts.minRegionArea),
          },
          r.error,
        );
      });
      return { results, fetched: run.fetched, input: run.input };
    }
    if (m.kind === 'grounding') {
      const run = await runGrounding(pack, images, opts.grounding ?? {}, this.cache, this.settings);
      const results = run.results.map((r, i) => {
        const g = r.run;
        const top = g?.detections[0];
        // Grounding runs one image per model call: its own timings, not a batch's share.
        const t = g ? { preprocessMs: g.timings.preprocessMs, inferenceMs: g.timings.inferenceMs, postMs: g.timings.postprocessMs } : { preprocessMs: 0, inferenceMs: 0, postMs: 0 };
        const res: InspectionResult = {
          ...common(images[i]!, run, t, false),
          decision: !g ? 'error' : top ? 'defect' : 'pass',
          ...(g ? { defectScore: top?.score ?? 0 } : {}),
          ...(top ? { drivingLabel: top.label } : {}),
          regions: g ? g.detections.map(detectionRegion) : [],
        };
        if (g) {
          const { timings: _t, detections, ...rest } = g;
          res.detections = detections;
          res.grounding = rest;
        }
        return withError(res, r.error);
      });
      return { results };
    }
    if (m.kind === 'segmentation') {
      const run = await runSegmentation(pack, images, { cache: this.cache, settings: this.settings });
      const t = { preprocessMs: run.timings.preprocessMs, inferenceMs: run.timings.inferenceMs, postMs: run.timings.postprocessMs };
      const results = run.results.map((r, i) =>
        withError(
          {
            ...common(images[i]!, run, t),
            decision: r.error ? 'error' : r.decision,
            ...(r.error ? {} : { defectScore: r.score }),
            ...(r.drivingLabel ? { drivingLabel: r.drivingLabel } : {}),
            segmentation: r,
            regions: r.regions.map((g) => ({ x: g.box[0], y: g.box[1], width: g.box[2], height: g.box[3], area: g.areaPx, peak: g.score, mean: g.mean, peakX: g.box[0] + (g.box[2] >> 1), peakY: g.box[1] + (g.box[3] >> 1) })),
          },
          r.error,
        ),
      );
      return { results };
    }
    const error = { code: 'PACK_KIND_UNSUPPORTED', message: `Packs of kind ${m.kind} are not supported by this engine yet.` };
    return { results: images.map((img) => ({ ...failedResult(pack, img.source, error, n), image: imageInfo(img) })) };
  }

  async close(): Promise<void> {
    await this.cache.clear();
  }
}
