/** The review flow's plain records: what a case is, what the model found, what the reviewer decided. */
import type { SegmentationFindings } from '../mask/findings';
import type { BoxData, FrameHeader, HeatmapInfo, HeatmapScale, LookupTable, PixelDType, Rect, Scene, VoiFunction } from '../viewer/types';
import type { InputMapping } from '../viewer/heatmap';

export type CaseStatus = 'new' | 'inspected' | 'accepted' | 'rejected' | 'uncertain' | 'overridden';
export type Decision = 'accept' | 'reject' | 'uncertain' | 'override';

export interface LocalText {
  en: string;
  ko?: string;
}

export interface ModelCard {
  pack: string;
  version: string;
  displayName: LocalText;
  task: string;
  intendedUse?: LocalText;
  limitations?: LocalText;
  metrics?: { name: string; value: number }[];
}

/** What one side (internal CT/X-ray, external RGB) contributed to the integrated verdict; shown translated. */
export interface SideDriver {
  side: 'internal' | 'external';
  decision: 'pass' | 'defect' | 'uncertain';
  score: number;
  label?: string;
}

export interface Findings {
  /** Class the model chose. */
  verdict: string;
  probabilities: { label: string; displayName?: LocalText; p: number }[];
  /** The configured integrated verdict (pass / internal / external / combined) and what drove it. */
  integrated?: { verdict: string; displayName?: LocalText; drivers: (string | SideDriver)[] };
  /** Images of the case that could not be read or inspected, with their codes (why it is INCOMPLETE). */
  failed?: { path: string; code: string; message: string }[];
  /** The input guard flagged the image (INPUT_OUT_OF_DISTRIBUTION): why, one sentence per rule. */
  guard?: { code: string; reasons: string[] };
  models: ModelCard[];
  runId?: string;
  /** The engine's decision on the image; `incomplete` when an image of the case failed. */
  decision?: 'pass' | 'defect' | 'uncertain' | 'incomplete';
  /** The pack's uncertain band on the defect score (near-ties within its width are uncertain). */
  thresholds?: { low: number; high: number };
  /** Warnings on the input, e.g. `INPUT_OUT_OF_DISTRIBUTION` (the decision is then uncertain). */
  flags?: { code: string; message?: string }[];
  /** Whether the pack's exact files were evaluated on this station; `reason` when not. */
  validation?: { validated: boolean; reason: string | null };
  /** Segmentation packs: classes found with their regions and areas (no class probabilities). */
  segmentation?: SegmentationFindings;
  /** A tiled run (pack.yaml `tiling`): how many tiles, and (live) their size, overlap and score pooling. */
  tiling?: { tiles: number; tile?: [number, number]; overlap?: [number, number]; score?: string };
}

export interface Draft {
  decision?: Decision;
  overrideClass?: string;
  note: string;
  boxes: BoxData[];
  /** Something the reviewer changed since the last save. */
  dirty: boolean;
  savedAt?: string;
  savedId?: string;
}

/** A frame as published by the host: metadata plus the media id of its raw pixel bytes. */
export interface FrameRef {
  mediaId: string;
  width: number;
  height: number;
  channels: 1 | 3;
  dtype: PixelDType;
  slope?: number;
  intercept?: number;
  invert?: boolean;
  windows?: { center: number; width: number; function?: VoiFunction; explanation?: string }[];
  /** Tables sent as plain arrays (a VOI LUT has at most 64k entries). */
  modalityLut?: LookupTable;
  voiLut?: LookupTable & { default: boolean };
  padding?: { from: number; to: number };
  unit?: string;
  /** Real-value range from the host (images.open reports it). */
  min?: number;
  max?: number;
  /** A decimated copy of the stored values to paint first (large frames only). */
  preview?: { mediaId: string; step: number; width: number; height: number };
  pixelSpacing?: { row: number; column: number; source: string };
  /** The file (and 0-based frame in it) the host decoded this frame from. */
  source?: { path: string; frame: number };
  position?: [number, number, number];
  orientation?: [number, number, number, number, number, number];
  header?: FrameHeader;
}

/** A heatmap the host published as media, before its values are fetched. */
export interface HeatmapRef extends HeatmapInfo {
  mediaId: string;
  /** Either where the map lies on the image, or the model-input mapping to derive it from. */
  covers?: Rect;
  mapping?: InputMapping;
  scale?: HeatmapScale;
}

export interface CaseRef {
  id: string;
  title: string;
  origin: 'sample' | 'folder' | 'batch' | 'history' | 'test';
  /** Frames already published by the host; empty until `path` is opened. */
  frames: FrameRef[];
  /** A granted image file to open with `images.open` when the case is shown. */
  path?: string;
  /** The recorded inspection run this case shows; decisions are recorded against it. */
  runId?: number;
  /** The pack these images are meant for (bundled samples), preselected for inspection. */
  pack?: string;
  /** inspector.yaml to inspect with (it routes each view to its side's pack). */
  config?: string;
  heatmaps?: HeatmapRef[];
  boxes?: BoxData[];
  findings?: Findings;
  status?: CaseStatus;
}

export interface LoadedCase {
  scene: Scene;
  findings?: Findings;
  /** When `scene` paints a preview of its first frame: the same case with full-resolution frames. */
  full?: Promise<LoadedCase>;
}
