/**
 * Reading the integrated verdicts cases were given (`case_verdicts`, written with their runs by
 * `recordCaseVerdict`). Every reader — history list, exports, the PDF report, the UI's history — goes
 * through here, so all of them show the verdict the line actually got. A database (or a case) from
 * before verdicts were stored falls back to a recomputation from runs and failed images, and says so
 * (`source: 'recomputed'`): a recomputation cannot know that `verdict.incomplete: DEFECT` made the
 * line reject the part.
 */
import type Database from 'better-sqlite3';
import type { StoredCaseVerdict } from './types';

/** Verdicts that are a pass: the model's labels for a good part vary by pack. */
export const PASS_LABELS = /^(pass|ok|normal|good)$/i;

interface Row {
  id: number;
  createdAt: number;
  caseKey: string;
  batchId: number | null;
  verdict: string;
  inspectedVerdict: string | null;
  method: string;
  rule: number | null;
  incompletePolicy: string | null;
  score: number;
  configHash: string | null;
  images: number;
  failedImages: number;
  runIds: string;
}

const SELECT = `SELECT id, created_at AS createdAt, case_key AS caseKey, batch_id AS batchId, verdict, inspected_verdict AS inspectedVerdict,
  method, rule, incomplete_policy AS incompletePolicy, score, config_hash AS configHash, images, failed_images AS failedImages, run_ids AS runIds
  FROM case_verdicts`;

const toStored = (r: Row): StoredCaseVerdict => ({ ...r, runIds: JSON.parse(r.runIds) as number[], source: 'stored' });

