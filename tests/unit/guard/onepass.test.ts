/**
 * The guard's activations come from the engine's own inference run: a guarded inspection opens one
 * onnxruntime session per pack (the inference one, with the guard's tensors on its fetch list), not
 * a second guard session with its own forward pass — and the statistic is the same value the
 * separate pass gives.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GRADIENT_GRAPH_KEY } from '../../../src/core/engine/classifier';
import { Engine } from '../../../src/core/engine/engine';
import { loadImage } from '../../../src/core/engine/image';
import { SessionCache } from '../../../src/core/engine/session';
import { guardImages, guardTensors, type GuardCheck } from '../../../src/core/guard/guard';
import { loadPack } from '../../../src/core/packs/load';
import { repoRoot } from '../../support/paths';

const samples = (dir: string) =>
  readdirSync(join(repoRoot, 'resources', 'samples', dir))
    .filter((f) => /\.(png|jpe?g)$/i.test(f))
    .sort()
    .slice(0, 3)
    .map((f) => join(repoRoot, 'resources', 'samples', dir, f));

describe('input guard in the same forward pass as inference', () => {
  for (const name of ['surface-pitting-ae', 'battery-ct-porosity']) {
    it(`${name}: one session, statistic equal to the guard's own pass`, async () => {
      const pack = loadPack(join(repoRoot, 'models', name));
      expect(guardTensors(pack).length).toBeGreaterThan(0);
      const engine = new Engine();
      const own = new SessionCache();
      try {
        const files = samples(name);
        const rs = await engine.inspectFiles(pack, files);
        for (const r of rs) {
          expect(r.error, r.source).toBeUndefined();
          expect(r.guard?.statistic?.feature).toBe('layers');
        }
        // Before: the inference session and the guard's own session (a second forward pass). The
        // explanation's gradient graph (battery pack) is a different, smaller model in a session of
        // its own: it is not a forward pass of model.onnx.
        const passes = engine.cache.keys().filter((k) => !k.startsWith(GRADIENT_GRAPH_KEY));
        expect(passes).toHaveLength(1);
        const images = await Promise.all(files.map((f) => loadImage(f)));
        // One image at a time: a pack exported with a fixed batch of 1 takes no more.
        const separate: GuardCheck[] = [];
        for (const img of images) separate.push((await guardImages(pack, [img], { cache: own }))![0]!);
        expect(own.size).toBe(1);
        rs.forEach((r, i) => {
          const a = r.guard!.statistic!.value;
          const b = separate![i]!.statistic!.value;
          expect(Math.abs(a - b) / Math.max(1e-9, Math.abs(b))).toBeLessThan(1e-3);
          expect(r.guard!.outOfDistribution).toBe(separate![i]!.outOfDistribution);
        });
      } finally {
        await engine.close();
        await own.clear();
      }
    }, 120_000);
  }
});
