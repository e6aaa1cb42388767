/**
 * Decisions reach the database: a recorded inspection run is reviewed from the keyboard in
 * Chromium (operator profile, note, a drawn box, accept, then an override that supersedes it) and
 * the reviews are read back through the real `history.run` handler.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceRecord } from '../../src/core/history/types';
import { openBridge, type Bridge } from '../support/bridge';
import { reviewCases } from './review-fixtures';
import { openCases, screenOf, state, viewOf, waitAttr } from './viewer-helpers';

const run: InferenceRecord = {
  case: { key: 'CELL-A', kind: 'part', line: 'L1', station: 'CT1', tags: [] },
  image: { sourcePath: '/samples/cell-a.dcm', sha256: 'a'.repeat(64), format: 'dicom', modality: 'ct', width: 400, height: 300, validation: { outcome: 'ok' } },
  pack: { name: 'ct-porosity', version: '1.0.0', fileHashes: { 'model.onnx': 'b'.repeat(64) } },
  provider: 'cpu',
  verdict: 'internal',
  score: 0.83,
  threshold: 0.5,
  probabilities: { pass: 0.08, internal: 0.83, external: 0.09 },
  regions: [{ box: [150, 100, 100, 100], label: 'internal', score: 0.83 }],
};

describe('review decisions recorded in the history (Chromium, real handlers and SQLite)', () => {
  let b: Bridge;
  let runId: number;
  beforeAll(async () => {
    b = await openBridge();
    runId = b.host.history.get().recordInference(run).runId;
    // The operator profile is the history's own UI; here it is chosen through the real handlers.
    await b.host.handlers['operator.create']({ id: 'kim.reviewer', name: '김검토', role: 'reviewer' });
    await b.host.handlers['operator.select']({ id: 'kim.reviewer' });
    await b.page.reload();
    await b.page.waitForFunction(() => 'openCases' in ((globalThis as unknown as { __inspector?: object }).__inspector ?? {}));
    const cases = reviewCases(b).map((c, i) => (i === 0 ? { ...c, runId } : c));
    await openCases(b, cases);
  });
  afterAll(async () => {
    await b?.close();
  });

  it('accept with note and a drawn box, signed by the chosen operator', async () => {
    const { page } = b;
    await page.getByTestId('reviewer').filter({ hasText: '김검토' }).waitFor();
    await page.locator('body').click({ position: { x: 5, y: 990 } });
    await page.keyboard.press('e');
    await page.keyboard.type('void cluster near the tab');
    await page.keyboard.press('Escape');
    await page.keyboard.press('b');
    const v = await viewOf(b);
    const pane = (await page.getByTestId('viewer-pane-0').boundingBox())!;
    const a = screenOf(v, 160, 110);
    const c = screenOf(v, 240, 190);
    await page.mouse.move(pane.x + a.x, pane.y + a.y);
    await page.mouse.down();
    await page.mouse.move(pane.x + c.x, pane.y + c.y, { steps: 4 });
    await page.mouse.up();
    await page.keyboard.press('v');
    await page.keyboard.press('a');
    await page.getByTestId('save-state').filter({ hasText: /Saved/ }).waitFor();
    const detail = await b.host.handlers['history.run']({ runId });
    expect(detail.reviews).toHaveLength(1);
    const r = detail.reviews[0]!;
    expect(r).toMatchObject({ decision: 'accept', note: 'void cluster near the tab', operatorId: 'kim.reviewer', operatorName: '김검토' });
    expect(r.boxes).toHaveLength(1);
    const [x, y, w, h] = r.boxes[0]!.box;
    expect(x).toBeCloseTo(160, 0);
    expect(y).toBeCloseTo(110, 0);
    expect(w).toBeCloseTo(80, 0);
    expect(h).toBeCloseTo(80, 0);
    expect((await state(b)).review.cases[0]!.status).toBe('accepted');
    await b.screenshot('review-history-accepted');
  });

  it('an override from the keyboard supersedes the first review; the queue shows the new status', async () => {
    const { page } = b;
    await page.keyboard.press('o');
    expect(await page.evaluate('document.activeElement?.id')).toBe('override-class');
    await page.getByTestId('override-class').selectOption('external');
    await page.getByTestId('save-state').filter({ hasText: /Saved/ }).waitFor();
    await page.getByTestId('case-0').filter({ hasText: 'overridden' }).waitFor();
    const detail = await b.host.handlers['history.run']({ runId });
    expect(detail.reviews).toHaveLength(2);
    const latest = detail.reviews.find((x) => x.decision === 'override')!;
    const first = detail.reviews.find((x) => x.decision === 'accept')!;
    expect(latest.label).toBe('external');
    expect(latest.supersedes).toBe(first.id);
    await b.screenshot('review-history-override');
  });

  it('a case without a recorded run says so instead of pretending to save', async () => {
    await b.page.keyboard.press('Escape');
    await b.page.keyboard.press('n');
    await waitAttr(b, 'case-1', 'aria-current', /^true$/);
    await b.page.keyboard.press('r');
    await b.page.getByTestId('save-state').filter({ hasText: /no recorded inspection run/ }).waitFor();
    expect((await b.host.handlers['history.search']({})).rows.length).toBe(1);
  });
});
