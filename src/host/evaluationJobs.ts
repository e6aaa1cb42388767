/**
 * The Evaluate room's channels: an evaluation of a granted labelled set runs here in the host (as
 * `inspector evaluate` does: `runEvaluation`, the worker doing the inference) as a job the page
 * polls and may cancel; its images stay held by the session for the live trade-off, proposals by
 * other targets and thresholds applied from them. Domain rules are the core's: this file checks
 * grants, keeps jobs and reshapes results for the page.
 */
import { randomUUID } from 'node:crypto';
import type { PackEvaluation } from '../core/evaluation/evaluate';
import { applyThresholdChoice } from '../core/evaluation/applyChoice';
import { listEvaluations, readRecordedEvaluation, recordedTargets } from '../core/evaluation/recorded';
import { getEvaluation } from '../core/evaluation/validation';
import { chooseThreshold, tradeoffImages, type ChosenThreshold } from '../core/evaluation/tradeoff';
import type { PackRoot } from '../core/packs/discover';
import { loadPack } from '../core/packs/load';
import { resolvePackDir } from '../core/packs/resolve';
import type { Input, Output } from '../shared/contract';
import type { EvaluatedPack, EvaluationJob, EvaluationView } from '../shared/evaluation';
import { InspectorError, toErrorInfo } from '../shared/errors';
import type { HostContext } from './handlers';
import { packFacts, prepareEvaluation, runPreparedEvaluation, type EvaluationResult } from './evaluate';

/** The objectives' targets the page's proposals start from (those of `inspector evaluate`). */
export const DEFAULT_TARGETS = { recallTarget: 0.99, falseAlarmTarget: 0.01, sigmaK: 3 };

type EvaluationChannel = 'evaluation.start' | 'evaluation.progress' | 'evaluation.cancel' | 'evaluation.propose' | 'threshold.apply' | 'evaluation.list' | 'evaluation.open';
export type EvaluationHandlers = { [C in EvaluationChannel]: (input: Input<C>) => Promise<Output<C>> };

interface Job extends EvaluationJob {
  stop: boolean;
}

function packRoots(ctx: HostContext): PackRoot[] {
  return [
    { dir: ctx.paths.appModelsDir, source: 'app' },
    { dir: ctx.paths.userModelsDir, source: 'user' },
  ];
}

const proposal = (p: PackEvaluation['proposals'][number]): ChosenThreshold => ({
  objective: p.objective,
  low: p.point.threshold,
  high: p.point.threshold,
  humanShare: null,
  point: p.point,
  ...(p.note ? { note: p.note } : {}),
});

/** What a view is made from: a result just computed, or one read back from the history. */
type Measured = Pick<EvaluationResult, 'evaluationId' | 'set' | 'packs' | 'cases' | 'predictions' | 'sideBySide'> & { batchId: number };

