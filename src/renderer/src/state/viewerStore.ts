/**
 * What the viewer shows, as plain records: per pane the scene, frame, window and viewport; per
 * heatmap its display settings; which box layers are on; the active tool. Konva reads this.
 */
import { create } from 'zustand';
import type { BoxSource, HeatmapData, LayerSettings, Scene, WindowLevel } from '../viewer/types';
import { defaultWindow, frameStats, presetWindow, type FrameStats, type PresetId } from '../viewer/voi';
import type { FrameData } from '../viewer/types';
import type { Viewport } from '../viewer/viewport';
import { COLORMAPS } from '../viewer/colormaps';
import type { BoxData } from '../viewer/types';

/** Model boxes a new run of `origin` replaces: that pack's own; without an origin, region boxes (as before). */
export const replacedBy = (origin: string | undefined) => (b: BoxData): boolean => b.source !== 'reviewer' && (origin === undefined ? b.source === 'region' : b.origin === origin);

export type Tool = 'wl' | 'pan' | 'box' | 'length' | 'roi' | 'ellipse';

export interface Pane {
  sceneId: string;
  frameIndex: number;
  window: WindowLevel;
  /** The user's invert toggle, applied on top of the frame's own (MONOCHROME1) inversion. */
  userInvert: boolean;
  /** Undefined until the pane knows its size: then it is fitted. */
  viewport?: Viewport;
  /** The viewport is the automatic fit (not panned/zoomed by the user): it follows pane resizes. */
  autoFit?: boolean;
  /** In layer-compare mode, the one heatmap this pane shows (others hidden). */
  onlyHeatmap?: string;
  preset: PresetId | 'custom';
}

const statsCache = new WeakMap<FrameData, FrameStats>();
export function statsOf(f: FrameData): FrameStats {
  let s = statsCache.get(f);
  if (!s) statsCache.set(f, (s = frameStats(f)));
  return s;
}

export const DEFAULT_LAYER: LayerSettings = { visible: true, opacity: 0.5, colormap: 'turbo', threshold: 0.2, contour: false };
/** Anomaly maps are threshold-anchored: shown in inferno from their decision threshold up. */
export const defaultLayer = (h: Pick<HeatmapData, 'kind'>): LayerSettings => ({ ...DEFAULT_LAYER, colormap: h.kind === 'anomaly' ? 'inferno' : 'turbo' });

interface ViewerState {
  scenes: Record<string, Scene>;
  panes: Pane[];
  /** Which pane keyboard actions and drags apply to. */
  activePane: number;
  linked: boolean;
  layers: Record<string, LayerSettings>;
  boxLayers: Record<BoxSource, boolean>;
  activeLayer?: string;
  tool: Tool;
  selectedBox?: string;
  /**
   * The model box a reviewer steps to with J / K and accepts (Y) or rejects (F) with one key. Kept
   * apart from `selectedBox`: a model box is reviewed, never moved or resized, so it gets no handles.
   */
  focusedBox?: string;
  /** Bumped to ask panes to fit again (Space). */
  fitToken: number;
  /** The legend can be folded away so it never hides part of the image. */
  legendOpen: boolean;
  /** A pan/zoom gesture is in progress (box hit-testing is paused meanwhile). */
  interacting: boolean;
  setInteracting(on: boolean): void;
  toggleLegend(): void;

  showScene(scene: Scene): void;
  /** Nothing on screen: a case that cannot be shown must not leave the previous image up. */
  clearView(): void;
  /** The full-resolution frames replace a scene's preview where it is shown; view and window stay. */
  replaceFrames(sceneId: string, frames: FrameData[]): void;
  /** Inspection results join a shown scene: new heatmap layers and region boxes. */
  /** `replaceMaps`: ids of maps the new ones replace (an explanation re-run replaces its pack's map). */
  addResults(sceneId: string, heatmaps: Scene['heatmaps'], boxes: Scene['boxes'], origin?: string, replaceMaps?: (id: string) => boolean): void;
  /** A model box's recorded accept/reject, shown on its caption. */
  setBoxDecision(sceneId: string, boxId: string, decision: 'accept' | 'reject'): void;
  /** Boxes of these origins (pack@version) are hidden: one system at a time on one canvas. */
  hiddenOrigins: Record<string, boolean>;
  toggleOrigin(origin: string): void;
  compareWith(scene: Scene | undefined): void;
  compareLayers(): void;
  closeCompare(): void;
  setActivePane(i: number): void;
  setWindow(win: WindowLevel, pane?: number): void;
  applyPreset(id: PresetId): void;
  toggleInvert(): void;
  setViewport(v: Viewport, pane?: number, autoFit?: boolean): void;
  stepFrame(delta: number): void;
  resetView(): void;
  setLayer(id: string, patch: Partial<LayerSettings>): void;
  toggleLayer(id: string): void;
  toggleBoxLayer(s: BoxSource): void;
  setActiveLayer(id: string | undefined): void;
  cycleColormap(): void;
  setTool(t: Tool): void;
  selectBox(id: string | undefined): void;
  focusBox(id: string | undefined): void;
  setLinked(l: boolean): void;
}

