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

-- One row per forwarded run, never updated: a UUID arrives once.
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
                               record_hash_version, payload, payload_hash)
    VALUES (run_uuid, (payload ->> 'station_uuid')::uuid, (payload ->> 'station_run_id')::bigint,
            run ->> 'serial', run ->> 'part', run ->> 'kind', run ->> 'status',
            (run ->> 'started_at')::timestamptz, (run ->> 'ended_at')::timestamptz,
            run ->> 'grade', (run ->> 'pass')::boolean, payload ->> 'record_hash',
            (payload ->> 'record_hash_version')::integer, payload, mpobench_forward.payload_hash)
    RETURNING id INTO new_id;
    INSERT INTO mpobench.measurements (run_id, seq, launched_end, fiber, wavelength_nm, cycle,
                                       status, far_position, il_db, rl_db)
    SELECT new_id, m.seq, m.item ->> 'end', (m.item ->> 'fiber')::integer,
           (m.item ->> 'wavelength_nm')::integer, coalesce((m.item ->> 'cycle')::integer, 0),
           m.item ->> 'status', (m.item ->> 'far_position')::integer,
           (m.item ->> 'il_db')::double precision, (m.item ->> 'rl_db')::double precision
    FROM jsonb_array_elements(coalesce(run -> 'measurements', '[]'::jsonb))
         WITH ORDINALITY AS m (item, seq);
    RETURN 'stored';
END
$forward$;

REVOKE ALL ON ALL TABLES IN SCHEMA mpobench FROM PUBLIC;
REVOKE ALL ON FUNCTION mpobench.mpobench_forward(jsonb, text) FROM PUBLIC;
GRANT USAGE ON SCHEMA mpobench TO mpobench_station, mpobench_qa;
GRANT EXECUTE ON FUNCTION mpobench.mpobench_forward(jsonb, text) TO mpobench_station;
GRANT SELECT ON ALL TABLES IN SCHEMA mpobench TO mpobench_qa;
