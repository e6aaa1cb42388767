/**
 * `inspector pack create`: turns a plain ONNX export into a valid pack — reads the input geometry
 * and outputs from the graph, detects the Grad-CAM target (the last 4-D activation feeding global
 * pooling), detects anomalib v1/v2 exports, derives thresholds and display scales from normal
 * images when given, hashes every file and writes pack.yaml. The result is loaded back with
 * loadPack before returning, so a pack this writes is always valid.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { InspectorError } from '../../shared/errors';
import { Engine } from '../engine/engine';
import { GraphIndex, parseModel, type OnnxGraph } from '../engine/onnx/model';
import { listImages } from './calibrate';
import { planHead } from '../explain/head';
import { MANIFEST_FILE } from './discover';
import { loadPack, sha256, type LoadedPack } from './load';
import { Manifest, PACK_FORMAT, type ManifestInput, type ResidualSpec } from './manifest';

export interface CreateOptions {
  onnx: string;
  kind: 'classifier' | 'anomaly';
  out: string;
  name?: string;
  version?: string;
  labels?: string[];
  /** Labels that mean "good part"; default: ok, normal, good, pass, negative when present. */
  normalLabels?: string[];
  inputSize?: [number, number];
  mean?: number[];
  std?: number[];
  colour?: 'rgb' | 'bgr' | 'gray';
  range?: [number, number];
  target?: string;
  side?: 'internal' | 'external';
  /** anomalib v1 metadata.json; default: the one beside the ONNX file when present. */
  metadata?: string;
  sigma?: number;
  /** Autoencoder: how input and reconstruction are compared (absent: squared error over RGB). */
  residual?: ResidualSpec;
  provenance?: Record<string, string>;
  /** Hook for calibration (display scale, anomaly thresholds), run on the written pack. */
  calibrate?: (pack: LoadedPack) => Promise<Partial<ManifestInput> | undefined>;
  /** Folder of validation images whose defect scores become the drift baseline. */
  reference?: string;
  /** Which class Grad-CAM explains (manifest `explanation.targetClass`). */
  camClass?: 'predicted' | 'defect';
}

const NORMAL_NAMES = ['ok', 'normal', 'good', 'pass', 'negative', 'no_defect', 'nodefect'];

function inferInput(graph: OnnxGraph, opts: CreateOptions) {
  const input = graph.inputs[0];
  if (!input) throw new InspectorError('PACK_CREATE_NO_INPUT', 'The ONNX model has no input.');
  const shape = input.shape ?? [];
  if (shape.length !== 4) {
    throw new InspectorError('PACK_INPUT_SHAPE', `Input "${input.name}" has rank ${shape.length}; image models take [N, C, H, W] or [N, H, W, C].`);
  }
  const nchw = shape[1] === 1 || shape[1] === 3 || (shape[3] !== 1 && shape[3] !== 3);
  const channels = (nchw ? shape[1] : shape[3]) ?? 3;
  const h = (nchw ? shape[2] : shape[1]) ?? -1;
  const w = (nchw ? shape[3] : shape[2]) ?? -1;
  const size = opts.inputSize ?? (h > 0 && w > 0 ? ([h, w] as [number, number]) : undefined);
  if (!size) throw new InspectorError('PACK_INPUT_SHAPE', `Input "${input.name}" has a dynamic size; give --input-size.`);
  if ((h > 0 && h !== size[0]) || (w > 0 && w !== size[1])) {
    throw new InspectorError('PACK_INPUT_SHAPE', `Input "${input.name}" is fixed at ${h}×${w}; --input-size ${size.join('×')} does not fit.`);
  }
  const c = channels === 1 ? 1 : 3;
  return {
    name: input.name,
    size,
    layout: nchw ? ('NCHW' as const) : ('NHWC' as const),
    channels: c as 1 | 3,
    colour: opts.colour ?? (c === 1 ? ('gray' as const) : ('rgb' as const)),
    range: opts.range ?? ([0, 1] as [number, number]),
    ...(opts.mean ? { mean: opts.mean } : {}),
    ...(opts.std ? { std: opts.std } : {}),
    resize: 'stretch' as const,
  };
}

