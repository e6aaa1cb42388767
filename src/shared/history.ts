/**
 * IPC schemas for the history store: search, run detail, dashboard statistics, reviews, operator
 * profiles, audit verification. The review's operator is never taken from the renderer: the host
 * signs every review with the profile selected at start.
 */
import { z } from 'zod';

const Region = z.object({
  box: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  label: z.string().min(1).max(200),
  score: z.number().optional(),
});

/**
 * A reviewer's measurement kept with the review: a length (two points) or a rectangle/ellipse ROI
 * (two opposite corners of its bounding box), in image pixel coordinates of the frame it was
 * drawn on, with the numbers the viewer showed (mm / modality units). `source` names the DICOM
 * instance (and frame) it was drawn on, so the SR can select it.
 */
const Pt = z.object({ x: z.number().finite(), y: z.number().finite() }).strict();
export const ReviewMeasurement = z
  .object({
    kind: z.enum(['length', 'rectangle', 'ellipse']),
    points: z.tuple([Pt, Pt]),
    /** length: { length }; ROIs: { mean, sd, min, max, area, count }. */
    value: z.record(z.string(), z.number().finite()),
    /** Unit of the value(s): `mm` / `px` for a length, the modality unit (`HU`) or none for ROI statistics. */
    unit: z.string().max(32).nullable().optional(),
    frameNumber: z.number().int().positive().nullable().optional(),
    source: z.object({ sopClassUid: z.string().max(64), sopInstanceUid: z.string().max(64), seriesInstanceUid: z.string().max(64).optional() }).strict().nullable().optional(),
  })
  .strict();
export type ReviewMeasurement = z.infer<typeof ReviewMeasurement>;

export const ReviewDecision = z.enum(['accept', 'reject', 'override', 'uncertain']);
export const OperatorRole = z.enum(['operator', 'reviewer', 'supervisor', 'admin']);

export const Operator = z.object({ id: z.string(), name: z.string(), role: OperatorRole, createdAt: z.number() });
export type Operator = z.infer<typeof Operator>;

export const HistorySearchInput = z
  .object({
    from: z.number().optional(),
    to: z.number().optional(),
    verdicts: z.array(z.string()).max(50).optional(),
    pack: z.string().optional(),
    reviewer: z.string().optional(),
    reviewStatus: z.enum(['any', 'unreviewed', 'reviewed', 'accept', 'reject', 'override', 'uncertain']).optional(),
    text: z.string().max(200).optional(),
    sort: z.enum(['time', 'score']).optional(),
    order: z.enum(['asc', 'desc']).optional(),
    limit: z.number().int().min(1).max(500).optional(),
    offset: z.number().int().min(0).optional(),
    withTotal: z.boolean().optional(),
  })
  .strict();

const CaseVerdictShown = z.object({ verdict: z.string(), source: z.enum(['stored', 'recomputed']), policy: z.string().nullable(), failedImages: z.number() });

export const HistoryRow = z.object({
  runId: z.number(),
  createdAt: z.number(),
  caseKey: z.string(),
  line: z.string().nullable(),
  station: z.string().nullable(),
  sourcePath: z.string(),
  modality: z.string(),
  packName: z.string(),
  packVersion: z.string(),
  verdict: z.string(),
  score: z.number(),
  threshold: z.number().nullable(),
  review: z.object({ id: z.number(), decision: ReviewDecision, label: z.string().nullable(), operatorId: z.string(), at: z.number() }).nullable(),
  groundingPrompt: z.string().optional(),
  boxes: z.object({ accepted: z.number(), rejected: z.number() }).optional(),
  /** The integrated verdict the run's case was given (stored), or a recomputation in older histories. */
  caseVerdict: CaseVerdictShown.optional(),
});

export const HistoryPage = z.object({
  rows: z.array(HistoryRow),
  offset: z.number(),
  limit: z.number(),
  hasMore: z.boolean(),
  total: z.number().optional(),
});

