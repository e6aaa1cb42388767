/**
 * The Image Pixel module (PS3.3 C.7.6.3) read and checked before any byte is decoded: a file whose
 * attributes disagree with each other or with its pixel data is refused with the attribute named,
 * never decoded into a silently wrong image.
 */
import type { DataSet, Element } from './parse';
import { has, num, requireUs, str, tagLabel, us } from './attributes';
import { ImagingErrorCode, imagingError, MAX_PIXELS_PER_FILE } from '../errors';

export interface PixelModule {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: 0 | 1;
  photometric: string;
  planarConfiguration: 0 | 1;
  frames: number;
  pixelData: Element;
  /** 'int' for (7FE0,0010), 'float'/'double' for Float/Double Float Pixel Data. */
  sampleKind: 'int' | 'float';
}

const MONO = new Set(['MONOCHROME1', 'MONOCHROME2']);
const COLOUR = new Set(['RGB', 'YBR_FULL', 'YBR_FULL_422', 'YBR_RCT', 'YBR_ICT']);
const KNOWN_UNSUPPORTED = new Set(['YBR_PARTIAL_422', 'YBR_PARTIAL_420', 'HSV', 'ARGB', 'CMYK']);

function invalid(tag: string, name: string, why: string, value: unknown): never {
  throw imagingError(ImagingErrorCode.DICOM_INVALID_ATTRIBUTE, `${tagLabel(tag, name)} ${why}.`, { tag: tagLabel(tag, name), name, value });
}

export function pixelDataElement(ds: DataSet): { element: Element; kind: 'int' | 'float'; bits?: number } | undefined {
  const el = ds.elements;
  if (el.x7fe00010) return { element: el.x7fe00010, kind: 'int' };
  if (el.x7fe00008) return { element: el.x7fe00008, kind: 'float', bits: 32 };
  if (el.x7fe00009) return { element: el.x7fe00009, kind: 'float', bits: 64 };
  return undefined;
}

export function readPixelModule(ds: DataSet): PixelModule {
  const pd = pixelDataElement(ds);
  if (!pd) {
    const sop = str(ds, 'x00080016');
    throw imagingError(ImagingErrorCode.DICOM_NO_PIXEL_DATA, `The DICOM object holds no pixel data${sop ? ` (SOP Class ${sop})` : ''}; it is not an image.`, {
      sopClassUid: sop,
    });
  }
  const rows = requireUs(ds, 'x00280010', 'Rows');
  const columns = requireUs(ds, 'x00280011', 'Columns');
  if (rows === 0) invalid('x00280010', 'Rows', 'is 0', rows);
  if (columns === 0) invalid('x00280011', 'Columns', 'is 0', columns);
  const bitsAllocated = pd.bits ?? requireUs(ds, 'x00280100', 'BitsAllocated');
  if (![1, 8, 16, 32, 64].includes(bitsAllocated) || (bitsAllocated === 64 && pd.kind !== 'float')) {
    invalid('x00280100', 'BitsAllocated', `is ${bitsAllocated}; only 1, 8, 16 and 32 are defined for integer pixels`, bitsAllocated);
  }
  const bitsStored = pd.kind === 'float' ? bitsAllocated : (us(ds, 'x00280101') ?? bitsAllocated);
  if (bitsStored < 1 || bitsStored > bitsAllocated) invalid('x00280101', 'BitsStored', `is ${bitsStored} with Bits Allocated ${bitsAllocated}`, bitsStored);
  let highBit = us(ds, 'x00280102') ?? bitsStored - 1;
  // High Bit must be within the container; when it is not, the usual meaning (BS − 1) is taken.
  if (highBit >= bitsAllocated || highBit < bitsStored - 1) highBit = bitsStored - 1;
  const pr = pd.kind === 'float' ? 0 : (us(ds, 'x00280103') ?? 0);
  if (pr !== 0 && pr !== 1) invalid('x00280103', 'PixelRepresentation', `is ${pr}; it must be 0 or 1`, pr);
  const samplesPerPixel = us(ds, 'x00280002') ?? 1;
  const photometric = str(ds, 'x00280004')?.toUpperCase().replace(/\s+/g, '_').replace('PALETTE_COLOR', 'PALETTE COLOR');
  if (!photometric) {
    throw imagingError(ImagingErrorCode.DICOM_MISSING_ATTRIBUTE, `The required attribute ${tagLabel('x00280004', 'PhotometricInterpretation')} is missing.`, {
      tag: tagLabel('x00280004', 'PhotometricInterpretation'),
      name: 'PhotometricInterpretation',
    });
  }
  if (KNOWN_UNSUPPORTED.has(photometric) || !(MONO.has(photometric) || COLOUR.has(photometric) || photometric === 'PALETTE COLOR')) {
    throw imagingError(ImagingErrorCode.DICOM_UNSUPPORTED_PHOTOMETRIC, `Photometric interpretation ${photometric} is not supported.`, { photometric });
  }
  const expectedSamples = COLOUR.has(photometric) ? 3 : 1;
  if (samplesPerPixel !== expectedSamples) {
    invalid('x00280002', 'SamplesPerPixel', `is ${samplesPerPixel}, but ${photometric} needs ${expectedSamples}`, samplesPerPixel);
  }
  const planar = samplesPerPixel > 1 ? (us(ds, 'x00280006') ?? 0) : 0;
  let frames = 1;
  if (has(ds, 'x00280008')) {
    const f = num(ds, 'x00280008');
    if (f === undefined || !Number.isInteger(f) || f < 0) invalid('x00280008', 'NumberOfFrames', `is "${str(ds, 'x00280008')}", not a frame count`, str(ds, 'x00280008'));
    frames = f === 0 ? 1 : f;
  }
  const pixels = rows * columns * frames;
  if (pixels > MAX_PIXELS_PER_FILE) {
    throw imagingError(ImagingErrorCode.TOO_LARGE, `The image has ${rows}×${columns}×${frames} pixels, more than the limit of ${MAX_PIXELS_PER_FILE}.`, {
      rows,
      columns,
      frames,
      limit: MAX_PIXELS_PER_FILE,
    });
  }
  return {
    rows,
    columns,
    samplesPerPixel,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation: pr as 0 | 1,
    photometric,
    planarConfiguration: planar === 1 ? 1 : 0,
    frames,
    pixelData: pd.element,
    sampleKind: pd.kind,
  };
}
