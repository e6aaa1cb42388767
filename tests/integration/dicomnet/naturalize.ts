/* eslint-disable @typescript-eslint/no-explicit-any -- naturalized DICOM is untyped JSON; the tests check its shape */
/** Test helpers shared by the DICOM object tests: Part 10 bytes → dcmjs keyword form, and an SR tree walk. */
import { dcmjs } from '../../../src/core/dicomnet/dimse';

export function naturalize(bytes: Buffer): Record<string, any> {
  const dict = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  return dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
}

/** Depth-first walk of an SR content tree. */
export function* items(node: Record<string, any>): Generator<Record<string, any>> {
  for (const c of (node['ContentSequence'] ?? []) as Record<string, any>[]) {
    yield c;
    yield* items(c);
  }
}

/** What identifies an instance and its pixels: study, SOP instance, transfer syntax, pixel data bytes (fragments joined). */
export interface HeldBytes {
  study: string;
  sop: string;
  ts: string;
  pixelData: Buffer;
  file: Buffer;
}

export function heldOf(bytes: Buffer): HeldBytes {
  const d = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  const el = (tag: string) => (d.dict[tag] as { Value: unknown[] } | undefined)?.Value ?? [];
  return {
    study: String(el('0020000D')[0]),
    sop: String(el('00080018')[0]),
    ts: String((d.meta['00020010'] as { Value: unknown[] }).Value[0]),
    pixelData: Buffer.concat((el('7FE00010') as ArrayBuffer[]).map((f) => Buffer.from(f))),
    file: bytes,
  };
}
