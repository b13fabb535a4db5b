#include "db/repository.hpp"

#include <fmt/format.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "analysis/record_hash.hpp"
#include "db/qa_rollups.hpp"
#include "db/schema.hpp"
#include "db/sqlite.hpp"
#include "db/stored_values.hpp"
#include "vocabulary/logger.hpp"

namespace mpobench::db {

namespace {

using rollups::RollupChanges;
using sqlite::Connection;
using sqlite::Query;
using sqlite::Transaction;
using namespace stored;

// Concurrent stations wait for each other's commits instead of failing.
constexpr int busy_timeout_ms = 10'000;

// A random (version 4) UUID, lower-case, from libsodium's randombytes.
std::string new_uuid_v4() {
    if (sodium_init() < 0) {
        throw DatabaseError("libsodium could not be initialised to make a run UUID");
    }
    std::array<unsigned char, 16> bytes{};
    randombytes_buf(bytes.data(), bytes.size());
    bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);
    bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);
    std::string text;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            text += '-';
        }
        text += fmt::format("{:02x}", bytes[i]);
    }
    return text;
}

// ---- The process that owns a run (Linux /proc)

// Field 22 of /proc/<pid>/stat: the process start time in clock ticks since
// boot. Absent when the process does not exist.
std::optional<std::uint64_t> process_start_ticks(std::int64_t pid) {
    std::ifstream file(fmt::format("/proc/{}/stat", pid));
    std::string stat;
    if (!file || !std::getline(file, stat)) {
        return std::nullopt;
    }
    // Field 2, the command name in parentheses, may itself hold spaces and
    // parentheses; the fields after the last ')' are plain.
    const auto name_end = stat.rfind(')');
    if (name_end == std::string::npos) {
        return std::nullopt;
    }
    std::istringstream fields(stat.substr(name_end + 1));
    std::string field;
    for (int index = 3; index <= 22; ++index) {
        if (!(fields >> field)) {
            return std::nullopt;
        }
    }
    std::uint64_t ticks = 0;
    const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), ticks);
    if (error != std::errc{} || end != field.data() + field.size()) {
        return std::nullopt;
    }
    return ticks;
}

struct ProcessIdentity {
    std::int64_t pid = 0;
    std::uint64_t start_ticks = 0;
    std::string boot_id;  // changes at every boot, when start ticks restart
};

ProcessIdentity this_process(const std::string& database_path) {
    ProcessIdentity identity;
    identity.pid = static_cast<std::int64_t>(::getpid());
    const auto ticks = process_start_ticks(identity.pid);
    if (!ticks) {
        throw DatabaseError(fmt::format(
            "{}: cannot read this process's start time from /proc/{}/stat, needed to own runs",
            database_path, identity.pid));
    }
    identity.start_ticks = *ticks;
    const char* boot_id_file = "/proc/sys/kernel/random/boot_id";
    std::ifstream file(boot_id_file);
    if (!file || !std::getline(file, identity.boot_id) || identity.boot_id.empty()) {
        throw DatabaseError(fmt::format("{}: cannot read the boot id from {}, needed to own runs",
                                        database_path, boot_id_file));
    }
    return identity;
}

// ---- Shared SELECT of run summaries

constexpr const char* summary_columns = R"sql(
SELECT runs.id, assemblies.serial, parts.number, stations.name, runs.operator, runs.kind,
       runs.status, runs.reason, runs.grade, runs.pass, runs.started_at, runs.ended_at,
       runs.retries, runs.retest_reason,
       CASE WHEN runs.kind != 'production' THEN 0
            WHEN runs.status = 'completed' THEN 1
            WHEN runs.status = 'interrupted' OR
                 (runs.status = 'aborted' AND runs.reason LIKE '%operator abort%')
            THEN EXISTS (SELECT 1 FROM measurements WHERE measurements.run_id = runs.id)
            ELSE 0 END
FROM runs
JOIN assemblies ON assemblies.id = runs.assembly_id
JOIN parts ON parts.id = runs.part_id
JOIN stations ON stations.id = runs.station_id
)sql";

RunSummary summary_from(const Origin& origin, const Query& row) {
    RunSummary summary;
    summary.id = row.integer(0);
    summary.serial = row.text(1);
    summary.part_number = row.text(2);
    summary.station = row.text(3);
    summary.operator_name = row.text(4);
    summary.kind = kind_from(origin, row.text(5));
    summary.status = run_status_from(origin, row.text(6));
    summary.reason = row.text(7);
    if (!row.is_null(8)) {
        summary.grade = grade_from(origin, "grade", row.text(8));
    }
    summary.pass = row.integer(9) != 0;
    summary.started_at = time_from(origin, "started_at", row.text(10));
    if (!row.is_null(11)) {
        summary.ended_at = time_from(origin, "ended_at", row.text(11));
    }
    summary.retries = row.int32(12);
    summary.retest_reason = row.is_null(13) ? std::string() : row.text(13);
    summary.attempt = row.integer(14) != 0;
    return summary;
}

}  // namespace

struct Repository::Impl {
    explicit Impl(const std::filesystem::path& path) : connection(path) {
        if (sqlite3_busy_timeout(connection.handle(), busy_timeout_ms) != SQLITE_OK) {
            connection.fail("setting the busy timeout");
        }
        // Before anything is written: a foreign or newer file stays untouched.
        schema::check_compatible(connection);
        const auto journal_mode =
            sqlite::enable_wal(connection, std::chrono::milliseconds(busy_timeout_ms));
        if (journal_mode != "wal") {
            throw DatabaseError(fmt::format(
                "{}: the database cannot use WAL journal mode (journal mode is '{}'); keep it "
                "on a local file system",
                connection.path(), journal_mode));
        }
        connection.execute("PRAGMA synchronous = FULL", "setting synchronous FULL");
        connection.execute("PRAGMA foreign_keys = ON", "enabling foreign keys");
        schema::migrate(connection, [this](int from_version) { fill_derived_data(from_version); });
        self = this_process(connection.path());
    }

    struct ReadOnly {};
    Impl(const std::filesystem::path& path, ReadOnly) : connection(path, sqlite::Access::ReadOnly) {
        if (sqlite3_busy_timeout(connection.handle(), busy_timeout_ms) != SQLITE_OK) {
            connection.fail("setting the busy timeout");
        }
        schema::check_compatible(connection);
        int version = schema::stored_version(connection);
        // An empty file is one a station has just created and is migrating
        // in an open transaction: waited for like a station's lock.
        const auto deadline =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
        while (version == 0 && schema_is_empty() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            version = schema::stored_version(connection);
        }
        if (version != schema::current_version()) {
            throw DatabaseError(fmt::format(
                "{}: schema version {} is older than this mpobench's ({}) and a read-only "
                "command does not upgrade it: run a station command (test, reference) on it "
                "once, or read it with the mpobench that wrote it",
                connection.path(), version, schema::current_version()));
        }
        self = this_process(connection.path());
        for (const auto& orphan : orphaned_runs()) {
            ended_owners.emplace(orphan.run_id, orphan.pid);
        }
    }

    bool schema_is_empty() {
        Query tables(connection, "SELECT count(*) FROM sqlite_schema", "reading the schema");
        return tables.step() && tables.integer(0) == 0;
    }

    // Version 2 added record hashes and the QA rollups: a file from before
    // gets the hashes of its completed runs and its rollups. Version 4 added
    // the RL rollup: a file from before gets its rollups rebuilt.
    void fill_derived_data(int from_version) {
        if (from_version >= 4) {
            return;
        }
        if (from_version >= 2) {
            logger("db")->info("{}: rebuilding the QA rollups", connection.path());
            rollups::rebuild_rollups(connection);
            return;
        }
        std::vector<std::int64_t> unhashed;
        {
            Query query(connection,
                        "SELECT id FROM runs WHERE status = 'completed' "
                        "AND id NOT IN (SELECT run_id FROM run_hashes) ORDER BY id",
                        "finding completed runs without a record hash");
            while (query.step()) {
                unhashed.push_back(query.integer(0));
            }
        }
        logger("db")->info("{}: filling the record hashes of {} completed runs and the QA rollups",
                           connection.path(), unhashed.size());
        for (const auto run_id : unhashed) {
            store_record_hash(*load_run(run_id));
        }
        rollups::rebuild_rollups(connection);
        logger("db")->info("{}: record hashes and QA rollups filled", connection.path());
    }

    Origin origin(std::string_view what) const { return Origin{connection.path(), what}; }

    // Runs whose owner process has ended (or is another process that reused
    // its pid, or ran before the last boot) become interrupted.
    struct Orphan {
        std::int64_t run_id, pid;
        std::uint64_t start_ticks;
        std::string boot_id;
    };
    std::vector<Orphan> orphaned_runs() {
        std::vector<Orphan> orphans;
        Query query(connection,
                    "SELECT id, owner_pid, owner_start_ticks, owner_boot_id FROM runs "
                    "WHERE status = 'running'",
                    "finding running runs");
        while (query.step()) {
            Orphan owned{query.integer(0), query.integer(1),
                         static_cast<std::uint64_t>(query.integer(2)), query.text(3)};
            const bool owner_alive = owned.boot_id == self.boot_id &&
                                     process_start_ticks(owned.pid) == owned.start_ticks;
            if (!owner_alive) {
                orphans.push_back(std::move(owned));
            }
        }
        return orphans;
    }

    static std::string interrupted_reason(std::int64_t pid) {
        return fmt::format("process {} ended without finishing the run", pid);
    }

    // A read-only view shows what mark_interrupted_runs would have written.
    void show_ended_owner(std::int64_t run_id, RunStatus& status, std::string& reason) const {
        const auto found = ended_owners.find(run_id);
        if (status == RunStatus::Running && found != ended_owners.end()) {
            status = RunStatus::Interrupted;
            reason = interrupted_reason(found->second);
        }
    }

    void mark_interrupted_runs() {
        const auto orphans = orphaned_runs();
        if (orphans.empty()) {
            return;
        }
        Transaction transaction(connection, Transaction::Kind::Write, "marking interrupted runs");
        RollupChanges changes(connection);
        for (const auto& orphan : orphans) {
            const std::string reason = interrupted_reason(orphan.pid);
            // The owner columns in the condition: the row is changed only if it
            // is still the run judged above.
            Query update(connection,
                         "UPDATE runs SET status = 'interrupted', reason = ? "
                         "WHERE id = ? AND status = 'running' AND owner_pid = ? "
                         "AND owner_start_ticks = ? AND owner_boot_id = ?",
                         fmt::format("marking run {} interrupted", orphan.run_id));
            update.bind(reason)
                .bind(orphan.run_id)
                .bind(orphan.pid)
                .bind(static_cast<std::int64_t>(orphan.start_ticks))
                .bind(orphan.boot_id)
                .run();
            if (connection.changes() == 1) {
                changes.run_stopped(orphan.run_id, RunStatus::Interrupted);
                enqueue_for_plant(orphan.run_id);
                logger("db")->warn("{}: run {} marked interrupted: {}", connection.path(),
                                   orphan.run_id, reason);
            }
        }
        changes.flush();
        transaction.commit();
    }

    // The id of a row keyed by one unique text column, inserted when new.
    // Both statements are this file's own constants; only the value is bound.
    std::int64_t id_for(const char* insert_sql, const char* select_sql, const std::string& value,
                        const std::string& what) {
        Query insert(connection, insert_sql, "storing " + what);
        insert.bind(value).run();
        Query select(connection, select_sql, "finding " + what);
        select.bind(value);
        if (!select.step()) {
            connection.fail("finding " + what);
        }
        return select.integer(0);
    }

    std::int64_t station_id(const std::string& name) {
        return id_for("INSERT INTO stations (name) VALUES (?) ON CONFLICT DO NOTHING",
                      "SELECT id FROM stations WHERE name = ?", name, "station " + name);
    }

    std::int64_t assembly_id(const std::string& serial) {
        return id_for("INSERT INTO assemblies (serial) VALUES (?) ON CONFLICT DO NOTHING",
                      "SELECT id FROM assemblies WHERE serial = ?", serial, "assembly " + serial);
    }

