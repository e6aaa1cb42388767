import { afterAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/core/history/index';
import { createHistoryHandlers, HistoryAccess } from '../../../src/host/history';
import { contract } from '../../../src/shared/contract';
import { sampleRecord, tempDir } from '../../unit/history/support';

/** Calls a history channel the way dispatch does: input parsed by the contract, output checked against it. */
async function call<C extends keyof ReturnType<typeof createHistoryHandlers>>(h: ReturnType<typeof createHistoryHandlers>, channel: C, input: unknown) {
  const spec = contract[channel];
  const parsed = spec.input.parse(input);
  const out = await (h[channel] as (i: unknown) => Promise<unknown>)(parsed);
  return spec.output.parse(out) as Awaited<ReturnType<ReturnType<typeof createHistoryHandlers>[C]>>;
}

describe('history channels in the host', () => {
  const t = tempDir('inspector-ipc-history-');
  const access = new HistoryAccess(t.file);
  const h = createHistoryHandlers(access);
  afterAll(() => {
    access.close();
    t.cleanup();
  });

  it('serves search, run detail, stats, operators, reviews and audit within the contract', async () => {
    // The engine's side: records written through the same database file.
    const engine = HistoryStore.open(t.file);
    engine.recordInferences(Array.from({ length: 6 }, (_, i) => sampleRecord(i)));
    engine.setPackReference('chest', '1.0.0', Array.from({ length: 50 }, (_, i) => i / 50));
    engine.close();
    expect(access.isOpen).toBe(false);

    await expect(call(h, 'review.submit', { runId: 2, decision: 'accept' })).rejects.toMatchObject({ code: 'OPERATOR_NOT_SELECTED' });
    await call(h, 'operator.create', { id: 'kim', name: 'Kim Jiwoo', role: 'reviewer' });
    expect((await call(h, 'operator.list', {})).current).toBeNull();
    await call(h, 'operator.select', { id: 'kim' });
    expect((await call(h, 'operator.list', {})).current?.name).toBe('Kim Jiwoo');

    // The renderer cannot name another reviewer: operatorId is not part of the input.
    expect(contract['review.submit'].input.safeParse({ runId: 2, decision: 'accept', operatorId: 'boss' }).success).toBe(false);
    const submitted = await call(h, 'review.submit', {
      runId: 2,
      decision: 'override',
      label: 'pneumonia',
      boxes: [{ box: [5, 6, 20, 10], label: 'pneumonia' }],
      note: 'missed opacity',
    });
    expect(submitted.run.reviews).toHaveLength(1);
    expect(submitted.run.reviews[0]).toMatchObject({ operatorId: 'kim', operatorName: 'Kim Jiwoo', decision: 'override', label: 'pneumonia' });

    const page = await call(h, 'history.search', { reviewStatus: 'reviewed', withTotal: true });
    expect(page.total).toBe(1);
    expect(page.rows[0]!.review).toMatchObject({ operatorId: 'kim', decision: 'override' });
    const run = await call(h, 'history.run', { runId: 2 });
    expect(run.image.sourcePath).toBe('/samples/img_1.png');

    const stats = await call(h, 'history.stats', { driftLimits: { psi: 0.5 } });
    expect(stats.daily.reduce((a, d) => a + d.runs, 0)).toBe(6);
    expect(stats.agreement.reviewed).toBe(1);
    expect(stats.drift[0]).toMatchObject({ pack: 'chest', status: 'insufficient-data', limits: { psi: 0.5 } });
    expect(contract['history.stats'].input.safeParse({ fromDay: 'yesterday' }).success).toBe(false);

    const audit = await call(h, 'audit.verify', {});
    expect(audit.ok).toBe(true);
    expect(audit.anchor?.seq).toBe(audit.head.seq);
  });
});
