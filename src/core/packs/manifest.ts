/**
 * `pack.yaml`: what a model pack is. Everything the engine needs to run a model exactly as it was
 * trained (input geometry, colour, normalisation), to read its outputs (names and meanings), to
 * decide (thresholds and how they were derived), to explain (target layer, display scale) and to
 * audit it later (provenance, SHA-256 of every file). Documented for pack authors in docs/PACKS.md.
 */
import { z } from 'zod';
import { METHODS } from '../explain/cams';

export const PACK_FORMAT = 1;
export const KINDS = ['classifier', 'anomaly', 'detector', 'segmentation', 'grounding'] as const;
export const SEVERITIES = ['none', 'low', 'medium', 'high', 'critical'] as const;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256');

export const InputSpec = z
  .object({
    name: z.string().min(1),
    /** [height, width] the graph takes. */
    size: z.tuple([z.number().int().positive(), z.number().int().positive()]),
    layout: z.enum(['NCHW', 'NHWC']).default('NCHW'),
    channels: z.union([z.literal(1), z.literal(3)]).default(3),
    colour: z.enum(['rgb', 'bgr', 'gray']).default('rgb'),
    /** Pixel values [0, 1] are first mapped to this range (e.g. [0, 255] for caffe-style models). */
    range: z.tuple([z.number(), z.number()]).default([0, 1]),
    mean: z.array(z.number()).optional(),
    std: z.array(z.number().positive()).optional(),
    resize: z.enum(['stretch']).default('stretch'),
  })
  .strict();
export type InputSpec = z.infer<typeof InputSpec>;

export const OutputSpec = z
  .object({
    name: z.string().min(1),
    meaning: z.enum(['logits', 'probabilities', 'reconstruction', 'anomaly_map', 'pred_score', 'pred_label', 'pred_mask', 'boxes', 'scores', 'mask']),
  })
  .strict();

/**
 * A coded concept (PS3.3 §8.8 Code Sequence macro): coding scheme designator, code value and code
 * meaning, held to what the DICOM objects can carry — SH (16 characters) for the designator and
 * value, LO (64) for the meaning, none with a backslash (the DICOM value separator) or a control
 * character. The designator is an upper-case PS3.16 Table 8-1 designator (`SCT`, `DCM`, `LN`…)
 * or a private one (`99…`, PS3.16 §8.2); Inspector does not check the value against the scheme.
 */
const noSeparator = (v: string) => ![...v].some((ch) => ch === '\\' || ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);
export const CodedConcept = z
  .object({
    scheme: z.string().regex(/^[A-Z0-9_]{1,16}$/, 'a coding scheme designator: 1-16 upper-case letters, digits or _ (SCT, DCM, or a private 99… one)'),
    // YAML reads an unquoted 233604007 as a number, and a long SNOMED id would lose digits as one.
    value: z
      .string({ error: "a code value is a quoted string, e.g. value: '233604007'" })
      .regex(/\S/, 'a code value must not be empty')
      .max(16, 'a code value holds at most 16 characters (DICOM SH)')
      .refine(noSeparator, 'a code value must not hold a backslash or a control character')
      .refine((v) => v === v.trim(), 'a code value must not start or end with spaces'),
    meaning: z
      .string()
      .regex(/\S/, 'a code meaning must not be empty')
      .max(64, 'a code meaning holds at most 64 characters (DICOM LO)')
      .refine(noSeparator, 'a code meaning must not hold a backslash or a control character'),
  })
  .strict();
export type CodedConcept = z.infer<typeof CodedConcept>;

export const Label = z
  .object({
    id: z.string().min(1),
    display: z.object({ en: z.string(), ko: z.string().optional() }).strict(),
    /** `none` marks the good/normal class(es); any other severity counts as a defect. */
    severity: z.enum(SEVERITIES).default('medium'),
    /**
     * The standard concept the label is (e.g. SCT 233604007 "Pneumonia"): the finding code of the
     * DICOM SR and the segmented property type of the SEG. Absent: Inspector's private code
     * (99INSPECTOR, the label id), which a PACS or viewer cannot recognise (docs/DICOM-NODE.md).
     */
    code: CodedConcept.optional(),
    /** SEG segmented property category of the label; absent: SCT 49755003 "Morphologically Abnormal Structure". */
    category: CodedConcept.optional(),
  })
  .strict();
export type Label = z.infer<typeof Label>;

export const Derivation = z
  .object({
    method: z.string(),
    /** The numbers that produced the value (e.g. mean, std, k, n) so it can be re-derived. */
    stats: z.record(z.string(), z.number()).optional(),
    note: z.string().optional(),
  })
  .strict();

