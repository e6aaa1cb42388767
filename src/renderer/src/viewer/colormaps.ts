/** Colour maps as 256-entry RGB tables (from OpenCV, see colormaps.generated.ts). */
import { COLORMAP_HEX } from './colormaps.generated';
import type { ColormapName } from './types';

export const COLORMAPS: readonly ColormapName[] = ['turbo', 'jet', 'inferno', 'cividis'];

/** cividis is designed to read the same for deuteranopes and protanopes; the legend says so. */
export const COLOUR_BLIND_SAFE: ReadonlySet<ColormapName> = new Set(['cividis', 'inferno']);

const cache = new Map<ColormapName, Uint8Array>();

export function colormapTable(name: ColormapName): Uint8Array {
  let t = cache.get(name);
  if (!t) {
    const hex = COLORMAP_HEX[name];
    t = new Uint8Array(768);
    for (let i = 0; i < 768; i++) t[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
    cache.set(name, t);
  }
  return t;
}

/** Colour of a normalised value in [0,1]. */
export function colourAt(name: ColormapName, n: number): [number, number, number] {
  const t = colormapTable(name);
  const i = Math.max(0, Math.min(255, Math.round(n * 255))) * 3;
  return [t[i]!, t[i + 1]!, t[i + 2]!];
}