function view(ctx: HostContext, r: Measured, extra: Pick<EvaluationView, 'targets' | 'recordedAt' | 'recordedBy' | 'applied' | 'predictionsKept'>): EvaluationView {
  const runs = ctx.history
    .get()
    .db.prepare('SELECT r.id, r.pack_name AS pack, i.source_path AS path FROM inference_runs r JOIN images i ON i.id = r.image_id WHERE r.batch_id = ?')
    .all(r.batchId) as { id: number; pack: string; path: string }[];
  const runOf = new Map(runs.map((x) => [`${x.pack}\n${x.path}`, x.id]));
  const packs: EvaluatedPack[] = r.packs.map((p) => ({
    name: p.pack.name,
    version: p.pack.version,
    kind: p.pack.kind,
    identity: p.pack.identity,
    labels: p.pack.labels,
    normalLabels: p.pack.normalLabels,
    images: p.images,
    errors: p.errors,
    classes: p.classification.classes,
    predictedClasses: p.classification.predictedClasses,
    matrix: p.classification.matrix,
    accuracy: p.classification.accuracy,
    accuracyCi: p.classification.accuracyCi,
    threshold: p.binary.threshold,
    scoreUnit: p.binary.scoreUnit,
    point: p.binary.point,
    f1Ci: p.binary.f1Ci,
    precisionCi: p.binary.precisionCi,
    recallCi: p.binary.recallCi,
    rocAuc: p.binary.rocAuc,
    rocAucCi: p.binary.rocAucCi,
    averagePrecision: p.binary.averagePrecision,
    roc: p.binary.roc && { fpr: p.binary.roc.fpr, tpr: p.binary.roc.tpr },
    pr: p.binary.pr && { precision: p.binary.pr.precision, recall: p.binary.pr.recall },
    histogram: p.binary.histogram,
    histogramRange: p.binary.histogramRange,
    calibration: p.calibration ? { meanPredicted: p.calibration.meanPredicted, fractionPositive: p.calibration.fractionPositive, counts: p.calibration.counts, ece: p.calibration.ece } : null,
    proposals: p.proposals.map(proposal),
    band: p.band ? { objective: 'band', low: p.band.low, high: p.band.high, humanShare: p.band.humanShare, point: p.band.atHigh, atLow: p.band.atLow } : null,
    tradeoff: tradeoffImages(p, r.predictions, r.set.normalLabel, (path) => runOf.get(`${p.pack.name}\n${path}`) ?? null),
    localisation: p.localisation
      ? {
          ap50: p.localisation.ap50,
          ap: p.localisation.ap,
          f1At50: p.localisation.f1At50,
          meanIou: p.localisation.meanIou,
          // An evaluation recorded before per-class F1 existed has none: shown as —, not as 0.
          perClass: p.localisation.perClass.map((c) => ({ label: c.label, ap50: c.ap50, ap: c.ap, f1At50: c.f1At50 ?? null, truths: c.truths, detections: c.detections })),
        }
      : null,
  }));
  const sbs = r.sideBySide;
  const c = r.cases;
  return {
    evaluationId: r.evaluationId,
    batchId: r.batchId,
    set: r.set,
    packs,
    systems: sbs ? sbs.systems.map((x) => ({ system: x.system, kind: x.kind, images: x.images, f1: x.f1, recall: x.recall, rocAuc: x.rocAuc, ap50: x.ap50 ?? null, ap: x.ap ?? null, f1At50: x.f1At50 ?? null, cases: x.cases, caseRecall: x.caseRecall, caseFalseAlarm: x.caseFalseAlarm })) : null,
    agreement: sbs ? sbs.agreement.map((a) => ({ a: a.a, b: a.b, images: a.images, decisionAgreement: a.decisionAgreement, meanIou: a.meanIou })) : [],
    cases: c ? { cases: c.cases, classes: c.classes, predictedClasses: c.predictedClasses, matrix: c.matrix, accuracy: c.accuracy } : null,
    ...extra,
  };
}

const publicJob = ({ stop: _stop, ...j }: Job): EvaluationJob => ({ ...j });

