/**
 * 12-bit lossy JPEG for DICOM (.4.51 extended sequential, .4.53/.4.55 progressive) through our
 * own T.81 DCT decoder; libjpeg-turbo's WASM build reads 8-bit samples only. Colour follows the
 * 8-bit path (see jpegColour.ts): samples stay as coded, except RGB-labelled data whose Adobe
 * marker says it was transformed to YCbCr.
 */
import { decodeDct, ycbcrToRgb } from './dct/decode';

export function decodeJpeg12(codestream: Uint8Array, photometric: string): { data: Uint8Array | Uint16Array; width: number; height: number; components: number } {
  const image = decodeDct(codestream);
  if (image.components === 3 && photometric === 'RGB' && image.adobeTransform === 1) ycbcrToRgb(image.data, image.precision);
  return { data: image.data, width: image.width, height: image.height, components: image.components };
}
