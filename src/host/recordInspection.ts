/**
 * Engine results → history records. Every inspected image becomes one inference run (with its raw
 * map kept in the content-addressed blob store) and every failed image one error record, in one
 * transaction per call, so a crash never leaves half a batch. The run ids go back to the caller:
 * reviews refer to them.
 */
import type { CaseResult, ImageResult, InspectReport, SkippedInput } from '../core/engine/inspect';
import type { HeatMap } from '../core/explain/scale';
import type { CaseVerdictInput, ErrorInput, HistoryStore, InferenceRecord, Modality } from '../core/history/index';
import { loadStation, stationDirOf } from '../core/settings/index';
import type { WorkerClient } from './workerClient';

export interface RecordOptions {
  batchId?: number | null;
  operatorId?: string | null;
  /** Station facts from the operator's settings; null when unknown. */
  line?: string | null;
  station?: string | null;
  /** The execution providers the run asked for (the report's `providers.requested`). */
  providersRequested?: readonly string[] | null;
  /**
   * Images of the report already recorded (a resumed batch's half-done case): not recorded again,
   * but their recorded runs are the ones the case verdict refers to.
   */
  recorded?: PriorRecords;
  /**
   * Evaluation batches only, on request (`evaluate --with-guarded-boxes`): a grounding run the input
   * guard flagged keeps the model's boxes as its regions (its decision stays uncertain; the run says
   * `guardedBoxesKept: 1`), so the detector is measured on every image as its model card is. Never
   * for production: there an out-of-envelope image shows no defect locations.
   */
  keepGuardedBoxes?: boolean;
}

/** Per source: the runs already recorded for it (pack name → run) or the code it failed with. */
export type PriorRecords = ReadonlyMap<string, { runs: ReadonlyMap<string, { runId: number; score: number; verdict: string; sha256: string }>; errorCode?: string }>;

/** Which failures are the input's fault (validation) and which the model's (inference). */
function stageOf(code: string): ErrorInput['stage'] {
  return /^(IMAGE_|DICOM_|FILE_|ACCESS_|INPUT_)/.test(code) ? 'validation' : 'inference';
}

/**
 * The AI's label: the class for classifiers (so it can be compared with a reviewer's class) — the
 * class the decision stands on, not merely the most probable one: an image the pack's band calls
 * uncertain is recorded `uncertain` (its top class is no answer, as outside the guard's envelope),
 * and a defect decided by a threshold below 0.5 is recorded as that defect class, not as `normal`.
 */
function aiLabel(r: ImageResult): string {
  // Outside the pack's envelope the model's class is no answer: the run says so (input guard).
  if (r.guard?.outOfDistribution) return 'uncertain';
  if (r.classification) {
    if (r.decision === 'uncertain') return 'uncertain';
    // drivingLabel: the defect class behind a defect decision, the top (normal) class on a pass.
    return r.decision === 'defect' ? r.classification.drivingLabel : r.classification.topLabel;
  }
  // Segmentation: the class whose regions decided (largest area), as a classifier's defect class.
  if (r.segmentation && r.decision === 'defect' && r.drivingLabel) return r.drivingLabel;
  if (r.decision === 'defect') return 'anomalous';
  return r.decision === 'pass' ? 'normal' : r.decision;
}

/**
 * A segmentation run's threshold: the pixel probability cut of the class that decided (or, on a pass,
 * the lowest cut of its defect classes — the one a pixel had to reach). Exclusive (arg-max) heads have
 * no cut: 0 is recorded beside `thresholds.argmax = 1`, never an invented 0.5.
 */
function segmentationThreshold(r: ImageResult): number {
  const d = r.segmentation?.decidedBy;
  if (!d || d.rule === 'argmax') return 0;
  const cut = r.drivingLabel !== undefined ? d.pixelThresholds[r.drivingLabel] : undefined;
  const cuts = Object.values(d.pixelThresholds);
  return cut ?? (cuts.length ? Math.min(...cuts) : 0);
}

/** Each defect class's pixel cut (`pixel.<class>`) and the smallest counted region in model pixels. */
function segmentationThresholds(r: ImageResult): Record<string, number> {
  const d = r.segmentation?.decidedBy;
  if (!d) return {};
  return { ...Object.fromEntries(Object.entries(d.pixelThresholds).map(([l, t]) => [`pixel.${l}`, t])), ...(d.rule === 'argmax' ? { argmax: 1 } : {}), minAreaModelPx: d.minArea };
}

function mapOf(r: ImageResult): HeatMap | undefined {
  return r.explanation?.map ?? r.anomaly?.map;
}

/**
 * Segmentation runs: the class mask (uint8 per model pixel, 255 = none) is kept in the blob store
 * like a heatmap, and named in the run's explanation record — hashed into the signed run — so a
 * reopened run draws the same mask layer and `audit verify` re-hashes its file.
 */
