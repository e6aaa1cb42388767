/**
 * The Line room shows a station case's explanation map (issue 14), in real Chromium with the preload
 * bridged to the real handlers: the app's station (own worker, the app's history, Debian's mosquitto
 * started here) inspects a battery cell, publishes its verdict, then records the battery pack's
 * HiResCAM map; selecting the case in the live feed shows "explanation pending" until then and,
 * once recorded, the image with the map over it in the shared konva viewer pane, the regions with
 * their share of the map and the map's SHA-256 — the same as the explanation message on the broker.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveStationService } from '../../src/core/settings/index';
import { openBridge, type Bridge } from '../support/bridge';
import { Broker, dropCell, hasMosquitto, stationYaml, subscriber, tempRoot, until } from '../integration/station/support';
import { viewOf } from './viewer-helpers';

interface Published {
  resultId: string;
  maps: { runId: number; map: { sha256: string }; regions: { box: [number, number, number, number]; share: number }[] }[];
}

/** The heatmap as drawn on the pane's overlay layer (boxes hidden for the read): RGBA in device pixels. */
async function overlayLayer(b: Bridge): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  await b.page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
  const url = await b.page.evaluate(() => {
    type Node = { visible(v: boolean): void; draw(): void; getNativeCanvasElement(): HTMLCanvasElement; findOne(sel: string): Node };
    const konva = (globalThis as unknown as { Konva: { stages: (Node & { container(): HTMLElement })[] } }).Konva;
    const stage = konva.stages.find((s) => s.container().closest('[data-testid="line-viewer"]'))!;
    const layer = stage.findOne('.overlay-layer');
    const boxes = layer.findOne('.boxes');
    boxes.visible(false);
    layer.draw();
    const png = layer.getNativeCanvasElement().toDataURL('image/png');
    boxes.visible(true);
    layer.draw();
    return png;
  });
  const { data, info } = await sharp(Buffer.from(url.split(',')[1]!, 'base64')).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

