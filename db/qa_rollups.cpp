#include "db/qa_rollups.hpp"

#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <functional>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "analysis/verdict.hpp"
#include "db/stored_values.hpp"

namespace mpobench::db::rollups {

namespace {

using sqlite::Connection;
using sqlite::Query;
using namespace stored;

// The readings an IL bucket takes (the rebuild's SELECT says the same in SQL).
bool counts_toward_il(const Measurement& measurement) {
    return measurement.cycle == 0 && measurement.status == ReadingStatus::Ok &&
           measurement.il_db.has_value();
}

// The readings an RL bucket takes (the rebuild's SELECT says the same in SQL).
bool counts_toward_rl(const Measurement& measurement) {
    return measurement.cycle == 0 && measurement.status == ReadingStatus::Ok &&
           (measurement.rl_db.has_value() || measurement.rl_above_db.has_value());
}

// ---- Bucket filters: conditions on the rollup tables' key columns, with
// their values in bind order.

struct BucketFilter {
    std::vector<std::string> conditions;
    std::vector<std::string> values;

    BucketFilter(const Connection& connection, const QaFilter& filter) {
        // Days compare as text: anything but YYYY-MM-DD would select nonsense.
        for (const auto& day : {filter.from_day, filter.to_day}) {
            if (day && !parse_time(*day + "T00:00:00.000Z")) {
                throw DatabaseError(
                    fmt::format("{}: reading QA buckets: '{}' is not a day (YYYY-MM-DD)",
                                connection.path(), *day));
            }
        }
        const auto add = [this](const char* condition, const std::optional<std::string>& value) {
            if (value) {
                conditions.emplace_back(condition);
                values.push_back(*value);
            }
        };
        add("day >= ?", filter.from_day);
        add("day <= ?", filter.to_day);
        add("part_number = ?", filter.part_number);
        add("station = ?", filter.station);
        add("operator = ?", filter.operator_name);
    }

    // Key columns first, then `columns`; in primary-key order (the order the
    // table is stored in, so SQLite does not sort).
    std::string select(std::string_view table, std::string_view columns,
                       std::string_view more_key_columns) const {
        return fmt::format(
            "SELECT day, part_number, station, operator, {} FROM {} {} "
            "ORDER BY day, part_number, station, operator{}",
            columns, table,
            conditions.empty() ? std::string()
                               : fmt::format("WHERE {}", fmt::join(conditions, " AND ")),
            more_key_columns);
    }

    // How many rows select() reads from `table`.
    std::string count(std::string_view table) const {
        return fmt::format("SELECT count(*) FROM {} {}", table,
                           conditions.empty()
                               ? std::string()
                               : fmt::format("WHERE {}", fmt::join(conditions, " AND ")));
    }

    void bind(Query& query) const {
        for (const auto& value : values) {
            query.bind(value);
        }
    }
};

// The local calendar day (this process's time zone) of a time, YYYY-MM-DD.
std::string local_day(TimePoint time) {
    const std::time_t seconds =
        std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(time));
    std::tm local{};
    if (::localtime_r(&seconds, &local) == nullptr) {
        throw DatabaseError(fmt::format("cannot convert {} to local time: {}", format_time(time),
                                        std::strerror(errno)));
    }
    std::array<char, 16> text{};
    const std::size_t length = std::strftime(text.data(), text.size(), "%Y-%m-%d", &local);
    return std::string(text.data(), length);
}

analysis::BucketKey key_from(const Query& row) {
    return {row.text(0), row.text(1), row.text(2), row.text(3)};
}

// The histogram of one IL bucket (day, part, station, operator, wavelength).
analysis::IlHistogram decode_histogram(const Connection& connection, std::string_view bytes,
                                       const analysis::BucketKey& key, int wavelength_nm) {
    try {
        return analysis::IlHistogram::decode(bytes);
    } catch (const std::invalid_argument& error) {
        throw DatabaseError(fmt::format(
            "{}: reading the IL histogram of {} part {} station {} operator '{}' at {} nm: {}",
            connection.path(), key.day, key.part_number, key.station, key.operator_name,
            wavelength_nm, error.what()));
    }
}

// The buckets of one rollup table that the filter selects, in key order:
// the key from the key columns, the rest by `read_columns` from `columns`
// (column 4 on).
template <typename Bucket, typename ReadColumns>
std::vector<Bucket> read_buckets(Connection& connection, const QaFilter& filter,
                                 std::string_view table, std::string_view columns,
                                 std::string_view more_key_columns, const std::string& what,
                                 ReadColumns read_columns) {
    const BucketFilter conditions(connection, filter);
    std::vector<Bucket> buckets;
    {
        // Room for every bucket at once: an IL bucket holds its 400-bin
        // histogram, and growing the vector would copy them all again.
        Query rows(connection, conditions.count(table), what);
        conditions.bind(rows);
        if (rows.step()) {
            buckets.reserve(static_cast<std::size_t>(rows.integer(0)));
        }
    }
    Query query(connection, conditions.select(table, columns, more_key_columns), what);
    conditions.bind(query);
    while (query.step()) {
        auto& bucket = buckets.emplace_back();
        bucket.key = key_from(query);
        read_columns(query, bucket);
    }
    return buckets;
}

}  // namespace

