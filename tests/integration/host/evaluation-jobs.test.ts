/**
 * The Evaluate room's channels through the real host, worker and SQLite: a set outside the user's
 * grants, or a manifest pointing out of them, is refused before anything runs; an evaluation of
 * the bundled battery CT samples runs as a polled job; proposals by other targets and applies by
 * role go through the core and land in the audit chain.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { propose } from '../../../src/core/evaluation/thresholds';
import { verifyAudit } from '../../../src/core/history/index';
import { createHost } from '../../../src/host/createHost';
import { prepareEvaluation, runEvaluation } from '../../../src/host/evaluate';
import { AccessGrants } from '../../../src/host/grants';
import { nodeWorkerLauncher } from '../../../src/host/nodeWorker';
import { appPaths } from '../../../src/host/paths';

const PACK = 'battery-ct-porosity';

describe('evaluation channels (real host and worker)', () => {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'inspector-evaljobs-'));
  const paths = appPaths(undefined, dataDir);
  const host = createHost(paths, nodeWorkerLauncher(paths.appRoot), 'media:');
  afterAll(() => host.close());
  const h = host.handlers;

  const set = realpathSync(mkdtempSync(join(os.tmpdir(), 'inspector-evaljobs-set-')));
  const samples = join(paths.resourcesDir, 'samples', PACK);
  for (const cls of ['normal', 'porosity']) {
    mkdirSync(join(set, cls));
    for (const f of readdirSync(samples).filter((n) => n.includes(`_${cls}_`))) copyFileSync(join(samples, f), join(set, cls, f));
  }

  it('refuses a set the user did not choose, and a manifest that points out of the chosen folder', async () => {
    await expect(h['evaluation.start']({ set, pack: PACK })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    const outside = realpathSync(mkdtempSync(join(os.tmpdir(), 'inspector-evaljobs-csv-')));
    const stray = join(realpathSync(mkdtempSync(join(os.tmpdir(), 'inspector-evaljobs-stray-'))), 'x.png');
    copyFileSync(join(samples, readdirSync(samples).find((f) => f.endsWith('.png'))!), stray);
    writeFileSync(join(outside, 'labels.csv'), `path,label\n${stray},porosity\n`);
    host.grants.grant(outside);
    await expect(h['evaluation.start']({ set: outside, pack: PACK })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    expect((host.history.get().db.prepare('SELECT count(*) AS n FROM batches').get() as { n: number }).n).toBe(0);
  });

  it('runEvaluation checks the grants itself, by real path: a link in the chosen set that leads out is refused before anything runs', async () => {
    const linked = realpathSync(mkdtempSync(join(os.tmpdir(), 'inspector-evaljobs-link-')));
    const away = realpathSync(mkdtempSync(join(os.tmpdir(), 'inspector-evaljobs-away-')));
    for (const cls of ['normal', 'porosity']) mkdirSync(join(linked, cls));
    const [n, q] = [readdirSync(samples).find((f) => f.includes('_normal_'))!, readdirSync(samples).find((f) => f.includes('_porosity_'))!];
    copyFileSync(join(samples, n), join(linked, 'normal', n));
    copyFileSync(join(samples, q), join(away, q));
    symlinkSync(join(away, q), join(linked, 'porosity', q));
    const grants = new AccessGrants();
    grants.grant(linked);
    const before = (host.history.get().db.prepare('SELECT count(*) AS n FROM batches').get() as { n: number }).n;
    const ctx = { worker: host.worker, history: host.history, packRoots: [{ dir: paths.appModelsDir, source: 'app' as const }], grants };
    await expect(runEvaluation(ctx, { set: linked, packs: [PACK] })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    // Nothing recorded; the same set with the linked file's folder granted too is read and runs.
    expect((host.history.get().db.prepare('SELECT count(*) AS n FROM batches').get() as { n: number }).n).toBe(before);
    expect(() => prepareEvaluation(ctx, { set: away, packs: [PACK] })).toThrow(expect.objectContaining({ code: 'ACCESS_DENIED' }));
    grants.grant(away);
    const prepared = prepareEvaluation(ctx, { set: linked, packs: [PACK] });
    expect(prepared.set.images.map((i) => i.label).sort()).toEqual(['normal', 'porosity']);
  });

  it('runs as a polled job, one at a time; its images give the proposals the core gives; applying is by role and audited', async () => {
    host.grants.grant(set);
    const job = await h['evaluation.start']({ set, pack: PACK });
    expect(job).toMatchObject({ state: 'running', total: 4 });
    await expect(h['evaluation.start']({ set, pack: PACK })).rejects.toMatchObject({ code: 'EVAL_BUSY' });
    let p = job;
    while (p.state === 'running') {
      await new Promise((r) => setTimeout(r, 200));
      p = await h['evaluation.progress']({ jobId: job.jobId });
    }
    expect(p.error).toBeNull();
    expect(p.state).toBe('done');
    const r = p.result!;
    const pack = r.packs[0]!;
    expect(pack.tradeoff.map((i) => [i.label, i.truth]).sort()).toEqual([['normal', 0], ['normal', 0], ['porosity', 1], ['porosity', 1]]);
    expect(pack.tradeoff.every((i) => typeof i.runId === 'number')).toBe(true);
    const labels = pack.tradeoff.map((i) => i.truth);
    const scores = pack.tradeoff.map((i) => i.score);
    const q = await h['evaluation.propose']({ evaluationId: r.evaluationId!, pack: PACK, choice: { kind: 'recall', target: 0.5 } });
    expect(q.point).toEqual(propose(labels, scores, { kind: 'recall', target: 0.5 }).point);
    await expect(h['evaluation.propose']({ evaluationId: r.evaluationId! + 5, pack: PACK, choice: { kind: 'f1' } })).rejects.toMatchObject({ code: 'EVAL_PREDICTIONS_UNAVAILABLE' });
    await expect(h['evaluation.progress']({ jobId: 'no-such-job' })).rejects.toMatchObject({ code: 'EVAL_JOB_NOT_FOUND' });

    await h['operator.create']({ id: 'lee.r', name: 'Lee', role: 'reviewer' });
    await h['operator.select']({ id: 'lee.r' });
    await expect(h['threshold.apply']({ evaluationId: r.evaluationId!, pack: PACK, choice: { kind: 'recall', target: 0.5 } })).rejects.toMatchObject({ code: 'THRESHOLD_ROLE_REQUIRED' });
    await h['operator.create']({ id: 'admin', name: 'Admin', role: 'admin' });
    await h['operator.select']({ id: 'admin' });
    const a = await h['threshold.apply']({ evaluationId: r.evaluationId!, pack: PACK, choice: { kind: 'recall', target: 0.5 } });
    expect(a).toMatchObject({ objective: 'recall>=0.5', low: q.low, high: q.high, operator: 'admin', pack: PACK, packIdentity: pack.identity });
    const db = host.history.get().db;
    expect(db.prepare('SELECT objective, low, operator_id AS op, evaluation_id AS ev FROM threshold_versions').all()).toEqual([{ objective: 'recall>=0.5', low: q.low, op: 'admin', ev: r.evaluationId }]);
    expect(verifyAudit(db).ok).toBe(true);
  });

  it('evaluates a chosen station config: each pack on its side, the integrated verdict per case', async () => {
    const line = realpathSync(mkdtempSync(join(os.tmpdir(), 'inspector-evaljobs-line-')));
    const demo = join(paths.resourcesDir, 'samples', 'line-demo');
    for (const f of readdirSync(demo)) copyFileSync(join(demo, f), join(line, f));
    // Labels made up for the test: what is measured here is the plumbing, not the packs.
    const truth: Record<string, string> = { 'cell-001_ct.png': 'normal', 'cell-002_ct.png': 'porosity', 'cell-003_ct.png': 'normal', 'cell-004_ct.png': 'porosity' };
    for (const n of [1, 2, 3, 4]) truth[`cell-00${n}_surface.jpg`] = n % 2 ? 'pitting' : 'normal';
    writeFileSync(join(line, 'labels.csv'), `path,label\n${Object.entries(truth).map(([f, l]) => `${f},${l}`).join('\n')}\n`);
    await expect(h['evaluation.start']({ set: line, config: join(line, 'inspector.yaml') })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    host.grants.grant(line);
    const job = await h['evaluation.start']({ set: line, config: join(line, 'inspector.yaml') });
    let p = job;
    while (p.state === 'running') {
      await new Promise((r) => setTimeout(r, 200));
      p = await h['evaluation.progress']({ jobId: job.jobId });
    }
    expect(p.error).toBeNull();
    const r = p.result!;
    // The sides' packs and their grounding pack (line-demo names defects-grounding on both sides).
    expect(r.packs.map((x) => x.name).sort()).toEqual(['battery-ct-porosity', 'defects-grounding', 'surface-pitting-ae']);
    expect(r.systems?.map((x) => x.system)).toEqual(['battery-ct-porosity', 'surface-pitting-ae', 'defects-grounding', 'integrated verdict']);
    expect(r.packs.find((x) => x.name === 'defects-grounding')!.kind).toBe('grounding');
    const ct = r.packs.find((x) => x.name === 'battery-ct-porosity')!;
    expect(ct.tradeoff.map((i) => [i.path.split('/').pop(), i.truth]).sort()).toEqual([['cell-001_ct.png', 0], ['cell-002_ct.png', 1], ['cell-003_ct.png', 0], ['cell-004_ct.png', 1]]);
    const ae = r.packs.find((x) => x.name === 'surface-pitting-ae')!;
    expect(ae.kind).toBe('anomaly');
    expect(ae.tradeoff.map((i) => i.truth).reduce((a: number, b) => a + b, 0)).toBe(2);
    expect(r.cases?.cases).toBe(4);
  });

  it('cancel stops after the case in flight', async () => {
    const job = await h['evaluation.start']({ set, pack: PACK });
    const c = await h['evaluation.cancel']({ jobId: job.jobId });
    expect(c.cancelling).toBe(true);
    let p = c;
    while (p.state === 'running') {
      await new Promise((r) => setTimeout(r, 100));
      p = await h['evaluation.progress']({ jobId: job.jobId });
    }
    // The first case is already in flight when start answers; the flag stops the job after it.
    expect(p.state).toBe('stopped');
    expect(p.result).toBeNull();
    expect(p.done).toBeLessThan(4);
  });
});
