/**
 * Explanation records (issue 14): a map drawn after its run was recorded is its own audited row
 * (run_explanations), found by migration name. Histories from before the migration verify before
 * and after it with every hash unchanged; a record is sealed, and its blob re-hashed by --blobs.
 */
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AuditAppender } from '../../../src/core/history/audit';
import { recordHash, RUN_EXPLANATIONS_MIGRATION } from '../../../src/core/history/hash';
import { getRun, HistoryStore, migrate, MIGRATIONS, schemaVersion, verifyAudit } from '../../../src/core/history/index';
import { sampleRecord, tempDir } from './support';

const migration = MIGRATIONS.find((m) => m.name === RUN_EXPLANATIONS_MIGRATION)!;

describe('run explanations', () => {
  it('migrates an older history without changing a hash, then seals each record and its map', () => {
    const t = tempDir();
    // A history at the schema just before the migration, with a signed record written as then.
    const old = new Database(t.file);
    migrate(old, migration.version - 1);
    const batch = { name: 'line', source: null, operator_id: null, started_at: 1_700_000_000_000 };
    const bid = Number(old.prepare('INSERT INTO batches(name, source, operator_id, started_at) VALUES (?,?,?,?)').run(batch.name, batch.source, batch.operator_id, batch.started_at).lastInsertRowid);
    new AuditAppender(old).append(batch.started_at, 'system', 'batch.start', 'batch', bid, recordHash('batch', { id: bid, ...batch }));
    expect(verifyAudit(old).ok).toBe(true);
    const before = old.prepare('SELECT seq, hash FROM audit_log ORDER BY seq').all();
    old.close();
    const s = HistoryStore.open(t.file);
    expect(schemaVersion(s.db)).toBeGreaterThanOrEqual(migration.version);
    expect(verifyAudit(s.db).ok).toBe(true);
    const [run] = s.recordInferences([sampleRecord(1, { explanation: null, regions: [] })]);
    const map = new Float32Array([0, 0.5, 1, 0.25]);
    const blob = s.putBlob('heatmap', map, { dtype: 'float32', shape: [2, 2] }).hash;
    const id = s.recordExplanation({
      runId: run!.runId,
      explanation: { method: 'hirescam', scale: { kind: 'anchored', low: 0, high: 1 }, blob, targetLabel: 'porosity', inputSize: [2, 2] },
      regions: [{ box: [0, 0, 1, 1], label: 'porosity', score: 1 }],
      score: 0.9,
      timings: { explainMs: 5 },
      operatorId: null,
    });
    expect(s.db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq LIMIT ?').all(before.length)).toEqual(before);
    const r = verifyAudit(s.db, null, { blobs: s.blobs });
    expect(r.ok).toBe(true);
    expect(r.records['explanation']).toBe(1);
    expect(r.blobsChecked).toBe(1);
    // What History and the viewer read: the record's map and regions, the run having none.
    const d = getRun(s.db, run!.runId);
    expect(d.run.explanationRecord).toBe(id);
    expect(d.run.explanation).toMatchObject({ method: 'hirescam', blob });
    expect(d.run.regions).toEqual([{ box: [0, 0, 1, 1], label: 'porosity', score: 1 }]);
    // Append-only, and an edit behind the triggers' back is named.
    expect(() => s.db.prepare('UPDATE run_explanations SET method = ? WHERE id = ?').run('gradcam', id)).toThrow(/HISTORY_APPEND_ONLY/);
    expect(() => s.db.prepare('DELETE FROM run_explanations WHERE id = ?').run(id)).toThrow(/HISTORY_APPEND_ONLY/);
    // A map file swapped under its name: --blobs catches it.
    writeFileSync(s.blobs.pathOf(blob), Buffer.from('not gzip'));
    expect(verifyAudit(s.db, null, { blobs: s.blobs }).firstBreak).toMatchObject({ code: 'AUDIT_BLOB_MISMATCH' });
    s.db.exec('DROP TRIGGER run_explanations_no_update');
    s.db.prepare('UPDATE run_explanations SET blob_sha256 = ? WHERE id = ?').run('0'.repeat(64), id);
    expect(verifyAudit(s.db).firstBreak).toMatchObject({ code: 'AUDIT_RECORD_ALTERED', entity: 'explanation', entityId: String(id) });
    s.close();
    t.cleanup();
  });

  it('finds a record nobody logged', () => {
    const t = tempDir();
    const s = HistoryStore.open(t.file);
    const [run] = s.recordInferences([sampleRecord(2, { explanation: null, regions: [] })]);
    s.db.prepare('INSERT INTO run_explanations(run_id, created_at, method, explanation, regions, timings) VALUES (?,?,?,?,?,?)').run(run!.runId, 1, 'hirescam', '{}', '[]', '{}');
    expect(verifyAudit(s.db).firstBreak).toMatchObject({ code: 'AUDIT_RECORD_UNLOGGED', entity: 'explanation' });
    s.close();
    t.cleanup();
  });

  it('refuses a record for a run that does not exist', () => {
    const t = tempDir();
    const s = HistoryStore.open(t.file);
    expect(() => s.recordExplanation({ runId: 999, explanation: { method: 'hirescam', scale: { kind: 'anchored' } }, regions: [], score: null, timings: {}, operatorId: null })).toThrow(/HISTORY_RUN_NOT_FOUND|No inference run/);
    s.close();
    t.cleanup();
  });
});
