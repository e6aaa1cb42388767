/**
 * IPC schemas of the Evaluate room: start an evaluation of a labelled set (a granted folder) as a
 * job, poll its progress, cancel it; the results sized for plotting and the live trade-off (each
 * image's truth, defect score and recorded run); thresholds chosen by objective and applied.
 */
import { z } from 'zod';

const target = z.number().min(0).max(1);

export const ThresholdChoice = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('f1') }).strict(),
  z.object({ kind: z.literal('recall'), target }).strict(),
  z.object({ kind: z.literal('false-alarm'), target }).strict(),
  z.object({ kind: z.literal('sigma'), k: z.number().min(-10).max(10) }).strict(),
  z.object({ kind: z.literal('band'), recallTarget: target, falseAlarmTarget: target }).strict(),
  z.object({ kind: z.literal('manual'), threshold: z.number().finite() }).strict(),
]);
export type ThresholdChoice = z.infer<typeof ThresholdChoice>;

/** An installed pack, by name (never a path: a pack folder outside the installed ones needs a grant). */
const PackName = z.string().regex(/^[A-Za-z0-9._-]+(@[A-Za-z0-9._+-]+)?$/, 'an installed pack name');

export const EvaluationStartInput = z
  .object({
    /** The labelled set: a folder the user chose (files.choose), or inside one. */
    set: z.string().min(1),
    pack: PackName.optional(),
    /** inspector.yaml the user chose (its packs are evaluated, cases grouped by its rules). */
    config: z.string().min(1).optional(),
    normalLabel: z.string().min(1).max(100).optional(),
  })
  .strict()
  .refine((v) => !!v.pack !== !!v.config, { message: 'give a pack or a config, not both' });

export const OperatingPoint = z.object({ threshold: z.number(), tp: z.number(), fp: z.number(), tn: z.number(), fn: z.number(), precision: z.number(), recall: z.number(), f1: z.number(), falseAlarmRate: z.number() });
export type OperatingPoint = z.infer<typeof OperatingPoint>;
const Interval = z.object({ low: z.number(), high: z.number() }).nullable();

export const ChosenThreshold = z.object({
  objective: z.string(),
  low: z.number(),
  high: z.number(),
  humanShare: z.number().nullable(),
  point: OperatingPoint,
  atLow: OperatingPoint.optional(),
  note: z.string().optional(),
});
export type ChosenThreshold = z.infer<typeof ChosenThreshold>;

export const TradeoffImage = z.object({
  runId: z.number().nullable(),
  path: z.string(),
  label: z.string(),
  truth: z.union([z.literal(0), z.literal(1)]),
  predicted: z.string(),
  score: z.number(),
  bin: z.number().int(),
});
export type TradeoffImage = z.infer<typeof TradeoffImage>;

export const AppliedVersion = z.object({
  id: z.number(),
  createdAt: z.number(),
  pack: z.string(),
  packIdentity: z.string(),
  objective: z.string(),
  low: z.number(),
  high: z.number(),
  humanShare: z.number().nullable(),
  operatorId: z.string(),
  operatorName: z.string().nullable(),
  operatorRole: z.string().nullable(),
});
export type AppliedVersion = z.infer<typeof AppliedVersion>;

const Num = z.number().nullable();
export const Localisation = z.object({
  ap50: Num,
  ap: Num,
  f1At50: z.number(),
  meanIou: Num,
  perClass: z.array(z.object({ label: z.string(), ap50: Num, ap: Num, f1At50: Num, truths: z.number(), detections: z.number() })),
});
export type Localisation = z.infer<typeof Localisation>;

/** One row of the side-by-side table: a pack, or the integrated verdict (kind "rules"). */
export const SystemRow = z.object({
  system: z.string(),
  kind: z.string(),
  images: z.number(),
  f1: Num,
  recall: Num,
  rocAuc: Num,
  ap50: Num,
  ap: Num,
  f1At50: Num,
  cases: z.number(),
  caseRecall: Num,
  caseFalseAlarm: Num,
});
export type SystemRow = z.infer<typeof SystemRow>;

export const EvaluatedPack = z.object({
  name: z.string(),
  version: z.string(),
  kind: z.enum(['classifier', 'anomaly', 'grounding']),
  identity: z.string(),
  labels: z.array(z.string()),
  normalLabels: z.array(z.string()),
  images: z.number(),
  errors: z.number(),
  classes: z.array(z.string()),
  predictedClasses: z.array(z.string()),
  matrix: z.array(z.array(z.number())),
  accuracy: z.number(),
  accuracyCi: Interval,
  threshold: z.number(),
  scoreUnit: z.string(),
  point: OperatingPoint,
  f1Ci: Interval,
  precisionCi: Interval,
  recallCi: Interval,
  rocAuc: z.number().nullable(),
  rocAucCi: Interval,
  averagePrecision: z.number().nullable(),
  /** The curves' points (their thresholds stay in metrics.json: the first is +∞, which JSON cannot carry). */
  roc: z.object({ fpr: z.array(z.number()), tpr: z.array(z.number()) }).nullable(),
  pr: z.object({ precision: z.array(z.number()), recall: z.array(z.number()) }).nullable(),
  histogram: z.object({ normal: z.array(z.number()), defect: z.array(z.number()) }),
  histogramRange: z.tuple([z.number(), z.number()]),
  calibration: z.object({ meanPredicted: z.array(z.number()), fractionPositive: z.array(z.number()), counts: z.array(z.number()), ece: z.number() }).nullable(),
  proposals: z.array(ChosenThreshold),
  band: ChosenThreshold.nullable(),
  /** Every evaluated image, for the live trade-off and the click-through to the viewer. */
  tradeoff: z.array(TradeoffImage),
  /** Boxes against the set's boxes (COCO AP, F1 at IoU 0.5), per class for a grounding detector; null without boxes. */
  localisation: Localisation.nullable(),
});
export type EvaluatedPack = z.infer<typeof EvaluatedPack>;

