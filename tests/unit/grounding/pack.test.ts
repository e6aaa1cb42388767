/**
 * Pack kind `grounding`: `pack create --hf DIR --kind grounding` wraps a public export folder; every
 * missing or wrong file of the layout is refused with a coded error naming it; a tampered file is
 * caught by its hash; dtype variants are selectable; the IDEA-Research contract is detected and run
 * with its own inputs, giving the same boxes as the HF contract of the same weights.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadImage } from '../../../src/core/engine/image';
import { LAYOUT_FILES, readGroundingFolder } from '../../../src/core/grounding/folder';
import { GroundingModel } from '../../../src/core/grounding/model';
import { createGroundingPack } from '../../../src/core/grounding/pack';
import { checkPack } from '../../../src/core/packs/check';
import { loadPack } from '../../../src/core/packs/load';
import { repoRoot } from '../../support/paths';

const shipped = join(repoRoot, 'models', 'defects-grounding');
const work = join(repoRoot, 'training', 'work', 'defects-grounding');
const sample = join(repoRoot, 'resources', 'samples', 'pcb-grounding', '20085291_test.jpg');
const PROMPT = 'open circuit . short . mouse bite . spur . spurious copper . pin hole .';
const tmp = mkdtempSync(join(tmpdir(), 'inspector-grounding-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A public-layout export folder made of the shipped pack's files (model as onnx/model.onnx). */
function exportFolder(name: string, model = join(shipped, 'onnx', 'model.onnx'), target = 'onnx/model.onnx'): string {
  const dir = join(tmp, name);
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  for (const f of LAYOUT_FILES) copyFileSync(join(shipped, f), join(dir, f));
  copyFileSync(model, join(dir, target));
  return dir;
}

describe('pack create --kind grounding', () => {
  it('wraps an export folder into a pack that loads and passes pack check', async () => {
    const out = join(tmp, 'pack-a');
    const pack = createGroundingPack({ hf: exportFolder('hf-a'), out, prompt: 'Short . Spur', boxThreshold: 0.3, textThreshold: 0.2, nmsIou: 0.5, name: 'pcb-a' });
    const m = pack.manifest;
    expect(m.kind).toBe('grounding');
    expect(m.model).toBe('onnx/model.onnx');
    expect(m.input.name).toBe('pixel_values');
    expect(m.input.size).toEqual([640, 640]);
    expect(m.outputs).toEqual([{ name: 'logits', meaning: 'logits' }, { name: 'pred_boxes', meaning: 'boxes' }]);
    expect(m.grounding).toEqual({ prompt: 'short . spur .', boxThreshold: 0.3, textThreshold: 0.2, nmsIou: 0.5, dtype: 'fp32', variant: 'hf' });
    expect(Object.keys(m.files).sort()).toEqual([...LAYOUT_FILES, 'onnx/model.onnx'].sort());
    // The pack folder is itself a valid export folder.
    expect(readGroundingFolder(out).variants).toEqual(['fp32']);
    const check = await checkPack(out);
    expect(check.error).toBeUndefined();
    expect(check.ok).toBe(true);
    expect(check.lines.join('\n')).toMatch(/grounding: hf contract, fp32, prompt "short \. spur \."/);
  });

  it.each([...LAYOUT_FILES, 'onnx/model.onnx'])('names a missing %s', (file) => {
    const hf = exportFolder(`hf-missing-${file.replace(/\W/g, '_')}`);
    rmSync(join(hf, file));
    expect(() => createGroundingPack({ hf, out: join(tmp, `out-${file.replace(/\W/g, '_')}`), prompt: PROMPT })).toThrow(
      expect.objectContaining({ code: 'GROUNDING_FILE_MISSING', details: expect.objectContaining({ file }) }),
    );
  });

  it('names a wrong config.json, tokenizer_config.json, vocab.txt or preprocessor_config.json', () => {
    const cases: [string, string, RegExp][] = [
      ['config.json', JSON.stringify({ model_type: 'owlvit' }), /model_type is "owlvit"/],
      ['config.json', '{ not json', /not valid JSON/],
      ['tokenizer_config.json', JSON.stringify({ do_lower_case: true }), /tokenizer_class/],
      ['vocab.txt', 'a\nb\n', /disagrees|entries/],
      ['preprocessor_config.json', JSON.stringify({ size: 'big' }), /size must be/],
    ];
    cases.forEach(([file, text, why], i) => {
      const hf = exportFolder(`hf-wrong-${i}`);
      writeFileSync(join(hf, file), text);
      let err: unknown;
      try {
        createGroundingPack({ hf, out: join(tmp, `out-wrong-${i}`), prompt: PROMPT });
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'GROUNDING_FILE_INVALID', details: { file } });
      expect((err as Error).message).toMatch(why);
    });
  });

  it('catches a pack file changed after creation, naming it', () => {
    const out = join(tmp, 'pack-tamper');
    createGroundingPack({ hf: exportFolder('hf-tamper'), out, prompt: PROMPT });
    const cfg = join(out, 'preprocessor_config.json');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('640', '800'));
    expect(() => loadPack(out)).toThrow(expect.objectContaining({ code: 'PACK_HASH_MISMATCH', details: expect.objectContaining({ file: 'preprocessor_config.json' }) }));
  });

  it('refuses a dtype the folder lacks, listing those it has', () => {
    expect(() => createGroundingPack({ hf: exportFolder('hf-dtype'), out: join(tmp, 'out-dtype'), prompt: PROMPT, dtype: 'q4f16' })).toThrow(
      expect.objectContaining({ code: 'GROUNDING_FILE_MISSING', details: expect.objectContaining({ file: 'onnx/model_q4f16.onnx', variants: ['fp32'] }) }),
    );
  });

  it('refuses a prompt longer than 256 tokens', () => {
    const long = Array.from({ length: 140 }, (_, i) => `defect${i}`).join(' . ');
    expect(() => createGroundingPack({ hf: exportFolder('hf-long'), out: join(tmp, 'out-long'), prompt: long })).toThrow(expect.objectContaining({ code: 'GROUNDING_PROMPT_TOO_LONG' }));
  });
});

