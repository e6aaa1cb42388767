/**
 * `inspector pack create --hf DIR --kind grounding`: wraps a Grounding DINO ONNX export folder in
 * a pack — the public layout copied as is (so the pack folder is itself a valid export folder for
 * transformers.js), the chosen dtype variant only, pack.yaml with the prompt and thresholds, the
 * contract (HF or IDEA-Research) detected from the graph, every file hashed. Loaded back before
 * returning, so what this writes is valid.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InspectorError } from '../../shared/errors';
import { parseModel } from '../engine/onnx/model';
import { writeManifest } from '../packs/create';
import { loadPack, sha256, type LoadedPack } from '../packs/load';
import { PACK_FORMAT, type ManifestInput } from '../packs/manifest';
import { DTYPES, LAYOUT_FILES, detectVariant, modelFile, readGroundingFolder, type GroundingDtype } from './folder';
import { PromptEncoder, captionOf, parsePrompt } from './text';

export interface GroundingCreateOptions {
  hf: string;
  out: string;
  prompt: string;
  boxThreshold?: number;
  textThreshold?: number;
  nmsIou?: number;
  dtype?: GroundingDtype;
  name?: string;
  /** Earlier names the pack keeps answering to (manifest `aliases`). */
  aliases?: string[];
  version?: string;
  side?: 'internal' | 'external';
  provenance?: Record<string, string>;
  /** Extra files of the source folder to carry (e.g. MODEL_CARD.md). */
  extraFiles?: string[];
}

export function isDtype(v: string): v is GroundingDtype {
  return (DTYPES as string[]).includes(v);
}

export function createGroundingPack(o: GroundingCreateOptions): LoadedPack {
  const folder = readGroundingFolder(o.hf, o.dtype);
  const dtype = o.dtype ?? (folder.variants.includes('fp32') ? 'fp32' : folder.variants[0]!);
  const phrases = parsePrompt(o.prompt);
  new PromptEncoder(folder.tokenizerJson, folder.tokenizerConfig, folder.maxTextLen).encode(phrases);
  for (const [k, v] of [['box', o.boxThreshold], ['text', o.textThreshold], ['nms', o.nmsIou]] as const) {
    if (v !== undefined && !(v >= 0 && v <= 1)) throw new InspectorError('USAGE', `--${k}-threshold must be in [0, 1], not ${v}`);
  }
  const model = modelFile(dtype);
  const graph = parseModel(new Uint8Array(readFileSync(join(o.hf, model))));
  const io = detectVariant(
    graph.inputs.map((i) => i.name),
    graph.outputs.map((x) => x.name),
  );
  const rels: string[] = [...LAYOUT_FILES, model];
  // Large exports keep weights in an external-data file beside the graph.
  for (const ext of ['_data', '.data']) if (existsSync(join(o.hf, model + ext))) rels.push(model + ext);
  for (const f of o.extraFiles ?? []) rels.push(f);
  if (resolve(o.hf) === resolve(o.out)) throw new InspectorError('USAGE', '--out must differ from --hf');
  const files: Record<string, string> = {};
  for (const rel of rels) {
    const dst = join(o.out, rel);
    mkdirSync(dirname(dst), { recursive: true });
    copyFileSync(join(o.hf, rel), dst);
    files[rel] = sha256(readFileSync(dst));
  }
  const p = folder.preprocessor;
  const size: [number, number] = 'height' in p.size ? [p.size.height, p.size.width] : [p.size.shortestEdge, p.size.longestEdge ?? p.size.shortestEdge];
  const name = (o.name ?? basename(resolve(o.hf))).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'grounding';
  const manifest: ManifestInput = {
    format: PACK_FORMAT,
    name,
    ...(o.aliases?.length ? { aliases: o.aliases } : {}),
    version: o.version ?? '0.1.0',
    kind: 'grounding',
    ...(o.side ? { side: o.side } : {}),
    model,
    input: { name: io.image, size, layout: 'NCHW', channels: 3, colour: 'rgb', range: [0, 1], mean: [...p.mean], std: [...p.std], resize: 'stretch' },
    outputs: [
      { name: io.logits, meaning: 'logits' },
      { name: io.boxes, meaning: 'boxes' },
    ],
    grounding: {
      prompt: captionOf(phrases),
      boxThreshold: o.boxThreshold ?? 0.35,
      textThreshold: o.textThreshold ?? 0.25,
      ...(o.nmsIou !== undefined ? { nmsIou: o.nmsIou } : {}),
      dtype,
      variant: io.variant,
    },
    provenance: { createdBy: 'inspector pack create', createdAt: new Date().toISOString(), source: basename(resolve(o.hf)), ...o.provenance },
    files,
  };
  mkdirSync(o.out, { recursive: true });
  writeManifest(o.out, manifest);
  return loadPack(o.out);
}
