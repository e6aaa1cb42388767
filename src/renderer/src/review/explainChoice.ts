/**
 * The explanation selector on a case (issue #15): the method and target layer(s) the case's map was
 * made with, the pack's candidate layers, and a reviewer's re-run with another method, layer or
 * fusion — through `inspect.run` (zod-validated, the engine refuses a layer that is not a candidate)
 * and recorded in the history like any run.
 */
import { create } from 'zustand';
import { useAppStore } from '../state/appStore';
import { toErrorInfo } from '../../../shared/errors';
import type { CaseRef } from './types';
import { applyResults, runOnCase } from './inspect';

export interface ExplainInfo {
  pack: string;
  method: string;
  target: string;
  /** Every layer of the map, target first (one for a single-layer map). */
  layers: string[];
  candidates: string[];
  fallbackReason?: string;
}

interface ExplainState {
  info: Record<string, ExplainInfo>;
  busy: Record<string, boolean>;
  setInfo(caseId: string, info: ExplainInfo): void;
}

export const useExplainStore = create<ExplainState>((set) => ({
  info: {},
  busy: {},
  setInfo: (caseId, info) => set((s) => ({ info: { ...s.info, [caseId]: info } })),
}));

/** A short name for a graph tensor: `/features/features.2/act/Relu_output_0` → `features.2/act`. */
/**
 * A short, still unique name for a graph tensor: module path segments that only repeat the next
 * one's prefix are dropped and the operator kept — `/features/features.3/a/a.2/Relu_output_0` →
 * `features.3/a.2 · Relu`, `/features/features.2/act/Relu_output_0` → `features.2/act · Relu`.
 */
export function layerLabel(name: string): string {
  const parts = name.split('/').filter(Boolean);
  if (parts.length < 2) return name;
  const op = parts[parts.length - 1]!.replace(/_output_\d+$/, '');
  const path = parts.slice(0, -1).filter((p, i, all) => !(all[i + 1]?.startsWith(`${p}.`)));
  return `${path.join('/')} · ${op}`;
}

export async function rerunExplanation(c: CaseRef, choice: { method: string; layer: string; fuse: string[] }): Promise<void> {
  const info = useExplainStore.getState().info[c.id];
  if (!info) return;
  useExplainStore.setState((s) => ({ busy: { ...s.busy, [c.id]: true } }));
  try {
    const fuse = choice.fuse.filter((l) => l !== choice.layer);
    const res = await runOnCase(c, info.pack, { method: choice.method, camLayers: { layer: choice.layer, ...(fuse.length ? { fuse: [choice.layer, ...fuse] } : {}) } });
    if (res) await applyResults(c, res, { replaceExplanation: true });
  } catch (e) {
    useAppStore.getState().setError(toErrorInfo(e));
  } finally {
    useExplainStore.setState((s) => ({ busy: { ...s.busy, [c.id]: false } }));
  }
}
