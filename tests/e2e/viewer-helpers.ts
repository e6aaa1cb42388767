/** Shared steps of the viewer/review E2E tests: publish real bytes in the host, read back pixels. */
import sharp from 'sharp';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createPack } from '../../src/core/packs/create';
import { openBridge, type Bridge } from '../support/bridge';
import { repoRoot } from '../support/paths';

/** The case records the renderer's hook accepts (review/types.ts CaseRef), kept loose here so the
 * Node-side tests do not compile renderer sources. */
export interface CaseRef {
  id: string;
  title: string;
  origin: string;
  frames: Record<string, unknown>[];
  heatmaps?: Record<string, unknown>[];
  boxes?: Record<string, unknown>[];
  findings?: Record<string, unknown>;
  runId?: number;
}

/** Waits until a test id's attribute matches (polled from Node: the page's CSP forbids eval'd predicates). */
export async function waitAttr(b: Bridge, testId: string, attr: string, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await b.page.getByTestId(testId).getAttribute(attr, { timeout: timeoutMs }).catch(() => null);
    if (value !== null && pattern.test(value)) return;
    if (Date.now() > until) throw new Error(`${testId} [${attr}] never matched ${pattern}: ${value}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function publish(b: Bridge, arr: ArrayBufferView): string {
  return b.host.media.publish({ contentType: 'application/octet-stream', bytes: new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength) });
}

export async function openCases(b: Bridge, cases: CaseRef[]): Promise<void> {
  await b.page.evaluate(async (c) => {
    await (globalThis as unknown as { __inspector: { openCases(c: unknown): Promise<void> } }).__inspector.openCases(c);
  }, cases);
}

export async function ready(b: Bridge): Promise<void> {
  await b.page.evaluate(async () => {
    await (globalThis as unknown as { __inspector: { ready(): Promise<void> } }).__inspector.ready();
  });
}

export interface View {
  scale: number;
  x: number;
  y: number;
  center: number;
  width: number;
  frame: number;
  invert: boolean;
}

export async function viewOf(b: Bridge, pane = 0): Promise<View> {
  const raw = await b.page.getByTestId(`viewer-pane-${pane}`).getAttribute('data-view');
  if (!raw) throw new Error('pane has no view yet');
  return JSON.parse(raw) as View;
}

/** What the user sees in a pane: a screenshot of it, as raw RGB, addressed in pane pixels. */
export async function grabPane(b: Bridge, pane = 0): Promise<{ at(x: number, y: number): [number, number, number]; width: number; height: number }> {
  // Two frames so konva's batched draws have landed.
  await b.page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
  const png = await b.page.getByTestId(`viewer-pane-${pane}`).screenshot();
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    at(x, y) {
      const i = (Math.floor(y) * info.width + Math.floor(x)) * info.channels;
      return [data[i]!, data[i + 1]!, data[i + 2]!];
    },
  };
}

/** Screen position (pane pixels) of an image point. */
export function screenOf(v: View, ix: number, iy: number): { x: number; y: number } {
  return { x: v.x + ix * v.scale, y: v.y + iy * v.scale };
}

export function expectNear(actual: number[], expected: number[], tol: number): void {
  const ok = actual.length === expected.length && actual.every((a, i) => Math.abs(a - expected[i]!) <= tol);
  if (!ok) throw new Error(`pixel ${JSON.stringify(actual)} not within ${tol} of ${JSON.stringify(expected)}`);
}

export async function state(b: Bridge): Promise<{ review: { current: number; cases: { id: string; status?: string }[]; drafts: Record<string, { decision?: string; note: string; boxes: { id: string; label: string; rect: { x: number; y: number; width: number; height: number } }[]; dirty: boolean; savedAt?: string }> }; viewer: { layers: Record<string, { visible: boolean; opacity: number; colormap: string; threshold: number; contour: boolean }>; selectedBox?: string; tool: string } }> {
  return b.page.evaluate(() => (globalThis as unknown as { __inspector: { state(): never } }).__inspector.state());
}

/**
 * Opens the app with a fresh data folder whose user models hold the resnet-mini test pack
 * (exported from PyTorch, tests/fixtures/packs), and the given file as the "user's choice".
 */
export async function openWithTestPack(prefix: string, chosen: string): Promise<Bridge> {
  const userDataDir = mkdtempSync(join(os.tmpdir(), prefix));
  mkdirSync(join(userDataDir, 'models'), { recursive: true });
  const fixtures = join(repoRoot, 'tests', 'fixtures', 'packs');
  await createPack({
    onnx: join(fixtures, 'onnx', 'resnet-mini.onnx'),
    kind: 'classifier',
    labels: ['ok', 'scratch', 'dent'],
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
    out: join(userDataDir, 'models', 'resnet-mini'),
  });
  return openBridge({ userDataDir, choosePaths: () => [chosen] });
}

/**
 * In a page from `openWithTestPack`: opens the chosen file, picks the test pack (the app ships its
 * own packs too) and inspects from the keyboard (F5); resolves when the heatmap layer is listed.
 */
export async function openAndInspect(b: Bridge): Promise<void> {
  await openChosenAndInspect(b, 'resnet-mini');
  await b.page.locator('[data-testid^="layer-opacity-"]').first().waitFor({ timeout: 90_000 });
}

/**
 * As a user does it: waits for the pack list, opens the chosen files ("Open files…", the bridge's
 * dialog answer), waits for the first view, picks `pack` in the inspect bar and presses F5 (focus
 * moved off the select first, so the key reaches the app). Resolves once the inspection is asked
 * for; the caller waits for what it checks.
 */
export async function openChosenAndInspect(b: Bridge, pack: string): Promise<void> {
  const { page } = b;
  await page.getByTestId('pack-list').waitFor({ timeout: 60_000 });
  await page.getByTestId('open-files').click();
  await page.getByTestId('case-0').waitFor();
  await waitAttr(b, 'viewer-pane-0', 'data-view', /./);
  await inspectWith(b, pack);
}

/** Picks `pack` in the inspect bar and presses F5 on the open case. */
export async function inspectWith(b: Bridge, pack: string): Promise<void> {
  await b.page.getByTestId('inspect-pack').selectOption(pack);
  await b.page.locator('body').click({ position: { x: 5, y: 990 } });
  await b.page.keyboard.press('F5');
}

/**
 * Pane-relative boxes (CSS pixels) of the HTML over a pane's canvas (legend, readout, captions):
 * pixel comparisons skip them, since what they cover is not the image.
 */
export async function paneOverlays(b: Bridge, pane = 0): Promise<[number, number, number, number][]> {
  return b.page.evaluate((testId) => {
    const el0 = document.querySelector(`[data-testid="${testId}"]`)!;
    const p = el0.getBoundingClientRect();
    const out: [number, number, number, number][] = [];
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      if (el === el0 || el.contains(el0) || el.closest('.konvajs-content') || el.tagName === 'CANVAS' || el.querySelector('canvas')) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || r.right < p.left || r.left > p.right || r.bottom < p.top || r.top > p.bottom) continue;
      out.push([r.left - p.left, r.top - p.top, r.right - p.left, r.bottom - p.top]);
    }
    return out;
  }, `viewer-pane-${pane}`);
}