const ReviewRow = z.object({
  id: z.number(),
  runId: z.number(),
  operatorId: z.string(),
  operatorName: z.string().nullable(),
  decision: ReviewDecision,
  label: z.string().nullable(),
  boxes: z.array(Region),
  measurements: z.array(ReviewMeasurement).optional(),
  note: z.string().nullable(),
  supersedes: z.number().nullable(),
  supersededBy: z.number().nullable(),
  createdAt: z.number(),
});

const BoxReviewRow = z.object({
  id: z.number(),
  runId: z.number(),
  boxIndex: z.number(),
  box: z.array(z.number()),
  label: z.string(),
  decision: z.enum(['accept', 'reject']),
  operatorId: z.string(),
  operatorName: z.string().nullable(),
  createdAt: z.number(),
});

/** `review.box`: accept or reject one box of a run (index into its regions); signed by the selected operator. */
export const BoxReviewInput = z.object({ runId: z.number().int().positive(), boxIndex: z.number().int().min(0).max(10_000), decision: z.enum(['accept', 'reject']) }).strict();
export const BoxReviewed = z.object({ boxReviewId: z.number(), boxReviews: z.array(BoxReviewRow) });

const NumberMap = z.record(z.string(), z.number());

export const RunDetail = z.object({
  run: z.object({
    id: z.number(),
    createdAt: z.number(),
    day: z.string(),
    batchId: z.number().nullable(),
    packName: z.string(),
    packVersion: z.string(),
    packHashes: z.record(z.string(), z.string()),
    provider: z.string(),
    /** Execution providers asked for (null: the default order); `provider` is the one that ran. */
    providersRequested: z.array(z.string()).nullable().optional(),
    /** Grounding runs: the prompt the run used (null for other packs). */
    groundingPrompt: z.string().nullable().optional(),
    verdict: z.string(),
    score: z.number(),
    threshold: z.number().nullable(),
    probabilities: NumberMap,
    scores: NumberMap,
    thresholds: NumberMap,
    regions: z.array(Region),
    explanation: z
      .object({
        method: z.string(),
        scale: z.looseObject({ kind: z.string() }),
        blob: z.string().nullable().optional(),
        // The map's trust figure and a segmentation run's mask blob, as the signed run records them.
        trust: z.looseObject({ verdict: z.string(), figure: z.number().nullable() }).optional(),
        mask: z.object({ blob: z.string(), width: z.number(), height: z.number() }).optional(),
      })
      .nullable(),
    /** The map came from a later explanation record (run_explanations id): a station run, decision first. */
    explanationRecord: z.number().optional(),
    timings: NumberMap,
    configHash: z.string().nullable(),
    operatorId: z.string().nullable(),
  }),
  case: z.object({ id: z.number(), key: z.string(), kind: z.string(), line: z.string().nullable(), station: z.string().nullable(), tags: z.array(z.string()) }),
  image: z.object({
    id: z.number(),
    sourcePath: z.string(),
    sha256: z.string(),
    format: z.string(),
    modality: z.string(),
    width: z.number().nullable(),
    height: z.number().nullable(),
    frames: z.number().nullable(),
    bytes: z.number().nullable(),
    validation: z.object({ outcome: z.enum(['ok', 'warning', 'failed']), code: z.string().optional(), message: z.string().optional() }),
  }),
  reviews: z.array(ReviewRow),
  /** Per-box accept/reject, oldest first; the latest per box is its state. */
  boxReviews: z.array(BoxReviewRow).optional(),
  /** The integrated verdict the run's case was given (stored), or a recomputation in older histories. */
  caseVerdict: CaseVerdictShown.optional(),
});

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const HistoryStatsInput = z
  .object({
    fromDay: Day.optional(),
    toDay: Day.optional(),
    pack: z.string().optional(),
    driftLimits: z.object({ psi: z.number().positive().optional(), ks: z.number().positive().max(1).optional() }).strict().optional(),
  })
  .strict();

const Nullable = z.number().nullable();