    std::int64_t part_id(const Part& part) {
        const std::string what = "storing part " + part.number;
        const std::string wavelengths = wavelengths_text(part.wavelengths_nm);
        Query insert(connection,
                     "INSERT INTO parts (number, description, fibers, mode, polarity, "
                     "target_grade, length_m, wavelengths_nm, mating_cycles) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                     what);
        // The same nine values, in the same order, insert the part and find it.
        const auto bind_part = [&](Query& query) -> Query& {
            return query.bind(part.number)
                .bind(part.description)
                .bind(part.fibers)
                .bind(to_string(part.mode))
                .bind(to_string(part.polarity))
                .bind(to_string(part.target))
                .bind(part.length_m)
                .bind(wavelengths)
                .bind(part.mating_cycles);
        };
        bind_part(insert).run();
        Query select(connection,
                     "SELECT id FROM parts WHERE number = ? AND description = ? AND fibers = ? "
                     "AND mode = ? AND polarity = ? AND target_grade = ? AND length_m = ? "
                     "AND wavelengths_nm = ? AND mating_cycles = ?",
                     what);
        bind_part(select);
        if (!select.step()) {
            connection.fail(what);
        }
        return select.integer(0);
    }

    std::int64_t instrument_id(std::int64_t station, const InstrumentRecord& instrument) {
        const std::string what = "storing instrument " + instrument.name;
        Query insert(connection,
                     "INSERT INTO instruments (station_id, name, role, model_key, resource, "
                     "vendor, model, serial, firmware, calibration_due) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                     what);
        insert.bind(station)
            .bind(instrument.name)
            .bind(to_string(instrument.role))
            .bind(instrument.model_key)
            .bind(instrument.resource)
            .bind(instrument.vendor)
            .bind(instrument.model)
            .bind(instrument.serial)
            .bind(instrument.firmware)
            .bind(instrument.calibration_due)
            .run();
        Query select(connection,
                     "SELECT id FROM instruments WHERE station_id = ? AND name = ? AND role = ? "
                     "AND model_key = ? AND resource = ? AND vendor = ? AND model = ? "
                     "AND serial = ? AND firmware = ? AND calibration_due = ?",
                     what);
        select.bind(station)
            .bind(instrument.name)
            .bind(to_string(instrument.role))
            .bind(instrument.model_key)
            .bind(instrument.resource)
            .bind(instrument.vendor)
            .bind(instrument.model)
            .bind(instrument.serial)
            .bind(instrument.firmware)
            .bind(instrument.calibration_due);
        if (!select.step()) {
            connection.fail(what);
        }
        return select.integer(0);
    }

    // The hot path: one cached statement, one row, one commit.
    void insert_measurement(std::int64_t run_id, const Measurement& measurement) {
        Query insert(connection,
                     "INSERT INTO measurements (run_id, launched_end, fiber, wavelength_nm, "
                     "cycle, status, far_position, power_dbm, il_db, rl_db, taken_at, "
                     "rl_above_db, monitor_dbm, rl_windows, rl_low_db, rl_high_db, rl_marginal) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     fmt::format("journaling a measurement of run {}", run_id));
        insert.bind(run_id)
            .bind(to_string(measurement.end))
            .bind(measurement.fiber)
            .bind(measurement.wavelength_nm)
            .bind(measurement.cycle)
            .bind(to_string(measurement.status))
            .bind(measurement.far_position);
        // SQLite has no NaN: a reading without a value is NULL.
        if (std::isnan(measurement.power_dbm)) {
            insert.bind_null();
        } else {
            insert.bind(measurement.power_dbm);
        }
        insert.bind(measurement.il_db)
            .bind(measurement.rl_db)
            .bind(format_time(measurement.taken_at))
            .bind(measurement.rl_above_db)
            .bind(measurement.monitor_dbm)
            .bind(measurement.rl_windows)
            .bind(measurement.rl_low_db)
            .bind(measurement.rl_high_db)
            .bind(measurement.rl_marginal ? 1 : 0)
            .run();
    }

    // The status of a run, or nothing when there is no such run.
    std::optional<RunStatus> run_status(std::int64_t run_id) {
        Query query(connection, "SELECT status FROM runs WHERE id = ?",
                    fmt::format("reading the status of run {}", run_id));
        query.bind(run_id);
        if (!query.step()) {
            return std::nullopt;
        }
        return run_status_from(origin("reading a run status"), query.text(0));
    }

    // Throws unless the run exists and is running.
    void require_running(std::int64_t run_id, std::string_view action) {
        const auto status = run_status(run_id);
        if (!status) {
            throw DatabaseError(fmt::format("{}: cannot {} run {}: no such run", connection.path(),
                                            action, run_id));
        }
        if (*status != RunStatus::Running) {
            throw DatabaseError(fmt::format("{}: cannot {} run {}: it is {}, not running",
                                            connection.path(), action, run_id, to_string(*status)));
        }
    }

    std::optional<Reference> load_reference(std::int64_t reference_id) {
        const std::string what = fmt::format("reading reference {}", reference_id);
        const auto from = origin(what);
        Reference reference;
        {
            Query query(connection,
                        "SELECT optical_references.id, stations.name, operator, taken_at, "
                        "launch_cord, mode, fibers, launch_cord_matings, rl_noise_window_ms, "
                        "rl_noise_white, rl_noise_relative, rl_noise_slow, rl_noise_level_low_db, "
                        "rl_noise_level_high_db, rl_noise_windows, rl_noise_calibrated_at "
                        "FROM optical_references "
                        "JOIN stations ON stations.id = optical_references.station_id "
                        "WHERE optical_references.id = ?",
                        what);
            query.bind(reference_id);
            if (!query.step()) {
                return std::nullopt;
            }
            reference.id = query.integer(0);
            reference.station = query.text(1);
            reference.operator_name = query.text(2);
            reference.taken_at = time_from(from, "taken_at", query.text(3));
            reference.launch_cord = query.text(4);
            reference.mode = mode_from(from, query.text(5));
            reference.fibers = query.int32(6);
            reference.launch_cord_matings = query.optional_integer(7);
            if (!query.is_null(8)) {
                RlNoiseModel model;
                model.window_ms = query.int32(8);
                model.white_reflectance = query.real(9);
                model.relative = query.real(10);
                model.slow_reflectance = query.real(11);
                model.level_low_db = query.real(12);
                model.level_high_db = query.real(13);
                model.windows = query.int32(14);
                model.calibrated_at = time_from(from, "rl_noise_calibrated_at", query.text(15));
                reference.rl_noise = model;
            }
        }
        Query points(connection,
                     "SELECT fiber, wavelength_nm, power_dbm, drift_db, monitor_dbm "
                     "FROM reference_points WHERE reference_id = ? ORDER BY rowid",
                     what);
        points.bind(reference_id);
        while (points.step()) {
            reference.points.push_back({points.int32(0), points.int32(1), points.real(2),
                                        points.real(3), points.optional_real(4)});
        }
        return reference;
    }

    std::optional<RunRecord> load_run(std::int64_t run_id) {
        const std::string what = fmt::format("reading run {}", run_id);
        const auto from = origin(what);
        RunRecord run;
        {
            Query query(connection, R"sql(
SELECT runs.id, runs.kind, assemblies.serial, runs.station_id, stations.name, runs.operator,
       runs.software_version, runs.started_at, runs.ended_at, runs.status, runs.reason,
       runs.reference_id, runs.grade, runs.pass, runs.mating_cycles_run,
       limit_sets.name, limit_sets.version, limit_sets.hash,
       parts.number, parts.description, parts.fibers, parts.mode, parts.polarity,
       parts.target_grade, parts.length_m, parts.wavelengths_nm, parts.mating_cycles,
       runs.retries, runs.retest_reason, runs.rl_sequential, runs.rl_window_ms,
       runs.rl_confidence, runs.rl_max_time_ms, runs.rl_noise_ratio, runs.rl_noise_dof,
       runs.rl_noise_widened, runs.mes_interlock
FROM runs
JOIN assemblies ON assemblies.id = runs.assembly_id
JOIN stations ON stations.id = runs.station_id
JOIN parts ON parts.id = runs.part_id
LEFT JOIN limit_sets ON limit_sets.id = runs.limit_set_id
WHERE runs.id = ?
)sql",
                        what);
            query.bind(run_id);
            if (!query.step()) {
                return std::nullopt;
            }
            run.id = query.integer(0);
            run.kind = kind_from(from, query.text(1));
            run.serial = query.text(2);
            run.station = query.text(4);
            run.operator_name = query.text(5);
            run.software_version = query.text(6);
            run.started_at = time_from(from, "started_at", query.text(7));
            if (!query.is_null(8)) {
                run.ended_at = time_from(from, "ended_at", query.text(8));
            }
            run.status = run_status_from(from, query.text(9));
            run.reason = query.text(10);
            show_ended_owner(run.id, run.status, run.reason);
            run.reference_id = query.optional_integer(11).value_or(0);
            if (!query.is_null(12)) {
                run.grade = grade_from(from, "grade", query.text(12));
            }
            run.pass = query.integer(13) != 0;
            run.mating_cycles_run = query.int32(14);
            run.retries = query.int32(27);
            run.retest_reason = query.is_null(28) ? std::string() : query.text(28);
            run.mes_interlock = query.is_null(36) ? std::string() : query.text(36);
            run.limit_set_name = query.text(15);
            run.limit_set_version = query.text(16);
            run.limit_set_hash = query.text(17);
            run.part.number = query.text(18);
            run.part.description = query.text(19);
            run.part.fibers = query.int32(20);
            run.part.mode = mode_from(from, query.text(21));
            run.part.polarity = polarity_from(from, query.text(22));
            run.part.target = grade_from(from, "target grade", query.text(23));
            run.part.length_m = query.real(24);
            run.part.wavelengths_nm = wavelengths_from(from, query.text(25));
            run.part.mating_cycles = query.int32(26);
            if (!query.is_null(29)) {
                RlDecisionMethod method;
                method.sequential = query.integer(29) != 0;
                method.window_ms = query.int32(30);
                method.confidence = query.optional_real(31).value_or(0.0);
                method.max_time_ms = static_cast<int>(query.optional_integer(32).value_or(0));
                method.noise_ratio = query.real(33);
                method.noise_dof = query.int32(34);
                method.noise_widened = query.integer(35) != 0;
                run.rl_method = method;
            }
        }
        // A sequential method's model is its reference's.
        if (run.rl_method && run.rl_method->sequential && run.reference_id != 0) {
            if (const auto reference = load_reference(run.reference_id))
                run.rl_method->model = reference->rl_noise;
        }
        {
            Query query(connection, R"sql(
SELECT name, role, model_key, resource, vendor, model, serial, firmware, calibration_due
FROM run_instruments JOIN instruments ON instruments.id = run_instruments.instrument_id
WHERE run_instruments.run_id = ? ORDER BY run_instruments.position
)sql",
                        what);
            query.bind(run_id);
            while (query.step()) {
                run.instruments.push_back(
                    {query.text(0), role_from(from, query.text(1)), query.text(2), query.text(3),
                     query.text(4), query.text(5), query.text(6), query.text(7), query.text(8)});
            }
        }
        {
            Query query(connection, R"sql(
SELECT launched_end, fiber, wavelength_nm, cycle, status, far_position, power_dbm, il_db, rl_db,
       taken_at, rl_above_db, monitor_dbm, rl_windows, rl_low_db, rl_high_db, rl_marginal
FROM measurements WHERE run_id = ? ORDER BY id
)sql",
                        what);
            query.bind(run_id);
            while (query.step()) {
                Measurement measurement;
                measurement.end = end_from(from, "launched end", query.text(0));
                measurement.fiber = query.int32(1);
                measurement.wavelength_nm = query.int32(2);
                measurement.cycle = query.int32(3);
                measurement.status = reading_status_from(from, query.text(4));
                measurement.far_position = query.int32(5);
                measurement.power_dbm = query.optional_real(6).value_or(std::nan(""));
                measurement.il_db = query.optional_real(7);
                measurement.rl_db = query.optional_real(8);
                measurement.taken_at = time_from(from, "measurement time", query.text(9));
                measurement.rl_above_db = query.optional_real(10);
                measurement.monitor_dbm = query.optional_real(11);
                measurement.rl_windows = query.int32(12);
                measurement.rl_low_db = query.optional_real(13);
                measurement.rl_high_db = query.optional_real(14);
                measurement.rl_marginal = query.integer(15) != 0;
                run.measurements.push_back(measurement);
            }
        }
        {
            Query query(connection, R"sql(
SELECT polarity_maps.id, polarity_maps.launched_end, polarity_positions.far_position
FROM polarity_maps
LEFT JOIN polarity_positions ON polarity_positions.map_id = polarity_maps.id
WHERE polarity_maps.run_id = ? ORDER BY polarity_maps.id, polarity_positions.position
)sql",
                        what);
            query.bind(run_id);
            std::int64_t map_id = 0;
            while (query.step()) {
                if (run.polarity.empty() || query.integer(0) != map_id) {
                    map_id = query.integer(0);
                    run.polarity.push_back({end_from(from, "polarity end", query.text(1)), {}});
                }
                if (!query.is_null(2)) {
                    run.polarity.back().far_positions.push_back(query.int32(2));
                }
            }
        }
        {
            Query query(connection, R"sql(
SELECT what, launched_end, fiber, wavelength_nm, value, limit_value, grade
FROM failures WHERE run_id = ? ORDER BY id
)sql",
                        what);
            query.bind(run_id);
            while (query.step()) {
                Failure failure;
                failure.what = failure_cause_from(from, query.text(0));
                if (!query.is_null(1)) {
                    failure.end = end_from(from, "failure end", query.text(1));
                }
                if (!query.is_null(2)) {
                    failure.fiber = query.int32(2);
                }
                if (!query.is_null(3)) {
                    failure.wavelength_nm = query.int32(3);
                }
                failure.value = query.optional_real(4);
                failure.limit = query.optional_real(5);
                failure.grade = grade_from(from, "failure grade", query.text(6));
                run.failures.push_back(failure);
            }
        }
        return run;
    }

    // The stored measurements of a run must be the first ones of the graded
    // record; returns how many there are.
    std::size_t check_journal_prefix(std::int64_t run_id, const RunRecord& graded_run) {
        const std::string what = fmt::format("completing run {}", run_id);
        const auto from = origin(what);
        Query query(connection,
                    "SELECT launched_end, fiber, wavelength_nm, cycle FROM measurements "
                    "WHERE run_id = ? ORDER BY id",
                    what);
        query.bind(run_id);
        std::size_t journaled = 0;
        while (query.step()) {
            if (journaled >= graded_run.measurements.size()) {
                throw DatabaseError(fmt::format(
                    "{}: {}: the graded record holds {} measurements but more are journaled; "
                    "its grade would not cover them",
                    connection.path(), what, graded_run.measurements.size()));
            }
            const auto& expected = graded_run.measurements[journaled];
            if (end_from(from, "launched end", query.text(0)) != expected.end ||
                query.int32(1) != expected.fiber || query.int32(2) != expected.wavelength_nm ||
                query.int32(3) != expected.cycle) {
                throw DatabaseError(fmt::format(
                    "{}: {}: measurement {} of the graded record (end {}, fibre {}, {} nm, "
                    "cycle {}) is not the one journaled (end {}, fibre {}, {} nm, cycle {})",
                    connection.path(), what, journaled + 1, to_string(expected.end), expected.fiber,
                    expected.wavelength_nm, expected.cycle, query.text(0), query.int32(1),
                    query.int32(2), query.int32(3)));
            }
            ++journaled;
        }
        return journaled;
    }

    // The id of the stored limit set the run was graded with (none when the
    // record names no limit set).
    std::optional<std::int64_t> graded_limit_set_id(std::int64_t run_id,
                                                    const RunRecord& graded_run) {
        if (graded_run.limit_set_hash.empty()) {
            return std::nullopt;
        }
        const std::string what = fmt::format("completing run {}", run_id);
        Query query(connection, "SELECT id, name, version FROM limit_sets WHERE hash = ?", what);
        query.bind(graded_run.limit_set_hash);
        if (!query.step()) {
            throw DatabaseError(fmt::format("{}: {}: limit set {} is not stored; store it first",
                                            connection.path(), what, graded_run.limit_set_hash));
        }
        if (query.text(1) != graded_run.limit_set_name ||
            query.text(2) != graded_run.limit_set_version) {
            throw DatabaseError(fmt::format(
                "{}: {}: the record names limit set '{}' {} but hash {} is stored as '{}' {}",
                connection.path(), what, graded_run.limit_set_name, graded_run.limit_set_version,
                graded_run.limit_set_hash, query.text(1), query.text(2)));
        }
        return query.integer(0);
    }

    // The seven rl_* columns of runs, NULL without a method.
    static void bind_rl_method(Query& query, const std::optional<RlDecisionMethod>& method) {
        if (!method) {
            for (int i = 0; i < 7; ++i)
                query.bind_null();
            return;
        }
        query.bind(method->sequential ? 1 : 0).bind(method->window_ms);
        if (method->sequential) {
            query.bind(method->confidence).bind(method->max_time_ms);
        } else {
            query.bind_null();
            query.bind_null();
        }
        query.bind(method->noise_ratio).bind(method->noise_dof).bind(method->noise_widened ? 1 : 0);
    }

    // What begin_run journals with the run.
    enum class Journal { Measurements, Nothing };

    // The run's row (status running, owned by this process) and its
    // instruments; the record's measurements too unless told otherwise.
    std::int64_t insert_run(const RunRecord& run, Journal journal) {
        const std::string what = fmt::format("beginning a run of {}", run.serial);
        if (run.serial.empty()) {
            throw DatabaseError(fmt::format("{}: beginning a run: the run has no serial number",
                                            connection.path()));
        }
        const std::int64_t station = station_id(run.station);
        const std::int64_t assembly = assembly_id(run.serial);
        const std::int64_t part = part_id(run.part);
        {
            Query insert(connection, R"sql(
INSERT INTO runs (kind, assembly_id, part_id, station_id, operator, software_version, started_at,
                  status, reason, reference_id, pass, mating_cycles_run, owner_pid,
                  owner_start_ticks, owner_boot_id, retries, retest_reason, rl_sequential,
                  rl_window_ms, rl_confidence, rl_max_time_ms, rl_noise_ratio, rl_noise_dof,
                  rl_noise_widened, mes_interlock)
VALUES (?, ?, ?, ?, ?, ?, ?, 'running', '', ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
)sql",
                         what);
            insert.bind(to_string(run.kind))
                .bind(assembly)
                .bind(part)
                .bind(station)
                .bind(run.operator_name)
                .bind(run.software_version)
                .bind(format_time(run.started_at == TimePoint{} ? now() : run.started_at));
            if (run.reference_id == 0) {
                insert.bind_null();
            } else {
                insert.bind(run.reference_id);
            }
            insert.bind(run.mating_cycles_run)
                .bind(self.pid)
                .bind(static_cast<std::int64_t>(self.start_ticks))
                .bind(self.boot_id)
                .bind(run.retries)
                .bind(run.retest_reason.empty() ? std::nullopt
                                                : std::optional<std::string>(run.retest_reason));
            bind_rl_method(insert, run.rl_method);
            insert.bind(run.mes_interlock.empty() ? std::nullopt
                                                  : std::optional<std::string>(run.mes_interlock));
            insert.run();
        }
        const std::int64_t run_id = connection.last_insert_id();
        Query(connection, "INSERT INTO run_uuids (run_id, uuid) VALUES (?, ?)", what)
            .bind(run_id)
            .bind(new_uuid_v4())
            .run();
        for (std::size_t position = 0; position < run.instruments.size(); ++position) {
            const std::int64_t instrument = instrument_id(station, run.instruments[position]);
            Query link(connection,
                       "INSERT INTO run_instruments (run_id, position, instrument_id) "
                       "VALUES (?, ?, ?)",
                       what);
            link.bind(run_id).bind(static_cast<std::int64_t>(position + 1)).bind(instrument).run();
        }
        if (journal == Journal::Measurements) {
            for (const auto& measurement : run.measurements) {
                insert_measurement(run_id, measurement);
            }
        }
        return run_id;
    }

    // complete_run's work inside the caller's transaction: the rest of the
    // record, the final status, the record hash and the rollup changes.
    void complete(std::int64_t run_id, const RunRecord& graded_run, RollupChanges& changes) {
        const std::string what = fmt::format("completing run {}", run_id);
        require_running(run_id, "complete");
        const auto limit_set = graded_limit_set_id(run_id, graded_run);
        const std::size_t journaled = check_journal_prefix(run_id, graded_run);
        for (std::size_t i = journaled; i < graded_run.measurements.size(); ++i) {
            insert_measurement(run_id, graded_run.measurements[i]);
        }
        for (const auto& failure : graded_run.failures) {
            Query insert(connection,
                         "INSERT INTO failures (run_id, what, launched_end, fiber, wavelength_nm, "
                         "value, limit_value, grade) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         fmt::format("{}: storing a failure ({})", what, to_string(failure.what)));
            insert.bind(run_id).bind(to_string(failure.what));
            if (failure.end) {
                insert.bind(to_string(*failure.end));
            } else {
                insert.bind_null();
            }
            insert.bind(failure.fiber)
                .bind(failure.wavelength_nm)
                .bind(failure.value)
                .bind(failure.limit)
                .bind(to_string(failure.grade))
                .run();
        }
        for (const auto& map : graded_run.polarity) {
            const std::string map_what = fmt::format("{}: storing the polarity map of end {}", what,
                                                     to_string(map.launched_end));
            {
                Query insert(connection,
                             "INSERT INTO polarity_maps (run_id, launched_end) VALUES (?, ?)",
                             map_what);
                insert.bind(run_id).bind(to_string(map.launched_end)).run();
            }
            const std::int64_t map_id = connection.last_insert_id();
            for (std::size_t i = 0; i < map.far_positions.size(); ++i) {
                Query insert(connection,
                             "INSERT INTO polarity_positions (map_id, position, far_position) "
                             "VALUES (?, ?, ?)",
                             map_what);
                insert.bind(map_id)
                    .bind(static_cast<std::int64_t>(i + 1))
                    .bind(map.far_positions[i])
                    .run();
            }
        }
        {
            Query update(connection, R"sql(
UPDATE runs SET status = 'completed', ended_at = ?, reason = ?, grade = ?, pass = ?,
                limit_set_id = ?, mating_cycles_run = ?, retries = ?, rl_sequential = ?,
                rl_window_ms = ?, rl_confidence = ?, rl_max_time_ms = ?, rl_noise_ratio = ?,
                rl_noise_dof = ?, rl_noise_widened = ?
WHERE id = ? AND status = 'running'
)sql",
                         what);
            update.bind(format_time(graded_run.ended_at.value_or(now()))).bind(graded_run.reason);
            if (graded_run.grade) {
                update.bind(to_string(*graded_run.grade));
            } else {
                update.bind_null();
            }
            update.bind(graded_run.pass ? 1 : 0)
                .bind(limit_set)
                .bind(graded_run.mating_cycles_run)
                .bind(graded_run.retries);
            bind_rl_method(update, graded_run.rl_method);
            update.bind(run_id).run();
        }
        // The record as it reads back from now on: what the hash and the
        // rollups describe.
        const auto stored_run = load_run(run_id);
        if (!stored_run) {
            connection.fail(what);
        }
        store_record_hash(*stored_run);
        changes.run_completed(*stored_run);
        enqueue_for_plant(run_id);
    }

    // A running run becomes aborted, or interrupted (imports only: a live
    // process marks other processes' runs in mark_interrupted_runs).
    void stop(std::int64_t run_id, RunStatus status, const std::string& reason,
              std::optional<TimePoint> ended_at, int retries, RollupChanges& changes) {
        const std::string action = status == RunStatus::Aborted ? "abort" : "interrupt";
        require_running(run_id, action);
        Query update(connection,
                     "UPDATE runs SET status = ?, reason = ?, ended_at = ?, retries = ? "
                     "WHERE id = ? AND status = 'running'",
                     fmt::format("{}ing run {}", action, run_id));
        update.bind(to_string(status)).bind(reason);
        if (ended_at) {
            update.bind(format_time(*ended_at));
        } else {
            update.bind_null();
        }
        update.bind(retries).bind(run_id).run();
        changes.run_stopped(run_id, status);
        enqueue_for_plant(run_id);
    }

    // One finished record through the path a live run takes.
    std::int64_t import_run(const RunRecord& run, RollupChanges& changes) {
        switch (run.status) {
            case RunStatus::Completed: {
                // Measurements go in with the rest of the record.
                const std::int64_t run_id = insert_run(run, Journal::Nothing);
                complete(run_id, run, changes);
                return run_id;
            }
            case RunStatus::Aborted: {
                const std::int64_t run_id = insert_run(run, Journal::Measurements);
                stop(run_id, RunStatus::Aborted, run.reason, run.ended_at.value_or(now()),
                     run.retries, changes);
                return run_id;
            }
            case RunStatus::Interrupted: {
                // As mark_interrupted_runs leaves it: ended_at only when the record has one.
                const std::int64_t run_id = insert_run(run, Journal::Measurements);
                stop(run_id, RunStatus::Interrupted, run.reason, run.ended_at, run.retries,
                     changes);
                return run_id;
            }
            case RunStatus::Running:
                break;
        }
        throw DatabaseError(
            fmt::format("{}: importing a run of {}: the run is still running; only finished "
                        "runs (completed, aborted, interrupted) are imported",
                        connection.path(), run.serial));
    }

    // The ended run waits in the outbox for the plant; called in the
    // transaction that ends it.
    void enqueue_for_plant(std::int64_t run_id) {
        Query(connection, "INSERT INTO outbox (run_id, queued_at) VALUES (?, ?)",
              fmt::format("queueing run {} for the plant", run_id))
            .bind(run_id)
            .bind(format_time(now()))
            .run();
    }

    // Hashed with the current canonical form, which the row names.
    void store_record_hash(const RunRecord& stored_run) {
        Query insert(connection,
                     "INSERT INTO run_hashes (run_id, sha256, version) VALUES (?, ?, ?)",
                     fmt::format("storing the record hash of run {}", stored_run.id));
        insert.bind(stored_run.id)
            .bind(analysis::record_hash(stored_run, analysis::kRecordHashVersion))
            .bind(analysis::kRecordHashVersion)
            .run();
    }

    std::vector<RunSummary> summaries(const std::string& sql, std::string_view what,
                                      const std::vector<std::string>& parameters) {
        Query query(connection, sql, std::string(what));
        for (const auto& parameter : parameters) {
            query.bind(parameter);
        }
        std::vector<RunSummary> found;
        const auto from = origin(what);
        while (query.step()) {
            found.push_back(summary_from(from, query));
            show_ended_owner(found.back().id, found.back().status, found.back().reason);
        }
        return found;
    }

    // What `read()` returns, read under the lock in one read snapshot.
    template <typename Read>
    auto read_snapshot(std::string_view what, Read read) {
        std::lock_guard lock(mutex);
        Transaction snapshot(connection, Transaction::Kind::Read, what);
        auto result = read();
        snapshot.commit();
        return result;
    }

    Connection connection;
    ProcessIdentity self;
    // Read-only: running runs whose process has ended, with that pid.
    std::map<std::int64_t, std::int64_t> ended_owners;
    // One connection, its cached statements and its transactions serve one
    // caller at a time.
    std::mutex mutex;
};

