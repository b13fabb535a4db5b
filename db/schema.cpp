#include "db/schema.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdint>

#include "vocabulary/logger.hpp"

namespace mpobench::db::schema {

namespace {

// "MPOB": tells an mpobench database from any other SQLite file.
constexpr std::int64_t application_id = 0x4D504F42;

struct Migration {
    int version;
    const char* description;
    const char* sql;
};

// Times are UTC ISO-8601 text with milliseconds (2026-11-24T21:48:16.123Z):
// fixed width, so text order is time order and the indexes serve ranges.
// Records are append-only; triggers enforce it for anyone who opens the
// file with another tool, too.
constexpr const char* schema_v1 = R"sql(
CREATE TABLE stations (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
) STRICT;

-- An instrument as identified at test time (*IDN? and calibration due);
-- a new firmware or calibration date is a new row.
CREATE TABLE instruments (
    id              INTEGER PRIMARY KEY,
    station_id      INTEGER NOT NULL REFERENCES stations(id),
    name            TEXT NOT NULL,
    role            TEXT NOT NULL,
    model_key       TEXT NOT NULL,
    resource        TEXT NOT NULL,
    vendor          TEXT NOT NULL,
    model           TEXT NOT NULL,
    serial          TEXT NOT NULL,
    firmware        TEXT NOT NULL,
    calibration_due TEXT NOT NULL,
    UNIQUE (station_id, name, role, model_key, resource, vendor, model, serial, firmware,
            calibration_due)
) STRICT;

-- A part definition as tested; a catalogue change is a new row.
CREATE TABLE parts (
    id             INTEGER PRIMARY KEY,
    number         TEXT NOT NULL,
    description    TEXT NOT NULL,
    fibers         INTEGER NOT NULL CHECK (fibers > 0),
    mode           TEXT NOT NULL CHECK (mode IN ('MM', 'SM')),
    polarity       TEXT NOT NULL CHECK (polarity IN ('A', 'B', 'C')),
    target_grade   TEXT NOT NULL CHECK (target_grade IN ('fail', 'generic', 'standard', 'elite')),
    length_m       REAL NOT NULL,
    wavelengths_nm TEXT NOT NULL,
    mating_cycles  INTEGER NOT NULL CHECK (mating_cycles >= 0),
    UNIQUE (number, description, fibers, mode, polarity, target_grade, length_m, wavelengths_nm,
            mating_cycles)
) STRICT;

CREATE TABLE limit_sets (
    id        INTEGER PRIMARY KEY,
    name      TEXT NOT NULL,
    version   TEXT NOT NULL,
    hash      TEXT NOT NULL UNIQUE CHECK (hash <> ''),
    body      TEXT NOT NULL,
    stored_at TEXT NOT NULL
) STRICT;
CREATE TRIGGER limit_sets_never_change BEFORE UPDATE ON limit_sets
BEGIN SELECT RAISE(ABORT, 'a stored limit set never changes'); END;
CREATE TRIGGER limit_sets_never_deleted BEFORE DELETE ON limit_sets
BEGIN SELECT RAISE(ABORT, 'a stored limit set is never deleted'); END;

CREATE TABLE optical_references (
    id          INTEGER PRIMARY KEY,
    station_id  INTEGER NOT NULL REFERENCES stations(id),
    operator    TEXT NOT NULL,
    taken_at    TEXT NOT NULL,
    launch_cord TEXT NOT NULL,
    mode        TEXT NOT NULL CHECK (mode IN ('MM', 'SM')),
    fibers      INTEGER NOT NULL
) STRICT;
CREATE INDEX optical_references_by_station ON optical_references (station_id, taken_at);

CREATE TABLE reference_points (
    reference_id  INTEGER NOT NULL REFERENCES optical_references(id),
    fiber         INTEGER NOT NULL,
    wavelength_nm INTEGER NOT NULL,
    power_dbm     REAL NOT NULL,
    drift_db      REAL NOT NULL,
    PRIMARY KEY (reference_id, fiber, wavelength_nm)
) STRICT;

CREATE TABLE assemblies (
    id     INTEGER PRIMARY KEY,
    serial TEXT NOT NULL UNIQUE CHECK (serial <> '')
) STRICT;

-- owner_*: the process that began the run, so a run left running by a
-- process that died can be told from one still in progress (a pid alone
-- may have been reused; start ticks and boot id tell them apart).
CREATE TABLE runs (
    id                INTEGER PRIMARY KEY,
    kind              TEXT NOT NULL CHECK (kind IN ('production', 'repeatability')),
    assembly_id       INTEGER NOT NULL REFERENCES assemblies(id),
    part_id           INTEGER NOT NULL REFERENCES parts(id),
    station_id        INTEGER NOT NULL REFERENCES stations(id),
    operator          TEXT NOT NULL,
    software_version  TEXT NOT NULL,
    started_at        TEXT NOT NULL,
    ended_at          TEXT,
    status            TEXT NOT NULL
                      CHECK (status IN ('running', 'completed', 'aborted', 'interrupted')),
    reason            TEXT NOT NULL,
    reference_id      INTEGER REFERENCES optical_references(id),
    limit_set_id      INTEGER REFERENCES limit_sets(id),
    grade             TEXT CHECK (grade IN ('fail', 'generic', 'standard', 'elite')),
    pass              INTEGER NOT NULL CHECK (pass IN (0, 1)),
    mating_cycles_run INTEGER NOT NULL CHECK (mating_cycles_run >= 0),
    owner_pid         INTEGER NOT NULL,
    owner_start_ticks INTEGER NOT NULL,
    owner_boot_id     TEXT NOT NULL
) STRICT;
CREATE INDEX runs_by_assembly ON runs (assembly_id, started_at);
CREATE INDEX runs_by_time ON runs (started_at);
CREATE INDEX runs_by_part ON runs (part_id, started_at);
CREATE INDEX runs_by_station ON runs (station_id, started_at);
CREATE INDEX runs_running ON runs (id) WHERE status = 'running';
CREATE TRIGGER runs_final_never_change BEFORE UPDATE ON runs WHEN OLD.status <> 'running'
BEGIN SELECT RAISE(ABORT, 'a finished run never changes'); END;
CREATE TRIGGER runs_never_deleted BEFORE DELETE ON runs
BEGIN SELECT RAISE(ABORT, 'a run is never deleted'); END;

CREATE TABLE run_instruments (
    run_id        INTEGER NOT NULL REFERENCES runs(id),
    position      INTEGER NOT NULL,
    instrument_id INTEGER NOT NULL REFERENCES instruments(id),
    PRIMARY KEY (run_id, position)
) STRICT, WITHOUT ROWID;
CREATE INDEX run_instruments_by_instrument ON run_instruments (instrument_id);

-- One row per reading, in the order taken (id order). cycle 0 is the
-- production measurement, 1..N the mating cycles. power_dbm is NULL when the
-- reading has no value.
CREATE TABLE measurements (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES runs(id),
    launched_end  TEXT NOT NULL CHECK (launched_end IN ('A', 'B')),
    fiber         INTEGER NOT NULL,
    wavelength_nm INTEGER NOT NULL,
    cycle         INTEGER NOT NULL CHECK (cycle >= 0),
    status        TEXT NOT NULL CHECK (status IN ('ok', 'no_light', 'overrange', 'invalid')),
    far_position  INTEGER NOT NULL CHECK (far_position >= 0),
    power_dbm     REAL,
    il_db         REAL,
    rl_db         REAL,
    taken_at      TEXT NOT NULL
) STRICT;
CREATE INDEX measurements_by_run ON measurements (run_id);
CREATE TRIGGER measurements_only_while_running BEFORE INSERT ON measurements
WHEN (SELECT status FROM runs WHERE id = NEW.run_id) IS NOT 'running'
BEGIN SELECT RAISE(ABORT, 'measurements are added only to a running run'); END;
CREATE TRIGGER measurements_never_change BEFORE UPDATE ON measurements
BEGIN SELECT RAISE(ABORT, 'a measurement never changes'); END;
CREATE TRIGGER measurements_never_deleted BEFORE DELETE ON measurements
BEGIN SELECT RAISE(ABORT, 'a measurement is never deleted'); END;

-- The polarity map: one map per launched end, one row per launched fibre.
CREATE TABLE polarity_maps (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER NOT NULL REFERENCES runs(id),
    launched_end TEXT NOT NULL CHECK (launched_end IN ('A', 'B')),
    UNIQUE (run_id, launched_end)
) STRICT;
CREATE TABLE polarity_positions (
    map_id       INTEGER NOT NULL REFERENCES polarity_maps(id),
    position     INTEGER NOT NULL CHECK (position > 0),
    far_position INTEGER NOT NULL CHECK (far_position >= 0),
    PRIMARY KEY (map_id, position)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER polarity_maps_only_while_running BEFORE INSERT ON polarity_maps
WHEN (SELECT status FROM runs WHERE id = NEW.run_id) IS NOT 'running'
BEGIN SELECT RAISE(ABORT, 'a polarity map is added only to a running run'); END;

CREATE TABLE failures (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES runs(id),
    what          TEXT NOT NULL
                  CHECK (what IN ('il', 'il_mean', 'rl', 'repeatability', 'continuity',
                                  'polarity')),
    launched_end  TEXT CHECK (launched_end IN ('A', 'B')),
    fiber         INTEGER,
    wavelength_nm INTEGER,
    value         REAL,
    limit_value   REAL,
    grade         TEXT NOT NULL CHECK (grade IN ('fail', 'generic', 'standard', 'elite'))
) STRICT;
CREATE INDEX failures_by_run ON failures (run_id);
CREATE TRIGGER failures_only_while_running BEFORE INSERT ON failures
WHEN (SELECT status FROM runs WHERE id = NEW.run_id) IS NOT 'running'
BEGIN SELECT RAISE(ABORT, 'a failure is added only to a running run'); END;
)sql";

// Record hashes, references made immutable (a certificate cites both), and
// the QA rollups (db/qa_rollups.hpp). The hashes of runs completed before
// this version and the rollups are filled in C++ after the SQL.
constexpr const char* schema_v2 = R"sql(
-- The record hash (analysis/record_hash.hpp) of every completed run, written
-- in the transaction that completes it.
CREATE TABLE run_hashes (
    run_id INTEGER PRIMARY KEY REFERENCES runs(id),
    sha256 TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64)
) STRICT;
CREATE TRIGGER run_hashes_never_change BEFORE UPDATE ON run_hashes
BEGIN SELECT RAISE(ABORT, 'a record hash never changes'); END;
CREATE TRIGGER run_hashes_never_deleted BEFORE DELETE ON run_hashes
BEGIN SELECT RAISE(ABORT, 'a record hash is never deleted'); END;

CREATE TRIGGER optical_references_never_change BEFORE UPDATE ON optical_references
BEGIN SELECT RAISE(ABORT, 'a stored reference never changes'); END;
CREATE TRIGGER optical_references_never_deleted BEFORE DELETE ON optical_references
BEGIN SELECT RAISE(ABORT, 'a stored reference is never deleted'); END;
CREATE TRIGGER reference_points_never_change BEFORE UPDATE ON reference_points
BEGIN SELECT RAISE(ABORT, 'a reference point never changes'); END;
CREATE TRIGGER reference_points_never_deleted BEFORE DELETE ON reference_points
BEGIN SELECT RAISE(ABORT, 'a reference point is never deleted'); END;

-- QA rollups of production runs: one row per local day (YYYY-MM-DD) x part
-- number x station x operator, derived from the records and rebuilt from
-- them at will. Keyed by the names QA asks for (a part number may have
-- several part rows): every query is a range scan by day, in key order,
-- without joins.
CREATE TABLE qa_yield (
    day            TEXT NOT NULL,
    part_number    TEXT NOT NULL,
    station        TEXT NOT NULL,
    operator       TEXT NOT NULL,
    completed      INTEGER NOT NULL,
    passed         INTEGER NOT NULL,
    aborted        INTEGER NOT NULL,
    interrupted    INTEGER NOT NULL,
    first_tested   INTEGER NOT NULL,
    first_passed   INTEGER NOT NULL,
    final_tested   INTEGER NOT NULL,
    final_passed   INTEGER NOT NULL,
    grade_fail     INTEGER NOT NULL,
    grade_generic  INTEGER NOT NULL,
    grade_standard INTEGER NOT NULL,
    grade_elite    INTEGER NOT NULL,
    PRIMARY KEY (day, part_number, station, operator)
) STRICT, WITHOUT ROWID;

-- Runs per failure cause (a run once per cause).
CREATE TABLE qa_causes (
    day         TEXT NOT NULL,
    part_number TEXT NOT NULL,
    station     TEXT NOT NULL,
    operator    TEXT NOT NULL,
    cause       TEXT NOT NULL,
    runs        INTEGER NOT NULL,
    PRIMARY KEY (day, part_number, station, operator, cause)
) STRICT, WITHOUT ROWID;

-- Failures per cause and position; '' and 0 where a failure names no end,
-- fibre or wavelength.
CREATE TABLE qa_failures (
    day           TEXT NOT NULL,
    part_number   TEXT NOT NULL,
    station       TEXT NOT NULL,
    operator      TEXT NOT NULL,
    cause         TEXT NOT NULL,
    launched_end  TEXT NOT NULL CHECK (launched_end IN ('', 'A', 'B')),
    fiber         INTEGER NOT NULL,
    wavelength_nm INTEGER NOT NULL,
    failures      INTEGER NOT NULL,
    PRIMARY KEY (day, part_number, station, operator, cause, launched_end, fiber, wavelength_nm)
) STRICT, WITHOUT ROWID;

-- Production IL readings per wavelength: moments, extremes and the
-- histogram (analysis::IlHistogram::encode()).
CREATE TABLE qa_il (
    day            TEXT NOT NULL,
    part_number    TEXT NOT NULL,
    station        TEXT NOT NULL,
    operator       TEXT NOT NULL,
    wavelength_nm  INTEGER NOT NULL,
    readings       INTEGER NOT NULL CHECK (readings > 0),
    sum_db         REAL NOT NULL,
    sum_squares_db REAL NOT NULL,
    min_db         REAL NOT NULL,
    max_db         REAL NOT NULL,
    histogram      BLOB NOT NULL,
    PRIMARY KEY (day, part_number, station, operator, wavelength_nm)
) STRICT, WITHOUT ROWID;
)sql";