// ---- Collecting changes

void RollupChanges::IlStats::add(double il_db) {
    min_db = count == 0 ? il_db : std::min(min_db, il_db);
    max_db = count == 0 ? il_db : std::max(max_db, il_db);
    ++count;
    sum_db += il_db;
    sum_squares_db += il_db * il_db;
    histogram.add(il_db);
}

void RollupChanges::IlStats::merge(const IlStats& other) {
    if (other.count == 0) {
        return;
    }
    min_db = count == 0 ? other.min_db : std::min(min_db, other.min_db);
    max_db = count == 0 ? other.max_db : std::max(max_db, other.max_db);
    count += other.count;
    sum_db += other.sum_db;
    sum_squares_db += other.sum_squares_db;
    histogram += other.histogram;
}

void RollupChanges::count_completed(const Place& place, std::optional<Grade> grade, bool pass) {
    auto& counts = yield_[place];
    ++counts.completed;
    counts.passed += pass ? 1 : 0;
    if (grade) {
        ++counts.grades[static_cast<std::size_t>(*grade)];
    }
}

void RollupChanges::count_first(const Place& place, bool pass, int sign) {
    auto& counts = yield_[place];
    counts.first_tested += sign;
    counts.first_passed += pass ? sign : 0;
}

void RollupChanges::count_final(const Place& place, bool pass, int sign) {
    auto& counts = yield_[place];
    counts.final_tested += sign;
    counts.final_passed += pass ? sign : 0;
}

void RollupChanges::count_failures(const Place& place, Grade target, bool pass,
                                   const std::vector<Failure>& failures) {
    if (pass) {
        return;
    }
    std::set<std::string> causes;
    for (const auto& failure : analysis::failures_against_target(target, failures)) {
        std::string cause(analysis::failure_cause(failure.what));
        ++failures_[{place, cause, failure.end ? std::string(to_string(*failure.end)) : "",
                     failure.fiber.value_or(0), failure.wavelength_nm.value_or(0)}];
        causes.insert(std::move(cause));
    }
    for (const auto& cause : causes) {
        ++cause_runs_[{place, cause}];
    }
}

void RollupChanges::count_il(const Place& place, int wavelength_nm, double il_db) {
    il_[{place, wavelength_nm}].add(il_db);
}

void RollupChanges::count_rl(const Place& place, const Measurement& measurement) {
    auto& stats = rl_[{place, measurement.wavelength_nm}];
    if (measurement.rl_db) {
        stats.add_value(*measurement.rl_db);
    } else if (measurement.rl_above_db) {
        stats.add_bound(*measurement.rl_above_db);
    }
}

