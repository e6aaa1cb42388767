/**
 * The reviewer's measurements (length lines, rectangle and ellipse ROIs) per scene and frame: plain data in
 * image pixel coordinates, drawn by MeasurementShapes; the numbers come from ./annotations.
 */
import { create } from 'zustand';
import type { Point } from './annotations';

/** `roi` is the rectangle ROI (its tool's name since it came first), `ellipse` the inscribed-ellipse ROI. */
export type MeasurementKind = 'length' | 'roi' | 'ellipse';

export interface Measurement {
  id: string;
  kind: MeasurementKind;
  sceneId: string;
  frameIndex: number;
  /** Start and end point (image pixels); for an ROI the rectangle's opposite corners. */
  a: Point;
  b: Point;
}

interface MeasureState {
  items: Measurement[];
  add(m: Omit<Measurement, 'id'>): string;
  remove(id: string): void;
  clear(sceneId: string): void;
  /** Replaces a scene's measurements (a reopened review brings back the ones it recorded). */
  seed(sceneId: string, items: Omit<Measurement, 'id' | 'sceneId'>[]): void;
}

let next = 1;

export const useMeasureStore = create<MeasureState>((set) => ({
  items: [],
  add: (m) => {
    const id = `m${next++}`;
    set((s) => ({ items: [...s.items, { ...m, id }] }));
    return id;
  },
  remove: (id) => set((s) => ({ items: s.items.filter((x) => x.id !== id) })),
  clear: (sceneId) => set((s) => ({ items: s.items.filter((x) => x.sceneId !== sceneId) })),
  seed: (sceneId, items) => set((s) => ({ items: [...s.items.filter((x) => x.sceneId !== sceneId), ...items.map((m) => ({ ...m, sceneId, id: `m${next++}` }))] })),
}));

/** A recorded review's measurements as the viewer's (frame = the run image's frame number − 1). */
export function recordedMeasurements(ms: { kind: 'length' | 'rectangle' | 'ellipse'; points: [Point, Point]; frameNumber?: number | null }[]): Omit<Measurement, 'id' | 'sceneId'>[] {
  return ms.map((m) => ({ kind: m.kind === 'rectangle' ? 'roi' : m.kind, frameIndex: Math.max(0, (m.frameNumber ?? 1) - 1), a: m.points[0], b: m.points[1] }));
}

export function rectOf(m: Pick<Measurement, 'a' | 'b'>): { x: number; y: number; width: number; height: number } {
  return { x: Math.min(m.a.x, m.b.x), y: Math.min(m.a.y, m.b.y), width: Math.abs(m.b.x - m.a.x), height: Math.abs(m.b.y - m.a.y) };
}
