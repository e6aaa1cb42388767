/**
 * Fetches a published mask and places it like a heatmap: the engine stretches the image to the
 * model input, so the mask grid covers the whole frame (`inputCoverRect`, the heatmaps' mapping).
 * Used by a live run and by a run reopened from History (the mask recorded with the run).
 */
import { call } from '../api';
import { useAppStore } from '../state/appStore';
import { inputCoverRect } from '../viewer/heatmap';
import { fetchTyped } from '../viewer/media';
import { useMaskStore } from './maskStore';
import type { MaskRef } from './types';

export async function addMask(sceneId: string, ref: MaskRef, frame: { width: number; height: number } | undefined): Promise<void> {
  const base = useAppStore.getState().info?.mediaBase ?? (await call('app.info', {})).mediaBase;
  const values = (await fetchTyped(base, ref.mediaId, 'uint8')) as Uint8Array;
  const covers = frame ? inputCoverRect({ kind: 'stretch', inputWidth: ref.width, inputHeight: ref.height }, frame.width, frame.height) : { x: 0, y: 0, width: ref.width, height: ref.height };
  const { mediaId: _m, ...rest } = ref;
  useMaskStore.getState().addMask(sceneId, { ...rest, values, covers });
}
