/**
 * Fleet score drift per pack version, from the central score histograms (rollups.ts). The
 * baseline of a pack version is its first week in production on the chosen stations; the window
 * is the chosen days. PSI over the fixed score bins says how much of the distribution moved
 * (common reading: < 0.1 stable, 0.1–0.25 moderate, > 0.25 significant).
 *
 * The station dashboard compares with the pack's validation scores over quantile bins; central
 * does not hold those, and fixed bins can be summed across stations and days without the scores.
 */
import type pg from 'pg';
import { DEFAULT_DRIFT_LIMITS } from '../history/drift';
import { localDay } from '../history/time';
import { SCORE_BINS } from './rollups';

export interface FleetDriftRow {
  pack: string;
  packVersion: string;
  baselineFrom: string;
  baselineTo: string;
  baselineN: number;
  windowN: number;
  psi: number | null;
  status: 'ok' | 'drift' | 'insufficient-data';
}

export interface DriftWindow {
  stations?: string[];
  from?: number;
  to?: number;
  baselineDays?: number;
  minSamples?: number;
  psiLimit?: number;
}

const EPS = 1e-4;

/** PSI between two histograms over the same bins (shares floored at EPS, as the station does). */
export function psiFromCounts(reference: readonly number[], recent: readonly number[]): number {
  const rn = reference.reduce((a, b) => a + b, 0);
  const qn = recent.reduce((a, b) => a + b, 0);
  let sum = 0;
  for (let i = 0; i < reference.length; i++) {
    const p = Math.max(reference[i]! / rn, EPS);
    const q = Math.max((recent[i] ?? 0) / qn, EPS);
    sum += (q - p) * Math.log(q / p);
  }
  return sum;
}

const SQL = `
WITH sel AS (SELECT * FROM stat_scores WHERE ($1::text[] IS NULL OR station_id = ANY($1))),
first AS (SELECT pack, ver, min(day) AS d0 FROM sel GROUP BY 1, 2),
base AS (
  SELECT s.pack, s.ver, f.d0, s.bin, sum(s.n) AS n FROM sel s JOIN first f USING (pack, ver)
  WHERE s.day >= f.d0 AND s.day < to_char(f.d0::date + $4::int, 'YYYY-MM-DD') GROUP BY 1, 2, 3, 4
), win AS (
  SELECT pack, ver, bin, sum(n) AS n FROM sel WHERE day BETWEEN $2 AND $3 GROUP BY 1, 2, 3
)
SELECT coalesce(b.pack, w.pack) AS pack, coalesce(b.ver, w.ver) AS ver, b.d0, coalesce(b.bin, w.bin) AS bin,
       coalesce(b.n, 0) AS base_n, coalesce(w.n, 0) AS win_n
FROM base b FULL JOIN win w ON (w.pack, w.ver, w.bin) = (b.pack, b.ver, b.bin)
ORDER BY 1, 2, 4`;

export async function fleetDrift(c: pg.Client, q: DriftWindow = {}): Promise<FleetDriftRow[]> {
  const days = q.baselineDays ?? 7;
  const from = q.from === undefined ? '0000-00-00' : localDay(q.from);
  const to = q.to === undefined ? '9999-99-99' : localDay(q.to);
  const r = await c.query(SQL, [q.stations?.length ? q.stations : null, from, to, days]);
  const by = new Map<string, { pack: string; ver: string; d0: string | null; base: number[]; win: number[] }>();
  for (const x of r.rows) {
    const key = `${x.pack}\u0000${x.ver}`;
    let e = by.get(key);
    if (!e) by.set(key, (e = { pack: x.pack, ver: x.ver, d0: null, base: new Array(SCORE_BINS).fill(0), win: new Array(SCORE_BINS).fill(0) }));
    e.d0 ??= x.d0;
    e.base[x.bin] = (e.base[x.bin] ?? 0) + Number(x.base_n);
    e.win[x.bin] = (e.win[x.bin] ?? 0) + Number(x.win_n);
  }
  const min = q.minSamples ?? 50;
  const limit = q.psiLimit ?? DEFAULT_DRIFT_LIMITS.psi;
  return [...by.values()].map((e) => {
    const baselineN = e.base.reduce((a, b) => a + b, 0);
    const windowN = e.win.reduce((a, b) => a + b, 0);
    const d0 = e.d0 ?? '';
    const end = d0 ? localDay(Date.parse(`${d0}T12:00:00`) + (days - 1) * 86_400_000) : '';
    const enough = baselineN >= min && windowN >= min;
    const p = enough ? psiFromCounts(e.base, e.win) : null;
    return {
      pack: e.pack,
      packVersion: e.ver,
      baselineFrom: d0,
      baselineTo: end,
      baselineN,
      windowN,
      psi: p,
      status: p === null ? 'insufficient-data' : p > limit ? 'drift' : 'ok',
    };
  });
}
