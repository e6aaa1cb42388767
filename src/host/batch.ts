/**
 * Batches: a folder (or many) inspected case by case, each case recorded the moment it is done.
 * A batch killed half-way keeps every case it finished; `resume` picks up the same batch and skips
 * images it already recorded (as a run or an error), so no image is recorded or counted twice. A case
 * with some images recorded and some not (new files in its folder, or more paths given on resume) is
 * judged whole: its stored verdict covers the recorded runs and the new ones, never the new alone.
 */
import { commonDir, listInputs, skippedWithCases } from '../core/engine/inspect';
import type { InspectParams } from '../core/engine/service';
import type { HistoryStore } from '../core/history/index';
import { inShard, shardTag, type Shard } from '../core/fleet/shard';
import { groupCases } from '../core/verdict/cases';
import { loadConfig } from '../core/verdict/config';
import { InspectorError } from '../shared/errors';
import { acquireBatchLock } from '../core/history/batchLock';
import { stationCalibration } from '../core/evaluation/validation';
import type { HistoryAccess } from './history';
import { providerWarnings } from './providerWarning';
import { recordReport, recordSkipped, type PriorRecords } from './recordInspection';
import type { InspectReport } from '../core/engine/inspect';
import type { WorkerClient } from './workerClient';

export interface BatchRequest extends Omit<InspectParams, 'paths' | 'baseDir'> {
  paths: string[];
  name?: string;
  /** Continue this batch instead of starting a new one. */
  resume?: number;
  /** What the batch records as its source (default: the paths). */
  source?: string;
  /**
   * An evaluation on a labelled set: the batch is marked as one (its runs stay out of production
   * statistics) and each case's integrated verdict is kept for the evaluation's case metrics.
   */
  evaluation?: { setIdentity: string; keepGuardedBoxes?: boolean };
  /** Inspect only this stable 1/N of the cases (by case id hash); the batch records its tag. */
  shard?: Shard;
}

export interface BatchProgress {
  batchId: number;
  /** Images finished (inspected or failed) out of the batch's total, resumed ones included. */
  done: number;
  total: number;
  caseId: string;
  verdict: string;
  errors: number;
}

export interface BatchSummary {
  batchId: number;
  total: number;
  inspected: number;
  skipped: number;
  errors: number;
  /** Files in the folders given that are not images: skipped, each recorded as an error row. */
  notImages: number;
  cases: number;
  verdicts: Record<string, number>;
  stopped: boolean;
  seconds: number;
  /** Execution providers asked for (null: default order) and those that actually ran. */
  providers: { requested: string[] | null; used: string[] };
  /** A requested provider that could not be used, once per pack, naming the one that ran. */
  warnings: string[];
  /**
   * Per pack, as its last case ran: whether its files were validated on this station (the reason
   * when not) and the applied threshold version that decided (null: pack.yaml's thresholds).
   */
  validation?: Record<string, { validated: boolean; reason: string | null; thresholdVersion: number | null }>;
}

/** Sources this batch already recorded, as runs or as errors. */
function recordedSources(store: HistoryStore, batchId: number): Set<string> {
  const rows = store.db
    .prepare(
      `SELECT i.source_path AS p FROM inference_runs r JOIN images i ON i.id = r.image_id WHERE r.batch_id = ?
       UNION SELECT source_path AS p FROM errors WHERE batch_id = ? AND source_path IS NOT NULL`,
    )
    .all(batchId, batchId) as { p: string }[];
  return new Set(rows.map((r) => r.p));
}

/**
 * What this batch already recorded for these images: per source, its runs (pack → run id, score,
 * label) or its error code. A resumed case's verdict refers to these runs instead of new ones.
 */
function priorRunsOf(store: HistoryStore, batchId: number, sources: readonly string[]): PriorRecords {
  const prior = new Map<string, PriorRecords extends ReadonlyMap<string, infer V> ? V : never>();
  const runs = store.db.prepare(
    `SELECT r.id, r.pack_name AS pack, r.score, r.verdict, i.sha256 FROM inference_runs r JOIN images i ON i.id = r.image_id WHERE r.batch_id = ? AND i.source_path = ? ORDER BY r.id`,
  );
  const errors = store.db.prepare('SELECT code FROM errors WHERE batch_id = ? AND source_path = ? ORDER BY id DESC LIMIT 1');
  for (const source of sources) {
    const rows = runs.all(batchId, source) as { id: number; pack: string; score: number; verdict: string; sha256: string }[];
    const error = errors.get(batchId, source) as { code: string } | undefined;
    prior.set(source, { runs: new Map(rows.map((r) => [r.pack, { runId: r.id, score: r.score, verdict: r.verdict, sha256: r.sha256 }])), ...(error ? { errorCode: error.code } : {}) });
  }
  return prior;
}

