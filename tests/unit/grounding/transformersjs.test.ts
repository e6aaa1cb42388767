/**
 * transformers.js (@huggingface/transformers, devDependency) as the test oracle of the issue's
 * "Done when": it reads the demo pack's folder offline, as it would read onnx-community's export.
 * - Token ids: our PromptEncoder equals transformers.js's AutoTokenizer on ~200 prompts (mixed case,
 *   punctuation, digits, accents, hyphens, long and rare words, many phrases).
 * - Post-processing: on the same tensors (our onnxruntime outputs for the sample images and several
 *   prompts) our detections equal its `post_process_grounded_object_detection` wherever it does not
 *   crash: every box we keep it keeps, with the same pixel box and score; where its decoded label
 *   is one whole prompt phrase, that is our label. Its differences are asserted as such: it keeps a
 *   query whose best token is "." / [CLS] / [SEP] (we never do), its labels are bags of tokens
 *   above text_threshold (merged phrases, ".", "[SEP]"), and it throws "token_ids must be a
 *   non-empty array of integers." on a kept query with no token above text_threshold — exactly
 *   when that happens (text_threshold > box_threshold), we predict it and check it throws.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoProcessor, AutoTokenizer, Tensor, env } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImage } from '../../../src/core/engine/image';
import { GroundingModel } from '../../../src/core/grounding/model';
import { postprocess } from '../../../src/core/grounding/postprocess';
import { repoRoot } from '../../support/paths';

const packName = 'defects-grounding';
const models = join(repoRoot, 'models');
env.allowRemoteModels = false;
env.localModelPath = `${models}/`;

interface TjsTokenizer {
  (text: string): { input_ids: Tensor };
  decode(ids: number[], o?: object): string;
}
interface TjsProcessor {
  post_process_grounded_object_detection(
    outputs: { logits: Tensor; pred_boxes: Tensor },
    inputIds: Tensor,
    o: { box_threshold: number; text_threshold: number; target_sizes: [number, number][] },
  ): { scores: number[]; boxes: number[][]; labels: string[] }[];
}

const idsOf = (t: Tensor): number[] => (t.tolist() as bigint[][])[0]!.map(Number);

/** Deterministic prompt generator: words of several kinds, 1..12 phrases per prompt. */
function prompts(n: number): string[] {
  const words = [
    'porosity', 'Pitting', 'SHORT', 'open circuit', 'mouse-bite', 'spur', 'spurious copper', 'pin hole', 'crack', 'scratch',
    'résumé', 'naïve', 'Über', 'café', '2.5mm', '10%', 'x-ray', "o'ring", 'solder ball', 'delamination', 'electrodeposition',
    'hyperparameterisation', 'ﬁnish', 'burr!', 'dent?', 'weld-seam', 'über-crack', '中文', 'dust, oil', 'rust (red)',
    'COMBINED defect', 'Bent Pin', 'missing_component', 'foreign  particle', 'tab #3', 'a', 'an edge', 'void pattern',
  ];
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = 1 + Math.floor(rnd() * 12);
    out.push(Array.from({ length: k }, () => words[Math.floor(rnd() * words.length)]!).join(i % 3 === 0 ? ' . ' : '.'));
  }
  return out;
}

