/**
 * The Fleet room in real Chromium with the preload bridged to the real handlers and a real
 * PostgreSQL 15: settings.yaml names `fleet.central` (the sync role) and `fleet.dashboard` (a
 * role that may only read); the host's background sync sends the app's own inspections; the room
 * shows the sync state, and its statistics — read through the read-only connection — equal what
 * the history holds. The dashboard connection cannot write central data.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBridge, type Bridge } from '../support/bridge';
import { repoRoot } from '../support/paths';
import { migrateCentral, syncStation } from '../../src/core/fleet/index';
import { HistoryStore } from '../../src/core/history/index';
import { recordInference } from '../../src/core/history/records';
import { postgresAvailable, skipReason, startPostgres, type TempPostgres } from '../integration/fleet/postgres';
import { syntheticRun } from '../integration/fleet/records';

if (!postgresAvailable) console.warn(`fleet room E2E skipped: ${skipReason}`);

describe.skipIf(!postgresAvailable)('Fleet room', () => {
  let pgs: TempPostgres;
  let b: Bridge;
  const userDataDir = mkdtempSync(join(os.tmpdir(), 'inspector-e2e-fleet-'));

  beforeAll(async () => {
    pgs = await startPostgres();
    const admin = new pg.Client({ connectionString: pgs.url });
    await admin.connect();
    // The dashboard's own login: it may read the central tables and nothing else.
    await admin.query(`CREATE ROLE dashboard LOGIN; GRANT pg_read_all_data TO dashboard`);
    await admin.end();
    const dashboardUrl = pgs.url.replace('//postgres@', '//dashboard@');
    writeFileSync(
      join(userDataDir, 'settings.yaml'),
      `station:\n  id: APP-1\n  line: L2\nfleet:\n  central: ${pgs.url}\n  dashboard: ${dashboardUrl}\n  interval_s: 1\n`,
    );
    b = await openBridge({ userDataDir });
    const later = b.page.getByTestId('operator-later');
    if (await later.isVisible().catch(() => false)) await later.click();
  }, 120_000);
  afterAll(async () => {
    await b?.close();
    pgs?.stop();
    rmSync(userDataDir, { recursive: true, force: true });
  });

  it('the app syncs its own inspections in the background and the room shows central statistics', async () => {
    // Two real inspections through the app's own channel, recorded in the app's history.
    const samples = join(repoRoot, 'resources', 'samples', 'battery-ct-porosity');
    const files = (await import('node:fs')).readdirSync(samples).filter((f) => f.endsWith('.png')).slice(0, 2).map((f) => join(samples, f));
    const run = await b.host.handlers['inspect.run']({ paths: files, pack: 'battery-ct-porosity' });
    expect(run.results.length).toBe(2);
    const status = b.host.fleet.startFromSettings();
    expect(status.sync?.station).toBe('APP-1');

    await b.page.getByTestId('view-fleet').click();
    const state = b.page.getByTestId('fleet-sync-state');
    await state.and(b.page.locator('[data-state="synced"]')).waitFor({ timeout: 60_000 });
    await b.page.getByTestId('fleet-pending').filter({ hasText: /^0$/ }).waitFor({ timeout: 30_000 });
    expect(await b.page.getByTestId('fleet-station').innerText()).toBe('APP-1');
    expect(Number(await b.page.getByTestId('fleet-sent').innerText())).toBeGreaterThan(0);

    await b.page.getByTestId('fleet-load').click();
    const rows = b.page.getByTestId('fleet-row');
    await rows.first().waitFor();
    const local = b.host.history.get().db.prepare("SELECT count(*) FROM inference_runs WHERE pack_name = 'battery-ct-porosity'").pluck().get() as number;
    const shown = await rows.evaluateAll((els) => els.map((e) => ({ station: e.getAttribute('data-station'), runs: Number(e.getAttribute('data-runs')) })));
    expect(shown.every((r) => r.station === 'APP-1')).toBe(true);
    expect(shown.reduce((a, r) => a + r.runs, 0)).toBe(local);
    expect(await rows.first().innerText()).toContain('L2');
    await b.screenshot('fleet-room');
  }, 180_000);

  it('a chosen set of stations: the room offers every station central holds and shows only the ticked ones', async () => {
    // A second station on another line, synced into the same central database by the real sync.
    const other = HistoryStore.open(join(userDataDir, 'st2.sqlite'));
    const c = new pg.Client({ connectionString: pgs.url });
    await c.connect();
    try {
      await migrateCentral(c);
      for (let i = 0; i < 3; i++) {
        const r = syntheticRun(i, { station: 'ST-2', key: `ST2-${i}`, line: 'L7' });
        other.write((tx) => void recordInference(tx, r));
      }
      await syncStation(other.db, c, 'ST-2');
    } finally {
      await c.end();
      other.close();
    }
    const page = b.page;
    await page.getByTestId('fleet-load').click();
    const stationsOf = async () => new Set(await page.getByTestId('fleet-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-station'))));
    await page.getByTestId('fleet-choose-ST-2').waitFor();
    expect(await stationsOf()).toEqual(new Set(['APP-1', 'ST-2']));
    await page.getByTestId('fleet-choose-ST-2').check();
    await page.getByTestId('fleet-load').click();
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="fleet-row"]')].every((e) => e.getAttribute('data-station') === 'ST-2'));
    const rows = page.getByTestId('fleet-row');
    const runs = await rows.evaluateAll((els) => els.reduce((a, e) => a + Number(e.getAttribute('data-runs')), 0));
    expect(runs).toBe(3);
    expect(await rows.first().innerText()).toContain('L7');
    // The request the room sent is what the host answered for: ST-2 only, both stations offered.
    const direct = await b.host.handlers['fleet.stats']({ stations: ['ST-2'] });
    expect(direct.chosen).toEqual(['ST-2']);
    expect(direct.stations).toEqual(['APP-1', 'ST-2']);
    expect(direct.rows.every((r: { station: string }) => r.station === 'ST-2')).toBe(true);
    await b.screenshot('fleet-room-stations');
  }, 120_000);

  it('the dashboard connection is read-only: a write through it is refused by PostgreSQL', async () => {
    const c = new pg.Client({ connectionString: pgs.url.replace('//postgres@', '//dashboard@') });
    await c.connect();
    try {
      await expect(c.query("DELETE FROM records WHERE station_id = 'APP-1'")).rejects.toThrow(/permission denied/);
    } finally {
      await c.end();
    }
    // And the room's statistics still load.
    const r = await b.host.handlers['fleet.stats']({});
    expect(r.rows.length).toBeGreaterThan(0);
  });
});