function maskRecord(r: ImageResult, maskBlob: string | null): InferenceRecord['explanation'] {
  const s = r.segmentation;
  if (!s || !maskBlob) return null;
  return {
    method: 'segmentation',
    scale: { kind: 'classes', width: s.width, height: s.height, valid: true },
    blob: null,
    mask: { blob: maskBlob, width: s.width, height: s.height, classes: s.classes.map((c) => ({ label: c.label, colour: c.colour, background: c.background })) },
    inputSize: [r.pack.inputSize[0], r.pack.inputSize[1]],
  };
}

export function toInferenceRecord(r: ImageResult, blob: string | null, opts: RecordOptions = {}, maskBlob: string | null = null): InferenceRecord {
  const c = r.classification;
  const map = mapOf(r);
  // A classifier's regions come from its map, which explains the map's target class (porosity on a
  // passed image too): they carry that class, not the decision's 'normal'.
  const regionLabel = (c && r.explanation?.targetLabel) || (r.drivingLabel ?? (c ? c.drivingLabel : 'anomaly'));
  const keptGuarded = !!opts.keepGuardedBoxes && !!r.grounding && !!r.guard?.outOfDistribution && !!r.detections?.length;
  return {
    case: { key: r.caseId, kind: r.image.format === 'dicom' ? 'study' : 'part', line: opts.line ?? null, station: opts.station ?? null },
    image: {
      sourcePath: r.source,
      sha256: r.image.sha256 ?? '',
      format: r.image.format ?? 'other',
      modality: (r.image.modality ?? 'other') as Modality,
      width: r.image.width,
      height: r.image.height,
      frames: 1,
      bytes: r.image.bytes ?? null,
      validation: r.guard?.outOfDistribution
        ? { outcome: 'warning', code: r.guard.code ?? 'INPUT_OUT_OF_DISTRIBUTION', message: r.guard.reasons.join('; ') }
        : { outcome: 'ok' },
    },
    batchId: opts.batchId ?? null,
    pack: { name: r.pack.name, version: r.pack.version, fileHashes: { ...r.pack.files, 'pack.yaml': r.pack.manifestSha256 } },
    provider: r.provider,
    ...(opts.providersRequested?.length ? { providersRequested: [...opts.providersRequested] } : {}),
    ...(r.grounding ? { groundingPrompt: r.grounding.prompt } : {}),
    verdict: aiLabel(r),
    score: r.defectScore ?? 0,
    // The threshold the decision was taken at: the classifier's high threshold, a grounding pack's box
    // threshold (its score is the best kept box's), a segmentation pack's pixel cut, else the anomaly
    // score's normalised 0.5.
    threshold: c ? c.thresholds.high : r.grounding ? r.grounding.boxThreshold : r.segmentation ? segmentationThreshold(r) : 0.5,
    probabilities: c ? Object.fromEntries(c.labels.map((l, i) => [l, c.probabilities[i] ?? 0])) : {},
    scores: {
      ...(r.defectScore !== undefined ? { defect: r.defectScore } : {}),
      ...(r.anomaly?.rawScore !== undefined ? { anomalyRaw: r.anomaly.rawScore } : {}),
      // Tiled packs: how many tiles were pooled into the score (the tiling itself is in `explanation`).
      ...(r.tiling ? { tiles: r.tiling.tiles.length } : {}),
      // Segmentation: the area of each defect class, in source px² and, when spacing is known, mm².
      ...(r.segmentation
        ? Object.fromEntries(Object.entries(r.segmentation.areas).flatMap(([l, a]) => [[`areaPx.${l}`, a.areaPx], ...(a.areaMm2 !== null ? [[`areaMm2.${l}`, a.areaMm2]] : [])]))
        : {}),
      ...(r.guard?.statistic ? { guard: r.guard.statistic.value, outOfDistribution: r.guard.outOfDistribution ? 1 : 0 } : {}),
    },
    thresholds: {
      ...(c
        ? { low: c.thresholds.low, high: c.thresholds.high }
        : r.grounding
          ? { box: r.grounding.boxThreshold, text: r.grounding.textThreshold }
          : r.segmentation
            ? segmentationThresholds(r)
            : { normalised: 0.5, ...(r.anomaly?.pixelThreshold !== undefined ? { pixel: r.anomaly.pixelThreshold } : {}) }),
      ...(r.guard?.statistic ? { guard: r.guard.statistic.threshold } : {}),
      // Anomaly packs: the raw image threshold in force (and T1 of an applied band).
      ...(r.anomaly && r.threshold ? { imageThreshold: r.threshold.high, ...(r.threshold.low < r.threshold.high ? { imageLow: r.threshold.low } : {}) } : {}),
      // Which threshold decided: an applied version's id (absent: pack.yaml's), and whether the
      // pack files were validated on this station (1) or not (0).
      ...(r.threshold?.versionId != null ? { thresholdVersion: r.threshold.versionId } : {}),
      ...(r.validation ? { validated: r.validation.validated ? 1 : 0 } : {}),
      ...(keptGuarded ? { guardedBoxesKept: 1 } : {}),
    },
    // Segmentation: regions per class; grounding: each region is a detection, labelled by its own prompt phrase.
    regions: r.segmentation
      ? r.segmentation.regions.map((g) => ({ box: g.box, label: g.label, score: g.score }))
      : keptGuarded
        ? r.detections!.map((d) => ({ box: [d.x, d.y, d.width, d.height] as [number, number, number, number], label: d.label, score: d.score }))
        : r.regions.map((g, i) => {
            // A detector's box as the model gave it (sub-pixel), not the display's whole pixels: a void
            // a few pixels wide moves across IoU 0.5 when rounded, and evaluations measure what is recorded.
            const d = r.detections?.[i];
            return { box: d ? [d.x, d.y, d.width, d.height] : [g.x, g.y, g.width, g.height], label: d?.label ?? regionLabel, score: g.peak };
          }),
    explanation: map
      ? {
          method: r.explanation?.method ?? r.anomaly?.format ?? 'map',
          scale: { kind: map.scale.mode, low: map.scale.low, high: map.scale.high, source: map.scale.source, ...(map.scale.derivation ? { derivation: map.scale.derivation } : {}), width: map.width, height: map.height, valid: map.valid },
          blob,
          ...(r.explanation?.targetLabel ? { targetLabel: r.explanation.targetLabel } : {}),
          // Which layer(s) the map was made of: the pack's choice or this run's --cam-layer / --cam-fuse.
          ...(r.explanation?.target ? { target: r.explanation.target } : {}),
          ...(r.explanation?.layers ? { layers: r.explanation.layers, fusion: r.explanation.fusion } : {}),
          ...(r.explanation?.trust ? { trust: { ...r.explanation.trust } } : {}),
          inputSize: [r.pack.inputSize[0], r.pack.inputSize[1]],
          // Tiled packs: the tiling used; the map's grid spans the full image.
          ...(r.tiling ? { tiling: r.tiling } : {}),
        }
      : maskRecord(r, maskBlob),
    timings: { ...r.timings },
    configHash: r.configSha256,
    operatorId: opts.operatorId ?? null,
  };
}

