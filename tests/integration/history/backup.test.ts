import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { backupDatabase, checkBackup, HistoryStore, readAnchor, restoreDatabase, searchHistory, verifyAudit } from '../../../src/core/history/index';
import { sampleRecord, tempDir } from '../../unit/history/support';

describe('online backup and restore', () => {
  let t: ReturnType<typeof tempDir>;
  afterEach(() => t?.cleanup());

  it('round-trips: back up while writing, keep writing, restore, and the chain verifies', async () => {
    t = tempDir();
    const s = HistoryStore.open(t.file, { synchronous: 'NORMAL' });
    s.createOperator({ id: 'kim', name: 'Kim', role: 'reviewer' });
    s.recordInferences(Array.from({ length: 400 }, (_, i) => sampleRecord(i)));
    s.recordReview({ runId: 7, operatorId: 'kim', decision: 'override', label: 'pneumonia', note: 'before backup' });
    const backupFile = join(t.dir, 'backup.sqlite');
    // Writes during the backup are fine: the API restarts or copies them consistently.
    const pending = backupDatabase(s, backupFile);
    s.recordInference(sampleRecord(1000));
    const b = await pending;
    expect(b.bytes).toBeGreaterThan(100_000);
    await expect(backupDatabase(s, backupFile)).rejects.toMatchObject({ code: 'BACKUP_EXISTS' });
    const atBackup = checkBackup(backupFile);
    expect(atBackup.ok).toBe(true);

    // Work after the backup, then restore: the later work is gone, the earlier all there.
    s.recordReview({ runId: 8, operatorId: 'kim', decision: 'accept', note: 'after backup' });
    const runsBefore = s.db.prepare('SELECT count(*) FROM inference_runs').pluck().get() as number;
    s.close();

    const r = await restoreDatabase(t.file, backupFile, 'kim');
    expect(r.previous && existsSync(r.previous)).toBe(true);
    expect(r.restoredEntries).toBe(atBackup.entries);

    const restored = HistoryStore.open(t.file);
    const runs = restored.db.prepare('SELECT count(*) FROM inference_runs').pluck().get() as number;
    expect(runs).toBe(atBackup.records['run']);
    expect(runs).toBeLessThanOrEqual(runsBefore);
    expect(restored.db.prepare('SELECT note FROM reviews ORDER BY id').pluck().all()).toEqual(['before backup']);
    expect(searchHistory(restored.db, { reviewStatus: 'override' }).rows.map((x) => x.runId)).toEqual([7]);
    const v = verifyAudit(restored.db, readAnchor(t.file));
    expect(v.ok).toBe(true);
    // The restore itself is the newest entry of the restored chain.
    const last = restored.db.prepare('SELECT actor, action FROM audit_log ORDER BY seq DESC LIMIT 1').get();
    expect(last).toEqual({ actor: 'kim', action: 'db.restore' });
    // The replaced database is kept whole beside it.
    const prev = new Database(r.previous!, { readonly: true });
    expect(prev.prepare("SELECT count(*) FROM reviews WHERE note = 'after backup'").pluck().get()).toBe(1);
    prev.close();
    restored.close();
  });

  it('refuses a tampered or foreign backup and leaves the live database alone', async () => {
    t = tempDir();
    const s = HistoryStore.open(t.file, { synchronous: 'NORMAL' });
    s.recordInferences(Array.from({ length: 20 }, (_, i) => sampleRecord(i)));
    const backupFile = join(t.dir, 'b.sqlite');
    await backupDatabase(s, backupFile);
    s.close();

    const edit = new Database(backupFile);
    edit.exec("DROP TRIGGER inference_runs_no_update; UPDATE inference_runs SET verdict = 'normal' WHERE id = 3");
    edit.close();
    await expect(restoreDatabase(t.file, backupFile)).rejects.toMatchObject({ code: 'BACKUP_TAMPERED' });

    const junk = join(t.dir, 'junk.sqlite');
    writeFileSync(junk, 'not a database at all, just text '.repeat(200));
    await expect(restoreDatabase(t.file, junk)).rejects.toMatchObject({ code: 'BACKUP_INVALID' });
    await expect(restoreDatabase(t.file, join(t.dir, 'none.sqlite'))).rejects.toMatchObject({ code: 'BACKUP_NOT_FOUND' });

    const live = HistoryStore.open(t.file);
    expect(live.db.prepare('SELECT count(*) FROM inference_runs').pluck().get()).toBe(20);
    expect(verifyAudit(live.db, readAnchor(t.file)).ok).toBe(true);
    live.close();
  });
});