Repository::Repository(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
    logger("db")->debug("{}: open read-only, schema version {}", impl_->connection.path(),
                        current_schema_version());
}

Repository Repository::open_read_only(const std::filesystem::path& path) {
    return Repository(std::make_unique<Impl>(path, Impl::ReadOnly{}));
}

Repository::Repository(Repository&&) noexcept = default;

Repository::Repository(const std::filesystem::path& path) : impl_(std::make_unique<Impl>(path)) {
    impl_->mark_interrupted_runs();
    logger("db")->debug("{}: open, schema version {}", impl_->connection.path(),
                        current_schema_version());
}

Repository::~Repository() = default;

int Repository::schema_version() const {
    std::lock_guard lock(impl_->mutex);
    return schema::stored_version(impl_->connection);
}

int Repository::current_schema_version() {
    return schema::current_version();
}

namespace {

// store_limit_set inside the caller's write transaction.
std::int64_t store_limit_set_in(Connection& connection, const StoredLimitSet& limit_set,
                                const std::string& what) {
    if (limit_set.hash.empty()) {
        throw DatabaseError(
            fmt::format("{}: {}: the limit set has no hash", connection.path(), what));
    }
    {
        Query existing(connection, "SELECT id, name, version, body FROM limit_sets WHERE hash = ?",
                       what);
        existing.bind(limit_set.hash);
        if (existing.step()) {
            if (existing.text(1) != limit_set.name || existing.text(2) != limit_set.version ||
                existing.text(3) != limit_set.body) {
                throw DatabaseError(fmt::format(
                    "{}: {}: hash {} is already stored (id {}, '{}' {}) with a different "
                    "name, version or body; a stored limit set never changes",
                    connection.path(), what, limit_set.hash, existing.integer(0), existing.text(1),
                    existing.text(2)));
            }
            return existing.integer(0);
        }
    }
    Query insert(connection,
                 "INSERT INTO limit_sets (name, version, hash, body, stored_at) "
                 "VALUES (?, ?, ?, ?, ?)",
                 what);
    insert.bind(limit_set.name)
        .bind(limit_set.version)
        .bind(limit_set.hash)
        .bind(limit_set.body)
        .bind(format_time(now()))
        .run();
    const std::int64_t id = connection.last_insert_id();
    logger("db")->info("{}: stored limit set '{}' {} ({}) as id {}", connection.path(),
                       limit_set.name, limit_set.version, limit_set.hash, id);
    return id;
}

}  // namespace