/**
 * Files skipped in the folders given (not images) become error rows too, named and coded, so a
 * skip is never silent: `history list` shows them with the failed images.
 */
export function recordSkipped(store: HistoryStore, skipped: readonly (SkippedInput & { caseId?: string })[], opts: RecordOptions = {}): void {
  for (const s of skipped) {
    store.recordError({
      stage: 'validation',
      code: s.code,
      message: s.message,
      sourcePath: s.path,
      batchId: opts.batchId ?? null,
      caseKey: s.caseId ?? null,
      operatorId: opts.operatorId ?? null,
      details: { skipped: true },
    });
  }
}

/** Records a whole report; returns the run id of each successful result (undefined for errors). */
export function recordInspection(store: HistoryStore, report: InspectReport, given: RecordOptions = {}): (number | undefined)[] {
  // The station's id and line (station.yaml beside the database) unless the caller names them.
  const station = given.station === undefined || given.line === undefined ? loadStation(stationDirOf(store.file)) : null;
  const opts: RecordOptions = { ...given, station: given.station ?? station?.id ?? null, line: given.line ?? station?.line ?? null };
  const recorded = given.recorded;
  const ok = report.results.filter((r) => !r.error && r.image.sha256 && !recorded?.has(r.source));
  const records = ok.map((r) => {
    const map = mapOf(r);
    // Raw maps are kept (compressed, by content hash) so an audit can redraw exactly what was shown.
    const blob = map && map.valid ? store.putBlob('heatmap', map.data, { dtype: 'float32', shape: [map.height, map.width] }).hash : null;
    const s = r.segmentation;
    const maskBlob = s && !s.error && s.mask.length === s.width * s.height && s.mask.length > 0 ? store.putBlob('mask', s.mask, { dtype: 'uint8', shape: [s.height, s.width] }).hash : null;
    return toInferenceRecord(r, blob, { ...opts, providersRequested: opts.providersRequested ?? report.providers?.requested ?? null }, maskBlob);
  });
  // Runs, failed images, skips and each case's integrated verdict commit together: a report never
  // shows a verdict whose runs are missing, nor runs without the verdict the line was given.
  return store.write(() => {
    const runs = store.recordInferences(records);
    const runIdOf = new Map(ok.map((r, i) => [r, runs[i]!.runId]));
    // An image recorded before (resumed case): the case verdict names its recorded run.
    for (const r of report.results) {
      const prior = recorded?.get(r.source)?.runs.get(r.pack.name);
      if (prior && !r.error) runIdOf.set(r, prior.runId);
    }
    for (const r of report.results) {
      if (!r.error || recorded?.has(r.source)) continue;
      store.recordError({
        stage: stageOf(r.error.code),
        code: r.error.code,
        message: r.error.message,
        sourcePath: r.source,
        sha256: r.image.sha256 ?? null,
        packName: r.pack.name,
        batchId: opts.batchId ?? null,
        caseKey: r.caseId,
        operatorId: opts.operatorId ?? null,
      });
    }
    recordSkipped(store, report.skipped ?? [], opts);
    for (const k of report.cases) store.recordCaseVerdict(toCaseVerdictInput(k, report.results, runIdOf, opts));
    return report.results.map((r) => (recorded?.has(r.source) ? undefined : runIdOf.get(r)));
  });
}

