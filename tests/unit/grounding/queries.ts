/**
 * Order-invariant comparison of a grounding model's raw outputs with a PyTorch reference: every
 * one of the reference's strongest queries must be among the run's queries with the same box and
 * the same logits. TopK may order ties differently, so queries are matched by box, not index.
 */
import { expect } from 'vitest';

export interface RefQuery {
  logits: number[];
  box: number[];
}

export function expectReferenceQueries(out: { logits: Float32Array; boxes: Float32Array; queries: number; textLen: number }, ref: readonly RefQuery[]): void {
  // The last few reference queries may tie with ones onnxruntime ranked just outside.
  for (const rq of ref.slice(0, 80)) {
    let found = -1;
    for (let q = 0; q < out.queries && found < 0; q++) {
      if (rq.box.every((v, k) => Math.abs(out.boxes[q * 4 + k]! - v) < 2e-4)) found = q;
    }
    expect(found, `query with box ${rq.box.join(',')}`).toBeGreaterThanOrEqual(0);
    rq.logits.forEach((v, t) => expect(Math.abs(out.logits[found * out.textLen + t]! - v)).toBeLessThan(2e-3));
  }
}
