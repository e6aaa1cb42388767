/**
 * The one image model of the app. A frame keeps its *stored* values (what the file holds after
 * decompression, bit masking and sign extension) in their natural typed array, plus everything
 * needed to turn them into real values (modality LUT) and into a display (VOI LUT, inversion).
 * Keeping stored values rather than pre-scaled floats makes hashes comparable with pydicom and
 * halves memory for 16-bit CT; `realValues()` in ./pixels gives the Float32 view on demand.
 */

export type PixelDType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';

export type PixelArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/**
 * The colour model of `Frame.stored`. Decoders that already convert colour (libjpeg-turbo turns
 * YBR into RGB, JPEG-LS/J2K undo RCT/ICT) report `RGB` here; the file's own value stays in
 * `sourcePhotometric`, so YBR is never converted twice.
 */
export type Photometric = 'MONOCHROME1' | 'MONOCHROME2' | 'RGB' | 'YBR_FULL' | 'PALETTE COLOR';

export type VoiFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

export interface WindowSetting {
  center: number;
  width: number;
  function: VoiFunction;
  /** Window Center & Width Explanation, or how we chose it (`auto: min-max`). */
  explanation?: string;
}

/** A lookup table as in PS3.3 C.11.1.1: `data[clamp(x - firstMapped)]`. */
export interface LookupTable {
  firstMapped: number;
  bits: number;
  data: Uint16Array | Int16Array | Uint8Array;
  explanation?: string;
}

/** Modality LUT: either the linear rescale or a table (Modality LUT Sequence). */
export type ModalityTransform = { kind: 'rescale'; slope: number; intercept: number; type?: string } | { kind: 'lut'; lut: LookupTable; type?: string };

export interface PaletteLut {
  red: LookupTable;
  green: LookupTable;
  blue: LookupTable;
}

export interface PixelSpacing {
  /** Row spacing then column spacing, mm (DICOM order). */
  row: number;
  column: number;
  /** `PixelSpacing` is in the patient; `ImagerPixelSpacing` at the detector (magnified). */
  source: 'PixelSpacing' | 'ImagerPixelSpacing' | 'file';
}

export interface Frame {
  index: number;
  width: number;
  height: number;
  channels: 1 | 3;
  dtype: PixelDType;
  /** Stored values, channels interleaved (RGBRGB…), row-major. */
  stored: PixelArray;
  bitsStored: number;
  photometric: Photometric;
  modality: ModalityTransform;
  /** Display defaults, first one is the default; empty when the file has none. */
  windows: WindowSetting[];
  voiLut?: LookupTable;
  /** True for MONOCHROME1 or Presentation LUT Shape INVERSE: low values display white. */
  invert: boolean;
  pixelSpacing?: PixelSpacing;
  palette?: PaletteLut;
  /** Stored values that mean "no data" (Pixel Padding Value … Range Limit), excluded from statistics. */
  padding?: { from: number; to: number };
  /** Patient-space geometry, for series sorting. */
  position?: [number, number, number];
  orientation?: [number, number, number, number, number, number];
  /** What a viewer writes in its corners (DICOM only), decoded with the file's character set. */
  header?: FrameHeader;
}

/** Header attributes for corner annotations: who, which study and series, which slice. */
export interface FrameHeader {
  patientName?: string;
  patientId?: string;
  modality?: string;
  studyDate?: string;
  studyDescription?: string;
  seriesDescription?: string;
  seriesNumber?: string;
  instanceNumber?: string;
  sopClassUid?: string;
  sopInstanceUid?: string;
  seriesInstanceUid?: string;
  sliceLocation?: number;
  sliceThickness?: number;
}

export type ImageFormat = 'dicom' | 'png' | 'jpeg' | 'tiff' | 'bmp' | 'webp' | 'gif' | 'other';

export interface SourceInfo {
  path?: string;
  format: ImageFormat;
  bytes: number;
  /** DICOM transfer syntax UID and its name. */
  transferSyntax?: { uid: string; name: string };
  /** The file's own Photometric Interpretation when the decoder changed it (YBR_* → RGB). */
  sourcePhotometric?: string;
  bitsAllocated?: number;
  /** A few identifying attributes, decoded with the file's character set. */
  attributes: Record<string, string | number | undefined>;
}

/** One decoded file: all its frames. */
export interface ImageFile {
  source: SourceInfo;
  frames: Frame[];
}

/** Frames of one acquisition, in display order (slices of a volume, or frames of a multi-frame). */
/**
 * How a series was formed: a DICOM series (one Series Instance UID: an acquisition, a volume),
 * one multi-frame file, or a stack of same-size images grouped by folder and name only (a guess:
 * the files may as well be separate parts).
 */
export type SeriesGrouping = 'dicom' | 'file' | 'stack';

export interface ImageSeries {
  id: string;
  grouping: SeriesGrouping;
  description: string;
  modality?: string;
  frames: Frame[];
  /** For each frame, the file it came from (same length as `frames`). */
  files: string[];
  /** Distance between neighbouring slices along the normal, mm, when the geometry gives it. */
  sliceSpacing?: number;
}
