/**
 * Dashboard statistics, read from the trigger-maintained aggregates (one row per day × pack ×
 * verdict, per day × bin, …) so each answer touches days, not millions of runs.
 */
import type Database from 'better-sqlite3';
import { HIST_BINS } from './histogram';

export interface StatsQuery {
  /** Local days `YYYY-MM-DD`, inclusive. */
  fromDay?: string;
  toDay?: string;
  pack?: string;
}

export interface DailyStats {
  day: string;
  /** Images first recorded that day. */
  images: number;
  runs: number;
  verdicts: Record<string, number>;
  errors: number;
}

export interface PackStats {
  pack: string;
  runs: number;
  verdicts: Record<string, number>;
  /** 100 bins of width 0.01 over [0, 1]; scores outside are counted in the end bins. */
  histogram: number[];
  /** The threshold of the pack's latest run, for the line on the histogram. */
  threshold: number | null;
}

export interface ClassAgreement {
  label: string;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  /** Reviewed runs whose human label is this class. */
  support: number;
}

export interface AgreementStats {
  /** Row labels: what the AI said. */
  aiLabels: string[];
  /** Column labels: what the reviewer decided (`(rejected)` when rejected without a class). */
  humanLabels: string[];
  matrix: number[][];
  reviewed: number;
  accuracy: number | null;
  perClass: ClassAgreement[];
}

export interface ErrorStats {
  total: number;
  /** Of `total`, files skipped because their name is not an image's (INPUT_NOT_AN_IMAGE): reported, not failures. */
  skipped: number;
  /** Failed images / (failed images + runs) over the range; skipped non-image files are not attempts. */
  rate: number;
  byCode: { stage: string; code: string; n: number }[];
  /** The latest failed images of the range, newest first: the file, its code and case. */
  recent: { at: number; stage: string; code: string; message: string; sourcePath: string | null; caseKey: string | null; batchId: number | null }[];
}

/** How many failed images the dashboard lists by name. */
export const RECENT_ERRORS = 20;


function dayFilter(q: StatsQuery, packColumn: string | null): { sql: string; params: string[] } {
  const w: string[] = [];
  const p: string[] = [];
  const add = (clause: string, value: string) => {
    w.push(clause);
    p.push(value);
  };
  if (q.fromDay) add('day >= ?', q.fromDay);
  if (q.toDay) add('day <= ?', q.toDay);
  if (packColumn && q.pack) add(`${packColumn} = ?`, q.pack);
  return { sql: w.length ? `WHERE ${w.join(' AND ')}` : '', params: p };
}

export function dailyStats(db: Database.Database, q: StatsQuery = {}): DailyStats[] {
  const byDay = new Map<string, DailyStats>();
  const get = (day: string) => {
    let d = byDay.get(day);
    if (!d) byDay.set(day, (d = { day, images: 0, runs: 0, verdicts: {}, errors: 0 }));
    return d;
  };
  const runs = dayFilter(q, 'pack_name');
  for (const r of db.prepare(`SELECT day, verdict, sum(n) AS n FROM stat_daily ${runs.sql} GROUP BY day, verdict`).all(...runs.params) as {
    day: string;
    verdict: string;
    n: number;
  }[]) {
    const d = get(r.day);
    d.runs += r.n;
    d.verdicts[r.verdict] = r.n;
  }
  const days = dayFilter(q, null);
  for (const r of db.prepare(`SELECT day, n FROM stat_images_daily ${days.sql}`).all(...days.params) as { day: string; n: number }[]) get(r.day).images = r.n;
  for (const r of db.prepare(`SELECT day, sum(n) AS n FROM stat_errors_daily ${days.sql} GROUP BY day`).all(...days.params) as { day: string; n: number }[]) {
    get(r.day).errors = r.n;
  }
  return [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day));
}