// RL bounds, versioned record hashes and retries. An RL beyond the RL module's range
// is kept apart from every RL value (rl_db stays NULL): no bound is ever
// averaged into a statistic. Every hash names the canonical form it was
// computed over (analysis/record_hash.hpp); the hashes stored before this
// version are of form 1, the only one there was.
constexpr const char* schema_v3 = R"sql(
ALTER TABLE measurements ADD COLUMN rl_above_db REAL
    CHECK (rl_above_db IS NULL OR rl_db IS NULL);
ALTER TABLE run_hashes ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
-- The retries a run spent on transient instrument faults (lost or garbled
-- replies asked again): a station health signal, summed in the yield
-- rollup. Runs and rollups from before count none.
ALTER TABLE runs ADD COLUMN retries INTEGER NOT NULL DEFAULT 0 CHECK (retries >= 0);
ALTER TABLE qa_yield ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
)sql";

// The RL rollup: RL values and RL bounds of production readings kept apart,
// a bound being a censored reading that no statistic may average. Filled
// from the records after the SQL (db/qa_rollups.hpp).
constexpr const char* schema_v4 = R"sql(
CREATE TABLE qa_rl (
    day             TEXT NOT NULL,
    part_number     TEXT NOT NULL,
    station         TEXT NOT NULL,
    operator        TEXT NOT NULL,
    wavelength_nm   INTEGER NOT NULL,
    measured        INTEGER NOT NULL CHECK (measured >= 0),
    above_range     INTEGER NOT NULL CHECK (above_range >= 0),
    worst_db        REAL,
    lowest_bound_db REAL,
    CHECK (measured + above_range > 0),
    CHECK ((measured = 0) = (worst_db IS NULL)),
    CHECK ((above_range = 0) = (lowest_bound_db IS NULL)),
    PRIMARY KEY (day, part_number, station, operator, wavelength_nm)
) STRICT, WITHOUT ROWID;
)sql";

