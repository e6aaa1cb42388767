/**
 * DICOM Segmentation (PS3.3 A.51), BINARY, of the run's heatmap: the map (model-input grid) is
 * stretched back over the source image as packs resize (bilinear), thresholded at 0.5 of its
 * scale — the threshold the region finder uses — and packed one bit per pixel. One segment named
 * after the driving label, AUTOMATIC, with the pack as algorithm; one frame derived from the source.
 * A volume (`buildSegVolume`): a frame per slice of a series, in the Parametric Map's order and
 * geometry checks (pmap.ts `volumeFrames`), each with its plane position and derivation image.
 */
import type { RunDetail } from '../../history/index';
import { InspectorError } from '../../../shared/errors';
import { newUid } from '../uid';
import { code, codingSchemeIdentification, derivedFrom, dicomDate, dicomTime, equipment, labelCode, patientAndStudy, type LabelCodings, type Naturalized } from './common';
import { resampleHeatmap } from './heatmap';
import type { HeatmapInput } from './sc';
import { ds, referencedSeries, volumeFrames, type PmapFrame } from './pmap';
import type { SourceRef } from './sr';

export const SEGMENTATION = '1.2.840.10008.5.1.4.1.1.66.4';

/** What a derived object (SEG, Parametric Map) is built from: the run, its source image and map. */
export interface DerivedObjectInput {
  detail: RunDetail;
  source: Naturalized;
  ref: SourceRef;
  heatmap: HeatmapInput | undefined;
  uidRoot: string;
  softwareVersion: string;
  now?: Date;
  /** The pack's standard label codes (pack.yaml `labels[].code`, `category`); a label without one is coded privately. */
  labelCodings?: LabelCodings;
}

/** SEG segmented property category of a finding without its own (PS3.16 CID 7150). */
export const ABNORMAL_STRUCTURE = code('49755003', 'SCT', 'Morphologically Abnormal Structure');

export type SegInput = DerivedObjectInput;

/** The map over the whole image (stretch), thresholded at `t` of its scale; row-major 0/1. */
export function heatmapMask(h: HeatmapInput, width: number, height: number, t = 0.5): Uint8Array {
  const values = resampleHeatmap(h, width, height);
  const out = new Uint8Array(width * height);
  const span = h.high - h.low;
  for (let i = 0; i < values.length; i++) out[i] = span > 0 && (values[i]! - h.low) / span >= t ? 1 : 0;
  return out;
}

/** PS3.5 §8.1.1: 1-bit pixels packed little-endian within each byte, frames not padded. */
export function packBits(mask: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(mask.length / 8) + (Math.ceil(mask.length / 8) % 2));
  for (let i = 0; i < mask.length; i++) if (mask[i]) out[i >> 3]! |= 1 << (i & 7);
  return out;
}

export function buildSeg(input: SegInput): Naturalized {
  if (!input.heatmap) throw new InspectorError('DICOM_SEG_NO_MAP', `Run ${input.detail.run.id} has no heatmap to segment.`, { runId: input.detail.run.id });
  return segOf(input, [{ source: input.source, ref: input.ref, heatmap: input.heatmap, runId: input.detail.run.id }], false);
}

/** One BINARY SEG of a series' slices, a frame per slice with its plane position and source slice. */
export function buildSegVolume(input: Omit<SegInput, 'source' | 'ref' | 'heatmap'>, slices: PmapFrame[]): Naturalized {
  for (const f of slices) if (!f.heatmap) throw new InspectorError('DICOM_SEG_NO_MAP', `Run ${f.runId} has no heatmap to segment.`, { runId: f.runId });
  return segOf(input, slices, true);
}

