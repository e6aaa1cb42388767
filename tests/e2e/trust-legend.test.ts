/**
 * Issue #15 §3: the trust figure beside the legend. A battery CT view with porosity through the
 * shipped pack (real worker, real Chromium, built renderer): the legend line says whether the map
 * explains the decision, exactly as the run recorded it (the history row's explanation), in English
 * and Korean; reopened from History it says the same.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBridge, type Bridge } from '../support/bridge';
import { repoRoot } from '../support/paths';
import { waitAttr } from './viewer-helpers';

const VIEW = join(repoRoot, 'resources', 'samples', 'battery-ct-porosity', 'ct_slice2_porosity_1.png');

describe('trust figure beside the legend (Chromium, real worker, shipped pack)', () => {
  let b: Bridge;
  beforeAll(async () => {
    b = await openBridge({ userDataDir: mkdtempSync(join(os.tmpdir(), 'inspector-e2e-trust-')), choosePaths: () => [VIEW] });
  });
  afterAll(async () => {
    await b?.close();
  });

  it('shows strong / weak as recorded with the run, in English and Korean, live and reopened', async () => {
    const { page } = b;
    await page.getByTestId('pack-list').waitFor({ timeout: 60_000 });
    await page.getByTestId('open-files').click();
    await page.getByTestId('case-0').waitFor();
    await waitAttr(b, 'viewer-pane-0', 'data-view', /./);
    await page.getByTestId('inspect-pack').selectOption('battery-ct-porosity');
    await page.locator('body').click({ position: { x: 5, y: 990 } });
    await page.keyboard.press('F5');
    const line = page.getByTestId('legend-trust');
    await line.waitFor({ timeout: 90_000 });

    // The oracle: the signed run's explanation record in the history (what F5 recorded).
    const { rows } = await b.host.handlers['history.search']({ sort: 'time', order: 'asc' });
    expect(rows).toHaveLength(1);
    const detail = await b.host.handlers['history.run']({ runId: rows[0]!.runId });
    const trust = detail.run.explanation!.trust!;
    expect(['strong', 'weak']).toContain(trust.verdict);
    expect(await line.getAttribute('data-verdict')).toBe(trust.verdict);
    const text = (await line.textContent())!;
    expect(text).toContain('This map explains the decision');
    expect(text).toContain(trust.verdict);
    expect(text).toContain(trust.figure!.toFixed(2));
    // This view's map is a faithful one (its top 10 % carries the porosity evidence).
    expect(trust.verdict).toBe('strong');
    await page.getByTestId('legend').scrollIntoViewIfNeeded();
    await b.screenshot('trust-legend-en');

    await page.getByTestId('lang-ko').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="legend-trust-verdict"]')?.textContent === '강함');
    expect(await line.textContent()).toContain('이 맵이 판정을 설명하는 정도');
    await b.screenshot('trust-legend-ko');
    await page.getByTestId('lang-en').click();

    // Reopened from History: the same figure, from the recorded run.
    await page.keyboard.press('Alt+2');
    await page.getByTestId(`history-open-${rows[0]!.runId}`).click();
    await waitAttr(b, 'view-review', 'aria-current', /^page$/);
    await waitAttr(b, 'case-1', 'aria-current', /^true$/);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="legend-trust"]').length === 1 && document.querySelector('[data-testid="legend-trust"]')?.textContent?.includes('strong'), undefined, { timeout: 30_000 });
    expect(await page.getByTestId('legend-trust').textContent()).toContain(trust.figure!.toFixed(2));
  });
});
