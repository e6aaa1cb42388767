/**
 * Entropy decoding of one scan into quantized coefficients (T.81 F.2.2 sequential, G.1.2
 * progressive with spectral selection and successive approximation), with restart intervals.
 */
import type { BitReader } from './huffman';
import type { Frame, FrameComponent } from './frame';
import { dctError } from './errors';

/** ZIGZAG[k] = natural (row-major) index of the k-th coefficient in zig-zag order (A.3.6). */
export const ZIGZAG = (() => {
  const z = new Uint8Array(64);
  let k = 0;
  for (let s = 0; s <= 14; s++) {
    const lo = Math.max(0, s - 7);
    const hi = Math.min(s, 7);
    // Even anti-diagonals run bottom-left → top-right, odd ones the other way.
    if (s % 2 === 0) for (let row = hi; row >= lo; row--) z[k++] = row * 8 + (s - row);
    else for (let row = lo; row <= hi; row++) z[k++] = row * 8 + (s - row);
  }
  return z;
})();

export interface Scan {
  components: FrameComponent[];
  /** Spectral selection start/end and successive approximation high/low bit. */
  ss: number;
  se: number;
  ah: number;
  al: number;
  restartInterval: number;
}

type BlockDecoder = (c: FrameComponent, offset: number) => void;

export function checkScan(frame: Frame, scan: Scan): void {
  for (const c of scan.components) {
    if (!c.dcTable && !(frame.progressive && scan.ss > 0)) throw dctError(`component ${c.id} uses a DC Huffman table that was never defined`);
    if (!c.acTable && (!frame.progressive || scan.ss > 0)) throw dctError(`component ${c.id} uses an AC Huffman table that was never defined`);
  }
  if (!frame.progressive) return;
  if (scan.ss > scan.se || scan.se > 63 || (scan.ss === 0 && scan.se !== 0) || (scan.ss > 0 && scan.components.length !== 1) || scan.al > 13 || scan.ah > 13) {
    throw dctError(`a progressive scan has invalid parameters Ss ${scan.ss}, Se ${scan.se}, Ah ${scan.ah}, Al ${scan.al}`);
  }
}

export function decodeScan(reader: BitReader, frame: Frame, scan: Scan): void {
  const { ss, se, ah, al } = scan;
  let eobrun = 0;

  const sequential: BlockDecoder = (c, o) => {
    const out = c.coefficients;
    c.pred += reader.receiveExtend(reader.decode(c.dcTable!));
    out[o] = c.pred;
    const ac = c.acTable!;
    for (let k = 1; k < 64; ) {
      const rs = reader.decode(ac);
      const r = rs >> 4;
      const s = rs & 15;
      if (s === 0) {
        if (r !== 15) break; // EOB
        k += 16; // ZRL
        continue;
      }
      k += r;
      if (k > 63) throw dctError('a block codes more than 64 coefficients');
      out[o + ZIGZAG[k]!] = reader.receiveExtend(s);
      k++;
    }
  };

  const dcFirst: BlockDecoder = (c, o) => {
    c.pred += reader.receiveExtend(reader.decode(c.dcTable!));
    c.coefficients[o] = c.pred * (1 << al);
  };

  const dcRefine: BlockDecoder = (c, o) => {
    if (reader.bit()) c.coefficients[o]! |= 1 << al;
  };

  const acFirst: BlockDecoder = (c, o) => {
    if (eobrun > 0) {
      eobrun--;
      return;
    }
    const out = c.coefficients;
    const ac = c.acTable!;
    for (let k = ss; k <= se; ) {
      const rs = reader.decode(ac);
      const r = rs >> 4;
      const s = rs & 15;
      if (s === 0) {
        if (r < 15) {
          // EOBr: this block and the next (2^r − 1 + r extra bits) blocks end here (G.1.2.2).
          eobrun = (1 << r) - 1 + reader.receive(r);
          break;
        }
        k += 16;
        continue;
      }
      k += r;
      if (k > 63) throw dctError('a block codes more than 64 coefficients');
      out[o + ZIGZAG[k]!] = reader.receiveExtend(s) * (1 << al);
      k++;
    }
  };

  // G.1.2.3: one correction bit for every coefficient that is already non-zero, newly non-zero
  // coefficients (always ±1 at this bit) placed after skipping r coefficients that are still zero.
  const acRefine: BlockDecoder = (c, o) => {
    const out = c.coefficients;
    const p1 = 1 << al;
    const m1 = -1 << al;
    let k = ss;
    const refine = (z: number) => {
      if (reader.bit() && (out[z]! & p1) === 0) out[z]! += out[z]! >= 0 ? p1 : m1;
    };
    if (eobrun === 0) {
      const ac = c.acTable!;
      for (; k <= se; k++) {
        const rs = reader.decode(ac);
        let r = rs >> 4;
        const s = rs & 15;
        let value = 0;
        if (s !== 0) {
          if (s !== 1) throw dctError('a refinement scan codes a coefficient larger than one bit');
          value = reader.bit() ? p1 : m1;
        } else if (r !== 15) {
          eobrun = (1 << r) + reader.receive(r);
          break;
        }
        for (; k <= se; k++) {
          const z = o + ZIGZAG[k]!;
          if (out[z] !== 0) refine(z);
          else {
            if (r === 0) break;
            r--;
          }
        }
        if (value !== 0) {
          if (k > se) throw dctError('a refinement scan places a coefficient past the end of its band');
          out[o + ZIGZAG[k]!] = value;
        }
      }
    }
    if (eobrun > 0) {
      for (; k <= se; k++) {
        const z = o + ZIGZAG[k]!;
        if (out[z] !== 0) refine(z);
      }
      eobrun--;
    }
  };

  const block: BlockDecoder = !frame.progressive ? sequential : ss === 0 ? (ah === 0 ? dcFirst : dcRefine) : ah === 0 ? acFirst : acRefine;

  const single = scan.components.length === 1;
  const only = scan.components[0]!;
  const total = single ? only.usedBlocksPerLine * only.usedBlocksPerColumn : frame.mcusPerLine * frame.mcusPerColumn;
  const interval = scan.restartInterval > 0 ? scan.restartInterval : total;
  for (const c of scan.components) c.pred = 0;

  let n = 0;
  let expectedRst = 0;
  while (n < total) {
    const end = Math.min(n + interval, total);
    if (single) {
      for (; n < end; n++) {
        const row = Math.floor(n / only.usedBlocksPerLine);
        const col = n - row * only.usedBlocksPerLine;
        block(only, (row * only.blocksPerLine + col) * 64);
      }
    } else {
      for (; n < end; n++) {
        const mcuRow = Math.floor(n / frame.mcusPerLine);
        const mcuCol = n - mcuRow * frame.mcusPerLine;
        for (const c of scan.components) {
          for (let v = 0; v < c.v; v++) {
            const rowBase = (mcuRow * c.v + v) * c.blocksPerLine + mcuCol * c.h;
            for (let h = 0; h < c.h; h++) block(c, (rowBase + h) * 64);
          }
        }
      }
    }
    if (n < total) {
      reader.toMarker();
      const data = reader.data;
      const marker = data[reader.pos + 1] ?? -1;
      if (marker < 0xd0 || marker > 0xd7) throw dctError(`restart marker ${expectedRst} is missing after ${n} of ${total} units`);
      reader.pos += 2;
      expectedRst = (marker - 0xd0 + 1) & 7;
      eobrun = 0;
      for (const c of scan.components) c.pred = 0;
    }
  }
  reader.toMarker();
}
