/**
 * The maths behind the viewer's corner annotations and measurement tools (./viewer/annotations):
 * orientation letters, length in mm or px, ROI statistics in real values, corner texts.
 */
import { describe, expect, it } from 'vitest';
import { cornerTexts, directionLetters, formatDicomDate, formatPersonName, measureLength, measurementRecord, orientationMarkers, roiStats, slicePosition } from '../../../src/renderer/src/viewer/annotations';
import type { FrameData } from '../../../src/renderer/src/viewer/types';

function frame(data: number[], width: number, extra: Partial<FrameData> = {}): FrameData {
  return { width, height: data.length / width, channels: 1, dtype: 'int16', data: Int16Array.from(data), slope: 1, intercept: 0, invert: false, windows: [], ...extra };
}

describe('orientation letters (PS3.3 C.7.6.1.1.1: +x L, +y P, +z H)', () => {
  it('axial, coronal, sagittal and oblique vectors', () => {
    expect(orientationMarkers([1, 0, 0, 0, 1, 0])).toEqual({ right: 'L', left: 'R', bottom: 'P', top: 'A' });
    expect(orientationMarkers([1, 0, 0, 0, 0, -1])).toEqual({ right: 'L', left: 'R', bottom: 'F', top: 'H' });
    expect(orientationMarkers([0, 1, 0, 0, 0, -1])).toEqual({ right: 'P', left: 'A', bottom: 'F', top: 'H' });
    expect(directionLetters([0, 0.9483237, -0.3173047])).toBe('PF');
    expect(directionLetters([0, 0.98, -0.2])).toBe('P');
    expect(orientationMarkers(undefined)).toBeUndefined();
  });
});

describe('measurements', () => {
  it('length: mm from Pixel Spacing (row along y, column along x), px without it', () => {
    const f = frame([0, 0, 0, 0], 2);
    expect(measureLength(f, { x: 0, y: 0 }, { x: 3, y: 4 })).toEqual({ value: 5, unit: 'px', text: '5.0 px' });
    const g = { ...f, pixelSpacing: { row: 2, column: 0.5, source: 'PixelSpacing' } };
    // dx 10 px × 0.5 mm, dy 10 px × 2 mm
    expect(measureLength(g, { x: 0, y: 0 }, { x: 10, y: 10 }).value).toBeCloseTo(Math.hypot(5, 20), 12);
    expect(measureLength(g, { x: 0, y: 0 }, { x: 10, y: 10 }).text).toBe('20.6 mm');
  });

  it('ROI: real values of pixels whose centres are inside, padding excluded, population SD', () => {
    // 3×2 stored values, rescale ×2 − 1000, padding −2000 (stored) excluded.
    const f = frame([10, 20, -2000, 30, 40, 50], 3, { slope: 2, intercept: -1000, padding: { from: -2000, to: -2000 } });
    const s = roiStats(f, { x: 0, y: 0, width: 3, height: 2 })!;
    const real = [10, 20, 30, 40, 50].map((v) => v * 2 - 1000);
    const mean = real.reduce((a, b) => a + b) / 5;
    expect(s.count).toBe(5);
    expect(s.mean).toBeCloseTo(mean, 10);
    expect(s.sd).toBeCloseTo(Math.sqrt(real.reduce((a, b) => a + (b - mean) ** 2, 0) / 5), 10);
    expect([s.min, s.max]).toEqual([-980, -900]);
    expect(s.areaUnit).toBe('px²');
    // A rectangle over the right half of pixel 0 and the left half of pixel 1 holds one centre (1.5).
    expect(roiStats(f, { x: 0.6, y: 0, width: 1, height: 1 })!.count).toBe(1);
    expect(roiStats(f, { x: 0.6, y: 0, width: 1, height: 1 })!.mean).toBe(20 * 2 - 1000);
    expect(roiStats({ ...f, channels: 3 }, { x: 0, y: 0, width: 1, height: 1 })).toBeUndefined();
  });

  it('ellipse ROI: pixels whose centres lie in the inscribed ellipse, padding excluded, area π·rx·ry', () => {
    // 5×5 values 0..24; the ellipse inscribed in the whole image (centre 2.5, radii 2.5) leaves out the 4 corners.
    const f = frame(Array.from({ length: 25 }, (_, i) => i), 5, { pixelSpacing: { row: 0.5, column: 2, source: 'PixelSpacing' } });
    const s = roiStats(f, { x: 0, y: 0, width: 5, height: 5 }, 'ellipse')!;
    const inside = Array.from({ length: 25 }, (_, i) => i).filter((i) => ((i % 5) + 0.5 - 2.5) ** 2 + (Math.floor(i / 5) + 0.5 - 2.5) ** 2 <= 2.5 ** 2);
    expect(inside).toHaveLength(21);
    expect(s.count).toBe(21);
    expect(s.mean).toBeCloseTo(inside.reduce((a, b) => a + b, 0) / 21, 10);
    expect([s.min, s.max]).toEqual([1, 23]);
    expect(s.area).toBeCloseTo(Math.PI * 2.5 * 2.5 * 0.5 * 2, 10);
    expect(s.areaUnit).toBe('mm²');
    // The rectangle over the same box counts all 25; padding is left out of the ellipse too.
    expect(roiStats(f, { x: 0, y: 0, width: 5, height: 5 })!.count).toBe(25);
    expect(roiStats({ ...f, padding: { from: 12, to: 12 } }, { x: 0, y: 0, width: 5, height: 5 }, 'ellipse')!.count).toBe(20);
    expect(roiStats(f, { x: 1, y: 1, width: 0, height: 3 }, 'ellipse')).toBeUndefined();
    // What the history and the SR get: the same numbers, keyed, with the frame's unit.
    expect(measurementRecord({ ...f, unit: 'HU' }, 'ellipse', { x: 5, y: 5 }, { x: 0, y: 0 })).toEqual({
      value: { mean: s.mean, sd: s.sd, min: 1, max: 23, count: 21, areaMm2: s.area },
      unit: 'HU',
    });
    expect(measurementRecord(f, 'length', { x: 0, y: 0 }, { x: 3, y: 4 })).toEqual({ value: { length: Math.hypot(3 * 2, 4 * 0.5) }, unit: 'mm' });
  });

  it('formats DICOM dates and person names', () => {
    expect(formatDicomDate('20240131')).toBe('2024-01-31');
    expect(formatDicomDate(undefined)).toBe('');
    expect(formatPersonName('Doe^Jane^Q')).toBe('Doe, Jane Q');
    expect(formatPersonName('ANON')).toBe('ANON');
  });
});

