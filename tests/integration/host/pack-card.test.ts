/** `packs.card` through the real host and worker: display facts come from the pack's own files. */
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPack } from '../../../src/core/packs/create';
import { createHost } from '../../../src/host/createHost';
import { nodeWorkerLauncher } from '../../../src/host/nodeWorker';
import { appPaths } from '../../../src/host/paths';
import { onnxDir } from '../../unit/engine/support';

describe('packs.card', () => {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'inspector-card-'));
  const paths = appPaths(undefined, dataDir);
  const host = createHost(paths, nodeWorkerLauncher(paths.appRoot), 'media:');
  afterAll(() => host.close());

  it('returns the installed pack’s class names in English and Korean and its model card', async () => {
    mkdirSync(paths.userModelsDir, { recursive: true });
    const dir = join(paths.userModelsDir, 'card-test');
    await createPack({ onnx: join(onnxDir, 'resnet-mini.onnx'), kind: 'classifier', name: 'card-test', labels: ['ok', 'scratch', 'dent'], out: dir });
    const card = await host.handlers['packs.card']({ name: 'card-test' });
    expect(card).toMatchObject({ name: 'card-test', kind: 'classifier' });
    expect(card.labels.map((l) => l.id)).toEqual(['ok', 'scratch', 'dent']);
    expect(card.labels[0]!.display.en).toBeTruthy();
    await expect(host.handlers['packs.card']({ name: 'no-such-pack' })).rejects.toMatchObject({ code: 'PACK_NOT_FOUND' });
  });

  it('reads the shipped packs’ titles and model cards', async () => {
    const packs = (await host.handlers['packs.list']({})).filter((p) => p.source === 'app' && !p.error);
    for (const p of packs) {
      const card = await host.handlers['packs.card']({ name: p.name });
      expect(card.version).toBe(p.version);
      if (card.title) expect(card.title.en.length).toBeGreaterThan(0);
    }
    const chest = packs.find((p) => p.name === 'chest-xray-pneumonia');
    if (chest) {
      const card = await host.handlers['packs.card']({ name: chest.name });
      expect(card.labels.find((l) => l.id === 'pneumonia')?.display.ko).toBe('폐렴 (데모)');
      expect(card.modelCard).toMatch(/## Intended use/);
    }
  });
});