function paneFor(scene: Scene, extra: Partial<Pane> = {}): Pane {
  const f = scene.frames[0];
  const t0 = performance.now();
  if (f) statsOf(f);
  performance.measure('inspector:frame-stats', { start: t0, end: performance.now() });
  return {
    sceneId: scene.id,
    frameIndex: 0,
    window: f ? defaultWindow(f, statsOf(f)) : { center: 0, width: 1 },
    userInvert: false,
    preset: 'default',
    ...extra,
  };
}

export const useViewerStore = create<ViewerState>((set, get) => {
  const currentFrame = (p: Pane): FrameData | undefined => get().scenes[p.sceneId]?.frames[p.frameIndex];
  const updatePane = (i: number, fn: (p: Pane) => Pane) =>
    set((s) => ({ panes: s.panes.map((p, k) => (k === i ? fn(p) : p)) }));

  return {
    scenes: {},
    panes: [],
    activePane: 0,
    linked: true,
    layers: {},
    boxLayers: { region: true, detector: true, reviewer: true },
    tool: 'wl',
    fitToken: 0,
    legendOpen: true,
    interacting: false,
    setInteracting: (interacting) => set({ interacting }),
    toggleLegend: () => set((s) => ({ legendOpen: !s.legendOpen })),

    clearView: () => set({ panes: [], activePane: 0, activeLayer: undefined, selectedBox: undefined, focusedBox: undefined }),
    showScene: (scene) =>
      set((s) => {
        const layers = { ...s.layers };
        scene.heatmaps.forEach((h) => (layers[h.id] ??= defaultLayer(h)));
        return {
          scenes: { ...s.scenes, [scene.id]: scene },
          panes: [paneFor(scene)],
          activePane: 0,
          layers,
          activeLayer: scene.heatmaps[0]?.id,
          selectedBox: undefined,
          focusedBox: undefined,
        };
      }),
    replaceFrames: (sceneId, frames) =>
      set((s) => {
        const scene = s.scenes[sceneId];
        if (!scene || !scene.frames.some((f) => f.step)) return {};
        // Same metadata and host range, so the default, preset and dragged windows carry over; only
        // "auto" is a statistic of the pixels themselves and is taken again from the full frame.
        const panes = s.panes.map((p) => {
          const f = frames[p.frameIndex];
          return p.sceneId === sceneId && p.preset === 'auto' && f ? { ...p, window: presetWindow('auto', f, statsOf(f)) } : p;
        });
        return { scenes: { ...s.scenes, [sceneId]: { ...scene, frames } }, panes };
      }),
    hiddenOrigins: {},
    toggleOrigin: (origin) => set((s) => ({ hiddenOrigins: { ...s.hiddenOrigins, [origin]: !s.hiddenOrigins[origin] } })),
    setBoxDecision: (sceneId, boxId, decision) =>
      set((s) => {
        const scene = s.scenes[sceneId];
        if (!scene) return {};
        return { scenes: { ...s.scenes, [sceneId]: { ...scene, boxes: scene.boxes.map((b) => (b.id === boxId ? { ...b, decision } : b)) } } };
      }),
    addResults: (sceneId, heatmaps, boxes, origin, replaceMaps) =>
      set((s) => {
        const scene = s.scenes[sceneId];
        if (!scene) return {};
        const ids = new Set(heatmaps.map((h) => h.id));
        const layers = { ...s.layers };
        heatmaps.forEach((h) => (layers[h.id] ??= defaultLayer(h)));
        const next = { ...scene, heatmaps: [...scene.heatmaps.filter((h) => !ids.has(h.id) && !replaceMaps?.(h.id)), ...heatmaps], boxes: [...scene.boxes.filter((b) => !replacedBy(origin)(b)), ...boxes] };
        return { scenes: { ...s.scenes, [sceneId]: next }, layers, activeLayer: heatmaps[0]?.id ?? s.activeLayer };
      }),
    compareWith: (scene) =>
      set((s) => {
        const first = s.panes[0];
        if (!first) return {};
        // Panes halve in width: both fit again (linked, they fit alike).
        if (!scene) return { panes: [{ ...first, viewport: undefined }, { ...first, onlyHeatmap: undefined, viewport: undefined }] };
        const layers = { ...s.layers };
        scene.heatmaps.forEach((h) => (layers[h.id] ??= { ...DEFAULT_LAYER }));
        return { scenes: { ...s.scenes, [scene.id]: scene }, layers, panes: [{ ...first, onlyHeatmap: undefined, viewport: undefined }, paneFor(scene)] };
      }),
    compareLayers: () =>
      set((s) => {
        const first = s.panes[0];
        const scene = first && s.scenes[first.sceneId];
        if (!first || !scene || scene.heatmaps.length < 2) return {};
        const [a, b] = scene.heatmaps;
        const layers = { ...s.layers, [a!.id]: { ...s.layers[a!.id]!, visible: true }, [b!.id]: { ...s.layers[b!.id]!, visible: true } };
        return { layers, panes: [{ ...first, onlyHeatmap: a!.id, viewport: undefined }, { ...first, onlyHeatmap: b!.id, viewport: undefined }] };
      }),
    closeCompare: () => set((s) => ({ panes: s.panes.slice(0, 1).map((p) => ({ ...p, onlyHeatmap: undefined, viewport: undefined })), activePane: 0 })),
    setActivePane: (i) => set({ activePane: i }),
    setWindow: (win, pane) => updatePane(pane ?? get().activePane, (p) => ({ ...p, window: win, preset: 'custom' })),
    applyPreset: (id) =>
      updatePane(get().activePane, (p) => {
        const f = currentFrame(p);
        return f ? { ...p, window: presetWindow(id, f, statsOf(f)), preset: id } : p;
      }),
    toggleInvert: () => updatePane(get().activePane, (p) => ({ ...p, userInvert: !p.userInvert })),
    setViewport: (v, pane, autoFit = false) => {
      const s = get();
      const i = pane ?? s.activePane;
      // Linked panes share one screen transform: the same image point sits under the same cursor.
      set({ panes: s.panes.map((p, k) => (k === i || s.linked ? { ...p, viewport: v, autoFit } : p)) });
    },
    stepFrame: (delta) =>
      updatePane(get().activePane, (p) => {
        const n = get().scenes[p.sceneId]?.frames.length ?? 1;
        const frameIndex = Math.max(0, Math.min(n - 1, p.frameIndex + delta));
        return frameIndex === p.frameIndex ? p : { ...p, frameIndex };
      }),
    resetView: () =>
      set((s) => ({
        fitToken: s.fitToken + 1,
        panes: s.panes.map((p) => {
          const f = s.scenes[p.sceneId]?.frames[p.frameIndex];
          return f ? { ...p, window: defaultWindow(f, statsOf(f)), userInvert: false, preset: 'default', viewport: undefined } : p;
        }),
      })),
    setLayer: (id, patch) => set((s) => ({ layers: { ...s.layers, [id]: { ...(s.layers[id] ?? DEFAULT_LAYER), ...patch } } })),
    toggleLayer: (id) => set((s) => ({ layers: { ...s.layers, [id]: { ...(s.layers[id] ?? DEFAULT_LAYER), visible: !(s.layers[id]?.visible ?? true) } }, activeLayer: id })),
    toggleBoxLayer: (src) => set((s) => ({ boxLayers: { ...s.boxLayers, [src]: !s.boxLayers[src] } })),
    setActiveLayer: (id) => set({ activeLayer: id }),
    cycleColormap: () => {
      const { activeLayer, layers } = get();
      if (!activeLayer) return;
      const cur = layers[activeLayer] ?? DEFAULT_LAYER;
      get().setLayer(activeLayer, { colormap: COLORMAPS[(COLORMAPS.indexOf(cur.colormap) + 1) % COLORMAPS.length]! });
    },
    setTool: (tool) => set({ tool }),
    selectBox: (selectedBox) => set({ selectedBox }),
    focusBox: (focusedBox) => set({ focusedBox }),
    setLinked: (linked) => set({ linked }),
  };
});