export const ClassifierDecision = z
  .object({
    activation: z.enum(['softmax', 'sigmoid', 'none']).default('softmax'),
    /**
     * Two thresholds on the defect score (sum of probabilities of labels with severity ≠ none, or
     * the top probability when no label is marked normal): below `low` passes, at or above `high`
     * is a defect, between is UNCERTAIN (Cognex's T1/T2). low = high removes the band.
     */
    low: z.number().min(0).max(1).default(0.5),
    high: z.number().min(0).max(1).default(0.5),
    derivation: Derivation.optional(),
  })
  .strict()
  .refine((d) => d.low <= d.high, { message: 'decision.low must not exceed decision.high' });

export const DisplayScale = z
  .object({
    /** `anchored`: fixed [low, high] from the pack; `minmax`: per image (pytorch-grad-cam's way). */
    mode: z.enum(['anchored', 'minmax']),
    low: z.number().optional(),
    high: z.number().optional(),
    derivation: Derivation.optional(),
  })
  .strict()
  .refine((s) => s.mode === 'minmax' || (s.low !== undefined && s.high !== undefined && s.high > s.low), {
    message: 'an anchored scale needs low < high',
  });
export type DisplayScale = z.infer<typeof DisplayScale>;

export const Explanation = z
  .object({
    method: z.enum(METHODS).default('gradcam'),
    /** Tensor name of the target activation (N, K, h, w): any 4-D activation; `pack create` detects the last. */
    target: z.string().optional(),
    /** How it was chosen, e.g. `auto: input of GlobalAveragePool /avgpool/GlobalAveragePool`. */
    targetReason: z.string().optional(),
    /**
     * Further layers fused with `target` into one map (pytorch-grad-cam's multi-layer
     * aggregation, docs/EXPLANATIONS.md); absent: a single-layer map.
     */
    layers: z.array(z.string().min(1)).max(16).optional(),
    scale: DisplayScale.default({ mode: 'minmax' }),
    /**
     * Which class the map explains. `predicted`: the top class (pytorch-grad-cam's default).
     * `defect`: the most probable defect label on every image, pass or fail, so that with an
     * anchored scale heat always means "evidence of a defect" and a good part stays cool.
     */
    targetClass: z.enum(['predicted', 'defect']).default('predicted'),
    /** Score-CAM cost bound: at most this many channels (highest mean activation first). */
    scoreCamMaxChannels: z.number().int().positive().default(256),
  })
  .strict();

export const ThresholdStat = z
  .object({
    value: z.number(),
    derivation: Derivation,
  })
  .strict();

/** Autoencoder: how input and reconstruction are compared per pixel (src/core/anomaly/residual.ts). */
export const ResidualSpec = z
  .object({
    metric: z.enum(['l2', 'l1', 'ssim']).optional(),
    /** mean: the metric per RGB channel, averaged; luma: the metric on BT.601 luma of both images. */
    channels: z.enum(['mean', 'luma']).optional(),
    /** ssim: side of the uniform window in pixels (odd). */
    window: z.number().int().min(3).refine((v) => v % 2 === 1, 'the SSIM window must be odd').optional(),
  })
  .strict();
export type ResidualSpec = z.infer<typeof ResidualSpec>;

export const AnomalySpec = z
  .object({
    format: z.enum(['autoencoder', 'anomalib-v1', 'anomalib-v2']),
    /** Autoencoder: absent means squared error averaged over channels (every pack before it existed). */
    residual: ResidualSpec.optional(),
    /** Autoencoder: Gaussian σ (pixels, at model resolution) applied to the error map. */
    sigma: z.number().nonnegative().default(4),
    /** Autoencoder: how the image score comes from the smoothed map. */
    score: z.enum(['max', 'mean']).default('max'),
    /** Raw thresholds (autoencoder, or anomalib v1 from metadata.json). */
    imageThreshold: ThresholdStat.optional(),
    pixelThreshold: ThresholdStat.optional(),
    /** Min/max of raw scores and map values over normal validation images: the [0,1] normalisation. */
    normalisation: z
      .object({
        scores: z.tuple([z.number(), z.number()]),
        maps: z.tuple([z.number(), z.number()]),
      })
      .strict()
      .optional(),
    /** anomalib v1: the metadata.json beside the model. */
    metadata: z.string().optional(),
  })
  .strict();
export type AnomalySpec = z.infer<typeof AnomalySpec>;

