/**
 * `evaluate`: a labelled set inspected as an evaluation batch (the same engine, records, progress,
 * cancel and resume as `batch`, via `runBatch`), then read back from the history and measured
 * against the labels, and the evaluation recorded in the audit chain.
 */
import { evaluateCases, evaluatePack, caseTruth, type CaseEvaluation, type PackEvaluation, type PackFacts, type Prediction, type RecordedRun, type EvaluateOptions } from '../core/evaluation/evaluate';
import { packIdentity } from '../core/evaluation/packIdentity';
import { loadSet, type LoadSetOptions } from '../core/evaluation/sets/load';
import type { LabelledSet } from '../core/evaluation/sets/types';
import { loadMask, mapLocalisation, pixelMetrics, rasterisePolygons, resizeBilinear, type MapLocalisation, type PixelMetrics } from '../core/evaluation/maps';
import type { MaskedMap } from '../core/evaluation/metrics/pixel';
import type { HistoryStore } from '../core/history/index';
import type { InspectParams } from '../core/engine/service';
import type { PackRoot } from '../core/packs/discover';
import type { LoadedPack } from '../core/packs/load';
import { resolvePacks } from '../core/packs/resolve';
import { configPacks, loadConfig } from '../core/verdict/config';
import { sideBySide, type SideBySide } from '../core/evaluation/sideBySide';
import { runBatch, type BatchProgress, type BatchSummary } from './batch';
import type { HistoryAccess } from './history';
import type { WorkerClient } from './workerClient';

export interface EvaluateRequest extends Omit<InspectParams, 'paths' | 'baseDir'>, LoadSetOptions, EvaluateOptions {
  set: string;
  /** A grounding detector's boxes on images the input guard flagged are recorded and measured (the model card's view). */
  keepGuardedBoxes?: boolean;
  name?: string;
  resume?: number;
}

export interface EvaluationResult {
  evaluationId: number | null;
  batch: BatchSummary;
  set: { root: string; format: string; identity: string; images: number; classes: string[]; normalLabel: string };
  packs: PackEvaluation[];
  cases: CaseEvaluation | null;
  /** With several packs: every system and the integrated verdict in one table, and their agreement. */
  sideBySide?: SideBySide;
  predictions: Prediction[];
}

export function packFacts(p: LoadedPack): PackFacts {
  const m = p.manifest;
  const files = Object.fromEntries(Object.entries(m.files ?? {}));
  if (m.kind === 'grounding') {
    // A detector as a system of its own: image level "did it keep a box", box level per phrase.
    const prompt = m.grounding?.prompt ?? '';
    const phrases = prompt.split('.').map((x) => x.trim()).filter(Boolean);
    return { name: m.name, version: m.version, kind: 'grounding', labels: ['normal', 'defect'], normalLabels: ['normal'], identity: packIdentity(files), phrases };
  }
  if (m.kind === 'anomaly') {
    const t = m.anomaly?.imageThreshold?.value;
    return { name: m.name, version: m.version, kind: 'anomaly', labels: ['normal', 'anomalous'], normalLabels: ['normal'], identity: packIdentity(files), ...(t !== undefined ? { imageThreshold: t } : {}) };
  }
  const labels = (m.labels ?? []).map((l) => l.id);
  return { name: m.name, version: m.version, kind: 'classifier', labels, normalLabels: (m.labels ?? []).filter((l) => l.severity === 'none').map((l) => l.id), identity: packIdentity(files) };
}

type Run = RecordedRun & { explanation: unknown; width: number | null; height: number | null };

