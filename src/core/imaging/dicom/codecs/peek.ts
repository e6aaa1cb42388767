/**
 * Reads the size a codestream claims before it is handed to a decoder: a frame that disagrees with
 * Rows/Columns is refused up front instead of being decoded into a wrong (or huge) image.
 */

export interface CodestreamHeader {
  width: number;
  height: number;
  components: number;
  precision: number;
  /** The SOF marker for JPEG (0xC0–0xCF, 0xF7 for JPEG-LS); 0 for JPEG 2000. */
  marker: number;
}

const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf, 0xf7]);

export function peekJpeg(b: Uint8Array): CodestreamHeader | undefined {
  let i = 0;
  // Skip padding a writer may leave before SOI.
  while (i + 1 < b.length && !(b[i] === 0xff && b[i + 1] === 0xd8)) i++;
  i += 2;
  while (i + 3 < b.length) {
    if (b[i] !== 0xff) {
      i++;
      continue;
    }
    const marker = b[i + 1]!;
    if (marker === 0xff || marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i++;
      continue;
    }
    const length = (b[i + 2]! << 8) | b[i + 3]!;
    if (SOF.has(marker)) {
      if (i + 9 >= b.length) return undefined;
      return {
        precision: b[i + 4]!,
        height: (b[i + 5]! << 8) | b[i + 6]!,
        width: (b[i + 7]! << 8) | b[i + 8]!,
        components: b[i + 9]!,
        marker,
      };
    }
    if (marker === 0xda || marker === 0xd9) return undefined;
    i += 2 + length;
  }
  return undefined;
}

export function peekJ2k(b: Uint8Array): CodestreamHeader | undefined {
  let i = 0;
  // A JP2 file wraps the codestream in boxes; find SOC + SIZ.
  for (; i + 1 < b.length && i < 4096; i++) if (b[i] === 0xff && b[i + 1] === 0x4f && b[i + 2] === 0xff && b[i + 3] === 0x51) break;
  if (i + 42 > b.length || b[i + 3] !== 0x51) return undefined;
  const v = new DataView(b.buffer, b.byteOffset + i + 4, b.length - i - 4);
  const xsiz = v.getUint32(4);
  const ysiz = v.getUint32(8);
  const xo = v.getUint32(12);
  const yo = v.getUint32(16);
  const components = v.getUint16(36);
  const ssiz = b[i + 4 + 38] ?? 0;
  return { width: xsiz - xo, height: ysiz - yo, components, precision: (ssiz & 0x7f) + 1, marker: 0 };
}
