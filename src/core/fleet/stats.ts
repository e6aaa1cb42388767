/**
 * Fleet statistics: per day, line, station, pack and pack version — runs, verdicts, errors and
 * error rate, and how often the reviewer agreed with the AI (the latest review of a run counts:
 * accept, or an override to the class the AI gave). Evaluation batches are not production traffic.
 *
 * `fleetStats` reads the rollups the sync maintains (rollups.ts): its cost depends on days ×
 * stations × packs, not on how many runs central holds. `fleetStatsFromRecords` computes the same
 * from the raw records; it is the reference the tests and the benchmark compare the rollups with.
 */
import type pg from 'pg';
import { localDay } from '../history/time';

export interface FleetStatRow {
  day: string;
  line: string | null;
  station: string;
  pack: string | null;
  packVersion: string | null;
  runs: number;
  verdicts: Record<string, number>;
  errors: number;
  errorRate: number | null;
  reviewed: number;
  agreed: number;
  agreement: number | null;
}

export interface StatsQuery {
  stations?: string[];
  /** Inclusive epoch-ms bounds on the record time (partition pruning). */
  from?: number;
  to?: number;
}

const RAW_SQL = `
WITH runs AS (
  SELECT r.station_id, r.rid, r.row->>'day' AS day, r.row->>'pack_name' AS pack, r.row->>'pack_version' AS ver,
         r.row->>'verdict' AS verdict, coalesce(c.row->>'line', '') AS line
  FROM records r
  LEFT JOIN records c ON c.station_id = r.station_id AND c.tbl = 'cases' AND c.rid = r.row->>'case_id'
  WHERE r.tbl = 'inference_runs' AND ($1::text[] IS NULL OR r.station_id = ANY($1)) AND r.at BETWEEN $2 AND $3
    AND NOT EXISTS (SELECT 1 FROM records b WHERE b.station_id = r.station_id AND b.tbl = 'evaluation_batches' AND b.rid = r.row->>'batch_id')
), latest AS (
  SELECT DISTINCT ON (station_id, row->>'run_id') station_id, row->>'run_id' AS run_id, row->>'decision' AS decision, row->>'label' AS label
  FROM records WHERE tbl = 'reviews' AND ($1::text[] IS NULL OR station_id = ANY($1))
  ORDER BY station_id, row->>'run_id', (row->>'id')::bigint DESC
), run_groups AS (
  SELECT runs.day, runs.line, runs.station_id, runs.pack, runs.ver, count(*) AS runs,
         count(l.run_id) FILTER (WHERE l.decision IN ('accept', 'override', 'reject')) AS reviewed,
         count(*) FILTER (WHERE l.decision = 'accept' OR (l.decision = 'override' AND l.label = runs.verdict)) AS agreed
  FROM runs LEFT JOIN latest l ON l.station_id = runs.station_id AND l.run_id = runs.rid
  GROUP BY 1, 2, 3, 4, 5
), verdicts AS (
  SELECT day, line, station_id, pack, ver, jsonb_object_agg(verdict, n) AS verdicts
  FROM (SELECT day, line, station_id, pack, ver, verdict, count(*) AS n FROM runs GROUP BY 1, 2, 3, 4, 5, 6) v GROUP BY 1, 2, 3, 4, 5
), errs AS (
  SELECT e.row->>'day' AS day, coalesce(c.row->>'line', '') AS line, e.station_id, coalesce(e.row->>'pack_name', '') AS pack, count(*) AS errors
  FROM records e
  LEFT JOIN LATERAL (SELECT row FROM records c WHERE c.station_id = e.station_id AND c.tbl = 'cases' AND c.row->>'case_key' = e.row->>'case_key' LIMIT 1) c ON true
  WHERE e.tbl = 'errors' AND ($1::text[] IS NULL OR e.station_id = ANY($1)) AND e.at BETWEEN $2 AND $3
    AND NOT EXISTS (SELECT 1 FROM records b WHERE b.station_id = e.station_id AND b.tbl = 'evaluation_batches' AND b.rid = e.row->>'batch_id')
  GROUP BY 1, 2, 3, 4
)
-- Keys are never null ('' for no line/pack): FULL JOIN needs plain equality.
SELECT coalesce(g.day, x.day) AS day, nullif(coalesce(g.line, x.line), '') AS line, coalesce(g.station_id, x.station_id) AS station,
       nullif(coalesce(g.pack, x.pack), '') AS pack, g.ver, coalesce(g.runs, 0) AS runs, coalesce(v.verdicts, '{}') AS verdicts,
       coalesce(x.errors, 0) AS errors, coalesce(g.reviewed, 0) AS reviewed, coalesce(g.agreed, 0) AS agreed
FROM run_groups g
LEFT JOIN verdicts v ON (v.day, v.line, v.station_id, v.pack, v.ver) IS NOT DISTINCT FROM (g.day, g.line, g.station_id, g.pack, g.ver)
-- Errors have no pack version: they count against every version of that day's pack (usually one).
FULL JOIN errs x ON x.day = g.day AND x.line = g.line AND x.station_id = g.station_id AND x.pack = g.pack
ORDER BY 1, 2 NULLS FIRST, 3, 4 NULLS FIRST, 5 NULLS FIRST`;