describe('transformers.js as test oracle', () => {
  let tokenizer: TjsTokenizer;
  let processor: TjsProcessor;
  const model = GroundingModel.open(join(models, packName), 'onnx/model.onnx');
  beforeAll(async () => {
    tokenizer = (await AutoTokenizer.from_pretrained(packName)) as unknown as TjsTokenizer;
    processor = (await AutoProcessor.from_pretrained(packName)) as unknown as TjsProcessor;
  });
  afterAll(() => model.close());

  it('token ids: ours equal transformers.js on 200 prompts', () => {
    const all = prompts(200);
    let phrases = 0;
    for (const p of all) {
      const ours = model.encoder.encode(p);
      expect(idsOf(tokenizer(ours.caption).input_ids), ours.caption).toEqual(ours.ids);
      phrases += ours.phrases.length;
    }
    expect(phrases).toBeGreaterThan(600);
  });

  // The images of the PyTorch conformance fixture: PCB, CT and surface samples the pack ships with.
  const ref = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'torch-reference.json'), 'utf8')) as { cases: { image: string }[] };
  const images = [...new Set(ref.cases.map((c) => (c.image.includes('/') ? c.image : `resources/samples/pcb-grounding/${c.image}`)))].filter((p) => existsSync(join(repoRoot, p)));
  const promptSet = ['open circuit . short . mouse bite . spur . spurious copper . pin hole . porosity . pitting .', 'short . scratch . pin hole .', 'porosity . crack .', 'pitting . rust .'];
  const thresholds: [number, number][] = [
    [0.05, 0.05],
    [0.3, 0.25],
    [0.2, 0.2],
    [0.1, 0.3],
    [0.25, 0.5],
  ];

  it('post-processing equals post_process_grounded_object_detection wherever it does not crash', async () => {
    expect(images.length).toBeGreaterThanOrEqual(3);
    const tally = { compared: 0, sameLabel: 0, theirsKeptOnSpecial: 0, labelsNotAPhrase: 0, crashes: 0, predictedCrashes: 0 };
    for (const rel of images) {
      const img = await loadImage(join(repoRoot, rel));
      for (const prompt of promptSet) {
        const enc = model.encoder.encode(prompt);
        const out = await model.forward(img, enc);
        const Q = out.queries;
        const T = out.textLen;
        const inputIds = tokenizer(enc.caption).input_ids;
        // Their token ids are ours (the tensor we give both).
        expect(idsOf(inputIds)).toEqual(enc.ids);
        const sig = (x: number) => 1 / (1 + Math.exp(-x));
        for (const [boxT, textT] of thresholds) {
          const ours = postprocess(out, enc.phrases, enc.spans, img.width, img.height, { boxThreshold: boxT, textThreshold: textT });
          // Will theirs throw? A query kept on its best token (any column) with no token above text_t.
          let crash = false;
          for (let q = 0; q < Q && !crash; q++) {
            let m = 0;
            let above = false;
            for (let t = 0; t < T; t++) {
              const p = sig(out.logits[q * T + t]!);
              m = Math.max(m, p);
              // get_phrases_from_posmap drops column 0 and the last column (T - 1).
              if (p > textT && t > 0 && t < T - 1) above = true;
            }
            if (m > boxT && !above) crash = true;
          }
          const call = () =>
            processor.post_process_grounded_object_detection({ logits: new Tensor('float32', out.logits, [1, Q, T]), pred_boxes: new Tensor('float32', out.boxes, [1, Q, 4]) }, inputIds, {
              box_threshold: boxT,
              text_threshold: textT,
              target_sizes: [[img.height, img.width]],
            });
          if (crash) {
            tally.predictedCrashes++;
            expect(call).toThrow('token_ids must be a non-empty array of integers');
            tally.crashes++;
            continue;
          }
          const theirs = call()[0]!;
          // Their outputs are the queries whose best token (any column) is above box_t, in query order.
          const keptQ: number[] = [];
          for (let q = 0; q < Q; q++) {
            let m = 0;
            for (let t = 0; t < T; t++) m = Math.max(m, sig(out.logits[q * T + t]!));
            if (m > boxT) keptQ.push(q);
          }
          expect(theirs.scores).toHaveLength(keptQ.length);
          const clip = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
          let ourKeeps = 0;
          keptQ.forEach((q, i) => {
            const [x1, y1, x2, y2] = theirs.boxes[i]!.map((v, k) => clip(v, k % 2 === 0 ? img.width : img.height)) as [number, number, number, number];
            let phraseBest = 0;
            let phrase = -1;
            enc.spans.forEach((span, p) => {
              for (const t of span) {
                const v = sig(out.logits[q * T + t]!);
                if (v > phraseBest) [phraseBest, phrase] = [v, p];
              }
            });
            if (!(phraseBest > boxT && phraseBest > textT)) {
              // Kept by them on a "." / [CLS] / [SEP] column; never by us.
              tally.theirsKeptOnSpecial++;
              return;
            }
            ourKeeps++;
            const d = ours.find((o) => Math.abs(o.x - x1) < 1e-3 && Math.abs(o.y - y1) < 1e-3 && Math.abs(o.x + o.width - x2) < 1e-3 && Math.abs(o.y + o.height - y2) < 1e-3);
            expect(d, `${rel} "${prompt}" ${boxT}/${textT}: query ${q} kept by both`).toBeDefined();
            expect(d!.label).toBe(enc.phrases[phrase]);
            expect(d!.score).toBeCloseTo(phraseBest, 6);
            // Same score where the query's best token is in a phrase (their score: best of all columns).
            if (Math.abs(theirs.scores[i]! - phraseBest) < 1e-6) tally.compared++;
            else expect(theirs.scores[i]!).toBeGreaterThan(phraseBest);
            // Their label decodes the tokens above text_threshold; where those are exactly one
            // phrase's tokens, it is that phrase, and so is ours. (Else it is part of a phrase or a
            // merge, e.g. "spur" from the first token of "spurious copper".)
            const above: number[] = [];
            for (let t = 1; t < T - 1; t++) if (sig(out.logits[q * T + t]!) > textT) above.push(t);
            const whole = enc.spans.findIndex((span) => span.length === above.length && span.every((t, k) => t === above[k]));
            if (whole >= 0) {
              expect(theirs.labels[i]!.trim()).toBe(enc.phrases[whole]);
              expect(d!.label).toBe(enc.phrases[whole]);
              tally.sameLabel++;
            } else tally.labelsNotAPhrase++;
          });
          // Every box we keep, they keep (our score is at most theirs).
          expect(ours).toHaveLength(ourKeeps);
        }
      }
    }
    console.log('transformers.js oracle:', JSON.stringify(tally));
    expect(tally.compared).toBeGreaterThan(20);
    expect(tally.sameLabel).toBeGreaterThan(10);
    expect(tally.crashes).toBe(tally.predictedCrashes);
  });
});
