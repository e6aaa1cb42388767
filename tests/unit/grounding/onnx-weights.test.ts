/**
 * The benchmark's PyTorch reference without the training checkpoint: GroundingStandIn built from
 * training/grounding/net.py with its weights read from the shipped model.onnx's initializers
 * (training/grounding/onnx_weights.py: named tensors as they are, folded conv+BatchNorm pairs and
 * transposed Linear weights mapped) gives the same outputs as onnxruntime-node on that file —
 * same pixel tensors and token ids on both sides, compared order-invariantly (TopK ties).
 * Cases: the conformance fixture's images and prompts (PCB, CT, surface). Needs /usr/bin/python3
 * with torch and onnx (the project's Python reference tools); skipped with a message otherwise.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadImage } from '../../../src/core/engine/image';
import { GroundingModel } from '../../../src/core/grounding/model';
import { repoRoot } from '../../support/paths';
import { expectReferenceQueries, type RefQuery } from './queries';

const python = '/usr/bin/python3';
const torchReady = spawnSync(python, ['-c', 'import torch, onnx'], { encoding: 'utf8' }).status === 0;
if (!torchReady) console.warn('onnx-weights.test.ts skipped: needs /usr/bin/python3 with torch and onnx');

const packDir = join(repoRoot, 'models', 'defects-grounding');
const cases = (JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'torch-reference.json'), 'utf8')) as { cases: { image: string; prompt: string }[] }).cases;
const tmp = mkdtempSync(join(tmpdir(), 'grounding-onnx-weights-'));
const model = GroundingModel.open(packDir, 'onnx/model.onnx');
afterAll(async () => {
  await model.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!torchReady)('PyTorch with the weights of the shipped model.onnx equals onnxruntime', () => {
  it('on the fixture images × prompts', { timeout: 300_000 }, async () => {
    const runs = [];
    const feed = [];
    for (const [i, c] of cases.entries()) {
      const img = await loadImage(c.image.includes('/') ? join(repoRoot, c.image) : join(repoRoot, 'resources', 'samples', 'pcb-grounding', c.image));
      const enc = model.encoder.encode(c.prompt);
      const out = await model.forward(img, enc);
      const file = join(tmp, `pixels-${i}.f32`);
      const px = out.pixels.pixelValues;
      writeFileSync(file, Buffer.from(px.buffer, px.byteOffset, px.byteLength));
      feed.push({ pixels: file, height: out.pixels.height, width: out.pixels.width, input_ids: enc.ids });
      runs.push(out);
    }
    writeFileSync(join(tmp, 'cases.json'), JSON.stringify({ cases: feed }));
    const r = spawnSync(python, [join(repoRoot, 'training', 'grounding', 'onnx_reference.py'), join(packDir, 'onnx', 'model.onnx'), join(tmp, 'cases.json'), join(tmp, 'out.json')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const torch = JSON.parse(readFileSync(join(tmp, 'out.json'), 'utf8')) as { queries: number; cases: { queries: RefQuery[] }[] };
    expect(torch.cases.length).toBe(cases.length);
    expect(cases.length).toBeGreaterThanOrEqual(12);
    runs.forEach((out, i) => {
      expect(out.queries).toBe(torch.queries);
      // A case with no query above -inf would compare nothing: each has 100 real queries.
      expect(torch.cases[i]!.queries.filter((q) => q.logits.some(Number.isFinite)).length).toBe(100);
      expectReferenceQueries(out, torch.cases[i]!.queries);
    });
  });
});
