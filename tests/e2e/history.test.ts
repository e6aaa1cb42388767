/**
 * The history issue's E2E: real images inspected through `inspect.run` (real worker, real ONNX),
 * which records every run in the host's history; the operator profile chosen at start; one case reopened from the
 * history view and reviewed (class overridden, box drawn, note); the review then seen in the
 * history table and in the dashboard counts; the audit chain verified — asserted on the DOM and on
 * the database.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRun, readAnchor, verifyAudit } from '../../src/core/history/index';
import type { LoadedPack } from '../../src/core/packs/load';
import type { InspectRunResult } from '../../src/shared/inspect';
import { openBridge, type Bridge } from '../support/bridge';
import { classifierPack, imageDir } from '../unit/engine/support';
import { ready, screenOf, viewOf } from './viewer-helpers';

const IMAGES = ['defect_4.png', 'defect_5.png', 'normal_0.png', 'normal_1.png', 'normal_2.png', 'normal_3.png', 'wide_defect.png'];

describe('history: inspect, review, see it in history and dashboard, audit verifies (Chromium, real host)', () => {
  let b: Bridge;
  let pack: LoadedPack;
  let work: string;
  let runIds: Map<string, number>;
  let out: InspectRunResult;
  const reviewed = { file: 'normal_1.png', runId: 0, aiVerdict: '', humanClass: '' };
  const key = (k: string) => b.page.keyboard.press(k);
  const db = () => b.host.history.get().db;

  beforeAll(async () => {
    pack = await classifierPack('resnet-mini');
    // The "line": real images copied into a station folder, plus one file that is not an image.
    work = mkdtempSync(join(os.tmpdir(), 'inspector-e2e-history-'));
    for (const f of IMAGES) copyFileSync(join(imageDir, f), join(work, f));
    writeFileSync(join(work, 'torn.png'), Buffer.from('\x89PNG\r\n\x1a\nthis is not the rest of a png'));
    b = await openBridge({ viewport: { width: 1600, height: 1000 } });
    // Choosing the folder and the pack in the dialog grants them; the test makes that choice here.
    b.host.grants.grant(work);
    b.host.grants.grant(pack.dir);
  });
  afterAll(async () => {
    await b?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('inspects the images with the real engine; every run (and the failed file) is in the history', async () => {
    const paths = [...IMAGES, 'torn.png'].map((f) => join(work, f));
    out = await b.page.evaluate(async ({ paths, pack }) => {
      const api = (globalThis as unknown as { api: { call(c: string, i: unknown): Promise<{ ok: boolean; value?: unknown; error?: unknown }> } }).api;
      const r = await api.call('inspect.run', { paths, pack, method: 'gradcam' });
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      return r.value;
    }, { paths, pack: pack.dir }) as InspectRunResult;
    expect(out.results).toHaveLength(8);
    expect(out.results.filter((r) => r.error)).toHaveLength(1);
    runIds = new Map(out.results.filter((r) => r.runId !== undefined).map((r) => [r.source.split('/').pop()!, r.runId!]));
    expect(runIds.size).toBe(7);
    const errors = db().prepare('SELECT count(*) AS n FROM errors').get() as { n: number };
    expect(errors.n).toBe(1);
    reviewed.runId = runIds.get(reviewed.file)!;
    reviewed.aiVerdict = out.results.find((r) => r.source.endsWith(reviewed.file))!.classification!.topLabel;
    // The reviewer disagrees: a defect class other than the model's.
    reviewed.humanClass = ['dent', 'scratch'].find((l) => l !== reviewed.aiVerdict)!;
    const n = db().prepare('SELECT count(*) AS n FROM inference_runs').get() as { n: number };
    expect(n.n).toBe(7);
  });

  it('asks for the operator profile at start; creating one selects it', async () => {
    const { page } = b;
    const chooser = page.getByTestId('operator-chooser');
    await chooser.waitFor();
    await b.screenshot('history-operator-chooser');
    await page.getByTestId('operator-id').fill('kim.j');
    await page.getByTestId('operator-name').fill('Kim Jiwoo');
    await page.getByTestId('operator-role').selectOption('reviewer');
    await page.getByTestId('operator-create').click();
    await page.getByTestId('operator-current').filter({ hasText: 'Kim Jiwoo' }).waitFor();
    expect(await chooser.count()).toBe(0);
    expect(b.host.history.get().currentOperator()).toMatchObject({ id: 'kim.j', name: 'Kim Jiwoo', role: 'reviewer' });
  });

  it('lists the runs in the history view: sortable by score, searchable by case ID', async () => {
    const { page } = b;
    await key('Alt+2');
    await page.getByTestId('history-view').waitFor();
    await page.getByTestId('history-range').filter({ hasText: 'of 7' }).waitFor();
    expect(await page.locator('tr.history-row').count()).toBe(7);
    expect(await page.getByTestId('view-history').getAttribute('aria-current')).toBe('page');
    // Newest first by default; by score descending after one click.
    await page.getByTestId('sort-score').click();
    await page.locator('th[aria-sort="descending"]').filter({ hasText: 'Score' }).waitFor();
    const scores = (await page.locator('tr.history-row td:nth-child(6)').allTextContents()).map(Number);
    expect(scores).toHaveLength(7);
    expect([...scores].sort((a, c) => c - a)).toEqual(scores);
    const dbScores = (db().prepare('SELECT score FROM inference_runs ORDER BY score DESC').all() as { score: number }[]).map((r) => Number(r.score.toFixed(3)));
    expect(scores).toEqual(dbScores);
    await b.screenshot('history-list-by-score');
    // Text search on the case ID (the engine's case grouping named the cases).
    const caseKey = getRun(db(), reviewed.runId).case.key;
    const sameCase = (db().prepare('SELECT count(*) AS n FROM inference_runs r JOIN cases c ON c.id = r.case_id WHERE c.case_key = ?').get(caseKey) as { n: number }).n;
    await page.getByTestId('history-text').fill(caseKey);
    await page.getByTestId('history-range').filter({ hasText: `of ${sameCase}` }).waitFor();
    expect(new Set(await page.locator('tr.history-row th button').allTextContents())).toEqual(new Set([caseKey]));
    await page.getByTestId('history-text').fill('no-such-part');
    await page.getByTestId('history-empty').waitFor();
    await page.getByTestId('history-text').fill('');
    await page.getByTestId('history-range').filter({ hasText: 'of 7' }).waitFor();
  });

  it('reopens a row in the viewer and records a review: class overridden, box drawn, note', async () => {
    const { page } = b;
    await page.getByTestId(`history-open-${reviewed.runId}`).click();
    await page.getByTestId('viewer-pane-0').waitFor();
    await ready(b);
    expect(await page.getByTestId('view-review').getAttribute('aria-current')).toBe('page');
    expect(await page.getByTestId('verdict').textContent()).toContain(reviewed.aiVerdict);
    await b.screenshot('history-reopened-in-viewer');

    // A box around the top-left quarter of the 64 px image, drawn with the mouse.
    await page.locator('body').click({ position: { x: 5, y: 990 } });
    await key('b');
    const v = await viewOf(b);
    const pane = (await page.getByTestId('viewer-pane-0').boundingBox())!;
    const a = screenOf(v, 8, 10);
    const c = screenOf(v, 30, 34);
    await page.mouse.move(pane.x + a.x, pane.y + a.y);
    await page.mouse.down();
    await page.mouse.move(pane.x + c.x, pane.y + c.y, { steps: 5 });
    await page.mouse.up();
    await key('e');
    await page.keyboard.type('dent on the flange, model missed it');
    await key('Escape');
    // Choosing the class records the decision (override) with the box and the note.
    await page.getByTestId('override-class').selectOption(reviewed.humanClass);
    await page.getByTestId('save-state').filter({ hasText: 'Saved' }).waitFor();
    await b.screenshot('history-reviewed-in-viewer');

    const run = getRun(db(), reviewed.runId);
    expect(run.reviews).toHaveLength(1);
    const r = run.reviews[0]!;
    expect(r).toMatchObject({ operatorId: 'kim.j', operatorName: 'Kim Jiwoo', decision: 'override', label: reviewed.humanClass, note: 'dent on the flange, model missed it', supersedes: null });
    expect(r.boxes).toHaveLength(1);
    const [x, y, w, h] = r.boxes[0]!.box;
    expect(x).toBeCloseTo(8, 0);
    expect(y).toBeCloseTo(10, 0);
    expect(w).toBeCloseTo(22, 0);
    expect(h).toBeCloseTo(24, 0);
  });

  it('shows the review in the history table and filters by review status and reviewer', async () => {
    const { page } = b;
    await key('Alt+2');
    await page.getByTestId('history-view').waitFor();
    await page.getByTestId('history-status').selectOption('override');
    await page.getByTestId('history-range').filter({ hasText: 'of 1' }).waitFor();
    const row = page.getByTestId(`history-row-${reviewed.runId}`);
    expect(await row.getByTestId('cell-review').textContent()).toContain(`overridden → ${reviewed.humanClass}`);
    expect(await row.getByTestId('cell-reviewer').textContent()).toBe('kim.j');
    expect(await row.getByTestId('cell-verdict').textContent()).toBe(reviewed.aiVerdict);
    await b.screenshot('history-filtered-reviewed');
    await page.getByTestId('history-reset').click();
    await page.getByTestId('history-reviewer').selectOption('kim.j');
    await page.getByTestId('history-range').filter({ hasText: 'of 1' }).waitFor();
    await page.getByTestId('history-status').selectOption('unreviewed');
    await page.getByTestId('history-range').filter({ hasText: /Rows 0–0/ }).waitFor();
    await page.getByTestId('history-reset').click();
    await page.getByTestId('history-range').filter({ hasText: 'of 7' }).waitFor();
  });

  it('counts it on the dashboard: runs, errors, verdicts, agreement matrix, histogram, drift; the audit chain verifies', async () => {
    const { page } = b;
    await key('Alt+3');
    await page.getByTestId('dashboard').waitFor();
    await page.getByTestId('kpi-runs').filter({ hasText: '7' }).waitFor();
    expect(await page.getByTestId('kpi-images').textContent()).toBe('7');
    expect(await page.getByTestId('kpi-errors').textContent()).toBe('1');
    expect(await page.getByTestId('kpi-error-rate').textContent()).toBe('12.5%');
    expect(await page.getByTestId('kpi-reviewed').textContent()).toBe('1');
    // Verdict distribution equals the database's.
    const byVerdict = db().prepare('SELECT verdict, count(*) AS n FROM inference_runs GROUP BY verdict').all() as { verdict: string; n: number }[];
    for (const { verdict, n } of byVerdict) {
      expect(await page.locator(`[data-testid="verdict-table"] tr[data-verdict="${verdict}"] td.num`).first().textContent()).toBe(String(n));
    }
    // The reviewed case: AI said one class, the reviewer another.
    expect(await page.getByTestId('agreement-reviewed').textContent()).toBe('1');
    expect(await page.locator(`[data-cell="${reviewed.aiVerdict}|${reviewed.humanClass}"]`).textContent()).toBe('1');
    expect(await page.getByTestId('kpi-accuracy').textContent()).toBe('0.0%');
    expect(await page.getByTestId('agreement-classes').textContent()).toContain(reviewed.humanClass);
    // Histogram of the pack with its threshold line; a canvas was drawn.
    const hist = page.getByTestId(`histogram-${pack.manifest.name}`);
    expect(await hist.textContent()).toContain('threshold 0.500');
    expect(await page.locator(`[data-testid="chart-histogram-${pack.manifest.name}"] canvas`).count()).toBe(1);
    expect(await page.locator('[data-testid="chart-daily"] canvas').count()).toBe(1);
    expect(await page.getByTestId('drift-table').textContent()).toContain(pack.manifest.name);
    expect(await page.getByTestId('errors-table').textContent()).toContain(out.results.find((r) => r.error)!.error!.code);
    await page.getByTestId('audit-verify').click();
    const audit = page.getByTestId('audit-result');
    await audit.waitFor();
    expect(await audit.getAttribute('data-ok')).toBe('true');
    await b.screenshot('history-dashboard');
    await page.getByTestId('lang-ko').click();
    await page.getByRole('heading', { name: '대시보드' }).waitFor();
    await b.screenshot('history-dashboard-ko');
    await page.getByTestId('lang-en').click();

    await b.screenshot('history-dashboard-en');
  });

  it('a correction supersedes the review: both stay on record, the table shows the latest', async () => {
    const { page } = b;
    await key('Alt+2');
    await page.getByTestId(`history-open-${reviewed.runId}`).click();
    await ready(b);
    // The standing review came back as the draft: decision, note and box.
    expect(await page.getByTestId('review-note').inputValue()).toBe('dent on the flange, model missed it');
    await page.locator('body').click({ position: { x: 5, y: 990 } });
    await key('a');
    await page.getByTestId('save-state').filter({ hasText: 'Saved' }).waitFor();
    const run = getRun(db(), reviewed.runId);
    expect(run.reviews.map((r) => [r.decision, r.supersedes, r.supersededBy])).toEqual([
      ['override', null, run.reviews[1]!.id],
      ['accept', run.reviews[0]!.id, null],
    ]);
    await key('Alt+2');
    const row = page.getByTestId(`history-row-${reviewed.runId}`);
    await row.getByTestId('cell-review').filter({ hasText: 'accepted' }).waitFor();

    // The same chain, checked on the database file and its anchor outside the UI.
    const report = verifyAudit(db(), readAnchor(b.host.history.file));
    expect(report.ok).toBe(true);
    expect(report.firstBreak).toBeNull();
    expect(b.calls.filter((c) => c.channel === 'audit.verify' && c.ok)).toHaveLength(1);
  });
});
