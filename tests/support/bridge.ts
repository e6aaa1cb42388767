/**
 * Runs the built renderer in Debian's Chromium with `window.api` bridged to the real host
 * handlers (same `dispatch` as Electron's ipcMain, real worker process, real native libraries).
 * An HTTP server on loopback stands in for the `inspector://app` protocol: it serves
 * out/renderer and `/media/<id>` from the host's MediaStore, so UI and media share one origin.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createHost, type Host } from '../../src/host/createHost';
import { dispatch } from '../../src/host/dispatch';
import { nodeWorkerLauncher } from '../../src/host/nodeWorker';
import { appPaths } from '../../src/host/paths';
import { repoRoot, testOutput } from './paths';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export interface Bridge {
  host: Host;
  page: Page;
  url: string;
  /** Every channel call the page made, in order (for assertions that a real handler ran). */
  calls: { channel: string; ok: boolean }[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface BridgeOptions {
  userDataDir?: string;
  viewport?: { width: number; height: number };
  locale?: string;
  /** Device pixels per CSS pixel (a HiDPI screen: 1.5 for 150 % scaling, 2 for Retina). */
  deviceScaleFactor?: number;
  /** What the "user" picks when the page calls files.choose or saves an export (the native dialogs' stand-in). */
  choosePaths?: (kind: 'folder' | 'files' | 'save', save?: { defaultName: string; extensions: string[] }) => string[];
}

export async function openBridge(opts: BridgeOptions = {}): Promise<Bridge> {
  const rendererDir = join(repoRoot, 'out', 'renderer');
  if (!existsSync(join(rendererDir, 'index.html'))) throw new Error('out/renderer is missing: run `npm run build` first');
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium`);

  const userDataDir = opts.userDataDir ?? mkdtempSync(join(os.tmpdir(), 'inspector-e2e-'));
  let server: Server | undefined;
  const base = await new Promise<string>((resolveBase) => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname.startsWith('/media/')) {
        const entry = host.media.get(url.pathname.slice('/media/'.length));
        if (!entry) return void res.writeHead(404).end();
        res.writeHead(200, { 'content-type': entry.contentType });
        return void res.end(Buffer.from(entry.bytes));
      }
      const rel = normalize(decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname));
      const file = join(rendererDir, rel);
      if (!file.startsWith(rendererDir + sep) || !existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    });
    server.listen(0, '127.0.0.1', () => resolveBase(`http://127.0.0.1:${(server!.address() as AddressInfo).port}`));
  });

  const paths = appPaths(repoRoot, userDataDir);
  // The E2E suite runs after `npm run build`: use the built worker, as the packaged app does.
  process.env['INSPECTOR_WORKER_FROM_BUILD'] = '1';
  const host = createHost(paths, nodeWorkerLauncher(repoRoot), `${base}/media`, async (kind, save) => opts.choosePaths?.(kind, save) ?? []);

  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context: BrowserContext = await browser.newContext({
    viewport: opts.viewport ?? { width: 1600, height: 1000 },
    locale: opts.locale ?? 'en-US',
    deviceScaleFactor: opts.deviceScaleFactor ?? 1,
  });
  const calls: Bridge['calls'] = [];
  await context.exposeBinding('__inspectorInvoke', async (_source, channel: unknown, input: unknown) => {
    const result = await dispatch(host.handlers, channel, input, { checkOutput: true });
    calls.push({ channel: String(channel), ok: result.ok });
    return result;
  });
  // The same narrow surface the preload exposes: call(channel, input) → Result, on(event, listener).
  await context.addInitScript(() => {
    const invoke = (globalThis as unknown as { __inspectorInvoke: (c: string, i: unknown) => Promise<unknown> }).__inspectorInvoke;
    // Asks the app for its test hook (globalThis.__inspector); the desktop app never sets this.
    Object.defineProperty(globalThis, '__INSPECTOR_E2E__', { value: true });
    const listeners = new Map<string, Set<(p: unknown) => void>>();
    // Main's webContents.send stand-in: the test side pushes host events through this.
    Object.defineProperty(globalThis, '__inspectorPush', { value: (name: string, payload: unknown) => listeners.get(name)?.forEach((l) => l(payload)) });
    const on = (name: string, l: (p: unknown) => void) => {
      if (name !== 'station.event') throw new Error(`No such event: ${name}`);
      const set = listeners.get(name) ?? new Set();
      set.add(l);
      listeners.set(name, set);
      return () => void set.delete(l);
    };
    Object.defineProperty(globalThis, 'api', { value: Object.freeze({ call: (c: string, i: unknown) => invoke(c, i), on }) });
  });
  const page = await context.newPage();
  // Host events reach the page as main's forwardEvents sends them (already schema-checked by the host).
  const offStation = host.station.onEvent((e) => {
    void page.evaluate(([n, p]) => (globalThis as unknown as { __inspectorPush: (n: string, p: unknown) => void }).__inspectorPush(n, p), ['station.event', e] as const).catch(() => {});
  });
  const consoleErrors: string[] = [];
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  // A CSP violation means the app needs something its policy forbids: a test failure, not noise.
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) consoleErrors.push(m.text());
  });
  await page.goto(base + '/');

  mkdirSync(testOutput, { recursive: true });
  return {
    host,
    page,
    url: base,
    calls,
    async screenshot(name) {
      const file = join(testOutput, 'screenshots', `${name}.png`);
      mkdirSync(join(testOutput, 'screenshots'), { recursive: true });
      await page.screenshot({ path: file });
      return file;
    },
    async close() {
      offStation();
      await host.station.stop();
      await browser.close();
      host.close();
      await new Promise<void>((r) => server?.close(() => r()));
      if (consoleErrors.length) throw new Error(`page errors: ${consoleErrors.join(' | ')}`);
    },
  };
}
