/**
 * The Evaluate room in Chromium with the real host, worker and SQLite: a small real labelled set
 * (chest radiographs, one folder per class) evaluated with the shipped chest pack; the plots
 * drawn; the live confusion at every threshold the slider and the presets reach checked against
 * the core's `operatingPoint` on the scores recorded in SQLite and the truth the test built;
 * applying refused for an operator and recorded for a supervisor (read back from SQLite, audit
 * verified); a confusion cell and a histogram bar opening exactly their images in the viewer.
 */
import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, realpathSync } from 'node:fs';
import os from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatingPoint } from '../../src/core/evaluation/thresholds';
import { openBridge, type Bridge } from '../support/bridge';
import { hasShared, repoRoot, sharedData } from '../support/paths';
import { waitAttr } from './viewer-helpers';

const PACK = 'chest-xray-pneumonia';

/**
 * 7 + 7 radiographs from ../shared/data when it is there, else the 2 + 2 bundled samples; `copies`
 * repeats each file under new names (a longer first case, so a cancel lands while it runs).
 */
function buildSet(copies = 1): { dir: string; truth: Map<string, 0 | 1> } {
  const dir = realpathSync(mkdtempSync(join(os.tmpdir(), 'inspector-eval-set-')));
  const truth = new Map<string, 0 | 1>();
  for (const cls of ['normal', 'pneumonia'] as const) {
    mkdirSync(join(dir, cls));
    const files = hasShared
      ? readdirSync(join(sharedData, 'chest-xray-nih', cls)).sort().slice(-7).map((f) => join(sharedData, 'chest-xray-nih', cls, f))
      : readdirSync(join(repoRoot, 'resources', 'samples', PACK)).filter((f) => f.startsWith(cls)).map((f) => join(repoRoot, 'resources', 'samples', PACK, f));
    for (const f of files) {
      for (let k = 0; k < copies; k++) {
        const to = join(dir, cls, k ? `${k}-${basename(f)}` : basename(f));
        copyFileSync(f, to);
        truth.set(to, cls === 'normal' ? 0 : 1);
      }
    }
  }
  return { dir, truth };
}

