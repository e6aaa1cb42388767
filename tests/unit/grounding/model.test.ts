/**
 * The demo grounding pack on onnxruntime-node against PyTorch eager (fixtures/torch-reference.json,
 * written by training/grounding/build.py from the same weights): token ids equal, and every one of
 * PyTorch's strongest queries is found among onnxruntime's with the same box and logits — compared
 * order-invariantly, since TopK may order ties differently. Columns beyond the caption are -inf.
 * Then post-processing equals an independent numpy implementation (fixtures/postprocess.json, by
 * training/grounding/fixtures.py from evaluate.py) on the same tensors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadImage } from '../../../src/core/engine/image';
import { GroundingModel } from '../../../src/core/grounding/model';
import { postprocess } from '../../../src/core/grounding/postprocess';
import { parsePrompt } from '../../../src/core/grounding/text';
import { repoRoot } from '../../support/paths';
import { expectReferenceQueries, type RefQuery } from './queries';

interface RefCase {
  image: string;
  prompt: string;
  input_ids: number[];
  queries: RefQuery[];
}
const fixture = <T>(name: string): T => JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8')) as T;
const ref = fixture<{ queries: number; cases: RefCase[] }>('torch-reference.json');
const samples = join(repoRoot, 'resources', 'samples', 'pcb-grounding');
const model = GroundingModel.open(join(repoRoot, 'models', 'defects-grounding'), 'onnx/model.onnx');
afterAll(() => model.close());

describe('onnxruntime equals PyTorch on the demo model', () => {
  it.each(ref.cases.map((c) => [`${c.image} "${c.prompt}"`, c] as const))('%s', async (_name, c) => {
    const img = await loadImage(c.image.includes('/') ? join(repoRoot, c.image) : join(samples, c.image));
    const enc = model.encoder.encode(c.prompt);
    expect(enc.ids).toEqual(c.input_ids);
    const out = await model.forward(img, enc);
    expect(out.queries).toBe(ref.queries);
    expect(out.textLen).toBe(256);
    const L = enc.ids.length;
    for (let q = 0; q < out.queries; q++) for (let t = L; t < 256; t += 37) expect(out.logits[q * 256 + t]).toBe(-Infinity);
    expectReferenceQueries(out, c.queries);
  });
});

interface PostCase {
  image: string;
  prompt: string;
  box_threshold: number;
  text_threshold: number;
  nms_iou: number | null;
  detections: { label: string; score: number; box: [number, number, number, number] }[];
}

describe('post-processing equals the independent numpy implementation', () => {
  const cases = fixture<{ cases: PostCase[] }>('postprocess.json').cases;
  it.each(cases.map((c, i) => [`${i} ${c.image} box>${c.box_threshold} text>${c.text_threshold} nms ${c.nms_iou}`, c] as const))('%s', (_n, c) => {
    const r = ref.cases.find((x) => x.image === c.image && x.prompt === c.prompt)!;
    const T = r.input_ids.length;
    const Q = r.queries.length;
    const logits = new Float32Array(Q * T);
    const boxes = new Float32Array(Q * 4);
    r.queries.forEach((q, i) => {
      logits.set(q.logits, i * T);
      boxes.set(q.box, i * 4);
    });
    const phrases = parsePrompt(c.prompt);
    const spans: number[][] = [];
    let cur: number[] = [];
    for (let i = 1; i < T - 1; i++) {
      if (r.input_ids[i] === 1012) {
        spans.push(cur);
        cur = [];
      } else cur.push(i);
    }
    const got = postprocess({ logits, boxes, queries: Q, textLen: T }, phrases, spans, 640, 640, {
      boxThreshold: c.box_threshold,
      textThreshold: c.text_threshold,
      ...(c.nms_iou !== null ? { nmsIou: c.nms_iou } : {}),
    });
    const want = [...c.detections].sort((a, b) => b.score - a.score);
    expect(got.length).toBe(want.length);
    got.forEach((d, i) => {
      const w = want[i]!;
      expect(d.label).toBe(w.label);
      expect(d.score).toBeCloseTo(w.score, 5);
      expect([d.x, d.y, d.x + d.width, d.y + d.height].map((v) => Math.round(v * 100) / 100)).toEqual(w.box.map((v) => Math.round(v * 100) / 100));
    });
  });
});
