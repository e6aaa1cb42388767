/**
 * Frame-time probes for scripts/bench/render.ts. Each step applies one W/L or pan update the way a
 * mouse move does, forces React's commit and konva's draws synchronously, and times that work; a
 * second probe records rAF-to-rAF intervals while one update is applied per frame (paint included).
 */
import Konva from 'konva';
import { flushSync } from 'react-dom';
import { statsOf, useViewerStore } from './state/viewerStore';
import { dragWindow } from './viewer/voi';
import { panBy } from './viewer/viewport';

export type DragKind = 'wl' | 'pan';

/** Per-layer split of the last `step`s: image = React commit + windowing + its layer draw; overlay = heatmaps and boxes. */
export const stepSplit: { image: number[]; overlay: number[] } = { image: [], overlay: [] };

function step(kind: DragKind, i: number) {
  const v = useViewerStore.getState();
  const pane = v.panes[0]!;
  const frame = v.scenes[pane.sceneId]!.frames[pane.frameIndex]!;
  const dx = i % 2 ? 3 : -2;
  const t0 = performance.now();
  flushSync(() => {
    if (kind === 'wl') v.setWindow(dragWindow(pane.window, dx, dx, statsOf(frame)), 0);
    else v.setViewport(panBy(pane.viewport!, dx, dx), 0);
  });
  const t1 = performance.now();
  stepSplit.image.push(t1 - t0);
  // The image layer drew in its layout effect; pan also moves the overlay (heatmaps and boxes).
  if (kind !== 'pan') return;
  for (const s of Konva.stages) s.getLayers().filter((l) => l.name() === 'overlay-layer').forEach((l) => l.draw());
  stepSplit.overlay.push(performance.now() - t1);
}

const nextFrame = () => new Promise<number>((r) => requestAnimationFrame(r));

function resetSplit() {
  stepSplit.image.length = 0;
  stepSplit.overlay.length = 0;
}

export async function workPerUpdate(kind: DragKind, n: number): Promise<number[]> {
  const out: number[] = [];
  resetSplit();
  if (kind === 'pan') flushSync(() => useViewerStore.getState().setInteracting(true));
  for (let i = 0; i < n; i++) {
    await nextFrame();
    const t0 = performance.now();
    step(kind, i);
    out.push(performance.now() - t0);
  }
  useViewerStore.getState().setInteracting(false);
  return out;
}

export async function frameIntervals(kind: DragKind, n: number): Promise<number[]> {
  const out: number[] = [];
  resetSplit();
  // As a mouse pan does: hit-testing paused for the gesture.
  if (kind === 'pan') flushSync(() => useViewerStore.getState().setInteracting(true));
  let last = await nextFrame();
  for (let i = 0; i < n; i++) {
    step(kind, i);
    const t = await nextFrame();
    out.push(t - last);
    last = t;
  }
  useViewerStore.getState().setInteracting(false);
  return out;
}
