/** CaseRef (ids + metadata from the host) → Scene with typed arrays, fetched from the media store. */
import { fetchTyped } from '../viewer/media';
import { inputCoverRect, perImageScale } from '../viewer/heatmap';
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
  };
}

export async function loadCase(ref: CaseRef, mediaBase: string): Promise<LoadedCase> {
  const t0 = performance.now();
  // Maps are fetched while the frames are: they do not depend on each other.
  const mapValues = (ref.heatmaps ?? []).map((h) => fetchTyped(mediaBase, h.mediaId, 'float32') as Promise<Float32Array>);
  const refs = await framesOf(ref);
  const frames: FrameData[] = await Promise.all(refs.map(async (f) => frameDataOf(f, await fetchTyped(mediaBase, f.mediaId, f.dtype))));
  performance.measure('inspector:fetch-frames', { start: t0, end: performance.now() });
  const first = frames[0];
  const heatmaps: HeatmapData[] = await Promise.all((ref.heatmaps ?? []).map(async (h, i) => toHeatmap(h, await mapValues[i]!, first)));
  return {
    scene: { id: ref.id, title: ref.title, frames, heatmaps, boxes: ref.boxes ?? [] },
    ...(ref.findings ? { findings: ref.findings } : {}),
  };
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
    width: h.width,
    height: h.height,
    values,
    covers,
    scale: h.scale ?? perImageScale(values),
  };
}
