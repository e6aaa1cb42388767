/**
 * `inspect.run`: the renderer asks for files/folders to be inspected with a pack; it gets per-image
 * results and per-case integrated verdicts. Heatmaps are not in the JSON: each result names a media
 * id whose bytes are the raw float32 map (little-endian, row-major, at the activation/model
 * resolution), with the scale that maps raw values to colours.
 */
import { z } from 'zod';

// The same list as src/core/explain/cams.ts METHODS (tests/unit/explain/methods.test.ts checks they agree).
export const EXPLAIN_METHODS = ['none', 'gradcam', 'gradcampp', 'xgradcam', 'hirescam', 'layercam', 'gradcamelementwise', 'eigengradcam', 'finercam', 'eigencam', 'scorecam', 'ablationcam', 'kpcacam', 'fem'] as const;

/**
 * A reviewer's prompt for a grounding pack: text only. Phrases are separated by "." or line breaks;
 * a path separator or a control character is refused (the prompt is never a file name), and the
 * length is capped well above the model's 256 tokens (the engine names a longer one precisely).
 */
export const GroundingPrompt = z
  .string()
  .trim()
  .min(1, 'The prompt needs at least one phrase.')
  .max(1000, 'A prompt is at most 1000 characters.')
  .refine((p) => !/[\\/]/.test(p), 'A prompt is text, not a path: "/" and "\\" are not allowed.')
  // eslint-disable-next-line no-control-regex
  .refine((p) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(p), 'A prompt holds no control characters.')
  .refine((p) => /\p{L}/u.test(p), 'The prompt needs at least one word.');

export const GroundingRunOptions = z
  .object({
    prompt: GroundingPrompt.optional(),
    boxThreshold: z.number().min(0).max(1).optional(),
    textThreshold: z.number().min(0).max(1).optional(),
  })
  .strict();

export const InspectRunInput = z
  .object({
    /** Grounding packs: this run's prompt and thresholds instead of the pack's (recorded with the run). */
    grounding: GroundingRunOptions.optional(),
    paths: z.array(z.string().min(1)).min(1),
    /** A pack folder or an installed pack's name; omitted: inspector.yaml's sides or the only pack. */
    pack: z.string().min(1).optional(),
    method: z.enum(EXPLAIN_METHODS).optional(),
    /**
     * Explanation target layer and fused layers for this run (the viewer's selector; the CLI's
     * --cam-layer / --cam-fuse). Names are graph tensor names; the engine refuses one that is not a
     * candidate layer of the pack (EXPLAIN_LAYER_UNKNOWN). Needs `pack`: it applies to one pack.
     */
    camLayers: z
      .object({ layer: z.string().min(1).max(512).optional(), fuse: z.array(z.string().min(1).max(512)).max(8).optional() })
      .strict()
      .optional(),
    /** inspector.yaml (verdict rules, case grouping). */
    config: z.string().min(1).optional(),
  })
  .strict();

export const MapScale = z.object({
  mode: z.enum(['anchored', 'minmax']),
  low: z.number(),
  high: z.number(),
  source: z.enum(['pack', 'image']),
  derivation: z.string().optional(),
});

/** Does the map explain the decision? Its top region removed vs the same region moved (src/core/explain/faithfulness.ts). */
export const TrustFigure = z.object({
  metric: z.string(),
  topPercent: z.number(),
  randomMasks: z.number(),
  score: z.number(),
  logOdds: z.number(),
  mapDrop: z.number(),
  randomDrop: z.number(),
  figure: z.number().nullable(),
  verdict: z.enum(['strong', 'weak', 'not-applicable']),
  reason: z.string().optional(),
});
export type TrustFigure = z.infer<typeof TrustFigure>;

export const HeatmapRef = z.object({
  /** `inspector://app/media/<id>`: raw float32 bytes, width × height. */
  mediaId: z.string(),
  kind: z.enum(['explanation', 'anomaly']),
  method: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  scale: MapScale,
  /** False for NaN/Inf maps: draw nothing. */
  valid: z.boolean(),
  invalidReason: z.string().optional(),
});