const hasWork = existsSync(join(work, 'hf', 'onnx', 'model_fp16.onnx')) && existsSync(join(work, 'idea', 'model.onnx'));

describe.skipIf(!hasWork)('variants built by training/grounding/build.py (needs training/work)', () => {
  it('selects the fp16 variant, whose boxes agree with fp32', async () => {
    const hf = join(work, 'hf');
    const p16 = createGroundingPack({ hf, out: join(tmp, 'pack-fp16'), prompt: PROMPT, dtype: 'fp16', boxThreshold: 0.2 });
    expect(p16.manifest.model).toBe('onnx/model_fp16.onnx');
    expect(Object.keys(p16.manifest.files)).not.toContain('onnx/model.onnx');
    const img = await loadImage(sample);
    const a = GroundingModel.open(join(tmp, 'pack-fp16'), 'onnx/model_fp16.onnx');
    const b = GroundingModel.open(shipped, 'onnx/model.onnx');
    const o = { boxThreshold: 0.2, textThreshold: 0.2, nmsIou: 0.5 };
    const [da, db] = [await a.detect(img, PROMPT, o), await b.detect(img, PROMPT, o)];
    expect(da.detections.length).toBeGreaterThan(0);
    expect(da.detections.map((d) => d.label)).toEqual(db.detections.map((d) => d.label));
    da.detections.forEach((d, i) => expect(Math.abs(d.score - db.detections[i]!.score)).toBeLessThan(0.02));
    await a.close();
    await b.close();
  });

  it('detects the IDEA-Research contract and feeds it position_ids and text_token_mask', async () => {
    const hf = exportFolder('hf-idea', join(work, 'idea', 'model.onnx'));
    const pack = createGroundingPack({ hf, out: join(tmp, 'pack-idea'), prompt: PROMPT });
    expect(pack.manifest.grounding!.variant).toBe('idea');
    expect(pack.manifest.input.name).toBe('img');
    expect(pack.manifest.outputs.map((o) => o.name)).toEqual(['logits', 'boxes']);
    const img = await loadImage(sample);
    const idea = GroundingModel.open(join(tmp, 'pack-idea'), 'onnx/model.onnx');
    const hfm = GroundingModel.open(shipped, 'onnx/model.onnx');
    const enc = hfm.encoder.encode(PROMPT);
    const [ri, rh] = [await idea.forward(img, enc), await hfm.forward(img, enc)];
    // Same weights: identical outputs iff our position ids and mask equal the in-graph ones.
    let maxDiff = 0;
    for (let q = 0; q < rh.queries; q++) for (let t = 0; t < enc.ids.length; t++) maxDiff = Math.max(maxDiff, Math.abs(ri.logits[q * ri.textLen + t]! - rh.logits[q * rh.textLen + t]!));
    expect(maxDiff).toBeLessThan(1e-4);
    await idea.close();
    await hfm.close();
  });
});

describe('copying a pack folder keeps it valid', () => {
  it('loads from a copy (paths are relative to the pack)', () => {
    const dst = join(tmp, 'copy');
    cpSync(shipped, dst, { recursive: true });
    expect(loadPack(dst).manifest.kind).toBe('grounding');
  });
});

describe('pack check on a bare export folder', () => {
  it('checks the layout and each variant\'s contract, or names the missing file', async () => {
    const hf = exportFolder('hf-bare');
    const ok = await checkPack(hf);
    expect(ok.ok).toBe(true);
    expect(ok.lines.join('\n')).toMatch(/onnx\/model\.onnx: hf contract \(pixel_values → logits, pred_boxes\)/);
    rmSync(join(hf, 'preprocessor_config.json'));
    const bad = await checkPack(hf);
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatchObject({ code: 'GROUNDING_FILE_MISSING', details: { file: 'preprocessor_config.json' } });
  });
});
