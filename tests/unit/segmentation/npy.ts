import { readFileSync } from 'node:fs';

/** Reads a little-endian float32 C-order `.npy` (format 1.0/2.0) written by numpy.save. */
export function readNpy(path: string): { data: Float32Array; shape: number[] } {
  const b = readFileSync(path);
  if (b.subarray(1, 6).toString('latin1') !== 'NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = b[6]!;
  const len = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = b.subarray(start, start + len).toString('latin1');
  if (!header.includes("'descr': '<f4'") || header.includes("'fortran_order': True")) throw new Error(`${path}: expected C-order <f4, got ${header}`);
  const shape = header.match(/'shape': \(([^)]*)\)/)![1]!.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const off = start + len;
  const bytes = b.subarray(off);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { data, shape };
}