const Region = z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number(), area: z.number(), peak: z.number(), mean: z.number(), peakX: z.number(), peakY: z.number() });
const ErrorInfo = z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() });

export const InspectImageResult = z
  .object({
    source: z.string(),
    caseId: z.string(),
    side: z.enum(['internal', 'external']),
    /** "findings": a side's grounding pack (inspector.yaml sides.<side>.grounding), not the side's decision. */
    role: z.literal('findings').optional(),
    image: z.object({ width: z.number(), height: z.number(), sha256: z.string().optional(), format: z.string().optional(), modality: z.enum(['ct', 'xray', 'rgb', 'other']).optional(), bytes: z.number().optional() }),
    pack: z.object({ name: z.string(), version: z.string(), kind: z.string(), dir: z.string(), manifestSha256: z.string(), files: z.record(z.string(), z.string()), inputSize: z.tuple([z.number(), z.number()]) }),
    provider: z.string(),
    providerAttempts: z.array(z.object({ provider: z.string(), ok: z.boolean(), reason: z.string().optional() })),
    decision: z.enum(['pass', 'defect', 'uncertain', 'error']),
    drivingLabel: z.string().optional(),
    defectScore: z.number().optional(),
    classification: z
      .object({ labels: z.array(z.string()), probabilities: z.array(z.number()), logits: z.array(z.number()), topClass: z.number(), topLabel: z.string(), topProbability: z.number(), defectScore: z.number(), decision: z.string(), drivingLabel: z.string(), thresholds: z.object({ low: z.number(), high: z.number() }) })
      .optional(),
    explanation: z
      .object({ method: z.string(), requested: z.string(), fallbackReason: z.string().optional(), target: z.string(), targetClass: z.number(), targetLabel: z.string(), headLogitError: z.number().optional(), gradientPath: z.enum(['onnxruntime', 'replay']).optional(), channelsUsed: z.number().optional(), layers: z.array(z.string()).optional(), fusion: z.string().optional(), trust: TrustFigure.optional() })
      .optional(),
    anomaly: z
      .object({ format: z.string(), rawScore: z.number().optional(), score: z.number().optional(), anomalous: z.boolean().optional(), pixelThreshold: z.number().optional() })
      .optional(),
    /**
     * Segmentation packs: areas per class and regions in source pixels. `mask` is the class map at
     * model resolution, published as media (`inspector://app/media/<id>`: uint8 per pixel, the class's
     * channel index, 255 = none), placed on the image like a heatmap (the preprocessing's stretch undone).
     */
    segmentation: z
      .object({
        width: z.number(),
        height: z.number(),
        score: z.number(),
        decision: z.enum(['pass', 'defect']),
        drivingLabel: z.string().optional(),
        areas: z.record(z.string(), z.object({ fraction: z.number(), areaPx: z.number(), areaMm2: z.number().nullable() })),
        regions: z.array(z.object({ label: z.string(), box: z.tuple([z.number(), z.number(), z.number(), z.number()]), areaPx: z.number(), areaMm2: z.number().nullable(), score: z.number(), mean: z.number() })),
        classes: z.array(z.object({ label: z.string(), colour: z.string(), background: z.boolean() })),
        mask: z.object({ mediaId: z.string(), width: z.number().int(), height: z.number().int() }).optional(),
      })
      .optional(),
    heatmap: HeatmapRef.optional(),
    /** Grounding packs: text-prompted boxes in image pixels, best first (docs/GROUNDING.md). */
    detections: z.array(z.object({ label: z.string(), score: z.number(), x: z.number(), y: z.number(), width: z.number(), height: z.number() })).optional(),
    grounding: z
      .object({ prompt: z.string(), phrases: z.array(z.string()), boxThreshold: z.number(), textThreshold: z.number(), nmsIou: z.number().optional(), variant: z.enum(['hf', 'idea']), inputSize: z.tuple([z.number(), z.number()]) })
      .optional(),
    regions: z.array(Region),
    timings: z.object({ preprocessMs: z.number(), inferenceMs: z.number(), explainMs: z.number(), totalMs: z.number(), batchSize: z.number() }),
    configSha256: z.string(),
    /** The input guard's check: out of distribution (INPUT_OUT_OF_DISTRIBUTION) makes the decision uncertain. */
    guard: z
      .object({ outOfDistribution: z.boolean(), code: z.string().optional(), reasons: z.array(z.string()), statistic: z.object({ feature: z.string(), value: z.number(), threshold: z.number() }).optional() })
      .optional(),
    /** The threshold that decided: pack.yaml's (`pack`) or the station's applied version (`applied`, its id). */
    threshold: z
      .object({ source: z.enum(['pack', 'applied']), versionId: z.number().nullable(), low: z.number(), high: z.number(), unit: z.string(), objective: z.string().optional(), evaluationId: z.number().optional() })
      .optional(),
    /** Whether these exact pack files were evaluated on this station; `reason` says why not ("not validated on this station"). */
    validation: z.object({ validated: z.boolean(), packIdentity: z.string(), evaluationId: z.number().nullable(), reason: z.string().nullable() }).optional(),
    /** Tiled packs: the tiling used and each tile's score; the map and regions are on the full image (docs/PACKS.md "Tiling"). */
    tiling: z
      .object({
        tile: z.tuple([z.number(), z.number()]),
        overlap: z.tuple([z.number(), z.number()]),
        stitch: z.enum(['linear', 'mean', 'max']),
        score: z.enum(['max', 'mean']),
        grid: z.tuple([z.number(), z.number()]),
        tiles: z.array(z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number(), defectScore: z.number().optional(), decision: z.string(), outOfDistribution: z.boolean().optional() })),
      })
      .optional(),
    error: ErrorInfo.optional(),
    /** The history's id of this inference run (absent for failed images, recorded as errors). */
    runId: z.number().int().optional(),
  });

