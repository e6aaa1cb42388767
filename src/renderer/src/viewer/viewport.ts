/** Zoom/pan as one affine map: screen = image × scale + (x, y). Linked viewports share it. */
export interface Viewport {
  scale: number;
  x: number;
  y: number;
}

export function fitViewport(imageW: number, imageH: number, screenW: number, screenH: number, margin = 8): Viewport {
  const scale = Math.max(1e-6, Math.min((screenW - 2 * margin) / imageW, (screenH - 2 * margin) / imageH));
  return { scale, x: (screenW - imageW * scale) / 2, y: (screenH - imageH * scale) / 2 };
}

/** Zoom by `factor` keeping the image point under (sx, sy) fixed on screen. */
export function zoomAt(v: Viewport, factor: number, sx: number, sy: number): Viewport {
  const scale = Math.max(0.01, Math.min(64, v.scale * factor));
  const k = scale / v.scale;
  return { scale, x: sx - (sx - v.x) * k, y: sy - (sy - v.y) * k };
}

export function panBy(v: Viewport, dx: number, dy: number): Viewport {
  return { scale: v.scale, x: v.x + dx, y: v.y + dy };
}

export function toImage(v: Viewport, sx: number, sy: number): { x: number; y: number } {
  return { x: (sx - v.x) / v.scale, y: (sy - v.y) / v.scale };
}

export function toScreen(v: Viewport, ix: number, iy: number): { x: number; y: number } {
  return { x: ix * v.scale + v.x, y: iy * v.scale + v.y };
}