const ROLLUP_SQL = `
WITH g AS (
  SELECT day, line, station_id, pack, ver, sum(runs) AS runs, jsonb_object_agg(verdict, runs) AS verdicts
  FROM stat_runs WHERE ($1::text[] IS NULL OR station_id = ANY($1)) AND day BETWEEN $2 AND $3 GROUP BY 1, 2, 3, 4, 5
), rv AS (
  SELECT day, line, station_id, pack, ver, reviewed, agreed
  FROM stat_reviews WHERE ($1::text[] IS NULL OR station_id = ANY($1)) AND day BETWEEN $2 AND $3
), x AS (
  SELECT day, line, station_id, pack, errors
  FROM stat_errors WHERE ($1::text[] IS NULL OR station_id = ANY($1)) AND day BETWEEN $2 AND $3
)
SELECT coalesce(g.day, x.day) AS day, nullif(coalesce(g.line, x.line), '') AS line, coalesce(g.station_id, x.station_id) AS station,
       nullif(coalesce(g.pack, x.pack), '') AS pack, g.ver, coalesce(g.runs, 0) AS runs, coalesce(g.verdicts, '{}') AS verdicts,
       coalesce(x.errors, 0) AS errors, coalesce(rv.reviewed, 0) AS reviewed, coalesce(rv.agreed, 0) AS agreed
FROM g
LEFT JOIN rv ON (rv.day, rv.line, rv.station_id, rv.pack, rv.ver) = (g.day, g.line, g.station_id, g.pack, g.ver)
FULL JOIN x ON x.day = g.day AND x.line = g.line AND x.station_id = g.station_id AND x.pack = g.pack
ORDER BY 1, 2 NULLS FIRST, 3, 4 NULLS FIRST, 5 NULLS FIRST`;

/** From the rollups; `from`/`to` select whole station days (the rollups count per day). */
export async function fleetStats(c: pg.Client, q: StatsQuery = {}): Promise<FleetStatRow[]> {
  const from = q.from === undefined ? '0000-00-00' : localDay(q.from);
  const to = q.to === undefined ? '9999-99-99' : localDay(q.to);
  return toRows((await c.query(ROLLUP_SQL, [q.stations?.length ? q.stations : null, from, to])).rows);
}

/** The same from the raw records (reference; scans every run in the time range). */
export async function fleetStatsFromRecords(c: pg.Client, q: StatsQuery = {}): Promise<FleetStatRow[]> {
  const from = new Date(q.from ?? 0).toISOString();
  const to = new Date(q.to ?? Date.UTC(9999, 0, 1)).toISOString();
  return toRows((await c.query(RAW_SQL, [q.stations?.length ? q.stations : null, from, to])).rows);
}

function toRows(rows: Record<string, unknown>[]): FleetStatRow[] {
  return rows.map((x) => {
    const runs = Number(x['runs']);
    const errors = Number(x['errors']);
    const reviewed = Number(x['reviewed']);
    const agreed = Number(x['agreed']);
    return {
      day: x['day'] as string,
      line: x['line'] as string | null,
      station: x['station'] as string,
      pack: x['pack'] as string | null,
      packVersion: x['ver'] as string | null,
      runs,
      verdicts: Object.fromEntries(Object.entries(x['verdicts'] as Record<string, string>).map(([k, n]) => [k, Number(n)])),
      errors,
      errorRate: runs + errors ? errors / (runs + errors) : null,
      reviewed,
      agreed,
      agreement: reviewed ? agreed / reviewed : null,
    };
  });
}
