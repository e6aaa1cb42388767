/**
 * A narrow entry point for the E2E tests and the render benchmark (installed only when the page was
 * started by them, see App.tsx): hand the app a case queue
 * whose pixels the host already published. It goes through the same loading path (media fetch,
 * stores, konva) as cases opened from the UI; it can only show media the host chose to publish.
 */
import Konva from 'konva';
import { useReviewStore } from './state/reviewStore';
import { useViewerStore } from './state/viewerStore';
import type { CaseRef } from './review/types';
import { frameIntervals, stepSplit, workPerUpdate, type DragKind } from './benchHook';

export interface InspectorHook {
  /** Resolves when the current case is on screen at full resolution, or (`first-paint`) at its first paint, which may be a preview. */
  openCases(cases: CaseRef[], opts?: { until?: 'full' | 'first-paint' }): Promise<void>;
  /** Resolves when the current case's scene is on screen at full resolution. */
  ready(): Promise<void>;
  state(): { review: unknown; viewer: unknown };
  setWindow(center: number, width: number): void;
  setViewport(vp: { scale: number; x: number; y: number }, pane?: number): void;
  /** Region captions as drawn on the canvas: text, colour, size and their box in stage (pane) pixels. */
  boxCaptions(pane?: number): { text: string; fill: string; fontSize: number; x: number; y: number; width: number; height: number }[];
  bench: { workPerUpdate(kind: DragKind, n: number): Promise<number[]>; frameIntervals(kind: DragKind, n: number): Promise<number[]>; split: typeof stepSplit };
}

export function installHook(ready: () => Promise<void>, firstPaint: () => Promise<void>) {
  const hook: InspectorHook = {
    async openCases(cases, opts) {
      useReviewStore.getState().setCases(cases, 0);
      await (opts?.until === 'first-paint' ? firstPaint() : ready());
    },
    ready,
    state: () => {
      const r = useReviewStore.getState();
      const v = useViewerStore.getState();
      return {
        review: { current: r.current, cases: r.cases.map((c) => ({ id: c.id, status: c.status })), drafts: r.drafts, reviewer: r.reviewer },
        viewer: { panes: v.panes, layers: v.layers, boxLayers: v.boxLayers, tool: v.tool, activeLayer: v.activeLayer, selectedBox: v.selectedBox },
      };
    },
    setWindow: (center, width) => useViewerStore.getState().setWindow({ center, width }),
    setViewport: (vp, pane = 0) => useViewerStore.getState().setViewport(vp, pane),
    boxCaptions: (pane = 0) => {
      const host = document.querySelector(`[data-testid="viewer-pane-${pane}"]`);
      const stage = Konva.stages.find((s) => host?.contains(s.container()));
      if (!stage) return [];
      stage.draw();
      return stage.find('.box-caption').map((n) => {
        const text = (n as Konva.Label).getText();
        const r = n.getClientRect();
        return { text: text.text(), fill: String(text.fill()), fontSize: text.fontSize(), x: r.x, y: r.y, width: r.width, height: r.height };
      });
    },
    bench: { workPerUpdate, frameIntervals, split: stepSplit },
  };
  Object.defineProperty(globalThis, '__inspector', { value: Object.freeze(hook), configurable: false });
}
