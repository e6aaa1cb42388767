/**
 * A run's own choice of explanation layers (`inspector inspect --cam-layer L --cam-fuse A,B`),
 * applied to a loaded pack as a copy with its `explanation.target` / `explanation.layers`
 * replaced — the pack file, its hashes and what the history records as the pack stay the same;
 * the result records the layers the map was made of. A name that is not one of the graph's
 * candidate layers (./head.ts `layerCandidates`) is refused with EXPLAIN_LAYER_UNKNOWN before any
 * image runs, listing the candidates.
 */
import { InspectorError } from '../../shared/errors';
import type { LoadedPack } from '../packs/load';
import { layerCandidates, planHead } from './head';

export interface CamLayerChoice {
  /** The target layer (any candidate 4-D activation). */
  layer?: string;
  /** Layers fused with it (multi-layer map); may include the target. */
  fuse?: string[];
}

/** The pack's explanation (method, target, fused layers) and the candidate layers, for a UI selector. */
export function explainLayers(pack: LoadedPack): { method: string; target: string; layers: string[]; candidates: string[] } | null {
  if (pack.manifest.kind !== 'classifier') return null;
  const out = pack.manifest.outputs.find((o) => o.meaning === 'logits' || o.meaning === 'probabilities');
  if (!out) return null;
  const e = pack.manifest.explanation;
  const plan = planHead(pack.graph, out.name, e?.target, e?.layers);
  return { method: e?.method ?? 'gradcam', target: plan.target, layers: plan.layers, candidates: layerCandidates(pack.graph, out.name) };
}

export function withCamLayers(pack: LoadedPack, choice: CamLayerChoice | undefined): LoadedPack {
  if (!choice || (!choice.layer && !choice.fuse?.length) || pack.manifest.kind !== 'classifier') return pack;
  const out = pack.manifest.outputs.find((o) => o.meaning === 'logits' || o.meaning === 'probabilities');
  const candidates = out ? layerCandidates(pack.graph, out.name) : [];
  const asked = [...(choice.layer ? [choice.layer] : []), ...(choice.fuse ?? [])];
  const unknown = asked.filter((l) => !candidates.includes(l));
  if (unknown.length) {
    throw new InspectorError('EXPLAIN_LAYER_UNKNOWN', `${unknown.join(', ')} ${unknown.length > 1 ? 'are not layers' : 'is not a layer'} of ${pack.manifest.name} a map can be made of; candidates: ${candidates.join(', ')}.`, {
      pack: pack.manifest.name,
      unknown,
      candidates,
    });
  }
  const target = choice.layer ?? choice.fuse![0]!;
  const layers = [...new Set(choice.fuse ?? [])].filter((l) => l !== target);
  const explanation = { ...pack.manifest.explanation!, target, targetReason: `this run: --cam-layer${layers.length ? ' / --cam-fuse' : ''}` };
  if (layers.length) explanation.layers = layers;
  else delete explanation.layers;
  return { ...pack, manifest: { ...pack.manifest, explanation } };
}
