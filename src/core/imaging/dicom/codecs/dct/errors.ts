import { ImagingErrorCode, imagingError } from '../../../errors';

/** Every failure of the DCT decoder: one code, and a sentence that says what was wrong in the codestream. */
export function dctError(why: string, details: Record<string, unknown> = {}) {
  return imagingError(ImagingErrorCode.DICOM_DECODE_FAILED, `The JPEG frame could not be decoded: ${why}.`, { codec: 'jpeg-dct', ...details });
}
