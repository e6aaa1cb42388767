/**
 * Online backup through SQLite's backup API (consistent while the app keeps writing) and restore
 * from such a file. A restore refuses a backup that does not verify, keeps the database it
 * replaces beside it, swaps files only when the live database is closed and clean, and then
 * logs itself as the first new entry of the restored chain.
 */
import Database from 'better-sqlite3';
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { InspectorError } from '../../shared/errors';
import { sha256Hex } from './hash';
import { LATEST_VERSION, schemaVersion } from './migrations';
import { recordEvent } from './records';
import { HistoryStore, writeAnchor } from './store';
import { verifyAudit, type VerifyReport } from './verify';

export interface BackupResult {
  file: string;
  bytes: number;
  pages: number;
  ms: number;
}

export async function backupDatabase(store: HistoryStore, dest: string): Promise<BackupResult> {
  const t0 = performance.now();
  if (existsSync(dest)) throw new InspectorError('BACKUP_EXISTS', `${dest} already exists; choose a new file for the backup.`, { file: dest });
  const r = await store.db.backup(dest);
  return { file: dest, bytes: statSync(dest).size, pages: r.totalPages, ms: performance.now() - t0 };
}

/** Checks a backup without changing it: readable, a schema this app knows, an intact chain. */
export function checkBackup(source: string): VerifyReport & { version: number } {
  if (!existsSync(source)) throw new InspectorError('BACKUP_NOT_FOUND', `No backup at ${source}.`, { file: source });
  let db: Database.Database;
  try {
    db = new Database(source, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new InspectorError('BACKUP_INVALID', `${source} is not a readable SQLite database: ${(e as Error).message}`, { file: source });
  }
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new InspectorError('BACKUP_INVALID', `${source} is damaged: ${String(check)}`, { file: source });
    const version = schemaVersion(db);
    if (version < 2 || version > LATEST_VERSION) {
      throw new InspectorError('BACKUP_INVALID', `${source} has schema version ${version}; a history backup has 2..${LATEST_VERSION}.`, { file: source, version });
    }
    return { ...verifyAudit(db), version };
  } catch (e) {
    if (e instanceof InspectorError) throw e;
    throw new InspectorError('BACKUP_INVALID', `${source} cannot be read as a history database: ${(e as Error).message}`, { file: source });
  } finally {
    db.close();
  }
}

export interface RestoreResult {
  restoredEntries: number;
  /** Where the database that was replaced now lies, if there was one. */
  previous: string | null;
  ms: number;
}

/** The live database at `file` must not be open anywhere else (the app closes its store first). */
export async function restoreDatabase(file: string, source: string, actor = 'system'): Promise<RestoreResult> {
  const t0 = performance.now();
  const report = checkBackup(source);
  if (!report.ok) {
    throw new InspectorError('BACKUP_TAMPERED', `The backup's audit chain does not verify: ${report.firstBreak!.message}`, { firstBreak: report.firstBreak });
  }
  let previous: string | null = null;
  if (existsSync(file)) {
    previous = `${file}.pre-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    const live = HistoryStore.open(file);
    try {
      await live.db.backup(previous);
    } finally {
      live.close();
    }
    if (existsSync(`${file}-wal`) && statSync(`${file}-wal`).size > 0) {
      throw new InspectorError('RESTORE_DATABASE_BUSY', `${file} is still open in another process; close Inspector and retry.`, { file });
    }
  }
  const tmp = `${file}.restore-${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  const src = new Database(source, { readonly: true, fileMustExist: true });
  try {
    await src.backup(tmp);
  } finally {
    src.close();
  }
  for (const side of ['-wal', '-shm']) rmSync(`${file}${side}`, { force: true });
  renameSync(tmp, file);
  const store = HistoryStore.open(file);
  try {
    const sourceHash = sha256Hex(`${source}\u001f${report.head.seq}\u001f${report.head.hash}`);
    store.write((tx) => recordEvent(tx, actor, 'db.restore', `seq:${report.head.seq}`, sourceHash));
    writeAnchor(file, (store.db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string }));
  } finally {
    store.close();
  }
  return { restoredEntries: report.entries, previous, ms: performance.now() - t0 };
}
