/** CaseRef (ids + metadata from the host) → Scene with typed arrays, fetched from the media store. */
import { emptyOf, fetchTyped } from '../viewer/media';
import { inputCoverRect, perImageScale } from '../viewer/heatmap';
import { heatmapCanvas } from '../viewer/heatmapCanvas';
import { prepareGreyLut, warmRenderFrame } from '../viewer/render';
import { defaultWindow, frameStats } from '../viewer/voi';
import { defaultLayer, useViewerStore } from '../state/viewerStore';
import type { FrameData, HeatmapData, LookupTable, PixelArray } from '../viewer/types';
import { framesOf } from './sources';
import type { CaseRef, FrameRef, HeatmapRef, LoadedCase } from './types';

/** JSON arrays become typed arrays once, so a window change looks them up at typed-array speed. */
function table(t: LookupTable): LookupTable {
  return { firstMapped: t.firstMapped, bits: t.bits, data: Float64Array.from(t.data), ...(t.explanation ? { explanation: t.explanation } : {}) };
}

/** A published frame's metadata + its fetched pixels → the viewer's frame record. */
export function frameDataOf(f: FrameRef, data: PixelArray): FrameData {
  return {
    width: f.width,
    height: f.height,
    channels: f.channels,
    dtype: f.dtype,
    data,
    slope: f.slope ?? 1,
    intercept: f.intercept ?? 0,
    invert: f.invert ?? false,
    windows: f.windows ?? [],
    ...(f.modalityLut ? { modalityLut: table(f.modalityLut) } : {}),
    ...(f.voiLut ? { voiLut: { ...table(f.voiLut), default: f.voiLut.default } } : {}),
    ...(f.padding ? { padding: f.padding } : {}),
    ...(f.unit ? { unit: f.unit } : {}),
    ...(f.min !== undefined && f.max !== undefined ? { range: { min: f.min, max: f.max } } : {}),
    ...(f.pixelSpacing ? { pixelSpacing: f.pixelSpacing } : {}),
    ...(f.position ? { position: f.position } : {}),
    ...(f.orientation ? { orientation: f.orientation } : {}),
    ...(f.header ? { header: f.header } : {}),
    ...(f.source ? { source: f.source } : {}),
  };
}

/**
 * Fetches a case's pixels. A frame with a preview is painted from it first: the case resolves as
 * soon as the preview is here, with `full` bringing the full-resolution frames. Heatmaps arrive
 * while the frame bytes do, so their layers are painted meanwhile, off the first paint's path.
 */
export async function loadCase(ref: CaseRef, mediaBase: string): Promise<LoadedCase> {
  const t0 = performance.now();
  // Maps are fetched while the frames are: they do not depend on each other.
  const mapValues = (ref.heatmaps ?? []).map((h) => fetchTyped(mediaBase, h.mediaId, 'float32') as Promise<Float32Array>);
  const refs = await framesOf(ref);
  const first = refs[0];
  // Only with the host's range: then window, presets and drag sensitivity do not depend on the pixels.
  const preview = first?.preview && first.min !== undefined && first.max !== undefined ? first.preview : undefined;
  const previewBytes = preview && fetchTyped(mediaBase, preview.mediaId, first!.dtype);
  // The first frame's record before its pixels: preview and full frame share its tables, and its
  // grey table for the default window is built while the bytes are on their way.
  const shell = first && frameDataOf(first, emptyOf(first.dtype));
  if (shell?.range) {
    const win = defaultWindow(shell, frameStats(shell));
    prepareGreyLut(shell, win, shell.invert);
    warmRenderFrame(shell, win, shell.invert);
  }
  const dataOf = async (f: FrameRef, i: number): Promise<FrameData> => {
    const data = await fetchTyped(mediaBase, f.mediaId, f.dtype);
    return i === 0 && shell ? { ...shell, data } : frameDataOf(f, data);
  };
  const fetchFrames = () => Promise.all(refs.map(dataOf));
  const fullFrames = previewBytes && !FULL_AFTER_PREVIEW ? fetchFrames() : undefined;
  fullFrames?.catch(() => undefined);
  const heatmaps = Promise.all((ref.heatmaps ?? []).map(async (h, i) => prepaint(toHeatmap(h, await mapValues[i]!, first))));
  heatmaps.catch(() => undefined);
  const findings = ref.findings ? { findings: ref.findings } : {};
  if (previewBytes) {
    const data = await previewBytes;
    performance.measure('inspector:fetch-preview', { start: t0, end: performance.now() });
    const scene = { id: ref.id, title: ref.title, frames: [{ ...shell!, data, step: preview!.step }], heatmaps: await heatmaps, boxes: ref.boxes ?? [] };
    const full = (fullFrames ?? fetchFrames()).then((frames) => {
      performance.measure('inspector:fetch-frames', { start: t0, end: performance.now() });
      return { scene: { ...scene, frames }, ...findings };
    });
    return { scene, ...findings, full };
  }
  const frames: FrameData[] = await fetchFrames();
  performance.measure('inspector:fetch-frames', { start: t0, end: performance.now() });
  return { scene: { id: ref.id, title: ref.title, frames, heatmaps: await heatmaps, boxes: ref.boxes ?? [] }, ...findings };
}

/**
 * The full frame is requested once the preview arrived: asking for both at once made the first
 * paint 30–50 ms later on the 2-core box for a full frame ~20 ms sooner (docs/VIEWER.md).
 */
const FULL_AFTER_PREVIEW = true;

/** Paints a map's layer with the settings it will be shown with, so showing the case does not. */
function prepaint(h: HeatmapData): HeatmapData {
  const settings = useViewerStore.getState().layers[h.id] ?? defaultLayer(h);
  if (settings.visible) heatmapCanvas(h, settings);
  return h;
}

/** A published map + its placement on the frame it explains. */
export function toHeatmap(h: HeatmapRef, values: Float32Array, frame: { width: number; height: number } | undefined): HeatmapData {
  const covers = h.covers ?? (h.mapping && frame ? inputCoverRect(h.mapping, frame.width, frame.height) : { x: 0, y: 0, width: frame?.width ?? h.width, height: frame?.height ?? h.height });
  return {
    id: h.id,
    kind: h.kind,
    method: h.method,
    source: h.source,
    ...(h.className ? { className: h.className } : {}),
    ...(h.trust ? { trust: h.trust } : {}),
    width: h.width,
    height: h.height,
    values,
    covers,
    scale: h.scale ?? perImageScale(values),
  };
}