function recordedRuns(history: HistoryAccess, batchId: number): Run[] {
  const rows = history
    .get()
    .db.prepare(
      `SELECT r.id, i.source_path AS path, c.case_key AS caseKey, r.pack_name AS pack, r.score, r.probabilities, r.thresholds, r.verdict, r.regions,
              r.explanation, r.scores, i.width, i.height
       FROM inference_runs r JOIN images i ON i.id = r.image_id JOIN cases c ON c.id = r.case_id WHERE r.batch_id = ? ORDER BY r.id`,
    )
    .all(batchId) as {
    id: number;
    path: string;
    caseKey: string;
    pack: string;
    score: number;
    probabilities: string;
    thresholds: string;
    verdict: string;
    regions: string;
    explanation: string | null;
    scores: string;
    width: number | null;
    height: number | null;
  }[];
  return rows.map((r) => ({
    runId: r.id,
    path: r.path,
    caseKey: r.caseKey,
    pack: r.pack,
    score: r.score,
    probabilities: JSON.parse(r.probabilities),
    thresholds: JSON.parse(r.thresholds),
    verdict: r.verdict,
    regions: JSON.parse(r.regions),
    explanation: r.explanation ? JSON.parse(r.explanation) : null,
    ...((JSON.parse(r.scores) as Record<string, number>)['outOfDistribution'] === 1 ? { outOfEnvelope: true } : {}),
    ...((JSON.parse(r.scores) as Record<string, number>)['anomalyRaw'] !== undefined ? { rawScore: (JSON.parse(r.scores) as Record<string, number>)['anomalyRaw']! } : {}),
    width: r.width,
    height: r.height,
  }));
}

/**
 * The recorded maps against the set's masks/polygons, on the model-input grid: pixel AUROC and
 * AUPRO for anomaly maps (normal images count with empty masks), pointing game and energy in
 * mask for explanation maps (defective images).
 */
async function mapMetrics(store: HistoryStore, set: LabelledSet, runs: Run[], facts: PackFacts, seed?: number): Promise<{ pixel: PixelMetrics | null; maps: MapLocalisation | null }> {
  const byPath = new Map(set.images.map((i) => [i.path, i]));
  if (!set.images.some((i) => i.maskPath || i.polygons.length)) return { pixel: null, maps: null };
  const items: MaskedMap[] = [];
  for (const r of runs) {
    const img = byPath.get(r.path);
    const ex = r.explanation as { blob?: string; scale?: { width?: number; height?: number }; inputSize?: [number, number] } | null;
    if (!img || !ex?.blob || !ex.scale?.width || !ex.scale.height) continue;
    const normal = img.label === set.normalLabel || facts.normalLabels.includes(img.label);
    const hasTruth = !!img.maskPath || img.polygons.length > 0;
    if (!hasTruth && !(normal && facts.kind === 'anomaly')) continue;
    const mw = ex.scale.width;
    const mh = ex.scale.height;
    // The grid: the model input (pack.yaml size is [height, width]; square inputs need no care).
    const [a, b] = ex.inputSize ?? [mh, mw];
    const [W, H] = Math.abs(b / a - mw / mh) <= Math.abs(a / b - mw / mh) ? [b, a] : [a, b];
    const buf = store.blobs.get(ex.blob);
    const raw = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const map = mw === W && mh === H ? Float64Array.from(raw) : resizeBilinear(raw, mw, mh, W, H);
    if (facts.kind === 'classifier') for (let i = 0; i < map.length; i++) map[i] = Math.max(0, map[i]!);
    let mask: Uint8Array;
    if (img.maskPath) mask = await loadMask(img.maskPath, W, H);
    else if (img.polygons.length && (img.width ?? r.width) && (img.height ?? r.height)) mask = rasterisePolygons(img.polygons, (img.width ?? r.width)!, (img.height ?? r.height)!, W, H);
    else mask = new Uint8Array(W * H);
    items.push({ map, mask, width: W, height: H });
  }
  if (!items.length) return { pixel: null, maps: null };
  return facts.kind === 'anomaly' ? { pixel: pixelMetrics(items), maps: mapLocalisation(items, 4, seed) } : { pixel: null, maps: mapLocalisation(items, 4, seed) };
}

function setSummary(set: LabelledSet): EvaluationResult['set'] {
  return { root: set.root, format: set.format, identity: set.identity, images: set.images.length, classes: set.classes, normalLabel: set.normalLabel };
}