// Cord wear: every cord in the measurement path (a launch cord, a receive
// cord) and the matings the bench asked for on it since it was first used
// or last re-qualified, with each re-qualification kept; a reference records
// its launch cord's count when it was taken.
constexpr const char* schema_v5 = R"sql(
CREATE TABLE cords (
    cord_id       TEXT PRIMARY KEY CHECK (length(cord_id) > 0),
    matings       INTEGER NOT NULL DEFAULT 0 CHECK (matings >= 0),
    total_matings INTEGER NOT NULL DEFAULT 0 CHECK (total_matings >= matings),
    since         TEXT NOT NULL
) STRICT;
CREATE TABLE cord_requalifications (
    id             INTEGER PRIMARY KEY,
    cord_id        TEXT NOT NULL REFERENCES cords(cord_id),
    at             TEXT NOT NULL,
    operator       TEXT NOT NULL CHECK (length(operator) > 0),
    reason         TEXT NOT NULL CHECK (length(reason) > 0),
    matings_before INTEGER NOT NULL CHECK (matings_before >= 0)
) STRICT;
ALTER TABLE optical_references ADD COLUMN launch_cord_matings INTEGER
    CHECK (launch_cord_matings IS NULL OR launch_cord_matings >= 0);
)sql";

// The retest policy: the reason code a retest after a failure gave, kept
// with the run, and each QA release of a serial held for its attempts (who,
// why, how many attempts it had); attempts count again from a release.
constexpr const char* schema_v6 = R"sql(
ALTER TABLE runs ADD COLUMN retest_reason TEXT
    CHECK (retest_reason IS NULL OR length(retest_reason) > 0);
