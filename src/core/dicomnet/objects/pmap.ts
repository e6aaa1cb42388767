/**
 * Parametric Map (PS3.3 A.75) of the run's heatmap: the map's own values as 32-bit floats (Float
 * Pixel Data) on the source's grid (the same stretch the SEG thresholds), so a viewer can show or
 * threshold it itself. The Real World Value Mapping says what a value means (the pack's map, no
 * unit; identity mapping from its low to its high end); one frame, derived from the source.
 *
 * Geometry is copied from the source so the map overlays it in any viewer: Frame of Reference,
 * Image Position/Orientation (Patient) and Pixel Spacing — from the top level of a classic image,
 * or the functional groups of an enhanced one. A projection image (CR, DX) has no patient
 * geometry; the IOD still requires a Frame of Reference and a plane, so the map gets a frame of
 * its own (a fresh UID no other object shares — nothing is registered to it by mistake), the
 * image plane at its origin, and the detector's Imager Pixel Spacing.
 *
 * A volume (`buildPmapVolume`): the runs of a series' slices, one map each, become one multi-frame
 * map — one frame per slice, ordered along the slice normal, each with its own Plane Position and
 * Derivation Image (the slice it came from) in the per-frame functional groups; the slices must
 * share size, frame of reference, orientation and spacing (else DICOM_VOLUME_MISMATCH), and
 * the Real World Value Mapping / window cover every frame's values.
 */
import { InspectorError } from '../../../shared/errors';
import { newUid } from '../uid';
import { code, derivedFrom, dicomDate, dicomTime, equipment, labelCode, patientAndStudy, type Naturalized } from './common';
import { resampleHeatmap } from './heatmap';
import type { DerivedObjectInput } from './seg';

export const PARAMETRIC_MAP = '1.2.840.10008.5.1.4.1.1.30';

export type PmapInput = DerivedObjectInput;

export interface PlaneGeometry {
  frameOfReferenceUid: string;
  /** True when the source carries patient geometry; false when the map got a frame of its own. */
  fromSource: boolean;
  position: number[];
  orientation: number[];
  pixelSpacing: number[];
  sliceThickness: number | undefined;
}

const numbers = (v: unknown, n: number): number[] | undefined => {
  const a = (Array.isArray(v) ? v : v === undefined || v === null || v === '' ? [] : [v]).map(Number);
  return a.length === n && a.every(Number.isFinite) ? a : undefined;
};

/** A functional-group attribute of an enhanced source: per-frame (first frame) before shared. */
function group(src: Naturalized, seq: string): Naturalized | undefined {
  for (const fg of [src['PerFrameFunctionalGroupsSequence'], src['SharedFunctionalGroupsSequence']]) {
    const item = (fg as Naturalized[] | undefined)?.[0]?.[seq] as Naturalized[] | undefined;
    if (item?.[0]) return item[0];
  }
  return undefined;
}

export function sourceGeometry(src: Naturalized, uidRoot: string): PlaneGeometry {
  const position = numbers(src['ImagePositionPatient'], 3) ?? numbers(group(src, 'PlanePositionSequence')?.['ImagePositionPatient'], 3);
  const orientation = numbers(src['ImageOrientationPatient'], 6) ?? numbers(group(src, 'PlaneOrientationSequence')?.['ImageOrientationPatient'], 6);
  const measures = group(src, 'PixelMeasuresSequence');
  // A spacing of 0 (some CRs write "0\\0") is no spacing.
  const positive = (a: number[] | undefined) => (a?.every((n) => n > 0) ? a : undefined);
  const spacing = positive(numbers(src['PixelSpacing'], 2)) ?? positive(numbers(measures?.['PixelSpacing'], 2)) ?? positive(numbers(src['ImagerPixelSpacing'], 2)) ?? [1, 1];
  const thickness = numbers(src['SliceThickness'], 1) ?? numbers(measures?.['SliceThickness'], 1);
  const frame = typeof src['FrameOfReferenceUID'] === 'string' && src['FrameOfReferenceUID'] ? (src['FrameOfReferenceUID'] as string) : undefined;
  if (frame && position && orientation) {
    return { frameOfReferenceUid: frame, fromSource: true, position, orientation, pixelSpacing: spacing, sliceThickness: thickness?.[0] };
  }
  return { frameOfReferenceUid: newUid(uidRoot), fromSource: false, position: [0, 0, 0], orientation: [1, 0, 0, 0, 1, 0], pixelSpacing: spacing, sliceThickness: thickness?.[0] };
}