std::int64_t Repository::store_limit_set(const StoredLimitSet& limit_set) {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    const std::string what =
        fmt::format("storing limit set '{}' {}", limit_set.name, limit_set.version);
    Transaction transaction(connection, Transaction::Kind::Write, what);
    const std::int64_t id = store_limit_set_in(connection, limit_set, what);
    transaction.commit();
    return id;
}

std::int64_t Repository::upload_limit_set(const StoredLimitSet& limit_set,
                                          const std::string& uploaded_by, TimePoint uploaded_at) {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    const std::string what = fmt::format("uploading limit set '{}' {} by {}", limit_set.name,
                                         limit_set.version, uploaded_by);
    if (uploaded_by.empty())
        throw DatabaseError(fmt::format("{}: {}: no uploader named", connection.path(), what));
    Transaction transaction(connection, Transaction::Kind::Write, what);
    {
        Query uploaded(
            connection,
            "SELECT u.limit_set_id, u.uploaded_by, u.uploaded_at FROM limit_set_uploads u "
            "JOIN limit_sets s ON s.id = u.limit_set_id WHERE s.hash = ?",
            what);
        uploaded.bind(limit_set.hash);
        if (uploaded.step())
            throw DatabaseError(fmt::format(
                "{}: {}: the same limits (hash {}) were uploaded already as id {} by {} at {}",
                connection.path(), what, limit_set.hash, uploaded.integer(0), uploaded.text(1),
                uploaded.text(2)));
    }
    const std::int64_t id = store_limit_set_in(connection, limit_set, what);
    Query(connection,
          "INSERT INTO limit_set_uploads (limit_set_id, uploaded_by, uploaded_at) VALUES (?, ?, ?)",
          what)
        .bind(id)
        .bind(uploaded_by)
        .bind(format_time(uploaded_at == TimePoint{} ? now() : uploaded_at))
        .run();
    transaction.commit();
    logger("db")->info("{}: limit set {} ('{}' {}) uploaded by {}, pending activation",
                       connection.path(), id, limit_set.name, limit_set.version, uploaded_by);
    return id;
}

void Repository::activate_limit_set(std::int64_t id, const std::string& activated_by,
                                    TimePoint activated_at) {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    const std::string what = fmt::format("activating limit set {} by {}", id, activated_by);
    if (activated_by.empty())
        throw DatabaseError(fmt::format("{}: {}: no activator named", connection.path(), what));
    Transaction transaction(connection, Transaction::Kind::Write, what);
    {
        Query upload(connection,
                     "SELECT uploaded_by, activated_by, activated_at FROM limit_set_uploads "
                     "WHERE limit_set_id = ?",
                     what);
        upload.bind(id);
        if (!upload.step())
            throw DatabaseError(fmt::format("{}: {}: no limit set of that id was uploaded",
                                            connection.path(), what));
        if (!upload.is_null(1))
            throw DatabaseError(fmt::format("{}: {}: it was activated already by {} at {}",
                                            connection.path(), what, upload.text(1),
                                            upload.text(2)));
        if (upload.text(0) == activated_by)
            throw DatabaseError(fmt::format(
                "{}: {}: {} uploaded it; a second person must activate it (two-person rule)",
                connection.path(), what, activated_by));
    }
    Query(connection,
          "UPDATE limit_set_uploads SET activated_by = ?, activated_at = ?, activation_seq = "
          "(SELECT coalesce(max(activation_seq), 0) + 1 FROM limit_set_uploads) "
          "WHERE limit_set_id = ? AND activated_by IS NULL",
          what)
        .bind(activated_by)
        .bind(format_time(activated_at == TimePoint{} ? now() : activated_at))
        .bind(id)
        .run();
    if (connection.changes() != 1)
        throw DatabaseError(fmt::format("{}: {}: not activated", connection.path(), what));
    transaction.commit();
    logger("db")->info("{}: limit set {} activated by {}", connection.path(), id, activated_by);
}

namespace {

std::vector<LimitSetUpload> read_limit_set_uploads(Connection& connection, const std::string& where,
                                                   std::optional<std::int64_t> id, bool with_body,
                                                   const std::string& what) {
    const Origin from{connection.path(), what};
    Query query(connection,
                std::string("SELECT s.id, s.name, s.version, s.hash, ") +
                    (with_body ? "s.body" : "''") +
                    ", u.uploaded_by, u.uploaded_at, u.activated_by, u.activated_at, "
                    "u.activation_seq = (SELECT max(activation_seq) FROM limit_set_uploads) "
                    "FROM limit_set_uploads u JOIN limit_sets s ON s.id = u.limit_set_id " +
                    where + " ORDER BY u.uploaded_at DESC, s.id DESC",
                what);
    if (id)
        query.bind(*id);
    std::vector<LimitSetUpload> uploads;
    while (query.step()) {
        LimitSetUpload upload;
        upload.limit_set = {query.integer(0), query.text(1), query.text(2), query.text(3),
                            query.text(4)};
        upload.uploaded_by = query.text(5);
        upload.uploaded_at = time_from(from, "uploaded_at", query.text(6));
        if (!query.is_null(7)) {
            upload.activated_by = query.text(7);
            upload.activated_at = time_from(from, "activated_at", query.text(8));
        }
        upload.active = !query.is_null(9) && query.integer(9) == 1;
        uploads.push_back(std::move(upload));
    }
    return uploads;
}

}  // namespace

std::vector<LimitSetUpload> Repository::limit_set_uploads() const {
    const std::string what = "reading the limit-set uploads";
    return impl_->read_snapshot(what, [&] {
        return read_limit_set_uploads(impl_->connection, "", std::nullopt, false, what);
    });
}

std::optional<LimitSetUpload> Repository::limit_set_upload(std::int64_t id) const {
    const std::string what = fmt::format("reading limit-set upload {}", id);
    return impl_->read_snapshot(what, [&]() -> std::optional<LimitSetUpload> {
        auto found =
            read_limit_set_uploads(impl_->connection, "WHERE u.limit_set_id = ?", id, true, what);
        if (found.empty())
            return std::nullopt;
        return std::move(found.front());
    });
}

std::optional<StoredLimitSet> Repository::active_limit_set() const {
    const std::string what = "reading the limit set in use";
    return impl_->read_snapshot(what, [&]() -> std::optional<StoredLimitSet> {
        {
            Query plant(impl_->connection,
                        "SELECT s.id, s.name, s.version, s.hash, s.body FROM plant_config c "
                        "JOIN limit_sets s ON s.hash = c.limit_set_hash",
                        what);
            if (plant.step())
                return StoredLimitSet{plant.integer(0), plant.text(1), plant.text(2), plant.text(3),
                                      plant.text(4)};
        }
        Query query(impl_->connection,
                    "SELECT s.id, s.name, s.version, s.hash, s.body FROM limit_set_uploads u "
                    "JOIN limit_sets s ON s.id = u.limit_set_id "
                    "WHERE u.activation_seq IS NOT NULL ORDER BY u.activation_seq DESC LIMIT 1",
                    what);
        if (!query.step())
            return std::nullopt;
        return StoredLimitSet{query.integer(0), query.text(1), query.text(2), query.text(3),
                              query.text(4)};
    });
}

std::optional<StoredLimitSet> Repository::limit_set_by_hash(const std::string& hash) const {
    std::lock_guard lock(impl_->mutex);
    Query query(impl_->connection,
                "SELECT id, name, version, hash, body FROM limit_sets WHERE hash = ?",
                "reading limit set " + hash);
    query.bind(hash);
    if (!query.step()) {
        return std::nullopt;
    }
    return StoredLimitSet{query.integer(0), query.text(1), query.text(2), query.text(3),
                          query.text(4)};
}

