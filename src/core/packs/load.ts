/**
 * Loads and validates one pack: manifest schema, every listed file present with its SHA-256, the
 * ONNX graph accepting the declared input and producing the declared outputs. Each failure has its
 * own error code so the UI and CLI can say exactly what is wrong with a pack.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { MANIFEST_MAX_BYTES, parseYamlBounded, readTextFileSync } from '../files/yaml';
import { InspectorError } from '../../shared/errors';
import { verifyTiling } from '../engine/tiling';
import { GraphIndex, parseModel, type OnnxGraph } from '../engine/onnx/model';
import { verifyGroundingPack } from '../grounding/folder';
import { MANIFEST_FILE } from './discover';
import { Manifest } from './manifest';

export interface LoadedPack {
  dir: string;
  manifest: Manifest;
  model: Uint8Array;
  graph: OnnxGraph;
  /** SHA-256 of pack.yaml itself: identifies thresholds and settings, not only the weights. */
  manifestSha256: string;
}

export const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

export function readManifest(dir: string): { manifest: Manifest; text: string } {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) throw new InspectorError('PACK_MANIFEST_MISSING', `No ${MANIFEST_FILE} in ${dir}.`, { dir });
  // The manifest is held to the pack like its files: a pack.yaml linked from elsewhere is refused.
  const real = realpathSync(path);
  if (!real.startsWith(realpathSync(dir) + sep)) {
    throw new InspectorError('PACK_FILE_OUTSIDE', `${MANIFEST_FILE} in ${dir} is a link to a file outside the pack folder (${real}); a pack must hold its own files.`, { dir, file: MANIFEST_FILE });
  }
  let text: string;
  try {
    text = readTextFileSync(path, MANIFEST_MAX_BYTES);
  } catch (err) {
    // A FIFO named pack.yaml, an oversized one or an unreadable one: never blocks, always coded.
    throw new InspectorError('PACK_MANIFEST_UNREADABLE', `${MANIFEST_FILE} in ${dir} cannot be read: ${(err as Error).message}`, { dir, cause: (err as { code?: string }).code });
  }
  let doc: unknown;
  try {
    doc = parseYamlBounded(text);
  } catch (err) {
    throw new InspectorError('PACK_MANIFEST_UNREADABLE', `${MANIFEST_FILE} in ${dir} is not valid YAML: ${(err as Error).message}`, { dir });
  }
  const parsed = Manifest.safeParse(doc);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    // A bad tiling section has its own code: the pack is fine except for how it cuts large images.
    // So has a bad label code: the pack is fine except for how its findings are coded in DICOM.
    const all = (test: (path: PropertyKey[]) => boolean) => parsed.error.issues.every((i) => test(i.path));
    const code = all((p) => p[0] === 'tiling')
      ? 'PACK_TILING_INVALID'
      : all((p) => p[0] === 'labels' && (p[2] === 'code' || p[2] === 'category'))
        ? 'PACK_LABEL_CODE_INVALID'
        : 'PACK_MANIFEST_INVALID';
    throw new InspectorError(code, `${MANIFEST_FILE} in ${dir} is invalid: ${issues.join('; ')}`, { dir, issues });
  }
  verifyTiling(parsed.data, dir);
  return { manifest: parsed.data, text };
}

/**
 * A file the manifest names, checked on its real path: `../x` and a link (the file itself or a
 * folder on the way) pointing out of the pack are both refused, so a pack cannot make Inspector
 * read or run a file elsewhere by naming it or by shipping a symlink.
 */
function packFile(dir: string, rel: string): string {
  const root = resolve(dir);
  const full = resolve(root, rel);
  if (!full.startsWith(root + sep)) throw new InspectorError('PACK_MANIFEST_INVALID', `File ${rel} lies outside the pack folder.`, { dir, file: rel });
  if (!existsSync(full)) return full; // reported as PACK_FILE_MISSING by the caller
  const realRoot = realpathSync(root);
  const real = realpathSync(full);
  if (!real.startsWith(realRoot + sep)) {
    throw new InspectorError('PACK_FILE_OUTSIDE', `${rel} in ${dir} is a link to a file outside the pack folder (${real}); a pack must hold its own files.`, { dir, file: rel });
  }
  if (!statSync(real).isFile()) throw new InspectorError('PACK_FILE_NOT_REGULAR', `${rel} in ${dir} is not a regular file.`, { dir, file: rel });
  return real;
}

export function verifyFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, expected] of Object.entries(files)) {
    const full = packFile(dir, rel);
    if (!existsSync(full)) throw new InspectorError('PACK_FILE_MISSING', `The pack ${dir} lists ${rel}, which is missing.`, { dir, file: rel });
    const actual = sha256(readFileSync(full));
    if (actual !== expected) {
      throw new InspectorError('PACK_HASH_MISMATCH', `${rel} in ${dir} does not match its SHA-256 in ${MANIFEST_FILE} (file changed or corrupted).`, {
        dir,
        file: rel,
        expected,
        actual,
      });
    }
  }
}