void RollupChanges::run_completed(const RunRecord& stored_run) {
    if (stored_run.kind != RunKind::Production) {
        return;
    }
    const std::string what = fmt::format("counting run {} in the QA rollups", stored_run.id);
    const Place place{local_day(stored_run.started_at), stored_run.part.number, stored_run.station,
                      stored_run.operator_name};
    std::int64_t assembly_id = 0;
    Order order;
    {
        Query query(connection_, "SELECT assembly_id, started_at FROM runs WHERE id = ?", what);
        query.bind(stored_run.id);
        if (!query.step()) {
            connection_.fail(what);
        }
        assembly_id = query.integer(0);
        order = {query.text(1), stored_run.id};
    }
    count_completed(place, stored_run.grade, stored_run.pass);
    yield_[place].retries += stored_run.retries;
    count_failures(place, stored_run.part.target, stored_run.pass, stored_run.failures);
    for (const auto& measurement : stored_run.measurements) {
        if (counts_toward_il(measurement)) {
            count_il(place, measurement.wavelength_nm, *measurement.il_db);
        }
        if (counts_toward_rl(measurement)) {
            count_rl(place, measurement);
        }
    }

    // The serial's other completed production runs decide whether this run
    // is its first and its final one.
    struct Neighbour {
        Order order;
        Place place;
        bool pass = false;
    };
    const auto neighbour = [&](const std::string& sql) -> std::optional<Neighbour> {
        Query query(connection_, sql, what);
        query.bind(assembly_id).bind(stored_run.id);
        if (!query.step()) {
            return std::nullopt;
        }
        const std::string started_at = query.text(1);
        return Neighbour{
            {started_at, query.integer(0)},
            {local_day(time_from(Origin{connection_.path(), what}, "started_at", started_at)),
             query.text(2), query.text(3), query.text(4)},
            query.integer(5) != 0};
    };
    constexpr const char* others =
        "SELECT runs.id, runs.started_at, parts.number, stations.name, runs.operator, runs.pass "
        "FROM runs JOIN parts ON parts.id = runs.part_id "
        "JOIN stations ON stations.id = runs.station_id "
        "WHERE runs.assembly_id = ? AND runs.id <> ? AND runs.kind = 'production' "
        "AND runs.status = 'completed' ";
    const auto first = neighbour(std::string(others) + "ORDER BY runs.started_at, runs.id LIMIT 1");
    const auto last =
        neighbour(std::string(others) + "ORDER BY runs.started_at DESC, runs.id DESC LIMIT 1");
    if (!first || order < first->order) {
        if (first) {
            count_first(first->place, first->pass, -1);
        }
        count_first(place, stored_run.pass, +1);
    }
    if (!last || order > last->order) {
        if (last) {
            count_final(last->place, last->pass, -1);
        }
        count_final(place, stored_run.pass, +1);
    }
}

void RollupChanges::run_stopped(std::int64_t run_id, RunStatus status) {
    const std::string what = fmt::format("counting run {} in the QA rollups", run_id);
    Query query(connection_,
                "SELECT runs.kind, parts.number, stations.name, runs.operator, runs.started_at, "
                "runs.retries FROM runs JOIN parts ON parts.id = runs.part_id "
                "JOIN stations ON stations.id = runs.station_id WHERE runs.id = ?",
                what);
    query.bind(run_id);
    if (!query.step()) {
        connection_.fail(what);
    }
    const Origin origin{connection_.path(), what};
    if (kind_from(origin, query.text(0)) != RunKind::Production) {
        return;
    }
    const Place place{local_day(time_from(origin, "started_at", query.text(4))), query.text(1),
                      query.text(2), query.text(3)};
    auto& counts = yield_[place];
    counts.retries += query.integer(5);
    if (status == RunStatus::Aborted) {
        ++counts.aborted;
    } else if (status == RunStatus::Interrupted) {
        ++counts.interrupted;
    } else {
        throw std::logic_error(
            fmt::format("db: run {} counted as stopped with status {}", run_id, to_string(status)));
    }
}

// ---- Writing changes

void RollupChanges::flush() {
    flush_yield();
    flush_causes();
    flush_failures();
    flush_il();
    flush_rl();
}

