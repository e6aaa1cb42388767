/**
 * Mask layers per scene and their settings. Its own store, beside the viewer's: the viewer's scene
 * model is shared by every room, the mask layer is only the segmentation packs' business.
 */
import { create } from 'zustand';
import { DEFAULT_MASK, type MaskData, type MaskSettings } from './types';

interface MaskState {
  masks: Record<string, MaskData[]>;
  settings: Record<string, MaskSettings>;
  /** Scenes of reopened segmentation runs: the history keeps areas and regions, not the mask (pack `name@version`). */
  unrecorded: Record<string, string>;
  markUnrecorded(sceneId: string, source: string): void;
  /** A run's mask joins a scene, replacing that pack's earlier mask there. */
  addMask(sceneId: string, mask: MaskData): void;
  set(id: string, patch: Partial<MaskSettings>): void;
  toggle(id: string): void;
  toggleClass(id: string, label: string): void;
}

export const useMaskStore = create<MaskState>()((set) => ({
  masks: {},
  settings: {},
  unrecorded: {},
  markUnrecorded: (sceneId, source) => set((s) => ({ unrecorded: { ...s.unrecorded, [sceneId]: source } })),
  addMask: (sceneId, mask) =>
    set((s) => ({
      masks: { ...s.masks, [sceneId]: [...(s.masks[sceneId] ?? []).filter((m) => m.id !== mask.id), mask] },
      settings: s.settings[mask.id] ? s.settings : { ...s.settings, [mask.id]: { ...DEFAULT_MASK } },
    })),
  set: (id, patch) => set((s) => ({ settings: { ...s.settings, [id]: { ...(s.settings[id] ?? DEFAULT_MASK), ...patch } } })),
  toggle: (id) => set((s) => ({ settings: { ...s.settings, [id]: { ...(s.settings[id] ?? DEFAULT_MASK), visible: !(s.settings[id]?.visible ?? true) } } })),
  toggleClass: (id, label) =>
    set((s) => {
      const cur = s.settings[id] ?? DEFAULT_MASK;
      const hidden = cur.hidden.includes(label) ? cur.hidden.filter((l) => l !== label) : [...cur.hidden, label];
      return { settings: { ...s.settings, [id]: { ...cur, hidden } } };
    }),
}));