/** Segmentation packs: how the per-pixel class channels read (src/core/segmentation/segment.ts). */
export const SegmentationSection = z
  .object({
    activation: z.enum(['sigmoid', 'softmax', 'none']),
    /** Activation `none`: channels are exclusive (softmax applied in the graph) or independent. */
    exclusive: z.boolean().optional(),
    /** One per output channel, in channel order; `label` names one of the pack's labels. */
    classes: z
      .array(
        z
          .object({
            label: z.string().min(1),
            colour: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour like #ff3b30'),
            background: z.boolean().default(false),
            threshold: z.number().min(0).max(1).default(0.5),
          })
          .strict(),
      )
      .min(1),
    /** Components smaller than this many model pixels are not regions. */
    minArea: z.number().int().nonnegative().default(4),
    /** Millimetres per source pixel (row, column) when the camera is calibrated; DICOM spacing wins. */
    pixelSpacing: z.tuple([z.number().positive(), z.number().positive()]).optional(),
    /** How each class's cut was chosen. */
    derivation: Derivation.optional(),
  })
  .strict();
export type SegmentationSection = z.infer<typeof SegmentationSection>;

/**
 * Grounding (text-prompted boxes, Grounding DINO–style ONNX): the pack folder holds the public
 * export layout (config.json, preprocessor_config.json, tokenizer files, onnx/model*.onnx; see
 * docs/GROUNDING.md); `model` is the chosen dtype variant. These are the defaults a run may override.
 */
export const GroundingSpec = z
  .object({
    prompt: z.string().min(1),
    boxThreshold: z.number().min(0).max(1).default(0.35),
    textThreshold: z.number().min(0).max(1).default(0.25),
    /** Per-label NMS IoU; absent: none (Grounding DINO's default). */
    nmsIou: z.number().min(0).max(1).optional(),
    dtype: z.enum(['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16']).default('fp32'),
    /** Which ONNX contract the model has (detected by `pack create`). */
    variant: z.enum(['hf', 'idea']).default('hf'),
  })
  .strict();
export type GroundingSpec = z.infer<typeof GroundingSpec>;

/**
 * The input guard (src/core/guard, docs/PACKS.md "Input guard"): what the pack's inputs look like,
 * recorded at creation by `inspector pack guard --calibrate`. An image outside it is flagged
 * INPUT_OUT_OF_DISTRIBUTION and its decision is UNCERTAIN.
 */
export const GuardSpec = z
  .object({
    accepts: z
      .object({
        /** gray: one channel, or channels equal up to `chromaMax`; rgb: colour of at least `chromaMin`. */
        colour: z.enum(['gray', 'rgb', 'any']),
        chromaMax: z.number().min(0).max(1).optional(),
        chromaMin: z.number().min(0).max(1).optional(),
        /** DICOM files are accepted only with these modalities (other formats carry none). */
        dicomModalities: z.array(z.enum(['ct', 'xray', 'rgb', 'other'])).default([]),
        /** Accepted [min, max] of the decoded image's width and height, pixels. */
        width: z.tuple([z.number().int().positive(), z.number().int().positive()]),
        height: z.tuple([z.number().int().positive(), z.number().int().positive()]),
        derivation: Derivation.optional(),
      })
      .strict(),
    statistic: z
      .object({
        feature: z.enum(['embedding', 'layers', 'histogram', 'max-probability', 'energy']),
        /** embedding/layers: the 4-D activations whose global averages are the feature vectors. */
        tensors: z.array(z.string().min(1)).optional(),
        /** embedding/layers/histogram: the reference Gaussians (mean, precision), a file of the pack. */
        file: z.string().optional(),
        /** Flag above (distance, energy) or below (max-probability) this value. */
        threshold: z.number(),
        derivation: Derivation,
      })
      .strict()
      .optional(),
    /** Measured false-alarm and detection rates (`pack guard --measure`), for the model card. */
    measured: z.record(z.string(), z.number()).optional(),
  })
  .strict();
export type GuardSpec = z.infer<typeof GuardSpec>;

/**
 * Tiled inference for images much larger than the input (src/core/engine/tiling.ts, docs/PACKS.md
 * "Tiling"): the image is cut into `tile`-sized pieces (source pixels; a number is a square) that
 * overlap by `overlap` (pixels when ≥ 1, a fraction of the tile when < 1), each piece runs like a
 * whole image, maps are stitched onto the full image by `stitch` and the image score pools the tiles'.
 */
export const TilingSpec = z
  .object({
    tile: z.union([z.number().int().positive(), z.tuple([z.number().int().positive(), z.number().int().positive()])]),
    overlap: z.number().nonnegative().default(0),
    stitch: z.enum(['linear', 'mean', 'max']).default('linear'),
    score: z.enum(['max', 'mean']).default('max'),
  })
  .strict();
export type TilingSpec = z.infer<typeof TilingSpec>;