export function packStats(db: Database.Database, q: StatsQuery = {}): PackStats[] {
  const f = dayFilter(q, 'pack_name');
  const packs = new Map<string, PackStats>();
  const get = (pack: string) => {
    let p = packs.get(pack);
    if (!p) packs.set(pack, (p = { pack, runs: 0, verdicts: {}, histogram: new Array<number>(HIST_BINS).fill(0), threshold: null }));
    return p;
  };
  for (const r of db.prepare(`SELECT pack_name AS pack, verdict, sum(n) AS n FROM stat_daily ${f.sql} GROUP BY 1, 2`).all(...f.params) as {
    pack: string;
    verdict: string;
    n: number;
  }[]) {
    const p = get(r.pack);
    p.runs += r.n;
    p.verdicts[r.verdict] = r.n;
  }
  for (const r of db.prepare(`SELECT pack_name AS pack, bin, sum(n) AS n FROM stat_score_hist ${f.sql} GROUP BY 1, 2`).all(...f.params) as {
    pack: string;
    bin: number;
    n: number;
  }[]) {
    get(r.pack).histogram[r.bin] = r.n;
  }
  const latest = db.prepare('SELECT threshold FROM inference_runs WHERE pack_name = ? ORDER BY created_at DESC LIMIT 1');
  for (const p of packs.values()) p.threshold = (latest.get(p.pack) as { threshold: number | null } | undefined)?.threshold ?? null;
  return [...packs.values()].sort((a, b) => a.pack.localeCompare(b.pack));
}

/** The AI against the reviewers' effective decisions; `uncertain` reviews are left out. */
export function agreementStats(db: Database.Database, q: StatsQuery = {}): AgreementStats {
  const f = dayFilter(q, 'pack_name');
  const cells = db
    .prepare(`SELECT ai_label AS ai, human_label AS human, sum(n) AS n FROM stat_agreement ${f.sql} GROUP BY 1, 2 HAVING sum(n) > 0`)
    .all(...f.params) as { ai: string; human: string; n: number }[];
  const classes = [...new Set(cells.flatMap((c) => [c.ai, c.human]))].filter((l) => l !== '(rejected)').sort();
  const aiLabels = [...new Set([...classes, ...cells.map((c) => c.ai)])].sort();
  const humanLabels = [...classes, ...(cells.some((c) => c.human === '(rejected)') ? ['(rejected)'] : [])];
  const matrix = aiLabels.map(() => new Array<number>(humanLabels.length).fill(0));
  let reviewed = 0;
  let agree = 0;
  for (const c of cells) {
    matrix[aiLabels.indexOf(c.ai)]![humanLabels.indexOf(c.human)] = c.n;
    reviewed += c.n;
    if (c.ai === c.human) agree += c.n;
  }
  const perClass = classes.map((label) => {
    const row = aiLabels.indexOf(label);
    const col = humanLabels.indexOf(label);
    const tp = row >= 0 && col >= 0 ? matrix[row]![col]! : 0;
    const predicted = row >= 0 ? matrix[row]!.reduce((a, b) => a + b, 0) : 0;
    const support = col >= 0 ? matrix.reduce((a, r) => a + r[col]!, 0) : 0;
    const precision = predicted ? tp / predicted : null;
    const recall = support ? tp / support : null;
    const f1 = precision !== null && recall !== null && precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : precision === null || recall === null ? null : 0;
    return { label, precision, recall, f1, support };
  });
  return { aiLabels, humanLabels, matrix, reviewed, accuracy: reviewed ? agree / reviewed : null, perClass };
}

export function errorStats(db: Database.Database, q: StatsQuery = {}): ErrorStats {
  const days = dayFilter(q, null);
  const byCode = db
    .prepare(`SELECT stage, code, sum(n) AS n FROM stat_errors_daily ${days.sql} GROUP BY 1, 2 ORDER BY 3 DESC, 2`)
    .all(...days.params) as { stage: string; code: string; n: number }[];
  const total = byCode.reduce((a, r) => a + r.n, 0);
  const runs = dayFilter(q, 'pack_name');
  const { n } = db.prepare(`SELECT coalesce(sum(n), 0) AS n FROM stat_daily ${runs.sql}`).get(...runs.params) as { n: number };
  // The raw rows carry the same local `day` as the aggregates; newest first walks errors_time backwards.
  const recent = db
    .prepare(
      `SELECT created_at AS at, stage, code, message, source_path AS sourcePath, case_key AS caseKey, batch_id AS batchId
       FROM errors ${days.sql} ORDER BY created_at DESC, id DESC LIMIT ${RECENT_ERRORS}`,
    )
    .all(...days.params) as ErrorStats['recent'];
  const skipped = byCode.filter((r) => r.code === 'INPUT_NOT_AN_IMAGE').reduce((a, r) => a + r.n, 0);
  const failed = total - skipped;
  return { total, skipped, rate: failed + n ? failed / (failed + n) : 0, byCode, recent };
}