function segOf(input: Omit<SegInput, 'source' | 'ref' | 'heatmap'>, slices: PmapFrame[], volume: boolean): Naturalized {
  const { detail } = input;
  const run = detail.run;
  const src = slices[0]!.source;
  const ref = slices[0]!.ref;
  const rows = src['Rows'] as number;
  const columns = src['Columns'] as number;
  if (!rows || !columns) throw new InspectorError('DICOM_SOURCE_UNREADABLE', 'The source instance has no Rows/Columns.');
  const { frames, geometry } = volumeFrames(slices, input.uidRoot, volume);
  const now = input.now ?? new Date();
  const label = run.regions[0]?.label ?? run.verdict;
  const coding = input.labelCodings?.[label];
  const segment = {
    SegmentNumber: 1,
    SegmentLabel: label.slice(0, 64),
    SegmentedPropertyCategoryCodeSequence: [{ ...(coding?.category ?? ABNORMAL_STRUCTURE) }],
    SegmentedPropertyTypeCodeSequence: [labelCode(label, undefined, coding?.code)],
    SegmentAlgorithmType: 'AUTOMATIC',
    SegmentAlgorithmName: `${run.packName} ${run.packVersion}`.slice(0, 64),
  };
  // Frames are not padded between each other (PS3.5 §8.1.1): the masks are packed as one bit run.
  const mask = new Uint8Array(rows * columns * frames.length);
  frames.forEach((f, k) => mask.set(heatmapMask(f.heatmap!, columns, rows), k * rows * columns));
  const bits = packBits(mask);
  const dimensionOrganization = newUid(input.uidRoot);
  const derivation = code('113076', 'DCM', 'Segmentation');
  return {
    ...patientAndStudy(src),
    SOPClassUID: SEGMENTATION,
    SOPInstanceUID: newUid(input.uidRoot),
    InstanceCreationDate: dicomDate(now),
    InstanceCreationTime: dicomTime(now),
    Modality: 'SEG',
    SeriesInstanceUID: newUid(input.uidRoot),
    SeriesNumber: 9903,
    SeriesDescription: `AI heatmap ${run.packName} - not for diagnostic use`.slice(0, 64),
    // Laterality (2C) only when the source has one: dciodvfy refuses an empty one beside no paired body part.
    ...(src['Laterality'] ? { Laterality: src['Laterality'] } : {}),
    ...(src['BodyPartExamined'] ? { BodyPartExamined: src['BodyPartExamined'] } : {}),
    // A volume lies in the slices' frame of reference: its frames carry patient positions.
    ...(volume ? { FrameOfReferenceUID: geometry.frameOfReferenceUid, PositionReferenceIndicator: (src['PositionReferenceIndicator'] as string | undefined) ?? '' } : {}),
    ...equipment(input.softwareVersion),
    DeviceSerialNumber: run.packHashes['pack.yaml']?.slice(0, 16) ?? 'unknown',
    InstanceNumber: 1,
    ContentDate: dicomDate(now),
    ContentTime: dicomTime(now),
    ImageType: ['DERIVED', 'PRIMARY'],
    ContentLabel: 'HEATMAP',
    ContentDescription: `${run.packName} ${run.packVersion} map >= 0.5 of scale`.slice(0, 64),
    ContentCreatorName: '',
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    PixelRepresentation: 0,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    LossyImageCompression: '00',
    SegmentationType: 'BINARY',
    Rows: rows,
    Columns: columns,
    NumberOfFrames: frames.length,
    // A single frame has no plane position: Patient Orientation (2C) is then required, empty when the source has none (a CT slice).
    ...(!volume ? { PatientOrientation: src['PatientOrientation'] ?? '' } : {}),
    SegmentSequence: [segment],
    // A segment coded in our private scheme (a label without a standard code) declares it.
    ...codingSchemeIdentification(segment),
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionOrganization }],
    DimensionIndexSequence: [
      { DimensionOrganizationUID: dimensionOrganization, DimensionIndexPointer: 0x0062000b, FunctionalGroupPointer: 0x0062000a, DimensionDescriptionLabel: 'Segment' },
      ...(volume ? [{ DimensionOrganizationUID: dimensionOrganization, DimensionIndexPointer: 0x00200032, FunctionalGroupPointer: 0x00209113, DimensionDescriptionLabel: 'Image Position (Patient)' }] : []),
    ],
    SharedFunctionalGroupsSequence: [
      volume
        ? {
            PixelMeasuresSequence: [{ PixelSpacing: geometry.pixelSpacing.map(ds), SliceThickness: ds(geometry.sliceThickness ?? 1) }],
            PlaneOrientationSequence: [{ ImageOrientationPatient: geometry.orientation.map(ds) }],
          }
        : { DerivationImageSequence: [derivedFrom(ref, derivation)] },
    ],
    PerFrameFunctionalGroupsSequence: frames.map((f, k) =>
      volume
        ? {
            FrameContentSequence: [{ DimensionIndexValues: [1, k + 1] }],
            PlanePositionSequence: [{ ImagePositionPatient: f.geometry.position.map(ds) }],
            DerivationImageSequence: [derivedFrom(f.ref, derivation)],
            SegmentIdentificationSequence: [{ ReferencedSegmentNumber: 1 }],
          }
        : { FrameContentSequence: [{ DimensionIndexValues: [1] }], SegmentIdentificationSequence: [{ ReferencedSegmentNumber: 1 }] },
    ),
    ReferencedSeriesSequence: referencedSeries(frames.map((f) => f.ref)),
    PixelData: [bits.buffer.slice(bits.byteOffset, bits.byteOffset + bits.byteLength)],
    _vrMap: { PixelData: 'OB' },
  };
}
