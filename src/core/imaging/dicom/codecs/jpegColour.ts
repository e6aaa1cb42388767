/**
 * Who converts colour in a DICOM JPEG. DICOM's Photometric Interpretation names the colour space of
 * the compressed data, but libjpeg guesses it from JFIF/Adobe markers and converts YCbCr → RGB on
 * its own. To get the stored samples the file describes (YBR stays YBR, untransformed RGB stays
 * RGB, exactly as pydicom returns them), the codestream's JFIF/Adobe segments are replaced by an
 * Adobe APP14 with transform 0, which makes libjpeg skip the conversion. Only RGB-labelled data whose
 * Adobe marker says it *was* transformed (transform 1) is left to libjpeg to convert.
 */

/** The Adobe APP14 transform flag (0 none, 1 YCbCr, 2 YCCK), or undefined without the marker. */
export function adobeTransform(b: Uint8Array): number | undefined {
  let i = 2;
  while (i + 4 < b.length && b[i] === 0xff) {
    const marker = b[i + 1]!;
    const length = (b[i + 2]! << 8) | b[i + 3]!;
    // libjpeg reads an Adobe marker only with its 12 data bytes (length ≥ 14); a shorter one it
    // ignores, and so do we — its "transform" byte would be the next segment's.
    if (marker === 0xee && length >= 14 && String.fromCharCode(...b.subarray(i + 4, i + 9)) === 'Adobe') return b[i + 15];
    if (marker === 0xda || (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)) return undefined;
    i += 2 + length;
  }
  return undefined;
}

const ADOBE_NO_TRANSFORM = [0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00];

/** The codestream with JFIF (APP0) and Adobe (APP14) segments replaced by "Adobe, transform 0". */
export function withoutColourTransform(b: Uint8Array): Uint8Array {
  if (b[0] !== 0xff || b[1] !== 0xd8) return b;
  const kept: Uint8Array[] = [b.subarray(0, 2), Uint8Array.from(ADOBE_NO_TRANSFORM)];
  let i = 2;
  while (i + 4 <= b.length && b[i] === 0xff) {
    const marker = b[i + 1]!;
    if (marker === 0xda || marker === 0xd9) break;
    const length = (b[i + 2]! << 8) | b[i + 3]!;
    if (marker !== 0xe0 && marker !== 0xee) kept.push(b.subarray(i, i + 2 + length));
    i += 2 + length;
  }
  kept.push(b.subarray(i));
  const out = new Uint8Array(kept.reduce((n, k) => n + k.length, 0));
  let o = 0;
  for (const k of kept) {
    out.set(k, o);
    o += k.length;
  }
  return out;
}
