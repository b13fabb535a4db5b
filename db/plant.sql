-- The plant database (PostgreSQL): where station records are forwarded.
-- Applied by `mpobench plant init --to URL` (as a role that may create
-- tables, functions and roles), in one transaction; applying it again to a
-- database that has it changes nothing. README: "The plant database".
--
-- Stations never write the tables: they call mpobench_forward(), which
-- stores a whole record (run, station, measurements) in the caller's
-- transaction or refuses it. Roles:
--   mpobench_station  EXECUTE on mpobench_forward only (grant it to each
--                     station's login role)
--   mpobench_qa       SELECT on the tables only
-- Payload form 1 (mpobench sync): {"payload_version": 1, "uuid", "station_uuid",
-- "station_run_id", "record_hash", "record_hash_version", "run": the run as
-- `mpobench test --json` writes it (DESIGN §6)}; payload_hash: SHA-256 (hex)
-- of the payload text as the station sent it.
-- Payload form 2 (app/plant_payload.hpp): form 1's members with
-- "payload_version": 2, and "record" (the whole run record, lossless),
-- "reference" and "limit_set" (name, version, hash, body): what a
-- certificate reprinted from the plant needs. Both forms are accepted.
--
-- QA rollups (README "Plant QA"), kept by mpobench_forward in the same
-- transaction and backfilled from the stored payloads when this script adds
-- them to a plant that lacks them:
--   runs.operator, retries, target_grade  the run's facts the QA views group by
--   serials      per serial (plant-wide: the same serial at two stations is one
--                assembly) its first and its latest completed production run
--                by started_at (then id), with their results: a late arrival
--                (an older run forwarded after a newer one) moves them
--   qa_failures  the failures that kept a completed production run from its
--                part's target grade (grade at or below the target), cause il
--                for il_mean: what the Pareto counts, as in the station's
--                rollups (db/qa_rollups.hpp)

DO $roles$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mpobench_station') THEN
        CREATE ROLE mpobench_station NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mpobench_qa') THEN
        CREATE ROLE mpobench_qa NOLOGIN;
    END IF;
END
$roles$;

CREATE SCHEMA IF NOT EXISTS mpobench;
REVOKE ALL ON SCHEMA mpobench FROM PUBLIC;

-- One row per station database (its UUID, made when the station's SQLite
-- file was created); name: the station name of its first forwarded run.
CREATE TABLE IF NOT EXISTS mpobench.stations (
    uuid       uuid PRIMARY KEY,
    name       text NOT NULL,
    first_seen timestamptz NOT NULL DEFAULT now()
);

-- One row per forwarded run, never updated (but by plant init's one-time
-- backfill of columns added later): a UUID arrives once.
CREATE TABLE IF NOT EXISTS mpobench.runs (
    id                  bigserial PRIMARY KEY,
    uuid                uuid NOT NULL UNIQUE,
    station_uuid        uuid NOT NULL REFERENCES mpobench.stations (uuid),
    station_run_id      bigint NOT NULL,
    serial              text NOT NULL CHECK (serial <> ''),
    part                text NOT NULL,
    kind                text NOT NULL,
    status              text NOT NULL CHECK (status IN ('completed', 'aborted', 'interrupted')),
    started_at          timestamptz NOT NULL,
    ended_at            timestamptz,
    grade               text CHECK (grade IN ('fail', 'generic', 'standard', 'elite')),
    pass                boolean NOT NULL,
    record_hash         text CHECK (record_hash ~ '^[0-9a-f]{64}$'),
    record_hash_version integer,
    payload             jsonb NOT NULL,
    payload_hash        text NOT NULL CHECK (payload_hash ~ '^[0-9a-f]{64}$'),
    received_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (station_uuid, station_run_id)
);
CREATE INDEX IF NOT EXISTS runs_by_serial ON mpobench.runs (serial, started_at);
CREATE INDEX IF NOT EXISTS runs_by_time ON mpobench.runs (started_at);

-- The run's readings in the order taken (seq from 1).
CREATE TABLE IF NOT EXISTS mpobench.measurements (
    run_id        bigint NOT NULL REFERENCES mpobench.runs (id),
    seq           integer NOT NULL,
    launched_end  text NOT NULL CHECK (launched_end IN ('A', 'B')),
    fiber         integer NOT NULL,
    wavelength_nm integer NOT NULL,
    cycle         integer NOT NULL,
    status        text NOT NULL,
    far_position  integer NOT NULL,
    il_db         double precision,
    rl_db         double precision,
    PRIMARY KEY (run_id, seq)
);

-- ---- QA rollups

-- The run's facts the QA views need beside the first slice's columns; NULL
-- only until the backfill below has run.
ALTER TABLE mpobench.runs ADD COLUMN IF NOT EXISTS operator text;
ALTER TABLE mpobench.runs ADD COLUMN IF NOT EXISTS retries integer;
ALTER TABLE mpobench.runs ADD COLUMN IF NOT EXISTS target_grade text;
-- An RL reading beyond the meter's range: its bound (rl_db is then NULL).
ALTER TABLE mpobench.measurements ADD COLUMN IF NOT EXISTS rl_above_db double precision;

CREATE TABLE IF NOT EXISTS mpobench.serials (
    serial       text PRIMARY KEY,
    first_run_id bigint NOT NULL REFERENCES mpobench.runs (id),
    first_pass   boolean NOT NULL,
    final_run_id bigint NOT NULL REFERENCES mpobench.runs (id),
    final_pass   boolean NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS serials_by_first_run ON mpobench.serials (first_run_id);
CREATE UNIQUE INDEX IF NOT EXISTS serials_by_final_run ON mpobench.serials (final_run_id);

CREATE TABLE IF NOT EXISTS mpobench.qa_failures (
    run_id        bigint NOT NULL REFERENCES mpobench.runs (id),
    seq           integer NOT NULL,  -- the failure's place in payload.run.failures, from 1
    cause         text NOT NULL,
    launched_end  text NOT NULL CHECK (launched_end IN ('A', 'B', '')),  -- '': no end
    fiber         integer NOT NULL,  -- 0: not tied to a fibre
    wavelength_nm integer NOT NULL,  -- 0: not tied to a wavelength
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX IF NOT EXISTS runs_by_station ON mpobench.runs (station_uuid, started_at);

-- The grades in order, worst first: a grade's rank is its array_position.
CREATE OR REPLACE FUNCTION mpobench.grade_rank(grade text)
RETURNS integer
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT array_position(ARRAY['fail', 'generic', 'standard', 'elite'], grade) $$;

-- The Pareto's failures of one stored run (payload.run as `run`).
CREATE OR REPLACE FUNCTION mpobench.count_qa_failures(run_id bigint, run jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $count$
BEGIN
    IF run ->> 'kind' <> 'production' OR run ->> 'status' <> 'completed'
       OR (run ->> 'pass')::boolean THEN
        RETURN;
    END IF;
    INSERT INTO mpobench.qa_failures (run_id, seq, cause, launched_end, fiber, wavelength_nm)
    SELECT count_qa_failures.run_id, f.seq,
           CASE f.item ->> 'what' WHEN 'il_mean' THEN 'il' ELSE f.item ->> 'what' END,
           coalesce(f.item ->> 'end', ''), coalesce((f.item ->> 'fiber')::integer, 0),
           coalesce((f.item ->> 'wavelength_nm')::integer, 0)
    FROM jsonb_array_elements(coalesce(run -> 'failures', '[]'::jsonb))
         WITH ORDINALITY AS f (item, seq)
    WHERE mpobench.grade_rank(f.item ->> 'grade') <= mpobench.grade_rank(run ->> 'target_grade')
    ON CONFLICT DO NOTHING;
END
$count$;

-- Recomputes one serial's first and latest completed production run from
-- the runs held. The caller holds the serial's advisory lock (forward) or
-- the plant alone (the backfill in plant init).
CREATE OR REPLACE FUNCTION mpobench.recount_serial(of_serial text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $recount$
DECLARE
    first_id bigint;
    first_ok boolean;
    final_id bigint;
    final_ok boolean;
BEGIN
    SELECT r.id, r.pass INTO first_id, first_ok FROM mpobench.runs r
    WHERE r.serial = of_serial AND r.kind = 'production' AND r.status = 'completed'
    ORDER BY r.started_at, r.id LIMIT 1;
    IF NOT FOUND THEN
        DELETE FROM mpobench.serials s WHERE s.serial = of_serial;
        RETURN;
    END IF;
    SELECT r.id, r.pass INTO final_id, final_ok FROM mpobench.runs r
    WHERE r.serial = of_serial AND r.kind = 'production' AND r.status = 'completed'
    ORDER BY r.started_at DESC, r.id DESC LIMIT 1;
    -- The unique indexes on first_run_id and final_run_id: free the ids first.
    DELETE FROM mpobench.serials s WHERE s.serial = of_serial;
    INSERT INTO mpobench.serials (serial, first_run_id, first_pass, final_run_id, final_pass)
    VALUES (of_serial, first_id, first_ok, final_id, final_ok);
END
$recount$;

-- The backfill: once, when the columns and tables above are new (a plant
-- made by the first slice); a run stored by mpobench_forward has them.
DO $backfill$
BEGIN
    IF EXISTS (SELECT FROM mpobench.runs WHERE retries IS NULL) THEN
        UPDATE mpobench.runs
        SET operator = coalesce(payload -> 'run' ->> 'operator', ''),
            retries = coalesce((payload -> 'run' ->> 'retries')::integer, 0),
            target_grade = payload -> 'run' ->> 'target_grade'
        WHERE retries IS NULL;
        UPDATE mpobench.measurements m
        SET rl_above_db = (r.payload -> 'run' -> 'measurements' -> (m.seq - 1) ->> 'rl_above_db')::double precision
        FROM mpobench.runs r
        WHERE r.id = m.run_id AND m.rl_above_db IS NULL;
        PERFORM mpobench.count_qa_failures(r.id, r.payload -> 'run') FROM mpobench.runs r;
        PERFORM mpobench.recount_serial(s.serial) FROM (SELECT DISTINCT serial FROM mpobench.runs) s;
    END IF;
END
$backfill$;
ALTER TABLE mpobench.runs ALTER COLUMN operator SET NOT NULL;
ALTER TABLE mpobench.runs ALTER COLUMN retries SET NOT NULL;

-- ---- QA day buckets (README "Plant QA"): what the yield, Pareto and trend
-- read instead of the runs, as a station's SQLite rollups are (db/qa_rollups.hpp):
-- one row per local day x part x station x operator, and one per day over
-- all of them (whole_day: part '', station the nil UUID, operator ''), so
-- that a plant of millions of runs answers from thousands of rows. The day
-- is started_at's calendar day in the plant's zone, fixed when plant init
-- first ran (the session's TimeZone then: the server's, or PGTZ's); QA
-- asking from another zone reads the runs instead. Kept by mpobench_forward
-- in its transaction (a late arrival that moves a serial's first or final
-- run moves that count between the two runs' buckets); filled here from
-- the runs when they are new (filled = false).
CREATE TABLE IF NOT EXISTS mpobench.plant_settings (
    one_row   boolean PRIMARY KEY DEFAULT true CHECK (one_row),
    time_zone text NOT NULL,
    filled    boolean NOT NULL DEFAULT false  -- the buckets hold every run
);
INSERT INTO mpobench.plant_settings (time_zone) VALUES (current_setting('TimeZone'))
ON CONFLICT DO NOTHING;

-- What the yield counts, as mpobench.runs and mpobench.serials give it.
CREATE TABLE IF NOT EXISTS mpobench.qa_day_yield (
    whole_day      boolean NOT NULL,
    day            date NOT NULL,
    part           text NOT NULL,
    station_uuid   uuid NOT NULL,
    operator       text NOT NULL,
    completed      bigint NOT NULL,
    passed         bigint NOT NULL,
    aborted        bigint NOT NULL,
    interrupted    bigint NOT NULL,
    first_tested   bigint NOT NULL,  -- serials whose first completed run is here
    first_passed   bigint NOT NULL,
    final_tested   bigint NOT NULL,  -- serials whose latest completed run is here
    final_passed   bigint NOT NULL,
    grade_fail     bigint NOT NULL,
    grade_generic  bigint NOT NULL,
    grade_standard bigint NOT NULL,
    grade_elite    bigint NOT NULL,
    retries        bigint NOT NULL,
    PRIMARY KEY (whole_day, day, part, station_uuid, operator)
);
-- Runs per cause (a run once per cause), from mpobench.qa_failures.
CREATE TABLE IF NOT EXISTS mpobench.qa_day_causes (
    whole_day    boolean NOT NULL,
    day          date NOT NULL,
    part         text NOT NULL,
    station_uuid uuid NOT NULL,
    operator     text NOT NULL,
    cause        text NOT NULL,
    runs         bigint NOT NULL,
    PRIMARY KEY (whole_day, day, part, station_uuid, operator, cause)
);
-- Failures per cause x end x fibre x wavelength, from mpobench.qa_failures.
CREATE TABLE IF NOT EXISTS mpobench.qa_day_failures (
    whole_day     boolean NOT NULL,
    day           date NOT NULL,
    part          text NOT NULL,
    station_uuid  uuid NOT NULL,
    operator      text NOT NULL,
    cause         text NOT NULL,
    launched_end  text NOT NULL,
    fiber         integer NOT NULL,
    wavelength_nm integer NOT NULL,
    failures      bigint NOT NULL,
    PRIMARY KEY (whole_day, day, part, station_uuid, operator, cause, launched_end, fiber,
                 wavelength_nm)
);
-- The whole days' rows of the two largest tables, read without the heap
-- (an index-only scan: what a Pareto or trend over months reads).
CREATE INDEX IF NOT EXISTS qa_day_failures_whole_days
    ON mpobench.qa_day_failures (day, cause, launched_end, fiber, wavelength_nm)
    INCLUDE (failures) WHERE whole_day;
-- IL readings (cycle 0, status ok, of completed runs) per wavelength and
-- 0.01 dB bin as the trend's histogram takes them (analysis::IlHistogram:
-- from -0.10 dB, 400 bins, the first and last bin holding what is beyond).
CREATE TABLE IF NOT EXISTS mpobench.qa_day_il (
    whole_day      boolean NOT NULL,
    day            date NOT NULL,
    part           text NOT NULL,
    station_uuid   uuid NOT NULL,
    operator       text NOT NULL,
    wavelength_nm  integer NOT NULL,
    bin            integer NOT NULL CHECK (bin BETWEEN 0 AND 399),
    readings       bigint NOT NULL,
    sum_db         double precision NOT NULL,
    sum_squares_db double precision NOT NULL,
    min_db         double precision NOT NULL,
    max_db         double precision NOT NULL,
    PRIMARY KEY (whole_day, day, part, station_uuid, operator, wavelength_nm, bin)
);
CREATE INDEX IF NOT EXISTS qa_day_il_whole_days
    ON mpobench.qa_day_il (day, wavelength_nm, bin)
    INCLUDE (readings, sum_db, sum_squares_db, min_db, max_db) WHERE whole_day;
-- RL readings (cycle 0, status ok, of completed runs) per wavelength:
-- values and bounds (rl_above_db without rl_db) counted apart.
CREATE TABLE IF NOT EXISTS mpobench.qa_day_rl (
    whole_day       boolean NOT NULL,
    day             date NOT NULL,
    part            text NOT NULL,
    station_uuid    uuid NOT NULL,
    operator        text NOT NULL,
    wavelength_nm   integer NOT NULL,
    rl_values       bigint NOT NULL,
    above_range     bigint NOT NULL,
    worst_db        double precision,
    lowest_bound_db double precision,
    PRIMARY KEY (whole_day, day, part, station_uuid, operator, wavelength_nm)
);

-- The two buckets of a run: its own and its day's.
CREATE OR REPLACE FUNCTION mpobench.qa_places(of_started_at timestamptz, of_part text,
                                              of_station_uuid uuid, of_operator text)
RETURNS TABLE (whole_day boolean, day date, part text, station_uuid uuid, operator text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT w.whole_day,
           (of_started_at AT TIME ZONE (SELECT s.time_zone FROM mpobench.plant_settings s))::date,
           CASE WHEN w.whole_day THEN '' ELSE of_part END,
           CASE WHEN w.whole_day THEN '00000000-0000-0000-0000-000000000000'::uuid
                ELSE of_station_uuid END,
           CASE WHEN w.whole_day THEN '' ELSE of_operator END
    FROM (VALUES (false), (true)) AS w (whole_day)
$$;

-- The IL bin of a reading, as analysis::IlHistogram::add computes it
-- (inlined where it is called: no SET clause).
CREATE OR REPLACE FUNCTION mpobench.il_bin(il_db double precision)
RETURNS integer
LANGUAGE sql IMMUTABLE
AS $$ SELECT greatest(0, least(399, floor((il_db - float8 '-0.1') / float8 '0.01' + float8 '1e-9')))::integer $$;

-- Adds one production run just stored to the buckets: its own counts, its
-- failures and readings, and the moves of its serial's first and final
-- run (old and new ids; NULL: none, or no move). Each table's rows are
-- updated in key order, the tables in this order, so that concurrent
-- forwards wait for each other but never deadlock.
CREATE OR REPLACE FUNCTION mpobench.count_qa_buckets(run_id bigint, old_first bigint,
                                                     new_first bigint, old_final bigint,
                                                     new_final bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $count$
BEGIN
    IF old_first = new_first THEN
        old_first := NULL;
        new_first := NULL;
    END IF;
    IF old_final = new_final THEN
        old_final := NULL;
        new_final := NULL;
    END IF;
    INSERT INTO mpobench.qa_day_yield AS y
        (whole_day, day, part, station_uuid, operator, completed, passed, aborted, interrupted,
         first_tested, first_passed, final_tested, final_passed, grade_fail, grade_generic,
         grade_standard, grade_elite, retries)
    SELECT p.whole_day, p.day, p.part, p.station_uuid, p.operator,
           sum(d.own * (r.status = 'completed')::integer),
           sum(d.own * (r.status = 'completed' AND r.pass)::integer),
           sum(d.own * (r.status = 'aborted')::integer),
           sum(d.own * (r.status = 'interrupted')::integer),
           sum(d.first), sum(d.first * r.pass::integer),
           sum(d.final), sum(d.final * r.pass::integer),
           sum(d.own * (r.status = 'completed' AND r.grade = 'fail')::integer),
           sum(d.own * (r.status = 'completed' AND r.grade = 'generic')::integer),
           sum(d.own * (r.status = 'completed' AND r.grade = 'standard')::integer),
           sum(d.own * (r.status = 'completed' AND r.grade = 'elite')::integer),
           sum(d.own * r.retries)
    FROM (VALUES (count_qa_buckets.run_id, 1, 0, 0), (old_first, 0, -1, 0), (new_first, 0, 1, 0),
                 (old_final, 0, 0, -1), (new_final, 0, 0, 1)) AS d (id, own, first, final)
    JOIN mpobench.runs r ON r.id = d.id
    CROSS JOIN LATERAL mpobench.qa_places(r.started_at, r.part, r.station_uuid, r.operator) p
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (whole_day, day, part, station_uuid, operator) DO UPDATE
    SET completed = y.completed + excluded.completed, passed = y.passed + excluded.passed,
        aborted = y.aborted + excluded.aborted, interrupted = y.interrupted + excluded.interrupted,
        first_tested = y.first_tested + excluded.first_tested,
        first_passed = y.first_passed + excluded.first_passed,
        final_tested = y.final_tested + excluded.final_tested,
        final_passed = y.final_passed + excluded.final_passed,
        grade_fail = y.grade_fail + excluded.grade_fail,
        grade_generic = y.grade_generic + excluded.grade_generic,
        grade_standard = y.grade_standard + excluded.grade_standard,
        grade_elite = y.grade_elite + excluded.grade_elite, retries = y.retries + excluded.retries;

    INSERT INTO mpobench.qa_day_causes AS c
        (whole_day, day, part, station_uuid, operator, cause, runs)
    SELECT p.whole_day, p.day, p.part, p.station_uuid, p.operator, f.cause, count(DISTINCT f.run_id)
    FROM mpobench.qa_failures f
    JOIN mpobench.runs r ON r.id = f.run_id
    CROSS JOIN LATERAL mpobench.qa_places(r.started_at, r.part, r.station_uuid, r.operator) p
    WHERE f.run_id = count_qa_buckets.run_id
    GROUP BY 1, 2, 3, 4, 5, 6
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (whole_day, day, part, station_uuid, operator, cause) DO UPDATE
    SET runs = c.runs + excluded.runs;

    INSERT INTO mpobench.qa_day_failures AS c
        (whole_day, day, part, station_uuid, operator, cause, launched_end, fiber, wavelength_nm,
         failures)
    SELECT p.whole_day, p.day, p.part, p.station_uuid, p.operator, f.cause, f.launched_end,
           f.fiber, f.wavelength_nm, count(*)
    FROM mpobench.qa_failures f
    JOIN mpobench.runs r ON r.id = f.run_id
    CROSS JOIN LATERAL mpobench.qa_places(r.started_at, r.part, r.station_uuid, r.operator) p
    WHERE f.run_id = count_qa_buckets.run_id
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    ON CONFLICT (whole_day, day, part, station_uuid, operator, cause, launched_end, fiber,
                 wavelength_nm) DO UPDATE
    SET failures = c.failures + excluded.failures;

    INSERT INTO mpobench.qa_day_il AS b
        (whole_day, day, part, station_uuid, operator, wavelength_nm, bin, readings, sum_db,
         sum_squares_db, min_db, max_db)
    SELECT p.whole_day, p.day, p.part, p.station_uuid, p.operator, m.wavelength_nm,
           mpobench.il_bin(m.il_db), count(*), sum(m.il_db), sum(m.il_db * m.il_db), min(m.il_db),
           max(m.il_db)
    FROM mpobench.measurements m
    JOIN mpobench.runs r ON r.id = m.run_id
    CROSS JOIN LATERAL mpobench.qa_places(r.started_at, r.part, r.station_uuid, r.operator) p
    WHERE m.run_id = count_qa_buckets.run_id AND r.status = 'completed' AND m.cycle = 0
          AND m.status = 'ok' AND m.il_db IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (whole_day, day, part, station_uuid, operator, wavelength_nm, bin) DO UPDATE
    SET readings = b.readings + excluded.readings, sum_db = b.sum_db + excluded.sum_db,
        sum_squares_db = b.sum_squares_db + excluded.sum_squares_db,
        min_db = least(b.min_db, excluded.min_db), max_db = greatest(b.max_db, excluded.max_db);

    INSERT INTO mpobench.qa_day_rl AS b
        (whole_day, day, part, station_uuid, operator, wavelength_nm, rl_values, above_range,
         worst_db, lowest_bound_db)
    SELECT p.whole_day, p.day, p.part, p.station_uuid, p.operator, m.wavelength_nm,
           count(m.rl_db), count(*) FILTER (WHERE m.rl_db IS NULL), min(m.rl_db),
           min(m.rl_above_db) FILTER (WHERE m.rl_db IS NULL)
    FROM mpobench.measurements m
    JOIN mpobench.runs r ON r.id = m.run_id
    CROSS JOIN LATERAL mpobench.qa_places(r.started_at, r.part, r.station_uuid, r.operator) p
    WHERE m.run_id = count_qa_buckets.run_id AND r.status = 'completed' AND m.cycle = 0
          AND m.status = 'ok' AND (m.rl_db IS NOT NULL OR m.rl_above_db IS NOT NULL)
    GROUP BY 1, 2, 3, 4, 5, 6
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (whole_day, day, part, station_uuid, operator, wavelength_nm) DO UPDATE
    SET rl_values = b.rl_values + excluded.rl_values,
        above_range = b.above_range + excluded.above_range,
        worst_db = least(b.worst_db, excluded.worst_db),
        lowest_bound_db = least(b.lowest_bound_db, excluded.lowest_bound_db);
END
$count$;

-- Empties the buckets and counts them again from the runs, the serials and
-- the failures, in sets (plant init's backfill; bench/plant_qa.sh after
-- filling runs server-side). The caller holds the plant alone.
CREATE OR REPLACE FUNCTION mpobench.fill_qa_buckets()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fill$
DECLARE
    zone text := (SELECT s.time_zone FROM mpobench.plant_settings s);
    nil  uuid := '00000000-0000-0000-0000-000000000000';
BEGIN
    TRUNCATE mpobench.qa_day_yield, mpobench.qa_day_causes, mpobench.qa_day_failures,
             mpobench.qa_day_il, mpobench.qa_day_rl;
    -- Each query groups by the run's bucket and by its day alone
    -- (GROUPING(r.part) = 1: the whole day's row).
    INSERT INTO mpobench.qa_day_yield
        (whole_day, day, part, station_uuid, operator, completed, passed, aborted, interrupted,
         first_tested, first_passed, final_tested, final_passed, grade_fail, grade_generic,
         grade_standard, grade_elite, retries)
    SELECT GROUPING(r.part) = 1, d.day, coalesce(r.part, ''), coalesce(r.station_uuid, nil),
           coalesce(r.operator, ''),
           count(*) FILTER (WHERE r.status = 'completed'),
           count(*) FILTER (WHERE r.status = 'completed' AND r.pass),
           count(*) FILTER (WHERE r.status = 'aborted'),
           count(*) FILTER (WHERE r.status = 'interrupted'),
           count(first_of.serial), count(first_of.serial) FILTER (WHERE r.pass),
           count(final_of.serial), count(final_of.serial) FILTER (WHERE r.pass),
           count(*) FILTER (WHERE r.status = 'completed' AND r.grade = 'fail'),
           count(*) FILTER (WHERE r.status = 'completed' AND r.grade = 'generic'),
           count(*) FILTER (WHERE r.status = 'completed' AND r.grade = 'standard'),
           count(*) FILTER (WHERE r.status = 'completed' AND r.grade = 'elite'),
           coalesce(sum(r.retries), 0)
    FROM mpobench.runs r
    CROSS JOIN LATERAL (SELECT (r.started_at AT TIME ZONE zone)::date AS day) d
    LEFT JOIN mpobench.serials first_of ON first_of.first_run_id = r.id
    LEFT JOIN mpobench.serials final_of ON final_of.final_run_id = r.id
    WHERE r.kind = 'production'
    GROUP BY GROUPING SETS ((d.day, r.part, r.station_uuid, r.operator), (d.day));

    INSERT INTO mpobench.qa_day_causes (whole_day, day, part, station_uuid, operator, cause, runs)
    SELECT GROUPING(r.part) = 1, d.day, coalesce(r.part, ''), coalesce(r.station_uuid, nil),
           coalesce(r.operator, ''), f.cause, count(DISTINCT f.run_id)
    FROM mpobench.qa_failures f
    JOIN mpobench.runs r ON r.id = f.run_id
    CROSS JOIN LATERAL (SELECT (r.started_at AT TIME ZONE zone)::date AS day) d
    WHERE r.kind = 'production'
    GROUP BY GROUPING SETS ((d.day, r.part, r.station_uuid, r.operator, f.cause), (d.day, f.cause));

    INSERT INTO mpobench.qa_day_failures
        (whole_day, day, part, station_uuid, operator, cause, launched_end, fiber, wavelength_nm,
         failures)
    SELECT GROUPING(r.part) = 1, d.day, coalesce(r.part, ''), coalesce(r.station_uuid, nil),
           coalesce(r.operator, ''), f.cause, f.launched_end, f.fiber, f.wavelength_nm, count(*)
    FROM mpobench.qa_failures f
    JOIN mpobench.runs r ON r.id = f.run_id
    CROSS JOIN LATERAL (SELECT (r.started_at AT TIME ZONE zone)::date AS day) d
    WHERE r.kind = 'production'
    GROUP BY GROUPING SETS (
        (d.day, r.part, r.station_uuid, r.operator, f.cause, f.launched_end, f.fiber, f.wavelength_nm),
        (d.day, f.cause, f.launched_end, f.fiber, f.wavelength_nm));

    INSERT INTO mpobench.qa_day_il
        (whole_day, day, part, station_uuid, operator, wavelength_nm, bin, readings, sum_db,
         sum_squares_db, min_db, max_db)
    SELECT GROUPING(r.part) = 1, d.day, coalesce(r.part, ''), coalesce(r.station_uuid, nil),
           coalesce(r.operator, ''), m.wavelength_nm, mpobench.il_bin(m.il_db), count(*),
           sum(m.il_db), sum(m.il_db * m.il_db), min(m.il_db), max(m.il_db)
    FROM mpobench.measurements m
    JOIN mpobench.runs r ON r.id = m.run_id
    CROSS JOIN LATERAL (SELECT (r.started_at AT TIME ZONE zone)::date AS day) d
    WHERE r.kind = 'production' AND r.status = 'completed' AND m.cycle = 0 AND m.status = 'ok'
          AND m.il_db IS NOT NULL
    GROUP BY GROUPING SETS (
        (d.day, r.part, r.station_uuid, r.operator, m.wavelength_nm, mpobench.il_bin(m.il_db)),
        (d.day, m.wavelength_nm, mpobench.il_bin(m.il_db)));

    INSERT INTO mpobench.qa_day_rl
        (whole_day, day, part, station_uuid, operator, wavelength_nm, rl_values, above_range,
         worst_db, lowest_bound_db)
    SELECT GROUPING(r.part) = 1, d.day, coalesce(r.part, ''), coalesce(r.station_uuid, nil),
           coalesce(r.operator, ''), m.wavelength_nm, count(m.rl_db),
           count(*) FILTER (WHERE m.rl_db IS NULL), min(m.rl_db),
           min(m.rl_above_db) FILTER (WHERE m.rl_db IS NULL)
    FROM mpobench.measurements m
    JOIN mpobench.runs r ON r.id = m.run_id
    CROSS JOIN LATERAL (SELECT (r.started_at AT TIME ZONE zone)::date AS day) d
    WHERE r.kind = 'production' AND r.status = 'completed' AND m.cycle = 0 AND m.status = 'ok'
          AND (m.rl_db IS NOT NULL OR m.rl_above_db IS NOT NULL)
    GROUP BY GROUPING SETS ((d.day, r.part, r.station_uuid, r.operator, m.wavelength_nm),
                            (d.day, m.wavelength_nm));
    UPDATE mpobench.plant_settings SET filled = true;
END
$fill$;

REVOKE ALL ON FUNCTION mpobench.count_qa_buckets(bigint, bigint, bigint, bigint, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION mpobench.fill_qa_buckets() FROM PUBLIC;

-- The backfill: once, when the buckets are new; forwards wait meanwhile.
DO $fill_buckets$
BEGIN
    IF NOT (SELECT s.filled FROM mpobench.plant_settings s) THEN
        LOCK TABLE mpobench.runs IN SHARE ROW EXCLUSIVE MODE;
        PERFORM mpobench.fill_qa_buckets();
    END IF;
END
$fill_buckets$;

-- Stores one forwarded record whole, or refuses it. Returns 'stored', or
-- 'present' when the same UUID is already here with the same payload hash
-- (a replay: nothing changes). The same UUID with another payload hash
-- raises (SQLSTATE MPB01): refused, never overwritten.
CREATE OR REPLACE FUNCTION mpobench.mpobench_forward(payload jsonb, payload_hash text)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $forward$
DECLARE
    run_uuid uuid;
    held     text;
    new_id   bigint;
    run      jsonb := payload -> 'run';
    -- The serial's first and final completed run before and after this one.
    old_first bigint;
    old_final bigint;
    new_first bigint;
    new_final bigint;
BEGIN
    IF mpobench_forward.payload_hash IS NULL OR mpobench_forward.payload_hash !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'mpobench_forward: the payload hash is not a SHA-256 in hex'
            USING ERRCODE = '22023';
    END IF;
    IF coalesce(payload ->> 'payload_version', 'none') NOT IN ('1', '2') THEN
        RAISE EXCEPTION 'mpobench_forward: payload version % is newer than this plant accepts (1, 2): upgrade the plant database (db/plant.sql)',
            coalesce(payload ->> 'payload_version', 'none')
            USING ERRCODE = '22023';
    END IF;
    IF run IS NULL OR jsonb_typeof(run) <> 'object' OR payload ->> 'uuid' IS NULL
       OR payload ->> 'station_uuid' IS NULL THEN
        RAISE EXCEPTION 'mpobench_forward: the payload lacks its uuid, station_uuid or run'
            USING ERRCODE = '22023';
    END IF;
    run_uuid := (payload ->> 'uuid')::uuid;
    -- Serialises concurrent forwards of one UUID.
    PERFORM pg_advisory_xact_lock(hashtextextended(run_uuid::text, 0));
    SELECT r.payload_hash INTO held FROM mpobench.runs r WHERE r.uuid = run_uuid;
    IF FOUND THEN
        IF held = mpobench_forward.payload_hash THEN
            RETURN 'present';
        END IF;
        RAISE EXCEPTION 'run % is already in the plant with another payload (hash % there, % sent): refused, not overwritten',
            run_uuid, held, mpobench_forward.payload_hash
            USING ERRCODE = 'MPB01';
    END IF;
    INSERT INTO mpobench.stations (uuid, name)
    VALUES ((payload ->> 'station_uuid')::uuid, run ->> 'station')
    ON CONFLICT (uuid) DO NOTHING;
    INSERT INTO mpobench.runs (uuid, station_uuid, station_run_id, serial, part, kind, status,
                               started_at, ended_at, grade, pass, record_hash,
                               record_hash_version, payload, payload_hash, operator, retries,
                               target_grade)
    VALUES (run_uuid, (payload ->> 'station_uuid')::uuid, (payload ->> 'station_run_id')::bigint,
            run ->> 'serial', run ->> 'part', run ->> 'kind', run ->> 'status',
            (run ->> 'started_at')::timestamptz, (run ->> 'ended_at')::timestamptz,
            run ->> 'grade', (run ->> 'pass')::boolean, payload ->> 'record_hash',
            (payload ->> 'record_hash_version')::integer, payload, mpobench_forward.payload_hash,
            coalesce(run ->> 'operator', ''), coalesce((run ->> 'retries')::integer, 0),
            run ->> 'target_grade')
    RETURNING id INTO new_id;
    INSERT INTO mpobench.measurements (run_id, seq, launched_end, fiber, wavelength_nm, cycle,
                                       status, far_position, il_db, rl_db, rl_above_db)
    SELECT new_id, m.seq, m.item ->> 'end', (m.item ->> 'fiber')::integer,
           (m.item ->> 'wavelength_nm')::integer, coalesce((m.item ->> 'cycle')::integer, 0),
           m.item ->> 'status', (m.item ->> 'far_position')::integer,
           (m.item ->> 'il_db')::double precision, (m.item ->> 'rl_db')::double precision,
           (m.item ->> 'rl_above_db')::double precision
    FROM jsonb_array_elements(coalesce(run -> 'measurements', '[]'::jsonb))
         WITH ORDINALITY AS m (item, seq);
    -- The QA rollups, in this transaction. Forwards touching one serial
    -- take turns (its lock), so each recount sees the other's run.
    PERFORM mpobench.count_qa_failures(new_id, run);
    IF run ->> 'kind' = 'production' AND run ->> 'status' = 'completed' THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('mpobench serial ' || (run ->> 'serial'), 0));
        SELECT s.first_run_id, s.final_run_id INTO old_first, old_final
        FROM mpobench.serials s WHERE s.serial = run ->> 'serial';
        PERFORM mpobench.recount_serial(run ->> 'serial');
        SELECT s.first_run_id, s.final_run_id INTO new_first, new_final
        FROM mpobench.serials s WHERE s.serial = run ->> 'serial';
    END IF;
    -- The day buckets, last: their rows are the ones concurrent forwards share.
    IF run ->> 'kind' = 'production' THEN
        PERFORM mpobench.count_qa_buckets(new_id, old_first, new_first, old_final, new_final);
    END IF;
    RETURN 'stored';
END
$forward$;

REVOKE ALL ON ALL TABLES IN SCHEMA mpobench FROM PUBLIC;
REVOKE ALL ON FUNCTION mpobench.mpobench_forward(jsonb, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION mpobench.count_qa_failures(bigint, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION mpobench.recount_serial(text) FROM PUBLIC;
GRANT USAGE ON SCHEMA mpobench TO mpobench_station, mpobench_qa;
GRANT EXECUTE ON FUNCTION mpobench.mpobench_forward(jsonb, text) TO mpobench_station;
GRANT SELECT ON ALL TABLES IN SCHEMA mpobench TO mpobench_qa;

-- ---- The plant's configuration: the part catalogue, the limit sets and
-- the users every station of the plant takes (README "Parts, limits and
-- users from the plant"). Stations read them (mpobench_station: SELECT)
-- and cache them; they change only through the functions below, which
-- mpobench_admin may call (grant it to the login roles of the people who
-- keep the plant's users, limits and catalogue). Each change is kept in
-- config_log with the database role that made it. A change the rules
-- refuse raises SQLSTATE MPB02.

DO $admin_role$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mpobench_admin') THEN
        CREATE ROLE mpobench_admin NOLOGIN;
    END IF;
END
$admin_role$;

-- Who may log in to the stations' pages and with which role; as a
-- station's users table: a user is disabled, never deleted.
CREATE TABLE IF NOT EXISTS mpobench.users (
    name          text PRIMARY KEY CHECK (name <> ''),
    role          text NOT NULL CHECK (role IN ('operator', 'qa', 'admin')),
    password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    badge_sha256  text UNIQUE CHECK (badge_sha256 ~ '^[0-9a-f]{64}$'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text NOT NULL CHECK (created_by <> ''),
    disabled_at   timestamptz
);

-- Limit sets under the two-person rule: uploaded by one qa user, usable
-- once another activates it, from another database login (a --by name is
-- not a proof of who typed it; a login is); the set in use is the one
-- activated last.
CREATE TABLE IF NOT EXISTS mpobench.limit_sets (
    id             bigserial PRIMARY KEY,
    name           text NOT NULL,
    version        text NOT NULL,
    hash           text NOT NULL UNIQUE CHECK (hash <> ''),
    body           text NOT NULL,
    uploaded_by    text NOT NULL REFERENCES mpobench.users (name),
    uploaded_db_role text NOT NULL,  -- the database login that uploaded it
    uploaded_at    timestamptz NOT NULL DEFAULT now(),
    activated_by   text REFERENCES mpobench.users (name),
    activated_at   timestamptz,
    activation_seq bigint UNIQUE,
    CHECK (activated_by IS NULL OR activated_by <> uploaded_by),
    CHECK ((activated_by IS NULL) = (activated_at IS NULL)),
    CHECK ((activated_by IS NULL) = (activation_seq IS NULL))
);

-- The part catalogue (DESIGN §5, TOML) as published; the one in use is the
-- one published last.
CREATE TABLE IF NOT EXISTS mpobench.part_catalogues (
    id           bigserial PRIMARY KEY,
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    body         text NOT NULL,
    published_by text NOT NULL REFERENCES mpobench.users (name),
    published_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS mpobench.config_log (
    id      bigserial PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    db_role text NOT NULL,
    actor   text NOT NULL,
    action  text NOT NULL,
    detail  jsonb NOT NULL
);

-- The enabled qa or admin user `actor` names, for a change of limits or
-- parts; refused otherwise.
CREATE OR REPLACE FUNCTION mpobench.config_actor(actor text)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $actor$
DECLARE
    held mpobench.users;
BEGIN
    SELECT * INTO held FROM mpobench.users u WHERE u.name = actor;
    IF NOT FOUND OR held.disabled_at IS NOT NULL THEN
        RAISE EXCEPTION '%: no enabled user of that name in the plant', actor USING ERRCODE = 'MPB02';
    END IF;
    IF held.role = 'operator' THEN
        RAISE EXCEPTION '%: an operator may not change limit sets or the part catalogue; it takes a qa user', actor
            USING ERRCODE = 'MPB02';
    END IF;
    RETURN held.name;
END
$actor$;

CREATE OR REPLACE FUNCTION mpobench.log_config(actor text, action text, detail jsonb)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ INSERT INTO mpobench.config_log (db_role, actor, action, detail) VALUES (session_user, actor, action, detail) $$;

CREATE OR REPLACE FUNCTION mpobench.add_user(user_name text, user_role text, password_hash text, created_by text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $add$
BEGIN
    IF EXISTS (SELECT FROM mpobench.users u WHERE u.name = user_name) THEN
        RAISE EXCEPTION 'there is a user % already', user_name USING ERRCODE = 'MPB02';
    END IF;
    BEGIN
        INSERT INTO mpobench.users (name, role, password_hash, created_by)
        VALUES (user_name, user_role, add_user.password_hash, add_user.created_by);
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION 'there is a user % already', user_name USING ERRCODE = 'MPB02';
    END;
    PERFORM mpobench.log_config(created_by, 'user.add', jsonb_build_object('user', user_name, 'role', user_role));
END
$add$;

CREATE OR REPLACE FUNCTION mpobench.disable_user(user_name text, actor text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $disable$
BEGIN
    UPDATE mpobench.users u SET disabled_at = now() WHERE u.name = user_name AND u.disabled_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'there is no enabled user %', user_name USING ERRCODE = 'MPB02';
    END IF;
    PERFORM mpobench.log_config(actor, 'user.disable', jsonb_build_object('user', user_name));
END
$disable$;

CREATE OR REPLACE FUNCTION mpobench.set_badge(user_name text, badge_sha256 text, actor text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $badge$
BEGIN
    IF EXISTS (SELECT FROM mpobench.users u WHERE u.badge_sha256 = set_badge.badge_sha256 AND u.name <> user_name) THEN
        RAISE EXCEPTION 'that badge is another user''s' USING ERRCODE = 'MPB02';
    END IF;
    UPDATE mpobench.users u SET badge_sha256 = set_badge.badge_sha256
    WHERE u.name = user_name AND u.disabled_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'there is no enabled user %', user_name USING ERRCODE = 'MPB02';
    END IF;
    PERFORM mpobench.log_config(actor, 'user.badge', jsonb_build_object('user', user_name));
END
$badge$;

CREATE OR REPLACE FUNCTION mpobench.upload_limit_set(set_name text, set_version text, set_hash text, set_body text, actor text)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $upload$
DECLARE
    by_name text := mpobench.config_actor(actor);
    new_id  bigint;
BEGIN
    IF EXISTS (SELECT FROM mpobench.limit_sets l WHERE l.hash = set_hash) THEN
        RAISE EXCEPTION 'the same limits were uploaded already (hash %)', set_hash USING ERRCODE = 'MPB02';
    END IF;
    BEGIN
        INSERT INTO mpobench.limit_sets (name, version, hash, body, uploaded_by, uploaded_db_role)
        VALUES (set_name, set_version, set_hash, set_body, by_name, session_user)
        RETURNING id INTO new_id;
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION 'the same limits were uploaded already (hash %)', set_hash USING ERRCODE = 'MPB02';
    END;
    PERFORM mpobench.log_config(by_name, 'limits.upload',
        jsonb_build_object('id', new_id, 'name', set_name, 'version', set_version, 'hash', set_hash));
    RETURN new_id;
END
$upload$;

CREATE OR REPLACE FUNCTION mpobench.activate_limit_set(set_id bigint, actor text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $activate$
DECLARE
    by_name text := mpobench.config_actor(actor);
    held    mpobench.limit_sets;
BEGIN
    -- Activations take turns: activation_seq counts them.
    LOCK TABLE mpobench.limit_sets IN SHARE ROW EXCLUSIVE MODE;
    SELECT * INTO held FROM mpobench.limit_sets l WHERE l.id = set_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no limit set % was uploaded to the plant', set_id USING ERRCODE = 'MPB02';
    END IF;
    IF held.activated_by IS NOT NULL THEN
        RAISE EXCEPTION 'limit set % was activated already by %', set_id, held.activated_by USING ERRCODE = 'MPB02';
    END IF;
    IF held.uploaded_by = by_name THEN
        RAISE EXCEPTION '% uploaded limit set %: another qa user must activate it (two-person rule)', by_name, set_id
            USING ERRCODE = 'MPB02';
    END IF;
    IF held.uploaded_db_role = session_user THEN
        RAISE EXCEPTION 'the database login % uploaded limit set %: another person''s login must activate it (two-person rule)', session_user, set_id
            USING ERRCODE = 'MPB02';
    END IF;
    UPDATE mpobench.limit_sets l
    SET activated_by = by_name, activated_at = now(),
        activation_seq = (SELECT coalesce(max(activation_seq), 0) + 1 FROM mpobench.limit_sets)
    WHERE l.id = set_id;
    PERFORM mpobench.log_config(by_name, 'limits.activate',
        jsonb_build_object('id', set_id, 'name', held.name, 'version', held.version, 'hash', held.hash,
                           'uploaded_by', held.uploaded_by));
END
$activate$;

CREATE OR REPLACE FUNCTION mpobench.publish_part_catalogue(catalogue_body text, catalogue_sha256 text, actor text)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $publish$
DECLARE
    by_name text := mpobench.config_actor(actor);
    new_id  bigint;
BEGIN
    INSERT INTO mpobench.part_catalogues (sha256, body, published_by)
    VALUES (catalogue_sha256, catalogue_body, by_name)
    RETURNING id INTO new_id;
    PERFORM mpobench.log_config(by_name, 'parts.publish',
        jsonb_build_object('id', new_id, 'sha256', catalogue_sha256));
    RETURN new_id;
END
$publish$;

REVOKE ALL ON FUNCTION mpobench.config_actor(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION mpobench.log_config(text, text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION mpobench.add_user(text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION mpobench.disable_user(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION mpobench.set_badge(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION mpobench.upload_limit_set(text, text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION mpobench.activate_limit_set(bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION mpobench.publish_part_catalogue(text, text, text) FROM PUBLIC;
REVOKE ALL ON mpobench.users, mpobench.limit_sets, mpobench.part_catalogues, mpobench.config_log FROM PUBLIC;
GRANT USAGE ON SCHEMA mpobench TO mpobench_admin;
GRANT EXECUTE ON FUNCTION mpobench.add_user(text, text, text, text),
                          mpobench.disable_user(text, text),
                          mpobench.set_badge(text, text, text),
                          mpobench.upload_limit_set(text, text, text, text, text),
                          mpobench.activate_limit_set(bigint, text),
                          mpobench.publish_part_catalogue(text, text, text)
    TO mpobench_admin;
GRANT SELECT ON mpobench.users, mpobench.limit_sets, mpobench.part_catalogues TO mpobench_station, mpobench_admin;
GRANT SELECT ON mpobench.users, mpobench.limit_sets, mpobench.part_catalogues, mpobench.config_log TO mpobench_qa;
GRANT SELECT ON mpobench.config_log TO mpobench_admin;