CREATE TABLE serial_releases (
    id          INTEGER PRIMARY KEY,
    serial      TEXT NOT NULL CHECK (length(serial) > 0),
    at          TEXT NOT NULL,
    released_by TEXT NOT NULL CHECK (length(released_by) > 0),
    reason      TEXT NOT NULL CHECK (length(reason) > 0),
    attempts    INTEGER NOT NULL CHECK (attempts >= 0)
) STRICT;
CREATE INDEX serial_releases_by_serial ON serial_releases (serial, at);
)sql";

// Bag labels (issue 12, item 9): every print and reprint of a run's label,
// and every attempt that failed (error set), so QA sees how many labels of
// one assembly are out there. Only a completed, passing production run has a
// label; rows are never changed or deleted. Not part of the run's record
// (nor of its hash): a label is printed after the record is final.
constexpr const char* schema_v7 = R"sql(
CREATE TABLE label_prints (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    printed_at  TEXT NOT NULL,
    destination TEXT NOT NULL CHECK (destination <> ''),
    reprint     INTEGER NOT NULL CHECK (reprint IN (0, 1)),
    operator    TEXT NOT NULL,
    command     TEXT NOT NULL CHECK (command IN ('test', 'label')),
    error       TEXT CHECK (error IS NULL OR error <> '')
) STRICT;
CREATE INDEX label_prints_by_run ON label_prints (run_id, printed_at);
CREATE TRIGGER label_prints_only_of_passing_runs BEFORE INSERT ON label_prints
WHEN NOT EXISTS (SELECT 1 FROM runs WHERE id = NEW.run_id AND kind = 'production'
                 AND status = 'completed' AND pass = 1)