describe.skipIf(!hasMosquitto)('Line room: a station case with its explanation map', () => {
  let root: string;
  let broker: Broker;
  let bridge: Bridge;
  let mes: Awaited<ReturnType<typeof subscriber>>;
  let watch: string;

  beforeAll(async () => {
    root = tempRoot('line-explanation');
    broker = await Broker.start(root);
    mes = await subscriber(broker.url, 'inspector/ST01/#');
    watch = join(root, 'incoming');
    mkdirSync(watch);
    const userDataDir = join(root, 'userdata');
    mkdirSync(userDataDir);
    const cfg = join(root, 'station.yaml');
    writeFileSync(cfg, stationYaml({ watchDir: watch, mqttUrl: broker.url, settleMs: 200, caseTimeoutMs: 5000 }));
    saveStationService(userDataDir, { config: cfg });
    bridge = await openBridge({ userDataDir, viewport: { width: 1400, height: 1000 } });
    await bridge.host.handlers['operator.create']({ id: 'insp1', name: 'Line Inspector', role: 'reviewer' });
    await bridge.host.handlers['operator.select']({ id: 'insp1' });
    await bridge.host.station.start();
  }, 120_000);

  afterAll(async () => {
    await bridge?.close();
    mes?.client.end(true);
    await broker?.down();
  });

  it('selecting a case shows "explanation pending", then its image with the map and regions once the map is recorded', async () => {
    const { page } = bridge;
    await page.getByTestId('view-line').click();
    await page.getByTestId('line-room').waitFor();
    dropCell(watch, 'cell-002', 'LX-1'); // INTERNAL_DEFECT: the battery pack's map has regions
    const row = page.locator('[data-testid="line-case"][data-serial="LX-1"]');
    await row.waitFor({ timeout: 120_000 });
    await row.getByTestId('line-show').click();
    const view = page.getByTestId('line-case-view');
    await view.waitFor();
    // Before the map is recorded the room says so; the published verdict is already there.
    const first = await view.getAttribute('data-explanation');
    expect(['pending', 'recorded']).toContain(first);
    if (first === 'pending') {
      expect(await page.getByTestId('line-explanation-pending').textContent()).toMatch(/Explanation pending/);
      await bridge.screenshot('line-explanation-pending');
    }
    await page.locator('[data-testid="line-case-view"][data-explanation="recorded"]').waitFor({ timeout: 180_000 });
    await page.locator('[data-testid="line-viewer"][data-shown="yes"]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="line-viewer"] [data-testid="viewer-pane-0"][data-view]').waitFor({ timeout: 30_000 });

    // What the room shows is what was published on the broker, after the result.
    const msg = await until('explanation on MQTT', () => mes.got.find((m) => m.topic === 'inspector/ST01/explanation' && m.json['serial'] === 'LX-1'), 30_000);
    const result = mes.got.find((m) => m.topic === 'inspector/ST01/result' && m.json['serial'] === 'LX-1')!;
    expect(mes.got.indexOf(msg)).toBeGreaterThan(mes.got.indexOf(result));
    const x = msg.json as unknown as Published;
    expect(x.resultId).toBe(await row.getAttribute('data-result-id'));
    const map = x.maps[0]!;
    expect(await page.getByTestId('line-map-sha').textContent()).toContain(map.map.sha256.slice(0, 16));
    expect(await page.getByTestId('line-explanation-method').textContent()).toMatch(/ct: hirescam · explains porosity/);
    const shares = await page.getByTestId('line-region').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-share'))));
    expect(shares).toEqual(map.regions.map((g) => g.share));
    expect(shares.length).toBeGreaterThan(0);

    // The map is drawn over the image: the overlay layer is opaque where the map's top region is
    // and far less so over the rest of the image.
    const v = await viewOf(bridge);
    const layer = await overlayLayer(bridge);
    const dpr = await page.evaluate(() => window.devicePixelRatio);
    const top = [...map.regions].sort((a, b) => b.share - a.share)[0]!;
    const alphaIn = (ix0: number, iy0: number, iw: number, ih: number) => {
      let sum = 0;
      let n = 0;
      for (let iy = iy0; iy < iy0 + ih; iy += 2)
        for (let ix = ix0; ix < ix0 + iw; ix += 2) {
          const sx = Math.floor((v.x + ix * v.scale) * dpr);
          const sy = Math.floor((v.y + iy * v.scale) * dpr);
          if (sx < 0 || sy < 0 || sx >= layer.width || sy >= layer.height) continue;
          sum += layer.data[(sy * layer.width + sx) * layer.channels + 3]!;
          n++;
        }
      return n ? sum / n : 0;
    };
    const detail = await bridge.host.handlers['history.run']({ runId: map.runId });
    const inside = alphaIn(...top.box);
    const whole = alphaIn(0, 0, detail.image.width ?? 0, detail.image.height ?? 0);
    expect(inside).toBeGreaterThan(40);
    expect(inside).toBeGreaterThan(whole * 1.5);
    // The regions are drawn as boxes of that run in the same pane.
    const boxCount = await page.evaluate(() => {
      type Node = { findOne(sel: string): Node & { getChildren(): unknown[] } };
      const konva = (globalThis as unknown as { Konva: { stages: (Node & { container(): HTMLElement })[] } }).Konva;
      const stage = konva.stages.find((s) => s.container().closest('[data-testid="line-viewer"]'))!;
      return stage.findOne('.overlay-layer').findOne('.boxes').getChildren().length;
    });
    expect(boxCount).toBeGreaterThanOrEqual(map.regions.length);
    await bridge.screenshot('line-explanation');

    // The page names ids only: a run that is not this case's is refused by main.
    const other = (await page.evaluate(
      (rid) => (window as unknown as { api: { call(c: string, i: unknown): Promise<unknown> } }).api.call('station.openRun', { resultId: rid, runId: 999_999 }),
      x.resultId,
    )) as { ok: boolean; error?: { code: string } };
    expect(other).toMatchObject({ ok: false, error: { code: 'STATION_RUN_NOT_OF_CASE' } });
    const bad = (await page.evaluate(() => (window as unknown as { api: { call(c: string, i: unknown): Promise<unknown> } }).api.call('station.openRun', { path: '/etc/passwd' }))) as { ok: boolean; error?: { code: string } };
    expect(bad.ok).toBe(false);
    expect(bad.error?.code).toMatch(/^IPC_/);
  }, 360_000);
});
