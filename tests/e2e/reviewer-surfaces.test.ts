/**
 * What the reviewer sees (issue 11, items 1 and 8), in Chromium on the built renderer with the real
 * host: a large verdict banner per case with colour and glyph (PASS, defect class, UNCERTAIN,
 * INCOMPLETE), a near-tie shown as uncertain (banner and bar, never a green bar), the pack picker
 * visible and labelled, the operator chooser clear of the verdict and Accept/Reject, and a folder
 * with one good and broken images: every broken file in the case list with its code, its banner
 * INCOMPLETE, and named in the dashboard's errors card. Screenshots under test-output/screenshots.
 */
import { copyFileSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBridge, type Bridge } from '../support/bridge';
import { repoRoot } from '../support/paths';
import { reviewCases, findings } from './review-fixtures';
import { grabPane, openCases, openWithTestPack, waitAttr } from './viewer-helpers';

type Box = { x: number; y: number; width: number; height: number };
const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('verdict banner, pack picker, operator chooser (fixture cases)', () => {
  let b: Bridge;
  beforeAll(async () => {
    b = await openBridge({ viewport: { width: 1600, height: 1000 } });
    const [defect, other] = reviewCases(b);
    const p = (pass: number, internal: number) => [
      { ...findings.probabilities[0]!, p: pass },
      { ...findings.probabilities[1]!, p: internal },
      { ...findings.probabilities[2]!, p: Math.max(0, 1 - pass - internal) },
    ];
    const nearTie = { ...other!, id: 'case-tie', title: 'Near tie', findings: { ...findings, verdict: 'pass', decision: 'pass' as const, thresholds: { low: 0.5, high: 0.5 }, probabilities: p(0.49, 0.47), integrated: undefined } };
    const pass = { ...other!, id: 'case-pass', title: 'Clean', boxes: [], findings: { ...findings, verdict: 'pass', decision: 'pass' as const, probabilities: p(0.95, 0.03), integrated: undefined } };
    const band = { ...other!, id: 'case-band', title: 'In band', findings: { ...findings, verdict: 'internal', decision: 'uncertain' as const, thresholds: { low: 0.3, high: 0.7 }, probabilities: p(0.4, 0.55), integrated: undefined } };
    await openCases(b, [{ ...defect!, findings: { ...findings, decision: 'defect' } }, nearTie, pass, band] as never);
  });
  afterAll(async () => {
    await b?.close();
  });

  async function bannerOf(i: number) {
    await b.page.getByTestId(`case-${i}`).click();
    await waitAttr(b, `case-${i}`, 'aria-current', /true/);
    const el = b.page.getByTestId('verdict-banner');
    await el.waitFor();
    const style = await el.evaluate((e) => ({ border: getComputedStyle(e).borderTopColor, glyph: e.querySelector('.banner-glyph')!.textContent, height: e.getBoundingClientRect().height }));
    return { kind: await el.getAttribute('data-kind'), reason: await el.getAttribute('data-reason'), text: (await el.textContent())!, ...style };
  }

  it('each case gets a large banner with its own colour and glyph; a near-tie is UNCERTAIN with a hatched bar', async () => {
    const defect = await bannerOf(0);
    expect(defect).toMatchObject({ kind: 'defect', glyph: '✕' });
    expect(defect.text).toContain('Internal defect');
    expect(defect.height).toBeGreaterThanOrEqual(40);
    await b.screenshot('reviewer-banner-defect');

    const tie = await bannerOf(1);
    expect(tie).toMatchObject({ kind: 'uncertain', reason: 'near-tie', glyph: '?' });
    expect(tie.text).toContain('UNCERTAIN');
    expect(tie.text).toContain('Near tie: Pass 49.0% / Internal defect 47.0%');
    // The top class's bar is the uncertain hatch, not the pass green.
    const bar = b.page.getByTestId('prob-pass');
    expect(await bar.getAttribute('class')).toContain('bar-uncertain');
    const barPaint = await bar.evaluate((e) => getComputedStyle(e.firstElementChild!).backgroundImage);
    expect(barPaint).toContain('repeating-linear-gradient');
    await b.screenshot('reviewer-banner-near-tie');

    const pass = await bannerOf(2);
    expect(pass).toMatchObject({ kind: 'pass', glyph: '✓' });
    expect(pass.text).toContain('PASS');
    expect(await b.page.getByTestId('prob-pass').evaluate((e) => getComputedStyle(e.firstElementChild!).backgroundColor)).toBe('rgb(47, 191, 91)');
    await b.screenshot('reviewer-banner-pass');

    const band = await bannerOf(3);
    expect(band).toMatchObject({ kind: 'uncertain', reason: 'band', glyph: '?' });
    // Colour differs by kind, and glyphs differ too (never colour alone).
    expect(new Set([defect.border, tie.border, pass.border]).size).toBe(3);
    expect(new Set([defect.glyph, tie.glyph, pass.glyph]).size).toBe(3);
  });

  it('the pack picker is visible, labelled and wide enough to read', async () => {
    const select = b.page.getByTestId('inspect-pack');
    const box = (await select.boundingBox())!;
    expect(box.width).toBeGreaterThanOrEqual(200);
    expect(await b.page.getByLabel('Pack', { exact: true }).getAttribute('data-testid')).toBe('inspect-pack');
    expect(await b.page.locator('label.inspect-pack').isVisible()).toBe(true);
  });

  it('the operator chooser never covers the verdict banner or the Accept/Reject buttons (normal and large text)', async () => {
    for (const large of [false, true]) {
      await b.page.evaluate((on) => document.documentElement.classList.toggle('large-text', on), large);
      if (!(await b.page.getByTestId('operator-chooser').isVisible())) await b.page.getByTestId('operator-chip').click();
      const chooser = (await b.page.getByTestId('operator-chooser').boundingBox())!;
      for (const id of ['verdict-banner', 'review-accept', 'review-reject', 'review-uncertain']) {
        const other = (await b.page.getByTestId(id).boundingBox())!;
        expect(overlaps(chooser, other), `${id} under the chooser (large text ${large})`).toBe(false);
      }
      await b.screenshot(large ? 'reviewer-operator-chooser-large' : 'reviewer-operator-chooser');
    }
    await b.page.evaluate(() => document.documentElement.classList.remove('large-text'));
    await b.page.getByTestId('operator-later').click();
  });
});