/** What the audit record keeps: the headline numbers, not curves (those go to --out). */
function compact(packs: PackEvaluation[], cases: CaseEvaluation | null): unknown {
  return {
    packs: packs.map((p) => ({
      pack: p.pack.name,
      version: p.pack.version,
      identity: p.pack.identity,
      images: p.images,
      errors: p.errors,
      threshold: p.binary.threshold,
      f1: p.binary.point.f1,
      precision: p.binary.point.precision,
      recall: p.binary.point.recall,
      rocAuc: p.binary.rocAuc,
      averagePrecision: p.binary.averagePrecision,
      accuracy: p.classification.accuracy,
      ece: p.calibration?.ece ?? null,
      pixelAuroc: p.pixel?.pixelAuroc ?? null,
      aupro: p.pixel?.aupro ?? null,
      pointingGame: p.maps?.pointingGame ?? null,
      energyInMask: p.maps?.energyInMask ?? null,
      // Box level (a grounding detector, or regions against boxes): COCO AP@0.5, AP@[.5:.95], F1@IoU 0.5.
      ...(p.localisation ? { boxAp50: p.localisation.ap50, boxAp: p.localisation.ap, boxF1At50: p.localisation.f1At50 } : {}),
      proposals: p.proposals.map((q) => ({ objective: q.objective, threshold: q.point.threshold, f1: q.point.f1, recall: q.point.recall, falseAlarmRate: q.point.falseAlarmRate })),
      band: p.band ? { low: p.band.low, high: p.band.high, humanShare: p.band.humanShare } : null,
    })),
    cases: cases ? { cases: cases.cases, accuracy: cases.accuracy, defectRecall: cases.defectRecall, matrix: cases.matrix, classes: cases.classes, predicted: cases.predictedClasses } : null,
  };
}

/** What decides file access when the user, not a command line, named the set (the app's grants). */
export interface EvaluationGrants {
  /** The real path when inside a grant; ACCESS_DENIED (or FILE_NOT_FOUND) otherwise. */
  check(path: string): string;
  list(): string[];
}

/** A labelled set read once, with its packs resolved: what `runPreparedEvaluation` runs. */
export interface PreparedEvaluation {
  set: LabelledSet;
  packs: LoadedPack[];
  facts: PackFacts[];
  config: ReturnType<typeof loadConfig>;
}

/**
 * Reads and hashes the set once and resolves its packs. With `grants` every file it will read must
 * be inside them — the set folder, a labels file, the config, the packs the config names by
 * folder and every image and mask a manifest lists (by real path, so a link cannot lead out) —
 * checked before anything runs, so a refusal loses nothing and records nothing.
 */
export function prepareEvaluation(ctx: { packRoots: readonly PackRoot[]; grants?: EvaluationGrants }, req: EvaluateRequest): PreparedEvaluation {
  const g = ctx.grants;
  const dir = g ? g.check(req.set) : req.set;
  const labels = req.labels ? (g ? g.check(req.labels) : req.labels) : undefined;
  const configFile = req.config ? (g ? g.check(req.config) : req.config) : undefined;
  const config = loadConfig(configFile);
  // The sides' packs and their grounding packs: each is a system of the side-by-side table.
  const packs = resolvePacks(req.packs ?? [], ctx.packRoots, configPacks(config.config), g ? { grants: g.list() } : {});
  const set = loadSet(dir, { ...(labels ? { labels } : {}), ...(req.normalLabel ? { normalLabel: req.normalLabel } : {}) });
  if (g) for (const img of set.images) for (const p of [img.path, img.maskPath]) if (p) g.check(p);
  return { set, packs, facts: packs.map(packFacts), config };
}

export async function runEvaluation(
  ctx: { worker: WorkerClient; history: HistoryAccess; packRoots: readonly PackRoot[]; grants?: EvaluationGrants },
  req: EvaluateRequest,
  onProgress: (p: BatchProgress) => void = () => {},
  shouldStop: () => boolean = () => false,
): Promise<EvaluationResult> {
  return runPreparedEvaluation(ctx, prepareEvaluation(ctx, req), req, onProgress, shouldStop);
}

