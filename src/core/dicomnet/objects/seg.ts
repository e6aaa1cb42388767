/**
 * DICOM Segmentation (PS3.3 A.51), BINARY, of the run's heatmap: the map (model-input grid) is
 * stretched back over the source image as packs resize (bilinear), thresholded at 0.5 of its
 * scale — the threshold the region finder uses — and packed one bit per pixel. One segment named
 * after the driving label, AUTOMATIC, with the pack as algorithm; one frame derived from the source.
 */
import type { RunDetail } from '../../history/index';
import { InspectorError } from '../../../shared/errors';
import { newUid } from '../uid';
import { code, derivedFrom, dicomDate, dicomTime, equipment, labelCode, patientAndStudy, type Naturalized } from './common';
import { resampleHeatmap } from './heatmap';
import type { HeatmapInput } from './sc';
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
}

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
  const { detail, source: src, ref } = input;
  const run = detail.run;
  if (!input.heatmap) throw new InspectorError('DICOM_SEG_NO_MAP', `Run ${run.id} has no heatmap to segment.`, { runId: run.id });
  const rows = src['Rows'] as number;
  const columns = src['Columns'] as number;
  if (!rows || !columns) throw new InspectorError('DICOM_SOURCE_UNREADABLE', 'The source instance has no Rows/Columns.');
  const now = input.now ?? new Date();
  const label = run.regions[0]?.label ?? run.verdict;
  const mask = heatmapMask(input.heatmap, columns, rows);
  const bits = packBits(mask);
  const dimensionOrganization = newUid(input.uidRoot);
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
    ...(src['Laterality'] ? { Laterality: src['Laterality'] } : src['BodyPartExamined'] ? {} : { Laterality: '' }),
    ...(src['BodyPartExamined'] ? { BodyPartExamined: src['BodyPartExamined'] } : {}),
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
    NumberOfFrames: 1,
    ...(src['PatientOrientation'] ? { PatientOrientation: src['PatientOrientation'] } : {}),
    SegmentSequence: [
      {
        SegmentNumber: 1,
        SegmentLabel: label.slice(0, 64),
        SegmentedPropertyCategoryCodeSequence: [code('49755003', 'SCT', 'Morphologically Abnormal Structure')],
        SegmentedPropertyTypeCodeSequence: [labelCode(label)],
        SegmentAlgorithmType: 'AUTOMATIC',
        SegmentAlgorithmName: `${run.packName} ${run.packVersion}`.slice(0, 64),
      },
    ],
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionOrganization }],
    DimensionIndexSequence: [
      { DimensionOrganizationUID: dimensionOrganization, DimensionIndexPointer: 0x0062000b, FunctionalGroupPointer: 0x0062000a, DimensionDescriptionLabel: 'Segment' },
    ],
    SharedFunctionalGroupsSequence: [
      {
        DerivationImageSequence: [derivedFrom(ref, code('113076', 'DCM', 'Segmentation'))],
      },
    ],
    PerFrameFunctionalGroupsSequence: [{ FrameContentSequence: [{ DimensionIndexValues: [1] }], SegmentIdentificationSequence: [{ ReferencedSegmentNumber: 1 }] }],
    ReferencedSeriesSequence: [{ SeriesInstanceUID: ref.seriesInstanceUid, ReferencedInstanceSequence: [{ ReferencedSOPClassUID: ref.sopClassUid, ReferencedSOPInstanceUID: ref.sopInstanceUid }] }],
    PixelData: [bits.buffer.slice(bits.byteOffset, bits.byteOffset + bits.byteLength)],
    _vrMap: { PixelData: 'OB' },
  };
}
