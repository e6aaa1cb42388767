/**
 * The input guard in the UI: a chest radiograph inspected with the battery-CT pack (a shipped pack,
 * real worker, real Chromium) shows the out-of-distribution warning with its reason in the findings
 * panel, and the integrated verdict is UNCERTAIN, not the "porosity" the model alone reports.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBridge, type Bridge } from '../support/bridge';
import { repoRoot } from '../support/paths';
import { openChosenAndInspect, waitAttr } from './viewer-helpers';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';

const CHEST = join(repoRoot, 'resources', 'samples', 'chest-xray-pneumonia', 'normal_00001299_000.jpg');

describe('input guard warning on the case (Chromium, real worker, shipped pack)', () => {
  let b: Bridge;
  beforeAll(async () => {
    b = await openBridge({ userDataDir: mkdtempSync(join(os.tmpdir(), 'inspector-e2e-guard-')), choosePaths: () => [CHEST] });
  });
  afterAll(async () => {
    await b?.close();
  });

  it('chest sample through the battery pack: warning with code and reason, integrated verdict UNCERTAIN', async () => {
    const { page } = b;
    await openChosenAndInspect(b, 'battery-ct-porosity');
    const warning = page.getByTestId('guard-warning');
    await warning.waitFor({ timeout: 90_000 });
    expect(await warning.getAttribute('data-code')).toBe('INPUT_OUT_OF_DISTRIBUTION');
    expect(await warning.textContent()).toMatch(/Mahalanobis distance/);
    expect(await warning.isVisible()).toBe(true);
    expect(await page.getByTestId('integrated').textContent()).toMatch(/UNCERTAIN/i);
    expect(await page.getByTestId('verdict').textContent()).toMatch(/uncertain/i);
    // No "porosity" boxes from a model outside its domain.
    expect(await page.getByTestId('regions').count()).toBe(0);
    // The first-run profile chooser is dismissed (Later) so the screenshot shows the panel.
    const later = page.getByRole('button', { name: /Later/ });
    if (await later.isVisible()) await later.click();
    await page.getByTestId('guard-warning').scrollIntoViewIfNeeded();
    await b.screenshot('guard-warning-chest-through-battery');
  });

  it('the flagged run reopened from the History view shows the same warning and reasons', async () => {
    const { page } = b;
    const liveText = await page.getByTestId('guard-warning').textContent();
    const { rows } = await b.host.handlers['history.search']({});
    expect(rows).toHaveLength(1);
    const runId = rows[0]!.runId;
    await page.keyboard.press('Alt+2');
    await page.getByTestId(`history-open-${runId}`).click();
    await waitAttr(b, 'view-review', 'aria-current', /^page$/);
    await page.getByTestId('case-1').waitFor();
    await waitAttr(b, 'case-1', 'aria-current', /^true$/);
    const warning = page.getByTestId('guard-warning');
    await warning.waitFor({ timeout: 30_000 });
    expect(await warning.getAttribute('data-code')).toBe('INPUT_OUT_OF_DISTRIBUTION');
    expect(await warning.textContent()).toMatch(/Mahalanobis distance/);
    expect(await warning.textContent()).toBe(liveText);
    await b.screenshot('guard-warning-reopened-from-history');
  });

  it('in Korean the warning\'s reasons read in Korean, numbers kept', async () => {
    const { page } = b;
    const en = (await page.getByTestId('guard-warning').locator('li').allTextContents()).join('\n');
    await page.getByTestId('lang-ko').click();
    const ko = (await page.getByTestId('guard-warning').locator('li').allTextContents()).join('\n');
    expect(ko).toMatch(/마할라노비스/);
    expect(ko).not.toMatch(/Mahalanobis|reference images/);
    for (const n of en.match(/\d+\.\d+/g) ?? []) expect(ko).toContain(n);
    await page.getByTestId('guard-warning').scrollIntoViewIfNeeded();
    await b.screenshot('guard-warning-ko');
    await page.getByTestId('lang-en').click();
  });

  it('a battery CT view through its own pack shows no warning', async () => {
    const run = await b.host.handlers['inspect.run']({ paths: [join(repoRoot, 'resources/samples/battery-ct-porosity/ct_slice2_normal_1.png')], pack: 'battery-ct-porosity' });
    expect(run.results[0]!.guard?.outOfDistribution).toBe(false);
    expect(run.cases[0]!.verdict.verdict).toBe('PASS');
  });
});
