/** Opening the history database for CLI commands: `--db FILE`, else the user's default one. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { HistoryStore } from '../core/history/index';
import { appPaths } from '../host/paths';
import { InspectorError } from '../shared/errors';

export function historyDbPath(db: string | undefined): string {
  return db ? resolve(db) : appPaths().defaultDatabase;
}

/** Reading commands never create a database: a typo in --db should say so, not show an empty history. */
export function openExisting(db: string | undefined): HistoryStore {
  const file = historyDbPath(db);
  if (!existsSync(file)) throw new InspectorError('HISTORY_NOT_FOUND', `No history database at ${file}.`, { file });
  try {
    return HistoryStore.open(file);
  } catch (e) {
    // Read-only media (a copied-out database, an archive share): list, stats and verify read it as it is.
    if ((e as { code?: string }).code === 'HISTORY_READ_ONLY') return HistoryStore.open(file, { readonly: true });
    throw e;
  }
}

export function withStore<T>(db: string | undefined, fn: (s: HistoryStore) => T): T {
  const s = openExisting(db);
  try {
    return fn(s);
  } finally {
    s.close();
  }
}

export function usageError(message: string): InspectorError {
  return new InspectorError('USAGE', message);
}

/** `YYYY-MM-DD` (local midnight) or any ISO timestamp → epoch ms. */
export function parseInstant(value: string, option: string): number {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const ms = day ? new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3])).getTime() : Date.parse(value);
  if (!Number.isFinite(ms)) throw usageError(`${option} expects a date like 2025-01-31 or an ISO timestamp; got "${value}".`);
  return ms;
}

export function parseNumber(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw usageError(`${option} expects a number; got "${value}".`);
  return n;
}
