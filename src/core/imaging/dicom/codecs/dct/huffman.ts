/**
 * Huffman tables and the entropy-coded bit stream of a DCT JPEG (ITU T.81 Annex C, F.2.2).
 * Codes of up to 9 bits resolve in one table look-up; longer ones use the MAXCODE/VALPTR
 * procedure of F.2.2.3. The reader removes stuffed zero bytes (FF 00) and, at a marker or the end
 * of data, feeds 1-bits as T.81 F.1.2.3 padding would, so a truncated scan ends in a bad code
 * or clean EOBs rather than reading past the buffer.
 */
import { dctError } from './errors';

const FAST_BITS = 9;

export interface HuffmanTable {
  /** Indexed by the next FAST_BITS bits: (code length << 8) | value, or 0 for longer codes. */
  fast: Uint16Array;
  /** Largest code of each length 1..16 (−1 when none), per F.2.2.3. */
  maxCode: Int32Array;
  /** Index into `values` of the first code of each length, minus that code. */
  offset: Int32Array;
  values: Uint8Array;
}

/** Builds a table from the 16 code-length counts and the symbol list of a DHT segment (C.2). */
export function buildHuffmanTable(counts: Uint8Array, values: Uint8Array): HuffmanTable {
  const fast = new Uint16Array(1 << FAST_BITS);
  const maxCode = new Int32Array(18).fill(-1);
  const offset = new Int32Array(18);
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    const n = counts[length - 1]!;
    offset[length] = k - code;
    for (let i = 0; i < n; i++, k++, code++) {
      if (code >= 1 << length) throw dctError('a Huffman table defines more codes than its lengths allow');
      if (length <= FAST_BITS) {
        const shift = FAST_BITS - length;
        const entry = (length << 8) | values[k]!;
        for (let j = code << shift, end = (code + 1) << shift; j < end; j++) fast[j] = entry;
      }
    }
    maxCode[length] = n > 0 ? code - 1 : -1;
    code <<= 1;
  }
  maxCode[17] = 0x7fffffff; // sentinel: a code longer than 16 bits is an error
  return { fast, maxCode, offset, values };
}

export class BitReader {
  private bits = 0;
  private count = 0;
  /** Set once the reader stopped at a marker (or the end) and started feeding padding. */
  hitMarker = false;

  constructor(
    readonly data: Uint8Array,
    public pos: number,
  ) {}

  private fill(): void {
    const data = this.data;
    while (this.count <= 24) {
      let byte = 0xff;
      if (!this.hitMarker && this.pos < data.length) {
        byte = data[this.pos]!;
        if (byte === 0xff) {
          const next = data[this.pos + 1];
          if (next === 0x00) this.pos += 2;
          else {
            this.hitMarker = true;
            byte = 0xff;
          }
        } else this.pos++;
      } else this.hitMarker = true;
      this.bits = (this.bits << 8) | byte;
      this.count += 8;
    }
  }

  /** The next n (≤ 16) bits as an unsigned number. */
  receive(n: number): number {
    if (n === 0) return 0;
    if (this.count < n) this.fill();
    this.count -= n;
    return (this.bits >>> this.count) & ((1 << n) - 1);
  }

  bit(): number {
    if (this.count < 1) this.fill();
    this.count--;
    return (this.bits >>> this.count) & 1;
  }

  /** RECEIVE then EXTEND (F.2.2.1): s bits as a signed magnitude-category value. */
  receiveExtend(s: number): number {
    if (s === 0) return 0;
    const v = this.receive(s);
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  }

  decode(t: HuffmanTable): number {
    if (this.count < 16) this.fill();
    const look = (this.bits >>> (this.count - FAST_BITS)) & ((1 << FAST_BITS) - 1);
    const entry = t.fast[look]!;
    if (entry !== 0) {
      this.count -= entry >> 8;
      return entry & 0xff;
    }
    const code16 = (this.bits >>> (this.count - 16)) & 0xffff;
    let length = FAST_BITS + 1;
    let code = code16 >>> (16 - length);
    while (code > t.maxCode[length]!) {
      length++;
      code = code16 >>> (16 - length);
    }
    if (length > 16) throw dctError('the entropy-coded data holds a code its Huffman table does not define');
    this.count -= length;
    return t.values[t.offset[length]! + code]!;
  }

  /**
   * Drops buffered bits and moves to the next marker: entropy data of one interval or scan ends
   * byte-aligned (F.1.2.3), and bits read ahead never cross a marker.
   */
  toMarker(): void {
    this.bits = 0;
    this.count = 0;
    this.hitMarker = false;
    const data = this.data;
    while (this.pos + 1 < data.length && !(data[this.pos] === 0xff && data[this.pos + 1] !== 0x00 && data[this.pos + 1] !== 0xff)) this.pos++;
  }
}
