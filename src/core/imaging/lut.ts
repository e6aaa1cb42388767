/**
 * Display maths of PS3.3 C.11, exactly as written there: modality LUT, VOI LUT (LINEAR with its
 * −0.5 and (w−1) terms, LINEAR_EXACT, SIGMOID, or a VOI LUT table), then inversion. Shared by the
 * worker (thumbnails, stats) and the tests; the renderer implements the same formulas for dragging.
 */
import type { LookupTable, ModalityTransform, WindowSetting } from './types';

export function lookup(lut: LookupTable, x: number): number {
  const i = Math.round(x) - lut.firstMapped;
  const data = lut.data;
  return data[i < 0 ? 0 : i >= data.length ? data.length - 1 : i]!;
}

/** Stored value → modality value (e.g. Hounsfield units). */
export function modalityValue(m: ModalityTransform, stored: number): number {
  return m.kind === 'rescale' ? stored * m.slope + m.intercept : lookup(m.lut, stored);
}

/** C.11.2.1.2.1 LINEAR, C.11.2.1.3.2 LINEAR_EXACT, C.11.2.1.3.1 SIGMOID: x → [yMin, yMax]. */
export function voiValue(w: Pick<WindowSetting, 'center' | 'width' | 'function'>, x: number, yMin = 0, yMax = 255): number {
  const c = w.center;
  const width = w.width;
  const range = yMax - yMin;
  switch (w.function) {
    case 'SIGMOID':
      return range / (1 + Math.exp((-4 * (x - c)) / width)) + yMin;
    case 'LINEAR_EXACT':
      if (x <= c - width / 2) return yMin;
      if (x > c + width / 2) return yMax;
      return ((x - c) / width + 0.5) * range + yMin;
    default: {
      // LINEAR requires width ≥ 1; the −0.5 and (w−1) terms are the standard's, not rounding.
      const wl = Math.max(width, 1);
      if (x <= c - 0.5 - (wl - 1) / 2) return yMin;
      if (x > c - 0.5 + (wl - 1) / 2) return yMax;
      if (wl === 1) return yMax;
      return ((x - (c - 0.5)) / (wl - 1) + 0.5) * range + yMin;
    }
  }
}

/** A VOI LUT table maps modality values to its own output range (0 … 2^bits − 1), rescaled here. */
export function voiLutValue(lut: LookupTable, x: number, yMin = 0, yMax = 255): number {
  const top = 2 ** lut.bits - 1;
  return (lookup(lut, x) / top) * (yMax - yMin) + yMin;
}

/** Window from a range, the inverse of LINEAR's edges (Cornerstone `windowLevel.ts`). */
export function windowFromRange(low: number, high: number, explanation = 'auto: min-max'): WindowSetting {
  return { center: (low + high + 1) / 2, width: Math.max(1, Math.abs(high - low) + 1), function: 'LINEAR', explanation };
}

/** CT presets (HU), OHIF's reviewed values; bone and brain deliberately not swapped (see notes). */
export const CT_PRESETS: readonly (WindowSetting & { key: string })[] = [
  { key: 'soft-tissue', center: 40, width: 400, function: 'LINEAR', explanation: 'Soft tissue' },
  { key: 'lung', center: -600, width: 1500, function: 'LINEAR', explanation: 'Lung' },
  { key: 'bone', center: 300, width: 2000, function: 'LINEAR', explanation: 'Bone' },
  { key: 'brain', center: 40, width: 80, function: 'LINEAR', explanation: 'Brain' },
];
