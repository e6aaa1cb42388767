/**
 * Percentile bootstrap intervals over items (images or cases), with a seeded generator so the
 * same predictions always give the same interval — a model card's numbers must be reproducible.
 */

// One seeded generator for every reproducible draw (bootstrap here, the trust figure's random regions).
export { seededRandom } from '../../../shared/random';
import { seededRandom } from '../../../shared/random';

export interface Interval {
  low: number;
  high: number;
}

export const BOOTSTRAP_DEFAULTS = { rounds: 1000, seed: 20240611, level: 0.95 };

function quantile(sorted: number[], q: number): number {
  // Linear interpolation between order statistics (numpy's default "linear" method).
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * `statistic(indices)` is computed on `rounds` resamples (with replacement) of `n` items;
 * resamples where it is undefined (null: e.g. no positives drawn) are skipped.
 */
export function bootstrapInterval(
  n: number,
  statistic: (indices: Uint32Array) => number | null,
  opts: Partial<typeof BOOTSTRAP_DEFAULTS> = {},
): Interval | null {
  const { rounds, seed, level } = { ...BOOTSTRAP_DEFAULTS, ...opts };
  if (n === 0) return null;
  const rand = seededRandom(seed);
  const values: number[] = [];
  const idx = new Uint32Array(n);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < n; i++) idx[i] = Math.floor(rand() * n);
    const v = statistic(idx);
    if (v !== null && Number.isFinite(v)) values.push(v);
  }
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  const alpha = (1 - level) / 2;
  return { low: quantile(values, alpha), high: quantile(values, 1 - alpha) };
}

/**
 * Several statistics on the same resamples: each round's indices are drawn once and every
 * statistic sees them (with the round number, so statistics that share work can memoise it).
 * Same seed, same resamples as `bootstrapInterval` — the intervals are identical, the draws shared.
 */
export function bootstrapIntervals(
  n: number,
  statistics: ((indices: Uint32Array, round: number) => number | null)[],
  opts: Partial<typeof BOOTSTRAP_DEFAULTS> = {},
): (Interval | null)[] {
  const { rounds, seed, level } = { ...BOOTSTRAP_DEFAULTS, ...opts };
  if (n === 0) return statistics.map(() => null);
  const rand = seededRandom(seed);
  const values: number[][] = statistics.map(() => []);
  const idx = new Uint32Array(n);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < n; i++) idx[i] = Math.floor(rand() * n);
    statistics.forEach((f, k) => {
      const v = f(idx, r);
      if (v !== null && Number.isFinite(v)) values[k]!.push(v);
    });
  }
  const alpha = (1 - level) / 2;
  return values.map((v) => {
    if (!v.length) return null;
    v.sort((a, b) => a - b);
    return { low: quantile(v, alpha), high: quantile(v, 1 - alpha) };
  });
}

/** Memoises a per-round computation shared by several statistics. */
export function perRound<T>(f: (indices: Uint32Array) => T): (indices: Uint32Array, round: number) => T {
  let last = -1;
  let value: T;
  return (idx, round) => {
    if (round !== last) {
      value = f(idx);
      last = round;
    }
    return value;
  };
}

/**
 * A statistic of a resample given as counts: `w[i]` is how many times item i was drawn. Every
 * statistic here (confusion counts, precision, recall, F1, accuracy, ROC-AUC) depends on the
 * resample only through these counts, so it is a weighted pass over items in a fixed order —
 * sequential typed-array reads instead of n random lookups per statistic. One function may return
 * several values (e.g. every per-class figure from one confusion pass).
 */
export type CountStatistic = (w: Uint32Array, round: number) => readonly (number | null)[];

/**
 * Percentile intervals of count statistics. The resamples are exactly those of
 * `bootstrapIntervals` with the same seed (n seeded index draws per round, tallied), so the
 * intervals are the same numbers — only the work per round is less.
 */
export function bootstrapCounts(n: number, statistics: readonly CountStatistic[], opts: Partial<typeof BOOTSTRAP_DEFAULTS> = {}): (Interval | null)[][] {
  const { rounds, seed, level } = { ...BOOTSTRAP_DEFAULTS, ...opts };
  if (n === 0 || rounds <= 0) return statistics.map((f) => f(new Uint32Array(n), -1).map(() => null));
  const w = new Uint32Array(n);
  // mulberry32 inlined (the same stream as seededRandom(seed), so the same draws as bootstrapIntervals).
  let a = seed >>> 0;
  // values[statistic][value][round]; NaN where the statistic is undefined (skipped).
  const values: Float64Array[][] = statistics.map(() => []);
  for (let r = 0; r < rounds; r++) {
    w.fill(0);
    for (let i = 0; i < n; i++) {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      w[Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n)]!++;
    }
    statistics.forEach((f, fi) => {
      const vs = f(w, r);
      const cols = values[fi]!;
      for (let j = 0; j < vs.length; j++) {
        const col = (cols[j] ??= new Float64Array(rounds).fill(NaN));
        const v = vs[j];
        if (v !== null && v !== undefined && Number.isFinite(v)) col[r] = v;
      }
    });
  }
  const alpha = (1 - level) / 2;
  return values.map((cols) =>
    cols.map((col) => {
      const kept = col.filter((v) => !Number.isNaN(v)).sort();
      if (!kept.length) return null;
      return { low: quantileOf(kept, alpha), high: quantileOf(kept, 1 - alpha) };
    }),
  );
}

function quantileOf(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
