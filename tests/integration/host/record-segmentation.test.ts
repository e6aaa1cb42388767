/**
 * A segmentation pack through the whole host (worker, engine, history): the held-out BSData photo
 * with pitting (the parity fixture, written as a PNG) is recorded as a run whose regions carry
 * the class label and whose scores carry the pitting area, equal to what the engine returned;
 * the class mask is stored with the run (issue #15): reopened from History it is the live mask,
 * byte for byte, and `audit verify`'s blob check re-hashes it.
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
import { verifyBlobs } from '../../../src/core/history/index';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

describe('inspect.run records a segmentation pack', () => {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'inspector-record-seg-'));
  const paths = appPaths(undefined, dataDir);
  const host = createHost(paths, nodeWorkerLauncher(paths.appRoot), 'media:');
  afterAll(() => host.close());

  /** The held-out BSData photo with pitting, as a PNG in a granted folder; inspected through the host. */
  async function inspectPitting() {
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

    return host.handlers['inspect.run']({ paths: [folder], pack, method: 'gradcam' });
  }

  it('records regions labelled by class and the class area', async () => {
    const out = await inspectPitting();
    expect(out.results).toHaveLength(1);
    const r = out.results[0]!;
    expect(r.error).toBeUndefined();
    expect(r.decision).toBe('defect');
    const seg = r.segmentation!;
    expect(seg.regions.length).toBeGreaterThan(0);

    const run = await host.handlers['history.run']({ runId: r.runId! });
    // The class that decided and the pixel cut it used (pack.yaml: pitting at 0.7), as for a classifier.
    expect(run.run.verdict).toBe('pitting');
    expect(run.run.threshold).toBe(0.7);
    expect(run.run.thresholds).toMatchObject({ 'pixel.pitting': 0.7, minAreaModelPx: 2 });
    expect(run.run.regions).toEqual(seg.regions.map((g) => ({ box: g.box, label: 'pitting', score: g.score })));
    expect(run.run.scores['areaPx.pitting']).toBe(seg.areas['pitting']!.areaPx);
    // Whole source pixels: the mask is measured at model resolution, a fraction of a pixel says nothing.
    expect(Number.isInteger(seg.areas['pitting']!.areaPx)).toBe(true);
    for (const g of seg.regions) expect(Number.isInteger(g.areaPx)).toBe(true);
    expect(run.run.score).toBeCloseTo(seg.score, 6);
  });

  it('stores the mask with the run: reopened, it equals the live mask; a changed mask file fails the blob check', async () => {
    const out = await inspectPitting();
    const live = out.results[0]!;
    const liveMask = Buffer.from(host.media.get(live.segmentation!.mask!.mediaId)!.bytes);
    expect(liveMask.some((v) => v !== 255)).toBe(true); // the photo has pitting: the mask is not empty

    const reopened = await host.handlers['images.openRun']({ runId: live.runId! });
    expect(reopened.heatmapError).toBeUndefined();
    const m = reopened.mask!;
    expect(m).toMatchObject({ width: live.segmentation!.mask!.width, height: live.segmentation!.mask!.height, classes: live.segmentation!.classes });
    expect(m.mediaId).not.toBe(live.segmentation!.mask!.mediaId);
    expect(Buffer.from(host.media.get(m.mediaId)!.bytes).equals(liveMask)).toBe(true);

    // The signed run names the mask's hash; the blob check re-reads and re-hashes its file.
    const store = host.history.get();
    const hash = (await host.handlers['history.run']({ runId: live.runId! })).run.explanation!.mask!.blob;
    expect(verifyBlobs(store.db, store.blobs).firstBreak).toBeNull();
    const changed = Buffer.from(liveMask);
    changed[0] = changed[0] === 0 ? 255 : 0;
    writeFileSync(store.blobs.pathOf(hash), gzipSync(changed));
    const broken = verifyBlobs(store.db, store.blobs).firstBreak;
    expect(broken?.code).toBe('AUDIT_BLOB_MISMATCH');
    expect(broken?.entityId).toBe(hash);
    const after = await host.handlers['images.openRun']({ runId: live.runId! });
    expect(after.mask).toBeUndefined();
    expect(after.heatmapError?.code).toBe('BLOB_CORRUPT');
  });
});