void RollupChanges::flush_yield() {
    for (const auto& [place, counts] : yield_) {
        Query upsert(connection_, R"sql(
INSERT INTO qa_yield (day, part_number, station, operator, completed, passed, aborted, interrupted,
                      first_tested, first_passed, final_tested, final_passed, grade_fail,
                      grade_generic, grade_standard, grade_elite, retries)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (day, part_number, station, operator) DO UPDATE SET
    completed = completed + excluded.completed, passed = passed + excluded.passed,
    aborted = aborted + excluded.aborted, interrupted = interrupted + excluded.interrupted,
    first_tested = first_tested + excluded.first_tested,
    first_passed = first_passed + excluded.first_passed,
    final_tested = final_tested + excluded.final_tested,
    final_passed = final_passed + excluded.final_passed,
    grade_fail = grade_fail + excluded.grade_fail,
    grade_generic = grade_generic + excluded.grade_generic,
    grade_standard = grade_standard + excluded.grade_standard,
    grade_elite = grade_elite + excluded.grade_elite,
    retries = retries + excluded.retries
)sql",
                     "updating the yield rollup of " + place.day);
        upsert.bind(place.day)
            .bind(place.part_number)
            .bind(place.station)
            .bind(place.operator_name)
            .bind(counts.completed)
            .bind(counts.passed)
            .bind(counts.aborted)
            .bind(counts.interrupted)
            .bind(counts.first_tested)
            .bind(counts.first_passed)
            .bind(counts.final_tested)
            .bind(counts.final_passed);
        for (const auto runs : counts.grades) {
            upsert.bind(runs);
        }
        upsert.bind(counts.retries);
        upsert.run();
    }
    yield_.clear();
}

void RollupChanges::flush_causes() {
    for (const auto& [key, runs] : cause_runs_) {
        const auto& [place, cause] = key;
        Query upsert(connection_,
                     "INSERT INTO qa_causes (day, part_number, station, operator, cause, runs) "
                     "VALUES (?, ?, ?, ?, ?, ?) "
                     "ON CONFLICT (day, part_number, station, operator, cause) "
                     "DO UPDATE SET runs = runs + excluded.runs",
                     "updating the cause rollup of " + place.day);
        upsert.bind(place.day)
            .bind(place.part_number)
            .bind(place.station)
            .bind(place.operator_name)
            .bind(cause)
            .bind(runs)
            .run();
    }
    cause_runs_.clear();
}

void RollupChanges::flush_failures() {
    for (const auto& [key, count] : failures_) {
        Query upsert(
            connection_,
            "INSERT INTO qa_failures (day, part_number, station, operator, cause, "
            "launched_end, fiber, wavelength_nm, failures) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (day, part_number, station, operator, cause, launched_end, fiber, "
            "wavelength_nm) DO UPDATE SET failures = failures + excluded.failures",
            "updating the failure rollup of " + key.place.day);
        upsert.bind(key.place.day)
            .bind(key.place.part_number)
            .bind(key.place.station)
            .bind(key.place.operator_name)
            .bind(key.cause)
            .bind(key.end)
            .bind(key.fiber)
            .bind(key.wavelength_nm)
            .bind(count)
            .run();
    }
    failures_.clear();
}

void RollupChanges::flush_il() {
    for (auto& [key, stats] : il_) {
        const auto& [place, wavelength_nm] = key;
        const std::string what =
            fmt::format("updating the IL rollup of {} at {} nm", place.day, wavelength_nm);
        // A histogram cannot be added up in SQL: read, merge, write back.
        IlStats merged;
        {
            Query stored_row(connection_,
                             "SELECT readings, sum_db, sum_squares_db, min_db, max_db, histogram "
                             "FROM qa_il WHERE day = ? AND part_number = ? AND station = ? "
                             "AND operator = ? AND wavelength_nm = ?",
                             what);
            stored_row.bind(place.day)
                .bind(place.part_number)
                .bind(place.station)
                .bind(place.operator_name)
                .bind(wavelength_nm);
            if (stored_row.step()) {
                merged.count = stored_row.integer(0);
                merged.sum_db = stored_row.real(1);
                merged.sum_squares_db = stored_row.real(2);
                merged.min_db = stored_row.real(3);
                merged.max_db = stored_row.real(4);
                merged.histogram = decode_histogram(
                    connection_, stored_row.blob(5),
                    {place.day, place.part_number, place.station, place.operator_name},
                    wavelength_nm);
            }
        }
        merged.merge(stats);
        Query upsert(connection_, R"sql(
INSERT INTO qa_il (day, part_number, station, operator, wavelength_nm, readings, sum_db,
                   sum_squares_db, min_db, max_db, histogram)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (day, part_number, station, operator, wavelength_nm) DO UPDATE SET
    readings = excluded.readings, sum_db = excluded.sum_db,
    sum_squares_db = excluded.sum_squares_db, min_db = excluded.min_db, max_db = excluded.max_db,
    histogram = excluded.histogram
)sql",
                     what);
        upsert.bind(place.day)
            .bind(place.part_number)
            .bind(place.station)
            .bind(place.operator_name)
            .bind(wavelength_nm)
            .bind(merged.count)
            .bind(merged.sum_db)
            .bind(merged.sum_squares_db)
            .bind(merged.min_db)
            .bind(merged.max_db)
            .bind_blob(merged.histogram.encode())
            .run();
    }
    il_.clear();
}

