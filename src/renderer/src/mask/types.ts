/**
 * The viewer's mask layer: a segmentation pack's class map (one class index per model pixel) and
 * where that grid lies on the image — the same placement heatmaps use (`inputCoverRect`).
 */
import type { Rect } from '../viewer/types';

export interface MaskClass {
  /** Label id from the pack; its display name (en/ko) comes from the findings' label list. */
  label: string;
  /** `#rrggbb` from the pack. */
  colour: string;
  /** Background classes are never painted (the engine never puts them in the mask). */
  background: boolean;
  /** The pack's display names. */
  display?: { en?: string | undefined; ko?: string | undefined };
}

export interface MaskData {
  id: string;
  /** Pack that produced it (`name@version`). */
  source: string;
  width: number;
  height: number;
  /** Channel index per model pixel, row-major; 255 = no class. */
  values: Uint8Array;
  classes: MaskClass[];
  /** Where the whole mask grid lies on the image (model input's stretch undone). */
  covers: Rect;
}

export interface MaskSettings {
  visible: boolean;
  opacity: number;
  /** Outline only: the boundary of each class region, nothing inside. */
  outline: boolean;
  /** Labels switched off. */
  hidden: string[];
}

export const DEFAULT_MASK: MaskSettings = { visible: true, opacity: 0.5, outline: false, hidden: [] };

/** A published mask before its bytes are fetched (kept on the case like a `HeatmapRef`). */
export interface MaskRef {
  id: string;
  mediaId: string;
  source: string;
  width: number;
  height: number;
  classes: MaskClass[];
}
