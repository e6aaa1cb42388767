/**
 * Issue 12 item 5, the evaluation marks: `evaluation_batches` decides which runs are evaluation
 * runs, left out of the production statistics that verify recomputes. On main the mark was neither
 * signed nor recomputed, so removing it and rebuilding the statistics to match (the evaluation's
 * runs then counted as production) verified OK. The mark is now a signed record.
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditAppender } from '../../../src/core/history/audit';
import { recordHash, SIGNING_MIGRATION } from '../../../src/core/history/hash';

import { checkBackup, HistoryStore, migrate, MIGRATIONS, readAnchor, schemaVersion, verifyAudit } from '../../../src/core/history/index';
import { sampleRecord, tempDir } from './support';

function tamper(s: HistoryStore, sql: string): void {
  const guards = s.db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_no_%'").all() as { name: string; sql: string }[];
  for (const g of guards) s.db.exec(`DROP TRIGGER ${g.name}`);
  s.db.exec(sql);
  // Put the guards back: their absence is its own finding, only the edit is at issue here.
  for (const g of guards) s.db.exec(g.sql);
}

/** The production statistics rebuilt as if no batch were an evaluation (what a forger would write). */
const STATS_AS_PRODUCTION = `
  DELETE FROM stat_daily; INSERT INTO stat_daily SELECT day, pack_name, verdict, count(*) FROM inference_runs GROUP BY 1, 2, 3;
  DELETE FROM stat_score_hist; INSERT INTO stat_score_hist SELECT pack_name, day, max(0, min(99, CAST(score * 100 AS INTEGER))), count(*) FROM inference_runs GROUP BY 1, 2, 3;
  DELETE FROM stat_images_daily; INSERT INTO stat_images_daily SELECT date(created_at / 1000, 'unixepoch', 'localtime'), count(*) FROM images GROUP BY 1;`;

describe('audit verify covers the evaluation-batch marks', () => {
  let t: ReturnType<typeof tempDir>;
  let s: HistoryStore;
  let evalBatch: number;
  let prodBatch: number;
  const verify = () => verifyAudit(s.db, readAnchor(t.file));

  beforeEach(() => {
    t = tempDir();
    s = HistoryStore.open(t.file);
    evalBatch = s.startEvaluationBatch({ name: 'labelled set', setIdentity: 'set-1' });
    for (let i = 0; i < 4; i++) s.recordInference(sampleRecord(i, { batchId: evalBatch }));
    prodBatch = s.startBatch({ name: 'line 1' });
    for (let i = 4; i < 8; i++) s.recordInference(sampleRecord(i, { batchId: prodBatch }));
  });
  afterEach(() => {
    s.close();
    t.cleanup();
  });

  it('an untouched history verifies, with the mark counted as a signed record', () => {
    const r = verify();
    expect(r.ok).toBe(true);
    expect(r.records['evaluation_batch']).toBe(1);
    const entry = s.db.prepare(`SELECT action, entity_id FROM audit_log WHERE entity = 'evaluation_batch'`).all();
    expect(entry).toEqual([{ action: 'evaluation_batch.start', entity_id: String(evalBatch) }]);
  });

  it('the mark removed and the statistics rebuilt to count the evaluation runs as production', () => {
    tamper(s, `DELETE FROM evaluation_batches WHERE batch_id = ${evalBatch}; ${STATS_AS_PRODUCTION}`);
    // The statistics now agree with the (unmarked) runs: only the signature of the mark catches it.
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_RECORD_MISSING', entity: 'evaluation_batch', entityId: String(evalBatch) });
  });

  it('a production batch marked as an evaluation (its runs hidden from the statistics)', () => {
    tamper(
      s,
      `INSERT INTO evaluation_batches VALUES (${prodBatch}, 'set-1', 0);
       DELETE FROM stat_daily; INSERT INTO stat_daily SELECT day, pack_name, verdict, count(*) FROM inference_runs WHERE batch_id NOT IN (SELECT batch_id FROM evaluation_batches) GROUP BY 1, 2, 3;
       DELETE FROM stat_score_hist; INSERT INTO stat_score_hist SELECT pack_name, day, max(0, min(99, CAST(score * 100 AS INTEGER))), count(*) FROM inference_runs WHERE batch_id NOT IN (SELECT batch_id FROM evaluation_batches) GROUP BY 1, 2, 3;
       DELETE FROM stat_images_daily;`,
    );
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_RECORD_UNLOGGED', entity: 'evaluation_batch', entityId: String(prodBatch) });
  });

  it("the mark's set identity edited", () => {
    tamper(s, `UPDATE evaluation_batches SET set_identity = 'another set'`);
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_RECORD_ALTERED', entity: 'evaluation_batch' });
  });
});

describe('histories written before the marks were signed', () => {
  const signing = MIGRATIONS.find((m) => m.name === SIGNING_MIGRATION)!;

  /** A history at the schema just before the signing migration, with an unsigned mark written as the app did then. */
  function oldHistory(file: string): Database.Database {
    const db = new Database(file);
    migrate(db, signing.version - 1);
    const chain = new AuditAppender(db);
    const batch = { name: 'labelled set', source: null, operator_id: null, started_at: 1_700_000_000_000 };
    const id = Number(db.prepare('INSERT INTO batches(name, source, operator_id, started_at) VALUES (?,?,?,?)').run(batch.name, batch.source, batch.operator_id, batch.started_at).lastInsertRowid);
    chain.append(batch.started_at, 'system', 'batch.start', 'batch', id, recordHash('batch', { id, ...batch }));
    db.prepare('INSERT INTO evaluation_batches(batch_id, set_identity, created_at) VALUES (?,?,?)').run(id, 'set-1', batch.started_at);
    return db;
  }

  it('still verify (and their backups check) before the migration, and the migration signs the marks without changing a hash', () => {
    const t = tempDir();
    const db = oldHistory(t.file);
    expect(verifyAudit(db).ok).toBe(true);
    db.close();
    expect(checkBackup(t.file).ok).toBe(true);
    const again = new Database(t.file);
    const before = again.prepare('SELECT seq, hash FROM audit_log ORDER BY seq').all();
    migrate(again);
    expect(schemaVersion(again)).toBeGreaterThanOrEqual(signing.version);
    expect(again.prepare('SELECT seq, hash FROM audit_log ORDER BY seq LIMIT ?').all(before.length)).toEqual(before);
    expect(again.prepare(`SELECT action FROM audit_log WHERE entity = 'evaluation_batch'`).pluck().all()).toEqual(['evaluation_batch.backfill']);
    const r = verifyAudit(again);
    expect(r.ok).toBe(true);
    expect(r.records['evaluation_batch']).toBe(1);
    // From then on the backfilled mark is as protected as a new one.
    again.exec(`DROP TRIGGER evaluation_batches_no_delete; DELETE FROM evaluation_batches`);
    expect(verifyAudit(again).firstBreak).toMatchObject({ code: 'AUDIT_RECORD_MISSING', entity: 'evaluation_batch' });
    again.close();
    t.cleanup();
  });
});
