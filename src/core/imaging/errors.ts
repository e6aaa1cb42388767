/**
 * Every way an image can be refused, each with its own stable code so the viewer and the CLI can
 * name the problem ("truncated pixel data: 523 426 of 524 288 bytes") instead of showing a blank.
 */
import { InspectorError } from '../../shared/errors';

export const ImagingErrorCode = {
  EMPTY_FILE: 'IMAGE_EMPTY_FILE',
  NOT_AN_IMAGE: 'IMAGE_NOT_RECOGNISED',
  TOO_LARGE: 'IMAGE_TOO_LARGE',
  DECODE_FAILED: 'IMAGE_DECODE_FAILED',
  UNREADABLE: 'IMAGE_UNREADABLE',
  DICOM_MALFORMED: 'DICOM_MALFORMED',
  DICOM_NO_PIXEL_DATA: 'DICOM_NO_PIXEL_DATA',
  DICOM_MISSING_ATTRIBUTE: 'DICOM_MISSING_ATTRIBUTE',
  DICOM_INVALID_ATTRIBUTE: 'DICOM_INVALID_ATTRIBUTE',
  DICOM_UNSUPPORTED_TRANSFER_SYNTAX: 'DICOM_UNSUPPORTED_TRANSFER_SYNTAX',
  DICOM_UNSUPPORTED_PHOTOMETRIC: 'DICOM_UNSUPPORTED_PHOTOMETRIC',
  DICOM_TRUNCATED_PIXEL_DATA: 'DICOM_TRUNCATED_PIXEL_DATA',
  /** A header element's declared length runs past the end of the file (not the pixel data). */
  DICOM_ELEMENT_TRUNCATED: 'DICOM_ELEMENT_TRUNCATED',
  DICOM_DIMENSION_MISMATCH: 'DICOM_DIMENSION_MISMATCH',
  DICOM_DECODE_FAILED: 'DICOM_DECODE_FAILED',
} as const;

export type ImagingErrorCode = (typeof ImagingErrorCode)[keyof typeof ImagingErrorCode];

export function imagingError(code: ImagingErrorCode, message: string, details?: Record<string, unknown>): InspectorError {
  return new InspectorError(code, message, details);
}

/** Pixels per file we agree to decode (all frames): 2^30 ≈ 1 Gpx, about 2 GiB of 16-bit data. */
export const MAX_PIXELS_PER_FILE = 2 ** 30;
/** Pixels of one 2-D image for ordinary formats (sharp's limitInputPixels). */
export const MAX_PIXELS_PER_IMAGE = 2 ** 28;
