/**
 * Dashboard rollups in the central database. A plant's stations write millions of runs a day;
 * the fleet dashboard's questions (per day, line, station, pack version: verdicts, errors,
 * reviewer agreement, score drift) must not scan them. Each sync batch therefore adds its own
 * newly inserted rows to small counter tables **in the same transaction** that inserts them:
 * only rows the upsert really inserted are counted (`RETURNING` of `ON CONFLICT DO NOTHING`), so a
 * resent batch counts nothing twice, and a rolled-back batch counts nothing at all.
 *
 * Semantics are the station dashboard's: evaluation batches are not production traffic; errors
 * have no pack version; the latest review of a run counts, and a run is "agreed" when that review
 * accepts it or overrides it to the class the AI gave. A later review of the same run replaces the
 * earlier one's contribution (`review_state` remembers what each run contributed).
 *
 * Written as SQL in PostgreSQL (one function), because the counters must move in the sync's own
 * transaction and PostgreSQL is the engine that holds them: no second system to keep consistent.
 */

/** Fixed score bins for central drift (the station's PSI uses reference quantiles; see FLEET.md). */
export const SCORE_BINS = 20;

export const ROLLUP_SCHEMA = `
CREATE TABLE stat_runs(
  day text NOT NULL, line text NOT NULL, station_id text NOT NULL, pack text NOT NULL, ver text NOT NULL, verdict text NOT NULL,
  runs bigint NOT NULL, PRIMARY KEY (day, line, station_id, pack, ver, verdict));
CREATE TABLE stat_reviews(
  day text NOT NULL, line text NOT NULL, station_id text NOT NULL, pack text NOT NULL, ver text NOT NULL,
  reviewed bigint NOT NULL, agreed bigint NOT NULL, PRIMARY KEY (day, line, station_id, pack, ver));
CREATE TABLE stat_errors(
  day text NOT NULL, line text NOT NULL, station_id text NOT NULL, pack text NOT NULL,
  errors bigint NOT NULL, PRIMARY KEY (day, line, station_id, pack));
CREATE TABLE stat_scores(
  day text NOT NULL, station_id text NOT NULL, pack text NOT NULL, ver text NOT NULL, bin smallint NOT NULL,
  n bigint NOT NULL, PRIMARY KEY (day, station_id, pack, ver, bin));
-- What each reviewed run contributes now, so that a newer review can take the older one's back.
CREATE TABLE review_state(
  station_id text NOT NULL, run_id text NOT NULL, review_id bigint NOT NULL,
  day text NOT NULL, line text NOT NULL, pack text NOT NULL, ver text NOT NULL,
  reviewed int NOT NULL, agreed int NOT NULL, PRIMARY KEY (station_id, run_id));
-- Errors name their case by key, not id: the line is found through this partial index.
CREATE INDEX records_case_key ON records (station_id, (row->>'case_key')) WHERE tbl = 'cases';

-- The rows one sync batch really inserted; filled by the sync, emptied at commit.
CREATE FUNCTION fleet_rollup() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  -- Runs: verdict counts and score bins, evaluation batches left out.
  CREATE TEMP TABLE IF NOT EXISTS fresh_runs ON COMMIT DROP AS
    SELECT f.station_id, f.rid, f.row->>'day' AS day, coalesce(c.row->>'line', '') AS line,
           f.row->>'pack_name' AS pack, f.row->>'pack_version' AS ver, f.row->>'verdict' AS verdict,
           (f.row->>'score')::float8 AS score
    FROM fresh f
    LEFT JOIN records c ON c.station_id = f.station_id AND c.tbl = 'cases' AND c.rid = f.row->>'case_id'
    WHERE f.tbl = 'inference_runs'
      AND NOT EXISTS (SELECT 1 FROM records b WHERE b.station_id = f.station_id AND b.tbl = 'evaluation_batches'
                      AND f.row->>'batch_id' IS NOT NULL AND b.rid = f.row->>'batch_id');
  INSERT INTO stat_runs AS s SELECT day, line, station_id, pack, ver, verdict, count(*) FROM fresh_runs GROUP BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (day, line, station_id, pack, ver, verdict) DO UPDATE SET runs = s.runs + excluded.runs;
  INSERT INTO stat_scores AS s
    SELECT day, station_id, pack, ver, least(${SCORE_BINS - 1}, greatest(0, floor(score * ${SCORE_BINS})))::smallint, count(*)
    FROM fresh_runs WHERE score IS NOT NULL GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (day, station_id, pack, ver, bin) DO UPDATE SET n = s.n + excluded.n;
  DROP TABLE fresh_runs;

  -- Errors, with the line of their case when the case is known.
  INSERT INTO stat_errors AS s
    SELECT f.row->>'day', coalesce(c.line, ''), f.station_id, coalesce(f.row->>'pack_name', ''), count(*)
    FROM fresh f
    LEFT JOIN LATERAL (SELECT r.row->>'line' AS line FROM records r
                       WHERE r.station_id = f.station_id AND r.tbl = 'cases' AND r.row->>'case_key' = f.row->>'case_key' LIMIT 1) c ON true
    WHERE f.tbl = 'errors'
      AND NOT EXISTS (SELECT 1 FROM records b WHERE b.station_id = f.station_id AND b.tbl = 'evaluation_batches'
                      AND f.row->>'batch_id' IS NOT NULL AND b.rid = f.row->>'batch_id')
    GROUP BY 1, 2, 3, 4
    ON CONFLICT (day, line, station_id, pack) DO UPDATE SET errors = s.errors + excluded.errors;

  -- Reviews: the newest review of each run in this batch replaces what the run contributed before.
  CREATE TEMP TABLE IF NOT EXISTS fresh_reviews ON COMMIT DROP AS
    SELECT n.station_id, n.run_id, n.review_id, r.row->>'day' AS day, coalesce(c.row->>'line', '') AS line,
           r.row->>'pack_name' AS pack, r.row->>'pack_version' AS ver,
           (n.decision IN ('accept', 'override', 'reject'))::int AS reviewed,
           (n.decision = 'accept' OR (n.decision = 'override' AND n.label = r.row->>'verdict'))::int AS agreed
    FROM (SELECT DISTINCT ON (station_id, row->>'run_id') station_id, row->>'run_id' AS run_id, (row->>'id')::bigint AS review_id,
                 row->>'decision' AS decision, row->>'label' AS label
          FROM fresh WHERE tbl = 'reviews' ORDER BY station_id, row->>'run_id', (row->>'id')::bigint DESC) n
    JOIN records r ON r.station_id = n.station_id AND r.tbl = 'inference_runs' AND r.rid = n.run_id
    LEFT JOIN records c ON c.station_id = r.station_id AND c.tbl = 'cases' AND c.rid = r.row->>'case_id'
    LEFT JOIN review_state old ON old.station_id = n.station_id AND old.run_id = n.run_id
    WHERE (old.review_id IS NULL OR old.review_id < n.review_id)
      AND NOT EXISTS (SELECT 1 FROM records b WHERE b.station_id = r.station_id AND b.tbl = 'evaluation_batches'
                      AND r.row->>'batch_id' IS NOT NULL AND b.rid = r.row->>'batch_id');
  INSERT INTO stat_reviews AS s
    SELECT d.day, d.line, d.station_id, d.pack, d.ver, sum(d.reviewed), sum(d.agreed)
    FROM (SELECT f.day, f.line, f.station_id, f.pack, f.ver, f.reviewed - coalesce(o.reviewed, 0) AS reviewed, f.agreed - coalesce(o.agreed, 0) AS agreed
          FROM fresh_reviews f LEFT JOIN review_state o ON o.station_id = f.station_id AND o.run_id = f.run_id) d
    GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (day, line, station_id, pack, ver) DO UPDATE SET reviewed = s.reviewed + excluded.reviewed, agreed = s.agreed + excluded.agreed;
  INSERT INTO review_state AS s SELECT station_id, run_id, review_id, day, line, pack, ver, reviewed, agreed FROM fresh_reviews
    ON CONFLICT (station_id, run_id) DO UPDATE SET review_id = excluded.review_id, reviewed = excluded.reviewed, agreed = excluded.agreed;
  DROP TABLE fresh_reviews;
END
$fn$;`;

