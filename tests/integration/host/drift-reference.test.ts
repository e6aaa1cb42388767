/**
 * The drift baseline travels from pack creation to the history: `pack create --reference` keeps the
 * validation images' defect scores in pack.yaml; the first recording of that pack version stores
 * them, and the dashboard's drift compares recent scores against exactly those.
 */
import { copyFileSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHost } from '../../../src/host/createHost';
import { nodeWorkerLauncher } from '../../../src/host/nodeWorker';
import { appPaths } from '../../../src/host/paths';
import { Engine } from '../../../src/core/engine/engine';
import { classifierPack, imageDir } from '../../unit/engine/support';

describe('drift reference from pack.yaml to the history', () => {
  const paths = appPaths(undefined, mkdtempSync(join(os.tmpdir(), 'inspector-drift-ref-')));
  const host = createHost(paths, nodeWorkerLauncher(paths.appRoot), 'media:');
  afterAll(() => host.close());

  it('pack create --reference scores the validation images; recording stores them as the baseline', async () => {
    const validation = mkdtempSync(join(os.tmpdir(), 'inspector-validation-'));
    const files = readdirSync(imageDir).filter((f) => f.endsWith('.png'));
    for (const f of files) for (const copy of ['a', 'b']) copyFileSync(join(imageDir, f), join(validation, `${copy}-${f}`));
    const pack = await classifierPack('mobilenet-mini', { out: mkdtempSync(join(os.tmpdir(), 'inspector-refpack-')), reference: validation });

    const ref = pack.manifest.reference!;
    expect(ref.scores).toHaveLength(files.length * 2);
    // The baseline is what the pack itself computes on those images, not something estimated.
    const engine = new Engine();
    const direct = await engine.inspectFiles(pack, files.map((f) => join(imageDir, f)), { method: 'none' });
    await engine.close();
    const expected = direct.map((r) => r.defectScore!);
    // Sorted by name: a-* (the originals' order) then b-*; batches of different sizes agree to float error.
    for (const [i, s] of expected.entries()) {
      expect(ref.scores[i]).toBeCloseTo(s, 4);
      expect(ref.scores[files.length + i]).toBeCloseTo(s, 4);
    }

    host.grants.grant(imageDir);
    host.grants.grant(pack.dir);
    await host.handlers['inspect.run']({ paths: [join(imageDir, 'normal_0.png')], pack: pack.dir, method: 'none' });
    const stored = host.history.get().db.prepare('SELECT scores FROM pack_reference WHERE pack_name = ? AND pack_version = ?').get(pack.manifest.name, pack.manifest.version) as { scores: string };
    expect(JSON.parse(stored.scores)).toEqual(ref.scores);
    const stats = await host.handlers['history.stats']({});
    const drift = stats.drift.find((d) => d.pack === pack.manifest.name)!;
    expect(drift).toMatchObject({ referenceN: ref.scores.length, recentN: 1, status: 'insufficient-data' });
  });
});
