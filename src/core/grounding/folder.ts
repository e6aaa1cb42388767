/**
 * The public folder layout of a Grounding DINO ONNX export (onnx-community, as transformers.js
 * reads it): config.json (model_type grounding-dino), preprocessor_config.json, tokenizer.json,
 * tokenizer_config.json, vocab.txt, onnx/model{,_fp16,…}.onnx. Every file is checked here with a
 * coded error that names it — the libraries' own messages for a missing file are cryptic
 * ("Cannot read properties of undefined (reading 'tokenizer_class')").
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InspectorError } from '../../shared/errors';

/** transformers.js's dtype names → file suffixes under onnx/. */
export const DTYPE_SUFFIX = { fp32: '', fp16: '_fp16', q8: '_quantized', int8: '_int8', uint8: '_uint8', q4: '_q4', q4f16: '_q4f16' } as const;
export type GroundingDtype = keyof typeof DTYPE_SUFFIX;
export const DTYPES = Object.keys(DTYPE_SUFFIX) as GroundingDtype[];

export const modelFile = (dtype: GroundingDtype): string => `onnx/model${DTYPE_SUFFIX[dtype]}.onnx`;

export const LAYOUT_FILES = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt'] as const;

/** HF image-processor `size`: a fixed size, or shortest/longest edge (DETR family). */
export type SizeRule = { height: number; width: number } | { shortestEdge: number; longestEdge?: number };

export interface Preprocessor {
  doResize: boolean;
  size: SizeRule;
  doRescale: boolean;
  rescaleFactor: number;
  doNormalize: boolean;
  mean: [number, number, number];
  std: [number, number, number];
}

export interface GroundingFolder {
  dir: string;
  config: Record<string, unknown>;
  preprocessor: Preprocessor;
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  /** Model variants present, by dtype. */
  variants: GroundingDtype[];
  maxTextLen: number;
}

function invalid(dir: string, file: string, reason: string): InspectorError {
  return new InspectorError('GROUNDING_FILE_INVALID', `${file} in ${dir} is not usable: ${reason}.`, { dir, file, reason });
}