BEGIN SELECT RAISE(ABORT, 'a label is only for a completed, passing production run'); END;
CREATE TRIGGER label_prints_never_change BEFORE UPDATE ON label_prints
BEGIN SELECT RAISE(ABORT, 'a label print is never changed'); END;
CREATE TRIGGER label_prints_never_deleted BEFORE DELETE ON label_prints
BEGIN SELECT RAISE(ABORT, 'a label print is never deleted'); END;
)sql";

// Golden assemblies: the known IL of each reading of a reference assembly
// (copied from the completed run chosen as its baseline), and every check of
// a station against one — stored whole when the check ends, like a
// reference, with its verdict and the bias it found per wavelength.
constexpr const char* schema_v8 = R"sql(
CREATE TABLE golden_assemblies (
    serial        TEXT PRIMARY KEY CHECK (length(serial) > 0),
    part_number   TEXT NOT NULL,
    source_run_id INTEGER NOT NULL REFERENCES runs(id),
    added_at      TEXT NOT NULL,
    added_by      TEXT NOT NULL CHECK (length(added_by) > 0)
) STRICT;
CREATE TABLE golden_values (
    serial        TEXT NOT NULL REFERENCES golden_assemblies(serial),
    launched_end  TEXT NOT NULL CHECK (launched_end IN ('A', 'B')),
    fiber         INTEGER NOT NULL CHECK (fiber >= 1),
    wavelength_nm INTEGER NOT NULL,
    il_db         REAL NOT NULL,
    PRIMARY KEY (serial, launched_end, fiber, wavelength_nm)
) STRICT, WITHOUT ROWID;
CREATE TABLE golden_checks (
    id                 INTEGER PRIMARY KEY,
    station            TEXT NOT NULL,
    serial             TEXT NOT NULL REFERENCES golden_assemblies(serial),
    at                 TEXT NOT NULL,
    operator           TEXT NOT NULL,
    reference_id       INTEGER REFERENCES optical_references(id),
    pass               INTEGER NOT NULL CHECK (pass IN (0, 1)),
    il_tolerance_db    REAL NOT NULL CHECK (il_tolerance_db > 0),
    compared           INTEGER NOT NULL CHECK (compared >= 0),
    worst_deviation_db REAL NOT NULL,
    worst_where        TEXT NOT NULL,
    missing            TEXT
) STRICT;
CREATE INDEX golden_checks_by_station ON golden_checks (station, at);
CREATE TABLE golden_check_bias (
    check_id      INTEGER NOT NULL REFERENCES golden_checks(id),
    wavelength_nm INTEGER NOT NULL,
    mean_bias_db  REAL NOT NULL,
    readings      INTEGER NOT NULL CHECK (readings > 0),
    PRIMARY KEY (check_id, wavelength_nm)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER golden_checks_never_change BEFORE UPDATE ON golden_checks
BEGIN SELECT RAISE(ABORT, 'a golden check never changes'); END;
CREATE TRIGGER golden_values_never_change BEFORE UPDATE ON golden_values
BEGIN SELECT RAISE(ABORT, 'a golden assembly''s known values never change'); END;
)sql";

// Station users: who may log in to the station's web pages and with which
// role; a password kept only as its argon2id hash; a user is disabled, never
// deleted, so every name the records carry stays known.
constexpr const char* schema_v9 = R"sql(
CREATE TABLE users (
    name          TEXT PRIMARY KEY CHECK (length(name) > 0),
    role          TEXT NOT NULL CHECK (role IN ('operator', 'qa', 'admin')),
    password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL CHECK (length(created_by) > 0),
    disabled_at   TEXT
) STRICT;
CREATE TRIGGER users_never_deleted BEFORE DELETE ON users
BEGIN SELECT RAISE(ABORT, 'a user is disabled, never deleted'); END;
)sql";

// The audit log (analysis/audit.hpp): append-only, a hash chain.
constexpr const char* schema_v10 = R"sql(
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY CHECK (id >= 1),
    at          TEXT NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('cli', 'web')),
    os_user     TEXT NOT NULL,
    actor       TEXT NOT NULL,
    host        TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (length(action) > 0),
    detail      TEXT NOT NULL CHECK (json_valid(detail)),
    prev_sha256 TEXT NOT NULL,
    sha256      TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64)
) STRICT;
CREATE TRIGGER audit_log_never_changes BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'an audit entry never changes'); END;
CREATE TRIGGER audit_log_never_deleted BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'an audit entry is never deleted'); END;
)sql";