export function createEvaluationHandlers(ctx: HostContext): EvaluationHandlers {
  const jobs = new Map<string, Job>();
  /** Evaluations this session ran or reopened, by id: their images for proposals and applies. */
  const held = new Map<number, { view: EvaluationView; bandTargets: { recallTarget: number; falseAlarmTarget: number } }>();
  const jobOf = (jobId: string): Job => {
    const j = jobs.get(jobId);
    if (!j) throw new InspectorError('EVAL_JOB_NOT_FOUND', `There is no evaluation job ${jobId} in this session.`, { jobId });
    return j;
  };
  const heldPack = (evaluationId: number, pack: string) => held.get(evaluationId)?.view.packs.find((p) => p.name === pack.split('@')[0] && p.tradeoff.length > 0);
  /** A recorded evaluation as the page shows it; held so its images give proposals and applies. */
  const reopen = (evaluationId: number): EvaluationView => {
    const store = ctx.history.get();
    const { record, metrics, predictions, applied } = readRecordedEvaluation(store, evaluationId);
    const targets = recordedTargets(metrics.packs, DEFAULT_TARGETS);
    const v = view(
      ctx,
      { evaluationId, batchId: record.batchId, set: metrics.set, packs: metrics.packs, cases: metrics.cases, predictions, ...(metrics.sideBySide ? { sideBySide: metrics.sideBySide } : {}) },
      { targets, recordedAt: record.createdAt, recordedBy: record.operatorId, applied, predictionsKept: predictions.length > 0 },
    );
    if (predictions.length) held.set(evaluationId, { view: v, bandTargets: targets });
    return v;
  };

  return {
    'evaluation.start': async (input) => {
      if ([...jobs.values()].some((j) => j.state === 'running')) throw new InspectorError('EVAL_BUSY', 'An evaluation is already running; wait for it or cancel it first.');
      const req = {
        set: input.set,
        ...(input.pack ? { packs: [input.pack] } : {}),
        ...(input.config ? { config: input.config } : {}),
        ...(input.normalLabel ? { normalLabel: input.normalLabel } : {}),
        recallTarget: DEFAULT_TARGETS.recallTarget,
        falseAlarmTarget: DEFAULT_TARGETS.falseAlarmTarget,
        sigmaK: DEFAULT_TARGETS.sigmaK,
      };
      // The set is read (and hashed) once, here: everything the evaluation reads must be inside
      // what the user chose — the set folder, the config, the packs a config names by folder and
      // every image and mask a manifest lists — checked by prepareEvaluation before anything runs.
      const prepared = prepareEvaluation({ packRoots: packRoots(ctx), grants: ctx.grants }, req);
      const job: Job = { jobId: randomUUID(), state: 'running', cancelling: false, batchId: null, done: 0, total: prepared.set.images.length, caseId: null, errors: 0, error: null, result: null, stop: false };
      jobs.set(job.jobId, job);
      void runPreparedEvaluation(
        { worker: ctx.worker, history: ctx.history },
        prepared,
        req,
        (p) => Object.assign(job, { batchId: p.batchId, done: p.done, total: p.total, caseId: p.caseId, errors: p.errors }),
        () => job.stop,
      ).then(
        (r) => {
          job.batchId = r.batch.batchId;
          if (r.batch.stopped || r.evaluationId === null) {
            job.state = 'stopped';
            return;
          }
          const store = ctx.history.get();
          const rec = getEvaluation(store.db, r.evaluationId);
          job.result = view(ctx, { ...r, batchId: r.batch.batchId }, { targets: DEFAULT_TARGETS, recordedAt: rec?.createdAt ?? null, recordedBy: rec?.operatorId ?? null, applied: [], predictionsKept: true });
          held.set(r.evaluationId, { view: job.result, bandTargets: DEFAULT_TARGETS });
          job.state = 'done';
        },
        (e: unknown) => {
          const info = toErrorInfo(e);
          job.error = { code: info.code, message: info.message };
          job.state = 'failed';
        },
      );
      return publicJob(job);
    },
    'evaluation.progress': async ({ jobId }) => publicJob(jobOf(jobId)),
    'evaluation.list': async () => (ctx.history.exists() ? listEvaluations(ctx.history.get().db) : []),
    'evaluation.open': async ({ evaluationId }) => reopen(evaluationId),
    'evaluation.cancel': async ({ jobId }) => {
      const j = jobOf(jobId);
      if (j.state === 'running') {
        j.stop = true;
        j.cancelling = true;
      }
      return publicJob(j);
    },
    'evaluation.propose': async ({ evaluationId, pack, choice }) => {
      const p = heldPack(evaluationId, pack);
      if (!p) throw new InspectorError('EVAL_PREDICTIONS_UNAVAILABLE', `Evaluation ${evaluationId} of ${pack} is not open with its images (run or reopen it first; one recorded before images were kept must be run again).`, { evaluationId, pack });
      return chooseThreshold(p.tradeoff.map((i) => i.truth), p.tradeoff.map((i) => i.score), choice);
    },
    'threshold.apply': async ({ evaluationId, pack, choice }) => {
      // The pack as installed now: its identity must be the one evaluated (EVAL_PACK_CHANGED otherwise).
      const current = packFacts(loadPack(resolvePackDir(pack, packRoots(ctx), { grants: ctx.grants.list() })));
      const p = heldPack(evaluationId, pack);
      const t = held.get(evaluationId)?.bandTargets;
      return applyThresholdChoice(ctx.history.get(), {
        evaluationId,
        current,
        choice,
        // The recorded band is the one computed at the targets the evaluation used.
        ...(p && t ? { images: p.tradeoff, recordedBandTargets: { recallTarget: t.recallTarget, falseAlarmTarget: t.falseAlarmTarget } } : {}),
      });
    },
  };
}
