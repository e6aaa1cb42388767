/**
 * The few protobuf wire-format primitives the ONNX reader and editor need. ONNX files are plain
 * protobuf; pulling in a full protobuf runtime and generated classes for ~20 fields was not worth
 * the dependency, and reading lazily (fields as byte ranges) keeps big initializers uncopied.
 */

export interface Field {
  no: number;
  wire: number;
  /** Varint / fixed values. */
  value: bigint;
  /** Length-delimited payload (wire type 2), a view into the original buffer. */
  bytes?: Uint8Array;
  /** Byte range of the whole field (key included) in the message, for re-emitting it untouched. */
  start: number;
  end: number;
}

export function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new RangeError('truncated varint');
    const b = buf[pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
}

/** All fields of one message, in file order (repeated fields appear several times). */
export function readFields(buf: Uint8Array): Field[] {
  const fields: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    const [key, p1] = readVarint(buf, pos);
    pos = p1;
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const [v, p2] = readVarint(buf, pos);
      pos = p2;
      fields.push({ no, wire, value: v, start, end: pos });
    } else if (wire === 1) {
      const dv = new DataView(buf.buffer, buf.byteOffset + pos, 8);
      pos += 8;
      fields.push({ no, wire, value: dv.getBigUint64(0, true), start, end: pos });
    } else if (wire === 2) {
      const [len, p2] = readVarint(buf, pos);
      const end = p2 + Number(len);
      if (end > buf.length) throw new RangeError('truncated length-delimited field');
      fields.push({ no, wire, value: len, bytes: buf.subarray(p2, end), start, end });
      pos = end;
    } else if (wire === 5) {
      const dv = new DataView(buf.buffer, buf.byteOffset + pos, 4);
      pos += 4;
      fields.push({ no, wire, value: BigInt(dv.getUint32(0, true)), start, end: pos });
    } else {
      throw new RangeError(`unsupported wire type ${wire}`);
    }
  }
  return fields;
}

const decoder = new TextDecoder();
export const str = (f: Field): string => decoder.decode(f.bytes ?? new Uint8Array());

/** Signed int64 from a varint (two's complement). */
export const int64 = (v: bigint): number => Number(BigInt.asIntN(64, v));

export function float32FromFixed(v: bigint): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setUint32(0, Number(v), true);
  return dv.getFloat32(0, true);
}

/** Repeated int64 that may be packed (wire 2) or not (wire 0). */
export function readInts(fields: Field[], no: number): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.no !== no) continue;
    if (f.wire === 0) out.push(int64(f.value));
    else if (f.bytes) {
      let p = 0;
      while (p < f.bytes.length) {
        const [v, np] = readVarint(f.bytes, p);
        out.push(int64(v));
        p = np;
      }
    }
  }
  return out;
}

/** Repeated float that may be packed or not. */
export function readFloats(fields: Field[], no: number): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.no !== no) continue;
    if (f.wire === 5) out.push(float32FromFixed(f.value));
    else if (f.bytes) {
      const dv = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
      for (let p = 0; p + 4 <= f.bytes.length; p += 4) out.push(dv.getFloat32(p, true));
    }
  }
  return out;
}

export function encodeVarint(v: number | bigint): number[] {
  let n = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n > 0n) b |= 0x80;
    out.push(b);
  } while (n > 0n);
  return out;
}

export function encodeBytesField(no: number, payload: Uint8Array): Uint8Array {
  const head = [...encodeVarint((no << 3) | 2), ...encodeVarint(payload.length)];
  const out = new Uint8Array(head.length + payload.length);
  out.set(head, 0);
  out.set(payload, head.length);
  return out;
}

export function encodeVarintField(no: number, v: number | bigint): Uint8Array {
  return new Uint8Array([...encodeVarint(no << 3), ...encodeVarint(v)]);
}

export function encodeString(no: number, s: string): Uint8Array {
  return encodeBytesField(no, new TextEncoder().encode(s));
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
