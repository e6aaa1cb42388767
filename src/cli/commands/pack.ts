import { parseArgs } from 'node:util';
import { InspectorError } from '../../shared/errors';
import { calibratePack } from '../../core/packs/calibrate';
import { createPack } from '../../core/packs/create';
import { createGroundingPack, isDtype } from '../../core/grounding/pack';
import { ResidualSpec } from '../../core/packs/manifest';
import { checkPack } from '../../core/packs/check';
import type { Command } from '../command';
import { GUARD_HELP, guardCommand } from './packGuard';

/** `ssim,luma,5` → { metric: 'ssim', channels: 'luma', window: 5 }. */
function residual(text: string): ResidualSpec {
  const [metric, channels, window] = text.split(',').map((t) => t.trim());
  const r = ResidualSpec.safeParse({ metric, ...(channels ? { channels } : {}), ...(window ? { window: Number(window) } : {}) });
  if (!r.success) throw new InspectorError('USAGE', `--residual ${text} is not l2|l1|ssim[,mean|luma][,odd window ≥ 3]`, { issues: r.error.issues.map((i) => i.message) });
  return r.data;
}

const HELP = [
  'Usage:',
  '  inspector pack create --onnx model.onnx --kind classifier|anomaly --out DIR',
  '                        [--labels a,b,c] [--normal-labels ok] [--name N] [--version V]',
  '                        [--input-size 224 | 224x256] [--mean 0.485,0.456,0.406] [--std 0.229,0.224,0.225]',
  '                        [--colour rgb|bgr|gray] [--range 0,255] [--target TENSOR] [--side internal|external]',
  '                        [--calibrate DIR_OF_NORMAL_IMAGES] [--abnormal DIR] [--threshold mean-k-std|percentile|f1]',
  '                        [--k 3] [--percentile 99] [--sigma 4] [--residual l2|l1|ssim[,mean|luma][,WINDOW]]',
  '                        [--metadata metadata.json]',
  '                        [--licence L] [--training-data TEXT] [--reference DIR_OF_VALIDATION_IMAGES]',
  '                        [--cam-class predicted|defect]',
  '  inspector pack create --hf DIR --kind grounding --prompt "a . b ." --out DIR',
  '                        [--box-threshold 0.35] [--text-threshold 0.25] [--nms-iou 0.5]',
  '                        [--dtype fp32|fp16|q8|int8|uint8|q4|q4f16] [--name N] [--alias OLD,…] [--version V] [--side internal|external]',
  '                        [--extra-files MODEL_CARD.md,…] [--licence L] [--training-data TEXT]',
  '  inspector pack check <dir> [--json]',
  ...GUARD_HELP,
  '',
  'create: writes a valid pack (pack.yaml + model.onnx [+ metadata.json]) from a plain ONNX export.',
  '  Classifiers: the Grad-CAM target (the last 4-D activation feeding global pooling) is detected',
  '  unless --target is given; with --calibrate, the display scale is anchored on the maps of those',
  '  normal images (99th percentile). Anomaly models: anomalib v2 (pred_score/anomaly_map outputs) and',
  '  v1 (metadata.json beside the model) are recognised; otherwise the model is an autoencoder and',
  '  --calibrate (normal images) derives its thresholds (--threshold, default mean-k-std with --k 3).',
  '  --cam-class defect explains the most probable defect label on every image (a good part stays cool',
  '  on the anchored scale); predicted (default) explains the top class, as pytorch-grad-cam does.',
  '  --reference runs the finished pack on validation images and keeps their defect scores in pack.yaml:',
  '  the history measures score drift (PSI, KS) against them.',
  '  Grounding: DIR is a Grounding DINO ONNX export folder (config.json, preprocessor_config.json,',
  '  tokenizer.json, tokenizer_config.json, vocab.txt, onnx/model*.onnx); the HF and IDEA-Research',
  '  contracts are detected from the graph (docs/GROUNDING.md).',
  'check: validates a pack (schema, file hashes, graph inputs/outputs, explanation target).',
  '  See docs/PACKS.md for the pack.yaml format.',
].join('\n');

const list = (s: string | undefined): number[] | undefined => (s ? s.split(',').map(Number) : undefined);

function size(s: string | undefined): [number, number] | undefined {
  if (!s) return undefined;
  const parts = s.toLowerCase().split(/[x×,]/).map(Number);
  const h = parts[0]!;
  const w = parts[1] ?? h;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h <= 0 || w <= 0) throw new InspectorError('USAGE', `--input-size ${s} is not a size`);
  return [h, w];
}

