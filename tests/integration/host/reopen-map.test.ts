/**
 * `images.openRun` brings a recorded run's heatmap back: real host, worker, engine and SQLite. The
 * republished map is byte-for-byte the live one, with the live scale, method, class and pack input
 * size; a run whose blob file is gone still reopens, with a coded reason instead of a map.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHost } from '../../../src/host/createHost';
import { nodeWorkerLauncher } from '../../../src/host/nodeWorker';
import { appPaths } from '../../../src/host/paths';
import { contract } from '../../../src/shared/contract';
import { classifierPack, imageDir } from '../../unit/engine/support';

describe('images.openRun republishes the recorded map', () => {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'inspector-reopen-map-'));
  const paths = appPaths(undefined, dataDir);
  const host = createHost(paths, nodeWorkerLauncher(paths.appRoot), 'media:');
  afterAll(() => host.close());

  it('same bytes, scale, method, class and input size as the live inspection; a lost blob is a coded error, not a failed reopen', async () => {
    const pack = await classifierPack('resnet-mini');
    const folder = mkdtempSync(join(os.tmpdir(), 'inspector-reopen-map-images-'));
    const file = join(folder, 'part-001_top.png');
    copyFileSync(join(imageDir, 'defect_4.png'), file);
    host.grants.grant(folder);
    host.grants.grant(pack.dir);
    const out = await host.handlers['inspect.run']({ paths: [file], pack: pack.dir, method: 'gradcam' });
    const live = out.results[0]!;
    expect(live.heatmap?.valid).toBe(true);

    const reopened = await host.handlers['images.openRun']({ runId: live.runId! });
    const h = reopened.heatmap!;
    expect(h).toMatchObject({
      kind: 'explanation',
      method: live.heatmap!.method,
      width: live.heatmap!.width,
      height: live.heatmap!.height,
      scale: live.heatmap!.scale,
      valid: true,
      inputSize: live.pack.inputSize,
      targetLabel: live.explanation!.targetLabel,
      // The trust figure (issue #15 §3) is recorded with the run and comes back with its map.
      trust: live.explanation!.trust,
    });
    expect(live.explanation!.trust?.metric).toBe('deletion-vs-random');
    expect(h.mediaId).not.toBe(live.heatmap!.mediaId);
    const bytes = (id: string) => Buffer.from(host.media.get(id)!.bytes);
    expect(bytes(h.mediaId).equals(bytes(live.heatmap!.mediaId))).toBe(true);
    expect(reopened.heatmapError).toBeUndefined();
    expect(contract['images.openRun'].output.safeParse(reopened).success).toBe(true);

    // The blob file is gone (a partial restore): the image and verdict still reopen.
    const blob = (await host.handlers['history.run']({ runId: live.runId! })).run.explanation!.blob!;
    rmSync(host.history.get().blobs.pathOf(blob));
    const without = await host.handlers['images.openRun']({ runId: live.runId! });
    expect(without.heatmap).toBeUndefined();
    expect(without.heatmapError?.code).toBe('BLOB_MISSING');
    expect(without.frames).toHaveLength(1);
  });
});
