/**
 * Inspection → history, through the real host, worker and SQLite: every image becomes a run whose
 * record matches what the renderer was shown (probabilities, provider, file hash, raw map), failed
 * files become error records, and the audit chain verifies afterwards.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHost } from '../../../src/host/createHost';
import { nodeWorkerLauncher } from '../../../src/host/nodeWorker';
import { appPaths } from '../../../src/host/paths';
import { classifierPack, imageDir } from '../../unit/engine/support';

describe('inspect.run records into the history', () => {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'inspector-record-'));
  const paths = appPaths(undefined, dataDir);
  const host = createHost(paths, nodeWorkerLauncher(paths.appRoot), 'media:');
  afterAll(() => host.close());

  it('records each image as a run with its hash, probabilities and raw map, and each failure as an error', async () => {
    const pack = await classifierPack('resnet-mini');
    const folder = mkdtempSync(join(os.tmpdir(), 'inspector-record-images-'));
    copyFileSync(join(imageDir, 'defect_4.png'), join(folder, 'part-001_top.png'));
    copyFileSync(join(imageDir, 'normal_0.png'), join(folder, 'part-002_top.png'));
    writeFileSync(join(folder, 'part-003_top.png'), Buffer.from('\x89PNG\r\n\x1a\n truncated'));
    host.grants.grant(folder);
    host.grants.grant(pack.dir);

    const out = await host.handlers['inspect.run']({ paths: [folder], pack: pack.dir, method: 'gradcam' });
    expect(out.results).toHaveLength(3);
    const [a, b, bad] = out.results;
    expect(a!.runId).toBeGreaterThan(0);
    expect(b!.runId).toBeGreaterThan(a!.runId!);
    expect(bad!.error?.code).toMatch(/^IMAGE_/);
    expect(bad!.runId).toBeUndefined();

    const run = await host.handlers['history.run']({ runId: a!.runId! });
    const file = join(folder, 'part-001_top.png');
    expect(run.image).toMatchObject({ sourcePath: file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex'), format: 'png' });
    expect(run.run.provider).toBe('cpu');
    expect(run.run.packName).toBe(a!.pack.name);
    const c = a!.classification!;
    expect(run.run.verdict).toBe(c.topLabel);
    expect(Object.keys(run.run.probabilities)).toEqual(c.labels);
    c.labels.forEach((l, i) => expect(run.run.probabilities[l]).toBeCloseTo(c.probabilities[i]!, 12));
    expect(run.run.configHash).toBe(out.configSha256);
    expect(run.run.packHashes['pack.yaml']).toBe(a!.pack.manifestSha256);

    // The raw map kept in the blob store is byte-for-byte the map the renderer received.
    const blob = run.run.explanation?.blob;
    expect(blob).toMatch(/^[0-9a-f]{64}$/);
    const kept = host.history.get().blobs.get(blob!);
    const shown = host.media.get(a!.heatmap!.mediaId)!.bytes;
    expect(Buffer.compare(Buffer.from(kept), Buffer.from(shown.buffer, shown.byteOffset, shown.byteLength))).toBe(0);

    const errors = host.history.get().db.prepare('SELECT stage, code, source_path FROM errors').all() as { stage: string; code: string; source_path: string }[];
    expect(errors).toEqual([{ stage: 'validation', code: bad!.error!.code, source_path: join(folder, 'part-003_top.png') }]);
    expect(await host.handlers['audit.verify']({})).toMatchObject({ ok: true });
  });
});
