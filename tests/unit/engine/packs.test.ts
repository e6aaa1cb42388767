import { readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GRADIENT_GRAPH_KEY } from '../../../src/core/engine/classifier';
import { Engine } from '../../../src/core/engine/engine';
import { loadImage } from '../../../src/core/engine/image';
import { createSession } from '../../../src/core/engine/session';
import { checkPack } from '../../../src/core/packs/check';
import { createPack } from '../../../src/core/packs/create';
import { discoverPacks } from '../../../src/core/packs/discover';
import { loadPack } from '../../../src/core/packs/load';
import { classifierPack, imageDir, onnxDir, scratch } from './support';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('pack validation', () => {
  it('a created pack loads, checks and is discovered with its header', async () => {
    const pack = await classifierPack('resnet-mini', { name: 'Resnet Mini', version: '1.2.0' });
    expect(pack.manifest.name).toBe('resnet-mini');
    expect(discoverPacks([{ dir: join(pack.dir, '..'), source: 'user' }]).find((p) => p.dir === pack.dir)).toMatchObject({ name: 'resnet-mini', version: '1.2.0', kind: 'classifier' });
    const report = await checkPack(pack.dir, new Engine({ providers: ['cpu'] }));
    expect(report.error).toBeUndefined();
    expect(report.ok).toBe(true);
  });

  it('missing file, hash mismatch, wrong input size, unknown output, bad schema: each its own code', async () => {
    const pack = await classifierPack('mobilenet-mini');
    const yaml = readFileSync(join(pack.dir, 'pack.yaml'), 'utf8');
    const model = readFileSync(join(pack.dir, 'model.onnx'));

    writeFileSync(join(pack.dir, 'pack.yaml'), yaml.replace(/size:\n\s+- 64\n\s+- 64/, 'size: [32, 32]'));
    expect(codeOf(() => loadPack(pack.dir))).toBe('PACK_INPUT_SHAPE');
    writeFileSync(join(pack.dir, 'pack.yaml'), yaml.replace('name: logits', 'name: scores'));
    expect(codeOf(() => loadPack(pack.dir))).toBe('PACK_UNKNOWN_OUTPUT');
    writeFileSync(join(pack.dir, 'pack.yaml'), yaml.replace('kind: classifier', 'kind: toaster'));
    expect(codeOf(() => loadPack(pack.dir))).toBe('PACK_MANIFEST_INVALID');
    writeFileSync(join(pack.dir, 'pack.yaml'), yaml.replace(/target: .*/, 'target: /no/such/tensor'));
    expect(codeOf(() => loadPack(pack.dir))).toBe('PACK_UNKNOWN_TARGET');
    writeFileSync(join(pack.dir, 'pack.yaml'), yaml);

    appendFileSync(join(pack.dir, 'model.onnx'), Buffer.from([0]));
    expect(codeOf(() => loadPack(pack.dir))).toBe('PACK_HASH_MISMATCH');
    rmSync(join(pack.dir, 'model.onnx'));
    expect(codeOf(() => loadPack(pack.dir))).toBe('PACK_FILE_MISSING');
    writeFileSync(join(pack.dir, 'model.onnx'), model);
    expect(loadPack(pack.dir).manifest.name).toBe('mobilenet-mini');
    rmSync(join(pack.dir, 'pack.yaml'));
    expect(codeOf(() => loadPack(pack.dir))).toBe('PACK_MANIFEST_MISSING');
  });

  it('pack create refuses a label count that does not match the model', async () => {
    await expect(classifierPack('resnet-mini', { labels: ['a', 'b'] })).rejects.toMatchObject({ code: 'PACK_LABELS_MISMATCH' });
  });

  it('a file that is not ONNX is refused with ONNX_INVALID', async () => {
    const dir = scratch('not-onnx');
    const fake = join(dir, 'fake.onnx');
    writeFileSync(fake, 'this is not a model');
    await expect(createPack({ onnx: fake, kind: 'classifier', labels: ['a'], out: join(dir, 'p') })).rejects.toMatchObject({ code: 'ONNX_INVALID' });
  });
});

describe('bad model outputs', () => {
  it('NaN logits give MODEL_OUTPUT_NOT_FINITE per image, and no map or region is drawn', async () => {
    const pack = await createPack({ onnx: join(onnxDir, 'nan-model.onnx'), kind: 'classifier', labels: ['a', 'b', 'c'], out: scratch('nan'), inputSize: [64, 64] });
    const engine = new Engine({ providers: ['cpu'] });
    const img = await loadImage(join(imageDir, 'normal_0.png'));
    const [r] = await engine.inspectImages(pack, [img], { method: 'eigencam' });
    expect(r!.decision).toBe('error');
    expect(r!.error?.code).toBe('MODEL_OUTPUT_NOT_FINITE');
    expect(r!.regions).toEqual([]);
    await engine.close();
  });
});

describe('execution providers', () => {
  it('CUDA requested without its libraries falls back to CPU with a logged reason; the result names CPU', async () => {
    const log: string[] = [];
    const model = new Uint8Array(readFileSync(join(onnxDir, 'resnet-mini.onnx')));
    const s = await createSession(model, { providers: ['cuda', 'cpu'], log: (l) => log.push(l) });
    expect(s.provider).toBe('cpu');
    expect(s.attempts[0]).toMatchObject({ provider: 'cuda', ok: false });
    expect(s.attempts[0]!.reason).toBeTruthy();
    expect(log.join('\n')).toMatch(/cuda/);
    await s.session.release();

    const pack = await classifierPack('resnet-mini');
    const engine = new Engine({ providers: ['cuda', 'cpu'] });
    const [r] = await engine.inspectImages(pack, [await loadImage(join(imageDir, 'defect_4.png'))]);
    expect(r!.provider).toBe('cpu');
    expect(r!.providerAttempts.map((a) => a.provider)).toEqual(['cuda', 'cpu']);
    await engine.close();
  });

  it('sessions are created once per pack and variant and reused', async () => {
    const pack = await classifierPack('densenet-mini');
    const engine = new Engine({ providers: ['cpu'] });
    const img = await loadImage(join(imageDir, 'defect_5.png'));
    // Forward passes of model.onnx; the explanation's gradient graph has sessions of its own.
    const passes = () => engine.cache.keys().filter((k) => !k.startsWith(GRADIENT_GRAPH_KEY));
    await engine.inspectImages(pack, [img], { method: 'gradcam' });
    await engine.inspectImages(pack, [img, img], { method: 'layercam' });
    expect(passes()).toHaveLength(1);
    const all = engine.cache.size;
    await engine.inspectImages(pack, [img], { method: 'gradcam' });
    expect(engine.cache.size).toBe(all);
    await engine.inspectImages(pack, [img], { method: 'none' });
    expect(passes()).toHaveLength(2);
    await engine.close();
  });
});