async function create(args: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args,
    strict: true,
    options: {
      onnx: { type: 'string' },
      kind: { type: 'string' },
      out: { type: 'string' },
      labels: { type: 'string' },
      'normal-labels': { type: 'string' },
      name: { type: 'string' },
      version: { type: 'string' },
      'input-size': { type: 'string' },
      mean: { type: 'string' },
      std: { type: 'string' },
      colour: { type: 'string' },
      range: { type: 'string' },
      target: { type: 'string' },
      side: { type: 'string' },
      calibrate: { type: 'string' },
      abnormal: { type: 'string' },
      threshold: { type: 'string' },
      k: { type: 'string' },
      percentile: { type: 'string' },
      sigma: { type: 'string' },
      residual: { type: 'string' },
      metadata: { type: 'string' },
      licence: { type: 'string' },
      'training-data': { type: 'string' },
      reference: { type: 'string' },
      'cam-class': { type: 'string' },
      hf: { type: 'string' },
      prompt: { type: 'string' },
      'box-threshold': { type: 'string' },
      'text-threshold': { type: 'string' },
      'nms-iou': { type: 'string' },
      dtype: { type: 'string' },
      'extra-files': { type: 'string' },
      alias: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (v.kind === 'grounding') return createGrounding(v);
  if (!v.onnx || !v.out || (v.kind !== 'classifier' && v.kind !== 'anomaly')) {
    throw new InspectorError('USAGE', 'pack create needs --onnx, --out and --kind classifier|anomaly');
  }
  const threshold = (v.threshold ?? 'mean-k-std') as 'mean-k-std' | 'percentile' | 'f1';
  if (!['mean-k-std', 'percentile', 'f1'].includes(threshold)) throw new InspectorError('USAGE', `--threshold ${v.threshold} is not one of mean-k-std, percentile, f1`);
  const range = list(v.range);
  const pack = await createPack({
    onnx: v.onnx,
    kind: v.kind,
    out: v.out,
    ...(v.labels ? { labels: v.labels.split(',').map((s) => s.trim()) } : {}),
    ...(v['normal-labels'] ? { normalLabels: v['normal-labels'].split(',') } : {}),
    ...(v.name ? { name: v.name } : {}),
    ...(v.version ? { version: v.version } : {}),
    ...(size(v['input-size']) ? { inputSize: size(v['input-size'])! } : {}),
    ...(list(v.mean) ? { mean: list(v.mean)! } : {}),
    ...(list(v.std) ? { std: list(v.std)! } : {}),
    ...(v.colour ? { colour: v.colour as 'rgb' } : {}),
    ...(range && range.length === 2 ? { range: range as [number, number] } : {}),
    ...(v.target ? { target: v.target } : {}),
    ...(v.side ? { side: v.side as 'internal' } : {}),
    ...(v.metadata ? { metadata: v.metadata } : {}),
    ...(v.sigma ? { sigma: Number(v.sigma) } : {}),
    ...(v.residual ? { residual: residual(v.residual) } : {}),
    ...(v.reference ? { reference: v.reference } : {}),
    ...(v['cam-class'] ? { camClass: camClass(v['cam-class']) } : {}),
    provenance: {
      ...(v.licence ? { licence: v.licence } : {}),
      ...(v['training-data'] ? { trainingData: v['training-data'] } : {}),
    },
    ...(v.calibrate
      ? {
          calibrate: (p) =>
            calibratePack(p, {
              normalDir: v.calibrate!,
              ...(v.abnormal ? { abnormalDir: v.abnormal } : {}),
              threshold,
              k: v.k ? Number(v.k) : 3,
              percentile: v.percentile ? Number(v.percentile) : 99,
            }),
        }
      : {}),
  });
  const m = pack.manifest;
  if (v.json) process.stdout.write(JSON.stringify(m, null, 2) + '\n');
  else {
    process.stdout.write(`wrote ${pack.dir}/pack.yaml: ${m.name}@${m.version} [${m.kind}]\n`);
    if (m.explanation) {
      process.stdout.write(`  explanation: ${m.explanation.method}, target ${m.explanation.target ?? '(none)'} (${m.explanation.targetReason ?? ''})\n`);
      process.stdout.write(`  display scale: ${m.explanation.scale.mode}${m.explanation.scale.mode === 'anchored' ? ` [${m.explanation.scale.low}, ${m.explanation.scale.high}]` : ''}\n`);
    }
    if (m.reference) process.stdout.write(`  drift reference: ${m.reference.scores.length} validation scores (mean ${m.reference.derivation.stats?.['mean']?.toFixed(3)})\n`);
    if (m.anomaly) {
      process.stdout.write(`  anomaly format: ${m.anomaly.format}`);
      if (m.anomaly.imageThreshold) process.stdout.write(`, image threshold ${m.anomaly.imageThreshold.value.toPrecision(5)} (${m.anomaly.imageThreshold.derivation.method})`);
      process.stdout.write('\n');
    }
  }
  return 0;
}

function createGrounding(v: Record<string, string | boolean | undefined>): number {
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const hf = str('hf');
  const out = str('out');
  const prompt = str('prompt');
  if (!hf || !out || !prompt) throw new InspectorError('USAGE', 'pack create --kind grounding needs --hf DIR, --prompt "a . b ." and --out DIR');
  const dtype = str('dtype');
  if (dtype !== undefined && !isDtype(dtype)) throw new InspectorError('USAGE', `--dtype ${dtype} is not one of fp32, fp16, q8, int8, uint8, q4, q4f16`);
  const num = (k: string) => (str(k) !== undefined ? Number(str(k)) : undefined);
  const box = num('box-threshold');
  const text = num('text-threshold');
  const nms = num('nms-iou');
  const pack = createGroundingPack({
    hf,
    out,
    prompt,
    ...(box !== undefined ? { boxThreshold: box } : {}),
    ...(text !== undefined ? { textThreshold: text } : {}),
    ...(nms !== undefined ? { nmsIou: nms } : {}),
    ...(dtype ? { dtype } : {}),
    ...(str('name') ? { name: str('name')! } : {}),
    ...(str('alias') ? { aliases: str('alias')!.split(',').map((a) => a.trim()).filter((a) => a) } : {}),
    ...(str('version') ? { version: str('version')! } : {}),
    ...(str('side') ? { side: str('side') as 'internal' } : {}),
    ...(str('extra-files') ? { extraFiles: str('extra-files')!.split(',').map((f) => f.trim()) } : {}),
    provenance: { ...(str('licence') ? { licence: str('licence')! } : {}), ...(str('training-data') ? { trainingData: str('training-data')! } : {}) },
  });
  const m = pack.manifest;
  if (v['json']) process.stdout.write(JSON.stringify(m, null, 2) + '\n');
  else {
    const g = m.grounding!;
    process.stdout.write(`wrote ${pack.dir}/pack.yaml: ${m.name}@${m.version} [grounding]\n`);
    process.stdout.write(`  model ${m.model} (${g.dtype}, ${g.variant === 'hf' ? 'HF/onnx-community' : 'IDEA-Research'} contract)\n`);
    process.stdout.write(`  prompt "${g.prompt}"  box > ${g.boxThreshold}  text > ${g.textThreshold}${g.nmsIou !== undefined ? `  NMS IoU ${g.nmsIou}` : ''}\n`);
  }
  return 0;
}

async function check(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, strict: true, allowPositionals: true, options: { json: { type: 'boolean' } } });
  if (positionals.length !== 1) throw new InspectorError('USAGE', 'pack check takes one pack folder');
  const report = await checkPack(positionals[0]!);
  if (values.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else {
    process.stdout.write(`${report.ok ? 'OK' : 'INVALID'}  ${report.dir}\n`);
    for (const line of report.lines) process.stdout.write(`  ${line}\n`);
    if (report.error) process.stdout.write(`  ${report.error.code}: ${report.error.message}\n`);
  }
  return report.ok ? 0 : 1;
}

function camClass(v: string): 'predicted' | 'defect' {
  if (v !== 'predicted' && v !== 'defect') throw new InspectorError('USAGE', `--cam-class ${v} is not predicted or defect`);
  return v;
}

export const packCommand: Command = {
  name: 'pack',
  summary: 'create a model pack from a plain ONNX export, or check one',
  help: HELP,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === 'create') return create(rest);
    if (sub === 'check') return check(rest);
    if (sub === 'guard') return guardCommand(rest);
    throw new InspectorError('USAGE', `pack: unknown subcommand "${sub ?? ''}" (create, check or guard)`);
  },
};
