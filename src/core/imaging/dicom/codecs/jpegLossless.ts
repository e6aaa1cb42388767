/** JPEG Lossless (Process 14, any predictor) through the pure-JS jpeg-lossless-decoder-js. */
import { Decoder } from 'jpeg-lossless-decoder-js';
import { ImagingErrorCode, imagingError } from '../../errors';

export function decodeJpegLossless(codestream: Uint8Array, bytesPerSample: number): Uint8Array | Uint16Array {
  try {
    const copy = codestream.slice();
    const out = new Decoder().decode(copy.buffer, 0, copy.byteLength, bytesPerSample);
    if (!out) throw new Error('no output');
    return out;
  } catch (e) {
    throw imagingError(ImagingErrorCode.DICOM_DECODE_FAILED, `The JPEG Lossless frame could not be decoded (${e instanceof Error ? e.message : String(e)}).`, {
      codec: 'jpeg-lossless',
    });
  }
}