export const Provenance = z
  .object({
    trainingData: z.string().optional(),
    licence: z.string().optional(),
    dataLicence: z.string().optional(),
    metrics: z.record(z.string(), z.number()).optional(),
    createdBy: z.string().optional(),
    createdAt: z.string().optional(),
    source: z.string().optional(),
    notes: z.string().optional(),
  })
  .strict();

const PackName = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, . _ -');

export const Manifest = z
  .object({
    format: z.literal(PACK_FORMAT),
    name: PackName,
    /**
     * Earlier names the pack still answers to (`--pack`, inspector.yaml, station configs): a pack
     * renamed to say what it is keeps working wherever its old name is written. Only a reference
     * resolves through an alias; records, exports and approvals always carry `name` (docs/PACKS.md).
     */
    aliases: z.array(PackName).optional(),
    version: z.string().min(1),
    kind: z.enum(KINDS),
    title: z.object({ en: z.string(), ko: z.string().optional() }).strict().optional(),
    description: z.string().optional(),
    /** Which view of the part the model looks at; used by the integrated verdict. */
    side: z.enum(['internal', 'external']).optional(),
    model: z.string().min(1),
    input: InputSpec,
    outputs: z.array(OutputSpec).min(1),
    labels: z.array(Label).default([]),
    decision: ClassifierDecision.optional(),
    explanation: Explanation.optional(),
    anomaly: AnomalySpec.optional(),
    segmentation: SegmentationSection.optional(),
    grounding: GroundingSpec.optional(),
    provenance: Provenance.default({}),
    /**
     * Defect scores of the pack's validation images: the baseline the history measures drift
     * (PSI, KS) against. Written by `pack create --reference DIR`.
     */
    reference: z.object({ scores: z.array(z.number()).min(10), derivation: Derivation }).strict().optional(),
    /** What inputs the pack accepts (input guard); absent: every decodable image is inspected. */
    guard: GuardSpec.optional(),
    /** Tiled inference (absent: the whole image is resized to the input in one pass). */
    tiling: TilingSpec.optional(),
    /** SHA-256 of every file of the pack except pack.yaml itself. */
    files: z.record(z.string(), Sha256),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.kind === 'classifier') {
      if (m.labels.length === 0) ctx.addIssue({ code: 'custom', path: ['labels'], message: 'a classifier needs labels' });
      if (!m.outputs.some((o) => o.meaning === 'logits' || o.meaning === 'probabilities'))
        ctx.addIssue({ code: 'custom', path: ['outputs'], message: 'a classifier needs an output with meaning logits or probabilities' });
    }
    if (m.kind === 'segmentation') {
      if (!m.segmentation) ctx.addIssue({ code: 'custom', path: ['segmentation'], message: 'a segmentation pack needs a segmentation section' });
      if (!m.outputs.some((o) => o.meaning === 'logits' || o.meaning === 'probabilities'))
        ctx.addIssue({ code: 'custom', path: ['outputs'], message: 'a segmentation pack needs an output with meaning logits or probabilities' });
      const ids = new Set(m.labels.map((l) => l.id));
      m.segmentation?.classes.forEach((c, i) => {
        if (!ids.has(c.label)) ctx.addIssue({ code: 'custom', path: ['segmentation', 'classes', i, 'label'], message: `no label "${c.label}" in labels` });
      });
    }
    m.aliases?.forEach((a, i) => {
      if (a === m.name || m.aliases!.indexOf(a) !== i) ctx.addIssue({ code: 'custom', path: ['aliases', i], message: `alias "${a}" repeats the name or another alias` });
    });
    if (m.kind === 'grounding' && !m.grounding) ctx.addIssue({ code: 'custom', path: ['grounding'], message: 'a grounding pack needs a grounding section' });
    if (m.kind === 'anomaly' && !m.anomaly) ctx.addIssue({ code: 'custom', path: ['anomaly'], message: 'an anomaly pack needs an anomaly section' });
    const guardFile = m.guard?.statistic?.file;
    if (guardFile && !(guardFile in m.files)) ctx.addIssue({ code: 'custom', path: ['guard', 'statistic', 'file'], message: `files must list the guard file ${guardFile}` });
    if (!(m.model in m.files)) ctx.addIssue({ code: 'custom', path: ['files'], message: `files must list the model ${m.model}` });
    for (const key of ['mean', 'std'] as const) {
      const v = m.input[key];
      if (v && v.length !== m.input.channels)
        ctx.addIssue({ code: 'custom', path: ['input', key], message: `${key} needs ${m.input.channels} values (one per channel)` });
    }
  });
export type Manifest = z.infer<typeof Manifest>;
export type ManifestInput = z.input<typeof Manifest>;