/**
 * The engine's fresh look at an already-recorded image should be the recorded run (same file, same
 * pack, same thresholds). Where it is not — the file was replaced, or a threshold was applied in
 * between — the case verdict follows the fresh judgement and the batch says so, naming the image.
 */
function priorMismatches(report: InspectReport, prior: PriorRecords): string[] {
  const out: string[] = [];
  for (const r of report.results) {
    const p = prior.get(r.source);
    if (!p) continue;
    const run = p.runs.get(r.pack.name);
    const same = r.error ? !run && p.errorCode === r.error.code : !!run && run.sha256 === r.image.sha256 && Math.abs(run.score - (r.defectScore ?? 0)) < 1e-6;
    if (!same) out.push(`resumed case ${r.caseId}: ${r.source} now gives another result than recorded before the interruption (file or thresholds changed); the case verdict uses the new result`);
  }
  return out;
}

export async function runBatch(
  ctx: { worker: WorkerClient; history: Pick<HistoryAccess, 'get'> },
  req: BatchRequest,
  onProgress: (p: BatchProgress) => void = () => {},
  shouldStop: () => boolean = () => false,
  /** Called once the batch id is known, before the first case: a stopped batch can always be named. */
  onStart: (batchId: number, total: number) => void = () => {},
): Promise<BatchSummary> {
  const started = performance.now();
  const { files, skipped } = listInputs(req.paths, req.roots ? { roots: req.roots } : {});
  if (files.length === 0) throw new InspectorError('BATCH_EMPTY', `No images found in ${req.paths.join(', ')}${skipped.length ? ` (${skipped.length} files that are not images skipped)` : ''}.`, { skipped });
  const baseDir = commonDir(req.paths);
  const config = loadConfig(req.config);
  const allCases = groupCases(files, config.config, baseDir);
  const cases = req.shard ? allCases.filter((c) => inShard(c.id, req.shard!)) : allCases;
  const tag = req.shard ? ` [${shardTag(req.shard)}]` : '';
  const shardFiles = req.shard ? new Set(cases.flatMap((c) => c.images.map((i) => i.path))) : null;
  const mine = shardFiles ? files.filter((f) => shardFiles.has(f)) : files;
  // --cam-layer / --cam-fuse name layers of the pack's graph: checked (EXPLAIN_LAYER_UNKNOWN, as
  // inspect refuses them) by resolving the packs on no images before a batch is recorded, so a typo
  // leaves no empty batch behind.
  if (req.camLayers) {
    await ctx.worker.call('inspect', { paths: [], baseDir, camLayers: req.camLayers, ...(req.packs ? { packs: req.packs } : {}), ...(req.config ? { config: req.config } : {}), ...(req.roots ? { roots: req.roots } : {}) });
  }
  const store = ctx.history.get();
  const operatorId = store.currentOperator()?.id ?? null;

  let batchId: number;
  let already = new Set<string>();
  if (req.resume !== undefined) {
    const row = store.db.prepare('SELECT id, source FROM batches WHERE id = ?').get(req.resume) as { id: number; source: string | null } | undefined;
    if (!row) throw new InspectorError('BATCH_NOT_FOUND', `There is no batch ${req.resume} to resume in ${store.file}.`);
    const recorded = /\[(shard \d+\/\d+)\]$/.exec(row.source ?? '')?.[1] ?? null;
    if (recorded !== (req.shard ? shardTag(req.shard) : null)) {
      throw new InspectorError('BATCH_SHARD_MISMATCH', `Batch ${req.resume} was ${recorded ?? 'not sharded'}; resume it with ${recorded ? `--shard ${recorded.slice(6)}` : 'no --shard'}.`, { batch: req.resume, shard: recorded });
    }
    const ev = store.db.prepare('SELECT set_identity AS s FROM evaluation_batches WHERE batch_id = ?').get(req.resume) as { s: string } | undefined;
    if ((ev?.s ?? null) !== (req.evaluation?.setIdentity ?? null)) {
      throw new InspectorError(
        'BATCH_RESUME_MISMATCH',
        ev ? `Batch ${req.resume} evaluated ${req.evaluation ? 'a different labelled set' : 'a labelled set'}; resume it with inspector evaluate on that same set.` : `Batch ${req.resume} is not an evaluation; resume it with inspector batch.`,
        { batchId: req.resume },
      );
    }
    batchId = req.resume;
  } else {
    const start = { name: req.name ?? `batch ${new Date().toISOString()}`, source: (req.source ?? req.paths.join('; ')) + tag, operatorId };
    batchId = req.evaluation ? store.startEvaluationBatch({ ...start, setIdentity: req.evaluation.setIdentity }) : store.startBatch(start);
  }
  // One writer per batch: a second run or resume of this batch is refused (BATCH_LOCKED) while we
  // hold it; what is already recorded is read under the lease, so it cannot go stale.
  const lease = acquireBatchLock(store.db, batchId, operatorId ?? 'inspector');
  try {
  if (req.resume !== undefined) already = recordedSources(store, batchId);

  // Skips are recorded once per batch (a resumed batch already has them).
  // A shard records only its own cases' skipped files, so N shards record each skip once.
  const notImages = skippedWithCases(skipped, config, baseDir).filter((s) => !req.shard || inShard(s.caseId, req.shard));
  const newSkips = notImages.filter((s) => !already.has(s.path));
  recordSkipped(store, newSkips, { batchId, operatorId });
  onStart(batchId, mine.length);

  const summary: BatchSummary = { batchId, total: mine.length, inspected: 0, skipped: 0, errors: 0, notImages: notImages.length, cases: 0, verdicts: {}, stopped: false, seconds: 0, providers: { requested: req.providers ?? null, used: [] }, warnings: [] };
  let done = mine.filter((f) => already.has(f)).length;
  summary.skipped = done;
  for (const c of cases) {
    if (shouldStop()) {
      summary.stopped = true;
      break;
    }
    const all = c.images.map((i) => i.path);
    const todo = all.filter((p) => !already.has(p));
    if (todo.length === 0) continue;
    // A half-done case (images recorded before the interruption, or added to its folder since):
    // the engine judges the whole case so its verdict covers every image, but only the new images
    // are recorded; the recorded ones are matched to their runs (see priorRunsOf).
    const prior = todo.length < all.length ? priorRunsOf(store, batchId, all.filter((p) => already.has(p))) : undefined;
    const report = await ctx.worker.call('inspect', {
      paths: prior ? all : todo,
      // Read per case: a threshold applied while a long batch runs decides from the next case on.
      calibration: stationCalibration(store.db),
      baseDir,
      ...(req.packs ? { packs: req.packs } : {}),
      ...(req.method ? { method: req.method } : {}),
      ...(req.config ? { config: req.config } : {}),
      ...(req.providers ? { providers: req.providers } : {}),
      ...(req.roots ? { roots: req.roots } : {}),
      // --prompt / --box-threshold / --text-threshold of a grounding pack (evaluate reproduces its card with them).
      ...(req.grounding ? { grounding: req.grounding } : {}),
      // --cam-layer / --cam-fuse: the classifier's map from the layer(s) asked for, as `inspect` makes it.
      ...(req.camLayers ? { camLayers: req.camLayers } : {}),
    });
    if (prior) for (const w of priorMismatches(report, prior)) summary.warnings.push(w);
    await recordReport(ctx.worker, store, report, { batchId, operatorId, ...(prior ? { recorded: prior } : {}), ...(req.evaluation?.keepGuardedBoxes ? { keepGuardedBoxes: true } : {}) });
    if (prior) report.results = report.results.filter((r) => !prior.has(r.source));
    for (const r of report.results) if (r.provider && !summary.providers.used.includes(r.provider)) summary.providers.used.push(r.provider);
    for (const w of providerWarnings({ ...report, providers: summary.providers })) if (!summary.warnings.includes(w)) summary.warnings.push(w);
    for (const r of report.results) {
      if (!r.validation) continue;
      (summary.validation ??= {})[r.pack.name] = { validated: r.validation.validated, reason: r.validation.reason, thresholdVersion: r.threshold?.versionId ?? null };
    }
    const failed = report.results.filter((r) => r.error).length;
    summary.inspected += report.results.length - failed;
    summary.errors += failed;
    done += todo.length;
    for (const k of report.cases) {
      if (req.evaluation) store.recordEvaluationCase(batchId, k.id, k.verdict.verdict);
      summary.cases++;
      summary.verdicts[k.verdict.verdict] = (summary.verdicts[k.verdict.verdict] ?? 0) + 1;
      onProgress({ batchId, done, total: mine.length, caseId: k.id, verdict: k.verdict.verdict, errors: summary.errors });
    }
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
  } finally {
    lease.release();
  }
}
