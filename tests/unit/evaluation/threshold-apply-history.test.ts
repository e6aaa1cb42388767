/**
 * `inspector threshold apply --from-history`: reviewer decisions on real CT inspections (CLI runs,
 * reviews through the store the review room writes with) as labels → a threshold version with no
 * evaluation, its label set recorded as the source, in force for the next inspection, audited
 * (`audit verify` OK; an edited source breaks the chain). And the migration that allows such
 * versions keeps an older history's evaluation-sourced versions and their hashes.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HistoryStore, verifyAudit } from '../../../src/core/history/index';
import { AuditAppender } from '../../../src/core/history/audit';
import { recordHash } from '../../../src/core/history/hash';
import { LATEST_VERSION, MIGRATIONS, migrate } from '../../../src/core/history/migrations';
import { propose } from '../../../src/core/evaluation/thresholds';
import { repoRoot } from '../../support/paths';

const bin = join(repoRoot, 'bin', 'inspector.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 180_000 });
const ct = join(repoRoot, 'resources', 'samples', 'battery-ct-porosity');
const PACK = 'battery-ct-porosity';

// image → review → what the reviewer says it is (1 defect, 0 good).
const plan: [string, { decision: 'accept' | 'override' | 'reject'; label?: string }, 0 | 1][] = [
  ['ct_slice2_normal_1.png', { decision: 'accept' }, 0],
  ['ct_slice2_normal_2.png', { decision: 'override', label: 'porosity' }, 1],
  ['ct_slice2_porosity_1.png', { decision: 'accept' }, 1],
  ['ct_slice2_porosity_2.png', { decision: 'reject' }, 0],
];

let root: string;
let db: string;
/** The labels as this test derives them: run id, truth, recorded score. */
const labels: { runId: number; truth: 0 | 1; score: number }[] = [];

beforeAll(() => {
  root = mkdtempSync(join(os.tmpdir(), 'inspector-apply-history-'));
  db = join(root, 'history.sqlite');
  const set = join(root, 'set');
  mkdirSync(set);
  for (const [f] of plan) copyFileSync(join(ct, f), join(set, f));
  const r = cli('inspect', ...plan.map(([f]) => join(set, f)), '--pack', PACK, '--db', db, '--json');
  expect(r.status, r.stderr).toBe(0);
  expect(cli('operator', 'create', 'lee.r', '--name', 'Lee', '--role', 'reviewer', '--select', '--db', db).status).toBe(0);
  const store = HistoryStore.open(db);
  try {
    const runs = store.db.prepare('SELECT r.id, r.verdict, r.score, i.source_path AS path FROM inference_runs r JOIN images i ON i.id = r.image_id ORDER BY r.id').all() as { id: number; verdict: string; score: number; path: string }[];
    for (const run of runs) {
      const [, review, truth] = plan.find(([f]) => run.path.endsWith(f))!;
      // "accept" means the AI's call is right: its verdict is the truth.
      store.recordReview({ runId: run.id, operatorId: 'lee.r', ...review });
      labels.push({ runId: run.id, truth: review.decision === 'accept' ? (run.verdict === 'normal' ? 0 : 1) : truth, score: run.score });
    }
  } finally {
    store.close();
  }
}, 240_000);

describe('threshold apply --from-history', () => {
  it('refuses a reviewer and a double source; a supervisor applies F1-optimal from the reviewed runs, source recorded and audited', () => {
    const apply = (...extra: string[]) => cli('threshold', 'apply', '--from-history', '--pack', PACK, '--db', db, ...extra);
    expect(apply('--objective', 'f1-optimal').stderr).toMatch(/THRESHOLD_ROLE_REQUIRED/);
    expect(cli('operator', 'create', 'park.s', '--name', 'Park', '--role', 'supervisor', '--select', '--db', db).status).toBe(0);
    expect(apply('--objective', 'f1-optimal', '--evaluation', '1').stderr).toMatch(/--evaluation ID or --from-history/);
    expect(apply('--objective', 'f1-best').stderr).toMatch(/EVAL_BAD_OBJECTIVE/);

    const ok = apply('--objective', 'f1-optimal', '--json');
    expect(ok.status, ok.stderr).toBe(0);
    const got = JSON.parse(ok.stdout);
    const want = propose(labels.map((l) => l.truth), labels.map((l) => l.score), { kind: 'f1' });
    const sha = createHash('sha256').update(labels.map((l) => `${l.runId}:${l.truth}\n`).join('')).digest('hex');
    expect(got).toMatchObject({
      thresholdVersion: 1,
      evaluationId: null,
      objective: 'f1-optimal',
      low: want.point.threshold,
      high: want.point.threshold,
      operator: 'park.s',
      source: { kind: 'reviewed-history', runs: 4, reviewed: 4, labels: 4, defects: labels.filter((l) => l.truth).length, labelsSha256: sha, firstRunId: labels[0]!.runId, lastRunId: labels.at(-1)!.runId },
    });
    const h = new Database(db, { readonly: true });
    const row = h.prepare('SELECT evaluation_id AS ev, source, high FROM threshold_versions WHERE id = 1').get() as { ev: number | null; source: string; high: number };
    h.close();
    expect(row.ev).toBeNull();
    expect(JSON.parse(row.source)).toEqual(got.source);

    // In force for the next inspection of these files; still not validated (no evaluation).
    const st = JSON.parse(cli('threshold', 'status', '--pack', PACK, '--db', db, '--json').stdout)[0];
    expect(st).toMatchObject({ validated: false, threshold: { id: 1, evaluationId: null, source: { kind: 'reviewed-history', labelsSha256: sha } } });
    const next = cli('inspect', join(ct, 'ct_slice2_normal_1.png'), '--pack', PACK, '--db', db);
    expect(next.status, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/applied version 1 \(f1-optimal, reviewed history\)/);

    const verify = cli('audit', 'verify', '--db', db, '--json');
    expect(verify.status, verify.stdout).toBe(0);
    expect(JSON.parse(verify.stdout).records).toMatchObject({ threshold: 1 });
  }, 240_000);

  it('the band from history; an edited source breaks the audit chain', () => {
    const band = cli('threshold', 'apply', '--from-history', '--pack', PACK, '--band', '--recall-target', '1', '--false-alarm-target', '0', '--db', db, '--json');
    expect(band.status, band.stderr).toBe(0);
    const b = JSON.parse(band.stdout);
    expect(b).toMatchObject({ thresholdVersion: 2, objective: 'band', evaluationId: null });
    expect(b.low).toBeLessThanOrEqual(b.high);
    const h = new Database(db);
    h.exec('DROP TRIGGER threshold_versions_no_update');
    h.prepare(`UPDATE threshold_versions SET source = json_set(source, '$.labels', 400) WHERE id = 2`).run();
    h.close();
    const broken = cli('audit', 'verify', '--db', db, '--json');
    expect(broken.status).not.toBe(0);
    expect(JSON.parse(broken.stdout).firstBreak).toMatchObject({ code: 'AUDIT_RECORD_ALTERED', entity: 'threshold', entityId: '2' });
  }, 120_000);
});