std::int64_t Repository::save_reference(const Reference& reference) {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    const std::string what = "saving a reference of station " + reference.station;
    Transaction transaction(connection, Transaction::Kind::Write, what);
    const std::int64_t station = impl_->station_id(reference.station);
    {
        Query insert(connection,
                     "INSERT INTO optical_references (station_id, operator, taken_at, "
                     "launch_cord, mode, fibers, launch_cord_matings, rl_noise_window_ms, "
                     "rl_noise_white, rl_noise_relative, rl_noise_slow, rl_noise_level_low_db, "
                     "rl_noise_level_high_db, rl_noise_windows, rl_noise_calibrated_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     what);
        insert.bind(station)
            .bind(reference.operator_name)
            .bind(format_time(reference.taken_at))
            .bind(reference.launch_cord)
            .bind(to_string(reference.mode))
            .bind(reference.fibers)
            .bind(reference.launch_cord_matings);
        if (const auto& model = reference.rl_noise) {
            insert.bind(model->window_ms)
                .bind(model->white_reflectance)
                .bind(model->relative)
                .bind(model->slow_reflectance)
                .bind(model->level_low_db)
                .bind(model->level_high_db)
                .bind(model->windows)
                .bind(format_time(model->calibrated_at));
        } else {
            for (int i = 0; i < 8; ++i)
                insert.bind_null();
        }
        insert.run();
    }
    const std::int64_t id = connection.last_insert_id();
    for (const auto& point : reference.points) {
        Query insert(
            connection,
            "INSERT INTO reference_points (reference_id, fiber, wavelength_nm, "
            "power_dbm, drift_db, monitor_dbm) VALUES (?, ?, ?, ?, ?, ?)",
            fmt::format("{}: point fibre {} at {} nm", what, point.fiber, point.wavelength_nm));
        insert.bind(id)
            .bind(point.fiber)
            .bind(point.wavelength_nm)
            .bind(point.power_dbm)
            .bind(point.drift_db)
            .bind(point.monitor_dbm)
            .run();
    }
    transaction.commit();
    logger("db")->info("{}: saved reference {} of station {}", connection.path(), id,
                       reference.station);
    return id;
}

std::optional<Reference> Repository::latest_reference(const std::string& station) const {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    Transaction snapshot(connection, Transaction::Kind::Read, "reading the latest reference");
    std::int64_t id = 0;
    {
        Query query(connection,
                    "SELECT optical_references.id FROM optical_references "
                    "JOIN stations ON stations.id = optical_references.station_id "
                    "WHERE stations.name = ? ORDER BY taken_at DESC, optical_references.id DESC "
                    "LIMIT 1",
                    "finding the latest reference of station " + station);
        query.bind(station);
        if (!query.step()) {
            return std::nullopt;
        }
        id = query.integer(0);
    }
    auto reference = impl_->load_reference(id);
    snapshot.commit();
    return reference;
}

std::optional<Reference> Repository::reference(std::int64_t id) const {
    return impl_->read_snapshot(fmt::format("reading reference {}", id),
                                [&] { return impl_->load_reference(id); });
}

std::int64_t Repository::begin_run(const RunRecord& run) {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    Transaction transaction(connection, Transaction::Kind::Write,
                            fmt::format("beginning a run of {}", run.serial));
    const std::int64_t run_id = impl_->insert_run(run, Impl::Journal::Measurements);
    transaction.commit();
    logger("db")->info("{}: run {} of {} ({}) began on station {}", connection.path(), run_id,
                       run.serial, run.part.number, run.station);
    return run_id;
}

void Repository::append_measurement(std::int64_t run_id, const Measurement& measurement) {
    std::lock_guard lock(impl_->mutex);
    impl_->insert_measurement(run_id, measurement);
}

void Repository::append_measurements(std::int64_t run_id,
                                     std::span<const Measurement> measurements) {
    std::lock_guard lock(impl_->mutex);
    Transaction transaction(
        impl_->connection, Transaction::Kind::Write,
        fmt::format("journaling {} measurements of run {}", measurements.size(), run_id));
    for (const auto& measurement : measurements)
        impl_->insert_measurement(run_id, measurement);
    transaction.commit();
}

void Repository::complete_run(const RunRecord& graded_run) {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    Transaction transaction(connection, Transaction::Kind::Write,
                            fmt::format("completing run {}", graded_run.id));
    RollupChanges changes(connection);
    impl_->complete(graded_run.id, graded_run, changes);
    changes.flush();
    transaction.commit();
    logger("db")->info("{}: run {} completed: grade {}, {}", connection.path(), graded_run.id,
                       graded_run.grade ? to_string(*graded_run.grade) : "none",
                       graded_run.pass ? "pass" : "not passed");
}

void Repository::abort_run(std::int64_t run_id, const std::string& reason, int retries) {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    const auto abort = [&] {
        Transaction transaction(connection, Transaction::Kind::Write,
                                fmt::format("aborting run {}", run_id));
        RollupChanges changes(connection);
        impl_->stop(run_id, RunStatus::Aborted, reason, now(), retries, changes);
        changes.flush();
        transaction.commit();
    };
    try {
        abort();
    } catch (const DatabaseError& first) {
        // A full disk (or file size limit) stops the write-ahead log from
        // growing, often just as a run aborts for that very reason. A
        // checkpoint lets the next transaction write the log again from its
        // start, in space the file already has: the abort, a few pages, is
        // tried once more there.
        try {
            connection.execute("PRAGMA wal_checkpoint(RESTART)",
                               fmt::format("checkpointing to abort run {}", run_id));
            abort();
        } catch (const DatabaseError& second) {
            throw DatabaseError(
                fmt::format("{} (again after a checkpoint: {})", first.what(), second.what()));
        }
        logger("db")->warn("{}: run {}: the abort was stored after a checkpoint ({})",
                           connection.path(), run_id, first.what());
    }
    logger("db")->info("{}: run {} aborted: {}", connection.path(), run_id, reason);
}

std::vector<std::int64_t> Repository::import_runs(const std::vector<RunRecord>& finished_runs) {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    Transaction transaction(connection, Transaction::Kind::Write,
                            fmt::format("importing {} runs", finished_runs.size()));
    RollupChanges changes(connection);
    std::vector<std::int64_t> run_ids;
    run_ids.reserve(finished_runs.size());
    for (std::size_t index = 0; index < finished_runs.size(); ++index) {
        const RunRecord& run = finished_runs[index];
        try {
            run_ids.push_back(impl_->import_run(run, changes));
        } catch (const DatabaseError& error) {
            throw DatabaseError(
                fmt::format("{} (importing record {} of {}, serial '{}'; nothing "
                            "was imported)",
                            error.what(), index + 1, finished_runs.size(), run.serial));
        }
    }
    changes.flush();
    transaction.commit();
    logger("db")->info("{}: imported {} runs", connection.path(), run_ids.size());
    return run_ids;
}

std::int64_t Repository::record_label_print(const LabelPrint& print) {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    const std::string what = fmt::format("recording a label print of run {}", print.run_id);
    if (print.command != "test" && print.command != "label") {
        throw DatabaseError(
            fmt::format("{}: {}: unknown command '{}'", connection.path(), what, print.command));
    }
    Transaction transaction(connection, Transaction::Kind::Write, what);
    Query insert(connection,
                 "INSERT INTO label_prints (run_id, printed_at, destination, reprint, operator, "
                 "command, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 what);
    insert.bind(print.run_id)
        .bind(format_time(print.printed_at == TimePoint{} ? now() : print.printed_at))
        .bind(print.destination)
        .bind(print.reprint ? 1 : 0)
        .bind(print.operator_name)
        .bind(print.command)
        .bind(print.error)
        .run();
    const std::int64_t id = connection.last_insert_id();
    transaction.commit();
    logger("db")->info("{}: label print {} of run {} to {}{}", connection.path(), id, print.run_id,
                       print.destination, print.error ? " failed: " + *print.error : "");
    return id;
}

bool Repository::label_printed(std::int64_t run_id) const {
    std::lock_guard lock(impl_->mutex);
    Query query(impl_->connection,
                "SELECT 1 FROM label_prints WHERE run_id = ? AND error IS NULL LIMIT 1",
                fmt::format("reading the label prints of run {}", run_id));
    query.bind(run_id);
    return query.step();
}

std::vector<LabelPrint> Repository::label_prints(const std::string& serial) const {
    std::lock_guard lock(impl_->mutex);
    const std::string what = "reading the label prints of " + serial;
    Query query(impl_->connection,
                "SELECT label_prints.id, run_id, printed_at, destination, reprint, "
                "label_prints.operator, command, error FROM label_prints "
                "JOIN runs ON runs.id = run_id JOIN assemblies ON assemblies.id = assembly_id "
                "WHERE assemblies.serial = ? ORDER BY printed_at, label_prints.id",
                what);
    query.bind(serial);
    const Origin from = impl_->origin(what);
    std::vector<LabelPrint> prints;
    while (query.step()) {
        LabelPrint print;
        print.id = query.integer(0);
        print.run_id = query.integer(1);
        print.printed_at = time_from(from, "label_prints.printed_at", query.text(2));
        print.destination = query.text(3);
        print.reprint = query.integer(4) != 0;
        print.operator_name = query.text(5);
        print.command = query.text(6);
        print.error = query.optional_text(7);
        prints.push_back(std::move(print));
    }
    return prints;
}

std::optional<std::string> Repository::record_hash(std::int64_t run_id) const {
    std::lock_guard lock(impl_->mutex);
    Query query(impl_->connection, "SELECT sha256 FROM run_hashes WHERE run_id = ?",
                fmt::format("reading the record hash of run {}", run_id));
    query.bind(run_id);
    if (!query.step()) {
        return std::nullopt;
    }
    return query.text(0);
}

std::string Repository::station_uuid() const {
    std::lock_guard lock(impl_->mutex);
    Query query(impl_->connection, "SELECT uuid FROM station_identity WHERE singleton = 1",
                "reading the station UUID");
    if (!query.step()) {
        throw DatabaseError(
            fmt::format("{}: the database has no station UUID", impl_->connection.path()));
    }
    return query.text(0);
}

std::optional<std::string> Repository::run_uuid(std::int64_t run_id) const {
    std::lock_guard lock(impl_->mutex);
    Query query(impl_->connection, "SELECT uuid FROM run_uuids WHERE run_id = ?",
                fmt::format("reading the UUID of run {}", run_id));
    query.bind(run_id);
    if (!query.step()) {
        return std::nullopt;
    }
    return query.text(0);
}

namespace {

// The waiting entries of the outbox: for the plant (forwarded_at) or the MES
// (mes_acknowledged_at), in queue order.
// The MES's entries begin where the station was linked to one (none before).
constexpr const char* for_the_mes = "seq >= (SELECT from_seq FROM mes_link)";

std::vector<OutboxEntry> read_outbox(Connection& connection, const Origin& from,
                                     const char* acknowledged_column, const char* condition,
                                     const std::string& what) {
    Query query(connection,
                fmt::format("SELECT o.seq, o.run_id, u.uuid, o.queued_at, o.payload, "
                            "o.payload_sha256 FROM outbox o "
                            "JOIN run_uuids u ON u.run_id = o.run_id "
                            "WHERE o.{} IS NULL AND o.{} ORDER BY o.seq",
                            acknowledged_column, condition),
                what);
    std::vector<OutboxEntry> waiting;
    while (query.step()) {
        waiting.push_back(OutboxEntry{query.integer(0), query.integer(1), query.text(2),
                                      time_from(from, "outbox.queued_at", query.text(3)),
                                      query.optional_text(4).value_or(""),
                                      query.optional_text(5).value_or("")});
    }
    return waiting;
}

}  // namespace

std::vector<OutboxEntry> Repository::outbox_waiting() const {
    const std::string what = "reading the runs waiting for the plant";
    return impl_->read_snapshot(what, [&] {
        return read_outbox(impl_->connection, impl_->origin(what), "forwarded_at", "seq > 0", what);
    });
}

std::vector<OutboxEntry> Repository::outbox_waiting_for_mes() const {
    const std::string what = "reading the runs waiting for the MES";
    return impl_->read_snapshot(what, [&] {
        return read_outbox(impl_->connection, impl_->origin(what), "mes_acknowledged_at",
                           for_the_mes, what);
    });
}

std::int64_t Repository::link_mes() {
    if (const auto linked = impl_->read_snapshot("reading the MES link", [&] {
            Query query(impl_->connection, "SELECT from_seq FROM mes_link", "reading the MES link");
            return query.step() ? std::optional<std::int64_t>(query.integer(0)) : std::nullopt;
        }))
        return *linked;  // linked before: no write
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    const std::string what = "linking the station to its MES";
    Transaction transaction(connection, Transaction::Kind::Write, what);
    Query(connection,
          "INSERT INTO mes_link (id, from_seq, linked_at) "
          "SELECT 1, (SELECT coalesce(max(seq), 0) + 1 FROM outbox), ? "
          "WHERE NOT EXISTS (SELECT 1 FROM mes_link)",
          what)
        .bind(format_time(now()))
        .run();
    const bool linked_now = connection.changes() == 1;
    Query query(connection, "SELECT from_seq FROM mes_link", what);
    query.step();
    const std::int64_t from_seq = query.integer(0);
    transaction.commit();
    if (linked_now)
        logger("db")->info("{}: linked to an MES: runs from outbox entry {} on are pushed to it",
                           connection.path(), from_seq);
    return from_seq;
}

void Repository::mark_mes_acknowledged(std::int64_t run_id) {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    const std::string what = fmt::format("marking run {} acknowledged by the MES", run_id);
    Transaction transaction(connection, Transaction::Kind::Write, what);
    Query(connection,
          "UPDATE outbox SET mes_acknowledged_at = ? WHERE run_id = ? AND mes_acknowledged_at IS "
          "NULL",
          what)
        .bind(format_time(now()))
        .bind(run_id)
        .run();
    if (connection.changes() != 1) {
        throw DatabaseError(
            fmt::format("{}: {}: the run is not waiting for the MES", connection.path(), what));
    }
    transaction.commit();
}

OutboxSummary Repository::outbox_summary() const {
    const std::string what = "reading the outbox";
    return impl_->read_snapshot(what, [&] {
        Query query(impl_->connection,
                    "SELECT (SELECT count(*) FROM outbox WHERE forwarded_at IS NULL), "
                    "(SELECT min(queued_at) FROM outbox WHERE forwarded_at IS NULL), "
                    "(SELECT forwarded_at FROM outbox WHERE forwarded_at IS NOT NULL "
                    "ORDER BY seq DESC LIMIT 1), "
                    "(SELECT count(*) FROM outbox WHERE mes_acknowledged_at IS NULL AND " +
                        std::string(for_the_mes) + ")",
                    what);
        query.step();
        const Origin from = impl_->origin(what);
        OutboxSummary summary;
        summary.waiting = query.integer(0);
        if (const auto text = query.optional_text(1))
            summary.oldest_waiting_since = time_from(from, "outbox.queued_at", *text);
        if (const auto text = query.optional_text(2))
            summary.last_forwarded_at = time_from(from, "outbox.forwarded_at", *text);
        summary.mes_waiting = query.integer(3);
        return summary;
    });
}

void Repository::keep_outbox_payload(std::int64_t run_id, const std::string& payload,
                                     const std::string& payload_sha256) {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    const std::string what = fmt::format("keeping the plant payload of run {}", run_id);
    Transaction transaction(connection, Transaction::Kind::Write, what);
    Query(connection,
          "UPDATE outbox SET payload = ?, payload_sha256 = ? "
          "WHERE run_id = ? AND forwarded_at IS NULL AND payload IS NULL",
          what)
        .bind(payload)
        .bind(payload_sha256)
        .bind(run_id)
        .run();
    if (connection.changes() != 1) {
        throw DatabaseError(
            fmt::format("{}: {}: the run is not waiting in the outbox without a payload",
                        connection.path(), what));
    }
    transaction.commit();
}

void Repository::mark_forwarded(std::int64_t run_id) {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    const std::string what = fmt::format("marking run {} forwarded to the plant", run_id);
    Transaction transaction(connection, Transaction::Kind::Write, what);
    Query(connection,
          "UPDATE outbox SET forwarded_at = ? WHERE run_id = ? AND forwarded_at IS NULL", what)
        .bind(format_time(now()))
        .bind(run_id)
        .run();
    if (connection.changes() != 1) {
        throw DatabaseError(
            fmt::format("{}: {}: the run is not waiting in the outbox", connection.path(), what));
    }
    transaction.commit();
}

std::optional<RecordCheck> Repository::find_record(const std::string& hash) const {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    // Hashes are stored in lower case; one copied from paper may not be.
    std::string wanted = hash;
    std::transform(wanted.begin(), wanted.end(), wanted.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const std::string what = "finding the record with hash " + wanted;
    Transaction snapshot(connection, Transaction::Kind::Read, what);
    RecordCheck check;
    {
        Query query(connection, "SELECT run_id, sha256, version FROM run_hashes WHERE sha256 = ?",
                    what);
        query.bind(wanted);
        if (!query.step()) {
            return std::nullopt;
        }
        check.run_id = query.integer(0);
        check.stored_hash = query.text(1);
        check.hash_version = query.int32(2);
    }
    if (!analysis::known_record_hash_version(check.hash_version)) {
        throw DatabaseError(fmt::format(
            "{}: {}: run {} was hashed with canonical form {}, which this mpobench does not know "
            "(it knows 1..{}); upgrade mpobench",
            connection.path(), what, check.run_id, check.hash_version,
            analysis::kRecordHashVersion));
    }
    const auto stored_run = impl_->load_run(check.run_id);
    if (!stored_run) {
        throw DatabaseError(fmt::format("{}: {}: run {} holding the hash does not exist",
                                        connection.path(), what, check.run_id));
    }
    snapshot.commit();
    check.serial = stored_run->serial;
    // Re-hashed with the form it was hashed with: a record hashed before the
    // record grew still verifies. A form that cannot hold the record as it
    // reads now (form 1 and an RL bound) means the record changed.
    try {
        check.record_matches =
            analysis::record_hash(*stored_run, check.hash_version) == check.stored_hash;
    } catch (const std::invalid_argument& unrepresentable) {
        logger("db")->warn("{}: run {}: {}", connection.path(), check.run_id,
                           unrepresentable.what());
        check.record_matches = false;
    }
    if (!check.record_matches) {
        logger("db")->warn("{}: run {} no longer matches its record hash {}", connection.path(),
                           check.run_id, check.stored_hash);
    }
    return check;
}

std::vector<analysis::YieldBucket> Repository::yield_buckets(const QaFilter& filter) const {
    return impl_->read_snapshot("reading yield buckets",
                                [&] { return rollups::yield_buckets(impl_->connection, filter); });
}

QaBuckets Repository::qa_buckets(const QaFilter& filter, IlBuckets il) const {
    return impl_->read_snapshot("reading the QA rollups", [&] {
        QaBuckets buckets;
        const bool readings_only = il == IlBuckets::Only || il == IlBuckets::DayTotals;
        if (!readings_only) {
            buckets.yield = rollups::yield_buckets(impl_->connection, filter);
            buckets.causes = rollups::cause_buckets(impl_->connection, filter);
            buckets.failures = rollups::failure_buckets(impl_->connection, filter);
        }
        if (il != IlBuckets::Skip) {
            buckets.il = il == IlBuckets::DayTotals
                             ? rollups::il_day_totals(impl_->connection, filter)
                             : rollups::il_buckets(impl_->connection, filter);
            buckets.rl = rollups::rl_buckets(impl_->connection, filter);
        }
        return buckets;
    });
}

QaBuckets Repository::regrouped_qa_buckets(
    const QaFilter& filter, const std::function<std::string(TimePoint)>& period_of) const {
    return impl_->read_snapshot("counting production runs by period", [&] {
        return rollups::regrouped_buckets(impl_->connection, filter, period_of);
    });
}

std::vector<analysis::CauseBucket> Repository::cause_buckets(const QaFilter& filter) const {
    return impl_->read_snapshot("reading cause buckets",
                                [&] { return rollups::cause_buckets(impl_->connection, filter); });
}

std::vector<analysis::FailureBucket> Repository::failure_buckets(const QaFilter& filter) const {
    return impl_->read_snapshot("reading failure buckets", [&] {
        return rollups::failure_buckets(impl_->connection, filter);
    });
}

std::vector<analysis::IlBucket> Repository::il_buckets(const QaFilter& filter) const {
    return impl_->read_snapshot("reading IL buckets",
                                [&] { return rollups::il_buckets(impl_->connection, filter); });
}

std::vector<analysis::RlBucket> Repository::rl_buckets(const QaFilter& filter) const {
    return impl_->read_snapshot("reading RL buckets",
                                [&] { return rollups::rl_buckets(impl_->connection, filter); });
}

void Repository::rebuild_qa_rollups() {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    Transaction transaction(connection, Transaction::Kind::Write, "rebuilding the QA rollups");
    rollups::rebuild_rollups(connection);
    transaction.commit();
    logger("db")->info("{}: QA rollups rebuilt from the records", connection.path());
}

std::optional<RunRecord> Repository::run(std::int64_t run_id) const {
    return impl_->read_snapshot(fmt::format("reading run {}", run_id),
                                [&] { return impl_->load_run(run_id); });
}

std::vector<RunSummary> Repository::history(const std::string& serial) const {
    std::lock_guard lock(impl_->mutex);
    return impl_->summaries(std::string(summary_columns) +
                                "WHERE assemblies.serial = ? ORDER BY runs.started_at, runs.id",
                            "reading the history of " + serial, {serial});
}

std::optional<RunSummary> Repository::latest_run(const std::string& serial) const {
    std::lock_guard lock(impl_->mutex);
    auto found = impl_->summaries(
        std::string(summary_columns) +
            "WHERE assemblies.serial = ? ORDER BY runs.started_at DESC, runs.id DESC LIMIT 1",
        "reading the latest run of " + serial, {serial});
    if (found.empty()) {
        return std::nullopt;
    }
    return found.front();
}

std::vector<RunSummary> Repository::find_runs(const RunFilter& filter) const {
    std::lock_guard lock(impl_->mutex);
    // Conditions are fixed text; only the values are parameters.
    std::vector<std::string> conditions, parameters;
    const auto add = [&](const char* condition, std::string value) {
        conditions.emplace_back(condition);
        parameters.push_back(std::move(value));
    };
    if (filter.started_from) {
        add("runs.started_at >= ?", format_time(*filter.started_from));
    }
    if (filter.started_before) {
        add("runs.started_at < ?", format_time(*filter.started_before));
    }
    if (filter.part_number) {
        add("parts.number = ?", *filter.part_number);
    }
    if (filter.station) {
        add("stations.name = ?", *filter.station);
    }
    if (filter.operator_name) {
        add("runs.operator = ?", *filter.operator_name);
    }
    if (filter.kind) {
        add("runs.kind = ?", std::string(to_string(*filter.kind)));
    }
    if (filter.status) {
        add("runs.status = ?", std::string(to_string(*filter.status)));
    }
    std::string sql = summary_columns;
    if (!conditions.empty()) {
        sql += fmt::format("WHERE {} ", fmt::join(conditions, " AND "));
    }
    sql += "ORDER BY runs.started_at, runs.id";
    return impl_->summaries(sql, "finding runs", parameters);
}

CordWear Repository::cord_wear(const std::string& cord_id) const {
    const std::string what = fmt::format("reading the wear of cord {}", cord_id);
    return impl_->read_snapshot(what, [&] {
        CordWear wear;
        wear.cord_id = cord_id;
        Query query(impl_->connection,
                    "SELECT matings, total_matings, since FROM cords WHERE cord_id = ?", what);
        query.bind(cord_id);
        if (query.step()) {
            wear.matings = query.integer(0);
            wear.total_matings = query.integer(1);
            wear.since = time_from(impl_->origin(what), "since", query.text(2));
        }
        return wear;
    });
}

void Repository::add_cord_matings(const std::vector<std::string>& cord_ids) {
    if (cord_ids.empty())
        return;
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    const std::string what = fmt::format("counting a mating of {}", fmt::join(cord_ids, ", "));
    Transaction transaction(connection, Transaction::Kind::Write, what);
    const std::string now = format_time(std::chrono::system_clock::now());
    for (const auto& cord_id : cord_ids) {
        Query upsert(
            connection,
            "INSERT INTO cords (cord_id, matings, total_matings, since) VALUES (?, 1, 1, ?) "
            "ON CONFLICT (cord_id) DO UPDATE SET matings = matings + 1, "
            "total_matings = total_matings + 1",
            what);
        upsert.bind(cord_id).bind(now).run();
    }
    transaction.commit();
}

void Repository::requalify_cord(const std::string& cord_id, const std::string& operator_name,
                                const std::string& reason) {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    const std::string what = fmt::format("re-qualifying cord {}", cord_id);
    Transaction transaction(connection, Transaction::Kind::Write, what);
    std::int64_t matings = 0;
    {
        Query query(connection, "SELECT matings FROM cords WHERE cord_id = ?", what);
        query.bind(cord_id);
        if (!query.step()) {
            throw DatabaseError(fmt::format("{}: {}: the bench has never mated cord {}",
                                            connection.path(), what, cord_id));
        }
        matings = query.integer(0);
    }
    const std::string now = format_time(std::chrono::system_clock::now());
    Query(connection,
          "INSERT INTO cord_requalifications (cord_id, at, operator, reason, matings_before) "
          "VALUES (?, ?, ?, ?, ?)",
          what)
        .bind(cord_id)
        .bind(now)
        .bind(operator_name)
        .bind(reason)
        .bind(matings)
        .run();
    Query(connection, "UPDATE cords SET matings = 0, since = ? WHERE cord_id = ?", what)
        .bind(now)
        .bind(cord_id)
        .run();
    transaction.commit();
    logger("db")->info("{}: cord {} re-qualified by {} after {} matings: {}", connection.path(),
                       cord_id, operator_name, matings, reason);
}

std::vector<CordRequalification> Repository::cord_requalifications(
    const std::string& cord_id) const {
    const std::string what = fmt::format("reading the re-qualifications of cord {}", cord_id);
    return impl_->read_snapshot(what, [&] {
        std::vector<CordRequalification> events;
        Query query(impl_->connection,
                    "SELECT at, operator, reason, matings_before FROM cord_requalifications "
                    "WHERE cord_id = ? ORDER BY at, id",
                    what);
        query.bind(cord_id);
        while (query.step()) {
            events.push_back({time_from(impl_->origin(what), "at", query.text(0)), query.text(1),
                              query.text(2), query.integer(3)});
        }
        return events;
    });
}

analysis::SerialAttempts Repository::serial_attempts(const std::string& serial) const {
    const std::string what = fmt::format("counting the attempts of {}", serial);
    return impl_->read_snapshot(what, [&] {
        std::optional<std::string> released_at;
        {
            Query query(impl_->connection, "SELECT max(at) FROM serial_releases WHERE serial = ?",
                        what);
            query.bind(serial);
            if (query.step() && !query.is_null(0))
                released_at = query.text(0);
        }
        analysis::SerialAttempts attempts;
        for (const auto& run :
             impl_->summaries(std::string(summary_columns) + "WHERE assemblies.serial = ? "
                                                             "ORDER BY runs.started_at, runs.id",
                              what, {serial})) {
            if (!run.attempt)
                continue;
            ++attempts.attempts_ever;
            if (!released_at || format_time(run.started_at) > *released_at)
                ++attempts.attempts;
            attempts.last_run_id = run.id;
            attempts.last_passed = run.status == RunStatus::Completed && run.pass;
        }
        return attempts;
    });
}

void Repository::release_serial(const std::string& serial, const std::string& released_by,
                                const std::string& reason, int attempts) {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    const std::string what = fmt::format("releasing {} from its QA hold", serial);
    Transaction transaction(connection, Transaction::Kind::Write, what);
    Query(connection,
          "INSERT INTO serial_releases (serial, at, released_by, reason, attempts) "
          "VALUES (?, ?, ?, ?, ?)",
          what)
        .bind(serial)
        .bind(format_time(std::chrono::system_clock::now()))
        .bind(released_by)
        .bind(reason)
        .bind(attempts)
        .run();
    transaction.commit();
    logger("db")->info("{}: {} released by {} after {} attempts: {}", connection.path(), serial,
                       released_by, attempts, reason);
}

std::vector<SerialRelease> Repository::serial_releases(const std::string& serial) const {
    const std::string what = fmt::format("reading the QA releases of {}", serial);
    return impl_->read_snapshot(what, [&] {
        std::vector<SerialRelease> releases;
        Query query(impl_->connection,
                    "SELECT at, released_by, reason, attempts FROM serial_releases "
                    "WHERE serial = ? ORDER BY at, id",
                    what);
        query.bind(serial);
        while (query.step()) {
            releases.push_back({time_from(impl_->origin(what), "at", query.text(0)), query.text(1),
                                query.text(2), query.int32(3)});
        }
        return releases;
    });
}

void Repository::add_golden(const GoldenAssembly& golden) {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    const std::string what = fmt::format("making {} a golden assembly", golden.serial);
    Transaction transaction(connection, Transaction::Kind::Write, what);
    Query(connection,
          "INSERT INTO golden_assemblies (serial, part_number, source_run_id, added_at, added_by) "
          "VALUES (?, ?, ?, ?, ?)",
          what)
        .bind(golden.serial)
        .bind(golden.part_number)
        .bind(golden.source_run_id)
        .bind(format_time(golden.added_at))
        .bind(golden.added_by)
        .run();
    for (const auto& value : golden.values) {
        Query(connection,
              "INSERT INTO golden_values (serial, launched_end, fiber, wavelength_nm, il_db) "
              "VALUES (?, ?, ?, ?, ?)",
              what)
            .bind(golden.serial)
            .bind(to_string(value.end))
            .bind(value.fiber)
            .bind(value.wavelength_nm)
            .bind(value.il_db)
            .run();
    }
    transaction.commit();
}

std::optional<GoldenAssembly> Repository::golden(const std::string& serial) const {
    const std::string what = fmt::format("reading golden assembly {}", serial);
    return impl_->read_snapshot(what, [&]() -> std::optional<GoldenAssembly> {
        const auto from = impl_->origin(what);
        GoldenAssembly golden;
        {
            Query query(impl_->connection,
                        "SELECT serial, part_number, source_run_id, added_at, added_by "
                        "FROM golden_assemblies WHERE serial = ?",
                        what);
            query.bind(serial);
            if (!query.step())
                return std::nullopt;
            golden.serial = query.text(0);
            golden.part_number = query.text(1);
            golden.source_run_id = query.integer(2);
            golden.added_at = time_from(from, "added_at", query.text(3));
            golden.added_by = query.text(4);
        }
        Query values(impl_->connection,
                     "SELECT launched_end, fiber, wavelength_nm, il_db FROM golden_values "
                     "WHERE serial = ? ORDER BY launched_end, wavelength_nm, fiber",
                     what);
        values.bind(serial);
        while (values.step()) {
            golden.values.push_back({end_from(from, "launched_end", values.text(0)),
                                     values.int32(1), values.int32(2), values.real(3)});
        }
        return golden;
    });
}

std::int64_t Repository::save_golden_check(const GoldenCheck& check) {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    const std::string what = fmt::format("saving a golden check of station {}", check.station);
    Transaction transaction(connection, Transaction::Kind::Write, what);
    const auto& c = check.comparison;
    Query insert(connection, R"sql(
INSERT INTO golden_checks (station, serial, at, operator, reference_id, pass, il_tolerance_db,
                           compared, worst_deviation_db, worst_where, missing)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
)sql",
                 what);
    insert.bind(check.station)
        .bind(check.serial)
        .bind(format_time(check.at))
        .bind(check.operator_name);
    if (check.reference_id == 0)
        insert.bind_null();
    else
        insert.bind(check.reference_id);
    insert.bind(c.pass ? 1 : 0)
        .bind(check.il_tolerance_db)
        .bind(c.compared)
        .bind(c.worst_deviation_db)
        .bind(c.worst_where)
        .bind(c.missing)
        .run();
    const std::int64_t id = connection.last_insert_id();
    for (const auto& bias : c.bias) {
        Query(connection,
              "INSERT INTO golden_check_bias (check_id, wavelength_nm, mean_bias_db, readings) "
              "VALUES (?, ?, ?, ?)",
              what)
            .bind(id)
            .bind(bias.wavelength_nm)
            .bind(bias.mean_bias_db)
            .bind(bias.readings)
            .run();
    }
    transaction.commit();
    return id;
}

namespace {

std::vector<GoldenCheck> read_golden_checks(Connection& connection, const std::string& where,
                                            const std::vector<std::string>& parameters,
                                            const std::string& what) {
    const Origin from{connection.path(), what};
    std::vector<GoldenCheck> checks;
    {
        Query query(connection,
                    "SELECT id, station, serial, at, operator, reference_id, pass, "
                    "il_tolerance_db, compared, worst_deviation_db, worst_where, missing "
                    "FROM golden_checks " +
                        where,
                    what);
        for (const auto& parameter : parameters)
            query.bind(parameter);
        while (query.step()) {
            GoldenCheck check;
            check.id = query.integer(0);
            check.station = query.text(1);
            check.serial = query.text(2);
            check.at = time_from(from, "at", query.text(3));
            check.operator_name = query.text(4);
            check.reference_id = query.optional_integer(5).value_or(0);
            check.comparison.pass = query.integer(6) != 0;
            check.il_tolerance_db = query.real(7);
            check.comparison.compared = query.int32(8);
            check.comparison.worst_deviation_db = query.real(9);
            check.comparison.worst_where = query.text(10);
            if (!query.is_null(11))
                check.comparison.missing = query.text(11);
            checks.push_back(std::move(check));
        }
    }
    for (auto& check : checks) {
        Query bias(connection,
                   "SELECT wavelength_nm, mean_bias_db, readings FROM golden_check_bias "
                   "WHERE check_id = ? ORDER BY wavelength_nm",
                   what);
        bias.bind(check.id);
        while (bias.step())
            check.comparison.bias.push_back({bias.int32(0), bias.real(1), bias.int32(2)});
    }
    return checks;
}

}  // namespace

std::optional<GoldenCheck> Repository::latest_golden_check(const std::string& station) const {
    const std::string what = fmt::format("reading the golden checks of station {}", station);
    return impl_->read_snapshot(what, [&]() -> std::optional<GoldenCheck> {
        auto checks = read_golden_checks(impl_->connection,
                                         "WHERE station = ? ORDER BY at DESC, id DESC LIMIT 1",
                                         {station}, what);
        if (checks.empty())
            return std::nullopt;
        return std::move(checks.front());
    });
}

std::vector<GoldenCheck> Repository::golden_checks() const {
    const std::string what = "reading the golden checks";
    return impl_->read_snapshot(
        what, [&] { return read_golden_checks(impl_->connection, "ORDER BY at, id", {}, what); });
}

analysis::AuditEntry Repository::append_audit(analysis::AuditEntry entry) {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    const std::string what = fmt::format("writing the audit entry {}", entry.action);
    Transaction transaction(connection, Transaction::Kind::Write, what);
    entry.id = 1;
    entry.prev_sha256.clear();
    {
        Query last(connection, "SELECT id, sha256 FROM audit_log ORDER BY id DESC LIMIT 1", what);
        if (last.step()) {
            entry.id = last.integer(0) + 1;
            entry.prev_sha256 = last.text(1);
        }
    }
    // The stored time has milliseconds, the hash too: hash what is stored.
    entry.at = std::chrono::floor<std::chrono::milliseconds>(entry.at);
    entry.sha256 = analysis::audit_entry_hash(entry);
    Query(connection,
          "INSERT INTO audit_log (id, at, source, os_user, actor, host, action, detail, "
          "prev_sha256, sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          what)
        .bind(entry.id)
        .bind(format_time(entry.at))
        .bind(entry.source)
        .bind(entry.os_user)
        .bind(entry.actor)
        .bind(entry.host)
        .bind(entry.action)
        .bind(entry.detail)
        .bind(entry.prev_sha256)
        .bind(entry.sha256)
        .run();
    transaction.commit();
    return entry;
}

std::vector<analysis::AuditEntry> Repository::audit_entries() const {
    const std::string what = "reading the audit log";
    return impl_->read_snapshot(what, [&] {
        const auto from = impl_->origin(what);
        std::vector<analysis::AuditEntry> entries;
        Query query(impl_->connection,
                    "SELECT id, at, source, os_user, actor, host, action, detail, prev_sha256, "
                    "sha256 FROM audit_log ORDER BY id",
                    what);
        while (query.step()) {
            analysis::AuditEntry entry;
            entry.id = query.integer(0);
            entry.at = time_from(from, "at", query.text(1));
            entry.source = query.text(2);
            entry.os_user = query.text(3);
            entry.actor = query.text(4);
            entry.host = query.text(5);
            entry.action = query.text(6);
            entry.detail = query.text(7);
            entry.prev_sha256 = query.text(8);
            entry.sha256 = query.text(9);
            entries.push_back(std::move(entry));
        }
        return entries;
    });
}

std::string_view to_string(UserRole role) {
    switch (role) {
        case UserRole::Operator:
            return "operator";
        case UserRole::Qa:
            return "qa";
        case UserRole::Admin:
            return "admin";
    }
    return "?";
}

std::optional<UserRole> parse_user_role(std::string_view text) {
    for (const auto role : {UserRole::Operator, UserRole::Qa, UserRole::Admin}) {
        const auto name = to_string(role);
        if (text.size() == name.size() &&
            std::equal(text.begin(), text.end(), name.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) == b;
            })) {
            return role;
        }
    }
    return std::nullopt;
}

void Repository::add_user(const User& user) {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    const std::string what = fmt::format("adding user {}", user.name);
    Transaction transaction(connection, Transaction::Kind::Write, what);
    {
        Query taken(connection, "SELECT 1 FROM users WHERE name = ?", what);
        taken.bind(user.name);
        if (taken.step())
            throw DatabaseError(fmt::format("{}: {}: the name is taken", connection.path(), what));
    }
    Query(connection,
          "INSERT INTO users (name, role, password_hash, created_at, created_by) "
          "VALUES (?, ?, ?, ?, ?)",
          what)
        .bind(user.name)
        .bind(to_string(user.role))
        .bind(user.password_hash)
        .bind(format_time(user.created_at))
        .bind(user.created_by)
        .run();
    transaction.commit();
    logger("db")->info("{}: user {} added ({}) by {}", connection.path(), user.name,
                       to_string(user.role), user.created_by);
}

namespace {

std::vector<User> read_users(Connection& connection, const std::string& where,
                             const std::vector<std::string>& parameters, const std::string& what) {
    const Origin from{connection.path(), what};
    Query query(connection,
                "SELECT name, role, password_hash, created_at, created_by, disabled_at, "
                "badge_sha256 IS NOT NULL, from_plant FROM users " +
                    where + " ORDER BY name",
                what);
    for (const auto& parameter : parameters)
        query.bind(parameter);
    std::vector<User> users;
    while (query.step()) {
        User user;
        user.name = query.text(0);
        const auto role = parse_user_role(query.text(1));
        if (!role) {
            throw DatabaseError(fmt::format("{}: {}: user {} has the role '{}'", connection.path(),
                                            what, user.name, query.text(1)));
        }
        user.role = *role;
        user.password_hash = query.text(2);
        user.created_at = time_from(from, "created_at", query.text(3));
        user.created_by = query.text(4);
        if (!query.is_null(5))
            user.disabled_at = time_from(from, "disabled_at", query.text(5));
        user.has_badge = query.integer(6) != 0;
        user.from_plant = query.integer(7) != 0;
        users.push_back(std::move(user));
    }
    return users;
}

}  // namespace

std::vector<User> Repository::users() const {
    const std::string what = "reading the users";
    return impl_->read_snapshot(what, [&] { return read_users(impl_->connection, "", {}, what); });
}

std::optional<User> Repository::user(const std::string& name) const {
    const std::string what = fmt::format("reading user {}", name);
    return impl_->read_snapshot(what, [&]() -> std::optional<User> {
        auto found = read_users(impl_->connection, "WHERE name = ?", {name}, what);
        if (found.empty())
            return std::nullopt;
        return std::move(found.front());
    });
}

void Repository::set_badge(const std::string& name, const std::string& badge_sha256) {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    const std::string what = fmt::format("registering a badge for user {}", name);
    Transaction transaction(connection, Transaction::Kind::Write, what);
    {
        Query taken(connection, "SELECT name FROM users WHERE badge_sha256 = ? AND name <> ?",
                    what);
        taken.bind(badge_sha256).bind(name);
        if (taken.step()) {
            throw DatabaseError(
                fmt::format("{}: {}: that badge is {}'s", connection.path(), what, taken.text(0)));
        }
    }
    Query(connection, "UPDATE users SET badge_sha256 = ? WHERE name = ? AND disabled_at IS NULL",
          what)
        .bind(badge_sha256)
        .bind(name)
        .run();
    if (connection.changes() != 1) {
        throw DatabaseError(
            fmt::format("{}: {}: no enabled user of that name", connection.path(), what));
    }
    transaction.commit();
    logger("db")->info("{}: user {} has a new badge", connection.path(), name);
}

std::optional<User> Repository::user_by_badge(const std::string& badge_sha256) const {
    const std::string what = "finding the user of a badge";
    return impl_->read_snapshot(what, [&]() -> std::optional<User> {
        auto found = read_users(impl_->connection, "WHERE badge_sha256 = ? AND disabled_at IS NULL",
                                {badge_sha256}, what);
        if (found.empty())
            return std::nullopt;
        return std::move(found.front());
    });
}

void Repository::disable_user(const std::string& name) {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    const std::string what = fmt::format("disabling user {}", name);
    Transaction transaction(connection, Transaction::Kind::Write, what);
    Query(connection, "UPDATE users SET disabled_at = ? WHERE name = ? AND disabled_at IS NULL",
          what)
        .bind(format_time(std::chrono::system_clock::now()))
        .bind(name)
        .run();
    if (connection.changes() != 1) {
        throw DatabaseError(
            fmt::format("{}: {}: no enabled user of that name", connection.path(), what));
    }
    transaction.commit();
    logger("db")->info("{}: user {} disabled", connection.path(), name);
}

bool Repository::integrity_ok() const {
    std::lock_guard lock(impl_->mutex);
    Query query(impl_->connection, "PRAGMA integrity_check", "checking integrity");
    std::vector<std::string> problems;
    while (query.step()) {
        problems.push_back(query.text(0));
    }
    const bool ok = problems.size() == 1 && problems.front() == "ok";
    if (!ok) {
        logger("db")->error("{}: integrity check: {}", impl_->connection.path(),
                            fmt::join(problems, "; "));
    }
    return ok;
}

PlantConfigChanges Repository::cache_plant_config(const PlantConfigCache& config,
                                                  const std::vector<PlantUser>& users) {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    const std::string what = fmt::format("keeping what plant {} gives", config.plant);
    Transaction transaction(connection, Transaction::Kind::Write, what);
    PlantConfigChanges changes;
    {
        Query before(connection,
                     "SELECT coalesce(parts_sha256, ''), coalesce(limit_set_hash, '') "
                     "FROM plant_config",
                     what);
        const bool cached = before.step();
        const std::string parts_before = cached ? before.text(0) : "";
        const std::string limits_before = cached ? before.text(1) : "";
        changes.parts = parts_before != (config.parts ? config.parts->sha256 : "");
        changes.limits = limits_before != (config.limits ? config.limits->limit_set.hash : "");
    }
    if (config.limits) {
        // The same limits (same hash: the canonical form) stored already,
        // perhaps in another text from a --limits file, are those limits.
        Query stored(connection, "SELECT 1 FROM limit_sets WHERE hash = ?", what);
        stored.bind(config.limits->limit_set.hash);
        if (!stored.step())
            store_limit_set_in(connection, config.limits->limit_set, what);
    }
    for (const auto& plant_user : users) {
        const User& user = plant_user.user;
        Query held(connection,
                   "SELECT 1 FROM users WHERE name = ? AND from_plant = 1 AND role = ? AND "
                   "password_hash = ? AND badge_sha256 IS ? AND disabled_at IS ?",
                   what);
        const std::optional<std::string> disabled_at =
            user.disabled_at ? std::make_optional(format_time(*user.disabled_at)) : std::nullopt;
        held.bind(user.name)
            .bind(to_string(user.role))
            .bind(user.password_hash)
            .bind(plant_user.badge_sha256)
            .bind(disabled_at);
        if (held.step())
            continue;
        if (plant_user.badge_sha256) {
            Query(connection,
                  "UPDATE users SET badge_sha256 = NULL WHERE badge_sha256 = ? AND name <> ?", what)
                .bind(*plant_user.badge_sha256)
                .bind(user.name)
                .run();
        }
        Query(connection,
              "INSERT INTO users (name, role, password_hash, created_at, created_by, disabled_at, "
              "badge_sha256, from_plant) VALUES (?, ?, ?, ?, ?, ?, ?, 1) "
              "ON CONFLICT (name) DO UPDATE SET role = excluded.role, "
              "password_hash = excluded.password_hash, disabled_at = excluded.disabled_at, "
              "badge_sha256 = excluded.badge_sha256, from_plant = 1",
              what)
            .bind(user.name)
            .bind(to_string(user.role))
            .bind(user.password_hash)
            .bind(format_time(user.created_at))
            .bind(user.created_by)
            .bind(disabled_at)
            .bind(plant_user.badge_sha256)
            .run();
        changes.users.push_back(user.name);
    }
    // Users the plant does not list came from another plant (a plant never
    // deletes a user): they no longer log in here.
    {
        std::vector<std::string> listed;
        for (const auto& plant_user : users)
            listed.push_back(plant_user.user.name);
        Query from_plant(connection,
                         "SELECT name FROM users WHERE from_plant = 1 AND disabled_at IS NULL",
                         what);
        std::vector<std::string> unlisted;
        while (from_plant.step()) {
            if (std::find(listed.begin(), listed.end(), from_plant.text(0)) == listed.end())
                unlisted.push_back(from_plant.text(0));
        }
        for (const auto& name : unlisted) {
            Query(connection, "UPDATE users SET disabled_at = ? WHERE name = ?", what)
                .bind(format_time(config.fetched_at))
                .bind(name)
                .run();
            changes.users.push_back(name);
        }
    }
    Query replace(connection,
                  "INSERT OR REPLACE INTO plant_config (id, plant, fetched_at, parts_id, "
                  "parts_sha256, parts_body, parts_published_by, parts_published_at, "
                  "limit_set_hash, limit_set_plant_id, limits_activated_by, limits_activated_at, "
                  "users) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  what);
    replace.bind(config.plant).bind(format_time(config.fetched_at));
    if (config.parts) {
        replace.bind(config.parts->id)
            .bind(config.parts->sha256)
            .bind(config.parts->body)
            .bind(config.parts->published_by)
            .bind(format_time(config.parts->published_at));
    } else {
        replace.bind_null().bind_null().bind_null().bind_null().bind_null();
    }
    if (config.limits && config.limits->activated_by && config.limits->activated_at) {
        replace.bind(config.limits->limit_set.hash)
            .bind(config.limits->limit_set.id)
            .bind(*config.limits->activated_by)
            .bind(format_time(*config.limits->activated_at));
    } else {
        replace.bind_null().bind_null().bind_null().bind_null();
    }
    replace.bind(static_cast<std::int64_t>(users.size())).run();
    transaction.commit();
    if (changes.any()) {
        logger("db")->info("{}: from plant {}: {}{}{} user(s) added or changed", connection.path(),
                           config.plant, changes.parts ? "a new part catalogue, " : "",
                           changes.limits ? "a new limit set, " : "", changes.users.size());
    }
    return changes;
}

bool Repository::forget_plant_config() {
    std::lock_guard lock(impl_->mutex);
    auto& connection = impl_->connection;
    const std::string what = "forgetting what a plant gave";
    Transaction transaction(connection, Transaction::Kind::Write, what);
    Query(connection, "DELETE FROM plant_config", what).run();
    const bool forgotten = connection.changes() > 0;
    // The plant's users stay, as the station's own from now on.
    Query(connection, "UPDATE users SET from_plant = 0 WHERE from_plant = 1", what).run();
    transaction.commit();
    if (forgotten)
        logger("db")->info("{}: no plant any more: its parts and limits forgotten",
                           connection.path());
    return forgotten;
}

std::optional<PlantConfigCache> Repository::plant_config() const {
    const std::string what = "reading what the plant gave";
    return impl_->read_snapshot(what, [&]() -> std::optional<PlantConfigCache> {
        auto& connection = impl_->connection;
        const Origin from{connection.path(), what};
        Query query(
            connection,
            "SELECT c.plant, c.fetched_at, c.parts_id, c.parts_sha256, c.parts_body, "
            "c.parts_published_by, c.parts_published_at, c.limit_set_plant_id, s.name, "
            "s.version, s.hash, s.body, c.limits_activated_by, c.limits_activated_at, "
            "c.users FROM plant_config c LEFT JOIN limit_sets s ON s.hash = c.limit_set_hash",
            what);
        if (!query.step())
            return std::nullopt;
        PlantConfigCache config;
        config.plant = query.text(0);
        config.fetched_at = time_from(from, "fetched_at", query.text(1));
        if (!query.is_null(2)) {
            config.parts =
                PublishedCatalogue{query.integer(2), query.text(3), query.text(4), query.text(5),
                                   time_from(from, "parts_published_at", query.text(6))};
        }
        if (!query.is_null(7)) {
            LimitSetUpload limits;
            limits.limit_set = {query.integer(7), query.text(8), query.text(9), query.text(10),
                                query.text(11)};
            limits.activated_by = query.text(12);
            limits.activated_at = time_from(from, "limits_activated_at", query.text(13));
            limits.active = true;
            config.limits = std::move(limits);
        }
        config.users = static_cast<int>(query.integer(14));
        return config;
    });
}

}  // namespace mpobench::db
