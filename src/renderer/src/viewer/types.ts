/**
 * The viewer's plain-data model. Stores hold these records; konva only draws them. They mirror what
 * `images.open` / `inspect.run` return once fetched from the media store (typed arrays instead of ids).
 */
import type { FrameHeader } from '../../../shared/contract';

export type PixelDType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';
export type PixelArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/**
 * The VOI function of a window (PS3.3 C.11.2.1.2/3), plus `VOI_LUT`: the frame's own VOI LUT table
 * is the display, and centre/width only say where a drag starts (a linear window over the table's
 * input range). Absent means LINEAR.
 */
export type VoiFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID' | 'VOI_LUT';

export interface WindowLevel {
  center: number;
  width: number;
  function?: VoiFunction;
}

/** A DICOM lookup table (Modality or VOI LUT): entry i maps input value firstMapped + i. */
export interface LookupTable {
  firstMapped: number;
  /** Bits per entry: a VOI LUT's output range is 0 … 2^bits − 1. */
  bits: number;
  data: ArrayLike<number>;
  explanation?: string;
}

/** One decoded frame at full precision: stored values plus how to turn them into real values. */
export interface FrameData {
  width: number;
  height: number;
  channels: 1 | 3;
  dtype: PixelDType;
  /** Stored values, channels interleaved, row-major. */
  data: PixelArray;
  /** Modality rescale: real = stored × slope + intercept (HU for CT). */
  slope: number;
  intercept: number;
  /** A Modality LUT table instead of the rescale: real = table[stored]. */
  modalityLut?: LookupTable;
  /** The file's VOI LUT table; `default` when the file has no window, so the table is the display. */
  voiLut?: LookupTable & { default: boolean };
  /** MONOCHROME1 / Presentation LUT INVERSE: low values display white. */
  invert: boolean;
  /** The file's own windows, first is the default; empty when it has none. */
  windows: (WindowLevel & { explanation?: string })[];
  /** Stored values meaning "no data": excluded from statistics, painted black. */
  padding?: { from: number; to: number };
  /** Real-value unit for readouts and the legend (`HU`, or empty). */
  unit?: string;
  /** Real-value range, padding excluded, when the host already computed it (saves a pass). */
  range?: { min: number; max: number };
  /**
   * A progressive preview: `data` holds every `step`-th pixel of every `step`-th row
   * (⌈width/step⌉ per row), until the full frame replaces this record. Geometry stays the image's.
   */
  step?: number;
  /** The file this frame came from and its 0-based frame in it (tag browser, measurements' source). */
  source?: { path: string; frame: number };
  /** Pixel Spacing (row, column mm); absent: lengths are in px. */
  pixelSpacing?: { row: number; column: number; source: string };
  /** Image Position / Orientation (Patient) (DICOM). */
  position?: [number, number, number];
  orientation?: [number, number, number, number, number, number];
  /** Header attributes for the corner annotations. */
  header?: FrameHeader;
}

/** Corner-annotation attributes: the IPC contract's `FrameHeader`, one definition for host and UI. */
export type { FrameHeader };

/** An image rectangle in image pixel coordinates (x right, y down, pixel (0,0) spans [0,1)²). */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type ColormapName = 'turbo' | 'jet' | 'inferno' | 'cividis';

/** How a heatmap's values become colours: raw → [0,1] by min/max, decision threshold if known. */
export interface HeatmapScale {
  min: number;
  max: number;
  /** `calibrated`: fixed over a validation set, comparable across images; `per-image`: min–max of this map. */
  kind: 'calibrated' | 'per-image';
  /** The model's decision threshold in raw units, when it has one (anomalib pixel threshold). */
  threshold?: number;
}

/** What a heatmap is, whether its values are loaded (`HeatmapData`) or still media (`HeatmapRef`). */
export interface HeatmapInfo {
  id: string;
  kind: 'gradcam' | 'cam' | 'anomaly';
  /** Method shown in the legend, e.g. `Grad-CAM`, `Grad-CAM++`, `PaDiM`. */
  method: string;
  /** Pack that produced it (name@version) and, when per class, which class. */
  source: string;
  className?: string;
  width: number;
  height: number;
  /** Explanation maps: does the map explain the decision (src/core/explain/faithfulness.ts)? Shown beside the legend. */
  trust?: TrustInfo;
}

/** The trust figure as the legend shows it. */
export interface TrustInfo {
  verdict: 'strong' | 'weak' | 'not-applicable';
  figure: number | null;
  topPercent: number;
  reason?: string;
}

export interface HeatmapData extends HeatmapInfo {
  values: Float32Array;
  /** Where the whole map grid lies on the image: model input resize/crop/pad undone. */
  covers: Rect;
  scale: HeatmapScale;
}

export type BoxSource = 'region' | 'detector' | 'reviewer';

export interface BoxData {
  id: string;
  source: BoxSource;
  label: string;
  score?: number;
  /** Model/pack or reviewer that made it. */
  origin: string;
  rect: Rect;
  /** Model boxes: the recorded run and the box's index in its regions (what a per-box review names). */
  runId?: number;
  index?: number;
  /** A reviewer's accept/reject of this model box, once recorded. */
  decision?: 'accept' | 'reject';
}

export interface LayerSettings {
  visible: boolean;
  opacity: number;
  colormap: ColormapName;
  /** Display threshold on the normalised [0,1] scale: nothing drawn below it. */
  threshold: number;
  contour: boolean;
}

/** Everything one viewport shows. */
export interface Scene {
  id: string;
  title: string;
  /** Frames of the image or series; the viewport shows one at a time. */
  frames: FrameData[];
  heatmaps: HeatmapData[];
  boxes: BoxData[];
}
