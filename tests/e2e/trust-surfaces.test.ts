/**
 * Issue 11/12 leftovers in Chromium on the built renderer with the real host and worker:
 * - the entries a real `inspect.run` skipped (a text file, a FIFO named .png, a dangling link) are a
 *   visible note on the case with their codes;
 * - a shipped pack (battery-ct-porosity) in Korean: class names in the findings and the layer panel
 *   (never the raw id), and the intended use from its MODEL_CARD.ko.md;
 * - the history row shows the case verdict stored with the run (source "stored");
 * - the dashboard's and history's day filters are typed YYYY-MM-DD, with no browser placeholder
 *   (mm/dd/yyyy), and an impossible day is marked invalid.
 * Screenshots under test-output/screenshots/trust-*.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBridge, type Bridge } from '../support/bridge';
import { repoRoot } from '../support/paths';
import { reviewCases } from './review-fixtures';
import { inspectWith, openCases, openChosenAndInspect, openWithTestPack, waitAttr } from './viewer-helpers';

const images = join(repoRoot, 'tests', 'fixtures', 'packs', 'images');
const POROSITY = join(repoRoot, 'resources', 'samples', 'battery-ct-porosity', 'ct_slice2_porosity_1.png');

describe('skipped entries of a real inspect.run are shown on the case', () => {
  let b: Bridge;
  let dir: string;
  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(os.tmpdir(), 'inspector-e2e-skipped-')));
    copyFileSync(join(images, 'normal_0.png'), join(dir, 'cell_a.png'));
    writeFileSync(join(dir, 'notes.txt'), 'operator notes\n');
    execFileSync('mkfifo', [join(dir, 'pipe.png')]);
    symlinkSync(join(dir, 'gone.png'), join(dir, 'dangling.png'));
    b = await openWithTestPack('inspector-e2e-skipped-', dir);
    await b.page.getByTestId('pack-list').waitFor({ timeout: 60_000 });
    // Opening the folder grants it (as the native dialog would).
    await b.page.getByTestId('open-folder').click();
    await b.page.getByTestId('case-0').waitFor({ timeout: 60_000 });
  });
  afterAll(async () => {
    await b?.close();
  });

  it('a run over the folder: each skipped entry listed with its code, next to the verdict', async () => {
    const [fixture] = reviewCases(b);
    // A case whose input is the granted folder itself: inspect.run walks it, as the CLI's inspect does.
    await openCases(b, [{ ...fixture!, id: dir, title: 'Folder', path: dir, findings: undefined, heatmaps: [], boxes: [] } as never]);
    await inspectWith(b, 'resnet-mini');
    const note = b.page.getByTestId('skipped-note');
    await note.waitFor({ timeout: 90_000 });
    expect(await note.isVisible()).toBe(true);
    const entries = await b.page.getByTestId('skipped-entry').evaluateAll((els) => els.map((e) => [e.querySelector('.skipped-file')!.textContent, e.getAttribute('data-code')]));
    const byName = Object.fromEntries(entries);
    expect(Object.keys(byName).sort()).toEqual(['dangling.png', 'notes.txt', 'pipe.png']);
    expect(byName['notes.txt']).toBe('INPUT_NOT_AN_IMAGE');
    expect(byName['pipe.png']).toMatch(/^WALK_[A-Z_]+$/);
    expect(byName['dangling.png']).toMatch(/^WALK_[A-Z_]+$/);
    expect(await note.textContent()).toContain('Skipped, not inspected (3)');
    // The same skips are recorded in the history, so the note is reviewable later too.
    const recorded = b.host.history.get().db.prepare(`SELECT source_path, code FROM errors WHERE json_extract(details, '$.skipped') = 1 ORDER BY source_path`).all() as { source_path: string; code: string }[];
    expect(recorded.map((r) => `${r.source_path.split('/').pop()} ${r.code}`)).toEqual(Object.entries(byName).map(([n, c]) => `${n} ${c}`).sort());
    const later = b.page.getByRole('button', { name: /Later/ });
    if (await later.isVisible()) await later.click();
    await note.scrollIntoViewIfNeeded();
    await b.screenshot('trust-skipped-note');
  });
});

describe('shipped pack in Korean, stored case verdict, day filters', () => {
  let b: Bridge;
  beforeAll(async () => {
    b = await openBridge({ userDataDir: mkdtempSync(join(os.tmpdir(), 'inspector-e2e-ko-')), choosePaths: () => [POROSITY], viewport: { width: 1600, height: 1000 } });
    const { page } = b;
    await openChosenAndInspect(b, 'battery-ct-porosity');
    await page.getByTestId('model-card').waitFor({ timeout: 90_000 });
    await page.locator('[data-testid^="layer-toggle-"]').first().waitFor({ timeout: 30_000 });
    const later = page.getByRole('button', { name: /Later/ });
    if (await later.isVisible()) await later.click();
  });
  afterAll(async () => {
    await b?.close();
  });

  it('layer panel names the class (Porosity / 기공), never the raw id; the Korean card’s intended use is shown in ko', async () => {
    const { page } = b;
    const layerText = async () => (await page.getByTestId('layer-panel').locator('legend').first().textContent())!;
    expect(await layerText()).toMatch(/· Porosity$/);
    await page.getByTestId('lang-ko').click();
    await page.getByTestId('model-card').waitFor();
    expect(await layerText()).toMatch(/· 기공$/);
    expect(await layerText()).not.toContain('porosity');
    const card = (await page.getByTestId('model-card').textContent())!;
    expect(card).toContain('전극 권취부의 회색조 CT 단면 한 장');
    const probs = (await page.locator('table.probs').textContent())!;
    expect(probs).toContain('기공');
    expect(probs).toContain('정상');
    // The integrated verdict's side line is translated too (side, decision and class), not "internal: defect … (porosity)".
    const sides = (await page.getByTestId('integrated').locator('li').first().textContent())!;
    expect(sides).toMatch(/^내부: 결함 \d\.\d{3} \(기공\)$/);
    await page.getByTestId('model-card').scrollIntoViewIfNeeded();
    await b.screenshot('trust-ko-card-and-class-names');
    await page.getByTestId('layer-panel').scrollIntoViewIfNeeded();
    await b.screenshot('trust-ko-layer-panel');
    await page.getByTestId('lang-en').click();
  });

  it('the history row shows the case verdict stored with the run', async () => {
    const { page } = b;
    await page.keyboard.press('Alt+2');
    const cell = page.getByTestId('cell-case-verdict').first();
    await cell.waitFor({ timeout: 30_000 });
    expect(await cell.getAttribute('data-source')).toBe('stored');
    expect(await cell.textContent()).toContain('INTERNAL_DEFECT');
    const stored = b.host.history.get().db.prepare('SELECT verdict FROM case_verdicts').pluck().all();
    expect(stored).toEqual(['INTERNAL_DEFECT']);
    await b.screenshot('trust-history-case-verdict');
    // Reopened from the history, the case shows the verdict stored with the run, not a recomputation.
    const runId = (b.host.history.get().db.prepare('SELECT id FROM inference_runs').pluck().get() as number);
    await page.getByTestId(`history-open-${runId}`).click();
    await waitAttr(b, 'view-review', 'aria-current', /^page$/);
    await waitAttr(b, 'case-1', 'aria-current', /^true$/);
    const integrated = page.getByTestId('integrated');
    await integrated.waitFor({ timeout: 30_000 });
    expect(await integrated.textContent()).toMatch(/INTERNAL_DEFECT[\s\S]*stored: weighted_average/);
    await page.keyboard.press('Alt+2');
  });

  it('day filters: YYYY-MM-DD text, no browser placeholder, impossible days refused', async () => {
    const { page } = b;
    for (const [view, ids] of [['view-history', ['history-from', 'history-to']], ['view-dashboard', ['dash-from', 'dash-to']]] as const) {
      await page.getByTestId(view).click();
      for (const id of ids) {
        const input = page.getByTestId(id);
        await input.waitFor({ timeout: 30_000 });
        expect(await input.getAttribute('type')).toBe('text');
        expect(await input.getAttribute('placeholder')).toBe('YYYY-MM-DD');
        // What the empty field shows is our placeholder, not Chromium's locale pattern.
        expect(await input.evaluate((e: HTMLInputElement) => e.value)).toBe('');
      }
    }
    const from = page.getByTestId('dash-from');
    await from.fill('2025-02-30');
    expect(await from.getAttribute('aria-invalid')).toBe('true');
    await from.fill('2025-02-28');
    expect(await from.getAttribute('aria-invalid')).toBe('false');
    await from.fill('');
    await page.getByTestId('dash-from').scrollIntoViewIfNeeded();
    await b.screenshot('trust-dashboard-day-filters');
  });
});
