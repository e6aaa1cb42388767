/**
 * Grounding in the viewer and the three systems, in Chromium on the built renderer with the real
 * handlers, worker, shipped packs and SQLite: the DET layer's captions (label + score, inside the
 * pane, Large text), the prompt and thresholds shown with it, a prompt edit re-run (new boxes, the
 * prompt read back from SQLite), per-box accept/reject from the keyboard and the mouse (rows read
 * back from SQLite, in the audit chain, in the history view), and the three-systems card on the
 * pcb-grounding and line-demo samples with its agreement recomputed here from the recorded boxes.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agreement } from '../../src/core/agreement/index';
import { getRun } from '../../src/core/history/index';
import { methodDisplayName } from '../../src/shared/methods';
import { openBridge, type Bridge } from '../support/bridge';
import { repoRoot } from '../support/paths';

type Caption = { text: string; fontSize: number; x: number; y: number; width: number; height: number };
const captions = (b: Bridge, pane = 0): Promise<Caption[]> => b.page.evaluate((p) => (globalThis as unknown as { __inspector: { boxCaptions(pane: number): Caption[] } }).__inspector.boxCaptions(p), pane);
/** The pack's own prompt, as its pack.yaml states it (the demo pack is retrained from time to time). */
const DEFAULT_PROMPT = /^grounding:\n {2}prompt: (.+)$/m.exec(readFileSync(join(repoRoot, 'models/defects-grounding/pack.yaml'), 'utf8'))![1]!;