// Limit-set uploads and their activation (the two-person rule): a stored
// limit set becomes usable only when a second person activates it; an
// upload is never deleted and is activated at most once. The set in use is
// the one activated last (activation_seq).
constexpr const char* schema_v11 = R"sql(
CREATE TABLE limit_set_uploads (
    limit_set_id   INTEGER PRIMARY KEY REFERENCES limit_sets(id),
    uploaded_by    TEXT NOT NULL CHECK (length(uploaded_by) > 0),
    uploaded_at    TEXT NOT NULL,
    activated_by   TEXT CHECK (activated_by IS NULL OR
                               (length(activated_by) > 0 AND activated_by <> uploaded_by)),
    activated_at   TEXT,
    activation_seq INTEGER UNIQUE CHECK (activation_seq IS NULL OR activation_seq >= 1),
    CHECK ((activated_by IS NULL) = (activated_at IS NULL)),
    CHECK ((activated_by IS NULL) = (activation_seq IS NULL))
) STRICT;
CREATE TRIGGER limit_set_uploads_never_deleted BEFORE DELETE ON limit_set_uploads
BEGIN SELECT RAISE(ABORT, 'a limit-set upload is never deleted'); END;
CREATE TRIGGER limit_set_uploads_activated_once BEFORE UPDATE ON limit_set_uploads
WHEN OLD.activated_by IS NOT NULL OR NEW.limit_set_id IS NOT OLD.limit_set_id
     OR NEW.uploaded_by IS NOT OLD.uploaded_by OR NEW.uploaded_at IS NOT OLD.uploaded_at
BEGIN SELECT RAISE(ABORT, 'a limit-set upload is activated once and never changes otherwise'); END;
)sql";

// Badges: a user may log in to the station's pages by scanning their badge
// into the name field. The badge code is kept as its SHA-256 (a bearer
// token looked up by its digest, unlike a password: a badge code is long and
// random, and a salted hash could not be found without trying every user).
constexpr const char* schema_v12 = R"sql(
ALTER TABLE users ADD COLUMN badge_sha256 TEXT CHECK (badge_sha256 IS NULL OR length(badge_sha256) = 64);
CREATE UNIQUE INDEX users_by_badge ON users (badge_sha256) WHERE badge_sha256 IS NOT NULL;
)sql";

// The tap monitor (a power meter on a tap right after the source): its
// reading per reference point (M_ref, the mean of the point's two windows)
// and per measurement (M_now, the launch's window), from which IL was
// corrected for the source's drift. NULL: no monitor (and records from
// before this version). Records holding one are hashed with form 3.
constexpr const char* schema_v13 = R"sql(
ALTER TABLE reference_points ADD COLUMN monitor_dbm REAL;
ALTER TABLE measurements ADD COLUMN monitor_dbm REAL;
)sql";

// Sequential RL decisions. Each reference keeps the RL module's noise model
// fitted from its windows (NULL columns: no RL module, or a reference from
// before); each run how it decided RL (NULL rl_window_ms: no RL, or a
// record from before; its model is its reference's); each measurement its
// windows, the interval of their mean and whether the mean decided at the
// maximum time (marginal). Records holding them are hashed with form 4.
constexpr const char* schema_v14 = R"sql(
ALTER TABLE optical_references ADD COLUMN rl_noise_window_ms INTEGER
    CHECK (rl_noise_window_ms IS NULL OR rl_noise_window_ms > 0);
ALTER TABLE optical_references ADD COLUMN rl_noise_white REAL;
ALTER TABLE optical_references ADD COLUMN rl_noise_relative REAL;
ALTER TABLE optical_references ADD COLUMN rl_noise_slow REAL;
ALTER TABLE optical_references ADD COLUMN rl_noise_level_low_db REAL;
ALTER TABLE optical_references ADD COLUMN rl_noise_level_high_db REAL;
ALTER TABLE optical_references ADD COLUMN rl_noise_windows INTEGER;
ALTER TABLE optical_references ADD COLUMN rl_noise_calibrated_at TEXT;
ALTER TABLE runs ADD COLUMN rl_sequential INTEGER CHECK (rl_sequential IS NULL OR rl_sequential IN (0, 1));
ALTER TABLE runs ADD COLUMN rl_window_ms INTEGER;
ALTER TABLE runs ADD COLUMN rl_confidence REAL;
ALTER TABLE runs ADD COLUMN rl_max_time_ms INTEGER;
ALTER TABLE runs ADD COLUMN rl_noise_ratio REAL;
ALTER TABLE runs ADD COLUMN rl_noise_dof INTEGER;
ALTER TABLE runs ADD COLUMN rl_noise_widened INTEGER;
ALTER TABLE measurements ADD COLUMN rl_windows INTEGER NOT NULL DEFAULT 0 CHECK (rl_windows >= 0);
ALTER TABLE measurements ADD COLUMN rl_low_db REAL;
ALTER TABLE measurements ADD COLUMN rl_high_db REAL;
ALTER TABLE measurements ADD COLUMN rl_marginal INTEGER NOT NULL DEFAULT 0
    CHECK (rl_marginal IN (0, 1));
)sql";

