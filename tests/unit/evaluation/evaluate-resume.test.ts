/**
 * An evaluation stopped after its first case (Ctrl-C) records no evaluation and keeps its finished
 * case; resumed, it inspects only the rest and then measures every image and case of the set.
 * Resuming a plain batch as an evaluation (or the reverse) is refused.
 */
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBatch } from '../../../src/host/batch';
import { createHost } from '../../../src/host/createHost';
import { runEvaluation } from '../../../src/host/evaluate';
import { HistoryAccess } from '../../../src/host/history';
import { nodeWorkerLauncher } from '../../../src/host/nodeWorker';
import { appPaths } from '../../../src/host/paths';

const paths = appPaths();
const host = createHost(paths, nodeWorkerLauncher(paths.appRoot), 'media:');
const roots = [{ dir: paths.appModelsDir, source: 'app' as const }];
afterAll(() => host.close());

describe('evaluate: stop and resume', () => {
  it('stops after a case, resumes the rest, then records one evaluation over the whole set', async () => {
    const root = mkdtempSync(join(os.tmpdir(), 'inspector-eval-resume-'));
    const samples = join(paths.resourcesDir, 'samples', 'battery-ct-porosity');
    for (const [cls, f] of [['normal', 'ct_slice2_normal_1.png'], ['normal', 'ct_slice2_normal_2.png'], ['porosity', 'ct_slice2_porosity_1.png'], ['porosity', 'ct_slice2_porosity_2.png']]) {
      mkdirSync(join(root, 'set', cls!), { recursive: true });
      copyFileSync(join(samples, f!), join(root, 'set', cls!, f!));
    }
    const history = new HistoryAccess(join(root, 'h.sqlite'));
    const ctx = { worker: host.worker, history, packRoots: roots };
    const req = { set: join(root, 'set'), packs: ['battery-ct-porosity'], bootstrapRounds: 50 };
    let cases = 0;
    const first = await runEvaluation(ctx, req, () => cases++, () => cases >= 1);
    expect(first.batch.stopped).toBe(true);
    expect(first.evaluationId).toBeNull();
    const db = history.get().db;
    expect(db.prepare('SELECT count(*) AS n FROM inference_runs').get()).toEqual({ n: 2 });
    expect(db.prepare('SELECT count(*) AS n FROM evaluations').get()).toEqual({ n: 0 });

    // The same batch cannot be resumed as a plain batch.
    await expect(runBatch({ worker: host.worker, history }, { paths: [req.set], packs: ['battery-ct-porosity'], resume: first.batch.batchId })).rejects.toMatchObject({ code: 'BATCH_RESUME_MISMATCH' });

    const second = await runEvaluation(ctx, { ...req, resume: first.batch.batchId });
    expect(second.batch).toMatchObject({ stopped: false, skipped: 2, inspected: 2, total: 4 });
    expect(second.evaluationId).toBe(1);
    expect(second.packs[0]!.images).toBe(4);
    expect(second.cases!.cases).toBe(2); // the case finished before the stop is counted too
    expect(db.prepare('SELECT count(*) AS n FROM inference_runs').get()).toEqual({ n: 4 });
    history.close();
  }, 180_000);
});