/** Body Part Examined → the SNOMED region Frame Anatomy needs (PS3.16 CID 4031); others: entire body. */
const REGIONS: Record<string, ReturnType<typeof code>> = {
  CHEST: code('51185008', 'SCT', 'Thorax'),
  HEAD: code('69536005', 'SCT', 'Head'),
  ABDOMEN: code('818981001', 'SCT', 'Abdomen'),
  PELVIS: code('816092008', 'SCT', 'Pelvis'),
};

const DERIVATION = code('113073', 'DCM', 'Quantitative analysis');

/** The source instances by series, each once (Common Instance Reference module, PS3.3 C.12.2). */
export function referencedSeries(refs: DerivedObjectInput['ref'][]): Naturalized[] {
  const bySeries = new Map<string, Map<string, string>>();
  for (const r of refs) bySeries.set(r.seriesInstanceUid, (bySeries.get(r.seriesInstanceUid) ?? new Map()).set(r.sopInstanceUid, r.sopClassUid));
  return [...bySeries].map(([series, instances]) => ({
    SeriesInstanceUID: series,
    ReferencedInstanceSequence: [...instances].map(([sop, cls]) => ({ ReferencedSOPClassUID: cls, ReferencedSOPInstanceUID: sop })),
  }));
}

/** DS values: dcmjs writes numbers as given; keep them inside the 16-character DS limit. */
export const ds = (n: number) => Number(n.toPrecision(10));

/** One slice of a volume: its source instance, reference and the run's map on it. */
export interface PmapFrame {
  source: Naturalized;
  ref: DerivedObjectInput['ref'];
  heatmap: DerivedObjectInput['heatmap'];
  runId: number;
}

export function buildPmap(input: PmapInput): Naturalized {
  return buildPmapVolume(input, [{ source: input.source, ref: input.ref, heatmap: input.heatmap, runId: input.detail.run.id }]);
}

const mismatch = (what: string, details: Record<string, unknown>) =>
  new InspectorError('DICOM_VOLUME_MISMATCH', `The slices of a volume (Parametric Map, SEG) must share ${what}.`, details);

/** Distance along the slice normal (row × column direction cosines): the order of a stack. */
function along(orientation: number[], position: number[]): number {
  const [a, b, c, d, e, f] = orientation as [number, number, number, number, number, number];
  const n = [b * f - c * e, c * d - a * f, a * e - b * d];
  return n[0]! * position[0]! + n[1]! * position[1]! + n[2]! * position[2]!;
}

/**
 * The slices of a volume with their geometry, checked to be one stack (same size, frame of
 * reference, study, orientation, spacing; patient geometry present) and ordered along the slice
 * normal. Not a volume: the one slice as it is. Shared by the Parametric Map and the SEG.
 */
