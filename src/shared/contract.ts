/**
 * The one IPC contract between renderer and main: channel → input schema → output schema.
 * Electron's ipcMain, the Playwright test bridge and the types of `window.api` all derive from it.
 */
import { z } from 'zod';
import type { Channel } from './channels';
import { HeatmapRef, InspectRunInput, InspectRunResult, TrustFigure } from './inspect';
import * as H from './history';
import { StationControl, StationExplanationView, StationFeed, StationRunRef } from './station';
import * as D from './dicom';
import { evaluationContract } from './evaluation';
import { fleetContract } from './fleet';

const Empty = z.object({}).strict();

export const ExecutionProviderProbe = z.object({
  name: z.string(),
  /** Compiled into this onnxruntime-node build (listSupportedBackends). */
  inBuild: z.boolean(),
  /** A session was created and ran a probe model on this provider alone. */
  available: z.boolean(),
  /** Why it is not available, as onnxruntime said it. */
  reason: z.string().optional(),
  ms: z.number().optional(),
});
export type ExecutionProviderProbe = z.infer<typeof ExecutionProviderProbe>;

export const PackSummary = z.object({
  dir: z.string(),
  name: z.string(),
  version: z.string(),
  kind: z.string(),
  source: z.enum(['app', 'user']),
  /** Set when the manifest could not be read; the pack is listed so the user sees why. */
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type PackSummary = z.infer<typeof PackSummary>;

export const DoctorReport = z.object({
  versions: z.object({
    inspector: z.string(),
    node: z.string(),
    electron: z.string().nullable(),
    onnxruntime: z.string(),
    sharp: z.string(),
    libvips: z.string(),
    betterSqlite3: z.string(),
    sqlite: z.string(),
  }),
  platform: z.string(),
  arch: z.string(),
  cpus: z.number(),
  executionProviders: z.array(ExecutionProviderProbe),
  packs: z.array(PackSummary),
});
export type DoctorReport = z.infer<typeof DoctorReport>;

export const AppInfo = z.object({
  version: z.string(),
  platform: z.string(),
  dataDir: z.string(),
  modelDirs: z.array(z.string()),
  /** Base URL under which the renderer fetches image/heatmap bytes (`inspector://app/media`). */
  mediaBase: z.string(),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const SystemStatus = z.object({
  /** The execution provider inference will use, found by probing, e.g. `cpu` or `cuda`. */
  activeProvider: z.string(),
  database: z.string(),
  worker: z.enum(['idle', 'running', 'restarting', 'stopped']),
});
export type SystemStatus = z.infer<typeof SystemStatus>;

/** A thumbnail's bytes are fetched from `mediaBase/<mediaId>` (image/png); regions are in image pixels. */
export const StationThumbnail = z.object({
  mediaId: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  imageWidth: z.number().int(),
  imageHeight: z.number().int(),
  regions: z.array(z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() })),
});
export type StationThumbnail = z.infer<typeof StationThumbnail>;

export const ChooseFilesInput = z.object({
  /** `folder`: one folder (a case, a series, a batch); `files`: one or more image files. */
  kind: z.enum(['folder', 'files']),
}).strict();
export const ChosenFiles = z.object({
  /** What the user picked (empty when cancelled); each is now readable through the other channels. */
  paths: z.array(z.string()),
});
export type ChosenFiles = z.infer<typeof ChosenFiles>;

/** A DICOM lookup table as JSON (at most 64k entries): entry i is the output for input firstMapped + i. */
export const LookupTableJson = z.object({ firstMapped: z.number(), bits: z.number().int(), data: z.array(z.number()), explanation: z.string().optional() });

/** A decoded frame's metadata; its pixels are fetched from `mediaBase/<mediaId>` as raw LE bytes. */
/** Corner-annotation attributes of a DICOM frame (patient, study, series, slice). */
export const FrameHeader = z
  .object({
    patientName: z.string(),
    patientId: z.string(),
    modality: z.string(),
    studyDate: z.string(),
    studyDescription: z.string(),
    seriesDescription: z.string(),
    seriesNumber: z.string(),
    instanceNumber: z.string(),
    /** Which instance the frame is (measurements name it in the SR). */
    sopClassUid: z.string(),
    sopInstanceUid: z.string(),
    seriesInstanceUid: z.string(),
    sliceLocation: z.number(),
    sliceThickness: z.number(),
  })
  .partial();
export type FrameHeader = z.infer<typeof FrameHeader>;

export const ImageFrame = z.object({
  index: z.number().int(),
  mediaId: z.string(),
  /** `application/x-inspector-pixels; dtype=int16; width=512; height=512; channels=1` */
  contentType: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  channels: z.union([z.literal(1), z.literal(3)]),
  dtype: z.enum(['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64']),
  bitsStored: z.number().int(),
  photometric: z.string(),
  /** Modality rescale: real = stored × slope + intercept. */
  slope: z.number(),
  intercept: z.number(),
  /** MONOCHROME1 / Presentation LUT INVERSE: low values display white. */
  invert: z.boolean(),
  /** Default window first (the file's own, else derived); function LINEAR, LINEAR_EXACT or SIGMOID. */
  windows: z.array(z.object({ center: z.number(), width: z.number(), function: z.string(), explanation: z.string().optional() })),
  /** Stored values meaning "no data" (Pixel Padding Value…Range Limit). */
  padding: z.object({ from: z.number(), to: z.number() }).optional(),
  /** Modality LUT table (real = table[stored], slope 1, intercept 0 then); the pixels stay stored values. */
  modalityLut: LookupTableJson.optional(),
  /** The file's VOI LUT table; `default` when the file has no window, so the table is the display. */
  voiLut: LookupTableJson.extend({ default: z.boolean() }).optional(),
  unit: z.string().optional(),
  pixelSpacing: z.object({ row: z.number(), column: z.number(), source: z.string() }).nullable(),
  /** Real values (after the modality LUT), padding excluded. */
  min: z.number(),
  max: z.number(),
  /** Large frames a case opens on: every `step`-th stored value of every `step`-th row, same dtype, for the first paint. */
  preview: z.object({ mediaId: z.string(), step: z.number().int().min(2), width: z.number().int(), height: z.number().int() }).optional(),
  /** Image Position / Orientation (Patient), mm and direction cosines (DICOM). */
  position: z.tuple([z.number(), z.number(), z.number()]).optional(),
  orientation: z.tuple([z.number(), z.number(), z.number(), z.number(), z.number(), z.number()]).optional(),
  /** Header attributes for the viewer's corner annotations (DICOM). */
  header: FrameHeader.optional(),
});
export type ImageFrame = z.infer<typeof ImageFrame>;

export const OpenedImage = z.object({
  path: z.string(),
  format: z.string(),
  transferSyntax: z.object({ uid: z.string(), name: z.string() }).optional(),
  attributes: z.record(z.string(), z.union([z.string(), z.number()]).optional()),
  frames: z.array(ImageFrame),
});
export type OpenedImage = z.infer<typeof OpenedImage>;

export const OpenedSeries = z.object({
  series: z.array(
    z.object({
      id: z.string(),
      /** dicom: one Series Instance UID; file: one multi-frame file; stack: same-size images grouped by folder and name. */
      grouping: z.enum(['dicom', 'file', 'stack']),
      description: z.string(),
      modality: z.string().optional(),
      sliceSpacing: z.number().optional(),
      files: z.array(z.string()),
      frames: z.array(ImageFrame),
    }),
  ),
  /** Image files that did not open: they stay in the queue as cases that show their code. */
  errors: z.array(z.object({ path: z.string(), error: z.object({ code: z.string(), message: z.string() }) })),
  /** Entries not opened: not images (INPUT_NOT_AN_IMAGE) or refused by the walk (WALK_*), as `inspect.run` reports them. */
  skipped: z.array(z.object({ path: z.string(), code: z.string(), message: z.string() })),
});
export type OpenedSeries = z.infer<typeof OpenedSeries>;

/** `packs.card`: display facts of an installed pack (titles and class names in en/ko, model card). */
export const PackCard = z.object({
  name: z.string(),
  version: z.string(),
  kind: z.string(),
  title: z.object({ en: z.string(), ko: z.string().optional() }).optional(),
  description: z.string().optional(),
  labels: z.array(z.object({ id: z.string(), display: z.object({ en: z.string(), ko: z.string().optional() }), severity: z.string() })),
  provenance: z.object({ trainingData: z.string().optional(), licence: z.string().optional(), metrics: z.record(z.string(), z.number()).optional() }),
  /** MODEL_CARD.md as written by the pack's authors (Markdown, first 20 000 characters). */
  modelCard: z.string().optional(),
  /** MODEL_CARD.ko.md, when the pack has one. */
  modelCardKo: z.string().optional(),
  /** Classifier packs: the pack's explanation and the layers a map can be made of (viewer selector). */
  explanation: z.object({ method: z.string(), target: z.string(), layers: z.array(z.string()), candidates: z.array(z.string()) }).optional(),
});
export type PackCard = z.infer<typeof PackCard>;

export const SampleSet = z.object({
  /** Folder name; when a pack has the same name, it is the pack these samples are for. */
  name: z.string(),
  dir: z.string(),
  images: z.array(z.string()),
  /** inspector.yaml of the set: which pack inspects which view, and how the verdict combines them. */
  config: z.string().optional(),
});
export type SampleSet = z.infer<typeof SampleSet>;

/**
 * A recorded run's raw map, republished from the blob store (`images.openRun`): the same fields as a
 * live `inspect.run` heatmap, plus what a live result carries elsewhere (pack input size, explained
 * class, anomaly pixel threshold) when the run recorded them.
 */
export const RecordedHeatmap = HeatmapRef.extend({
  inputSize: z.tuple([z.number(), z.number()]).optional(),
  targetLabel: z.string().optional(),
  pixelThreshold: z.number().optional(),
  /** The map's trust figure as recorded with the run (explanation maps). */
  trust: TrustFigure.optional(),
  /** The run was tiled: the map spans the full image (recorded `explanation.tiling`). */
  tiled: z.boolean().optional(),
});

/** A segmentation run's recorded class mask, republished from the blob store (uint8 per model pixel, 255 = none). */
export const RecordedMask = z.object({
  mediaId: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  classes: z.array(z.object({ label: z.string(), colour: z.string(), background: z.boolean() })),
});

export const AgreementRecordInput = z
  .object({
    /** Recorded runs on the same image, each named by the system it stands for (Grad-CAM, Anomaly, Grounding…). */
    runs: z.array(z.object({ system: z.string().min(1).max(40), runId: z.number().int().positive() }).strict()).min(2).max(6),
    matchIou: z.number().gt(0).max(1).optional(),
  })
  .strict();
export const AgreementRecorded = z.object({
  agreementId: z.number(),
  caseKey: z.string(),
  matchIou: z.number(),
  meanIou: z.number().nullable(),
  systems: z.array(z.object({ system: z.string(), runId: z.number(), packName: z.string(), boxes: z.number(), method: z.string().nullable() })),
  pairs: z.array(z.object({ a: z.string(), b: z.string(), iou: z.number().nullable(), matched: z.number() })),
  boxes: z.array(z.object({ system: z.string(), index: z.number(), label: z.string().optional(), foundBy: z.array(z.string()), bestIou: z.record(z.string(), z.number()) })),
});
export type AgreementRecorded = z.infer<typeof AgreementRecorded>;

/**
 * The worklist's Node settings panel. The config travels as the loader's parsed object (its schema
 * lives in core, so here it is a record); the edit is loose on purpose: a port typed as 70000 or
 * an empty AE title reaches the host, whose config schema names the field (`port: Too big…`).
 */
const DicomSettingsView = z.object({
  path: z.string().nullable(),
  config: z.record(z.string(), z.unknown()).nullable(),
  sha256: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }).optional(),
  operator: z.object({ id: z.string(), role: z.string() }).nullable(),
  canEdit: z.boolean(),
});
const DicomSettingsEdit = z
  .object({
    ae_title: z.unknown(),
    port: z.unknown(),
    allow: z.array(z.record(z.string(), z.unknown())).max(1000),
    send_results: z.array(z.record(z.string(), z.unknown())).max(1000),
  })
  .strict();
