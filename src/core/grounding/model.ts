/**
 * A Grounding DINO–style ONNX model on our onnxruntime-node session (the engine's one copy of
 * onnxruntime, its provider fallback and session cache): prompt + image in, detections out. The
 * contract is detected from the graph's input names, so an onnx-community export and an
 * IDEA-Research export of the same weights both run, each fed its own inputs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { InspectorError } from '../../shared/errors';
import type { EngineImage } from '../engine/image';
import { createSession, type EngineSession, type SessionCache, type SessionSettings } from '../engine/session';
import { detectVariant, readGroundingFolder, type GroundingFolder, type GroundingIO } from './folder';
import { postprocess, type Detection, type PostprocessOptions } from './postprocess';
import { pixelInput } from './preprocess';
import { PromptEncoder, phraseBlocks, type EncodedPrompt } from './text';

export interface GroundingRun {
  detections: Detection[];
  prompt: string;
  phrases: string[];
  boxThreshold: number;
  textThreshold: number;
  nmsIou?: number;
  variant: GroundingIO['variant'];
  /** [height, width] the image was resized to. */
  inputSize: [number, number];
  timings: { preprocessMs: number; inferenceMs: number; postprocessMs: number };
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function asFloat32(t: ort.Tensor): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') return Float32Array.from(t.data as Uint16Array, halfToFloat);
  throw new InspectorError('GROUNDING_INTERFACE_UNKNOWN', `The model output is ${t.type}, not float32 or float16.`);
}

export class GroundingModel {
  readonly folder: GroundingFolder;
  readonly encoder: PromptEncoder;
  private io: GroundingIO | undefined;
  private readonly inputTypes = new Map<string, string>();
  /** Encoded prompts by text: a run inspects many images with one prompt. */
  private readonly prompts = new Map<string, EncodedPrompt>();

  constructor(
    readonly dir: string,
    /** Path of the ONNX file inside `dir`, e.g. onnx/model_fp16.onnx. */
    readonly modelPath: string,
    private readonly session: () => Promise<EngineSession>,
  ) {
    this.folder = readGroundingFolder(dir);
    this.encoder = new PromptEncoder(this.folder.tokenizerJson, this.folder.tokenizerConfig, this.folder.maxTextLen);
  }

  /** A model on a fresh session of its own (tools and tests); the engine passes its cache instead. */
  static open(dir: string, modelPath: string, settings: SessionSettings = {}, cache?: SessionCache): GroundingModel {
    const key = `grounding:${join(dir, modelPath)}:${(settings.providers ?? []).join(',')}`;
    const make = () => createSession(new Uint8Array(readFileSync(join(dir, modelPath))), settings);
    let own: Promise<EngineSession> | undefined;
    return new GroundingModel(dir, modelPath, () => (cache ? cache.get(key, make) : (own ??= make())));
  }

  async interface(): Promise<GroundingIO & { provider: string; attempts: EngineSession['attempts'] }> {
    const s = await this.session();
    if (!this.io) {
      this.io = detectVariant(s.inputNames, s.outputNames);
      for (const m of s.session.inputMetadata) if (m.isTensor) this.inputTypes.set(m.name, m.type);
    }
    return { ...this.io, provider: s.provider, attempts: s.attempts };
  }

  private textTensor(name: string, values: ArrayLike<number>, dims: number[]): ort.Tensor {
    const type = this.inputTypes.get(name) ?? 'int64';
    if (type === 'bool') return new ort.Tensor('bool', Uint8Array.from(values, (v) => (v ? 1 : 0)), dims);
    if (type === 'int32') return new ort.Tensor('int32', Int32Array.from(values), dims);
    return new ort.Tensor('int64', BigInt64Array.from(Array.from(values, (v) => BigInt(v))), dims);
  }

