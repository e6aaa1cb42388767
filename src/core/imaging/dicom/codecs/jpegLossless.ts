/** JPEG Lossless (Process 14, any predictor) through Cornerstone's fork of jpeg-lossless-decoder-js (2.2.1 fixes the last pixel
 * of a frame being dropped when the entropy data is padded, seen on CTImage .4.70: -2000 decoded as 0). */
import { Decoder } from '@cornerstonejs/jpeg-lossless-decoder-js';
import { ImagingErrorCode, imagingError } from '../../errors';

export function decodeJpegLossless(codestream: Uint8Array, bytesPerSample: number): Uint8Array | Uint16Array {
  try {
    // A copy at offset 0: frames may be Buffer views into the whole file (Buffer#slice does not copy).
    const copy = new Uint8Array(codestream);
    const out = new Decoder().decode(copy.buffer, 0, copy.byteLength, bytesPerSample);
    if (!out) throw new Error('no output');
    return out;
  } catch (e) {
    throw imagingError(ImagingErrorCode.DICOM_DECODE_FAILED, `The JPEG Lossless frame could not be decoded (${e instanceof Error ? e.message : String(e)}).`, {
      codec: 'jpeg-lossless',
    });
  }
}
