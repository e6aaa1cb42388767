/**
 * The Line room in real Chromium with the preload bridged to the real handlers: settings name a
 * station config, the host starts the same station service as `inspector station` (own worker,
 * the app's history, Debian's mosquitto started here, OPC UA and REST on), files dropped into the
 * hot folder appear live in the room (flagged first), and a reviewer's "Not a defect" on a
 * flagged image is published on the broker as a correction naming the original result id. The
 * room's controls (station.control) halt, reset, stop and start the station — refused for a
 * reviewer, allowed for a line operator, each action in the audit chain.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
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
  let userDataDir: string;

  beforeAll(async () => {
    root = tempRoot('line-room');
    broker = await Broker.start(root);
    mes = await subscriber(broker.url, 'inspector/ST01/#');
    watch = join(root, 'incoming');
    mkdirSync(watch);
    userDataDir = join(root, 'userdata');
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

  it('shows a thumbnail of every image in the feed, with the flagged regions outlined; a run of another case is refused', async () => {
    const { page } = bridge;
    const images = page.locator('[data-testid="line-image"]');
    const n = await images.count();
    expect(n).toBeGreaterThanOrEqual(4);
    await page.waitForFunction((k) => document.querySelectorAll('[data-testid="line-image"] [data-testid="line-thumb"][data-state="ready"]').length === k, n, { timeout: 60_000 });
    const feed = await bridge.host.handlers['station.feed']({});
    const db = new Database(join(userDataDir, 'inspector.sqlite'), { readonly: true });
    try {
      for (const c of feed.cases) {
        for (const im of c.images.filter((i) => i.runId !== null && i.role !== 'findings')) {
          const li = page.locator(`[data-testid="line-case"][data-result-id="${c.resultId}"] [data-testid="line-image"][data-view="${im.view ?? ''}"]`);
          const shown = await li.locator('[data-testid="line-thumb"] img').evaluate((el: HTMLImageElement) => ({ w: el.naturalWidth, h: el.naturalHeight, complete: el.complete }));
          // The browser decoded a real PNG of the recorded image: same aspect as the file the model saw.
          const rec = db.prepare('SELECT i.width AS w, i.height AS h, r.regions AS regions FROM inference_runs r JOIN images i ON i.id = r.image_id WHERE r.id = ?').get(im.runId) as { w: number; h: number; regions: string };
          expect(shown.complete).toBe(true);
          expect(Math.max(shown.w, shown.h)).toBe(Math.min(140, Math.max(rec.w, rec.h)));
          expect(Math.abs(shown.w / shown.h - rec.w / rec.h)).toBeLessThan(0.05);
          const boxes = (JSON.parse(rec.regions) as unknown[]).length;
          expect(Number(await li.getByTestId('line-thumb').getAttribute('data-regions'))).toBe(boxes);
          expect(await li.locator('[data-testid="line-thumb"] rect').count()).toBe(boxes);
        }
      }
    } finally {
      db.close();
    }
    // Only a deciding run of the named case: a run id of another case is refused by main.
    const [a, b] = feed.cases;
    const otherRun = b!.images.find((i) => i.runId !== null)!.runId!;
    const refused = (await page.evaluate(([rid, run]) => (window as unknown as { api: { call(c: string, i: unknown): Promise<unknown> } }).api.call('station.thumbnail', { resultId: rid, runId: run }), [a!.resultId, otherRun] as const)) as { ok: boolean; error?: { code: string } };
    expect(refused.ok).toBe(false);
    expect(refused.error?.code).toBe('STATION_RUN_NOT_OF_CASE');
    const bad = (await page.evaluate(() => (window as unknown as { api: { call(c: string, i: unknown): Promise<unknown> } }).api.call('station.thumbnail', { path: '/etc/passwd' }))) as { ok: boolean; error?: { code: string } };
    expect(bad.ok).toBe(false);
    expect(bad.error?.code).toMatch(/^IPC_/);
    await bridge.screenshot('line-room-thumbnails');
  }, 120_000);

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
    // "Not a defect" on the only defective view: the case is PASS now, shown beside the published verdict.
    expect(correction.json['correctedVerdict']).toBe('PASS');
    expect(correction.json['verdictChanged']).toBe(true);
    await row.locator('[data-testid="line-corrected-verdict"][data-verdict="PASS"][data-changed="yes"]').waitFor({ timeout: 15_000 });
    expect(await row.locator('.verdict-chip').first().textContent()).toBe('INTERNAL_DEFECT');
    expect(await page.locator('[data-testid="line-corrected-verdict"]').count()).toBe(1);
    // The original result is not rewritten.
    const feed = await bridge.host.handlers['station.feed']({});
    expect(feed.cases.find((c) => c.resultId === resultId)?.verdict).toBe('INTERNAL_DEFECT');
    expect(mes.got.filter((m) => m.topic === 'inspector/ST01/correction')).toHaveLength(1);
    await bridge.screenshot('line-room-corrected');
  }, 120_000);
  it('halts, resets, stops and starts the station from the room: operator role checked, every action audited', async () => {
    const { page } = bridge;
    await page.locator('[data-testid="line-vision"][data-vision="Operational/ContinuousExecution"]').waitFor({ timeout: 15_000 });
    // A reviewer (rev1 is selected) reviews; the line is not theirs to halt.
    await page.getByTestId('line-halt').click();
    await page.locator('[data-testid="line-control-error"][data-code="STATION_ROLE_REQUIRED"]').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('line-vision').getAttribute('data-vision')).toBe('Operational/ContinuousExecution');
    // The channel's input is validated: an unknown action never reaches the host.
    const bad = (await page.evaluate(() => (window as unknown as { api: { call(c: string, i: unknown): Promise<unknown> } }).api.call('station.control', { action: 'explode' }))) as { ok: boolean; error?: { code: string } };
    expect(bad.ok).toBe(false);
    expect(bad.error?.code).toMatch(/^IPC_/);

    await bridge.host.handlers['operator.create']({ id: 'op1', name: 'Line Operator', role: 'operator' });
    await bridge.host.handlers['operator.select']({ id: 'op1' });
    await page.getByTestId('line-halt').click();
    await page.locator('[data-testid="line-vision"][data-vision="Halted"]').waitFor({ timeout: 10_000 });
    // Halted: a part dropped now waits on disk (not inspected, not published).
    const before = mes.results().length;
    dropCell(watch, 'cell-001', 'P-halted');
    await new Promise((r) => setTimeout(r, 2500));
    expect(mes.results().length).toBe(before);
    expect(await page.locator('[data-testid="line-case"][data-serial="P-halted"]').count()).toBe(0);
    await bridge.screenshot('line-room-halted');

    // Reset (OPC 40100 Reset, then automatic mode and continuous execution): the waiting part is taken.
    await page.getByTestId('line-reset').click();
    await page.locator('[data-testid="line-vision"][data-vision="Operational/ContinuousExecution"]').waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="line-case"][data-serial="P-halted"]').waitFor({ timeout: 60_000 });
    await until('P-halted on MQTT', () => mes.results().find((m) => m.json['serial'] === 'P-halted'), 30_000);

    // Stop and start the service itself.
    await page.getByTestId('line-stop').click();
    await page.locator('[data-testid="line-room"][data-service="stopped"]').waitFor({ timeout: 30_000 });
    await page.getByTestId('line-start').click();
    await page.locator('[data-testid="line-room"][data-service="running"]').waitFor({ timeout: 60_000 });
    await page.locator('[data-testid="line-conn-mqtt"][data-state="connected"]').waitFor({ timeout: 30_000 });
    await bridge.screenshot('line-room-restarted');

    // The audit chain names who did what, in order; the refused reviewer changed nothing.
    const db = new Database(join(userDataDir, 'inspector.sqlite'), { readonly: true });
    const rows = db.prepare("SELECT actor, action FROM audit_log WHERE action LIKE 'station.%' ORDER BY seq").all() as { actor: string; action: string }[];
    db.close();
    expect(rows).toEqual([
      { actor: 'op1', action: 'station.halt' },
      { actor: 'op1', action: 'station.reset' },
      { actor: 'op1', action: 'station.stop' },
      { actor: 'op1', action: 'station.start' },
    ]);
    const verify = await bridge.host.handlers['audit.verify']({});
    expect(verify.ok).toBe(true);
  }, 240_000);
});