export const EvaluationView = z.object({
  evaluationId: z.number().nullable(),
  batchId: z.number(),
  set: z.object({ root: z.string(), format: z.string(), identity: z.string(), images: z.number(), classes: z.array(z.string()), normalLabel: z.string() }),
  packs: z.array(EvaluatedPack),
  /** Several systems on the same set: one row each and the integrated verdict's (null with one pack). */
  systems: z.array(SystemRow).nullable(),
  /** Per pair of systems on common images: same call and mean IoU of their regions (grounding boxes included). */
  agreement: z.array(z.object({ a: z.string(), b: z.string(), images: z.number(), decisionAgreement: Num, meanIou: Num })),
  cases: z.object({ cases: z.number(), classes: z.array(z.string()), predictedClasses: z.array(z.string()), matrix: z.array(z.array(z.number())), accuracy: z.number() }).nullable(),
  /** The objectives' targets the proposals were computed with. */
  targets: z.object({ recallTarget: z.number(), falseAlarmTarget: z.number(), sigmaK: z.number() }),
  /** When and by whom the evaluation was recorded (the audited record). */
  recordedAt: z.number().nullable(),
  recordedBy: z.string().nullable(),
  /** Every threshold version applied from this evaluation, oldest first. */
  applied: z.array(AppliedVersion),
  /** False for an evaluation recorded before per-image predictions were kept: no live trade-off. */
  predictionsKept: z.boolean(),
});
export type EvaluationView = z.infer<typeof EvaluationView>;

export const EvaluationListItem = z.object({
  id: z.number(),
  createdAt: z.number(),
  batchId: z.number(),
  setSource: z.string(),
  setIdentity: z.string(),
  operatorId: z.string().nullable(),
  packs: z.array(z.object({ name: z.string(), version: z.string(), identity: z.string(), images: z.number().nullable(), f1: z.number().nullable(), rocAuc: z.number().nullable() })),
  applied: z.number(),
  metrics: z.boolean(),
  predictions: z.boolean(),
});
export type EvaluationListItem = z.infer<typeof EvaluationListItem>;

export const EvaluationJob = z.object({
  jobId: z.string(),
  state: z.enum(['running', 'done', 'stopped', 'failed']),
  cancelling: z.boolean(),
  batchId: z.number().nullable(),
  done: z.number(),
  total: z.number(),
  caseId: z.string().nullable(),
  errors: z.number(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  result: EvaluationView.nullable(),
});
export type EvaluationJob = z.infer<typeof EvaluationJob>;

const JobRef = z.object({ jobId: z.string().regex(/^[a-z0-9-]{1,64}$/) }).strict();

export const EvaluationProposeInput = z.object({ evaluationId: z.number().int().positive(), pack: PackName, choice: ThresholdChoice }).strict();
export const ThresholdApplyInput = EvaluationProposeInput;
export const ThresholdApplied = z.object({
  thresholdVersion: z.number(),
  pack: z.string(),
  packIdentity: z.string(),
  /** Null for a version chosen from reviewed history (`source` says which runs). */
  evaluationId: z.number().nullable(),
  source: z
    .object({
      kind: z.literal('reviewed-history'),
      since: z.number().nullable(),
      until: z.number().nullable(),
      runs: z.number(),
      reviewed: z.number(),
      labels: z.number(),
      defects: z.number(),
      normals: z.number(),
      labelsSha256: z.string(),
      firstRunId: z.number(),
      lastRunId: z.number(),
    })
    .optional(),
  objective: z.string(),
  low: z.number(),
  high: z.number(),
  humanShare: z.number().nullable(),
  operator: z.string(),
});
export type ThresholdApplied = z.infer<typeof ThresholdApplied>;

export const evaluationContract = {
  /** Starts evaluating a granted labelled set with an installed pack or a chosen config; poll with evaluation.progress. */
  'evaluation.start': { input: EvaluationStartInput, output: EvaluationJob },
  'evaluation.progress': { input: JobRef, output: EvaluationJob },
  /** Stops after the case in flight (what finished stays recorded; the batch can be resumed from the CLI). */
  'evaluation.cancel': { input: JobRef, output: EvaluationJob },
  /** Recorded evaluations in the history, newest first. */
  'evaluation.list': { input: z.object({}).strict(), output: z.array(EvaluationListItem) },
  /** A recorded evaluation reopened from the history: its metrics, plots, images and applied versions. */
  'evaluation.open': { input: z.object({ evaluationId: z.number().int().positive() }).strict(), output: EvaluationView },
  /** A threshold by objective from an evaluation's images (run in this session or reopened; core thresholds). */
  'evaluation.propose': { input: EvaluationProposeInput, output: ChosenThreshold },
  /** A new threshold version for the evaluated pack files; supervisor/admin; audited. */
  'threshold.apply': { input: ThresholdApplyInput, output: ThresholdApplied },
} as const;