/** Whether this database stores case verdicts (schema with the case-verdicts migration). */
export function hasCaseVerdicts(db: Database.Database): boolean {
  return !!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'case_verdicts'`).get();
}

export const maxCaseVerdictId = (db: Database.Database): number =>
  hasCaseVerdicts(db) ? ((db.prepare('SELECT coalesce(max(id), 0) FROM case_verdicts').pluck().get() as number) ?? 0) : 0;

function rowsForCases(db: Database.Database, caseKeys: readonly string[], extra = '', params: unknown[] = []): Row[] {
  if (!caseKeys.length || !hasCaseVerdicts(db)) return [];
  const out: Row[] = [];
  // Chunks well under SQLite's parameter limit.
  for (let i = 0; i < caseKeys.length; i += 500) {
    const chunk = caseKeys.slice(i, i + 500);
    out.push(...(db.prepare(`${SELECT} WHERE case_key IN (${chunk.map(() => '?').join(',')}) ${extra} ORDER BY id`).all(...chunk, ...params) as Row[]));
  }
  return out;
}

/** The stored verdict that judged each run (by the run ids it names); runs without one are absent. */
export function verdictsForRuns(db: Database.Database, runs: readonly { runId: number; caseKey: string }[]): Map<number, StoredCaseVerdict> {
  const wanted = new Set(runs.map((r) => r.runId));
  const out = new Map<number, StoredCaseVerdict>();
  for (const row of rowsForCases(db, [...new Set(runs.map((r) => r.caseKey))])) {
    const v = toStored(row);
    for (const id of v.runIds) if (wanted.has(id)) out.set(id, v);
  }
  return out;
}

/**
 * The newest verdict each case was given within a period (`from` inclusive, `to` exclusive, epoch
 * ms) and at or before `maxId` (verdicts recorded after an export began are left out).
 */
export function latestVerdicts(db: Database.Database, caseKeys: readonly string[], q: { from?: number; to?: number; maxId?: number } = {}): Map<string, StoredCaseVerdict> {
  return new Map([...verdictsInPeriod(db, caseKeys, q)].map(([k, vs]) => [k, vs.at(-1)!]));
}

/**
 * Every verdict each case was given within a period, oldest first: a case key inspected more than
 * once (a folder inspected image by image, a part re-inspected) has one per inspection, and a
 * report that showed only the newest would hide an earlier defect behind a later PASS.
 */
export function verdictsInPeriod(db: Database.Database, caseKeys: readonly string[], q: { from?: number; to?: number; maxId?: number } = {}): Map<string, StoredCaseVerdict[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, value: number) => {
    where.push(clause);
    params.push(value);
  };
  if (q.from !== undefined) add('AND created_at >= ?', q.from);
  if (q.to !== undefined) add('AND created_at < ?', q.to);
  if (q.maxId !== undefined) add('AND id <= ?', q.maxId);
  const out = new Map<string, StoredCaseVerdict[]>();
  for (const row of rowsForCases(db, caseKeys, where.join(' '), params)) {
    const list = out.get(row.caseKey) ?? [];
    list.push(toStored(row));
    out.set(row.caseKey, list);
  }
  return out;
}

/**
 * The fallback: INCOMPLETE when any image failed (skipped non-images do not count), else the
 * highest-scoring defect label, else UNCERTAIN when any run was, else PASS. Labelled recomputed.
 */
export function recomputeVerdict(c: { caseKey: string; failed: number; defect?: string; uncertain: boolean; runIds?: number[] }): StoredCaseVerdict {
  return {
    id: null,
    createdAt: null,
    caseKey: c.caseKey,
    batchId: null,
    verdict: c.failed ? 'INCOMPLETE' : c.defect !== undefined ? c.defect : c.uncertain ? 'UNCERTAIN' : 'PASS',
    inspectedVerdict: null,
    method: null,
    rule: null,
    incompletePolicy: null,
    score: null,
    configHash: null,
    images: null,
    failedImages: c.failed,
    runIds: c.runIds ?? [],
    source: 'recomputed',
  };
}

/** Recomputes one case from everything the history holds for it (the fallback for `history list`). */
export function recomputeCase(db: Database.Database, caseKey: string): StoredCaseVerdict {
  const runs = db
    .prepare('SELECT r.id, r.verdict, r.score FROM inference_runs r JOIN cases c ON c.id = r.case_id WHERE c.case_key = ? ORDER BY r.id')
    .all(caseKey) as { id: number; verdict: string; score: number }[];
  const failed = db
    .prepare(`SELECT count(*) FROM errors WHERE case_key = ? AND stage IN ('validation', 'inference') AND json_extract(details, '$.skipped') IS NOT 1`)
    .pluck()
    .get(caseKey) as number;
  let defect: string | undefined;
  let best = -Infinity;
  let uncertain = false;
  for (const r of runs) {
    if (/^uncertain$/i.test(r.verdict)) uncertain = true;
    else if (!PASS_LABELS.test(r.verdict) && r.score > best) {
      defect = r.verdict;
      best = r.score;
    }
  }
  return recomputeVerdict({ caseKey, failed, ...(defect !== undefined ? { defect } : {}), uncertain, runIds: runs.map((r) => r.id) });
}

/** A verdict as one line of text: `INTERNAL_DEFECT (stored: rule_based, incomplete→DEFECT, 2 failed, config 1a2b3c4d)`. */
export function describeVerdict(v: StoredCaseVerdict): string {
  if (v.source === 'recomputed') return `${v.verdict} (recomputed from runs and failed images: stored verdict not available${v.failedImages ? `, ${v.failedImages} failed` : ''})`;
  const parts = [`stored: ${v.method}${v.rule !== null ? ` rule ${v.rule}` : ''}`];
  if (v.incompletePolicy) parts.push(`incomplete→${v.incompletePolicy}`);
  if (v.inspectedVerdict && v.inspectedVerdict !== v.verdict) parts.push(`inspected images: ${v.inspectedVerdict}`);
  parts.push(`${v.failedImages} failed`);
  if (v.configHash) parts.push(`config ${v.configHash.slice(0, 12)}`);
  return `${v.verdict} (${parts.join(', ')})`;
}
