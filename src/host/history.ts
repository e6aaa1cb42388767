/**
 * The host's history store: opened on first use at the user's default database (SQLite is
 * synchronous and single-writer, so it lives here in the host, never in the renderer), and the
 * channels that read and write it. The selected operator profile signs every review.
 */
import { existsSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { validationByPack } from '../core/evaluation/validation';
import {
  agreementStats,
  allPacksDrift,
  boxReviewsOf,
  dailyStats,
  errorStats,
  getRun,
  HistoryStore,
  packStats,
  readAnchor,
  searchHistory,
  verifyAudit,
} from '../core/history/index';
import type { Channel } from '../shared/channels';
import type { Input, Output } from '../shared/contract';
import { InspectorError } from '../shared/errors';
import { exportToChosenFile, type ChooseSavePath } from './historyExport';

export class HistoryAccess {
  private store: HistoryStore | null = null;

  constructor(readonly file: string) {}

  get(): HistoryStore {
    return (this.store ??= HistoryStore.open(this.file));
  }

  get isOpen(): boolean {
    return this.store !== null;
  }

  exists(): boolean {
    return this.store !== null || existsSync(this.file);
  }

  close(): void {
    this.store?.close();
    this.store = null;
  }
}

type HistoryChannel = Extract<Channel, `history.${string}` | `review.${string}` | `operator.${string}` | `audit.${string}`>;
export type HistoryHandlers = { [C in HistoryChannel]: (input: Input<C>) => Promise<Output<C>> };

/** What exports need beyond the database: the save dialog and the app version for the header. */
export interface ExportDeps {
  chooseSavePath: ChooseSavePath;
  version: string;
}

const NO_SAVE_DIALOG: ExportDeps = { chooseSavePath: async () => null, version: '' };

function withValidation<T extends { pack: string }>(db: Database.Database, packs: T[]): (T & { validated?: boolean; validationReason?: string | null })[] {
  const v = validationByPack(db);
  return packs.map((p) => (v[p.pack] ? { ...p, validated: v[p.pack]!.validated, validationReason: v[p.pack]!.reason } : p));
}

export function createHistoryHandlers(history: HistoryAccess, exportDeps: ExportDeps = NO_SAVE_DIALOG): HistoryHandlers {
  const db = () => history.get().db;
  return {
    'history.search': async (q) => searchHistory(db(), q),
    'history.run': async ({ runId }) => getRun(db(), runId),
    'history.stats': async ({ driftLimits, ...q }) => ({
      daily: dailyStats(db(), q),
      // Each pack with whether the files it last ran with were evaluated here (the dashboard's badge).
      packs: withValidation(db(), packStats(db(), q)),
      agreement: agreementStats(db(), q),
      errors: errorStats(db(), q),
      drift: allPacksDrift(db(), { limits: driftLimits }).filter((d) => !q.pack || d.pack === q.pack),
    }),
    'review.submit': async (r) => {
      const store = history.get();
      const operator = store.currentOperator();
      if (!operator) throw new InspectorError('OPERATOR_NOT_SELECTED', 'Choose your operator profile before reviewing.');
      const reviewId = store.recordReview({ ...r, operatorId: operator.id });
      return { reviewId, run: getRun(store.db, r.runId) };
    },
    'review.box': async (r) => {
      const store = history.get();
      const operator = store.currentOperator();
      if (!operator) throw new InspectorError('OPERATOR_NOT_SELECTED', 'Choose your operator profile before reviewing.');
      const boxReviewId = store.recordBoxReview({ ...r, operatorId: operator.id });
      return { boxReviewId, boxReviews: boxReviewsOf(store.db, r.runId) };
    },
    'operator.list': async () => {
      const store = history.get();
      return { operators: store.listOperators(), current: store.currentOperator() };
    },
    'operator.create': async (op) => history.get().createOperator(op),
    'operator.select': async ({ id }) => history.get().selectOperator(id),
    'audit.verify': async () => verifyAudit(db(), readAnchor(history.file)),
    'history.export': async (input) => exportToChosenFile(history, exportDeps.chooseSavePath, exportDeps.version, input),
  };
}