describe('a folder with one good and broken images (real worker)', () => {
  let b: Bridge;
  let dir: string;
  const images = join(repoRoot, 'tests', 'fixtures', 'packs', 'images');
  const BROKEN = ['cell_b.png', 'cell_c.png', 'cell_d.png'];
  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(os.tmpdir(), 'inspector-broken-folder-')));
    copyFileSync(join(images, 'normal_0.png'), join(dir, 'cell_a.png'));
    // Truncated, empty, and not an image at all (text named .png).
    writeFileSync(join(dir, 'cell_b.png'), readFileSync(join(images, 'normal_2.png')).subarray(0, 120));
    writeFileSync(join(dir, 'cell_c.png'), Buffer.alloc(0));
    writeFileSync(join(dir, 'cell_d.png'), 'this is not an image\n');
    b = await openWithTestPack('inspector-e2e-broken-', dir);
    await b.page.getByTestId('pack-list').waitFor({ timeout: 60_000 });
    await b.page.getByTestId('open-folder').click();
    await b.page.getByTestId('case-3').waitFor({ timeout: 60_000 });
    await b.page.getByTestId('inspect-pack').selectOption('resnet-mini');
    await b.page.locator('body').click({ position: { x: 5, y: 990 } });
  });
  afterAll(async () => {
    await b?.close();
  });

  it('no PASS for a broken file: each is in the case list with its code, and its banner is INCOMPLETE', async () => {
    await b.page.keyboard.press('Shift+F5');
    await waitAttr(b, 'batch-progress', 'data-state', /^done$/, 120_000);
    const titles = await Promise.all([0, 1, 2, 3].map(async (i) => (await b.page.getByTestId(`case-${i}`).textContent())!));
    for (const name of BROKEN) {
      const i = titles.findIndex((t) => t.includes(name));
      expect(i, name).toBeGreaterThanOrEqual(0);
      const badge = (await b.page.getByTestId(`case-failed-${i}`).textContent())!;
      expect(badge).toMatch(/^⊘ INCOMPLETE · [A-Z][A-Z0-9_]+$/);
      await b.page.getByTestId(`case-${i}`).click();
      await waitAttr(b, `case-${i}`, 'aria-current', /true/);
      await waitAttr(b, 'verdict-banner', 'data-kind', /^incomplete$/);
      expect(await b.page.getByTestId('verdict-banner').textContent()).toContain(badge.split('·').pop()!.trim());
      // The viewer shows nothing, not the previous case's image under this case's verdict.
      await b.page.waitForTimeout(150);
      const px = await grabPane(b);
      for (const [fx, fy] of [[0.3, 0.3], [0.7, 0.7], [0.5, 0.2]] as const) {
        const c = px.at(Math.round(px.width * fx), Math.round(px.height * fy));
        expect(Math.max(...c), `pane pixel at ${fx},${fy} for ${name}`).toBeLessThanOrEqual(12);
      }
    }
    await b.screenshot('reviewer-incomplete-case');
    const good = titles.findIndex((t) => t.includes('cell_a.png'));
    await b.page.getByTestId(`case-${good}`).click();
    await waitAttr(b, 'verdict-banner', 'data-kind', /^(pass|defect|uncertain)$/);
  });

  it('the dashboard errors card names each broken file with its code', async () => {
    await b.page.getByTestId('view-dashboard').click();
    const table = b.page.getByTestId('failed-images');
    await table.waitFor({ timeout: 30_000 });
    const text = (await table.textContent())!;
    for (const name of BROKEN) expect(text).toContain(name);
    const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.children[0]!.textContent, tr.getAttribute('data-code')]));
    const db = b.host.history.get().db.prepare('SELECT source_path, code FROM errors').all() as { source_path: string; code: string }[];
    expect(rows.map(([f, c]) => `${f} ${c}`).sort()).toEqual(db.map((r) => `${r.source_path.split('/').pop()} ${r.code}`).sort());
    await table.scrollIntoViewIfNeeded();
    await b.screenshot('reviewer-dashboard-failed-images');
    await b.page.getByTestId('view-review').click();
  });
});
