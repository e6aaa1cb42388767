/**
 * The app's path (`inspect.run` through the host and the real worker): a folder with one good image
 * and broken ones gives an INCOMPLETE case that satisfies the IPC contract, with every failure and
 * the skipped non-image in the answer and in the history (file, code, case).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listFailedImages } from '../../../src/core/history/index';
import { createHost } from '../../../src/host/createHost';
import { nodeWorkerLauncher } from '../../../src/host/nodeWorker';
import { appPaths } from '../../../src/host/paths';
import { InspectRunResult } from '../../../src/shared/inspect';
import { brokenFolder } from '../cli/support';

describe('inspect.run: no verdict without evidence', () => {
  const data = mkdtempSync(join(os.tmpdir(), 'inspector-incomplete-ipc-'));
  const paths = appPaths(undefined, data);
  const host = createHost(paths, nodeWorkerLauncher(paths.appRoot), 'media:');
  afterAll(() => host.close());

  it('INCOMPLETE with each failure named; every failed and skipped file recorded', async () => {
    const part = join(data, 'in', 'part-9');
    const f = brokenFolder(part);
    host.grants.grant(join(data, 'in'));
    const out = await host.handlers['inspect.run']({ paths: [part], pack: 'battery-ct-porosity' });
    expect(InspectRunResult.safeParse(out).success).toBe(true);
    expect(out.cases).toHaveLength(1);
    const v = out.cases[0]!.verdict;
    expect(v.verdict).toBe('INCOMPLETE');
    expect(v.inspectedVerdict).toBe('PASS');
    expect(v.failedImages!.map((x) => x.source).sort()).toEqual(Object.values(f.broken).sort());
    expect(out.skipped).toEqual([expect.objectContaining({ path: f.notImage, code: 'INPUT_NOT_AN_IMAGE' })]);
    const recorded = listFailedImages(host.history.get().db);
    expect(recorded.rows.map((r) => r.sourcePath).sort()).toEqual([...Object.values(f.broken), f.notImage].sort());
    for (const r of recorded.rows) expect(r.caseKey).toBe(part);
  });
});