function classifierSections(graph: OnnxGraph, opts: CreateOptions): Partial<ManifestInput> {
  const out = graph.outputs[0]!;
  const producer = new GraphIndex(graph).producer.get(out.name);
  const isProb = producer?.opType === 'Softmax' || producer?.opType === 'Sigmoid';
  const labels = opts.labels ?? [];
  if (labels.length === 0) throw new InspectorError('USAGE', 'A classifier pack needs --labels a,b,c.');
  const classes = out.shape?.[out.shape.length - 1];
  if (classes !== undefined && classes > 0 && classes !== labels.length) {
    throw new InspectorError('PACK_LABELS_MISMATCH', `The model outputs ${classes} classes but ${labels.length} labels were given.`, { classes, labels });
  }
  const normal = opts.normalLabels ?? labels.filter((l) => NORMAL_NAMES.includes(l.toLowerCase()));
  const plan = planHead(graph, out.name, opts.target);
  const targetReason = opts.target
    ? 'given with --target'
    : plan.target
      ? `auto: input of the global pooling that feeds ${plan.logits}`
      : undefined;
  return {
    outputs: [{ name: out.name, meaning: isProb ? 'probabilities' : 'logits' }],
    labels: labels.map((id) => ({ id, display: { en: id }, severity: normal.includes(id) ? 'none' : 'medium' })),
    decision: {
      activation: producer?.opType === 'Sigmoid' ? 'sigmoid' : 'softmax',
      low: 0.5,
      high: 0.5,
      derivation: { method: 'default', note: 'no validation data given at pack creation; set low/high to add an uncertain band' },
    },
    explanation: {
      method: plan.target && !plan.unsupported ? 'gradcam' : 'eigencam',
      ...(plan.target ? { target: plan.target, targetReason: plan.unsupported ? `${targetReason}; head not differentiable: ${plan.unsupported}` : targetReason } : {}),
      scale: { mode: 'minmax' },
      ...(opts.camClass ? { targetClass: opts.camClass } : {}),
    },
  };
}

function anomalySections(graph: OnnxGraph, opts: CreateOptions, files: Map<string, string>): Partial<ManifestInput> {
  const names = graph.outputs.map((o) => o.name);
  if (names.includes('anomaly_map') && names.includes('pred_score')) {
    return {
      outputs: graph.outputs
        .filter((o) => ['pred_score', 'pred_label', 'anomaly_map', 'pred_mask'].includes(o.name))
        .map((o) => ({ name: o.name, meaning: o.name as 'pred_score' })),
      anomaly: { format: 'anomalib-v2' },
    };
  }
  const metaPath = opts.metadata ?? join(dirname(opts.onnx), 'metadata.json');
  if (existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, number>;
    const num = (k: string): number => {
      const v = meta[k];
      if (typeof v !== 'number') throw new InspectorError('PACK_METADATA_INVALID', `anomalib metadata.json lacks "${k}".`, { file: metaPath });
      return v;
    };
    files.set('metadata.json', metaPath);
    const mapOut = graph.outputs[0]!.name;
    return {
      outputs: [{ name: mapOut, meaning: 'anomaly_map' }],
      anomaly: {
        format: 'anomalib-v1',
        metadata: 'metadata.json',
        imageThreshold: { value: num('image_threshold'), derivation: { method: 'anomalib metadata.json image_threshold' } },
        pixelThreshold: { value: num('pixel_threshold'), derivation: { method: 'anomalib metadata.json pixel_threshold' } },
        normalisation: {
          scores: [num('pred_scores.min'), num('pred_scores.max')],
          maps: [num('anomaly_maps.min'), num('anomaly_maps.max')],
        },
      },
    };
  }
  return {
    outputs: [{ name: graph.outputs[0]!.name, meaning: 'reconstruction' }],
    anomaly: { format: 'autoencoder', ...(opts.residual ? { residual: opts.residual } : {}), sigma: opts.sigma ?? 4, score: 'max' },
  };
}

