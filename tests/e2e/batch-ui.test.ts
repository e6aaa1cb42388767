/**
 * "Inspect all" from the keyboard over a folder of real images (one of them a truncated PNG), with
 * the real host and worker: one case at a time, the queue showing each case's state, the corrupt
 * file failing with its code without stopping the batch, one history run per good image, Cancel
 * stopping after the case in flight, and a background case showing its results when opened later.
 */
import { copyFileSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bridge } from '../support/bridge';
import { repoRoot } from '../support/paths';
import { openWithTestPack, waitAttr } from './viewer-helpers';

const images = join(repoRoot, 'tests', 'fixtures', 'packs', 'images');
/**
 * Numbered photos of one size, as a line camera names them: the imaging core groups them as a
 * stack by name, but in the review queue each is its own part, inspectable on its own.
 */
const GOOD = { 'part_01.png': 'normal_0.png', 'part_02.png': 'defect_4.png', 'part_03.png': 'normal_1.png', 'plate.png': 'wide_defect.png' };
const CORRUPT = 'cracked.png';

describe('Inspect all over the review queue (Chromium, real worker)', () => {
  let b: Bridge;
  let dir: string;
  const attr = (i: number, name: string) => b.page.getByTestId(`case-${i}`).getAttribute(name);
  const runs = async () => (await b.host.handlers['history.search']({ limit: 500 })).rows;

  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(os.tmpdir(), 'inspector-batch-folder-')));
    for (const [name, src] of Object.entries(GOOD)) copyFileSync(join(images, src), join(dir, name));
    // A PNG cut off mid-stream: the signature and header are there, the pixels are not.
    writeFileSync(join(dir, CORRUPT), readFileSync(join(images, 'normal_2.png')).subarray(0, 120));
    b = await openWithTestPack('inspector-e2e-batch-', dir);
    await b.page.getByTestId('pack-list').waitFor({ timeout: 60_000 });
    await b.page.getByTestId('open-folder').click();
    await b.page.getByTestId('case-4').waitFor({ timeout: 60_000 });
    await waitAttr(b, 'viewer-pane-0', 'data-view', /./);
    await b.page.getByTestId('inspect-pack').selectOption('resnet-mini');
    await b.page.locator('body').click({ position: { x: 5, y: 990 } });
  });
  afterAll(async () => {
    await b?.close();
  });

  it('Esc on the strip cancels after the case in flight; what finished stays recorded', async () => {
    expect(await b.page.getByTestId('case-4').textContent()).toContain(CORRUPT);
    for (const [i, name] of ['part_01.png', 'part_02.png', 'part_03.png', 'plate.png'].entries()) expect(await b.page.getByTestId(`case-${i}`).textContent()).toContain(name);
    await b.page.keyboard.press('Shift+F5');
    const cancel = b.page.getByTestId('batch-cancel');
    await cancel.focus();
    await b.page.keyboard.press('Escape');
    await waitAttr(b, 'batch-progress', 'data-state', /^(cancelled|done)$/, 90_000);
    const strip = b.page.getByTestId('batch-progress');
    expect(await strip.getAttribute('data-total')).toBe('5');
    const finished = Number(await strip.getAttribute('data-finished'));
    expect(finished).toBeGreaterThanOrEqual(1);
    if ((await strip.getAttribute('data-state')) === 'cancelled') {
      expect(finished).toBeLessThan(5);
      expect(await b.page.getByTestId('batch-text').textContent()).toMatch(/^Cancelled: \d+ inspected, \d+ failed/);
    }
    // Cases the cancel left unrun are back to plain "not inspected".
    const states = await Promise.all([0, 1, 2, 3, 4].map((i) => attr(i, 'data-run')));
    expect(states.filter((s) => s === 'done' || s === 'error').length).toBe(finished);
    expect(states.filter((s) => s === 'queued' || s === 'inspecting')).toEqual([]);
    expect((await runs()).length).toBe(states.filter((s) => s === 'done').length);
    await b.page.getByTestId('batch-dismiss').click();
  });

  it('Shift+F5 inspects the rest one case at a time while the reviewer moves on; the corrupt file fails with its code', async () => {
    const before = (await runs()).length;
    await b.page.locator('body').click({ position: { x: 5, y: 990 } });
    const t0 = performance.now();
    await b.page.keyboard.press('Shift+F5');
    // The reviewer keeps reviewing: the batch neither moves the selection nor the viewer.
    await b.page.keyboard.press('n');
    await waitAttr(b, 'case-1', 'aria-current', /true/);
    await waitAttr(b, 'batch-progress', 'data-state', /^done$/, 120_000);
    // Informational only (not asserted): the wall time of the batch as the user waits for it.
    console.info(`batch of ${await b.page.getByTestId('batch-progress').getAttribute('data-total')} cases: ${Math.round(performance.now() - t0)} ms`);

    const strip = b.page.getByTestId('batch-progress');
    const total = Number(await strip.getAttribute('data-total'));
    expect(total).toBe(5 - before);
    expect(await strip.getAttribute('data-finished')).toBe(String(total));
    const bar = b.page.getByTestId('batch-bar');
    expect(await bar.getAttribute('aria-valuenow')).toBe(String(total));
    expect(await bar.getAttribute('aria-valuetext')).toBe(`${total} / ${total}`);
    expect(await b.page.getByTestId('case-1').getAttribute('aria-current')).toBe('true');

    for (const i of [0, 1, 2, 3]) {
      expect(await attr(i, 'data-run')).toBe('done');
      expect(await attr(i, 'data-ai')).toMatch(/^(pass|defect|uncertain)$/);
      expect(await b.page.getByTestId(`case-${i}`).textContent()).toMatch(/ok|scratch|dent/);
    }
    expect(await attr(4, 'data-run')).toBe('error');
    const code = (await b.page.getByTestId('case-4').locator('.badge-error').textContent())!.split('·').pop()!.trim();
    expect(code).toMatch(/^[A-Z][A-Z0-9_]+$/);
    expect(await b.page.getByTestId('batch-text').textContent()).toBe(`Batch finished: ${total - 1} inspected, 1 failed (${code})`);

    // One recorded run per good image, none twice (the second batch skipped what the first did).
    const rows = await runs();
    expect(rows.map((r) => r.sourcePath).sort()).toEqual(Object.keys(GOOD).map((n) => join(dir, n)).sort());
    expect(rows.every((r) => r.packName === 'resnet-mini')).toBe(true);
    await b.screenshot('batch-ui-done');
  });

  it('a case inspected in the background shows its heatmap layer and findings when opened', async () => {
    // case-2 was never loaded (built from its record); case-0 was loaded but off screen (scene updated).
    for (const i of [2, 0]) {
      await b.page.getByTestId(`case-${i}`).click();
      await waitAttr(b, `case-${i}`, 'aria-current', /true/);
      await b.page.locator('[data-testid^="layer-opacity-"]').first().waitFor({ timeout: 30_000 });
      const label = (await b.page.getByTestId(`case-${i}`).locator('.ai-verdict').textContent())!.replace(/^\S+\s/, '');
      expect(await b.page.getByTestId('verdict').textContent()).toContain(label);
    }
    await b.screenshot('batch-ui-opened-later');
  });

  it('Shift+N goes to the next case the model did not pass', async () => {
    const decisions = await Promise.all([0, 1, 2, 3].map((i) => attr(i, 'data-ai')));
    const flagged = decisions.flatMap((d, i) => (d && d !== 'pass' ? [i] : []));
    await b.page.locator('body').click({ position: { x: 5, y: 990 } });
    await b.page.keyboard.press('Shift+N');
    // From case-0 (current), the first flagged case after it, wrapping; none flagged: it stays.
    const want = flagged.find((i) => i > 0) ?? flagged[0] ?? 0;
    await waitAttr(b, `case-${want}`, 'aria-current', /true/);
  });
});