/** The graph must take the declared input at the declared size and produce every declared output. */
export function verifyGraph(manifest: Manifest, graph: OnnxGraph, dir: string): void {
  const input = graph.inputs.find((i) => i.name === manifest.input.name);
  if (!input) {
    throw new InspectorError('PACK_UNKNOWN_INPUT', `The model has no input "${manifest.input.name}" (it has ${graph.inputs.map((i) => i.name).join(', ')}).`, { dir });
  }
  if (input.shape) {
    const [h, w] = manifest.input.size;
    const c = manifest.input.channels;
    const want = manifest.input.layout === 'NCHW' ? [-1, c, h, w] : [-1, h, w, c];
    const ok = input.shape.length === 4 && input.shape.every((d, i) => i === 0 || d === -1 || d === want[i]);
    if (!ok) {
      throw new InspectorError(
        'PACK_INPUT_SHAPE',
        `The model's input "${input.name}" has shape [${input.shape.map((d) => (d < 0 ? '?' : d)).join(', ')}], which does not accept [N, ${want.slice(1).join(', ')}] (${manifest.input.layout}) from ${MANIFEST_FILE}.`,
        { dir, graphShape: input.shape, declared: want },
      );
    }
  }
  const names = new Set(graph.outputs.map((o) => o.name));
  for (const o of manifest.outputs) {
    if (!names.has(o.name)) {
      throw new InspectorError('PACK_UNKNOWN_OUTPUT', `The model has no output "${o.name}" (it has ${[...names].join(', ')}).`, { dir, output: o.name });
    }
  }
  // The target and every fused layer (explanation.layers) must be tensors of the graph.
  const index = new GraphIndex(graph);
  for (const target of [manifest.explanation?.target, ...(manifest.explanation?.layers ?? [])]) {
    if (target && !index.producer.has(target) && !graph.inputs.some((i) => i.name === target)) {
      throw new InspectorError('PACK_UNKNOWN_TARGET', `The explanation target "${target}" is not a tensor of the model.`, { dir, target });
    }
  }
}

/** Label ids name classes in records and reviews: two classes with one id would be told apart by nothing. */
export function verifyLabels(manifest: Manifest, dir: string): void {
  const seen = new Set<string>();
  for (const l of manifest.labels) {
    if (seen.has(l.id)) throw new InspectorError('PACK_LABELS_DUPLICATE', `The label id "${l.id}" appears twice in ${MANIFEST_FILE} of ${dir}.`, { dir, label: l.id });
    seen.add(l.id);
  }
}

/**
 * A classifier's class output must have one value per label: 1 logit under softmax is "100 %" of
 * its only class whatever the image, and a third logit with two labels is a phantom class. The
 * graph's static shape is checked here (pack check and every load); a dynamic class dimension is
 * checked on each run by the engine (`scoreClasses`).
 */
export function verifyHead(manifest: Manifest, graph: OnnxGraph, dir: string): void {
  if (manifest.kind !== 'classifier') return;
  const out = manifest.outputs.find((o) => o.meaning === 'logits' || o.meaning === 'probabilities');
  const shape = out ? graph.outputs.find((o) => o.name === out.name)?.shape : undefined;
  const labels = manifest.labels.length;
  const activation = manifest.decision?.activation ?? 'softmax';
  if (out?.meaning === 'logits' && activation === 'softmax' && labels < 2) {
    throw new InspectorError('PACK_HEAD_MISMATCH', `A softmax head over ${labels} label is always 100 %; give two or more labels, or decision.activation: sigmoid for a one-logit defect score.`, { dir, labels, activation });
  }
  if (!shape || shape.length < 2) return;
  const classes = shape[shape.length - 1]!;
  if (classes < 0) return;
  if (classes !== labels) {
    const hint = classes === 1 && activation === 'softmax' ? ' A single logit needs decision.activation: sigmoid and one label.' : '';
    throw new InspectorError(
      'PACK_LABELS_MISMATCH',
      `The model's output "${out!.name}" has ${classes} class value(s) but ${MANIFEST_FILE} lists ${labels} label(s).${hint}`,
      { dir, output: out!.name, classes, labels, activation },
    );
  }
}

export function loadPack(dir: string): LoadedPack {
  const { manifest, text } = readManifest(dir);
  verifyLabels(manifest, dir);
  verifyFiles(dir, manifest.files);
  if (manifest.kind === 'grounding') verifyGroundingPack(dir, manifest.files, manifest.grounding?.dtype);
  const model = new Uint8Array(readFileSync(packFile(dir, manifest.model)));
  const graph = parseModel(model);
  verifyGraph(manifest, graph, dir);
  verifyHead(manifest, graph, dir);
  return { dir: resolve(dir), manifest, model, graph, manifestSha256: sha256(text) };
}