/**
 * The table a batch's inserted rows go to before `fleet_rollup()` counts them. Only the tables the
 * rollups read are kept.
 */
export const FRESH_TABLE = `CREATE TEMP TABLE IF NOT EXISTS fresh(station_id text, tbl text, rid text, row jsonb) ON COMMIT DELETE ROWS`;
export const ROLLED_UP_TABLES = ['inference_runs', 'reviews', 'errors'];

/** Migration body: the schema above, then every row central already holds counted once. */
export const ROLLUP_MIGRATION = `${ROLLUP_SCHEMA}
CREATE TEMP TABLE fresh ON COMMIT DROP AS
  SELECT station_id, tbl, rid, row FROM records WHERE tbl IN (${ROLLED_UP_TABLES.map((t) => `'${t}'`).join(', ')});
SELECT fleet_rollup();
DROP TABLE fresh;`;

/**
 * One sync batch as one statement (and so one transaction): lock the station's watermark; if it is
 * not where the sender read from (another sync of the same station moved it), write nothing and
 * say where it is; else insert the batch (ON CONFLICT DO NOTHING: a row central holds stays as it
 * is), roll up the rows really inserted, and move the watermark and the chain head. One round trip
 * per batch instead of six.
 */
export const INGEST_MIGRATION = `
CREATE FUNCTION fleet_ingest(p_station text, p_after bigint, p_top bigint, p_rows jsonb, p_rolled text[],
                             p_audit_seq bigint, p_audit_hash text, OUT applied boolean, OUT last_seq bigint)
LANGUAGE plpgsql AS $fn$
DECLARE cur bigint;
BEGIN
  SELECT s.last_seq INTO cur FROM stations s WHERE s.station_id = p_station FOR UPDATE;
  IF cur IS DISTINCT FROM p_after THEN
    applied := false; last_seq := cur; RETURN;
  END IF;
  CREATE TEMP TABLE IF NOT EXISTS fresh(station_id text, tbl text, rid text, row jsonb) ON COMMIT DELETE ROWS;
  WITH ins AS (
    INSERT INTO records(station_id, tbl, rid, seq, at, row)
    SELECT p_station, x.tbl, x.rid, x.seq, to_timestamp(x.at / 1000.0), x.row
    FROM jsonb_to_recordset(p_rows) AS x(tbl text, rid text, seq bigint, at float8, row jsonb)
    ON CONFLICT DO NOTHING RETURNING records.station_id, records.tbl, records.rid, records.row)
  INSERT INTO fresh SELECT i.station_id, i.tbl, i.rid, i.row FROM ins i WHERE i.tbl = ANY(p_rolled);
  PERFORM fleet_rollup();
  UPDATE stations s SET last_seq = p_top, synced_at = now(),
    audit_seq = coalesce(p_audit_seq, s.audit_seq), audit_hash = coalesce(p_audit_hash, s.audit_hash)
  WHERE s.station_id = p_station;
  applied := true; last_seq := p_top;
END $fn$;`;
