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
