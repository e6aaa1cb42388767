/**
 * Recorded evaluations reopened in the Evaluate room, and the not-validated badge on runs
 * reopened from History (Chromium, real host, worker, CLI and SQLite, shipped CT pack):
 * - `inspector inspect` records a run of never-evaluated pack files; `inspector evaluate` records
 *   an evaluation; a supervisor applies its F1-optimal threshold with `inspector threshold apply`;
 *   a second inspection is then validated — all before the app opens, so the room knows them
 *   only from the history database.
 * - The room lists the evaluation; opening it shows the recorded headline numbers, the plots, the
 *   applied version with who applied it; the slider's live confusion equals the core's on the
 *   scores in SQLite; a target the record does not hold is proposed from the kept images and
 *   applied (read back from SQLite, `audit verify` OK).
 * - History: the first run reopened carries "Not validated on this station"; the second does not.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatingPoint, propose } from '../../src/core/evaluation/thresholds';
import { appPaths } from '../../src/host/paths';
import { openBridge, type Bridge } from '../support/bridge';
import { repoRoot } from '../support/paths';
import { waitAttr } from './viewer-helpers';

const PACK = 'battery-ct-porosity';
const samples = join(repoRoot, 'resources', 'samples', PACK);
const CT = join(samples, 'ct_slice2_normal_1.png');

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'inspector.js'), ...args], { encoding: 'utf8', timeout: 240_000 });
  expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

describe('recorded evaluations reopened; not-validated badge on reopened runs (Chromium, real host, CLI, SQLite)', () => {
  let b: Bridge;
  let db: Database.Database;
  let dbFile: string;
  let set: string;
  const truth = new Map<string, 0 | 1>();
  let runs: { before: number; after: number };
  let evaluationId: number;
  let firstVersion: number;

  beforeAll(async () => {
    const userDataDir = mkdtempSync(join(os.tmpdir(), 'inspector-e2e-eval-reopen-'));
    dbFile = appPaths(repoRoot, userDataDir).defaultDatabase;
    set = realpathSync(mkdtempSync(join(os.tmpdir(), 'inspector-e2e-eval-reopen-set-')));
    for (const [cls, names] of [['normal', ['ct_slice2_normal_1.png', 'ct_slice2_normal_2.png']], ['porosity', ['ct_slice2_porosity_1.png', 'ct_slice2_porosity_2.png']]] as const) {
      mkdirSync(join(set, cls));
      for (const n of names) {
        copyFileSync(join(samples, n), join(set, cls, n));
        truth.set(join(set, cls, n), cls === 'normal' ? 0 : 1);
      }
    }
    const before = JSON.parse(cli(['inspect', CT, '--pack', PACK, '--db', dbFile, '--json'])) as { results: { runId: number; validation: { validated: boolean } }[] };
    expect(before.results[0]!.validation.validated).toBe(false);
    const ev = JSON.parse(cli(['evaluate', '--pack', PACK, '--set', set, '--db', dbFile, '--bootstrap', '20', '--json'])) as { evaluationId: number };
    evaluationId = ev.evaluationId;
    cli(['operator', 'create', 'park.s', '--name', 'Park Supervisor', '--role', 'supervisor', '--select', '--db', dbFile]);
    const applied = JSON.parse(cli(['threshold', 'apply', '--evaluation', String(evaluationId), '--pack', PACK, '--objective', 'f1-optimal', '--db', dbFile, '--json'])) as { thresholdVersion: number };
    firstVersion = applied.thresholdVersion;
    const after = JSON.parse(cli(['inspect', CT, '--pack', PACK, '--db', dbFile, '--json'])) as { results: { runId: number; validation: { validated: boolean } }[] };
    expect(after.results[0]!.validation.validated).toBe(true);
    runs = { before: before.results[0]!.runId, after: after.results[0]!.runId };
    b = await openBridge({ userDataDir });
    db = new Database(dbFile, { readonly: true, fileMustExist: true });
  }, 400_000);
  afterAll(async () => {
    db?.close();
    await b?.close();
  });

  const recorded = () => {
    const batch = (db.prepare('SELECT batch_id AS b FROM evaluations WHERE id = ?').get(evaluationId) as { b: number }).b;
    return (db.prepare('SELECT i.source_path AS path, r.score FROM inference_runs r JOIN images i ON i.id = r.image_id WHERE r.batch_id = ?').all(batch) as { path: string; score: number }[]).map((r) => ({
      ...r,
      truth: truth.get(r.path)!,
    }));
  };
  const cell = async (c: string) => Number(await b.page.getByTestId(`eval-cell-${c}`).textContent());
  const cells = async () => ({ tp: await cell('tp'), fp: await cell('fp'), tn: await cell('tn'), fn: await cell('fn') });

  it('the room lists the recorded evaluation and reopens it: metrics, plots, applied version, live trade-off', async () => {
    const { page } = b;
    await page.getByTestId('view-review').waitFor();
    await page.keyboard.press('Alt+4');
    await page.getByTestId('evaluate').waitFor();
    const row = page.getByTestId(`eval-recorded-${evaluationId}`);
    await row.waitFor({ timeout: 30_000 });
    expect(await row.textContent()).toContain(set);
    expect(await row.textContent()).toContain(PACK);
    await page.getByTestId(`eval-open-${evaluationId}`).click();
    await page.getByTestId('eval-results').waitFor();
    expect(await page.getByTestId('eval-results').getAttribute('data-evaluation')).toBe(String(evaluationId));
    const summary = JSON.parse((db.prepare('SELECT summary FROM evaluations WHERE id = ?').get(evaluationId) as { summary: string }).summary).packs[0];
    expect(await page.getByTestId('eval-f1').textContent()).toMatch(new RegExp(`^${summary.f1.toFixed(3)}`));
    expect(await page.getByTestId('eval-auc').textContent()).toMatch(new RegExp(`^${summary.rocAuc.toFixed(3)}`));
    for (const id of ['eval-roc', 'eval-pr', 'eval-hist', 'eval-reliability']) expect(await page.getByTestId(id).isVisible()).toBe(true);
    expect(await page.getByTestId('eval-recorded-at').textContent()).toContain(`Evaluation ${evaluationId}`);

    // The version the CLI applied, with who applied it, as SQLite has it.
    const v = db.prepare('SELECT low, high, objective, operator_id AS op FROM threshold_versions WHERE id = ?').get(firstVersion) as { low: number; high: number; objective: string; op: string };
    const shownVersion = page.getByTestId(`eval-version-${firstVersion}`);
    expect(await shownVersion.getAttribute('data-objective')).toBe('f1-optimal');
    expect(Number(await shownVersion.getAttribute('data-high'))).toBe(v.high);
    expect(await shownVersion.getAttribute('data-operator')).toBe('park.s');
    expect(await shownVersion.textContent()).toContain('Park Supervisor');

    // The live trade-off works on the reopened evaluation's kept images.
    const rec = recorded();
    expect(rec.map((r) => r.path).sort()).toEqual([...truth.keys()].sort());
    const slider = page.getByTestId('eval-slider');
    await slider.focus();
    await page.keyboard.press('Home');
    const t0 = Number(await page.getByTestId('eval-threshold').getAttribute('data-value'));
    expect(t0).toBe(Math.min(...rec.map((r) => r.score)));
    const core = (t: number) => {
      const p = operatingPoint(rec.map((r) => r.truth), rec.map((r) => r.score), t);
      return { tp: p.tp, fp: p.fp, tn: p.tn, fn: p.fn };
    };
    expect(await cells()).toEqual(core(t0));
    await page.keyboard.press('ArrowRight');
    const t1 = Number(await page.getByTestId('eval-threshold').getAttribute('data-value'));
    expect(t1).toBeGreaterThan(t0);
    expect(await cells()).toEqual(core(t1));
    await b.screenshot('evaluate-reopened');
  }, 120_000);

  it('a target the record does not hold is proposed from the kept images and applied (audited)', async () => {
    const { page } = b;
    const rec = recorded();
    await page.getByTestId('eval-preset-recall').check();
    await page.getByTestId('eval-target-recall').fill('0.5');
    const want = propose(rec.map((r) => r.truth), rec.map((r) => r.score), { kind: 'recall', target: 0.5 });
    await expect.poll(async () => Number(await page.getByTestId('eval-threshold').getAttribute('data-value')), { timeout: 15_000 }).toBe(want.point.threshold);
    await page.getByTestId('eval-apply').click();
    await page.getByTestId('eval-applied').waitFor({ timeout: 15_000 });
    const version = Number(await page.getByTestId('eval-applied').getAttribute('data-version'));
    const row = db.prepare('SELECT evaluation_id AS ev, objective, low, high, operator_id AS op FROM threshold_versions WHERE id = ?').get(version) as { ev: number; objective: string; low: number; high: number; op: string };
    expect(row).toEqual({ ev: evaluationId, objective: 'recall>=0.5', low: want.point.threshold, high: want.point.threshold, op: 'park.s' });
    // The applied list follows the history.
    await page.getByTestId(`eval-version-${version}`).waitFor({ timeout: 15_000 });
    expect(await page.getByTestId(`eval-recorded-${evaluationId}`).locator('td').nth(4).textContent()).toBe('2');
    const verify = spawnSync(process.execPath, [join(repoRoot, 'bin', 'inspector.js'), 'audit', 'verify', '--db', dbFile], { encoding: 'utf8' });
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
  }, 60_000);

  it('History: a run inspected before the evaluation reopens with the not-validated badge; one after it without', async () => {
    const { page } = b;
    await page.getByTestId('view-history').click();
    await page.getByTestId(`history-open-${runs.before}`).waitFor({ timeout: 30_000 });
    await page.getByTestId(`history-open-${runs.before}`).click();
    const badge = page.getByTestId('not-validated');
    await badge.waitFor({ timeout: 30_000 });
    expect(await badge.textContent()).toMatch(/Not validated on this station/);
    expect(await badge.getAttribute('title')).toMatch(/when inspected/);
    await b.screenshot('history-reopened-not-validated');

    await page.getByTestId('view-history').click();
    await page.getByTestId(`history-open-${runs.after}`).click();
    await waitAttr(b, 'viewer-pane-0', 'data-view', /./);
    await page.getByTestId('verdict').waitFor();
    await expect.poll(async () => page.getByTestId('not-validated').count(), { timeout: 15_000 }).toBe(0);
  }, 90_000);
});