// Plant identity and the outbox (store-and-forward to the plant database).
// station_identity: the one UUID of this station database, made when the
// schema reaches this version (at creation for a new file). run_uuids: every
// run's UUID (not part of the record hash), made when the run begins; runs
// from before get theirs here. outbox: each ended run (completed, aborted,
// interrupted) queued in the transaction that ends it, in seq order, until
// `mpobench sync` has it in the plant (forwarded_at); the payload and its
// SHA-256 are kept from the first attempt on, so a replay sends the very
// same bytes whatever mpobench version replays it. Ended runs from before
// are queued here, oldest first. UUIDs made here are version 4 from SQLite's
// randomblob (seeded from the operating system's entropy).
constexpr const char* schema_v15 = R"sql(
CREATE TABLE station_identity (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    uuid       TEXT NOT NULL CHECK (length(uuid) = 36),
    created_at TEXT NOT NULL
) STRICT;
CREATE TRIGGER station_identity_never_changes BEFORE UPDATE ON station_identity
BEGIN SELECT RAISE(ABORT, 'the station UUID never changes'); END;
CREATE TRIGGER station_identity_never_deleted BEFORE DELETE ON station_identity
BEGIN SELECT RAISE(ABORT, 'the station UUID is never deleted'); END;

CREATE TABLE run_uuids (
    run_id INTEGER PRIMARY KEY REFERENCES runs(id),
    uuid   TEXT NOT NULL UNIQUE CHECK (length(uuid) = 36)
) STRICT;
CREATE TRIGGER run_uuids_never_change BEFORE UPDATE ON run_uuids
BEGIN SELECT RAISE(ABORT, 'a run UUID never changes'); END;
CREATE TRIGGER run_uuids_never_deleted BEFORE DELETE ON run_uuids
BEGIN SELECT RAISE(ABORT, 'a run UUID is never deleted'); END;

CREATE TABLE outbox (
    seq            INTEGER PRIMARY KEY,
    run_id         INTEGER NOT NULL UNIQUE REFERENCES runs(id),
    queued_at      TEXT NOT NULL,
    payload        TEXT CHECK (payload IS NULL OR json_valid(payload)),
    payload_sha256 TEXT CHECK (payload_sha256 IS NULL OR length(payload_sha256) = 64),
    forwarded_at   TEXT,
    CHECK ((payload IS NULL) = (payload_sha256 IS NULL))
) STRICT;
CREATE TRIGGER outbox_payload_kept BEFORE UPDATE ON outbox
WHEN OLD.payload IS NOT NULL AND (NEW.payload IS NOT OLD.payload
                                  OR NEW.payload_sha256 IS NOT OLD.payload_sha256)
BEGIN SELECT RAISE(ABORT, 'a forwarded payload never changes'); END;
CREATE INDEX outbox_waiting ON outbox (seq) WHERE forwarded_at IS NULL;

INSERT INTO station_identity (singleton, uuid, created_at)
SELECT 1, lower(
    hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) ||
    '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' ||
    hex(randomblob(6))), strftime('%Y-%m-%dT%H:%M:%fZ', 'now');
INSERT INTO run_uuids (run_id, uuid)
SELECT id, lower(
    hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) ||
    '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' ||
    hex(randomblob(6))) FROM runs ORDER BY id;
INSERT INTO outbox (run_id, queued_at)
SELECT id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM runs WHERE status <> 'running'
ORDER BY started_at, id;
)sql";

// MES pushes (station file [mes]): when the MES acknowledged each ended run
// of the outbox, kept apart from the plant's forwarded_at: the two are
// delivered, retried and acknowledged independently, in the same order.
constexpr const char* schema_v16 = R"sql(
ALTER TABLE outbox ADD COLUMN mes_acknowledged_at TEXT;
CREATE INDEX outbox_mes_waiting ON outbox (seq) WHERE mes_acknowledged_at IS NULL;
)sql";

// The MES's pre-test interlock answer each run began with (station file
// [mes] interlock_url): "allowed by the MES", or the site policy's when the
// MES could not be asked. Outside the record hash.
constexpr const char* schema_v17 = R"sql(
ALTER TABLE runs ADD COLUMN mes_interlock TEXT;
)sql";

// What a station of a plant last took from it (README "Parts, limits and
// users from the plant"): one row, replaced at each fetch; the limit set
// itself is kept in limit_sets, the users in users (from_plant: kept by the
// plant, changed only by the next fetch).
constexpr const char* schema_v18 = R"sql(
CREATE TABLE plant_config (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    plant               TEXT NOT NULL,
    fetched_at          TEXT NOT NULL,
    parts_id            INTEGER,
    parts_sha256        TEXT,
    parts_body          TEXT,
    parts_published_by  TEXT,
    parts_published_at  TEXT,
    limit_set_hash      TEXT REFERENCES limit_sets (hash),
    limit_set_plant_id  INTEGER,
    limits_activated_by TEXT,
    limits_activated_at TEXT,
    users               INTEGER NOT NULL CHECK (users >= 0),
    CHECK ((parts_id IS NULL) = (parts_body IS NULL)),
    CHECK ((limit_set_hash IS NULL) = (limit_set_plant_id IS NULL))
) STRICT;
ALTER TABLE users ADD COLUMN from_plant INTEGER NOT NULL DEFAULT 0 CHECK (from_plant IN (0, 1));
)sql";

