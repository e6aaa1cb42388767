/** Reviewer box editing as pure functions on plain records (konva handles only the gestures). */
import type { BoxData, Rect } from './types';

/** A rectangle from two corners, clamped to the image, with positive size. */
export function rectFromCorners(ax: number, ay: number, bx: number, by: number, imageW: number, imageH: number): Rect {
  const x0 = Math.max(0, Math.min(ax, bx));
  const y0 = Math.max(0, Math.min(ay, by));
  const x1 = Math.min(imageW, Math.max(ax, bx));
  const y1 = Math.min(imageH, Math.max(ay, by));
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

export function clampRect(r: Rect, imageW: number, imageH: number): Rect {
  const width = Math.min(imageW, Math.max(1, r.width));
  const height = Math.min(imageH, Math.max(1, r.height));
  return { x: Math.max(0, Math.min(imageW - width, r.x)), y: Math.max(0, Math.min(imageH - height, r.y)), width, height };
}

let seq = 0;
export function newBoxId(): string {
  seq += 1;
  return `rv-${Date.now().toString(36)}-${seq}`;
}

/** Reviewer boxes are the only editable ones: model output stays what the model said. */
export function isEditable(b: BoxData): boolean {
  return b.source === 'reviewer';
}

export function nudge(r: Rect, dx: number, dy: number, imageW: number, imageH: number): Rect {
  return clampRect({ ...r, x: r.x + dx, y: r.y + dy }, imageW, imageH);
}
