/** Loaded cases by id, shared by the queue (current case) and compare (a second case beside it). */
import { call } from '../api';
import { useAppStore } from '../state/appStore';
import { useViewerStore } from '../state/viewerStore';
import type { Scene } from '../viewer/types';
import { loadCase } from './loadCase';
import type { CaseRef, LoadedCase } from './types';

const cache = new Map<string, Promise<LoadedCase>>();

export async function mediaBase(): Promise<string> {
  const info = useAppStore.getState().info ?? (await call('app.info', {}));
  return info.mediaBase;
}

/** Loads once per case id; a failed load is forgotten so the next selection retries. */
export function loadCached(ref: CaseRef): Promise<LoadedCase> {
  let p = cache.get(ref.id);
  if (!p) {
    p = mediaBase().then((base) => loadCase(ref, base));
    cache.set(ref.id, p);
    p.catch(() => cache.delete(ref.id));
  }
  return p;
}

/** The scene as last shown (with inspection results added since), else as loaded. */
export async function sceneOf(ref: CaseRef): Promise<Scene> {
  return useViewerStore.getState().scenes[ref.id] ?? (await loadCached(ref)).scene;
}

/** Side by side with another case of the queue (e.g. the CT and the photo of the same part). */
export async function compareWithCase(ref: CaseRef): Promise<void> {
  useViewerStore.getState().compareWith(await sceneOf(ref));
}
