/**
 * Dashboard aggregates for runs and images, counted in memory during a write transaction and
 * added once at its end: per-row triggers cost more than the inserts they count. New case keys
 * join the search index the same way. Reviews and errors (rare, and the review state has real
 * logic) are kept by triggers in the schema.
 */
import type Database from 'better-sqlite3';
import { HIST_BINS } from './histogram';

const SEP = '\u001f';

export function scoreBin(score: number): number {
  return Math.max(0, Math.min(HIST_BINS - 1, Math.trunc(score * HIST_BINS)));
}

export class StatDeltas {
  private readonly daily = new Map<string, number>();
  private readonly hist = new Map<string, number>();
  private readonly images = new Map<string, number>();
  private firstNewCase = 0;

  addRun(day: string, pack: string, verdict: string, score: number): void {
    const d = `${day}${SEP}${pack}${SEP}${verdict}`;
    this.daily.set(d, (this.daily.get(d) ?? 0) + 1);
    const h = `${pack}${SEP}${day}${SEP}${scoreBin(score)}`;
    this.hist.set(h, (this.hist.get(h) ?? 0) + 1);
  }

  addCase(id: number): void {
    if (!this.firstNewCase) this.firstNewCase = id;
  }

  addImage(day: string): void {
    this.images.set(day, (this.images.get(day) ?? 0) + 1);
  }

  flush(sql: (text: string) => Database.Statement): void {
    const daily = sql('INSERT INTO stat_daily(day, pack_name, verdict, n) VALUES (?,?,?,?) ON CONFLICT DO UPDATE SET n = n + excluded.n');
    for (const [k, n] of this.daily) daily.run(...k.split(SEP), n);
    const hist = sql('INSERT INTO stat_score_hist(pack_name, day, bin, n) VALUES (?,?,?,?) ON CONFLICT DO UPDATE SET n = n + excluded.n');
    for (const [k, n] of this.hist) {
      const [pack, day, bin] = k.split(SEP);
      hist.run(pack, day, Number(bin), n);
    }
    const images = sql('INSERT INTO stat_images_daily(day, n) VALUES (?,?) ON CONFLICT DO UPDATE SET n = n + excluded.n');
    for (const [day, n] of this.images) images.run(day, n);
    // One statement per transaction feeds the trigram index; cases are append-only, ids ascend.
    if (this.firstNewCase) sql('INSERT INTO cases_fts(rowid, case_key) SELECT id, case_key FROM cases WHERE id >= ?').run(this.firstNewCase);
    this.firstNewCase = 0;
    this.daily.clear();
    this.hist.clear();
    this.images.clear();
  }
}