export function volumeFrames(slices: PmapFrame[], uidRoot: string, volume: boolean): { frames: (PmapFrame & { geometry: PlaneGeometry })[]; geometry: PlaneGeometry } {
  const src = slices[0]!.source;
  const rows = src['Rows'] as number;
  const columns = src['Columns'] as number;
  const geometry = sourceGeometry(src, uidRoot);
  const frames = slices.map((f) => ({ ...f, geometry: volume ? sourceGeometry(f.source, uidRoot) : geometry }));
  if (volume) {
    for (const f of frames) {
      const g = f.geometry;
      const at = { runId: f.runId, sopInstanceUid: f.ref.sopInstanceUid };
      if (f.source['Rows'] !== rows || f.source['Columns'] !== columns) throw mismatch('rows and columns', at);
      if (!g.fromSource) throw mismatch('patient geometry (a projection image has none)', at);
      if (g.frameOfReferenceUid !== geometry.frameOfReferenceUid || f.source['StudyInstanceUID'] !== src['StudyInstanceUID']) throw mismatch('study and frame of reference', at);
      if (g.orientation.some((v, k) => Math.abs(v - geometry.orientation[k]!) > 1e-4)) throw mismatch('image orientation', at);
      if (g.pixelSpacing.some((v, k) => Math.abs(v - geometry.pixelSpacing[k]!) > 1e-4)) throw mismatch('pixel spacing', at);
    }
    frames.sort((p, q) => along(geometry.orientation, p.geometry.position) - along(geometry.orientation, q.geometry.position));
  }
  return { frames, geometry };
}

