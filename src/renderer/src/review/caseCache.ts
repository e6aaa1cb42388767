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

/**
 * Loads once per case id; a failed load is forgotten so the next selection retries. Once a
 * preview's full frames are here, the cache holds the full case.
 */
export function loadCached(ref: CaseRef): Promise<LoadedCase> {
  let p = cache.get(ref.id);
  if (!p) {
    const loading = mediaBase().then((base) => loadCase(ref, base));
    p = loading;
    cache.set(ref.id, p);
    loading.then(
      (lc) =>
        lc.full?.then(
          (full) => cache.get(ref.id) === loading && cache.set(ref.id, Promise.resolve(full)),
          () => cache.get(ref.id) === loading && cache.delete(ref.id),
        ),
      () => cache.delete(ref.id),
    );
  }
  return p;
}

/** Drops a case's loaded copy (its record changed, e.g. inspection results added): the next selection loads it again. */
export function forgetCase(id: string): void {
  cache.delete(id);
}

/** The case at full resolution (previews are for a first paint, not for comparing). */
async function loadFull(ref: CaseRef): Promise<LoadedCase> {
  const lc = await loadCached(ref);
  return lc.full ? await lc.full : lc;
}

/** The scene as last shown (with inspection results added since), else as loaded. */
export async function sceneOf(ref: CaseRef): Promise<Scene> {
  const shown = useViewerStore.getState().scenes[ref.id];
  if (shown && !shown.frames.some((f) => f.step)) return shown;
  const full = await loadFull(ref);
  // A preview scene shown meanwhile has had its frames replaced, results kept.
  return useViewerStore.getState().scenes[ref.id] ?? full.scene;
}

/** Side by side with another case of the queue (e.g. the CT and the photo of the same part). */
export async function compareWithCase(ref: CaseRef): Promise<void> {
  useViewerStore.getState().compareWith(await sceneOf(ref));
}
