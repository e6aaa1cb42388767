/** The frame a DCT codestream describes (T.81 B.2.2) and the coefficient storage of its components. */
import type { HuffmanTable } from './huffman';
import { dctError } from './errors';

export interface FrameComponent {
  id: number;
  /** Horizontal and vertical sampling factors. */
  h: number;
  v: number;
  /** Quantization table selector, and the table latched when the component's first scan starts. */
  tq: number;
  quant?: Uint16Array;
  /** Block grid padded to whole MCUs (where interleaved scans write). */
  blocksPerLine: number;
  blocksPerColumn: number;
  /** Blocks that cover the component's own samples (what non-interleaved scans visit, A.2.2). */
  usedBlocksPerLine: number;
  usedBlocksPerColumn: number;
  /** Quantized coefficients in natural (not zig-zag) order, 64 per block, row-major blocks. */
  coefficients: Int32Array;
  dcTable?: HuffmanTable;
  acTable?: HuffmanTable;
  /** DC prediction (F.2.1.3.1), reset at each scan and restart. */
  pred: number;
}

export interface Frame {
  marker: number;
  precision: number;
  width: number;
  height: number;
  progressive: boolean;
  components: FrameComponent[];
  hmax: number;
  vmax: number;
  mcusPerLine: number;
  mcusPerColumn: number;
}

/** Coefficients we agree to hold for one frame: 2^28 × 4 bytes = 1 GiB. */
const MAX_COEFFICIENTS = 2 ** 28;

export function readFrameHeader(b: Uint8Array, at: number, marker: number): Frame {
  const precision = b[at]!;
  const height = (b[at + 1]! << 8) | b[at + 2]!;
  const width = (b[at + 3]! << 8) | b[at + 4]!;
  const count = b[at + 5]!;
  if (precision !== 8 && precision !== 12) throw dctError(`its sample precision is ${precision} bits; DCT JPEG has 8 or 12`, { precision });
  if (height === 0) throw dctError('its height is defined by a DNL marker, which DICOM does not use');
  if (width === 0 || count === 0 || count > 4) throw dctError(`its frame header says ${width} columns and ${count} components`);
  const raw = [];
  for (let i = 0; i < count; i++) {
    const o = at + 6 + 3 * i;
    const h = b[o + 1]! >> 4;
    const v = b[o + 1]! & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) throw dctError(`component ${b[o]} has sampling factors ${h}×${v}`);
    raw.push({ id: b[o]!, h, v, tq: b[o + 2]! });
  }
  const hmax = Math.max(...raw.map((c) => c.h));
  const vmax = Math.max(...raw.map((c) => c.v));
  const mcusPerLine = Math.ceil(width / (8 * hmax));
  const mcusPerColumn = Math.ceil(height / (8 * vmax));
  let total = 0;
  const components = raw.map((c): FrameComponent => {
    const blocksPerLine = mcusPerLine * c.h;
    const blocksPerColumn = mcusPerColumn * c.v;
    total += blocksPerLine * blocksPerColumn * 64;
    if (total > MAX_COEFFICIENTS) throw dctError(`its frame of ${width}×${height}×${count} is too large`);
    return {
      ...c,
      blocksPerLine,
      blocksPerColumn,
      usedBlocksPerLine: Math.ceil(Math.ceil((width * c.h) / hmax) / 8),
      usedBlocksPerColumn: Math.ceil(Math.ceil((height * c.v) / vmax) / 8),
      coefficients: new Int32Array(blocksPerLine * blocksPerColumn * 64),
      pred: 0,
    };
  });
  return { marker, precision, width, height, progressive: marker === 0xc2, components, hmax, vmax, mcusPerLine, mcusPerColumn };
}