/** `input` gives the run (pack, labels) the map is named after; `frames` the slices, in any order. */
export function buildPmapVolume(input: Omit<PmapInput, 'source' | 'ref' | 'heatmap'>, slices: PmapFrame[]): Naturalized {
  const { detail } = input;
  const run = detail.run;
  if (slices.length === 0) throw new InspectorError('DICOM_PMAP_NO_MAP', 'A volume Parametric Map needs at least one slice.');
  for (const f of slices) if (!f.heatmap) throw new InspectorError('DICOM_PMAP_NO_MAP', `Run ${f.runId} has no heatmap for a Parametric Map.`, { runId: f.runId });
  const src = slices[0]!.source;
  const rows = src['Rows'] as number;
  const columns = src['Columns'] as number;
  if (!rows || !columns) throw new InspectorError('DICOM_SOURCE_UNREADABLE', 'The source instance has no Rows/Columns.');
  const volume = slices.length > 1;
  const { frames, geometry } = volumeFrames(slices, input.uidRoot, volume);
  const now = input.now ?? new Date();
  const label = run.regions[0]?.label ?? run.verdict;
  const values = frames.map((f) => resampleHeatmap(f.heatmap!, columns, rows));
  let min = Infinity;
  let max = -Infinity;
  for (const frame of values)
    for (const v of frame) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  const pixels = new Float32Array(rows * columns * frames.length);
  values.forEach((v, k) => pixels.set(v, k * rows * columns));
  const dimensionOrganization = newUid(input.uidRoot);
  const imageType = ['DERIVED', 'PRIMARY', geometry.fromSource ? 'VOLUME' : 'PROJECTION', 'QUANTITY'];
  // The window spans every frame's map scale.
  const low = Math.min(...frames.map((f) => Math.min(f.heatmap!.low, f.heatmap!.high)));
  const top = Math.max(...frames.map((f) => Math.max(f.heatmap!.low, f.heatmap!.high)));
  const high = top > low ? top : low + 1;
  const region = REGIONS[String(src['BodyPartExamined'] ?? '').toUpperCase()] ?? code('38266002', 'SCT', 'Entire body');
  const laterality = ['R', 'L', 'B'].includes(String(src['Laterality'] ?? src['ImageLaterality'] ?? '')) ? String(src['Laterality'] ?? src['ImageLaterality']) : 'U';
  return {
    ...patientAndStudy(src),
    SOPClassUID: PARAMETRIC_MAP,
    SOPInstanceUID: newUid(input.uidRoot),
    InstanceCreationDate: dicomDate(now),
    InstanceCreationTime: dicomTime(now),
    Modality: (src['Modality'] as string | undefined) || 'OT',
    SeriesInstanceUID: newUid(input.uidRoot),
    SeriesNumber: 9904,
    SeriesDescription: `AI map ${run.packName} - not for diagnostic use`.slice(0, 64),
    ...(src['BodyPartExamined'] ? { BodyPartExamined: src['BodyPartExamined'] } : {}),
    FrameOfReferenceUID: geometry.frameOfReferenceUid,
    PositionReferenceIndicator: geometry.fromSource ? ((src['PositionReferenceIndicator'] as string | undefined) ?? '') : '',
    ...equipment(input.softwareVersion),
    DeviceSerialNumber: run.packHashes['pack.yaml']?.slice(0, 16) ?? 'unknown',
    InstanceNumber: 1,
    ContentDate: dicomDate(now),
    ContentTime: dicomTime(now),
    ImageType: imageType,
    ContentQualification: 'RESEARCH',
    ContentLabel: 'HEATMAP',
    ContentDescription: `${run.packName} ${run.packVersion} ${run.explanation?.method ?? 'map'}`.slice(0, 64),
    ContentCreatorName: '',
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    BitsAllocated: 32,
    Rows: rows,
    Columns: columns,
    NumberOfFrames: frames.length,
    PresentationLUTShape: 'IDENTITY',
    LossyImageCompression: '00',
    BurnedInAnnotation: 'NO',
    RecognizableVisualFeatures: 'NO',
    AcquisitionContextSequence: [],
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionOrganization }],
    DimensionIndexSequence: [
      {
        DimensionOrganizationUID: dimensionOrganization,
        DimensionIndexPointer: 0x00200032,
        FunctionalGroupPointer: 0x00209113,
        DimensionDescriptionLabel: 'Image Position (Patient)',
      },
    ],
    SharedFunctionalGroupsSequence: [
      {
        PixelMeasuresSequence: [{ PixelSpacing: geometry.pixelSpacing.map(ds), ...(geometry.sliceThickness !== undefined ? { SliceThickness: ds(geometry.sliceThickness) } : { SliceThickness: 1 }) }],
        PlaneOrientationSequence: [{ ImageOrientationPatient: geometry.orientation.map(ds) }],
        ...(volume ? {} : { DerivationImageSequence: [derivedFrom(frames[0]!.ref, DERIVATION)] }),
        FrameAnatomySequence: [{ AnatomicRegionSequence: [region], FrameLaterality: laterality }],
        ParametricMapFrameTypeSequence: [{ FrameType: imageType }],
        // LINEAR_EXACT: a map's scale is often far below 1 (a width < 1 needs it, PS3.3 C.11.2.1.3.2).
        FrameVOILUTSequence: [{ WindowCenter: ds((low + high) / 2), WindowWidth: ds(high - low), WindowCenterWidthExplanation: 'map scale', VOILUTFunction: 'LINEAR_EXACT' }],
        // Float pixels carry no rescale, but the IOD wants it said (Identity Pixel Value Transformation).
        PixelValueTransformationSequence: [{ RescaleIntercept: 0, RescaleSlope: 1, RescaleType: 'US' }],
        RealWorldValueMappingSequence: [
          {
            DoubleFloatRealWorldValueFirstValueMapped: Math.min(min, low),
            DoubleFloatRealWorldValueLastValueMapped: Math.max(max, high),
            RealWorldValueIntercept: 0,
            RealWorldValueSlope: 1,
            LUTExplanation: `${run.packName} heatmap; ${label}`.slice(0, 64),
            LUTLabel: 'HEATMAP',
            MeasurementUnitsCodeSequence: [code('1', 'UCUM', 'no units')],
            QuantityDefinitionSequence: [
              {
                ValueType: 'CODE',
                ConceptNameCodeSequence: [code('246205007', 'SCT', 'Quantity')],
                ConceptCodeSequence: [labelCode(label)],
              },
            ],
          },
        ],
      },
    ],
    // Per frame: its place in the stack and, in a volume, the slice it was derived from.
    PerFrameFunctionalGroupsSequence: frames.map((f, k) => ({
      FrameContentSequence: [{ DimensionIndexValues: [k + 1] }],
      PlanePositionSequence: [{ ImagePositionPatient: f.geometry.position.map(ds) }],
      ...(volume ? { DerivationImageSequence: [derivedFrom(f.ref, DERIVATION)] } : {}),
    })),
    ReferencedSeriesSequence: referencedSeries(frames.map((f) => f.ref)),
    FloatPixelData: [pixels.buffer],
    _vrMap: {},
  };
}
