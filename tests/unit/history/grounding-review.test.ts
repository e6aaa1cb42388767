/**
 * A grounding run re-run with a reviewer's prompt records that prompt (sealed in the chain), each
 * box's accept/reject is an audited, append-only, synced row read back per run and in exports, and
 * the agreement of systems on one image is recorded from the runs' own boxes. Real engine, real pack.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { agreementCommand } from '../../../src/cli/commands/agreement';
import { EngineService } from '../../../src/core/engine/service';
import { getRun, HistoryStore, verifyAudit } from '../../../src/core/history/index';
import { exportHistory } from '../../../src/core/reports/index';
import { recordRunsAgreement } from '../../../src/core/agreement/index';
import { recordInspection } from '../../../src/host/recordInspection';
import { InspectRunInput } from '../../../src/shared/inspect';
import { repoRoot } from '../../support/paths';
import { tempDir } from './support';

const IMAGE = join(repoRoot, 'resources/samples/pcb-grounding/92000111_test.jpg');
/** The pack's own prompt, as its pack.yaml states it (the demo pack is retrained from time to time). */
const PACK_PROMPT = /^grounding:\n {2}prompt: (.+)$/m.exec(readFileSync(join(repoRoot, 'models/defects-grounding/pack.yaml'), 'utf8'))![1]!;