void RollupChanges::flush_rl() {
    for (const auto& [key, stats] : rl_) {
        const auto& [place, wavelength_nm] = key;
        const std::string what =
            fmt::format("updating the RL rollup of {} at {} nm", place.day, wavelength_nm);
        // min() of SQL gives NULL beside a NULL: merge in C++ like the IL rollup.
        analysis::RlStats merged;
        {
            Query stored_row(connection_,
                             "SELECT measured, above_range, worst_db, lowest_bound_db FROM qa_rl "
                             "WHERE day = ? AND part_number = ? AND station = ? AND operator = ? "
                             "AND wavelength_nm = ?",
                             what);
            stored_row.bind(place.day)
                .bind(place.part_number)
                .bind(place.station)
                .bind(place.operator_name)
                .bind(wavelength_nm);
            if (stored_row.step()) {
                merged.values = stored_row.integer(0);
                merged.above_range = stored_row.integer(1);
                merged.worst_db = stored_row.optional_real(2);
                merged.lowest_bound_db = stored_row.optional_real(3);
            }
        }
        merged += stats;
        Query upsert(connection_, R"sql(
INSERT INTO qa_rl (day, part_number, station, operator, wavelength_nm, measured, above_range,
                   worst_db, lowest_bound_db)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (day, part_number, station, operator, wavelength_nm) DO UPDATE SET
    measured = excluded.measured, above_range = excluded.above_range,
    worst_db = excluded.worst_db, lowest_bound_db = excluded.lowest_bound_db
)sql",
                     what);
        upsert.bind(place.day)
            .bind(place.part_number)
            .bind(place.station)
            .bind(place.operator_name)
            .bind(wavelength_nm)
            .bind(merged.values)
            .bind(merged.above_range)
            .bind(merged.worst_db)
            .bind(merged.lowest_bound_db)
            .run();
    }
    rl_.clear();
}

// ---- Rebuilding from the records

