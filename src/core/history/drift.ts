/**
 * Score drift: the pack's recent primary scores against its validation distribution. PSI says
 * how much mass moved between the reference's decile bins; the two-sample Kolmogorov–Smirnov
 * statistic is the largest gap between the two CDFs. Either above its limit flags the pack.
 */
import type Database from 'better-sqlite3';

export interface DriftLimits {
  /** Common reading: < 0.1 stable, 0.1–0.25 moderate, > 0.25 significant. */
  psi: number;
  ks: number;
}

export const DEFAULT_DRIFT_LIMITS: DriftLimits = { psi: 0.2, ks: 0.15 };

export interface DriftReport {
  pack: string;
  version: string | null;
  status: 'ok' | 'drift' | 'no-reference' | 'insufficient-data';
  referenceN: number;
  recentN: number;
  psi: number | null;
  ks: number | null;
  /** Asymptotic two-sided p-value of the KS statistic. */
  ksPValue: number | null;
  limits: DriftLimits;
  flagged: boolean;
}

const EPS = 1e-4;

/** Population stability index over the reference's quantile bins. */
export function psi(reference: readonly number[], recent: readonly number[], bins = 10): number {
  const ref = [...reference].sort((a, b) => a - b);
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const e = ref[Math.min(ref.length - 1, Math.floor((i * ref.length) / bins))]!;
    if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e);
  }
  const share = (xs: readonly number[]) => {
    const counts = new Array<number>(edges.length + 1).fill(0);
    for (const x of xs) {
      let lo = 0;
      let hi = edges.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (x < edges[mid]!) hi = mid;
        else lo = mid + 1;
      }
      counts[lo]!++;
    }
    return counts.map((c) => Math.max(c / xs.length, EPS));
  };
  const p = share(ref);
  const q = share(recent);
  return p.reduce((sum, pi, i) => sum + (q[i]! - pi) * Math.log(q[i]! / pi), 0);
}

/** Two-sample KS statistic sup |F_a − F_b|, exact over the pooled sample (ties handled). */
export function ksStatistic(a: readonly number[], b: readonly number[]): number {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/** Kolmogorov's asymptotic survival function with Stephens' small-sample correction. */
export function ksPValue(d: number, n: number, m: number): number {
  const en = Math.sqrt((n * m) / (n + m));
  const lambda = (en + 0.12 + 0.11 / en) * d;
  if (lambda < 1e-3) return 1;
  let sum = 0;
  for (let j = 1; j <= 100; j++) {
    const term = 2 * (j % 2 ? 1 : -1) * Math.exp(-2 * j * j * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) break;
  }
  return Math.min(1, Math.max(0, sum));
}

export interface DriftQuery {
  pack: string;
  /** Only runs at or after this instant (epoch ms). */
  from?: number;
  /** The most recent runs compared (default 2000): recent enough to notice, many enough to trust. */
  limit?: number;
  minSamples?: number;
  limits?: Partial<DriftLimits>;
}

export function packDrift(db: Database.Database, q: DriftQuery): DriftReport {
  const limits = { ...DEFAULT_DRIFT_LIMITS, ...q.limits };
  const latest = db.prepare('SELECT pack_version AS v FROM inference_runs WHERE pack_name = ? ORDER BY created_at DESC LIMIT 1').get(q.pack) as
    | { v: string }
    | undefined;
  const version = latest?.v ?? null;
  const refRow = (version !== null
    ? db.prepare('SELECT scores FROM pack_reference WHERE pack_name = ? AND pack_version = ?').get(q.pack, version)
    : undefined) as { scores: string } | undefined;
  const reference = refRow ? (JSON.parse(refRow.scores) as number[]) : [];
  const recent = (
    db
      // Evaluation batches (labelled sets, often half defects) are not production traffic.
      .prepare(
        `SELECT score FROM inference_runs WHERE pack_name = ? AND created_at >= ?
           AND (batch_id IS NULL OR batch_id NOT IN (SELECT batch_id FROM evaluation_batches)) ORDER BY created_at DESC LIMIT ?`,
      )
      .all(q.pack, q.from ?? 0, q.limit ?? 2000) as { score: number }[]
  ).map((r) => r.score);
  const base = { pack: q.pack, version, referenceN: reference.length, recentN: recent.length, limits };
  if (!reference.length) return { ...base, status: 'no-reference', psi: null, ks: null, ksPValue: null, flagged: false };
  if (recent.length < (q.minSamples ?? 50)) return { ...base, status: 'insufficient-data', psi: null, ks: null, ksPValue: null, flagged: false };
  const p = psi(reference, recent);
  const d = ksStatistic(reference, recent);
  const flagged = p > limits.psi || d > limits.ks;
  return { ...base, status: flagged ? 'drift' : 'ok', psi: p, ks: d, ksPValue: ksPValue(d, reference.length, recent.length), flagged };
}

export function allPacksDrift(db: Database.Database, q: Omit<DriftQuery, 'pack'> = {}): DriftReport[] {
  const packs = (db.prepare('SELECT DISTINCT pack_name AS p FROM stat_daily ORDER BY 1').all() as { p: string }[]).map((r) => r.p);
  return packs.map((pack) => packDrift(db, { ...q, pack }));
}
