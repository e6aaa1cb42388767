/**
 * A DCT-based JPEG decoder written from ITU T.81: baseline and extended sequential (SOF0/SOF1)
 * and progressive (SOF2) Huffman coding, 8- or 12-bit samples, 1 to 4 components with any
 * sampling factors, restart intervals. It exists for DICOM's 12-bit lossy syntaxes (.4.51,
 * .4.53, .4.55), which the 8-bit libjpeg-turbo build cannot read. Samples come out as coded
 * (no colour transform): DICOM's Photometric Interpretation, not JFIF/Adobe guesses, says what
 * they are, and `ycbcrToRgb` is there for callers that need RGB.
 */
import { BitReader, buildHuffmanTable, type HuffmanTable } from './huffman';
import { readFrameHeader, type Frame, type FrameComponent } from './frame';
import { checkScan, decodeScan, ZIGZAG, type Scan } from './scan';
import { idctBlock } from './idct';
import { dctError } from './errors';

export interface DctImage {
  width: number;
  height: number;
  components: number;
  precision: number;
  /** Interleaved samples, cropped to width × height; chroma replicated up to full resolution. */
  data: Uint8Array | Uint16Array;
  /** SOF marker: 0xC0 baseline, 0xC1 extended sequential, 0xC2 progressive. */
  marker: number;
  /** The Adobe APP14 colour transform flag (0 none, 1 YCbCr, 2 YCCK), when the marker is present. */
  adobeTransform?: number;
}

const UNSUPPORTED: Record<number, string> = {
  0xc3: 'lossless (process 14)',
  0xc5: 'hierarchical',
  0xc6: 'hierarchical',
  0xc7: 'hierarchical',
  0xc9: 'arithmetic-coded',
  0xca: 'arithmetic-coded',
  0xcb: 'arithmetic-coded',
  0xcd: 'arithmetic-coded',
  0xce: 'arithmetic-coded',
  0xcf: 'arithmetic-coded',
};

export function decodeDct(b: Uint8Array): DctImage {
  let i = 0;
  // Some writers pad before SOI.
  while (i + 1 < b.length && !(b[i] === 0xff && b[i + 1] === 0xd8)) i++;
  if (i + 1 >= b.length) throw dctError('there is no start-of-image marker');
  i += 2;
  const quant: (Uint16Array | undefined)[] = [];
  const dc: (HuffmanTable | undefined)[] = [];
  const ac: (HuffmanTable | undefined)[] = [];
  let restartInterval = 0;
  let frame: Frame | undefined;
  let scans = 0;
  let adobeTransform: number | undefined;

  for (;;) {
    while (i < b.length && b[i] === 0xff && b[i + 1] === 0xff) i++; // fill bytes
    if (i + 1 >= b.length) {
      if (scans > 0) break; // a missing EOI after complete scans is harmless
      throw dctError('it ends before any scan');
    }
    if (b[i] !== 0xff) throw dctError(`a marker is expected at byte ${i}`, { offset: i });
    const marker = b[i + 1]!;
    i += 2;
    if (marker === 0xd9) break;
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (i + 2 > b.length) throw dctError('a marker segment is cut off');
    const length = (b[i]! << 8) | b[i + 1]!;
    const end = i + length;
    if (length < 2 || end > b.length) throw dctError(`the segment of marker FF${marker.toString(16).toUpperCase()} runs past the end of the data`);
    const at = i + 2;
    switch (marker) {
      case 0xdb:
        readQuantTables(b, at, end, quant);
        break;
      case 0xc4:
        readHuffmanTables(b, at, end, dc, ac);
        break;
      case 0xdd:
        restartInterval = (b[at]! << 8) | b[at + 1]!;
        break;
      case 0xc0:
      case 0xc1:
      case 0xc2:
        if (frame) throw dctError('it holds more than one frame');
        frame = readFrameHeader(b, at, marker);
        break;
      case 0xee:
        // 12 data bytes as libjpeg requires (a shorter marker is ignored, as libjpeg does).
        if (length >= 14 && String.fromCharCode(...b.subarray(at, at + 5)) === 'Adobe') adobeTransform = b[at + 11];
        break;
      case 0xda: {
        if (!frame) throw dctError('a scan starts before the frame header');
        const scan = readScanHeader(b, at, frame, dc, ac, restartInterval);
        for (const c of scan.components) {
          c.quant ??= quant[c.tq];
          if (!c.quant) throw dctError(`component ${c.id} uses quantization table ${c.tq}, which was never defined`);
        }
        checkScan(frame, scan);
        const reader = new BitReader(b, end);
        decodeScan(reader, frame, scan);
        scans++;
        i = reader.pos;
        continue;
      }
      default:
        if (UNSUPPORTED[marker]) throw dctError(`it is ${UNSUPPORTED[marker]} JPEG, which this decoder does not read`, { marker });
      // APPn, COM, DNL and others carry nothing the pixels need.
    }
    i = end;
  }
  if (!frame || scans === 0) throw dctError('it has no frame or no scan');
  return reconstruct(frame, adobeTransform);
}

