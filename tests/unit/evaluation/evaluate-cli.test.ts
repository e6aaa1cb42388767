/**
 * `inspector evaluate` end to end on the shipped battery CT pack and real CT samples: the runs are
 * recorded as an evaluation batch (kept out of production statistics), the metrics match what the
 * predictions file says, thresholds are applied only by a supervisor for the exact pack files, the
 * audit chain verifies (and catches an edited threshold), and a pack whose files change is "not
 * validated on this station" until it is evaluated again.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/paths';

const bin = join(repoRoot, 'bin', 'inspector.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 180_000 });
const samples = join(repoRoot, 'resources', 'samples', 'battery-ct-porosity');

let root: string;
let db: string;
let set: string;
let evaluation: ReturnType<typeof JSON.parse>;

beforeAll(() => {
  root = mkdtempSync(join(os.tmpdir(), 'inspector-evaluate-'));
  db = join(root, 'history.sqlite');
  set = join(root, 'set');
  for (const [cls, names] of [['normal', ['ct_slice2_normal_1.png', 'ct_slice2_normal_2.png']], ['porosity', ['ct_slice2_porosity_1.png', 'ct_slice2_porosity_2.png']]] as const) {
    mkdirSync(join(set, cls), { recursive: true });
    for (const n of names) copyFileSync(join(samples, n), join(set, cls, n));
  }
  const r = cli('evaluate', '--pack', 'battery-ct-porosity', '--set', set, '--db', db, '--out', join(root, 'out'), '--json', '--bootstrap', '200');
  expect(r.status, r.stderr).toBe(0);
  evaluation = JSON.parse(r.stdout);
}, 240_000);

function csv(file: string): Record<string, string>[] {
  const [head, ...rows] = readFileSync(file, 'utf8').trim().split('\n');
  const cols = head!.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [cols[i]!, v])));
}

describe('inspector evaluate', () => {
  it('records an evaluation batch whose predictions are the engine runs, and metrics that follow from them', () => {
    expect(evaluation.evaluationId).toBe(1);
    expect(evaluation.set).toMatchObject({ format: 'folders', images: 4, classes: ['normal', 'porosity'] });
    const h = new Database(db, { readonly: true });
    const runs = h.prepare('SELECT i.source_path AS path, r.score FROM inference_runs r JOIN images i ON i.id = r.image_id WHERE r.batch_id = ?').all(evaluation.batch.batchId) as { path: string; score: number }[];
    expect(h.prepare('SELECT count(*) AS n FROM evaluation_batches').get()).toEqual({ n: 1 });
    h.close();
    const preds = csv(join(root, 'out', 'predictions.csv'));
    expect(Object.keys(preds[0]!)).toEqual(['path', 'label', 'predicted', 'score_normal', 'score_porosity', 'defect_score']);
    expect(preds).toHaveLength(4);
    for (const p of preds) expect(Number(p['defect_score'])).toBe(runs.find((r) => r.path === p['path'])!.score);
    // Recount the confusion and F1 at the pack's threshold from the CSV alone.
    const pack = evaluation.packs[0];
    const t = pack.binary.threshold;
    let tp = 0, fp = 0, fn = 0;
    for (const p of preds) {
      const pos = p['label'] === 'porosity';
      const flagged = Number(p['defect_score']) >= t;
      if (pos && flagged) tp++;
      else if (flagged) fp++;
      else if (pos) fn++;
      expect(p['predicted']).toBe(flagged ? 'porosity' : 'normal');
    }
    expect(pack.binary.point).toMatchObject({ tp, fp, fn });
    expect(pack.binary.point.f1).toBeCloseTo(tp ? (2 * tp) / (2 * tp + fp + fn) : 0, 12);
    const m = JSON.parse(readFileSync(join(root, 'out', 'metrics.json'), 'utf8'));
    expect(m.packs[0].classification.matrix).toEqual(pack.classification.matrix);
    expect(readFileSync(join(root, 'out', 'battery-ct-porosity.roc.svg'), 'utf8')).toMatch(/^<svg[\s\S]*polyline/);
    // Cases: folder grouping as in inspection; the porosity folder is a defective case.
    expect(evaluation.cases.classes).toEqual(['PASS', 'INTERNAL_DEFECT']);
    expect(evaluation.cases.cases).toBe(2);
  });

  it('keeps evaluation runs out of production statistics; a plain batch of the same images counts', () => {
    const before = JSON.parse(cli('history', 'stats', '--db', db, '--json').stdout);
    expect(before.daily.reduce((a: number, d: { runs: number }) => a + d.runs, 0)).toBe(0);
    const b = cli('batch', set, '--pack', 'battery-ct-porosity', '--db', db, '--json');
    expect(b.status, b.stderr).toBe(0);
    const after = JSON.parse(cli('history', 'stats', '--db', db, '--json').stdout);
    expect(after.daily.reduce((a: number, d: { runs: number }) => a + d.runs, 0)).toBe(4);
    expect(after.packs.map((p: { pack: string; runs: number }) => [p.pack, p.runs])).toEqual([['battery-ct-porosity', 4]]);
  }, 180_000);

  it('applies a proposed threshold only as a supervisor, for the evaluated pack files; audit verify holds and catches an edit', () => {
    const apply = (...extra: string[]) => cli('threshold', 'apply', '--evaluation', '1', '--pack', 'battery-ct-porosity', '--db', db, ...extra);
    expect(apply('--objective', 'f1-optimal').stderr).toMatch(/OPERATOR_NOT_SELECTED/);
    expect(cli('operator', 'create', 'lee.r', '--name', 'Lee', '--role', 'reviewer', '--select', '--db', db).status).toBe(0);
    const refused = apply('--objective', 'f1-optimal');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/THRESHOLD_ROLE_REQUIRED/);
    expect(cli('operator', 'create', 'park.s', '--name', 'Park', '--role', 'supervisor', '--select', '--db', db).status).toBe(0);
    expect(apply('--objective', 'no-such').stderr).toMatch(/EVAL_BAD_OBJECTIVE/);
    const ok = apply('--objective', 'mean+3sigma', '--json');
    expect(ok.status, ok.stderr).toBe(0);
    const applied = JSON.parse(ok.stdout);
    const proposal = evaluation.packs[0].proposals.find((p: { objective: string }) => p.objective === 'mean+3sigma');
    expect(applied).toMatchObject({ thresholdVersion: 1, evaluationId: 1, objective: 'mean+3sigma', operator: 'park.s', low: proposal.point.threshold, high: proposal.point.threshold });
    const status = JSON.parse(cli('threshold', 'status', '--pack', 'battery-ct-porosity', '--db', db, '--json').stdout);
    expect(status[0]).toMatchObject({ validated: true, lastEvaluationId: 1, notice: null, threshold: { id: 1, operatorId: 'park.s' } });

    const verify = cli('audit', 'verify', '--db', db, '--json');
    expect(verify.status, verify.stdout).toBe(0);
    expect(JSON.parse(verify.stdout).records).toMatchObject({ evaluation: 1, threshold: 1 });
    // The audit entry names the operator and the action.
    const h = new Database(db);
    expect(h.prepare("SELECT actor, entity_id AS id FROM audit_log WHERE action = 'threshold.apply'").get()).toEqual({ actor: 'park.s', id: '1' });
    // An edited threshold (append-only guard removed first, as an attacker with the file would) breaks the chain.
    h.exec('DROP TRIGGER threshold_versions_no_update');
    h.prepare('UPDATE threshold_versions SET high = 0.01 WHERE id = 1').run();
    h.close();
    const broken = cli('audit', 'verify', '--db', db, '--json');
    expect(broken.status).not.toBe(0);
    expect(JSON.parse(broken.stdout).firstBreak).toMatchObject({ code: 'AUDIT_RECORD_ALTERED', entity: 'threshold', entityId: '1' });
  }, 180_000);

  it('a pack whose model file changes is not validated on this station until evaluated again', () => {
    const dir = join(root, 'changed-pack');
    cpSync(join(repoRoot, 'models', 'battery-ct-porosity'), dir, { recursive: true });
    // An unknown protobuf field appended: a valid, different model file with the same behaviour.
    appendFileSync(join(dir, 'model.onnx'), Buffer.from([0xa0, 0x06, 0x01]));
    const hash = createHash('sha256').update(readFileSync(join(dir, 'model.onnx'))).digest('hex');
    const yamlPath = join(dir, 'pack.yaml');
    writeFileSync(yamlPath, readFileSync(yamlPath, 'utf8').replace(/^ {2}model\.onnx: [0-9a-f]{64}$/m, `  model.onnx: ${hash}`));
    const db2 = join(root, 'fresh.sqlite');
    expect(cli('evaluate', '--pack', join(repoRoot, 'models', 'battery-ct-porosity'), '--set', set, '--db', db2, '--json', '--bootstrap', '50').status).toBe(0);
    const st = () => JSON.parse(cli('threshold', 'status', '--pack', dir, '--db', db2, '--json').stdout)[0];
    expect(st()).toMatchObject({ validated: false, notice: 'not validated on this station' });
    expect(cli('operator', 'create', 'kim.a', '--name', 'Kim', '--role', 'admin', '--select', '--db', db2).status).toBe(0);
    const refused = cli('threshold', 'apply', '--evaluation', '1', '--pack', dir, '--objective', 'f1-optimal', '--db', db2);
    expect(refused.stderr).toMatch(/EVAL_PACK_CHANGED/);
    const again = cli('evaluate', '--pack', dir, '--set', set, '--db', db2, '--json', '--bootstrap', '50');
    expect(again.status, again.stderr).toBe(0);
    expect(st()).toMatchObject({ validated: true, lastEvaluationId: 2, notice: null });
  }, 180_000);
});