export function writeManifest(dir: string, manifest: ManifestInput): void {
  const parsed = Manifest.safeParse(manifest);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new InspectorError('PACK_MANIFEST_INVALID', `The manifest would be invalid: ${issues.join('; ')}`, { issues });
  }
  const header = `# Inspector model pack, format ${PACK_FORMAT} (see docs/PACKS.md). Edit thresholds freely;\n# after changing any other file run \`inspector pack check\` (hashes are verified on load).\n`;
  writeFileSync(join(dir, MANIFEST_FILE), header + stringify(manifest, { lineWidth: 120 }));
}

export async function createPack(opts: CreateOptions): Promise<LoadedPack> {
  if (!existsSync(opts.onnx)) throw new InspectorError('FILE_NOT_FOUND', `No such ONNX file: ${opts.onnx}`, { path: opts.onnx });
  const bytes = new Uint8Array(readFileSync(opts.onnx));
  const graph = parseModel(bytes);
  mkdirSync(opts.out, { recursive: true });
  const files = new Map<string, string>([['model.onnx', opts.onnx]]);
  const sections = opts.kind === 'classifier' ? classifierSections(graph, opts) : anomalySections(graph, opts, files);
  const hashes: Record<string, string> = {};
  for (const [rel, src] of files) {
    copyFileSync(src, join(opts.out, rel));
    hashes[rel] = sha256(readFileSync(join(opts.out, rel)));
  }
  const name = (opts.name ?? basename(opts.onnx).replace(/\.onnx$/i, '')).toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
  let manifest: ManifestInput = {
    format: PACK_FORMAT,
    name,
    version: opts.version ?? '0.1.0',
    kind: opts.kind,
    ...(opts.side ? { side: opts.side } : {}),
    model: 'model.onnx',
    input: inferInput(graph, opts),
    outputs: sections.outputs!,
    ...sections,
    provenance: {
      createdBy: 'inspector pack create',
      createdAt: new Date().toISOString(),
      source: basename(opts.onnx),
      ...opts.provenance,
    },
    files: hashes,
  };
  writeManifest(opts.out, manifest);
  let pack = loadPack(opts.out);
  if (opts.calibrate) {
    const extra = await opts.calibrate(pack);
    if (extra) {
      manifest = { ...manifest, ...extra };
      writeManifest(opts.out, manifest);
      pack = loadPack(opts.out);
    }
  }
  if (opts.reference) {
    manifest = { ...manifest, reference: await referenceScores(pack, opts.reference) };
    writeManifest(opts.out, manifest);
    pack = loadPack(opts.out);
  }
  return pack;
}

/** Runs the finished pack on validation images: their defect scores are the drift baseline. */
async function referenceScores(pack: LoadedPack, dir: string): Promise<NonNullable<ManifestInput['reference']>> {
  const engine = new Engine();
  try {
    const paths = listImages(dir, 5000);
    const results = await engine.inspectFiles(pack, paths, { method: 'none' });
    const scores = results.filter((r) => r.defectScore !== undefined && Number.isFinite(r.defectScore)).map((r) => Number(r.defectScore!.toPrecision(6)));
    if (scores.length < 10) {
      throw new InspectorError('PACK_REFERENCE_TOO_SMALL', `The reference folder ${dir} gave ${scores.length} scored images; drift needs at least 10.`, { dir });
    }
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    return {
      scores,
      derivation: { method: 'defect scores of the validation images, as this pack computes them', stats: { n: scores.length, mean, failed: results.length - scores.length }, note: basename(dir) },
    };
  } finally {
    await engine.close();
  }
}