/**
 * Maps drawn after their runs were recorded (the station decides from the scores, publishes, then
 * explains): each deciding result's map goes to the blob store and into an explanation record of the
 * run recorded for the same file and pack (`runs`), with the same explanation fields and regions a
 * run recorded with its map holds. Call inside the caller's write transaction. Returns record ids.
 */
export function recordExplanations(
  store: HistoryStore,
  report: InspectReport,
  runs: readonly { runId: number; file: string; pack: string }[],
  opts: RecordOptions = {},
): number[] {
  const ids: number[] = [];
  for (const r of report.results) {
    if (r.error || r.role === 'findings' || !r.explanation) continue;
    const file = r.source.split(/[\\/]/).at(-1) ?? r.source;
    const run = runs.find((x) => x.pack === r.pack.name && x.file === file);
    if (!run) continue;
    const map = r.explanation.map;
    const blob = map.valid ? store.putBlob('heatmap', map.data, { dtype: 'float32', shape: [map.height, map.width] }).hash : null;
    const rec = toInferenceRecord(r, blob, opts);
    ids.push(store.recordExplanation({ runId: run.runId, explanation: rec.explanation!, regions: rec.regions ?? [], score: r.defectScore ?? null, timings: { ...r.timings }, operatorId: opts.operatorId ?? null }));
  }
  return ids;
}

/** The case's integrated verdict exactly as the engine gave it, with the runs it judged. */
export function toCaseVerdictInput(k: CaseResult, results: readonly ImageResult[], runIdOf: ReadonlyMap<ImageResult, number>, opts: RecordOptions = {}): CaseVerdictInput {
  const mine = results.filter((r) => r.caseId === k.id);
  const v = k.verdict;
  return {
    caseKey: k.id,
    batchId: opts.batchId ?? null,
    verdict: v.verdict,
    inspectedVerdict: v.inspectedVerdict ?? null,
    method: v.method,
    rule: v.rule ?? null,
    incompletePolicy: v.incompletePolicy ?? null,
    score: Number.isFinite(v.score) ? v.score : 0,
    configHash: v.configSha256 || null,
    images: mine.length,
    failedImages: v.failedImages?.length ?? mine.filter((r) => r.error).length,
    runIds: mine.map((r) => runIdOf.get(r)).filter((id): id is number => id !== undefined),
    operatorId: opts.operatorId ?? null,
  };
}

/**
 * Records a report and, the first time a pack version is seen, its validation score distribution
 * (from pack.yaml) as the baseline drift is measured against.
 */
export async function recordReport(worker: WorkerClient, store: HistoryStore, report: InspectReport, opts: RecordOptions = {}): Promise<(number | undefined)[]> {
  const runIds = recordInspection(store, report, opts);
  await recordPackReferences(worker, store, report);
  return runIds;
}

/** The baseline half of recordReport, for callers that record inside their own transaction (the station). */
export async function recordPackReferences(worker: WorkerClient, store: HistoryStore, report: InspectReport): Promise<void> {
  const seen = new Set<string>();
  for (const r of report.results) {
    const key = `${r.pack.name}@${r.pack.version}`;
    if (seen.has(key) || !r.pack.dir) continue;
    seen.add(key);
    const has = store.db.prepare('SELECT 1 FROM pack_reference WHERE pack_name = ? AND pack_version = ?').get(r.pack.name, r.pack.version);
    if (has) continue;
    const scores = await worker.call('packReference', { dir: r.pack.dir });
    if (scores) store.setPackReference(r.pack.name, r.pack.version, scores);
  }
}