// Every production run's contribution from the records, each run in the
// bucket of period_of(started_at): the rebuild (local days) and the
// regrouped views (shifts) count the same way. Readings (IL, RL) only when
// asked for: the regrouped views have no use for them.
void collect_from_records(Connection& connection, RollupChanges& changes,
                          const std::function<std::string(TimePoint)>& period_of,
                          bool with_readings, const std::string& what) {
    using Place = RollupChanges::Place;
    const Origin origin{connection.path(), what};

    // Completed runs, for their failures and IL readings.
    struct Completed {
        const Place* place = nullptr;
        Grade target = Grade::Fail;
        bool pass = false;
    };
    std::set<Place> places;
    std::unordered_map<std::int64_t, Completed> completed;
    {
        // from_first / from_last: the run's rank among the serial's completed
        // production runs, from the first and from the latest.
        Query runs(connection, R"sql(
WITH completed AS (
    SELECT id,
           row_number() OVER (PARTITION BY assembly_id ORDER BY started_at, id) AS from_first,
           row_number() OVER (PARTITION BY assembly_id ORDER BY started_at DESC, id DESC)
               AS from_last
    FROM runs WHERE kind = 'production' AND status = 'completed')
SELECT runs.id, runs.started_at, parts.number, stations.name, runs.operator, runs.status,
       runs.grade, runs.pass, parts.target_grade, completed.from_first, completed.from_last,
       runs.retries
FROM runs
JOIN parts ON parts.id = runs.part_id
JOIN stations ON stations.id = runs.station_id
LEFT JOIN completed ON completed.id = runs.id
WHERE runs.kind = 'production' AND runs.status <> 'running'
)sql",
                   what);
        while (runs.step()) {
            const Place& place =
                *places
                     .insert({period_of(time_from(origin, "started_at", runs.text(1))),
                              runs.text(2), runs.text(3), runs.text(4)})
                     .first;
            const RunStatus status = run_status_from(origin, runs.text(5));
            changes.yield_[place].retries += runs.integer(11);
            if (status != RunStatus::Completed) {
                auto& counts = changes.yield_[place];
                (status == RunStatus::Aborted ? counts.aborted : counts.interrupted) += 1;
                continue;
            }
            std::optional<Grade> grade;
            if (!runs.is_null(6)) {
                grade = grade_from(origin, "grade", runs.text(6));
            }
            const bool pass = runs.integer(7) != 0;
            changes.count_completed(place, grade, pass);
            if (runs.integer(9) == 1) {
                changes.count_first(place, pass, +1);
            }
            if (runs.integer(10) == 1) {
                changes.count_final(place, pass, +1);
            }
            completed[runs.integer(0)] = {&place, grade_from(origin, "target grade", runs.text(8)),
                                          pass};
        }
    }
    {
        Query rows(connection, R"sql(
SELECT failures.run_id, failures.what, failures.launched_end, failures.fiber,
       failures.wavelength_nm, failures.grade
FROM failures JOIN runs ON runs.id = failures.run_id
WHERE runs.kind = 'production' AND runs.status = 'completed' AND runs.pass = 0
ORDER BY failures.run_id, failures.id
)sql",
                   what);
        std::int64_t run_id = 0;
        std::vector<Failure> failures;
        const auto count_run = [&] {
            if (!failures.empty()) {
                const auto& run = completed.at(run_id);
                changes.count_failures(*run.place, run.target, run.pass, failures);
                failures.clear();
            }
        };
        while (rows.step()) {
            if (rows.integer(0) != run_id) {
                count_run();
                run_id = rows.integer(0);
            }
            Failure failure;
            failure.what = failure_cause_from(origin, rows.text(1));
            if (!rows.is_null(2)) {
                failure.end = end_from(origin, "failure end", rows.text(2));
            }
            if (!rows.is_null(3)) {
                failure.fiber = rows.int32(3);
            }
            if (!rows.is_null(4)) {
                failure.wavelength_nm = rows.int32(4);
            }
            failure.grade = grade_from(origin, "failure grade", rows.text(5));
            failures.push_back(std::move(failure));
        }
        count_run();
    }
    if (!with_readings) {
        return;
    }
    {
        // counts_toward_il() in SQL. Readings mostly come run by run: keep
        // the last bucket found.
        Query readings(connection,
                       "SELECT run_id, wavelength_nm, il_db FROM measurements "
                       "WHERE cycle = 0 AND status = 'ok' AND il_db IS NOT NULL",
                       what);
        std::int64_t last_run = 0;
        int last_wavelength_nm = 0;
        RollupChanges::IlStats* stats = nullptr;
        const Completed* run = nullptr;
        while (readings.step()) {
            const std::int64_t run_id = readings.integer(0);
            const int wavelength_nm = readings.int32(1);
            if (run_id != last_run) {
                const auto found = completed.find(run_id);
                run = found == completed.end() ? nullptr : &found->second;
                last_run = run_id;
                stats = nullptr;
            }
            if (run == nullptr) {
                continue;
            }
            if (stats == nullptr || wavelength_nm != last_wavelength_nm) {
                stats = &changes.il_[{*run->place, wavelength_nm}];
                last_wavelength_nm = wavelength_nm;
            }
            stats->add(readings.real(2));
        }
    }
    {
        // counts_toward_rl() in SQL.
        Query readings(connection,
                       "SELECT run_id, wavelength_nm, rl_db, rl_above_db FROM measurements "
                       "WHERE cycle = 0 AND status = 'ok' "
                       "AND (rl_db IS NOT NULL OR rl_above_db IS NOT NULL)",
                       what);
        while (readings.step()) {
            const auto found = completed.find(readings.integer(0));
            if (found == completed.end()) {
                continue;
            }
            Measurement measurement;
            measurement.wavelength_nm = readings.int32(1);
            measurement.rl_db = readings.optional_real(2);
            measurement.rl_above_db = readings.optional_real(3);
            changes.count_rl(*found->second.place, measurement);
        }
    }
}

