import { existsSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBridge, type Bridge } from '../support/bridge';

describe('workstation shell in Chromium, bridged to the real host', () => {
  let b: Bridge;
  beforeAll(async () => {
    b = await openBridge();
  });
  afterAll(async () => {
    await b?.close();
  });

  it('shows the workstation layout and the provider the real worker found', async () => {
    const { page } = b;
    for (const region of ['banner', 'navigation', 'main', 'complementary', 'status']) {
      await expect(page.getByRole(region as 'main').first().isVisible()).resolves.toBe(true);
    }
    // The status bar shows what `system.status` answered after probing providers in the worker.
    const provider = page.getByTestId('status-provider');
    await provider.filter({ hasText: 'CPU' }).waitFor({ timeout: 30_000 });
    expect(b.calls.filter((c) => c.channel === 'system.status' && c.ok)).toHaveLength(1);
    const db = await page.getByTestId('status-database').textContent();
    expect(db).toMatch(/inspector\.sqlite$/);
    // The viewer area is a konva stage filling its panel.
    const canvas = page.locator('[data-testid="viewer-canvas"] canvas').first();
    const box = await canvas.boundingBox();
    expect(box!.width).toBeGreaterThan(600);
    expect(box!.height).toBeGreaterThan(400);
    const file = await b.screenshot('shell-en');
    expect(statSync(file).size).toBeGreaterThan(10_000);
  });

  it('switches to Korean and back, through the i18n layer', async () => {
    const { page } = b;
    await page.getByTestId('lang-ko').click();
    await expect(page.getByRole('heading', { name: '검사 건' }).isVisible()).resolves.toBe(true);
    expect(await page.getAttribute('html', 'lang')).toBe('ko');
    expect(await page.getByTestId('lang-ko').getAttribute('aria-pressed')).toBe('true');
    await b.screenshot('shell-ko');
    await page.getByTestId('lang-en').click();
    await expect(page.getByRole('heading', { name: 'Cases' }).isVisible()).resolves.toBe(true);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(existsSync(await b.screenshot('shell-en-again'))).toBe(true);
  });

  it('rejects calls outside the contract with coded errors', async () => {
    const result = await b.page.evaluate(async () => {
      const api = (globalThis as unknown as { api: { call: (c: string, i: unknown) => Promise<unknown> } }).api;
      return [await api.call('fs.readFile', { path: '/etc/passwd' }), await api.call('system.status', { extra: 1 })];
    });
    expect(result).toMatchObject([
      { ok: false, error: { code: 'IPC_UNKNOWN_CHANNEL' } },
      { ok: false, error: { code: 'IPC_INVALID_PAYLOAD' } },
    ]);
  });
});
