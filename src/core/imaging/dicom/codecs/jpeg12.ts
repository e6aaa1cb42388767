/** Placeholder until the 12-bit DCT decoder lands: refuses with a clear code instead of garbage. */
import { ImagingErrorCode, imagingError } from '../../errors';

export function decodeJpeg12(_codestream: Uint8Array): { data: Uint16Array; width: number; height: number; components: number } {
  throw imagingError(ImagingErrorCode.DICOM_DECODE_FAILED, '12-bit lossy JPEG is not decodable yet.', { codec: 'jpeg12' });
}
