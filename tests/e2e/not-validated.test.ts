/**
 * "Not validated on this station" in the UI (built renderer, real Chromium, real worker, shipped
 * CT pack): a result of a pack whose files were never evaluated here carries the badge in the
 * findings panel and the dashboard marks the pack; once an evaluation of exactly those files is
 * recorded in the same history (`inspector evaluate`), a new result has no badge and the dashboard
 * says validated.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appPaths } from '../../src/host/paths';
import { openBridge, type Bridge } from '../support/bridge';
import { repoRoot } from '../support/paths';
import { waitAttr } from './viewer-helpers';

const samples = join(repoRoot, 'resources', 'samples', 'battery-ct-porosity');
const CT = join(samples, 'ct_slice2_normal_1.png');

describe('not validated on this station (Chromium, real worker, shipped pack)', () => {
  let b: Bridge;
  let userDataDir: string;
  beforeAll(async () => {
    userDataDir = mkdtempSync(join(os.tmpdir(), 'inspector-e2e-validation-'));
    b = await openBridge({ userDataDir, choosePaths: () => [CT] });
  });
  afterAll(async () => {
    await b?.close();
  });

  const inspect = async () => {
    const { page } = b;
    await page.getByTestId('view-review').click();
    await page.getByTestId('inspect-pack').selectOption('battery-ct-porosity');
    await page.locator('body').click({ position: { x: 5, y: 990 } });
    await page.keyboard.press('F5');
  };

  it('a result of never-evaluated pack files shows the badge; the dashboard marks the pack', async () => {
    const { page } = b;
    await page.getByTestId('pack-list').waitFor({ timeout: 60_000 });
    await page.getByTestId('open-files').click();
    await page.getByTestId('case-0').waitFor();
    await waitAttr(b, 'viewer-pane-0', 'data-view', /./);
    await inspect();
    const badge = page.getByTestId('not-validated');
    await badge.waitFor({ timeout: 90_000 });
    expect(await badge.isVisible()).toBe(true);
    expect(await badge.textContent()).toMatch(/Not validated on this station/);
    expect(await badge.getAttribute('title')).toMatch(/no evaluation of these pack files is recorded/);
    const later = page.getByRole('button', { name: /Later/ });
    if (await later.isVisible()) await later.click();
    await b.screenshot('not-validated-viewer');

    await page.getByTestId('view-dashboard').click();
    const dash = page.getByTestId('validation-battery-ct-porosity');
    await dash.waitFor({ timeout: 30_000 });
    expect(await dash.getAttribute('data-validated')).toBe('false');
    expect(await dash.textContent()).toMatch(/Not validated on this station/);
    await dash.scrollIntoViewIfNeeded();
    await b.screenshot('not-validated-dashboard');
  });

  it('after an evaluation of those files is recorded: no badge on a new result, dashboard says validated', async () => {
    const { page } = b;
    const set = join(userDataDir, 'set');
    for (const [cls, names] of [['normal', ['ct_slice2_normal_1.png', 'ct_slice2_normal_2.png']], ['porosity', ['ct_slice2_porosity_1.png', 'ct_slice2_porosity_2.png']]] as const) {
      mkdirSync(join(set, cls), { recursive: true });
      for (const n of names) copyFileSync(join(samples, n), join(set, cls, n));
    }
    const db = appPaths(repoRoot, userDataDir).defaultDatabase;
    const ev = spawnSync(process.execPath, [join(repoRoot, 'bin', 'inspector.js'), 'evaluate', '--pack', 'battery-ct-porosity', '--set', set, '--db', db, '--bootstrap', '20', '--json'], { encoding: 'utf8', timeout: 240_000 });
    expect(ev.status, ev.stderr).toBe(0);
    await inspect();
    // The new result arrives (its run id is recorded) and carries no badge.
    await expect.poll(async () => (b.host.history.get().db.prepare('SELECT count(*) AS n FROM inference_runs WHERE batch_id IS NULL').get() as { n: number }).n, { timeout: 90_000 }).toBe(2);
    await page.getByTestId('verdict').waitFor();
    await expect.poll(async () => page.getByTestId('not-validated').count(), { timeout: 30_000 }).toBe(0);
    await page.getByTestId('view-dashboard').click();
    await page.getByTestId('dash-refresh').click();
    await waitAttr(b, 'validation-battery-ct-porosity', 'data-validated', /^true$/);
    expect(await page.getByTestId('validation-battery-ct-porosity').textContent()).toMatch(/Validated on this station/);
  });
});