function dropGuards(s: HistoryStore): void {
  for (const { name } of s.db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_no_%'").all() as { name: string }[]) s.db.exec(`DROP TRIGGER ${name}`);
}

describe('grounding prompt, per-box reviews and agreements in the history', () => {
  const service = new EngineService([{ dir: join(repoRoot, 'models'), source: 'app' }]);
  let t: ReturnType<typeof tempDir>;
  let store: HistoryStore;
  let packRun: number;
  let editedRun: number;
  let packBoxes: number;
  const labelOf = (i: number) => getRun(store.db, packRun).run.regions[i]!.label;
  beforeAll(async () => {
    t = tempDir('inspector-grounding-review-');
    store = HistoryStore.open(t.file);
    store.createOperator({ id: 'lee', name: 'Lee', role: 'reviewer' });
    store.selectOperator('lee');
    const byPack = await service.inspect({ paths: [IMAGE], packs: ['defects-grounding'] });
    const edited = await service.inspect({ paths: [IMAGE], packs: ['defects-grounding'], grounding: { prompt: 'short . spur .', boxThreshold: 0.2 } });
    packRun = recordInspection(store, byPack, { operatorId: 'lee' })[0]!;
    editedRun = recordInspection(store, edited, { operatorId: 'lee' })[0]!;
    packBoxes = getRun(store.db, packRun).run.regions.length;
  }, 120_000);
  afterAll(async () => {
    store.close();
    t.cleanup();
    await service.close();
  });

  it('each run records the prompt and thresholds it used', () => {
    const a = getRun(store.db, packRun).run;
    const b = getRun(store.db, editedRun).run;
    expect(a.groundingPrompt).toBe(PACK_PROMPT);
    // Enough boxes on this board for the per-box tests below (indices 0 and 2).
    expect(a.regions.length).toBeGreaterThanOrEqual(3);
    expect(b.groundingPrompt).toBe('short . spur .');
    expect(b.thresholds).toMatchObject({ box: 0.2, text: 0.25 });
    expect(b.regions.map((r) => r.label)).toEqual(['short']);
    expect(verifyAudit(store.db).ok).toBe(true);
  });

  it('per-box decisions: latest per box, operator named, in the chain, refused for a box the run does not have', () => {
    store.recordBoxReview({ runId: packRun, boxIndex: 0, decision: 'accept', operatorId: 'lee' });
    store.recordBoxReview({ runId: packRun, boxIndex: 2, decision: 'accept', operatorId: 'lee' });
    store.recordBoxReview({ runId: packRun, boxIndex: 2, decision: 'reject', operatorId: 'lee' });
    expect(() => store.recordBoxReview({ runId: packRun, boxIndex: packBoxes, decision: 'accept', operatorId: 'lee' })).toThrow(expect.objectContaining({ code: 'REVIEW_BOX_NOT_FOUND' }));
    expect(() => store.recordBoxReview({ runId: packRun, boxIndex: 0, decision: 'accept', operatorId: 'nobody' })).toThrow(expect.objectContaining({ code: 'OPERATOR_UNKNOWN' }));
    const rows = getRun(store.db, packRun).boxReviews!;
    expect(rows.map((r) => [r.boxIndex, r.decision, r.operatorName])).toEqual([
      [0, 'accept', 'Lee'],
      [2, 'accept', 'Lee'],
      [2, 'reject', 'Lee'],
    ]);
    // The box as the run recorded it travels with the decision.
    expect(rows[1]!.box).toEqual(getRun(store.db, packRun).run.regions[2]!.box);
    expect(rows[1]!.label).toBe(labelOf(2));
    const r = verifyAudit(store.db);
    expect(r.ok).toBe(true);
    expect(r.records['box_review']).toBe(3);
    // Synced to the fleet like reviews.
    expect(store.db.prepare("SELECT count(*) FROM sync_outbox WHERE tbl = 'box_reviews'").pluck().get()).toBe(3);
    // Append-only.
    expect(() => store.db.prepare("UPDATE box_reviews SET decision = 'accept' WHERE id = 3").run()).toThrow(/HISTORY_APPEND_ONLY/);
  });

  it('the JSON and CSV exports carry the prompt and the latest decision per box', async () => {
    const json = join(t.dir, 'h.json');
    await exportHistory(store, {}, 'json', 'lee', { out: json, appVersion: 'test' });
    const rows = (JSON.parse(readFileSync(json, 'utf8')) as { rows: Record<string, unknown>[] }).rows;
    const row = rows.find((x) => x['run_id'] === packRun)!;
    expect(row['grounding_prompt']).toBe(PACK_PROMPT);
    expect(row['box_decisions']).toBe(`0:accept:${labelOf(0)}:lee;2:reject:${labelOf(2)}:lee`);
    expect(rows.find((x) => x['run_id'] === editedRun)!['grounding_prompt']).toBe('short . spur .');
    const csv = join(t.dir, 'h.csv');
    await exportHistory(store, {}, 'csv', 'lee', { out: csv, appVersion: 'test' });
    const text = readFileSync(csv, 'utf8');
    expect(text.split(/\r?\n/)[0]).toMatch(/,grounding_prompt,box_decisions(,|$)/);
    expect(text).toContain(`0:accept:${labelOf(0)}:lee;2:reject:${labelOf(2)}:lee`);
  });

  it('an agreement is computed from the recorded boxes, recorded and sealed in the chain', () => {
    const a = recordRunsAgreement(store, { runs: [{ system: 'Grounding', runId: packRun }, { system: 'Grounding (edited)', runId: editedRun }] });
    expect(a.systems.map((s) => s.boxes)).toEqual([packBoxes, 1]);
    const row = store.db.prepare('SELECT * FROM system_agreements WHERE id = ?').get(a.agreementId) as Record<string, unknown>;
    expect(row['case_key']).toBe(a.caseKey);
    expect(JSON.parse(row['runs'] as string)).toEqual([{ system: 'Grounding', runId: packRun }, { system: 'Grounding (edited)', runId: editedRun }]);
    expect(row['mean_iou']).toBe(a.meanIou);
    expect(verifyAudit(store.db).records['agreement']).toBe(1);
    // Tampering with the recorded figure breaks the chain.
    dropGuards(store);
    store.db.prepare('UPDATE system_agreements SET mean_iou = 0.99 WHERE id = ?').run(a.agreementId);
    expect(verifyAudit(store.db).firstBreak).toMatchObject({ code: 'AUDIT_RECORD_ALTERED', entity: 'agreement' });
  });

  it('the CLI computes and records the same figure (inspector agreement … --json)', async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
    try {
      const rc = await agreementCommand.run(['--db', t.file, '--systems', 'Pack prompt,Edited prompt', '--json', String(packRun), String(editedRun)]);
      expect(rc).toBe(0);
    } finally {
      spy.mockRestore();
    }
    const a = JSON.parse(out.join('')) as { agreementId: number; systems: { system: string; boxes: number }[]; meanIou: number | null };
    expect(a.systems.map((s) => [s.system, s.boxes])).toEqual([['Pack prompt', packBoxes], ['Edited prompt', 1]]);
    const row = store.db.prepare('SELECT mean_iou, operator_id FROM system_agreements WHERE id = ?').get(a.agreementId) as { mean_iou: number | null; operator_id: string };
    expect(row).toEqual({ mean_iou: a.meanIou, operator_id: 'lee' });
  });

  it('runs on different images are refused with a coded error', async () => {
    const other = await service.inspect({ paths: [join(repoRoot, 'resources/samples/pcb-grounding/20085291_test.jpg')], packs: ['defects-grounding'] });
    const otherRun = recordInspection(store, other, { operatorId: 'lee' })[0]!;
    expect(() => recordRunsAgreement(store, { runs: [{ system: 'A', runId: packRun }, { system: 'B', runId: otherRun }] })).toThrow(expect.objectContaining({ code: 'AGREEMENT_IMAGES_DIFFER' }));
    expect(() => recordRunsAgreement(store, { runs: [{ system: 'A', runId: packRun }, { system: 'A', runId: editedRun }] })).toThrow(expect.objectContaining({ code: 'AGREEMENT_SYSTEM_TWICE' }));
  }, 60_000);

  it('a box decision edited in SQLite breaks the chain', () => {
    dropGuards(store);
    store.db.prepare("UPDATE box_reviews SET decision = 'accept' WHERE id = 3").run();
    // The box review's entry comes before the agreement's in the chain: it is the first break now.
    expect(verifyAudit(store.db).firstBreak).toMatchObject({ code: 'AUDIT_RECORD_ALTERED', entity: 'box_review', entityId: '3' });
  });

  it('the IPC schema refuses a path, control characters or an overlong prompt, and thresholds outside [0, 1]', () => {
    const ok = (grounding: unknown) => InspectRunInput.safeParse({ paths: ['x.png'], grounding }).success;
    expect(ok({ prompt: 'short . spur .', boxThreshold: 0.2, textThreshold: 0.25 })).toBe(true);
    expect(ok({ prompt: 'short\nspur' })).toBe(true);
    expect(ok({ prompt: '/etc/passwd' })).toBe(false);
    expect(ok({ prompt: '..\\models\\x' })).toBe(false);
    expect(ok({ prompt: 'short\u0000' })).toBe(false);
    expect(ok({ prompt: 'a '.repeat(501) })).toBe(false);
    expect(ok({ prompt: ' . . ' })).toBe(false);
    expect(ok({ boxThreshold: 1.5 })).toBe(false);
    expect(ok({ prompt: 'short', extra: 1 })).toBe(false);
  });
});
