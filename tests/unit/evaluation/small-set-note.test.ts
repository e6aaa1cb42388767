/**
 * A threshold proposed from a handful of images says so (QA walk: a 2 + 2 battery set proposed
 * 0.99999 as F1-optimal with no warning — applying it would pass a porosity view at 0.9999).
 */
import { describe, expect, it } from 'vitest';
import { MIN_IMAGES_PER_CLASS, propose } from '../../../src/core/evaluation/thresholds';

describe('proposals from small sets', () => {
  it('a 2 + 2 set: every objective carries the too-few-images note; the threshold itself is unchanged', () => {
    const labels = [0, 0, 1, 1];
    const scores = [0.001, 0.002, 0.99999, 0.999999];
    for (const o of [{ kind: 'f1' } as const, { kind: 'recall', target: 0.99 } as const, { kind: 'false-alarm', target: 0.01 } as const]) {
      const p = propose(labels, scores, o);
      expect(p.note).toMatch(/only 2 defect and 2 normal images: too few .*at least 30 of each/);
    }
    expect(propose(labels, scores, { kind: 'f1' }).point.threshold).toBe(0.99999);
    // mean + kσ needs only normals: its own note (mean, σ) first, then the warning.
    expect(propose(labels, scores, { kind: 'sigma', k: 3 }).note).toMatch(/^mean .* of 2 normal images; only 2 defect/);
  });

  it(`${MIN_IMAGES_PER_CLASS} of each class: no warning`, () => {
    const n = MIN_IMAGES_PER_CLASS;
    const labels = [...Array(n).fill(0), ...Array(n).fill(1)];
    const scores = labels.map((y, i) => (y ? 0.6 : 0.1) + (i % 7) * 0.01);
    expect(propose(labels, scores, { kind: 'f1' }).note).toBeUndefined();
    expect(propose(labels, scores, { kind: 'sigma', k: 3 }).note).not.toMatch(/too few/);
    // One class short is enough to warn.
    expect(propose(labels.slice(1), scores.slice(1), { kind: 'f1' }).note).toMatch(/only 30 defect and 29 normal/);
  });
});