describe('grounding review and three systems (Chromium, real host, shipped packs)', () => {
  let b: Bridge;
  const db = () => b.host.history.get().db;
  beforeAll(async () => {
    b = await openBridge();
    await b.host.handlers['operator.create']({ id: 'lee.qa', name: 'Lee QA', role: 'reviewer' });
    await b.host.handlers['operator.select']({ id: 'lee.qa' });
    await b.page.reload();
    await b.page.getByTestId('pack-list').waitFor({ timeout: 60_000 });
  }, 120_000);
  afterAll(async () => {
    await b?.close();
  });

  async function openSample(set: string, file: RegExp): Promise<void> {
    const { page } = b;
    const sets = await b.host.handlers['samples.list']({});
    const s = sets.find((x) => x.name === set)!;
    const details = page.getByTestId('samples');
    if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) await details.locator('summary').click();
    await page.getByTestId(`sample-${set}`).click();
    await page.getByTestId(`case-${s.images.findIndex((p) => file.test(p))}`).click();
    await page.getByTestId('viewer-pane-0').waitFor();
  }

  it('DET captions, prompt shown, per-box accept/reject, prompt edit re-run — all read back from SQLite', async () => {
    const { page } = b;
    await openSample('pcb-grounding', /92000111_test\.jpg$/);
    await page.getByTestId('inspect-pack').selectOption('defects-grounding');
    await page.getByTestId('inspect-run').click();
    await page.getByTestId('grounding-panel').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('grounding-prompt').textContent()).toBe(`“${DEFAULT_PROMPT}”`);
    const first = (await b.host.handlers['history.search']({})).rows[0]!;
    const firstRun = getRun(db(), first.runId).run;
    expect(firstRun.groundingPrompt).toBe(DEFAULT_PROMPT);
    // Box 0 and box 1 are reviewed below; the count shown is the recorded one.
    expect(firstRun.regions.length).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('grounding-thresholds').textContent()).toMatch(new RegExp(`Box threshold 0\\.30 · Text threshold 0\\.25 · ${firstRun.regions.length} DET`));

    // Each DET box is captioned with its phrase and score, inside the pane.
    const pane = (await page.getByTestId('viewer-pane-0').boundingBox())!;
    let caps = await captions(b);
    const det = caps.filter((c) => c.text.startsWith('DET '));
    expect(det.map((c) => c.text).sort()).toEqual(firstRun.regions.map((r) => `DET ${r.label} ${r.score!.toFixed(2)}`).sort());
    for (const c of det) {
      expect(c.x).toBeGreaterThanOrEqual(0);
      expect(c.y).toBeGreaterThanOrEqual(0);
      expect(c.x + c.width).toBeLessThanOrEqual(pane.width + 0.5);
      expect(c.y + c.height).toBeLessThanOrEqual(pane.height + 0.5);
    }
    expect(det[0]!.fontSize).toBe(13);
    await b.screenshot('grounding-det-default');

    // Per-box review: box 0 accepted with one key (J focuses it, Y accepts), box 1 rejected with the mouse.
    const caseId = await page.evaluate(() => (globalThis as unknown as { __inspector: { state(): { review: { current: number; cases: { id: string }[] } } } }).__inspector.state().review);
    const cid = caseId.cases[caseId.current]!.id;
    const boxId = (i: number) => `${cid}|defects-grounding|${i}`;
    const focusedRow = () => page.locator('[data-box-row][aria-current="true"]').getAttribute('data-box-row');
    await page.locator('body').click({ position: { x: 5, y: 990 } });
    await page.keyboard.press('j');
    expect(await focusedRow()).toBe(boxId(0));
    await page.keyboard.press('j');
    expect(await focusedRow()).toBe(boxId(1));
    await page.keyboard.press('k');
    expect(await focusedRow()).toBe(boxId(0));
    // K from the first box cycles to the last, J back to the first.
    await page.keyboard.press('k');
    expect(await focusedRow()).toBe(boxId(firstRun.regions.length - 1));
    await page.keyboard.press('j');
    expect(await focusedRow()).toBe(boxId(0));
    await page.keyboard.press('y');
    await page.getByTestId(`box-accept-${boxId(0)}`).and(page.locator('[aria-pressed="true"]')).waitFor();
    // Y is the box's, never the case's: no case review was written.
    expect(db().prepare('SELECT count(*) FROM reviews').pluck().get()).toBe(0);
    // The shortcut sheet lists the one-key box review.
    await page.keyboard.press('?');
    for (const text of ['Next / previous model box (to accept or reject)', 'Accept the focused model box', 'Reject the focused model box (false call)']) await page.getByText(text).waitFor();
    await b.screenshot('grounding-shortcut-sheet');
    await page.keyboard.press('Escape');
    await page.getByTestId(`box-reject-${boxId(1)}`).click();
    await page.getByTestId(`box-reject-${boxId(1)}`).and(page.locator('[aria-pressed="true"]')).waitFor();
    const rows = db().prepare('SELECT run_id, box_index, label, decision, operator_id, box FROM box_reviews ORDER BY id').all() as Record<string, unknown>[];
    expect(rows.map((r) => [r['run_id'], r['box_index'], r['decision'], r['operator_id']])).toEqual([
      [first.runId, 0, 'accept', 'lee.qa'],
      [first.runId, 1, 'reject', 'lee.qa'],
    ]);
    expect(JSON.parse(rows[1]!['box'] as string)).toEqual(firstRun.regions[1]!.box);
    caps = await captions(b);
    expect(caps.filter((c) => c.text.endsWith(' ✓'))).toHaveLength(1);
    expect(caps.filter((c) => c.text.endsWith(' ✕'))).toHaveLength(1);
    const audit = await b.host.handlers['audit.verify']({});
    expect(audit.ok).toBe(true);
    expect(audit.records['box_review']).toBe(2);

    // Large text: captions grow.
    await page.locator('body').click({ position: { x: 5, y: 990 } });
    await page.keyboard.press('Alt+t');
    await page.waitForFunction(() => document.documentElement.classList.contains('large-text'));
    await page.waitForTimeout(200);
    caps = await captions(b);
    expect(caps.filter((c) => c.text.startsWith('DET ')).every((c) => c.fontSize === 17)).toBe(true);
    for (const c of caps) expect(c.x + c.width).toBeLessThanOrEqual(pane.width + 0.5);
    await b.screenshot('grounding-det-reviewed-large');
    await page.keyboard.press('Alt+t');

    // Prompt edit + re-run.
    await page.getByTestId('grounding-edit-prompt').fill('short . spur .');
    await page.getByTestId('grounding-box-threshold').fill('0.2');
    await page.getByTestId('grounding-rerun').click();
    await page.getByTestId('grounding-prompt').filter({ hasText: '“short . spur .”' }).waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('grounding-thresholds').textContent()).toMatch(/Box threshold 0\.20 · Text threshold 0\.25 · 1 DET/);
    const second = (await b.host.handlers['history.search']({})).rows[0]!;
    expect(second.runId).toBeGreaterThan(first.runId);
    const stored = db().prepare('SELECT grounding_prompt, thresholds, regions FROM inference_runs WHERE id = ?').get(second.runId) as Record<string, string>;
    expect(stored['grounding_prompt']).toBe('short . spur .');
    expect(JSON.parse(stored['thresholds']!)).toMatchObject({ box: 0.2, text: 0.25 });
    const newRegions = JSON.parse(stored['regions']!) as { label: string; score: number }[];
    expect(newRegions.map((r) => r.label)).toEqual(['short']);
    // The new boxes replace this pack's old ones on the canvas.
    caps = await captions(b);
    expect(caps.filter((c) => c.text.startsWith('DET ')).map((c) => c.text)).toEqual([`DET short ${newRegions[0]!.score.toFixed(2)}`]);
    await b.screenshot('grounding-det-edited-prompt');

    // The history view shows the prompt and the first run's box reviews.
    await page.locator('body').click({ position: { x: 5, y: 990 } });
    await page.keyboard.press('Alt+2');
    await page.getByTestId(`history-row-${first.runId}`).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId(`history-row-${first.runId}`).getByTestId('cell-box-reviews').textContent()).toContain('✓1 accepted ✕1 rejected');
    expect(await page.getByTestId(`history-row-${second.runId}`).getByTestId('cell-prompt').textContent()).toContain('short . spur .');
    await b.screenshot('grounding-history');
    // Reopened from the history, the first run's boxes carry their decisions and its prompt.
    await page.getByTestId(`history-open-${first.runId}`).click();
    await page.getByTestId('grounding-prompt').filter({ hasText: DEFAULT_PROMPT }).waitFor({ timeout: 30_000 });
    await page.waitForFunction((n) => (globalThis as unknown as { __inspector: { boxCaptions(): { text: string }[] } }).__inspector.boxCaptions().length === n, firstRun.regions.length);
    caps = await captions(b);
    expect(caps.filter((c) => c.text.endsWith(' ✓'))).toHaveLength(1);
    expect(caps.filter((c) => c.text.endsWith(' ✕'))).toHaveLength(1);
    expect(caps.every((c) => c.text.startsWith('DET '))).toBe(true);
    await b.screenshot('grounding-reopened');
    // Back to the sample case (it has a file to run on) for the next test.
    const sets = await b.host.handlers['samples.list']({});
    const idx = sets.find((x) => x.name === 'pcb-grounding')!.images.findIndex((p) => /92000111_test\.jpg$/.test(p));
    await page.getByTestId(`case-${idx}`).click();
    await page.getByTestId('grounding-prompt').filter({ hasText: 'short . spur .' }).waitFor();
  }, 300_000);

  /** Checks the card against the agreement recomputed from what SQLite holds for the recorded runs. */
  async function checkAgreement(): Promise<{ systems: { system: string; runId: number }[]; meanIou: number | null }> {
    const { page } = b;
    await page.getByTestId('agreement').or(page.getByTestId('agreement-none')).waitFor({ timeout: 240_000 });
    const row = db().prepare('SELECT * FROM system_agreements ORDER BY id DESC LIMIT 1').get() as Record<string, unknown>;
    expect(row, 'the agreement is recorded').toBeDefined();
    const systems = JSON.parse(row['runs'] as string) as { system: string; runId: number }[];
    // The classifier is named by the explanation method its run recorded (the battery pack: HiResCAM).
    const method = getRun(db(), systems[0]!.runId).run.explanation!.method;
    expect(method).toBe('hirescam');
    expect(systems.map((s) => s.system)).toEqual([methodDisplayName(method), 'Anomaly', 'Grounding']);
    expect(await page.getByTestId('system-label-classifier').textContent()).toBe('HiResCAM');
    const kindOf = (name: string) => (['classifier', 'anomaly', 'grounding'] as const)[systems.findIndex((s) => s.system === name)]!;
    const recomputed = agreement(
      systems.map((s) => ({ system: s.system, boxes: getRun(db(), s.runId).run.regions.map((g) => ({ x: g.box[0], y: g.box[1], width: g.box[2], height: g.box[3] })) })),
      row['match_iou'] as number,
    );
    expect(row['mean_iou']).toBe(recomputed.meanIou);
    expect(JSON.parse(row['summary'] as string).pairs).toEqual(recomputed.pairs);
    const fmt = (v: number | null) => (v === null ? '—' : v.toFixed(3));
    expect(await page.getByTestId('agreement-mean').textContent()).toBe(fmt(recomputed.meanIou));
    for (const [i, p] of recomputed.pairs.entries()) {
      expect(await page.getByTestId(`agreement-pair-${i}`).textContent()).toBe(`${p.a} ↔ ${p.b}: IoU ${fmt(p.iou)} · ${p.matched} matched at IoU ≥ ${recomputed.matchIou}`);
    }
    // Each system says how many boxes it found, or honestly that it found none.
    for (const s of recomputed.systems) {
      const text = await page.getByTestId(`system-result-${kindOf(s.system)}`).textContent();
      expect(text).toMatch(s.boxes === 0 ? new RegExp(`no boxes from ${s.system}`) : new RegExp(`^${s.boxes} box${s.boxes === 1 ? '' : 'es'}`));
    }
    const pack = (id: number) => getRun(db(), id).run.packName;
    expect(systems.map((s) => pack(s.runId))).toEqual(['battery-ct-porosity', 'surface-pitting-ae', 'defects-grounding']);
    const audit = await b.host.handlers['audit.verify']({});
    expect(audit.ok).toBe(true);
    return { systems, meanIou: recomputed.meanIou };
  }

  it('three systems on a pcb-grounding image: boxes of each, toggled on the canvas, agreement recorded', async () => {
    const { page } = b;
    await page.getByTestId('systems-run').click();
    const { systems } = await checkAgreement();
    // The grounding run of the card is a new recorded run with the pack's own prompt.
    expect(getRun(db(), systems[2]!.runId).run.groundingPrompt).toBe(DEFAULT_PROMPT);
    const det = () => captions(b).then((c) => c.filter((x) => x.text.startsWith('DET ')).length);
    const n = getRun(db(), systems[2]!.runId).run.regions.length;
    expect(await det()).toBe(n);
    await b.screenshot('systems-pcb-all');
    if (n > 0) {
      await page.getByTestId('system-toggle-grounding').uncheck();
      expect(await det()).toBe(0);
      await page.getByTestId('system-toggle-grounding').check();
      expect(await det()).toBe(n);
    }
  }, 300_000);

  it('three systems on a line-demo CT case, out of the box', async () => {
    const { page } = b;
    await openSample('line-demo', /cell-002_ct\.png$/);
    await page.locator('body').click({ position: { x: 5, y: 990 } });
    await page.keyboard.press('F5');
    await page.getByTestId('verdict').filter({ hasText: /porosity/i }).waitFor({ timeout: 120_000 });
    // The case's deciding run (the line-demo also runs the grounding pack beside it, as findings).
    const own = (await b.host.handlers['history.search']({})).rows.find((r) => basename(r.sourcePath) === 'cell-002_ct.png' && r.packName !== 'defects-grounding')!;
    await page.getByTestId('systems-run').click();
    const { systems } = await checkAgreement();
    expect(basename(getRun(db(), systems[0]!.runId).image.sourcePath)).toBe('cell-002_ct.png');
    // The case's own findings and run stay those of its configured pack.
    await page.getByTestId('verdict').filter({ hasText: /porosity/i }).waitFor();
    expect(own.packName).toBe('battery-ct-porosity');
    await b.screenshot('systems-line-demo-cell-002');

    // Compare (X): one system's map per pane, each with its own system's region boxes.
    const gradcamBoxes = getRun(db(), systems[0]!.runId).run.regions.length;
    const anomalyBoxes = getRun(db(), systems[1]!.runId).run.regions.length;
    await page.locator('body').click({ position: { x: 5, y: 990 } });
    await page.keyboard.press('x');
    await page.getByTestId('viewer-pane-1').waitFor();
    await page.waitForTimeout(300);
    const reg = async (p: number) => (await captions(b, p)).filter((c) => c.text.startsWith('REG ')).length;
    expect(await reg(0)).toBe(gradcamBoxes);
    expect(await reg(1)).toBe(anomalyBoxes);
    await b.screenshot('systems-line-demo-compare');
    await page.keyboard.press('x');
  }, 300_000);
});
