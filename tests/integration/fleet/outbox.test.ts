/**
 * The station outbox: every synced row enters it in the transaction that writes it (the triggers
 * of the outbox migration), a write that fails leaves no entry, and a database from before the
 * migration gets every existing row queued once.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/core/history/index';
import { LATEST_VERSION, MIGRATIONS, migrate, schemaVersion } from '../../../src/core/history/migrations';
import { tempDir } from '../../unit/history/support';
import { SYNCED_TABLES } from './support';

const outboxVersion = MIGRATIONS.find((m) => m.name === 'fleet sync outbox')!.version;
const entries = (db: Database.Database) => db.prepare('SELECT tbl, rid FROM sync_outbox ORDER BY seq').all() as { tbl: string; rid: string }[];

describe('sync outbox', () => {
  it('queues each record and its audit entry in the same transaction, and nothing for a failed write', () => {
    const store = HistoryStore.open(tempDir('inspector-outbox-').file);
    store.createOperator({ id: 'kim', name: 'Kim', role: 'reviewer' });
    const errorId = store.recordError({ stage: 'validation', code: 'IMAGE_TRUNCATED', message: 'cut off', sourcePath: '/x.png' });
    const before = entries(store.db);
    expect(before).toEqual([
      { tbl: 'operators', rid: 'kim' },
      { tbl: 'audit_log', rid: '1' },
      { tbl: 'errors', rid: String(errorId) },
      { tbl: 'audit_log', rid: '2' },
    ]);
    // A review of a run that does not exist is refused inside the transaction: no row, no entry.
    expect(() => store.recordReview({ runId: 999, operatorId: 'kim', decision: 'accept' })).toThrow(/HISTORY_RUN_NOT_FOUND|No inference run/);
    expect(entries(store.db)).toEqual(before);
    store.close();
  });

  it('a database from before the outbox gets every existing row queued once', () => {
    const file = tempDir('inspector-outbox-old-').file;
    const db = new Database(file);
    migrate(db, outboxVersion - 1);
    db.close();
    // Rows written by the previous version (no outbox yet), through the store's own code.
    const old = new Database(file);
    expect(schemaVersion(old)).toBe(outboxVersion - 1);
    old.close();
    const raw = new Database(file);
    raw.prepare('INSERT INTO operators(id, name, role, created_at) VALUES (?, ?, ?, ?)').run('lee', 'Lee', 'operator', 1);
    raw.prepare("INSERT INTO errors(created_at, day, stage, code, message, details) VALUES (2, '2026-01-01', 'other', 'X', 'm', '{}')").run();
    raw.close();

    const store = HistoryStore.open(file);
    expect(schemaVersion(store.db)).toBe(LATEST_VERSION);
    const got = entries(store.db);
    const counts = Object.fromEntries(SYNCED_TABLES.map((t) => [t, store.db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number]));
    for (const t of SYNCED_TABLES) expect(got.filter((e) => e.tbl === t).length, t).toBe(counts[t]);
    expect(got).toContainEqual({ tbl: 'operators', rid: 'lee' });
    store.close();
  });
});
