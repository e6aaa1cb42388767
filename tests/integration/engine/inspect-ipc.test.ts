/**
 * `inspect.run` end to end through the host and the real worker process: paths checked against the
 * grants, the engine run in the worker, heatmaps published as raw float32 media, not JSON.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHost } from '../../../src/host/createHost';
import { nodeWorkerLauncher } from '../../../src/host/nodeWorker';
import { appPaths } from '../../../src/host/paths';
import { InspectRunResult } from '../../../src/shared/inspect';
import { classifierPack, imageDir } from '../../unit/engine/support';

describe('inspect.run through host and worker', () => {
  // A fresh data folder: inspect.run records into the history there, never into the user's own.
  const paths = appPaths(undefined, mkdtempSync(join(os.tmpdir(), 'inspector-inspect-ipc-')));
  const host = createHost(paths, nodeWorkerLauncher(paths.appRoot), 'media:');
  afterAll(() => host.close());

  it('refuses paths the user did not choose', async () => {
    await expect(host.handlers['inspect.run']({ paths: [join(imageDir, 'defect_4.png')] })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });

  it('returns per-image results and case verdicts; the Grad-CAM map is float32 media at activation size', async () => {
    const pack = await classifierPack('resnet-mini');
    host.grants.grant(imageDir);
    host.grants.grant(pack.dir);
    const out = await host.handlers['inspect.run']({ paths: [join(imageDir, 'defect_4.png'), join(imageDir, 'normal_0.png')], pack: pack.dir, method: 'layercam' });
    expect(InspectRunResult.safeParse(out).success).toBe(true);
    expect(out.results).toHaveLength(2);
    const r = out.results[0]!;
    expect(r.provider).toBe('cpu');
    expect(r.pack.manifestSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.explanation).toMatchObject({ method: 'layercam', target: '/layer3/Relu_1_output_0' });
    expect(r.heatmap).toMatchObject({ kind: 'explanation', width: 8, height: 8, valid: true });
    const bytes = host.media.get(r.heatmap!.mediaId)!.bytes;
    expect(bytes.byteLength).toBe(8 * 8 * 4);
    const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    expect(values.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    expect(out.cases).toHaveLength(1);
    expect(out.cases[0]!.verdict.configSha256).toBe(out.configSha256);
    expect(JSON.stringify(out).length).toBeLessThan(20_000);
  });
});