export async function runPreparedEvaluation(
  ctx: { worker: WorkerClient; history: HistoryAccess },
  prepared: PreparedEvaluation,
  req: EvaluateRequest,
  onProgress: (p: BatchProgress) => void = () => {},
  shouldStop: () => boolean = () => false,
): Promise<EvaluationResult> {
  const { set, packs, facts, config } = prepared;
  const configFile = config.path;
  const paths = set.images.map((i) => i.path);
  const batch = await runBatch(
    ctx,
    {
      paths,
      packs: packs.map((p) => p.dir),
      ...(req.method ? { method: req.method } : {}),
      ...(configFile ? { config: configFile } : {}),
      ...(req.providers ? { providers: req.providers } : {}),
      ...(req.grounding ? { grounding: req.grounding } : {}),
      name: req.name ?? `evaluation ${new Date().toISOString()}`,
      source: `evaluation of ${set.root} (${set.format}, ${set.images.length} images, set ${set.identity.slice(0, 12)})`,
      evaluation: { setIdentity: set.identity, ...(req.keepGuardedBoxes ? { keepGuardedBoxes: true } : {}) },
      ...(req.resume !== undefined ? { resume: req.resume } : {}),
    },
    onProgress,
    shouldStop,
  );
  if (batch.stopped) return { evaluationId: null, batch, set: setSummary(set), packs: [], cases: null, predictions: [] };

  const store = ctx.history.get();
  const runs = recordedRuns(ctx.history, batch.batchId);
  const errorsBy = new Map(
    (store.db.prepare('SELECT pack_name AS p, count(*) AS n FROM errors WHERE batch_id = ? GROUP BY 1').all(batch.batchId) as { p: string | null; n: number }[]).map((r) => [r.p ?? '', r.n]),
  );
  const results: PackEvaluation[] = [];
  const predictions: Prediction[] = [];
  for (const f of facts) {
    const own = runs.filter((r) => r.pack === f.name);
    const { evaluation, predictions: p } = evaluatePack(set, own, f, (errorsBy.get(f.name) ?? 0) + (errorsBy.get('') ?? 0), req);
    const m = await mapMetrics(store, set, own, f, req.seed);
    evaluation.pixel = m.pixel;
    evaluation.maps = m.maps;
    results.push(evaluation);
    predictions.push(...p);
  }

  // Cases: the verdict each case got, against the truth its images' labels make.
  const labelOf = new Map(set.images.map((i) => [i.path, i.label]));
  const sideOf = new Map(packs.map((p) => [p.manifest.name, p.manifest.side ?? (p.manifest.kind === 'anomaly' ? 'external' : 'internal')] as const));
  const imagesByCase = new Map<string, { label: string; side?: 'internal' | 'external' }[]>();
  for (const r of runs) {
    const list = imagesByCase.get(r.caseKey) ?? [];
    const side = sideOf.get(r.pack);
    list.push({ label: labelOf.get(r.path) ?? set.normalLabel, ...(side ? { side } : {}) });
    imagesByCase.set(r.caseKey, list);
  }
  const normal = (l: string) => l === set.normalLabel || facts.some((f) => f.normalLabels.includes(l));
  const verdicts = store.db.prepare('SELECT case_key AS k, verdict AS v FROM evaluation_cases WHERE batch_id = ? ORDER BY case_key').all(batch.batchId) as { k: string; v: string }[];
  const caseRows = verdicts.filter((c) => imagesByCase.has(c.k)).map((c) => ({ id: c.k, truth: caseTruth(imagesByCase.get(c.k)!, normal, sideOf.values().next().value ?? 'internal'), verdict: c.v }));
  const cases = caseRows.length ? evaluateCases(caseRows, req) : null;
  // Several systems: each, and the integrated verdict, on the same set in one table.
  const compared = results.length > 1 ? sideBySide(results, runs, caseRows, cases) : null;

  const operatorId = store.currentOperator()?.id ?? null;
  // The full metrics (intervals, curves) go to the blob store by content hash; the audited record
  // names that hash, so a report drawn later from it is provably drawn from these numbers.
  const full = { set: setSummary(set), packs: results, cases, ...(compared ? { sideBySide: compared } : {}) };
  const metricsBlob = store.putBlob('evaluation-metrics', Buffer.from(JSON.stringify(full), 'utf8')).hash;
  // Each image's truth and score too, so a reopened evaluation has its live trade-off.
  const predictionsBlob = store.putBlob('evaluation-predictions', Buffer.from(JSON.stringify(predictions), 'utf8')).hash;
  const evaluationId = store.recordEvaluation({
    batchId: batch.batchId,
    setIdentity: set.identity,
    setSource: set.root,
    packs: facts.map((f) => ({ name: f.name, version: f.version, identity: f.identity })),
    configHash: configFile ? config.sha256 : null,
    summary: { ...(compact(results, cases) as object), metricsBlob, predictionsBlob },
    operatorId,
  });
  return { evaluationId, batch, set: setSummary(set), packs: results, cases, ...(compared ? { sideBySide: compared } : {}), predictions };
}