const RULE_VERDICTS = ['PASS', 'INTERNAL_DEFECT', 'EXTERNAL_DEFECT', 'COMBINED_DEFECT', 'UNCERTAIN'] as const;

export const CaseVerdict = z.object({
  /** INCOMPLETE: some image of the case could not be read or inspected (see failedImages). */
  verdict: z.enum([...RULE_VERDICTS, 'INCOMPLETE']),
  method: z.string(),
  score: z.number(),
  drivingSide: z.enum(['internal', 'external']).optional(),
  drivingClass: z.string().optional(),
  rule: z.number().optional(),
  configSha256: z.string(),
  sides: z.record(z.string(), z.object({ defectScore: z.number(), decision: z.string(), drivingLabel: z.string().optional(), source: z.string().optional(), labelScores: z.record(z.string(), z.number()).optional() })),
  failedImages: z
    .array(z.object({ source: z.string(), code: z.string(), message: z.string(), side: z.enum(['internal', 'external']).optional(), pack: z.string().optional() }))
    .optional(),
  /** With failed images: the verdict the inspected images alone give. */
  inspectedVerdict: z.enum(RULE_VERDICTS).optional(),
  /** With failed images: the `verdict.incomplete` policy (INCOMPLETE or DEFECT) that gave this verdict. */
  incompletePolicy: z.enum(['INCOMPLETE', 'DEFECT']).optional(),
});

export const InspectRunResult = z.object({
  results: z.array(InspectImageResult),
  cases: z.array(
    z.object({ id: z.string(), images: z.array(z.string()), verdict: CaseVerdict, flags: z.array(z.object({ code: z.string(), source: z.string(), pack: z.string(), reasons: z.array(z.string()) })).optional() }),
  ),
  /** Folder entries not inspected — not images, or unusable (FIFO, dangling link, loop, link out of the grant: WALK_*) — reported and recorded. */
  skipped: z.array(z.object({ path: z.string(), code: z.string(), message: z.string(), caseId: z.string() })).optional(),
  configSha256: z.string(),
  totalMs: z.number(),
  /** Execution providers asked for (null: default order) and those the images actually ran on. */
  providers: z.object({ requested: z.array(z.string()).nullable(), used: z.array(z.string()) }).optional(),
});
export type InspectRunResult = z.infer<typeof InspectRunResult>;