function readQuantTables(b: Uint8Array, at: number, end: number, quant: (Uint16Array | undefined)[]): void {
  while (at < end) {
    const pq = b[at]! >> 4;
    const tq = b[at]! & 15;
    if (tq > 3 || pq > 1) throw dctError(`a quantization table has precision ${pq} and slot ${tq}`);
    at++;
    const table = new Uint16Array(64);
    for (let k = 0; k < 64; k++) {
      table[ZIGZAG[k]!] = pq ? (b[at + 2 * k]! << 8) | b[at + 2 * k + 1]! : b[at + k]!;
    }
    at += pq ? 128 : 64;
    if (at > end) throw dctError('a quantization table is cut off');
    quant[tq] = table;
  }
}

function readHuffmanTables(b: Uint8Array, at: number, end: number, dc: (HuffmanTable | undefined)[], ac: (HuffmanTable | undefined)[]): void {
  while (at < end) {
    const tc = b[at]! >> 4;
    const th = b[at]! & 15;
    if (tc > 1 || th > 3) throw dctError(`a Huffman table has class ${tc} and slot ${th}`);
    const counts = b.subarray(at + 1, at + 17);
    const n = counts.reduce((s, x) => s + x, 0);
    if (n > 256 || at + 17 + n > end) throw dctError('a Huffman table is cut off or lists more than 256 symbols');
    const table = buildHuffmanTable(counts, b.subarray(at + 17, at + 17 + n));
    (tc === 0 ? dc : ac)[th] = table;
    at += 17 + n;
  }
}

function readScanHeader(b: Uint8Array, at: number, frame: Frame, dc: (HuffmanTable | undefined)[], ac: (HuffmanTable | undefined)[], restartInterval: number): Scan {
  const count = b[at]!;
  if (count < 1 || count > 4) throw dctError(`a scan has ${count} components`);
  const components: FrameComponent[] = [];
  for (let k = 0; k < count; k++) {
    const id = b[at + 1 + 2 * k]!;
    const c = frame.components.find((x) => x.id === id);
    if (!c) throw dctError(`a scan names component ${id}, which the frame does not have`);
    const tables = b[at + 2 + 2 * k]!;
    const d = dc[tables >> 4];
    const a = ac[tables & 15];
    if (d) c.dcTable = d;
    if (a) c.acTable = a;
    components.push(c);
  }
  if (count > 1 && components.reduce((s, c) => s + c.h * c.v, 0) > 10) throw dctError('an interleaved scan has more than 10 blocks per MCU');
  const p = at + 1 + 2 * count;
  return { components, ss: b[p]!, se: b[p + 1]!, ah: b[p + 2]! >> 4, al: b[p + 2]! & 15, restartInterval };
}

function reconstruct(frame: Frame, adobeTransform: number | undefined): DctImage {
  const { width, height, precision } = frame;
  const n = frame.components.length;
  const out = precision === 8 ? new Uint8Array(width * height * n) : new Uint16Array(width * height * n);
  frame.components.forEach((c, ci) => {
    if (!c.quant) throw dctError(`component ${c.id} never appears in a scan`);
    const stride = c.blocksPerLine * 8;
    const plane = new Uint16Array(stride * c.blocksPerColumn * 8);
    for (let by = 0; by < c.blocksPerColumn; by++) {
      for (let bx = 0; bx < c.blocksPerLine; bx++) {
        idctBlock(c.coefficients, by * c.blocksPerLine + bx, c.quant, plane, by * 8 * stride + bx * 8, stride, precision);
      }
    }
    const sx = frame.hmax / c.h;
    const sy = frame.vmax / c.v;
    if (n === 1) {
      for (let y = 0; y < height; y++) out.set(plane.subarray(y * stride, y * stride + width), y * width);
      return;
    }
    for (let y = 0; y < height; y++) {
      const row = Math.floor(y / sy) * stride;
      let o = y * width * n + ci;
      if (sx === 1) for (let x = 0; x < width; x++, o += n) out[o] = plane[row + x]!;
      else for (let x = 0; x < width; x++, o += n) out[o] = plane[row + Math.floor(x / sx)]!;
    }
  });
  const image: DctImage = { width, height, components: n, precision, data: out, marker: frame.marker };
  if (adobeTransform !== undefined) image.adobeTransform = adobeTransform;
  return image;
}

/** YCbCr → RGB in place (T.871 / JFIF equations at any precision), for RGB-labelled data coded as YCbCr. */
export function ycbcrToRgb(data: Uint8Array | Uint16Array, precision: number): void {
  const centre = 1 << (precision - 1);
  const max = (1 << precision) - 1;
  const clamp = (v: number) => (v < 0 ? 0 : v > max ? max : Math.round(v));
  for (let i = 0; i + 2 < data.length; i += 3) {
    const y = data[i]!;
    const cb = data[i + 1]! - centre;
    const cr = data[i + 2]! - centre;
    data[i] = clamp(y + 1.402 * cr);
    data[i + 1] = clamp(y - 0.344136 * cb - 0.714136 * cr);
    data[i + 2] = clamp(y + 1.772 * cb);
  }
}