const DicomSettingsSaved = z.object({
  path: z.string(),
  changed: z.array(z.string()),
  oldSha256: z.string(),
  newSha256: z.string(),
  node: D.DicomNodeState,
});

export const contract = {
  'app.info': { input: Empty, output: AppInfo },
  'system.doctor': { input: Empty, output: DoctorReport },
  'system.status': { input: Empty, output: SystemStatus },
  'packs.list': { input: Empty, output: z.array(PackSummary) },
  'packs.card': { input: z.object({ name: z.string().min(1) }).strict(), output: PackCard },
  'files.choose': { input: ChooseFilesInput, output: ChosenFiles },
  'samples.list': { input: Empty, output: z.array(SampleSet) },
  'images.open': { input: z.object({ path: z.string().min(1) }).strict(), output: OpenedImage },
  'images.openSeries': { input: z.object({ dir: z.string().min(1) }).strict(), output: OpenedSeries },
  'history.search': { input: H.HistorySearchInput, output: H.HistoryPage },
  'history.run': { input: z.object({ runId: z.number().int().positive() }).strict(), output: H.RunDetail },
  'history.stats': { input: H.HistoryStatsInput, output: H.HistoryStats },
  'review.submit': { input: H.ReviewSubmitInput, output: H.ReviewSubmitted },
  'operator.list': { input: Empty, output: H.OperatorList },
  'operator.create': { input: H.OperatorCreateInput, output: H.Operator },
  'operator.select': { input: z.object({ id: z.string().min(1) }).strict(), output: H.Operator },
  'audit.verify': { input: Empty, output: H.AuditVerifyReport },
  /** CSV/JSON of the filtered history or the PDF audit report, to a path the user picks in a save dialog; logged in the audit chain. */
  'history.export': { input: H.HistoryExportInput, output: H.HistoryExportResult },
  /** The recorded run's image, opened from the path in the database; `sha256Matches` false when the file changed since. */
  'images.openRun': { input: z.object({ runId: z.number().int().positive() }).strict(), output: OpenedImage.extend({ runId: z.number(), sha256Matches: z.boolean(), heatmap: RecordedHeatmap.optional(), heatmapError: z.object({ code: z.string(), message: z.string() }).optional(), mask: RecordedMask.optional() }) },
  /** Inspect files with a model pack: per-image results (maps as media ids) and per-case verdicts. */
  'inspect.run': { input: InspectRunInput, output: InspectRunResult },
  /** The line station the app runs (settings `station.config`): last cases, queue, connections; changes arrive as `station.event`. */
  'station.feed': { input: Empty, output: StationFeed },
  /** Start / stop the station, Halt / Reset its OPC 40100 state machine; operator role checked, audited. */
  'station.control': { input: StationControl, output: StationFeed },
  /** A station case's explanation (the maps recorded after its result), or that it is pending / none. */
  'station.explanation': { input: z.object({ resultId: z.string().min(1).max(100) }).strict(), output: StationExplanationView },
  /** A station case's recorded run with its image and map, opened from the station's own folders (no grant needed; the page names ids, never a path). */
  'station.openRun': { input: StationRunRef, output: OpenedImage.extend({ runId: z.number(), sha256Matches: z.boolean(), heatmap: RecordedHeatmap.optional(), heatmapError: z.object({ code: z.string(), message: z.string() }).optional(), mask: RecordedMask.optional() }) },
  /** A small PNG (at most 140 px) of a station case's run, with the flagged regions to outline: the Line room's feed shows each image. */
  'station.thumbnail': { input: StationRunRef, output: StationThumbnail },
  /** Studies the DICOM node received or retrieved, with their AI status, and the listener's state. */
  'dicom.worklist': { input: Empty, output: D.Worklist },
  /** Grants a worklist study's inbox folder and returns it, to open as cases. */
  'dicom.openStudy': { input: D.StudyUidInput, output: D.OpenedStudy },
  /** C-FIND / QIDO-RS of studies at the node's configured PACS (dicom.yaml `query:`). */
  'dicom.query': { input: D.StudyQueryInput, output: D.StudyMatches },
  /** C-GET (or C-MOVE / WADO-RS) of one study into the inbox; it then appears in the worklist. */
  'dicom.retrieve': { input: D.StudyUidInput, output: D.Retrieved },
  /** Cancels that study's running retrieve (C-CANCEL of a C-GET / C-MOVE, an aborted WADO-RS download): it then fails DICOM_CANCELLED, keeping what fully arrived. */
  'dicom.cancelRetrieve': { input: D.StudyUidInput, output: D.RetrieveCancel },
  /** Puts every unsent outbox entry back as due and tries to send now. */
  'dicom.retryOutbox': { input: Empty, output: Empty },
  /** The node's dicom.yaml as parsed, its path, and whether the selected operator (an admin) may edit it. */
  'dicom.settings': { input: Empty, output: DicomSettingsView },
  /** An admin's edit of ae_title, port, allow, DIMSE send_results: validated, written with a .bak, audited, node restarted (or the old file restored). */
  'dicom.saveSettings': { input: DicomSettingsEdit, output: DicomSettingsSaved },
  /** A granted DICOM file's data set for the tag browser (no pixel data). */
  'images.tags': { input: z.object({ path: z.string().min(1) }).strict(), output: D.TagRows },
  ...evaluationContract,
  ...fleetContract,
  /** Accept or reject one box of a recorded run; signed by the selected operator, in the audit chain. */
  'review.box': { input: H.BoxReviewInput, output: H.BoxReviewed },
  /** The agreement of the systems' boxes on one image (recorded runs), computed in core and recorded. */
  'agreement.record': { input: AgreementRecordInput, output: AgreementRecorded },
} satisfies Record<Channel, { input: z.ZodType; output: z.ZodType }>;

export type Contract = typeof contract;
export type Input<C extends Channel> = z.input<Contract[C]['input']>;
export type Output<C extends Channel> = z.output<Contract[C]['output']>;