describe('corner texts', () => {
  it('patient, slice number, position along the normal, W/L and zoom (tilted CT 02.dcm header)', () => {
    const f = frame([0], 1, {
      position: [-125, -123.5404569, 10.0560586],
      orientation: [1, 0, 0, 0, 0.9483237, -0.3173047],
      header: { patientName: 'Doe^Jane', patientId: 'QMNx85rKkkg', modality: 'CT', seriesNumber: '2', instanceNumber: '2', sliceThickness: 4, studyDate: '20240131' },
    });
    // n = row × column = (0, 0.3173047, 0.9483237)
    const pos = -123.5404569 * 0.3173047 + 10.0560586 * 0.9483237;
    expect(slicePosition(f)).toBeCloseTo(pos, 9);
    const c = cornerTexts({ frame: f, index: 1, count: 28, window: { center: 35, width: 100 }, scale: 1.5 });
    expect(c.topLeft).toEqual(['Doe, Jane', 'ID QMNx85rKkkg']);
    expect(c.topRight).toEqual(['2024-01-31', 'CT Se 2']);
    expect(c.bottomLeft).toEqual(['Im 2/28 (#2)', `Pos ${pos.toFixed(1)} mm`, 'Th 4.0 mm']);
    expect(c.bottomRight).toEqual(['W 100 L 35', 'Zoom 150%']);
    // Without orientation the Slice Location stands in; without either, no position line.
    expect(slicePosition(frame([0], 1, { header: { sliceLocation: -35.5 } }))).toBe(-35.5);
    expect(cornerTexts({ frame: frame([0], 1), index: 0, count: 1, window: { center: 0, width: 1 }, scale: 1 }).bottomLeft).toEqual(['Im 1/1']);
  });
});