  feeds(io: GroundingIO, prompt: EncodedPrompt, pixels: ReturnType<typeof pixelInput>, inputNames: readonly string[]): Record<string, ort.Tensor> {
    const L = prompt.ids.length;
    const text = [1, L];
    const f: Record<string, ort.Tensor> = {
      [io.image]: new ort.Tensor('float32', pixels.pixelValues, [1, 3, pixels.height, pixels.width]),
      input_ids: this.textTensor('input_ids', prompt.ids, text),
      attention_mask: this.textTensor('attention_mask', prompt.attentionMask, text),
      token_type_ids: this.textTensor('token_type_ids', prompt.tokenTypeIds, text),
    };
    if (io.variant === 'hf') f['pixel_mask'] = new ort.Tensor('int64', pixels.pixelMask, [1, pixels.height, pixels.width]);
    else {
      const { mask, positionIds } = phraseBlocks(prompt.ids);
      f['position_ids'] = this.textTensor('position_ids', positionIds, text);
      f['text_token_mask'] = this.textTensor('text_token_mask', mask, [1, L, L]);
    }
    // Feed only what this graph takes (some exports drop token_type_ids or pixel_mask).
    return Object.fromEntries(Object.entries(f).filter(([k]) => inputNames.includes(k)));
  }

  /** Raw outputs for one image (conformance tests compare these with PyTorch's). */
  async forward(img: EngineImage, prompt: EncodedPrompt): Promise<{ logits: Float32Array; boxes: Float32Array; queries: number; textLen: number; pixels: ReturnType<typeof pixelInput>; preprocessMs: number; inferenceMs: number }> {
    const io = await this.interface();
    const s = await this.session();
    const t0 = performance.now();
    const pixels = pixelInput(img, this.folder.preprocessor);
    const feeds = this.feeds(io, prompt, pixels, s.inputNames);
    const t1 = performance.now();
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      out = await s.session.run(feeds);
    } catch (err) {
      throw new InspectorError('GROUNDING_RUN_FAILED', `The grounding model failed on ${img.source}: ${(err as Error).message}`, { source: img.source });
    }
    const t2 = performance.now();
    const logits = out[io.logits] as ort.Tensor;
    const boxes = out[io.boxes] as ort.Tensor;
    const [, queries, textLen] = logits.dims as number[];
    if (logits.dims.length !== 3 || boxes.dims.length !== 3 || boxes.dims[2] !== 4 || boxes.dims[1] !== queries || (textLen ?? 0) < prompt.ids.length) {
      throw new InspectorError('GROUNDING_INTERFACE_UNKNOWN', `Unexpected output shapes: ${io.logits} [${logits.dims.join(',')}], ${io.boxes} [${boxes.dims.join(',')}].`);
    }
    return { logits: asFloat32(logits), boxes: asFloat32(boxes), queries: queries!, textLen: textLen!, pixels, preprocessMs: t1 - t0, inferenceMs: t2 - t1 };
  }

  async detect(img: EngineImage, prompt: string | readonly string[], o: PostprocessOptions): Promise<GroundingRun> {
    const t0 = performance.now();
    const key = typeof prompt === 'string' ? prompt : JSON.stringify(prompt);
    let encoded = this.prompts.get(key);
    if (!encoded) {
      encoded = this.encoder.encode(prompt);
      if (this.prompts.size > 64) this.prompts.clear();
      this.prompts.set(key, encoded);
    }
    const t1 = performance.now();
    const io = await this.interface();
    const r = await this.forward(img, encoded);
    const t2 = performance.now();
    const detections = postprocess(r, encoded.phrases, encoded.spans, img.width, img.height, o);
    const t3 = performance.now();
    return {
      detections,
      prompt: encoded.caption,
      phrases: encoded.phrases,
      boxThreshold: o.boxThreshold,
      textThreshold: o.textThreshold,
      ...(o.nmsIou !== undefined ? { nmsIou: o.nmsIou } : {}),
      variant: io.variant,
      inputSize: [r.pixels.height, r.pixels.width],
      timings: { preprocessMs: t1 - t0 + r.preprocessMs, inferenceMs: r.inferenceMs, postprocessMs: t3 - t2 },
    };
  }

  async close(): Promise<void> {
    const s = await this.session().catch(() => undefined);
    await s?.session.release();
  }
}
