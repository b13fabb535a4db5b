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
        PERFORM mpobench.recount_serial(run ->> 'serial');
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
