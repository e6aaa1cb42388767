/**
 * Pack validation beyond the manifest schema: the class output must match the labels (1 logit
 * under softmax is "100 %" whatever the image; a third logit with two labels is a phantom class),
 * label ids are unique, and every file the manifest names is contained in the pack on its real
 * path (a `model.onnx` symlinked out of the pack is refused). Each refusal has its own code, at
 * `pack check` and at every load. On main all of these loaded.
 */
import { readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { checkPack } from '../../../src/core/packs/check';
import { createPack } from '../../../src/core/packs/create';
import { loadPack } from '../../../src/core/packs/load';
import { classifierPack, onnxDir, scratch } from '../engine/support';

function editManifest(dir: string, edit: (doc: Record<string, unknown>) => void): void {
  const file = join(dir, 'pack.yaml');
  const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(doc);
  writeFileSync(file, stringify(doc));
}
const label = (id: string, severity = 'medium') => ({ id, display: { en: id }, severity });

describe('pack validation: outputs against labels, unique labels, real-path containment', () => {
  it('3 logits with 2 labels: PACK_OUTPUT_LABELS_MISMATCH at load and at pack check', async () => {
    const pack = await classifierPack('resnet-mini');
    editManifest(pack.dir, (m) => (m['labels'] = [label('ok', 'none'), label('scratch')]));
    expect(() => loadPack(pack.dir)).toThrow(expect.objectContaining({ code: 'PACK_LABELS_MISMATCH', details: expect.objectContaining({ classes: 3, labels: 2 }) }));
    const checked = await checkPack(pack.dir);
    expect(checked.ok).toBe(false);
    expect(checked.error?.code).toBe('PACK_LABELS_MISMATCH');
  });

  it('1 logit with 2 labels under softmax is refused; one label with a sigmoid head is a valid defect score', async () => {
    const out = scratch('one-logit');
    await expect(createPack({ onnx: join(onnxDir, 'one-logit.onnx'), kind: 'classifier', labels: ['ok', 'defect'], out })).rejects.toMatchObject({
      code: 'PACK_LABELS_MISMATCH',
    });
    // One label on one logit: pack create chose softmax (no Sigmoid node in the graph), which is refused.
    await expect(createPack({ onnx: join(onnxDir, 'one-logit.onnx'), kind: 'classifier', labels: ['defect'], out })).rejects.toMatchObject({
      code: 'PACK_HEAD_MISMATCH',
    });
    // The written folder made valid by hand, then edited the way a hand-written pack would be.
    editManifest(out, (m) => {
      m['labels'] = [label('defect', 'high')];
      m['decision'] = { activation: 'sigmoid', low: 0.5, high: 0.5 };
    });
    const ok = loadPack(out);
    expect(ok.manifest.labels.map((l) => l.id)).toEqual(['defect']);
    editManifest(out, (m) => (m['decision'] = { activation: 'softmax', low: 0.5, high: 0.5 }));
    expect(() => loadPack(out)).toThrow(expect.objectContaining({ code: 'PACK_HEAD_MISMATCH' }));
    editManifest(out, (m) => {
      m['labels'] = [label('ok', 'none'), label('defect', 'high')];
      m['decision'] = { activation: 'sigmoid', low: 0.5, high: 0.5 };
    });
    expect(() => loadPack(out)).toThrow(expect.objectContaining({ code: 'PACK_LABELS_MISMATCH', details: expect.objectContaining({ classes: 1, labels: 2 }) }));
  });

  it('duplicate label ids: PACK_LABELS_DUPLICATE', async () => {
    const pack = await classifierPack('resnet-mini');
    editManifest(pack.dir, (m) => (m['labels'] = [label('ok', 'none'), label('dent'), label('dent')]));
    expect(() => loadPack(pack.dir)).toThrow(expect.objectContaining({ code: 'PACK_LABELS_DUPLICATE' }));
    expect((await checkPack(pack.dir)).error?.code).toBe('PACK_LABELS_DUPLICATE');
  });

  it('a model.onnx symlinked out of its pack (same bytes, so the hash matches) is refused: PACK_FILE_OUTSIDE', async () => {
    const pack = await classifierPack('resnet-mini');
    const model = join(pack.dir, pack.manifest.model);
    const elsewhere = join(scratch('outside-model'), 'model.onnx');
    renameSync(model, elsewhere);
    symlinkSync(elsewhere, model);
    expect(() => loadPack(pack.dir)).toThrow(expect.objectContaining({ code: 'PACK_FILE_OUTSIDE' }));
  });
});
