/**
 * First start: the bundled samples are one click away, and F5 runs the pack they are meant for
 * (preselected by name) with the real shipped model — no file dialog, no pack choice needed.
 */
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBridge, type Bridge } from '../support/bridge';

describe('bundled samples (Chromium, real host, shipped packs)', () => {
  let b: Bridge;
  beforeAll(async () => {
    b = await openBridge();
  });
  afterAll(async () => {
    await b?.close();
  });

  it('lists the sample sets, opens one as cases and inspects a defective one with its own pack', async () => {
    const { page } = b;
    const sets = await b.host.handlers['samples.list']({});
    const battery = sets.find((s) => s.name === 'battery-ct-porosity');
    expect(battery, 'resources/samples/battery-ct-porosity ships with the app').toBeDefined();
    expect(sets.map((s) => s.name)).not.toContain('ground-truth');

    await page.getByTestId('pack-list').waitFor({ timeout: 60_000 });
    await page.getByTestId('samples').locator('summary').click();
    await page.getByTestId('sample-battery-ct-porosity').click();
    await page.getByTestId('case-0').waitFor();
    expect(await page.getByTestId('case-list').locator('li').count()).toBe(battery!.images.length);

    // The case list follows the folder order; pick a slice with inserted voids.
    const index = battery!.images.findIndex((p) => /porosity_1\.png$/.test(p));
    expect(index).toBeGreaterThanOrEqual(0);
    await page.getByTestId(`case-${index}`).click();
    expect(await page.getByTestId('inspect-pack').locator('option').first().textContent()).toContain('battery-ct-porosity');
    await page.locator('body').click({ position: { x: 5, y: 990 } });
    await page.keyboard.press('F5');
    await page.getByTestId('verdict').waitFor({ timeout: 90_000 });
    await page.getByTestId('verdict').filter({ hasText: /porosity/i }).waitFor({ timeout: 30_000 });
    await b.screenshot('samples-battery-porosity');

    // It went through the real engine and was recorded like any other inspection.
    const { rows } = await b.host.handlers['history.search']({});
    expect(rows.map((r) => basename(r.sourcePath))).toContain(basename(battery!.images[index]!));
    expect(rows[0]!.packName).toBe('battery-ct-porosity');
  });

  it('a sample set with its own inspector.yaml routes each view to its side\'s pack', async () => {
    const { page } = b;
    const sets = await b.host.handlers['samples.list']({});
    const demo = sets.find((s) => s.name === 'line-demo')!;
    expect(demo.config).toMatch(/line-demo[\\/]inspector\.yaml$/);
    await page.getByTestId('sample-line-demo').click();
    const index = demo.images.findIndex((p) => p.endsWith('cell-002_ct.png'));
    await page.getByTestId(`case-${index}`).click();
    expect(await page.getByTestId('inspect-pack').locator('option').first().textContent()).toMatch(/inspector\.yaml/);
    await page.locator('body').click({ position: { x: 5, y: 990 } });
    await page.keyboard.press('F5');
    // The CT view went to the internal side's pack, as the config says; no pack was chosen by hand.
    await page.getByTestId('verdict').filter({ hasText: /porosity/i }).waitFor({ timeout: 90_000 });
    await page.getByTestId('integrated').filter({ hasText: /INTERNAL/i }).waitFor({ timeout: 30_000 });
    await b.screenshot('samples-line-demo-cell-002');
    const { rows } = await b.host.handlers['history.search']({});
    // The side's pack decided; the config's grounding pack ran on the same view for findings.
    expect(rows.find((r) => r.packName === 'battery-ct-porosity')).toMatchObject({ caseKey: 'cell-002' });
    expect(rows.find((r) => r.packName === 'defects-grounding')).toMatchObject({ caseKey: 'cell-002' });
  });
});
