/**
 * Reviewed history as labels: every production run of a pack's exact files that a reviewer
 * decided becomes a labelled prediction — accept: the AI's label is the truth; override (or a
 * reject naming a class): the reviewer's label; a reject without a class: the other side of a
 * binary call where that is unambiguous. From them the same objectives as an evaluation propose
 * thresholds (src/core/evaluation/thresholds.ts). Evaluation runs are left out: they have labels.
 */
import type Database from 'better-sqlite3';
import { InspectorError } from '../../shared/errors';
import type { PackFacts } from './evaluate';
import { packIdentity } from './packIdentity';
import { propose, uncertainBand, type Band, type Proposal } from './thresholds';

export interface HistoryLabelOptions {
  /** Epoch ms: runs created at or after / before. */
  since?: number;
  until?: number;
  recallTarget?: number;
  falseAlarmTarget?: number;
  sigmaK?: number;
}

export interface ReviewedLabel {
  runId: number;
  score: number;
  /** 1 defect, 0 normal. */
  defect: 0 | 1;
  label: string;
  decision: string;
}

export interface HistoryProposals {
  pack: string;
  packIdentity: string;
  scoreUnit: 'probability' | 'raw anomaly score';
  runs: number;
  reviewed: number;
  labels: ReviewedLabel[];
  defects: number;
  normals: number;
  /** Reviewed runs not usable as labels, by reason. */
  skipped: Record<string, number>;
  proposals: Proposal[];
  band: Band | null;
}

const SKIP = {
  uncertain: 'reviewer marked uncertain',
  aiUncertain: 'accepted an uncertain AI answer (no class)',
  ambiguousReject: 'reject without a class of a defect call with several defect classes',
  noRaw: 'anomaly run without a raw score',
};

export function reviewedLabels(db: Database.Database, facts: PackFacts, opts: HistoryLabelOptions = {}): { runs: number; reviewed: number; labels: ReviewedLabel[]; skipped: Record<string, number> } {
  // Single inspections (no batch) count; runs of evaluation batches do not.
  const where = ['r.pack_name = ?', '(r.batch_id IS NULL OR r.batch_id NOT IN (SELECT batch_id FROM evaluation_batches))'];
  const args: (string | number)[] = [facts.name];
  if (opts.since !== undefined) {
    where.push('r.created_at >= ?');
    args.push(opts.since);
  }
  if (opts.until !== undefined) {
    where.push('r.created_at < ?');
    args.push(opts.until);
  }
  // The current review of each run (a correction supersedes the one before it).
  const rows = db
    .prepare(
      `SELECT r.id, r.pack_hashes AS hashes, r.verdict, r.score, r.scores, v.decision, v.label
       FROM inference_runs r
       LEFT JOIN review_state st ON st.run_id = r.id LEFT JOIN reviews v ON v.id = st.review_id
       WHERE ${where.join(' AND ')} ORDER BY r.id`,
    )
    .all(...args) as { id: number; hashes: string; verdict: string; score: number; scores: string; decision: string | null; label: string | null }[];
  const identities = new Map<string, string>();
  const isNormal = (l: string) => facts.normalLabels.includes(l) || (facts.kind === 'anomaly' && l === 'normal');
  const defects = facts.kind === 'anomaly' ? ['anomalous'] : facts.labels.filter((l) => !facts.normalLabels.includes(l));
  const skipped: Record<string, number> = {};
  const skip = (why: string) => (skipped[why] = (skipped[why] ?? 0) + 1);
  const labels: ReviewedLabel[] = [];
  let runs = 0;
  let reviewed = 0;
  for (const r of rows) {
    // Only runs of exactly these model files: another model's scores are on another scale.
    let id = identities.get(r.hashes);
    if (id === undefined) identities.set(r.hashes, (id = packIdentity(JSON.parse(r.hashes) as Record<string, string>)));
    if (id !== facts.identity) continue;
    runs++;
    if (!r.decision) continue;
    reviewed++;
    let truth: string | null;
    if (r.decision === 'uncertain') truth = null;
    else if (r.decision === 'accept') truth = r.verdict === 'uncertain' ? null : r.verdict;
    else if (r.label) truth = r.label; // override, or a reject naming the right class
    else if (isNormal(r.verdict)) truth = defects[0] ?? null; // rejected "good": a defect
    else truth = defects.length === 1 && facts.normalLabels[0] ? facts.normalLabels[0] : facts.kind === 'anomaly' ? 'normal' : null;
    if (truth === null) {
      skip(r.decision === 'uncertain' ? SKIP.uncertain : r.decision === 'accept' ? SKIP.aiUncertain : SKIP.ambiguousReject);
      continue;
    }
    let score = r.score;
    if (facts.kind === 'anomaly') {
      // Proposals are in the unit an applied version is in: the raw image score.
      const raw = (JSON.parse(r.scores) as Record<string, number>)['anomalyRaw'];
      if (raw === undefined) {
        skip(SKIP.noRaw);
        continue;
      }
      score = raw;
    }
    labels.push({ runId: r.id, score, defect: isNormal(truth) ? 0 : 1, label: truth, decision: r.decision });
  }
  return { runs, reviewed, labels, skipped };
}

export function proposeFromHistory(db: Database.Database, facts: PackFacts, opts: HistoryLabelOptions = {}): HistoryProposals {
  const got = reviewedLabels(db, facts, opts);
  const y = got.labels.map((l) => l.defect);
  const s = got.labels.map((l) => l.score);
  const defects = y.filter(Boolean).length;
  const normals = y.length - defects;
  if (!got.labels.length) {
    throw new InspectorError('EVAL_NO_REVIEWS', `No reviewed runs of ${facts.name} with these model files (${facts.identity.slice(0, 12)}) to use as labels${opts.since !== undefined ? ' in that period' : ''}: ${got.runs} runs, ${got.reviewed} reviewed.`, {
      pack: facts.name,
      runs: got.runs,
      reviewed: got.reviewed,
    });
  }
  const proposals: Proposal[] = [];
  let band: Band | null = null;
  if (defects && normals) {
    proposals.push(propose(y, s, { kind: 'f1' }));
    proposals.push(propose(y, s, { kind: 'recall', target: opts.recallTarget ?? 0.99 }));
    proposals.push(propose(y, s, { kind: 'false-alarm', target: opts.falseAlarmTarget ?? 0.01 }));
    band = uncertainBand(y, s, opts.recallTarget ?? 0.99, opts.falseAlarmTarget ?? 0.01);
  }
  if (normals >= 2) proposals.push(propose(y, s, { kind: 'sigma', k: opts.sigmaK ?? 3 }));
  return {
    pack: facts.name,
    packIdentity: facts.identity,
    scoreUnit: facts.kind === 'anomaly' ? 'raw anomaly score' : 'probability',
    runs: got.runs,
    reviewed: got.reviewed,
    labels: got.labels,
    defects,
    normals,
    skipped: got.skipped,
    proposals,
    band,
  };
}
