/**
 * `inspector threshold propose --from-history`: a real SQLite history built here from real CT
 * inspections (CLI) and reviews (the store the app's review room writes through). The labels the
 * reviews imply are written independently as a CSV manifest and evaluated: the proposals from
 * the reviewed history must be the evaluation's, threshold for threshold and count for count.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/core/history/index';
import { repoRoot } from '../../support/paths';

const bin = join(repoRoot, 'bin', 'inspector.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 180_000 });

const ct = join(repoRoot, 'resources', 'samples', 'battery-ct-porosity');
const demo = join(repoRoot, 'resources', 'samples', 'line-demo');
// image → (review, the label that review means); null: not reviewed.
const plan: [string, string, { decision: 'accept' | 'override' | 'reject' | 'uncertain'; label?: string } | null, string | null][] = [
  [ct, 'ct_slice2_normal_1.png', { decision: 'accept' }, 'normal'],
  [ct, 'ct_slice2_normal_2.png', { decision: 'override', label: 'porosity' }, 'porosity'],
  [ct, 'ct_slice2_porosity_1.png', { decision: 'accept' }, 'porosity'],
  // A reject without a class of a two-class pack's defect call: the reviewer says it is good.
  [ct, 'ct_slice2_porosity_2.png', { decision: 'reject' }, 'normal'],
  [demo, 'cell-001_ct.png', { decision: 'accept' }, null], // label from the AI's verdict, read below
  [demo, 'cell-002_ct.png', { decision: 'accept' }, null],
  [demo, 'cell-003_ct.png', { decision: 'uncertain' }, null], // not a label
  [demo, 'cell-004_ct.png', null, null], // not reviewed
];

let root: string;
let db: string;
let set: string;
const labelOf = new Map<string, string>();

beforeAll(() => {
  root = mkdtempSync(join(os.tmpdir(), 'inspector-propose-history-'));
  db = join(root, 'history.sqlite');
  set = join(root, 'set');
  mkdirSync(set, { recursive: true });
  for (const [dir, f] of plan) copyFileSync(join(dir, f), join(set, f));
  const r = cli('inspect', ...plan.map(([, f]) => join(set, f)), '--pack', 'battery-ct-porosity', '--db', db, '--json');
  expect(r.status, r.stderr).toBe(0);
  expect(cli('operator', 'create', 'lee.r', '--name', 'Lee', '--role', 'reviewer', '--select', '--db', db).status).toBe(0);
  const store = HistoryStore.open(db);
  try {
    const runs = store.db.prepare('SELECT r.id, r.verdict, i.source_path AS path FROM inference_runs r JOIN images i ON i.id = r.image_id').all() as { id: number; verdict: string; path: string }[];
    expect(runs).toHaveLength(8);
    for (const [, f, review, label] of plan) {
      const run = runs.find((x) => x.path.endsWith(f))!;
      if (!review) continue;
      if (f === 'cell-002_ct.png') {
        // First an override to porosity, then corrected to accept: the current review counts.
        const first = store.recordReview({ runId: run.id, operatorId: 'lee.r', decision: 'override', label: 'porosity' });
        store.recordReview({ runId: run.id, operatorId: 'lee.r', decision: 'accept', supersedes: first });
      } else store.recordReview({ runId: run.id, operatorId: 'lee.r', ...review });
      if (review.decision === 'accept' && label === null) labelOf.set(f, run.verdict);
      else if (label) labelOf.set(f, label);
    }
  } finally {
    store.close();
  }
}, 240_000);

describe('threshold propose --from-history', () => {
  it('proposes from reviewer decisions exactly what an evaluation with those labels proposes', () => {
    const got = cli('threshold', 'propose', '--from-history', '--pack', 'battery-ct-porosity', '--db', db, '--json');
    expect(got.status, got.stderr).toBe(0);
    const [h] = JSON.parse(got.stdout);
    expect(h).toMatchObject({ pack: 'battery-ct-porosity', runs: 8, reviewed: 7, scoreUnit: 'probability', skipped: { 'reviewer marked uncertain': 1 } });
    expect(h.defects + h.normals).toBe(6);
    expect(h.defects).toBe([...labelOf.values()].filter((l) => l === 'porosity').length);

    // The same labels as a labelled set, through evaluate.
    writeFileSync(join(set, 'labels.csv'), ['path,label', ...[...labelOf].map(([f, l]) => `${f},${l}`)].join('\n') + '\n');
    const ev = cli('evaluate', '--pack', 'battery-ct-porosity', '--set', set, '--db', join(root, 'eval.sqlite'), '--json', '--bootstrap', '20');
    expect(ev.status, ev.stderr).toBe(0);
    const e = JSON.parse(ev.stdout).packs[0];
    expect(h.proposals.map((p: { objective: string }) => p.objective)).toEqual(e.proposals.map((p: { objective: string }) => p.objective));
    h.proposals.forEach((p: { point: Record<string, number> }, i: number) => {
      const q = e.proposals[i].point;
      expect(p.point.threshold).toBeCloseTo(q.threshold, 12);
      expect([p.point.tp, p.point.fp, p.point.tn, p.point.fn]).toEqual([q.tp, q.fp, q.tn, q.fn]);
    });
    expect(h.band.low).toBeCloseTo(e.band.low, 12);
    expect(h.band.high).toBeCloseTo(e.band.high, 12);

    const text = cli('threshold', 'propose', '--from-history', '--pack', 'battery-ct-porosity', '--db', db);
    expect(text.stdout).toMatch(/6 reviewed runs as labels \(\d defective, \d normal\) of 8 runs, 7 reviewed; not used: 1 reviewer marked uncertain/);
    expect(text.stdout).toMatch(/f1-optimal\s+[0-9.e-]+\s+F1 /);
  }, 240_000);

  it('evaluation runs are no reviewed history; a period without reviews is a coded error', () => {
    // The evaluation above went to another database; one into this history adds runs, not labels.
    const ev = cli('evaluate', '--pack', 'battery-ct-porosity', '--set', set, '--db', db, '--json', '--bootstrap', '20');
    expect(ev.status, ev.stderr).toBe(0);
    const h = JSON.parse(cli('threshold', 'propose', '--from-history', '--pack', 'battery-ct-porosity', '--db', db, '--json').stdout)[0];
    expect(h.runs).toBe(8);
    const later = cli('threshold', 'propose', '--from-history', '--pack', 'battery-ct-porosity', '--since', new Date(Date.now() + 86_400_000).toISOString(), '--db', db);
    expect(later.status).toBe(1);
    expect(later.stderr).toMatch(/EVAL_NO_REVIEWS/);
    expect(cli('threshold', 'propose', '--pack', 'battery-ct-porosity', '--db', db).stderr).toMatch(/--from-history/);
  }, 240_000);
});
