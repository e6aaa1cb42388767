/**
 * Applied threshold versions decide inspections: after `threshold apply`, `inspect` and `batch`
 * on the same station take the applied threshold instead of pack.yaml's, the decision flips
 * exactly at it, and the result and the history row name the version; a pack whose model file
 * changed falls back to pack.yaml and says "not validated on this station". Real CT pack, real
 * images, real SQLite history, the CLI as a user runs it.
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
const files = ['ct_slice2_normal_1.png', 'ct_slice2_normal_2.png', 'ct_slice2_porosity_1.png', 'ct_slice2_porosity_2.png'];

interface Result {
  source: string;
  decision: string;
  defectScore: number;
  threshold: { source: string; versionId: number | null; low: number; high: number };
  validation: { validated: boolean; reason: string | null; evaluationId: number | null };
  runId?: number;
}

let root: string;
let db: string;
let set: string;
const inspectJson = (...args: string[]): Result[] => {
  const r = cli('inspect', ...files.map((f) => join(set, f)), '--db', db, '--json', ...(args.length ? args : ['--pack', 'battery-ct-porosity']));
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout).results;
};
const byName = (rs: Result[], f: string) => rs.find((r) => r.source.endsWith(f))!;

beforeAll(() => {
  root = mkdtempSync(join(os.tmpdir(), 'inspector-threshold-'));
  db = join(root, 'history.sqlite');
  set = join(root, 'set');
  mkdirSync(set, { recursive: true });
  for (const f of files) copyFileSync(join(samples, f), join(set, f));
  // normal_2 labelled defective: its score (above normal_1's, far below pack.yaml's 0.87) becomes
  // the F1-optimal threshold, so applying it must flip normal_2 — and only it — to DEFECT.
  writeFileSync(join(set, 'labels.csv'), ['path,label', 'ct_slice2_normal_1.png,normal', 'ct_slice2_normal_2.png,porosity', 'ct_slice2_porosity_1.png,porosity', 'ct_slice2_porosity_2.png,porosity'].join('\n') + '\n');
}, 60_000);

describe('applied threshold versions in inspection', () => {
  it('before any evaluation: pack.yaml decides and every result is not validated', () => {
    const rs = inspectJson();
    for (const r of rs) {
      expect(r.threshold).toMatchObject({ source: 'pack', versionId: null });
      expect(r.validation).toMatchObject({ validated: false, evaluationId: null });
      expect(r.validation.reason).toMatch(/^not validated on this station: no evaluation of these pack files/);
    }
    const text = cli('inspect', join(set, files[0]!), '--pack', 'battery-ct-porosity', '--db', db);
    expect(text.stdout).toMatch(/threshold 0\.8677\d on probability: pack default \(pack\.yaml\)/);
    expect(text.stdout).toMatch(/NOT VALIDATED: not validated on this station/);
  }, 240_000);

  it('an applied F1-optimal threshold decides from then on, exactly at its value, and is recorded', () => {
    const ev = cli('evaluate', '--pack', 'battery-ct-porosity', '--set', set, '--db', db, '--json', '--bootstrap', '50');
    expect(ev.status, ev.stderr).toBe(0);
    const evaluation = JSON.parse(ev.stdout);
    const f1 = evaluation.packs[0].proposals.find((p: { objective: string }) => p.objective === 'f1-optimal').point.threshold as number;
    const before = inspectJson();
    const n2 = byName(before, 'normal_2.png');
    expect(f1).toBe(n2.defectScore);
    expect(n2.decision).toBe('pass');
    expect(before.every((r) => r.validation.validated && r.validation.evaluationId === evaluation.evaluationId)).toBe(true);

    expect(cli('operator', 'create', 'park.s', '--name', 'Park', '--role', 'supervisor', '--select', '--db', db).status).toBe(0);
    const applied = cli('threshold', 'apply', '--evaluation', String(evaluation.evaluationId), '--pack', 'battery-ct-porosity', '--objective', 'f1-optimal', '--db', db, '--json');
    expect(applied.status, applied.stderr).toBe(0);
    const version = JSON.parse(applied.stdout).thresholdVersion as number;

    const after = inspectJson();
    for (const r of after) {
      expect(r.threshold).toEqual({ source: 'applied', versionId: version, low: f1, high: f1, unit: 'probability', objective: 'f1-optimal', evaluationId: evaluation.evaluationId });
      // The decision is score ≥ the applied threshold, for every image.
      expect(r.decision).toBe(r.defectScore >= f1 ? 'defect' : 'pass');
    }
    expect(byName(after, 'normal_2.png').decision).toBe('defect'); // exactly at the threshold
    expect(byName(after, 'normal_1.png').decision).toBe('pass'); // just below it
    const h = new Database(db, { readonly: true });
    const row = (id: number) => JSON.parse((h.prepare('SELECT thresholds FROM inference_runs WHERE id = ?').get(id) as { thresholds: string }).thresholds);
    expect(row(byName(after, 'normal_2.png').runId!)).toMatchObject({ low: f1, high: f1, thresholdVersion: version, validated: 1 });
    expect(row(byName(before, 'normal_2.png').runId!).thresholdVersion).toBeUndefined();
    h.close();
    const text = cli('inspect', join(set, 'ct_slice2_normal_2.png'), '--pack', 'battery-ct-porosity', '--db', db);
    expect(text.stdout).toContain(`applied version ${version} (f1-optimal, evaluation ${evaluation.evaluationId})`);
    expect(text.stdout).toMatch(/decision DEFECT/);
    expect(text.stdout).not.toMatch(/NOT VALIDATED/);

    // A batch on the same station takes the same version.
    const b = cli('batch', set, '--pack', 'battery-ct-porosity', '--db', db, '--json');
    expect(b.status, b.stderr).toBe(0);
    const batchId = JSON.parse(b.stdout).batchId as number;
    expect(JSON.parse(b.stdout).validation).toEqual({ 'battery-ct-porosity': { validated: true, reason: null, thresholdVersion: version } });
    expect(cli('batch', set, '--pack', 'battery-ct-porosity', '--db', db).stdout).toContain(`Pack battery-ct-porosity: validated on this station; decided by threshold version ${version}`);
    const h2 = new Database(db, { readonly: true });
    const rows = h2.prepare('SELECT thresholds FROM inference_runs WHERE batch_id = ?').all(batchId) as { thresholds: string }[];
    h2.close();
    expect(rows).toHaveLength(4);
    for (const r of rows) expect(JSON.parse(r.thresholds).thresholdVersion).toBe(version);

    const verify = cli('audit', 'verify', '--db', db, '--json');
    expect(verify.status, verify.stdout).toBe(0);
  }, 240_000);

  it('a pack whose model file changed gets no applied version and is not validated', () => {
    const dir = join(root, 'changed-pack');
    cpSync(join(repoRoot, 'models', 'battery-ct-porosity'), dir, { recursive: true });
    appendFileSync(join(dir, 'model.onnx'), Buffer.from([0xa0, 0x06, 0x01]));
    const hash = createHash('sha256').update(readFileSync(join(dir, 'model.onnx'))).digest('hex');
    const yamlPath = join(dir, 'pack.yaml');
    writeFileSync(yamlPath, readFileSync(yamlPath, 'utf8').replace(/^ {2}model\.onnx: [0-9a-f]{64}$/m, `  model.onnx: ${hash}`));
    const rs = inspectJson('--pack', dir);
    for (const r of rs) {
      expect(r.threshold).toMatchObject({ source: 'pack', versionId: null });
      expect(r.validation.validated).toBe(false);
      expect(r.validation.reason).toMatch(/model files changed since evaluation 1/);
    }
    expect(byName(rs, 'normal_2.png').decision).toBe('pass');
    const bt = cli('batch', set, '--pack', dir, '--db', db);
    expect(bt.stdout).toMatch(/Pack battery-ct-porosity: NOT VALIDATED: not validated on this station: the pack's model files changed since evaluation 1; its applied thresholds no longer apply; decided by pack\.yaml's thresholds/);
    const h = new Database(db, { readonly: true });
    const row = JSON.parse((h.prepare('SELECT thresholds FROM inference_runs WHERE id = ?').get(byName(rs, 'normal_2.png').runId!) as { thresholds: string }).thresholds);
    h.close();
    expect(row.validated).toBe(0);
    expect(row.thresholdVersion).toBeUndefined();
  }, 240_000);
});
