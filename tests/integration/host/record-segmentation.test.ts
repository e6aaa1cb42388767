/**
 * A segmentation pack through the whole host (worker, engine, history): the held-out BSData photo
 * with pitting (the parity fixture, written as a PNG) is recorded as a run whose regions carry
 * the class label and whose scores carry the pitting area, equal to what the engine returned.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { createHost } from '../../../src/host/createHost';
import { nodeWorkerLauncher } from '../../../src/host/nodeWorker';
import { appPaths } from '../../../src/host/paths';
import { repoRoot } from '../../support/paths';
import { readNpy } from '../../unit/segmentation/npy';

describe('inspect.run records a segmentation pack', () => {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'inspector-record-seg-'));
  const paths = appPaths(undefined, dataDir);
  const host = createHost(paths, nodeWorkerLauncher(paths.appRoot), 'media:');
  afterAll(() => host.close());

  it('records regions labelled by class and the class area', async () => {
    const input = readNpy(join(repoRoot, 'tests', 'fixtures', 'segmentation', 'input.npy'));
    const [, c, h, w] = input.shape as [number, number, number, number];
    const rgb = Buffer.alloc(h * w * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < 3; k++) rgb[(y * w + x) * 3 + k] = Math.round(input.data[k * h * w + y * w + x]! * 255);
    expect(c).toBe(3);
    const folder = mkdtempSync(join(os.tmpdir(), 'inspector-seg-images-'));
    await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toFile(join(folder, 'screw-001_side.png'));
    const pack = join(repoRoot, 'models', 'surface-pitting-seg');
    host.grants.grant(folder);
    host.grants.grant(pack);

    const out = await host.handlers['inspect.run']({ paths: [folder], pack, method: 'gradcam' });
    expect(out.results).toHaveLength(1);
    const r = out.results[0]!;
    expect(r.error).toBeUndefined();
    expect(r.decision).toBe('defect');
    const seg = r.segmentation!;
    expect(seg.regions.length).toBeGreaterThan(0);

    const run = await host.handlers['history.run']({ runId: r.runId! });
    expect(run.run.verdict).toBe('anomalous');
    expect(run.run.regions).toEqual(seg.regions.map((g) => ({ box: g.box, label: 'pitting', score: g.score })));
    expect(run.run.scores['areaPx.pitting']).toBeCloseTo(seg.areas['pitting']!.areaPx, 6);
    expect(run.run.score).toBeCloseTo(seg.score, 6);
  });
});