// Where the MES's share of the outbox begins (README "Pushing results to
// the MES"): at the first run of a station file with [mes] url, so that an
// MES connected to a station with a long record gets the runs from then on,
// not the whole history. A station already pushing keeps every entry.
constexpr const char* schema_v19 = R"sql(
CREATE TABLE mes_link (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    from_seq  INTEGER NOT NULL,
    linked_at TEXT NOT NULL
) STRICT;
INSERT INTO mes_link (id, from_seq, linked_at)
SELECT 1, min(seq), strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM outbox
HAVING max(mes_acknowledged_at) IS NOT NULL;
)sql";

// In order; each takes the database to its version from the one before.
constexpr std::array migrations{
    Migration{1, "records: stations, instruments, parts, limit sets, references, runs", schema_v1},
    Migration{2, "record hashes, immutable references, QA rollups", schema_v2},
    Migration{3, "RL bounds, versioned record hashes, retries per run", schema_v3},
    Migration{4, "RL rollup: values and bounds apart", schema_v4},
    Migration{5, "cord wear: matings per cord, re-qualifications", schema_v5},
    Migration{6, "retest reasons, QA releases of held serials", schema_v6},
    Migration{7, "bag label prints and reprints", schema_v7},
    Migration{8, "golden assemblies and station checks against them", schema_v8},
    Migration{9, "station users and roles", schema_v9},
    Migration{10, "the audit log, a hash chain", schema_v10},
    Migration{11, "limit-set uploads and their activation", schema_v11},
    Migration{12, "user badges", schema_v12},
    Migration{13, "tap-monitor readings per reference point and measurement", schema_v13},
    Migration{14, "sequential RL decisions: noise models, methods, windows", schema_v14},
    Migration{15, "plant identity: station and run UUIDs, the outbox", schema_v15},
    Migration{16, "MES acknowledgements in the outbox", schema_v16},
    Migration{17, "the MES interlock's answer per run", schema_v17},
    Migration{18, "parts, limits and users taken from the plant", schema_v18},
    Migration{19, "where the MES's share of the outbox begins", schema_v19},
};

std::int64_t pragma_integer(sqlite::Connection& connection, const std::string& sql,
                            std::string_view what) {
    sqlite::Query query(connection, sql, std::string(what));
    if (!query.step()) {
        connection.fail(what);
    }
    return query.integer(0);
}

std::int64_t stored_application_id(sqlite::Connection& connection) {
    return pragma_integer(connection, "PRAGMA application_id", "reading the application id");
}

}  // namespace

int current_version() {
    return migrations.back().version;
}

int stored_version(sqlite::Connection& connection) {
    return static_cast<int>(
        pragma_integer(connection, "PRAGMA user_version", "reading the schema version"));
}

void check_compatible(sqlite::Connection& connection) {
    const std::int64_t id = stored_application_id(connection);
    if (id != 0 && id != application_id) {
        throw DatabaseError(fmt::format(
            "{}: not an mpobench database (SQLite application id {:#x})", connection.path(), id));
    }
    const int version = stored_version(connection);
    if (version > current_version()) {
        throw DatabaseError(
            fmt::format("{}: schema version {} is newer than this mpobench ({}); upgrade mpobench",
                        connection.path(), version, current_version()));
    }
}

void migrate(sqlite::Connection& connection, const DerivedDataFiller& fill_derived_data) {
    if (stored_version(connection) == current_version()) {
        return;
    }
    sqlite::Transaction transaction(connection, sqlite::Transaction::Kind::Write,
                                    "migrating the schema");
    // Another process may have migrated while this one waited for the lock.
    const int from = stored_version(connection);
    check_compatible(connection);
    if (from == current_version()) {
        return;
    }
    if (from == 0 && pragma_integer(connection, "SELECT count(*) FROM sqlite_schema",
                                    "reading the schema") != 0) {
        throw DatabaseError(fmt::format(
            "{}: not an mpobench database (it has tables but no mpobench schema version)",
            connection.path()));
    }
    for (const auto& migration : migrations) {
        if (migration.version <= from) {
            continue;
        }
        connection.execute(migration.sql,
                           fmt::format("migrating to schema version {}", migration.version));
        // Pragma values cannot be bound; these are this build's own constants.
        connection.execute(fmt::format("PRAGMA user_version = {}", migration.version).c_str(),
                           "recording the schema version");
        logger("db")->info("{}: schema version {}: {}", connection.path(), migration.version,
                           migration.description);
    }
    fill_derived_data(from);
    connection.execute(fmt::format("PRAGMA application_id = {}", application_id).c_str(),
                       "recording the application id");
    transaction.commit();
}

}  // namespace mpobench::db::schema
