/** Agreement figures on boxes whose IoUs are worked out by hand in the comments. */
import { describe, expect, it } from 'vitest';
import { agreement, boxIou, matchBoxes, unionAreas } from '../../../src/core/agreement/index';

const box = (x: number, y: number, width: number, height: number, label?: string) => ({ x, y, width, height, ...(label ? { label } : {}) });

describe('box IoU', () => {
  it('half-overlapping squares: 50 / 150', () => {
    // [0,10)×[0,10) and [5,15)×[0,10): intersection 5×10 = 50, union 100 + 100 − 50 = 150.
    expect(boxIou(box(0, 0, 10, 10), box(5, 0, 10, 10))).toBeCloseTo(1 / 3, 12);
  });
  it('shifted by one pixel both ways: 81 / 119', () => {
    expect(boxIou(box(0, 0, 10, 10), box(1, 1, 10, 10))).toBeCloseTo(81 / 119, 12);
  });
  it('touching edges and disjoint boxes do not overlap; identical boxes are 1', () => {
    expect(boxIou(box(0, 0, 10, 10), box(10, 0, 10, 10))).toBe(0);
    expect(boxIou(box(0, 0, 10, 10), box(50, 50, 3, 3))).toBe(0);
    expect(boxIou(box(2, 3, 7, 5), box(2, 3, 7, 5))).toBe(1);
  });
});

describe('covered areas', () => {
  it('two overlapping boxes inside a big one: the overlap is counted once', () => {
    // A = [0,10)² ∪ [5,15)²: 100 + 100 − 25 = 175. B = [0,20)² = 400 covers all of A.
    const u = unionAreas([box(0, 0, 10, 10), box(5, 5, 10, 10)], [box(0, 0, 20, 20)]);
    expect(u).toEqual({ a: 175, b: 400, both: 175, either: 400 });
  });
  it('fractional (grounding) coordinates are exact too', () => {
    // [0.5,2.5)×[0,1) and [1.5,3.5)×[0,1): 2 + 2 − 1 = 3 covered, 1 shared.
    const u = unionAreas([box(0.5, 0, 2, 1)], [box(1.5, 0, 2, 1)]);
    expect(u.both).toBeCloseTo(1, 12);
    expect(u.either).toBeCloseTo(3, 12);
  });
});

describe('matching', () => {
  it('is one-to-one, best IoU first', () => {
    // Both A boxes overlap the one B box: IoU 1 and 100/110. Only the exact one is matched.
    const m = matchBoxes([box(0, 0, 10, 11), box(0, 0, 10, 10)], [box(0, 0, 10, 10)], 0.5);
    expect(m).toEqual([[1, 0, 1]]);
  });
});

describe('agreement of three systems', () => {
  const gradcam = { system: 'Grad-CAM', boxes: [box(0, 0, 10, 10, 'porosity'), box(20, 20, 10, 10, 'porosity')] };
  const anomaly = { system: 'Anomaly', boxes: [box(1, 1, 10, 10, 'anomaly')] };
  const grounding = { system: 'Grounding', boxes: [] };

  it('pair IoUs, matches, which system found what, and "found nothing" kept as 0 boxes', () => {
    const a = agreement([gradcam, anomaly, grounding], 0.5);
    expect(a.systems).toEqual([
      { system: 'Grad-CAM', boxes: 2 },
      { system: 'Anomaly', boxes: 1 },
      { system: 'Grounding', boxes: 0 },
    ]);
    // Grad-CAM covers 200, Anomaly 100, shared 81 (only the first Grad-CAM box touches it): 81 / 219.
    expect(a.pairs[0]).toMatchObject({ a: 'Grad-CAM', b: 'Anomaly', matched: 1 });
    expect(a.pairs[0]!.iou).toBeCloseTo(81 / 219, 12);
    // Against a system with no boxes the covered areas share nothing: 0, not undefined.
    expect(a.pairs[1]).toEqual({ a: 'Grad-CAM', b: 'Grounding', iou: 0, matched: 0 });
    expect(a.pairs[2]).toEqual({ a: 'Anomaly', b: 'Grounding', iou: 0, matched: 0 });
    expect(a.meanIou).toBeCloseTo(81 / 219 / 3, 12);
    expect(a.boxes).toHaveLength(3);
    expect(a.boxes[0]).toMatchObject({ system: 'Grad-CAM', index: 0, label: 'porosity', foundBy: ['Anomaly'] });
    expect(a.boxes[0]!.bestIou['Anomaly']).toBeCloseTo(81 / 119, 12);
    expect(a.boxes[0]!.bestIou['Grounding']).toBe(0);
    expect(a.boxes[1]).toMatchObject({ system: 'Grad-CAM', index: 1, foundBy: [] });
    expect(a.boxes[2]).toMatchObject({ system: 'Anomaly', index: 0, foundBy: ['Grad-CAM'] });
  });

  it('a stricter match threshold drops the 0.68 match but not the area IoU', () => {
    const a = agreement([gradcam, anomaly], 0.7);
    expect(a.pairs[0]!.matched).toBe(0);
    expect(a.pairs[0]!.iou).toBeCloseTo(81 / 219, 12);
    expect(a.boxes[0]!.foundBy).toEqual([]);
  });

  it('two systems with nothing: no IoU to speak of', () => {
    const a = agreement([{ system: 'A', boxes: [] }, { system: 'B', boxes: [] }]);
    expect(a.pairs).toEqual([{ a: 'A', b: 'B', iou: null, matched: 0 }]);
    expect(a.meanIou).toBeNull();
  });

  it('refuses a threshold outside (0, 1]', () => {
    expect(() => agreement([gradcam], 0)).toThrow(RangeError);
    expect(() => agreement([gradcam], 1.5)).toThrow(RangeError);
  });
});