void rebuild_rollups(Connection& connection) {
    for (const char* table : {"qa_yield", "qa_causes", "qa_failures", "qa_il", "qa_rl"}) {
        connection.execute(fmt::format("DELETE FROM {}", table).c_str(),
                           fmt::format("clearing the QA rollup {}", table));
    }
    RollupChanges changes(connection);
    collect_from_records(connection, changes, local_day, true, "rebuilding the QA rollups");
    changes.flush();
}

QaBuckets regrouped_buckets(Connection& connection, const QaFilter& filter,
                            const std::function<std::string(TimePoint)>& period_of) {
    RollupChanges changes(connection);
    collect_from_records(connection, changes, period_of, false,
                         "counting production runs by period");
    const auto wanted = [&filter](const RollupChanges::Place& place) {
        return (!filter.part_number || place.part_number == *filter.part_number) &&
               (!filter.station || place.station == *filter.station) &&
               (!filter.operator_name || place.operator_name == *filter.operator_name);
    };
    const auto key = [](const RollupChanges::Place& place) {
        return analysis::BucketKey{place.day, place.part_number, place.station,
                                   place.operator_name};
    };
    QaBuckets buckets;
    for (const auto& [place, counts] : changes.yield_) {
        if (wanted(place))
            buckets.yield.push_back({key(place), counts});
    }
    for (const auto& [place_cause, runs] : changes.cause_runs_) {
        if (wanted(place_cause.first))
            buckets.causes.push_back({key(place_cause.first), place_cause.second, runs});
    }
    for (const auto& [failure, count] : changes.failures_) {
        if (!wanted(failure.place))
            continue;
        analysis::FailureBucket bucket;
        bucket.key = key(failure.place);
        bucket.cause = failure.cause;
        if (failure.end == "A")
            bucket.end = End::A;
        else if (failure.end == "B")
            bucket.end = End::B;
        bucket.fiber = failure.fiber;
        bucket.wavelength_nm = failure.wavelength_nm;
        bucket.failures = count;
        buckets.failures.push_back(std::move(bucket));
    }
    return buckets;
}

// ---- Queries

std::vector<analysis::YieldBucket> yield_buckets(Connection& connection, const QaFilter& filter) {
    return read_buckets<analysis::YieldBucket>(
        connection, filter, "qa_yield",
        "completed, passed, aborted, interrupted, first_tested, first_passed, final_tested, "
        "final_passed, grade_fail, grade_generic, grade_standard, grade_elite, retries",
        "", "reading the yield rollups", [](const Query& row, analysis::YieldBucket& bucket) {
            auto& counts = bucket.counts;
            counts.completed = row.integer(4);
            counts.passed = row.integer(5);
            counts.aborted = row.integer(6);
            counts.interrupted = row.integer(7);
            counts.first_tested = row.integer(8);
            counts.first_passed = row.integer(9);
            counts.final_tested = row.integer(10);
            counts.final_passed = row.integer(11);
            for (std::size_t grade = 0; grade < counts.grades.size(); ++grade) {
                counts.grades[grade] = row.integer(12 + static_cast<int>(grade));
            }
            counts.retries = row.integer(16);
        });
}

std::vector<analysis::CauseBucket> cause_buckets(Connection& connection, const QaFilter& filter) {
    return read_buckets<analysis::CauseBucket>(connection, filter, "qa_causes", "cause, runs",
                                               ", cause", "reading the cause rollups",
                                               [](const Query& row, analysis::CauseBucket& bucket) {
                                                   bucket.cause = row.text(4);
                                                   bucket.runs = row.integer(5);
                                               });
}

