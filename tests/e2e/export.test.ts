/**
 * Exports from the history view (Chromium, real host, real worker and SQLite): real images
 * inspected through `inspect.run`, one reviewed in the viewer by the operator chosen at start,
 * then "Export CSV", "Export JSON" and "Audit report (PDF)" clicked or pressed in the history
 * toolbar. The save dialog's stand-in answers with a path; the files are read back and the audit
 * log checked. Without an operator the export is refused with a message; a cancelled dialog writes nothing;
 * the De-identify box gives a file without paths, reviewer names or notes.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRun } from '../../src/core/history/index';
import type { LoadedPack } from '../../src/core/packs/load';
import type { InspectRunResult } from '../../src/shared/inspect';
import { openBridge, type Bridge } from '../support/bridge';
import { classifierPack, imageDir } from '../unit/engine/support';
import { parseCsv } from '../integration/reports/support/csv';
import { pdfText } from '../integration/reports/support/pdfText';
import { ready } from './viewer-helpers';

const IMAGES = ['defect_4.png', 'normal_0.png', 'normal_1.png'];

describe('history exports from the toolbar (Chromium, real host)', () => {
  let b: Bridge;
  let pack: LoadedPack;
  let work: string;
  let runId = 0;
  /** What the "user" answers in the save dialog, one answer per export; null cancels. */
  const answers: (string | null)[] = [];
  const asked: { defaultName: string; extensions: string[] }[] = [];
  const db = () => b.host.history.get().db;
  const lastEntry = () => db().prepare('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1').get() as Record<string, unknown>;

  beforeAll(async () => {
    pack = await classifierPack('resnet-mini');
    work = mkdtempSync(join(os.tmpdir(), 'inspector-e2e-export-'));
    for (const f of IMAGES) copyFileSync(join(imageDir, f), join(work, f));
    b = await openBridge({
      choosePaths: (kind, save) => {
        if (kind !== 'save') return [];
        asked.push(save!);
        const next = answers.shift();
        return next ? [next] : [];
      },
    });
    b.host.grants.grant(work);
    b.host.grants.grant(pack.dir);
    const out = (await b.page.evaluate(
      async ({ paths, pack }) => {
        const api = (globalThis as unknown as { api: { call(c: string, i: unknown): Promise<{ ok: boolean; value?: unknown; error?: unknown }> } }).api;
        const r = await api.call('inspect.run', { paths, pack, method: 'gradcam' });
        if (!r.ok) throw new Error(JSON.stringify(r.error));
        return r.value;
      },
      { paths: IMAGES.map((f) => join(work, f)), pack: pack.dir },
    )) as InspectRunResult;
    runId = out.results.find((r) => r.source.endsWith('normal_1.png'))!.runId!;
    expect(runId).toBeGreaterThan(0);
  });
  afterAll(async () => {
    await b?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('refuses to export before an operator profile is chosen, and says why', async () => {
    const { page } = b;
    await page.getByTestId('operator-chooser').waitFor();
    await page.getByTestId('operator-later').click();
    await page.keyboard.press('Alt+2');
    await page.getByTestId('history-range').filter({ hasText: 'of 3' }).waitFor();
    await page.getByTestId('export-csv').click();
    await page.getByTestId('export-status').filter({ hasText: 'OPERATOR_REQUIRED' }).waitFor();
    expect(await page.getByTestId('export-status').textContent()).toContain('Choose your operator profile first');
    expect(asked).toHaveLength(0);
  });

  it('after a review in the viewer, Export CSV writes the chosen file with the reviewer in it', async () => {
    const { page } = b;
    await page.getByTestId('operator-chip').click();
    await page.getByTestId('operator-id').fill('han.y');
    await page.getByTestId('operator-name').fill('한유진');
    await page.getByTestId('operator-role').selectOption('supervisor');
    await page.getByTestId('operator-create').click();
    await page.getByTestId('operator-current').filter({ hasText: '한유진' }).waitFor();

    await page.getByTestId(`history-open-${runId}`).click();
    await page.getByTestId('viewer-pane-0').waitFor();
    await ready(b);
    await page.locator('body').click({ position: { x: 5, y: 990 } });
    await page.keyboard.press('e');
    await page.keyboard.type('checked, "edge" ok');
    await page.keyboard.press('Escape');
    await page.keyboard.press('a');
    await page.getByTestId('save-state').filter({ hasText: 'Saved' }).waitFor();
    expect(getRun(db(), runId).reviews).toHaveLength(1);

    await page.keyboard.press('Alt+2');
    await page.getByTestId('history-range').filter({ hasText: 'of 3' }).waitFor();
    const csvFile = join(work, 'history.csv');
    answers.push(csvFile);
    await page.getByTestId('export-csv').click();
    await page.getByTestId('export-status').filter({ hasText: 'history.csv' }).waitFor();
    expect(asked.at(-1)).toMatchObject({ extensions: ['csv'] });
    const rows = parseCsv(readFileSync(csvFile, 'utf8').slice(1));
    const header = rows[0]!;
    // Run rows only: failed images and the closing off-machine anchor row are records of their own kind.
    const byRun = new Map(rows.slice(1).filter((r) => r[header.indexOf('record')] === 'run').map((r) => [Number(r[0]), Object.fromEntries(header.map((h, i) => [h, r[i]]))]));
    expect(byRun.size).toBe(3);
    expect(rows.at(-1)![header.indexOf('record')]).toBe('audit_anchor');
    expect(byRun.get(runId)).toMatchObject({ review_decision: 'accept', reviewer_id: 'han.y', reviewer_name: '한유진', review_note: 'checked, "edge" ok' });
    const sha = createHash('sha256').update(readFileSync(csvFile)).digest('hex');
    expect(lastEntry()).toMatchObject({ actor: 'han.y', action: 'export.csv', entity_id: 'history.csv', record_hash: sha });
    expect(await page.getByTestId('export-status').textContent()).toContain(`#${String(lastEntry()['seq'])}`);
    await b.screenshot('export-csv-saved');
  });

  it('exports the current filters as JSON and the audit report as PDF from the keyboard', async () => {
    const { page } = b;
    await page.getByTestId('history-status').selectOption('reviewed');
    await page.getByTestId('history-range').filter({ hasText: 'of 1' }).waitFor();
    const jsonFile = join(work, 'reviewed.json');
    answers.push(jsonFile);
    await page.getByTestId('export-json').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('export-status').filter({ hasText: 'reviewed.json' }).waitFor();
    const doc = JSON.parse(readFileSync(jsonFile, 'utf8')) as { header: { exported_by: { id: string }; filters: Record<string, string> }; rows: { run_id: number }[] };
    expect(doc.header.exported_by.id).toBe('han.y');
    expect(doc.header.filters).toEqual({ review_status: 'reviewed' });
    expect(doc.rows.map((r) => r.run_id)).toEqual([runId]);

    const pdfFile = join(work, 'audit.pdf');
    answers.push(pdfFile);
    // The three buttons are in the tab order: CSV → JSON → PDF.
    await page.getByTestId('export-csv').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('export-pdf');
    await page.keyboard.press('Enter');
    await page.getByTestId('export-status').filter({ hasText: 'audit.pdf' }).waitFor();
    expect(await page.getByTestId('export-status').getAttribute('data-kind')).toBe('ok');
    const text = (await pdfText(readFileSync(pdfFile))).join('\n');
    expect(text).toContain('한유진 (han.y, supervisor)');
    expect(text).toContain(getRun(db(), runId).case.key);
    expect(lastEntry()).toMatchObject({ action: 'export.pdf', record_hash: createHash('sha256').update(readFileSync(pdfFile)).digest('hex') });
  });

  it('a cancelled save dialog writes nothing and logs nothing', async () => {
    const { page } = b;
    const before = lastEntry()['seq'];
    answers.push(null);
    await page.getByTestId('export-csv').click();
    await page.getByTestId('export-status').filter({ hasText: 'cancelled' }).waitFor();
    expect(lastEntry()['seq']).toBe(before);
    expect(existsSync(join(work, 'history (1).csv'))).toBe(false);
  });

  it('the De-identify box exports without paths, folders, reviewer names or notes, and the status says so', async () => {
    const { page } = b;
    const box = page.getByTestId('export-deidentify');
    expect(await box.isChecked()).toBe(false);
    await box.check();
    const csvFile = join(work, 'deid.csv');
    answers.push(csvFile);
    await page.getByTestId('export-csv').click();
    await page.getByTestId('export-status').filter({ hasText: 'deid.csv' }).waitFor();
    expect(await page.getByTestId('export-status').textContent()).toContain('(de-identified)');
    const text = readFileSync(csvFile, 'utf8');
    for (const s of [work, '한유진', 'checked, "edge" ok', 'normal_1.png']) expect(text, s).not.toContain(s);
    const rows = parseCsv(text.slice(1));
    const header = rows[0]!;
    const row = Object.fromEntries(header.map((h, i) => [h, rows.slice(1).find((r) => r[0] === String(runId))![i]]));
    expect(row).toMatchObject({ review_decision: 'accept', reviewer_id: 'han.y', reviewer_name: '', review_note: '[removed]', deidentified: 'PS3.15 basic profile' });
    expect(row['image_path']).toMatch(/^IMG-[0-9A-F]{12}\.png$/);
    expect(lastEntry()).toMatchObject({ actor: 'han.y', action: 'export.csv', entity_id: 'deid.csv' });
    await b.screenshot('export-deidentified');
  });
});