describe('Evaluate room (Chromium, real host, worker and SQLite)', () => {
  let b: Bridge;
  let set: { dir: string; truth: Map<string, 0 | 1> };
  let userDataDir: string;
  let db: Database.Database;
  /** Truth (from the folders the test made) and score (as recorded in SQLite) per image. */
  let recorded: { path: string; truth: 0 | 1; score: number }[];
  let evaluationId: number;
  /** What the folder chooser answers (the native dialog's stand-in). */
  let chosen = '';

  const cell = async (c: string) => Number(await b.page.getByTestId(`eval-cell-${c}`).textContent());
  const cells = async () => ({ tp: await cell('tp'), fp: await cell('fp'), tn: await cell('tn'), fn: await cell('fn') });
  const shownThreshold = async () => Number(await b.page.getByTestId('eval-threshold').getAttribute('data-value'));
  const core = (t: number) => {
    const p = operatingPoint(recorded.map((r) => r.truth), recorded.map((r) => r.score), t);
    return { tp: p.tp, fp: p.fp, tn: p.tn, fn: p.fn };
  };

  beforeAll(async () => {
    set = buildSet();
    userDataDir = mkdtempSync(join(os.tmpdir(), 'inspector-e2e-evaluate-'));
    chosen = set.dir;
    b = await openBridge({ userDataDir, choosePaths: (kind) => (kind === 'folder' ? [chosen] : []) });
    await b.host.handlers['operator.create']({ id: 'park.s', name: 'Park Supervisor', role: 'supervisor' });
    await b.host.handlers['operator.create']({ id: 'kim.o', name: 'Kim Operator', role: 'operator' });
    await b.host.handlers['operator.select']({ id: 'kim.o' });
    await b.page.reload();
    db = new Database(b.host.paths.defaultDatabase, { readonly: true, fileMustExist: true });
  }, 120_000);
  afterAll(async () => {
    db?.close();
    await b?.close();
  });

  it('Alt+4 opens the room; the set is chosen, the pack evaluated with progress, the plots drawn', async () => {
    await b.page.getByTestId('view-review').waitFor();
    await b.page.keyboard.press('Alt+4');
    await b.page.getByTestId('evaluate').waitFor();
    expect(await b.page.getByTestId('view-evaluate').getAttribute('aria-current')).toBe('page');
    await b.page.getByTestId('eval-choose-set').click();
    expect(await b.page.getByTestId('eval-set').textContent()).toContain(set.dir);
    await b.page.getByTestId('eval-pack').selectOption(PACK);
    await b.page.getByTestId('eval-run').click();
    await waitAttr(b, 'eval-progress', 'data-state', /^(done|failed)$/, 240_000);
    expect(await b.page.getByTestId('eval-progress').getAttribute('data-state'), (await b.page.getByTestId('eval-status').textContent()) ?? '').toBe('done');
    expect(await b.page.getByTestId('eval-progress').getAttribute('data-done')).toBe(String(set.truth.size));

    evaluationId = Number(await b.page.getByTestId('eval-results').getAttribute('data-evaluation'));
    const ev = db.prepare('SELECT batch_id AS batchId, summary FROM evaluations WHERE id = ?').get(evaluationId) as { batchId: number; summary: string };
    expect(ev).toBeDefined();
    recorded = (db.prepare('SELECT i.source_path AS path, r.score FROM inference_runs r JOIN images i ON i.id = r.image_id WHERE r.batch_id = ? AND r.pack_name = ?').all(ev.batchId, PACK) as { path: string; score: number }[]).map(
      (r) => ({ ...r, truth: set.truth.get(r.path)! }),
    );
    expect(recorded.map((r) => r.path).sort()).toEqual([...set.truth.keys()].sort());

    // The headline numbers are the recorded evaluation's.
    const summary = JSON.parse(ev.summary).packs[0];
    expect(await b.page.getByTestId('eval-f1').textContent()).toMatch(new RegExp(`^${summary.f1.toFixed(3)}`));
    expect(await b.page.getByTestId('eval-auc').textContent()).toMatch(new RegExp(`^${summary.rocAuc.toFixed(3)}`));
    for (const id of ['eval-roc', 'eval-pr', 'eval-hist', 'eval-reliability']) expect(await b.page.getByTestId(id).isVisible()).toBe(true);
    // The histogram's bars hold every image once, by true class.
    const bars = b.page.locator('[data-testid^="eval-hist-bar-"]');
    const counts = await bars.evaluateAll((els) => els.map((e) => [e.getAttribute('data-testid')!.split('-')[3], Number(e.getAttribute('data-count'))] as const));
    const byTruth = (t: string) => counts.filter(([k]) => k === t).reduce((a, [, n]) => a + n, 0);
    expect([byTruth('0'), byTruth('1')]).toEqual([recorded.filter((r) => !r.truth).length, recorded.filter((r) => r.truth).length]);
    // At the pack's threshold the live confusion is the core's.
    expect(await cells()).toEqual(core(summary.threshold));
    await b.screenshot('evaluate-results');
  }, 300_000);

  it('the slider moves the threshold image by image; the confusion, curve marker and histogram line follow and match the core', async () => {
    const slider = b.page.getByTestId('eval-slider');
    await slider.focus();
    await b.page.keyboard.press('Home');
    let t = await shownThreshold();
    expect(t).toBe(Math.min(...recorded.map((r) => r.score)));
    expect(await cells()).toEqual(core(t));
    expect((await cells()).fn).toBe(0);
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      await b.page.keyboard.press('ArrowRight');
      t = await shownThreshold();
      const live = await cells();
      expect(live).toEqual(core(t));
      seen.add(JSON.stringify(live));
      expect(Number(await b.page.getByTestId('eval-hist-threshold').getAttribute('data-threshold'))).toBe(t);
    }
    // One step is one image: six steps gave six different confusions.
    expect(seen.size).toBe(6);
    const p = operatingPoint(recorded.map((r) => r.truth), recorded.map((r) => r.score), t);
    expect(Number(await b.page.getByTestId('eval-roc-marker').getAttribute('data-x'))).toBeCloseTo(p.falseAlarmRate, 12);
    expect(Number(await b.page.getByTestId('eval-roc-marker').getAttribute('data-y'))).toBeCloseTo(p.recall, 12);
    await b.page.keyboard.press('End');
    expect(await cells()).toEqual({ tp: 0, fp: 0, tn: recorded.filter((r) => !r.truth).length, fn: recorded.filter((r) => r.truth).length });
  });

  it('presets put the threshold where the recorded proposals are; the band shows its share to a person', async () => {
    const summary = JSON.parse((db.prepare('SELECT summary FROM evaluations WHERE id = ?').get(evaluationId) as { summary: string }).summary).packs[0];
    const proposal = (o: string) => summary.proposals.find((q: { objective: string }) => q.objective === o);
    await b.page.getByTestId('eval-preset-f1').check();
    await waitAttr(b, 'eval-threshold', 'data-value', new RegExp(`^${String(proposal('f1-optimal').threshold).replace('.', '\\.')}$`));
    expect(await cells()).toEqual(core(proposal('f1-optimal').threshold));
    await b.page.getByTestId('eval-preset-recall').check();
    await waitAttr(b, 'eval-threshold', 'data-value', new RegExp(`^${String(proposal('recall>=0.99').threshold).replace('.', '\\.')}$`));
    expect((await cells()).fn).toBe(0);
    if (summary.band) {
      await b.page.getByTestId('eval-preset-band').check();
      await b.page.getByTestId('eval-band').waitFor();
      expect(await b.page.getByTestId('eval-band').textContent()).toContain(`${(summary.band.humanShare * 100).toFixed(1)}%`);
      // T1 and T2 both drawn on the histogram; the threshold in force is T2.
      expect(Number(await b.page.getByTestId('eval-hist-low').getAttribute('data-threshold'))).toBe(summary.band.low);
      expect(await shownThreshold()).toBe(summary.band.high);
    }
    await b.screenshot('evaluate-tradeoff');
  });

  it('an operator is refused with a clear message; a supervisor applies, recorded in SQLite and the audit chain', async () => {
    await b.page.getByTestId('eval-preset-f1').check();
    await b.page.getByTestId('eval-apply').click();
    await b.page.getByTestId('eval-apply-error').waitFor();
    expect(await b.page.getByTestId('eval-apply-error').getAttribute('data-code')).toBe('THRESHOLD_ROLE_REQUIRED');
    expect(await b.page.getByTestId('eval-apply-error').textContent()).toContain('needs a supervisor or admin');
    expect(await b.page.getByTestId('eval-apply-role').isVisible()).toBe(true);
    expect((db.prepare('SELECT count(*) AS n FROM threshold_versions').get() as { n: number }).n).toBe(0);

    await b.page.getByTestId('operator-chip').click();
    await b.page.getByTestId('operator-pick').selectOption('park.s');
    await b.page.getByTestId('operator-use').click();
    await b.page.getByTestId('eval-apply').click();
    await b.page.getByTestId('eval-applied').waitFor();
    const summary = JSON.parse((db.prepare('SELECT summary FROM evaluations WHERE id = ?').get(evaluationId) as { summary: string }).summary).packs[0];
    const f1 = summary.proposals.find((q: { objective: string }) => q.objective === 'f1-optimal').threshold;
    const row = db.prepare('SELECT id, pack_name AS pack, pack_identity AS identity, evaluation_id AS ev, objective, low, high, operator_id AS op FROM threshold_versions ORDER BY id DESC LIMIT 1').get() as Record<string, unknown>;
    expect(row).toMatchObject({ pack: PACK, identity: summary.identity, ev: evaluationId, objective: 'f1-optimal', low: f1, high: f1, op: 'park.s' });
    expect(await b.page.getByTestId('eval-applied').getAttribute('data-version')).toBe(String(row['id']));

    // A threshold set by hand is applied as `manual`, at exactly the slider's value.
    await b.page.getByTestId('eval-slider').focus();
    await b.page.keyboard.press('Home');
    await b.page.keyboard.press('ArrowRight');
    const manual = await shownThreshold();
    await b.page.getByTestId('eval-apply').click();
    await waitAttr(b, 'eval-applied', 'data-version', new RegExp(`^${Number(row['id']) + 1}$`));
    const m = db.prepare('SELECT objective, low, high, evaluation_id AS ev, operator_id AS op FROM threshold_versions ORDER BY id DESC LIMIT 1').get();
    expect(m).toEqual({ objective: 'manual', low: manual, high: manual, ev: evaluationId, op: 'park.s' });
    const audit = db.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'threshold.apply'").get() as { n: number };
    expect(audit.n).toBe(2);
    const verify = await b.host.handlers['audit.verify']({});
    expect(verify.ok).toBe(true);
    await b.screenshot('evaluate-applied');
  });

  it('a confusion cell and a histogram bar open exactly their images in the viewer', async () => {
    await b.page.getByTestId('eval-preset-f1').check();
    const t = await shownThreshold();
    const cellName = (['tp', 'fp', 'fn', 'tn'] as const).find((c) => core(t)[c] > 0)!;
    const want = recorded.filter((r) => (r.score >= t ? (r.truth ? 'tp' : 'fp') : r.truth ? 'fn' : 'tn') === cellName).map((r) => basename(r.path)).sort();
    await b.page.getByTestId(`eval-cell-${cellName}`).focus();
    await b.page.keyboard.press('Enter');
    await b.page.getByTestId('case-list').waitFor();
    expect(await b.page.getByTestId('view-review').getAttribute('aria-current')).toBe('page');
    const listed = async () => (await b.page.getByTestId('case-list').locator('li').allTextContents()).map((s) => s.match(/[\w.-]+\.(jpg|png)/)?.[0] ?? s).sort();
    expect(await listed()).toEqual(want);
    await waitAttr(b, 'viewer-pane-0', 'data-view', /./, 60_000);
    await b.screenshot('evaluate-cell-in-viewer');

    await b.page.keyboard.press('Alt+4');
    const bar = b.page.locator('[data-testid^="eval-hist-bar-1-"]').last();
    const [truth, bin] = (await bar.getAttribute('data-testid'))!.split('-').slice(3).map(Number) as [number, number];
    const n = Number(await bar.getAttribute('data-count'));
    // Bars are reachable from the keyboard: focus, Enter.
    await bar.focus();
    await b.page.keyboard.press('Enter');
    await b.page.getByTestId('case-list').waitFor();
    const inBar = await listed();
    expect(inBar.length).toBe(n);
    // Independently: the images of that true class whose score falls in that bin of [0, 1].
    expect(inBar).toEqual(recorded.filter((r) => r.truth === truth && Math.min(19, Math.floor(r.score * 20)) === bin).map((r) => basename(r.path)).sort());
  });

  it('in Korean the room reads in Korean', async () => {
    await b.page.keyboard.press('Alt+4');
    await b.page.getByTestId('lang-ko').click();
    expect(await b.page.getByTestId('eval-run').textContent()).toBe('평가 실행');
    expect(await b.page.getByTestId('eval-tradeoff').locator('h3').textContent()).toBe('임계값 트레이드오프');
    // The matrices name their classes in Korean: the pack's display names (정상, 폐렴 (데모)) and the
    // case verdicts' shared words — not the ids normal / pneumonia / PASS.
    const heads = async (id: string) => (await b.page.getByTestId(id).locator('th').allTextContents()).map((s) => s.trim());
    await b.page.waitForFunction(() => document.querySelector('[data-testid="eval-confusion"] thead')?.textContent?.includes('폐렴'));
    const confusion = await heads('eval-confusion');
    expect(confusion).toEqual(expect.arrayContaining(['정상', '폐렴 (데모)']));
    expect(confusion).not.toContain('pneumonia');
    const cases = await heads('eval-cases');
    expect(cases.some((h) => h === '합격' || h === '판단 보류' || h === '내부 결함')).toBe(true);
    expect(cases).not.toContain('PASS');
    await b.screenshot('evaluate-ko');
    await b.page.getByTestId('lang-en').click();
  });

  it('a folder that is not a labelled set is refused with its code; nothing is recorded', async () => {
    chosen = realpathSync(mkdtempSync(join(os.tmpdir(), 'inspector-eval-empty-')));
    const batches = (db.prepare('SELECT count(*) AS n FROM batches').get() as { n: number }).n;
    await b.page.getByTestId('eval-choose-set').click();
    await b.page.getByTestId('eval-run').click();
    await b.page.getByTestId('eval-error').waitFor();
    expect(await b.page.getByTestId('eval-error').getAttribute('data-code')).toMatch(/^EVAL_SET_(EMPTY|NOT_FOUND)$/);
    expect((db.prepare('SELECT count(*) AS n FROM batches').get() as { n: number }).n).toBe(batches);
    chosen = set.dir;
    await b.page.getByTestId('eval-choose-set').click();
  });

  it('Cancel stops after the case in flight; what finished is recorded', async () => {
    // Two cases (a folder per class) of 6 copies each: with the faster explanations a two-case set of
    // 7 + 7 could finish before the click on Cancel reached the host.
    const big = buildSet(6);
    chosen = big.dir;
    await b.page.getByTestId('eval-choose-set').click();
    await b.page.getByTestId('eval-run').click();
    await b.page.getByTestId('eval-cancel').click();
    await waitAttr(b, 'eval-progress', 'data-state', /^(stopped|done)$/, 240_000);
    // The set is two cases (a folder per class): the first is in flight when Cancel lands.
    expect(await b.page.getByTestId('eval-progress').getAttribute('data-state')).toBe('stopped');
    const done = Number(await b.page.getByTestId('eval-progress').getAttribute('data-done'));
    expect(done).toBeLessThan(big.truth.size);
    expect(await b.page.getByTestId('eval-status').textContent()).toMatch(/^Cancelled after \d+ of \d+ images/);
    const batch = db.prepare('SELECT max(batch_id) AS id FROM evaluation_batches').get() as { id: number };
    expect((db.prepare('SELECT count(*) AS n FROM inference_runs WHERE batch_id = ?').get(batch.id) as { n: number }).n).toBe(done);
    // No evaluation is recorded for a stopped run.
    expect((db.prepare('SELECT count(*) AS n FROM evaluations').get() as { n: number }).n).toBe(1);
  }, 300_000);
});