export const HistoryStats = z.object({
  daily: z.array(z.object({ day: z.string(), images: z.number(), runs: z.number(), verdicts: NumberMap, errors: z.number() })),
  packs: z.array(
    z.object({
      pack: z.string(),
      runs: z.number(),
      verdicts: NumberMap,
      histogram: z.array(z.number()),
      threshold: Nullable,
      /** Whether the files this pack last ran with were evaluated on this station (absent: no run). */
      validated: z.boolean().optional(),
      validationReason: z.string().nullable().optional(),
    }),
  ),
  agreement: z.object({
    aiLabels: z.array(z.string()),
    humanLabels: z.array(z.string()),
    matrix: z.array(z.array(z.number())),
    reviewed: z.number(),
    accuracy: Nullable,
    perClass: z.array(z.object({ label: z.string(), precision: Nullable, recall: Nullable, f1: Nullable, support: z.number() })),
  }),
  errors: z.object({
    total: z.number(),
    rate: z.number(),
    byCode: z.array(z.object({ stage: z.string(), code: z.string(), n: z.number() })),
    recent: z.array(
      z.object({ at: z.number(), stage: z.string(), code: z.string(), message: z.string(), sourcePath: z.string().nullable(), caseKey: z.string().nullable(), batchId: z.number().nullable() }),
    ),
  }),
  drift: z.array(
    z.object({
      pack: z.string(),
      version: z.string().nullable(),
      status: z.enum(['ok', 'drift', 'no-reference', 'insufficient-data']),
      referenceN: z.number(),
      recentN: z.number(),
      psi: Nullable,
      ks: Nullable,
      ksPValue: Nullable,
      limits: z.object({ psi: z.number(), ks: z.number() }),
      flagged: z.boolean(),
    }),
  ),
});

export const ReviewSubmitInput = z
  .object({
    runId: z.number().int().positive(),
    decision: ReviewDecision,
    label: z.string().max(200).nullable().optional(),
    boxes: z.array(Region).max(500).optional(),
    measurements: z.array(ReviewMeasurement).max(500).optional(),
    note: z.string().max(4000).nullable().optional(),
    /** The review this one corrects: required when the run already has one. */
    supersedes: z.number().int().positive().nullable().optional(),
  })
  .strict();

export const ReviewSubmitted = z.object({ reviewId: z.number(), run: RunDetail });

export const OperatorList = z.object({ operators: z.array(Operator), current: Operator.nullable() });
export const OperatorCreateInput = z
  .object({ id: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/), name: z.string().min(1).max(200), role: OperatorRole })
  .strict();

export const AuditVerifyReport = z.object({
  ok: z.boolean(),
  entries: z.number(),
  head: z.object({ seq: z.number(), hash: z.string() }),
  anchor: z.object({ seq: z.number(), hash: z.string() }).nullable(),
  firstBreak: z.object({ code: z.string(), seq: z.number(), message: z.string(), entity: z.string().optional(), entityId: z.string().optional() }).nullable(),
  records: NumberMap,
  ms: z.number(),
});

/**
 * Export of the history under the current filters. The renderer names only the format and the
 * filters; the file is whatever the user picks in the host's save dialog, never a renderer path.
 */
export const HistoryExportInput = z
  .object({
    format: z.enum(['csv', 'json', 'pdf']),
    filters: HistorySearchInput.omit({ limit: true, offset: true, withTotal: true }),
    /** De-identify what leaves the app (docs/PRIVACY.md); absent = a full export, as before. */
    deidentify: z.boolean().optional(),
  })
  .strict();

export const HistoryExportResult = z.discriminatedUnion('cancelled', [
  z.object({ cancelled: z.literal(true) }),
  z.object({
    cancelled: z.literal(false),
    format: z.enum(['csv', 'json', 'pdf']),
    file: z.string(),
    fileName: z.string(),
    runs: z.number(),
    bytes: z.number(),
    sha256: z.string(),
    /** The audit entry that logs this export. */
    auditSeq: z.number(),
    /** PDF only: whether the chain verified when the report was made. */
    chainOk: z.boolean().optional(),
    /** True when the file was de-identified. */
    deidentified: z.boolean().optional(),
  }),
]);
