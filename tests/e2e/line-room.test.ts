/**
 * The Line room in real Chromium with the preload bridged to the real handlers: settings name a
 * station config, the host starts the same station service as `inspector station` (own worker,
 * the app's history, Debian's mosquitto started here, OPC UA and REST on), files dropped into the
 * hot folder appear live in the room (flagged first), and a reviewer's "Not a defect" on a
 * flagged image is published on the broker as a correction naming the original result id.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveStationService } from '../../src/core/settings/index';
import { openBridge, type Bridge } from '../support/bridge';
import { Broker, DEMO_VERDICTS, dropCell, freePort, hasMosquitto, stationYaml, subscriber, tempRoot, until } from '../integration/station/support';

const TOKEN = 'line-room-token-0123456789';

describe.skipIf(!hasMosquitto)('Line room: the station the app runs, live', () => {
  let root: string;
  let broker: Broker;
  let bridge: Bridge;
  let mes: Awaited<ReturnType<typeof subscriber>>;
  let watch: string;

  beforeAll(async () => {
    root = tempRoot('line-room');
    broker = await Broker.start(root);
    mes = await subscriber(broker.url, 'inspector/ST01/#');
    watch = join(root, 'incoming');
    mkdirSync(watch);
    const userDataDir = join(root, 'userdata');
    mkdirSync(userDataDir);
    const cfg = join(root, 'station.yaml');
    process.env['LINE_ROOM_PLC_PASSWORD'] = 'plc-secret-password';
    process.env['INSPECTOR_STATION_TOKEN'] = TOKEN;
    writeFileSync(
      cfg,
      stationYaml({
        watchDir: watch,
        mqttUrl: broker.url,
        settleMs: 200,
        caseTimeoutMs: 5000,
        extra: [`  opcua: { port: ${await freePort()}, users: { plc: LINE_ROOM_PLC_PASSWORD } }`, `  rest: { port: ${await freePort()} }`].join('\n'),
      }),
    );
    // What `inspector settings set station.config station.yaml` writes.
    saveStationService(userDataDir, { config: cfg });
    bridge = await openBridge({ userDataDir });
    await bridge.host.handlers['operator.create']({ id: 'rev1', name: 'Line Reviewer', role: 'reviewer' });
    await bridge.host.handlers['operator.select']({ id: 'rev1' });
    // What the desktop app's main does at start.
    await bridge.host.station.start();
  }, 120_000);

  afterAll(async () => {
    await bridge?.close();
    mes?.client.end(true);
    await broker?.down();
  });

  it('shows the station running with its connections, then cases as they are inspected, flagged first', async () => {
    const feed = await bridge.host.handlers['station.feed']({});
    expect(feed.error).toBeNull();
    expect(feed.service).toBe('running');
    const { page } = bridge;
    await page.getByTestId('view-line').click();
    await page.getByTestId('line-room').waitFor();
    await page.locator('[data-testid="line-conn-mqtt"][data-state="connected"]').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('line-conn-opcua').getAttribute('data-state')).toBe('listening');
    expect(await page.getByTestId('line-conn-rest').getAttribute('data-state')).toBe('listening');
    expect(await page.getByTestId('line-state').textContent()).toMatch(/Ready|Busy/);
    await bridge.screenshot('line-room-empty');

    for (const cell of Object.keys(DEMO_VERDICTS)) dropCell(watch, cell, `P-${cell}`);
    // Live: the page never reloads or re-asks; the rows come from station.event pushes.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="line-case"]').length === 4, null, { timeout: 120_000 }).catch(async (e: unknown) => {
      await bridge.screenshot('line-room-timeout');
      throw e;
    });
    const rows = await page.getByTestId('line-case').evaluateAll((els) => els.map((e) => ({ serial: e.getAttribute('data-serial'), verdict: e.getAttribute('data-verdict') })));
    // Verdicts as `inspector batch` gives them, and the two flagged cases on top.
    for (const r of rows) expect(r.verdict).toBe(DEMO_VERDICTS[r.serial!.slice(2)]);
    expect(rows.slice(0, 2).map((r) => r.verdict).sort()).toEqual(['COMBINED_DEFECT', 'INTERNAL_DEFECT']);
    expect(rows.slice(2).every((r) => r.verdict === 'PASS')).toBe(true);
    // The status line follows the case rows (its event is coalesced over 50 ms).
    await page.waitForFunction(() => document.querySelector('[data-testid="line-processed"]')?.textContent === '4', null, { timeout: 10_000 });
    // The same results went to the broker, once each.
    await until('4 MQTT results', () => mes.results().length === 4 || undefined, 30_000);
    expect(new Set(mes.results().map((m) => m.json['resultId'])).size).toBe(4);
    await bridge.screenshot('line-room-cases');
  }, 240_000);

  it("publishes a reviewer's override from the room as a correction naming the original result id", async () => {
    const { page } = bridge;
    const row = page.locator('[data-testid="line-case"][data-serial="P-cell-002"]');
    const resultId = await row.getAttribute('data-result-id');
    const published = mes.results().find((m) => m.json['serial'] === 'P-cell-002')!;
    expect(published.json['resultId']).toBe(resultId);
    expect(published.json['verdict']).toBe('INTERNAL_DEFECT');
    const ct = row.locator('[data-testid="line-image"][data-view="ct"]');
    await ct.getByTestId('line-reject').click();

    const correction = await until('a correction on the broker', () => mes.got.find((m) => m.topic === 'inspector/ST01/correction'), 30_000);
    expect(correction.json['schema']).toBe('inspector.station.correction/1');
    expect(correction.json['resultId']).toBe(resultId);
    expect(correction.json['originalVerdict']).toBe('INTERNAL_DEFECT');
    expect(correction.json['decision']).toBe('reject');
    expect(correction.json['view']).toBe('ct');
    expect(correction.json['reviewer']).toBe('rev1');
    const ctRun = (published.json['images'] as { view: string; runId: number }[]).find((i) => i.view === 'ct')!.runId;
    expect(correction.json['runId']).toBe(ctRun);
    // The room shows it too (the station's correction event), on that image only.
    await ct.locator('[data-testid="line-corrected"][data-decision="reject"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-testid="line-corrected"]').count()).toBe(1);
    // The original result is not rewritten.
    const feed = await bridge.host.handlers['station.feed']({});
    expect(feed.cases.find((c) => c.resultId === resultId)?.verdict).toBe('INTERNAL_DEFECT');
    expect(mes.got.filter((m) => m.topic === 'inspector/ST01/correction')).toHaveLength(1);
    await bridge.screenshot('line-room-corrected');
  }, 120_000);
});