function readJson(dir: string, file: string): Record<string, unknown> {
  const path = join(dir, file);
  if (!existsSync(path)) throw new InspectorError('GROUNDING_FILE_MISSING', `The grounding model folder ${dir} has no ${file}.`, { dir, file });
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw invalid(dir, file, `not valid JSON (${(err as Error).message})`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw invalid(dir, file, 'not a JSON object');
  return doc as Record<string, unknown>;
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function triple(dir: string, v: unknown, key: string, fallback: [number, number, number]): [number, number, number] {
  if (v === undefined) return fallback;
  const arr = typeof v === 'number' ? [v, v, v] : v;
  if (!Array.isArray(arr) || arr.length !== 3 || !arr.every(num)) throw invalid(dir, 'preprocessor_config.json', `${key} must be three numbers`);
  if (key === 'image_std' && arr.some((x) => x <= 0)) throw invalid(dir, 'preprocessor_config.json', 'image_std must be positive');
  return arr as [number, number, number];
}

export function parsePreprocessor(dir: string, p: Record<string, unknown>): Preprocessor {
  const s = p['size'] as Record<string, unknown> | number | undefined;
  let size: SizeRule;
  const pos = (v: unknown): v is number => num(v) && v > 0 && Number.isInteger(v);
  if (s && typeof s === 'object' && pos(s['height']) && pos(s['width'])) size = { height: s['height'], width: s['width'] };
  else if (s && typeof s === 'object' && pos(s['shortest_edge'])) {
    const longest = s['longest_edge'] ?? p['max_size'];
    if (longest !== undefined && !pos(longest)) throw invalid(dir, 'preprocessor_config.json', 'size.longest_edge must be a positive integer');
    size = { shortestEdge: s['shortest_edge'], ...(longest !== undefined ? { longestEdge: longest } : {}) };
  } else if (pos(s)) size = { shortestEdge: s, ...(pos(p['max_size']) ? { longestEdge: p['max_size'] } : {}) };
  else throw invalid(dir, 'preprocessor_config.json', 'size must be {height, width} or {shortest_edge, longest_edge}');
  const rescale = p['rescale_factor'] ?? 1 / 255;
  if (!num(rescale)) throw invalid(dir, 'preprocessor_config.json', 'rescale_factor must be a number');
  return {
    doResize: p['do_resize'] !== false,
    size,
    doRescale: p['do_rescale'] !== false,
    rescaleFactor: rescale,
    doNormalize: p['do_normalize'] !== false,
    mean: triple(dir, p['image_mean'], 'image_mean', [0.485, 0.456, 0.406]),
    std: triple(dir, p['image_std'], 'image_std', [0.229, 0.224, 0.225]),
  };
}

/** Validates the whole layout; `dtype` (when given) must be among the variants present. */
export function readGroundingFolder(dir: string, dtype?: GroundingDtype): GroundingFolder {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InspectorError('FILE_NOT_FOUND', `No such folder: ${dir}`, { path: dir });
  const config = readJson(dir, 'config.json');
  if (config['model_type'] !== 'grounding-dino') {
    throw invalid(dir, 'config.json', `model_type is ${JSON.stringify(config['model_type'])}, not "grounding-dino"`);
  }
  const preprocessor = parsePreprocessor(dir, readJson(dir, 'preprocessor_config.json'));
  const tokenizerJson = readJson(dir, 'tokenizer.json');
  const model = tokenizerJson['model'] as Record<string, unknown> | undefined;
  if (!model || typeof model['vocab'] !== 'object') throw invalid(dir, 'tokenizer.json', 'it has no model.vocab');
  const tokenizerConfig = readJson(dir, 'tokenizer_config.json');
  if (typeof tokenizerConfig['tokenizer_class'] !== 'string') throw invalid(dir, 'tokenizer_config.json', 'it has no tokenizer_class');
  const vocabPath = join(dir, 'vocab.txt');
  if (!existsSync(vocabPath)) throw new InspectorError('GROUNDING_FILE_MISSING', `The grounding model folder ${dir} has no vocab.txt.`, { dir, file: 'vocab.txt' });
  const vocab = readFileSync(vocabPath, 'utf8').split('\n');
  if (vocab[vocab.length - 1] === '') vocab.pop();
  const table = model['vocab'] as Record<string, number>;
  for (const special of ['[CLS]', '[SEP]', '.']) {
    const id = table[special];
    if (id === undefined || vocab[id] !== special) throw invalid(dir, 'vocab.txt', `it disagrees with tokenizer.json on ${special}`);
  }
  if (vocab.length !== Object.keys(table).length) throw invalid(dir, 'vocab.txt', `${vocab.length} entries, tokenizer.json has ${Object.keys(table).length}`);
  const variants = (Object.keys(DTYPE_SUFFIX) as GroundingDtype[]).filter((d) => existsSync(join(dir, modelFile(d))));
  if (variants.length === 0) throw new InspectorError('GROUNDING_FILE_MISSING', `The grounding model folder ${dir} has no onnx/model*.onnx.`, { dir, file: 'onnx/model.onnx' });
  if (dtype && !variants.includes(dtype)) {
    throw new InspectorError('GROUNDING_FILE_MISSING', `The grounding model folder ${dir} has no ${modelFile(dtype)} (dtype ${dtype}); it has ${variants.map(modelFile).join(', ')}.`, {
      dir,
      file: modelFile(dtype),
      variants,
    });
  }
  const maxTextLen = num(config['max_text_len']) ? config['max_text_len'] : 256;
  return { dir, config, preprocessor, tokenizerJson, tokenizerConfig, variants, maxTextLen };
}

/** Which ONNX contract a graph has, from its input and output names (notes §5). */
export type GroundingVariant = 'hf' | 'idea';

export interface GroundingIO {
  variant: GroundingVariant;
  image: string;
  logits: string;
  boxes: string;
}

export function detectVariant(inputs: readonly string[], outputs: readonly string[]): GroundingIO {
  const has = (n: string) => inputs.includes(n);
  const out = (names: string[]) => names.find((n) => outputs.includes(n));
  const logits = out(['logits', 'pred_logits']);
  const boxes = out(['pred_boxes', 'boxes']);
  const where = { inputs: [...inputs], outputs: [...outputs] };
  if (!logits || !boxes) throw new InspectorError('GROUNDING_INTERFACE_UNKNOWN', `The model's outputs (${outputs.join(', ')}) lack logits and boxes.`, where);
  if (has('pixel_values') && has('input_ids') && has('attention_mask')) return { variant: 'hf', image: 'pixel_values', logits, boxes };
  const image = ['img', 'inputs', 'samples'].find(has);
  if (image && has('input_ids') && has('position_ids') && has('text_token_mask')) return { variant: 'idea', image, logits, boxes };
  throw new InspectorError(
    'GROUNDING_INTERFACE_UNKNOWN',
    `The model's inputs (${inputs.join(', ')}) match neither the HF export (pixel_values, input_ids, attention_mask, token_type_ids, pixel_mask) nor the IDEA-Research one (img, input_ids, attention_mask, position_ids, token_type_ids, text_token_mask).`,
    where,
  );
}

/** Grounding-specific checks on load: the layout files are listed (hashed) and readable. */
export function verifyGroundingPack(dir: string, files: Record<string, string>, dtype: GroundingDtype | undefined): void {
  for (const f of LAYOUT_FILES) {
    if (!(f in files)) throw new InspectorError('GROUNDING_FILE_MISSING', `The grounding pack ${dir} does not list ${f} in pack.yaml files.`, { dir, file: f });
  }
  readGroundingFolder(dir, dtype);
}