std::vector<analysis::FailureBucket> failure_buckets(Connection& connection,
                                                     const QaFilter& filter) {
    const std::string what = "reading the failure rollups";
    const Origin origin{connection.path(), what};
    return read_buckets<analysis::FailureBucket>(
        connection, filter, "qa_failures", "cause, launched_end, fiber, wavelength_nm, failures",
        ", cause, launched_end, fiber, wavelength_nm", what,
        [&origin](const Query& row, analysis::FailureBucket& bucket) {
            bucket.cause = row.text(4);
            const std::string end = row.text(5);
            if (!end.empty()) {
                bucket.end = end_from(origin, "failure end", end);
            }
            bucket.fiber = row.int32(6);
            bucket.wavelength_nm = row.int32(7);
            bucket.failures = row.integer(8);
        });
}

std::vector<analysis::IlBucket> il_buckets(Connection& connection, const QaFilter& filter) {
    return read_buckets<analysis::IlBucket>(
        connection, filter, "qa_il",
        "wavelength_nm, readings, sum_db, sum_squares_db, min_db, max_db, histogram",
        ", wavelength_nm", "reading the IL rollups",
        [&connection](const Query& row, analysis::IlBucket& bucket) {
            bucket.wavelength_nm = row.int32(4);
            bucket.count = row.integer(5);
            bucket.sum_db = row.real(6);
            bucket.sum_squares_db = row.real(7);
            bucket.min_db = row.real(8);
            bucket.max_db = row.real(9);
            bucket.histogram =
                decode_histogram(connection, row.blob(10), bucket.key, bucket.wavelength_nm);
        });
}

std::vector<analysis::IlBucket> il_day_totals(Connection& connection, const QaFilter& filter) {
    const BucketFilter conditions(connection, filter);
    const std::string what = "reading the IL rollups by day";
    Query query(connection,
                conditions.select("qa_il",
                                  "wavelength_nm, readings, sum_db, sum_squares_db, min_db, "
                                  "max_db, histogram",
                                  ", wavelength_nm"),
                what);
    conditions.bind(query);
    // Rows come in key order, the day first: one day's wavelengths are
    // added up, then handed over when the next day begins.
    std::vector<analysis::IlBucket> days;
    std::map<int, analysis::IlBucket> day;
    const auto hand_over = [&] {
        for (auto& [wavelength_nm, bucket] : day)
            days.push_back(std::move(bucket));
        day.clear();
    };
    while (query.step()) {
        const std::string bucket_day = query.text(0);
        if (!day.empty() && day.begin()->second.key.day != bucket_day)
            hand_over();
        const int wavelength_nm = query.int32(4);
        auto& total = day[wavelength_nm];
        const std::int64_t readings = query.integer(5);
        if (total.count == 0) {
            total.key.day = bucket_day;
            total.wavelength_nm = wavelength_nm;
            total.min_db = query.real(8);
            total.max_db = query.real(9);
        } else if (readings > 0) {
            total.min_db = std::min(total.min_db, query.real(8));
            total.max_db = std::max(total.max_db, query.real(9));
        }
        total.count += readings;
        total.sum_db += query.real(6);
        total.sum_squares_db += query.real(7);
        try {
            total.histogram.add_encoded(query.blob(10));
        } catch (const std::invalid_argument& error) {
            throw DatabaseError(fmt::format("{}: {} of {} at {} nm: {}", connection.path(), what,
                                            bucket_day, wavelength_nm, error.what()));
        }
    }
    hand_over();
    return days;
}

std::vector<analysis::RlBucket> rl_buckets(Connection& connection, const QaFilter& filter) {
    return read_buckets<analysis::RlBucket>(
        connection, filter, "qa_rl",
        "wavelength_nm, measured, above_range, worst_db, lowest_bound_db", ", wavelength_nm",
        "reading the RL rollups", [](const Query& row, analysis::RlBucket& bucket) {
            bucket.wavelength_nm = row.int32(4);
            bucket.stats.values = row.integer(5);
            bucket.stats.above_range = row.integer(6);
            bucket.stats.worst_db = row.optional_real(7);
            bucket.stats.lowest_bound_db = row.optional_real(8);
        });
}

}  // namespace mpobench::db::rollups