describe('migration: threshold versions from reviewed history', () => {
  it('keeps an older history’s evaluation-sourced versions, ids and hashes; afterwards neither source nor evaluation is refused', () => {
    const m = MIGRATIONS.find((x) => x.name === 'threshold versions from reviewed history')!;
    expect(m.version).toBeLessThanOrEqual(LATEST_VERSION);
    const file = join(mkdtempSync(join(os.tmpdir(), 'inspector-threshold-migration-')), 'h.sqlite');
    const raw = new Database(file);
    migrate(raw, m.version - 1);
    raw.close();
    // Rows as a station on the old schema wrote them (the store itself would migrate the file first).
    const old = new Database(file);
    old.exec(`INSERT INTO operators(id, name, role, created_at) VALUES ('park.s', 'Park', 'supervisor', 1)`);
    old.exec(`INSERT INTO batches(id, name, source, operator_id, started_at) VALUES (1, 'b', 's', 'park.s', 1)`);
    old.exec(`INSERT INTO evaluations(id, created_at, batch_id, set_identity, set_source, packs, config_hash, summary, operator_id) VALUES (1, 2, 1, 'x', '/set', '[]', NULL, '{}', 'park.s')`);
    old.exec(`INSERT INTO threshold_versions(id, created_at, pack_name, pack_identity, evaluation_id, objective, low, high, human_share, operator_id) VALUES (7, 3, 'p', 'id', 1, 'f1-optimal', 0.4, 0.6, NULL, 'park.s')`);
    const before = old.prepare('SELECT * FROM threshold_versions').all();
    // The entries the old code wrote for them: hash version 1 over the columns of the time.
    const chain = new AuditAppender(old);
    for (const [entity, table, key] of [['operator', 'operators', 'park.s'], ['batch', 'batches', 1], ['evaluation', 'evaluations', 1], ['threshold', 'threshold_versions', 7]] as const) {
      const row = old.prepare(`SELECT * FROM ${table} WHERE id = ?`).get(key) as Record<string, unknown>;
      chain.append(10, 'park.s', `${entity}.old`, entity, key, recordHash(entity, row));
    }
    expect(verifyAudit(old).ok).toBe(true);
    old.close();
    const store = HistoryStore.open(file);
    try {
      expect(store.db.prepare('SELECT id, created_at, pack_name, pack_identity, evaluation_id, objective, low, high, human_share, operator_id FROM threshold_versions').all()).toEqual(before);
      expect(store.db.prepare('SELECT source FROM threshold_versions WHERE id = 7').get()).toEqual({ source: null });
      // Still append-only, still in the outbox on insert.
      expect(() => store.db.prepare('UPDATE threshold_versions SET high = 1 WHERE id = 7').run()).toThrow(/HISTORY_APPEND_ONLY/);
      expect(() => store.db.prepare(`INSERT INTO threshold_versions(created_at, pack_name, pack_identity, evaluation_id, objective, low, high, operator_id) VALUES (4, 'p', 'id', NULL, 'f1-optimal', 0.5, 0.5, 'park.s')`).run()).toThrow(/CHECK constraint/);
      const outbox = () => (store.db.prepare(`SELECT count(*) AS n FROM sync_outbox WHERE tbl = 'threshold_versions'`).get() as { n: number }).n;
      const n0 = outbox();
      store.recordThresholdVersion({ packName: 'p', packIdentity: 'id', evaluationId: null, source: { kind: 'reviewed-history', labels: 3 }, objective: 'f1-optimal', low: 0.5, high: 0.5, humanShare: null, operatorId: 'park.s' });
      expect(outbox()).toBe(n0 + 1);
      expect(() => store.recordThresholdVersion({ packName: 'p', packIdentity: 'id', evaluationId: null, objective: 'f1-optimal', low: 0.5, high: 0.5, humanShare: null, operatorId: 'park.s' })).toThrow(expect.objectContaining({ code: 'THRESHOLD_SOURCE_MISSING' }));
      const rep = verifyAudit(store.db);
      expect(rep.firstBreak).toBeNull();
      expect(rep.ok).toBe(true);
    } finally {
      store.close();
    }
  });
});
