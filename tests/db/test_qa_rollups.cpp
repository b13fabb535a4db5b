// QA rollups, record hashes and bulk import: small databases with hand-counted
// outcomes written through the public API, the rebuild and the v1 -> v2
// migration against the incremental rollups, and tampering behind the
// repository's back.

#include <time.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "analysis/record_hash.hpp"
#include "analysis/shifts.hpp"
#include "db_test_support.hpp"

using namespace db_test;
using Catch::Matchers::Contains;
using mpobench::analysis::CauseBucket;
using mpobench::analysis::FailureBucket;
using mpobench::analysis::IlBucket;
using mpobench::analysis::IlHistogram;
using mpobench::analysis::RlBucket;
using mpobench::analysis::YieldBucket;
using mpobench::analysis::YieldCounts;
using mpobench::db::DatabaseError;
using mpobench::db::GoldenAssembly;
using mpobench::db::GoldenCheck;
using mpobench::db::QaFilter;
using mpobench::db::Repository;

namespace {

// Central European time, written out so no tz database is needed: UTC+1 in
// March, so a run started at 23:30 UTC belongs to the next local day.
class CentralEuropeanTime {
  public:
    CentralEuropeanTime() {
        if (const char* tz = ::getenv("TZ")) {
            saved_ = tz;
        }
        ::setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
        ::tzset();
    }
    ~CentralEuropeanTime() {
        if (saved_) {
            ::setenv("TZ", saved_->c_str(), 1);
        } else {
            ::unsetenv("TZ");
        }
        ::tzset();
    }
    CentralEuropeanTime(const CentralEuropeanTime&) = delete;
    CentralEuropeanTime& operator=(const CentralEuropeanTime&) = delete;

  private:
    std::optional<std::string> saved_;
};

std::int64_t utc_ms(unsigned day_of_march_2026, int hour, int minute) {
    using namespace std::chrono;
    const auto time =
        sys_days{year{2026} / March / day{day_of_march_2026}} + hours{hour} + minutes{minute};
    return duration_cast<milliseconds>(time.time_since_epoch()).count();
}

const std::string day1 = "2026-03-02", day2 = "2026-03-03";
const std::string sm_part = "MTP12-SM-B-3M";  // new_run's part: target Elite
const std::string mm_part = "MTP8-MM-A-1M";   // target Standard

RunRecord planned(const std::string& serial, const std::string& station,
                  const std::string& operator_name, std::int64_t started_ms) {
    RunRecord run = new_run(serial, started_ms);
    run.station = station;
    run.operator_name = operator_name;
    return run;
}

RunRecord planned_mm(const std::string& serial, const std::string& station,
                     const std::string& operator_name, std::int64_t started_ms) {
    RunRecord run = planned(serial, station, operator_name, started_ms);
    run.part.number = mm_part;
    run.part.description = "MTP 8F MM PC type A, 1 m";
    run.part.fibers = 8;
    run.part.mode = FiberMode::MM;
    run.part.polarity = PolarityType::A;
    run.part.target = Grade::Standard;
    run.part.length_m = 1.0;
    run.part.wavelengths_nm = {850, 1300};
    run.part.mating_cycles = 0;
    return run;
}

Measurement reading(End end, int fiber, int wavelength_nm, double il_db, std::int64_t taken_ms) {
    Measurement m = measurement(end, fiber, wavelength_nm, 0, taken_ms);
    m.il_db = il_db;
    return m;
}

Failure failure(FailureCause what, std::optional<End> end, std::optional<int> fiber,
                std::optional<int> wavelength_nm, Grade grade) {
    Failure f;
    f.what = what;
    f.end = end;
    f.fiber = fiber;
    f.wavelength_nm = wavelength_nm;
    f.grade = grade;
    return f;
}

RunRecord completed(RunRecord run, Grade grade, bool pass, std::vector<Failure> failures) {
    run.status = RunStatus::Completed;
    run.grade = grade;
    run.pass = pass;
    run.failures = std::move(failures);
    const auto limits = default_limits();
    run.limit_set_name = limits.name;
    run.limit_set_version = limits.version;
    run.limit_set_hash = limits.hash;
    run.ended_at = run.started_at + std::chrono::minutes{2};
    return run;
}

RunRecord stopped(RunRecord run, RunStatus status, const std::string& reason) {
    run.status = status;
    run.reason = reason;
    if (status == RunStatus::Aborted) {
        run.ended_at = run.started_at + std::chrono::minutes{1};
    }
    return run;
}

// The hand-counted history, in the order it happened (see the expected
// buckets in the first test case).
std::vector<RunRecord> scenario() {
    std::vector<RunRecord> runs;
    // Day 1, bench-1, ada, the SM part (target Elite).
    {
        RunRecord run = planned("SN-1", "bench-1", "ada", utc_ms(2, 9, 0));
        const std::int64_t t = utc_ms(2, 9, 0);
        run.measurements = {reading(End::A, 1, 1310, 0.101, t + 1),
                            reading(End::A, 2, 1310, 0.102, t + 2),
                            reading(End::B, 1, 1550, 0.101, t + 3),
                            measurement(End::A, 1, 1310, 1, t + 4)};  // a mating cycle: not counted
        // RL better than the meter reads: a bound, counted apart from values.
        run.measurements[2].rl_db.reset();
        run.measurements[2].rl_above_db = 75.0;
        Measurement dark = measurement(End::B, 7, 1550, 0, t + 5);  // no light: not counted
        dark.status = ReadingStatus::NoLight;
        dark.far_position = 0;
        dark.power_dbm = std::nan("");
        dark.il_db.reset();
        run.measurements.push_back(dark);
        run.polarity = {{End::A, {12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}}};
        runs.push_back(completed(run, Grade::Elite, true, {}));
    }
    {
        RunRecord run = planned("SN-2", "bench-1", "ada", utc_ms(2, 9, 10));
        const std::int64_t t = utc_ms(2, 9, 10);
        run.measurements = {reading(End::A, 3, 1310, 0.40, t + 1),
                            reading(End::B, 5, 1550, 0.105, t + 2)};
        runs.push_back(
            completed(run, Grade::Standard, false,
                      {failure(FailureCause::Il, End::A, 3, 1310, Grade::Elite),
                       failure(FailureCause::IlMean, End::A, std::nullopt, 1310, Grade::Elite),
                       failure(FailureCause::Rl, End::B, 5, 1550, Grade::Elite)}));
    }
    {
        RunRecord run = planned("SN-3", "bench-1", "ada", utc_ms(2, 9, 20));
        run.measurements = {reading(End::A, 1, 1310, 0.101, utc_ms(2, 9, 21))};
        runs.push_back(stopped(run, RunStatus::Aborted, "power meter timeout"));
    }
    {
        // Qualification: counts nowhere.
        RunRecord run = planned("SN-4", "bench-1", "ada", utc_ms(2, 9, 30));
        run.kind = RunKind::Repeatability;
        run.measurements = {measurement(End::A, 1, 1310, 1, utc_ms(2, 9, 31)),
                            measurement(End::A, 1, 1310, 2, utc_ms(2, 9, 32))};
        run.mating_cycles_run = 2;
        runs.push_back(
            completed(run, Grade::Fail, false,
                      {failure(FailureCause::Repeatability, End::A, 1, 1310, Grade::Generic)}));
    }
    // Day 2 (local): SN-2 retested and passing on bench-2 by bob.
    {
        RunRecord run = planned("SN-2", "bench-2", "bob", utc_ms(3, 8, 0));
        run.measurements = {reading(End::A, 1, 1310, 0.101, utc_ms(3, 8, 1))};
        runs.push_back(completed(run, Grade::Elite, true, {}));
    }
    {
        // 23:30 UTC on day 1 is 00:30 on day 2 in Central European time.
        RunRecord run = planned("SN-5", "bench-1", "ada", utc_ms(2, 23, 30));
        run.measurements = {reading(End::B, 2, 1550, 0.5, utc_ms(2, 23, 31))};
        runs.push_back(
            completed(run, Grade::Fail, false,
                      {failure(FailureCause::Continuity, End::A, 7, std::nullopt, Grade::Generic),
                       failure(FailureCause::Il, End::B, 2, 1550, Grade::Standard)}));
    }
    // Day 2, bench-2, bob, the MM part (target Standard).
    runs.push_back(stopped(planned_mm("SN-6", "bench-2", "bob", utc_ms(3, 9, 0)),
                           RunStatus::Interrupted, "process 1 ended without finishing the run"));
    {
        // An Elite miss does not keep a Standard part from its target.
        RunRecord run = planned_mm("SN-7", "bench-2", "bob", utc_ms(3, 9, 10));
        run.measurements = {reading(End::A, 1, 850, 0.101, utc_ms(3, 9, 11))};
        runs.push_back(completed(run, Grade::Standard, true,
                                 {failure(FailureCause::Il, End::A, 1, 850, Grade::Elite)}));
    }
    {
        RunRecord run = planned_mm("SN-8", "bench-2", "bob", utc_ms(3, 9, 20));
        run.measurements = {reading(End::A, 2, 850, 0.9, utc_ms(3, 9, 21))};
        runs.push_back(completed(run, Grade::Generic, false,
                                 {failure(FailureCause::Il, End::A, 2, 850, Grade::Standard),
                                  failure(FailureCause::Rl, End::A, 2, 850, Grade::Elite)}));
    }
    return runs;
}

// The history as a schema before version 3 could hold it: no RL bounds (an
// RL overrange aborted the run then).
std::vector<RunRecord> scenario_without_rl_bounds() {
    auto runs = scenario();
    for (auto& run : runs) {
        for (auto& m : run.measurements) {
            if (m.rl_above_db) {
                m.rl_above_db.reset();
                m.rl_db = 66.0;
            }
        }
    }
    return runs;
}

// What takes a current database back to the schema `version` wrote (the
// migrations after it only added objects and columns), newest first.
// The triggers that keep record hashes, as schema version 2 made them, for
// a test that rewrites run_hashes under them.
void add_run_hash_triggers(std::vector<std::string>& statements) {
    statements.push_back(
        "CREATE TRIGGER run_hashes_never_change BEFORE UPDATE ON run_hashes "
        "BEGIN SELECT RAISE(ABORT, 'a record hash never changes'); END");
    statements.push_back(
        "CREATE TRIGGER run_hashes_never_deleted BEFORE DELETE ON run_hashes "
        "BEGIN SELECT RAISE(ABORT, 'a record hash is never deleted'); END");
}

std::vector<std::string> undo_migrations_after(int version) {
    const std::vector<std::pair<int, std::vector<std::string>>> undo{
        {19, {"DROP TABLE mes_link"}},
        {18, {"DROP TABLE plant_config", "ALTER TABLE users DROP COLUMN from_plant"}},
        {17, {"ALTER TABLE runs DROP COLUMN mes_interlock"}},
        {16,
         {"DROP INDEX outbox_mes_waiting", "ALTER TABLE outbox DROP COLUMN mes_acknowledged_at"}},
        {15, {"DROP TABLE outbox", "DROP TABLE run_uuids", "DROP TABLE station_identity"}},
        {14,
         {"ALTER TABLE optical_references DROP COLUMN rl_noise_window_ms",
          "ALTER TABLE optical_references DROP COLUMN rl_noise_white",
          "ALTER TABLE optical_references DROP COLUMN rl_noise_relative",
          "ALTER TABLE optical_references DROP COLUMN rl_noise_slow",
          "ALTER TABLE optical_references DROP COLUMN rl_noise_level_low_db",
          "ALTER TABLE optical_references DROP COLUMN rl_noise_level_high_db",
          "ALTER TABLE optical_references DROP COLUMN rl_noise_windows",
          "ALTER TABLE optical_references DROP COLUMN rl_noise_calibrated_at",
          "ALTER TABLE runs DROP COLUMN rl_sequential", "ALTER TABLE runs DROP COLUMN rl_window_ms",
          "ALTER TABLE runs DROP COLUMN rl_confidence",
          "ALTER TABLE runs DROP COLUMN rl_max_time_ms",
          "ALTER TABLE runs DROP COLUMN rl_noise_ratio",
          "ALTER TABLE runs DROP COLUMN rl_noise_dof",
          "ALTER TABLE runs DROP COLUMN rl_noise_widened",
          "ALTER TABLE measurements DROP COLUMN rl_windows",
          "ALTER TABLE measurements DROP COLUMN rl_low_db",
          "ALTER TABLE measurements DROP COLUMN rl_high_db",
          "ALTER TABLE measurements DROP COLUMN rl_marginal"}},
        {13,
         {"ALTER TABLE reference_points DROP COLUMN monitor_dbm",
          "ALTER TABLE measurements DROP COLUMN monitor_dbm"}},
        {12, {"DROP INDEX users_by_badge", "ALTER TABLE users DROP COLUMN badge_sha256"}},
        {11, {"DROP TABLE limit_set_uploads"}},
        {10, {"DROP TABLE audit_log"}},
        {9, {"DROP TABLE users"}},
        {8,
         {"DROP TABLE golden_check_bias", "DROP TABLE golden_checks", "DROP TABLE golden_values",
          "DROP TABLE golden_assemblies"}},
        {7, {"DROP TABLE label_prints"}},
        {6, {"DROP TABLE serial_releases", "ALTER TABLE runs DROP COLUMN retest_reason"}},
        {5,
         {"DROP TABLE cord_requalifications", "DROP TABLE cords",
          "ALTER TABLE optical_references DROP COLUMN launch_cord_matings"}},
        {4, {"DROP TABLE qa_rl"}},
    };
    REQUIRE(undo.front().first == Repository::current_schema_version());
    std::vector<std::string> statements;
    for (const auto& [migration, sql] : undo) {
        if (migration > version)
            statements.insert(statements.end(), sql.begin(), sql.end());
    }
    return statements;
}

// Plays records as stations do: begin, journal, then complete or abort.
// Runs to be interrupted are left running; their owner is then made a
// process of an earlier boot, and the next open marks them interrupted.
std::vector<std::int64_t> play_live(const std::filesystem::path& path,
                                    const std::vector<RunRecord>& records) {
    std::vector<std::int64_t> run_ids, orphans;
    {
        Repository repository(path);
        repository.store_limit_set(default_limits());
        for (RunRecord record : records) {
            RunRecord begun = record;
            begun.measurements.clear();
            record.id = repository.begin_run(begun);
            run_ids.push_back(record.id);
            for (const auto& m : record.measurements) {
                repository.append_measurement(record.id, m);
            }
            if (record.status == RunStatus::Completed) {
                repository.complete_run(record);
            } else if (record.status == RunStatus::Aborted) {
                repository.abort_run(record.id, record.reason);
            } else {
                orphans.push_back(record.id);
            }
        }
    }
    {
        RawDatabase raw(path);
        for (const auto run_id : orphans) {
            REQUIRE(raw.execute("UPDATE runs SET owner_boot_id = 'an-earlier-boot' WHERE id = " +
                                std::to_string(run_id))
                        .empty());
        }
    }
    Repository reopened(path);
    for (const auto run_id : orphans) {
        REQUIRE(reopened.run(run_id)->status == RunStatus::Interrupted);
    }
    return run_ids;
}

std::vector<std::int64_t> play_import(const std::filesystem::path& path,
                                      const std::vector<RunRecord>& records) {
    Repository repository(path);
    repository.store_limit_set(default_limits());
    return repository.import_runs(records);
}

YieldCounts counts(std::int64_t completed, std::int64_t passed, std::int64_t aborted,
                   std::int64_t interrupted, std::int64_t first_tested, std::int64_t first_passed,
                   std::int64_t final_tested, std::int64_t final_passed,
                   std::array<std::int64_t, 4> grades) {
    YieldCounts c;
    c.completed = completed;
    c.passed = passed;
    c.aborted = aborted;
    c.interrupted = interrupted;
    c.first_tested = first_tested;
    c.first_passed = first_passed;
    c.final_tested = final_tested;
    c.final_passed = final_passed;
    c.grades = grades;
    return c;
}

void require_same_key(const mpobench::analysis::BucketKey& a,
                      const mpobench::analysis::BucketKey& b) {
    CHECK(a.day == b.day);
    CHECK(a.part_number == b.part_number);
    CHECK(a.station == b.station);
    CHECK(a.operator_name == b.operator_name);
}

void require_same_counts(const YieldCounts& a, const YieldCounts& b) {
    CHECK(a.completed == b.completed);
    CHECK(a.passed == b.passed);
    CHECK(a.aborted == b.aborted);
    CHECK(a.interrupted == b.interrupted);
    CHECK(a.first_tested == b.first_tested);
    CHECK(a.first_passed == b.first_passed);
    CHECK(a.final_tested == b.final_tested);
    CHECK(a.final_passed == b.final_passed);
    CHECK(a.grades == b.grades);
}

// Every bucket the four queries return, for comparing two ways of filling them.
struct AllBuckets {
    std::vector<YieldBucket> yield;
    std::vector<CauseBucket> causes;
    std::vector<FailureBucket> failures;
    std::vector<IlBucket> il;
    std::vector<RlBucket> rl;
};

AllBuckets all_buckets(const Repository& repository, const QaFilter& filter = {}) {
    return {repository.yield_buckets(filter), repository.cause_buckets(filter),
            repository.failure_buckets(filter), repository.il_buckets(filter),
            repository.rl_buckets(filter)};
}

void require_same_buckets(const AllBuckets& a, const AllBuckets& b) {
    REQUIRE(a.yield.size() == b.yield.size());
    for (std::size_t i = 0; i < a.yield.size(); ++i) {
        INFO("yield bucket " << i);
        require_same_key(a.yield[i].key, b.yield[i].key);
        require_same_counts(a.yield[i].counts, b.yield[i].counts);
    }
    REQUIRE(a.causes.size() == b.causes.size());
    for (std::size_t i = 0; i < a.causes.size(); ++i) {
        INFO("cause bucket " << i);
        require_same_key(a.causes[i].key, b.causes[i].key);
        CHECK(a.causes[i].cause == b.causes[i].cause);
        CHECK(a.causes[i].runs == b.causes[i].runs);
    }
    REQUIRE(a.failures.size() == b.failures.size());
    for (std::size_t i = 0; i < a.failures.size(); ++i) {
        INFO("failure bucket " << i);
        require_same_key(a.failures[i].key, b.failures[i].key);
        CHECK(a.failures[i].cause == b.failures[i].cause);
        CHECK(a.failures[i].end == b.failures[i].end);
        CHECK(a.failures[i].fiber == b.failures[i].fiber);
        CHECK(a.failures[i].wavelength_nm == b.failures[i].wavelength_nm);
        CHECK(a.failures[i].failures == b.failures[i].failures);
    }
    REQUIRE(a.il.size() == b.il.size());
    for (std::size_t i = 0; i < a.il.size(); ++i) {
        INFO("IL bucket " << i);
        require_same_key(a.il[i].key, b.il[i].key);
        CHECK(a.il[i].wavelength_nm == b.il[i].wavelength_nm);
        CHECK(a.il[i].count == b.il[i].count);
        // Sums added in another order may differ in the last bits.
        CHECK(a.il[i].sum_db == Approx(b.il[i].sum_db));
        CHECK(a.il[i].sum_squares_db == Approx(b.il[i].sum_squares_db));
        CHECK(a.il[i].min_db == b.il[i].min_db);
        CHECK(a.il[i].max_db == b.il[i].max_db);
        CHECK(a.il[i].histogram.encode() == b.il[i].histogram.encode());
    }
    REQUIRE(a.rl.size() == b.rl.size());
    for (std::size_t i = 0; i < a.rl.size(); ++i) {
        INFO("RL bucket " << i);
        require_same_key(a.rl[i].key, b.rl[i].key);
        CHECK(a.rl[i].wavelength_nm == b.rl[i].wavelength_nm);
        CHECK(a.rl[i].stats.values == b.rl[i].stats.values);
        CHECK(a.rl[i].stats.above_range == b.rl[i].stats.above_range);
        CHECK(a.rl[i].stats.worst_db == b.rl[i].stats.worst_db);
        CHECK(a.rl[i].stats.lowest_bound_db == b.rl[i].stats.lowest_bound_db);
    }
}

int histogram_bin(double il_db) {
    return static_cast<int>(
        std::floor((il_db - IlHistogram::first_edge_db) / IlHistogram::bin_width_db + 1e-9));
}

}  // namespace

TEST_CASE("rollups count the hand-counted history bucket by bucket") {
    CentralEuropeanTime local_time;
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    play_live(path, scenario());
    Repository repository(path);

    const auto yield = repository.yield_buckets({});
    REQUIRE(yield.size() == 4);
    // SN-1 passed; SN-2 failed (its final outcome moved to its retest); SN-3
    // aborted; the repeatability run SN-4 counts nowhere.
    require_same_key(yield[0].key, {day1, sm_part, "bench-1", "ada"});
    require_same_counts(yield[0].counts, counts(2, 1, 1, 0, 2, 1, 1, 1, {0, 0, 1, 1}));
    // SN-5, started at 23:30 UTC the day before: failed, first and final.
    require_same_key(yield[1].key, {day2, sm_part, "bench-1", "ada"});
    require_same_counts(yield[1].counts, counts(1, 0, 0, 0, 1, 0, 1, 0, {1, 0, 0, 0}));
    // SN-2's retest: not a first test, now its final one, passed.
    require_same_key(yield[2].key, {day2, sm_part, "bench-2", "bob"});
    require_same_counts(yield[2].counts, counts(1, 1, 0, 0, 0, 0, 1, 1, {0, 0, 0, 1}));
    // SN-6 interrupted, SN-7 passed (standard), SN-8 failed (generic).
    require_same_key(yield[3].key, {day2, mm_part, "bench-2", "bob"});
    require_same_counts(yield[3].counts, counts(2, 1, 0, 1, 2, 1, 2, 1, {0, 1, 1, 0}));

    const auto causes = repository.cause_buckets({});
    REQUIRE(causes.size() == 5);
    require_same_key(causes[0].key, {day1, sm_part, "bench-1", "ada"});
    CHECK(causes[0].cause == "il");
    CHECK(causes[0].runs == 1);  // il and il_mean of one run: one run
    CHECK(causes[1].cause == "rl");
    CHECK(causes[1].runs == 1);
    require_same_key(causes[2].key, {day2, sm_part, "bench-1", "ada"});
    CHECK(causes[2].cause == "continuity");
    CHECK(causes[3].cause == "il");
    // SN-8's RL missed only Elite, above its Standard target: not a cause.
    require_same_key(causes[4].key, {day2, mm_part, "bench-2", "bob"});
    CHECK(causes[4].cause == "il");
    CHECK(causes[4].runs == 1);

    const auto failures = repository.failure_buckets({});
    REQUIRE(failures.size() == 6);
    const auto check_failure = [&](std::size_t i, const std::string& day, const std::string& part,
                                   const std::string& cause, std::optional<End> end, int fiber,
                                   int wavelength_nm) {
        INFO("failure bucket " << i);
        CHECK(failures[i].key.day == day);
        CHECK(failures[i].key.part_number == part);
        CHECK(failures[i].cause == cause);
        CHECK(failures[i].end == end);
        CHECK(failures[i].fiber == fiber);
        CHECK(failures[i].wavelength_nm == wavelength_nm);
        CHECK(failures[i].failures == 1);
    };
    check_failure(0, day1, sm_part, "il", End::A, 0, 1310);  // the mean
    check_failure(1, day1, sm_part, "il", End::A, 3, 1310);
    check_failure(2, day1, sm_part, "rl", End::B, 5, 1550);
    check_failure(3, day2, sm_part, "continuity", End::A, 7, 0);
    check_failure(4, day2, sm_part, "il", End::B, 2, 1550);
    check_failure(5, day2, mm_part, "il", End::A, 2, 850);

    // Cycle-0 readings with a value, of completed production runs only.
    const auto il = repository.il_buckets({});
    REQUIRE(il.size() == 5);
    const auto check_il = [&](std::size_t i, const std::string& day, const std::string& part,
                              const std::string& station, int wavelength_nm,
                              std::vector<double> readings) {
        INFO("IL bucket " << i);
        const auto& bucket = il[i];
        CHECK(bucket.key.day == day);
        CHECK(bucket.key.part_number == part);
        CHECK(bucket.key.station == station);
        CHECK(bucket.wavelength_nm == wavelength_nm);
        CHECK(bucket.count == static_cast<std::int64_t>(readings.size()));
        double sum = 0.0, squares = 0.0;
        for (const double r : readings) {
            sum += r;
            squares += r * r;
        }
        CHECK(bucket.sum_db == Approx(sum));
        CHECK(bucket.sum_squares_db == Approx(squares));
        CHECK(bucket.min_db == *std::min_element(readings.begin(), readings.end()));
        CHECK(bucket.max_db == *std::max_element(readings.begin(), readings.end()));
        CHECK(bucket.histogram.count() == bucket.count);
        for (const double r : readings) {
            CHECK(bucket.histogram.bin(histogram_bin(r)) >= 1);
        }
    };
    check_il(0, day1, sm_part, "bench-1", 1310, {0.101, 0.102, 0.40});
    check_il(1, day1, sm_part, "bench-1", 1550, {0.101, 0.105});
    check_il(2, day2, sm_part, "bench-1", 1550, {0.5});
    check_il(3, day2, sm_part, "bench-2", 1310, {0.101});
    check_il(4, day2, mm_part, "bench-2", 850, {0.101, 0.9});
    CHECK(il[0].histogram.bin(histogram_bin(0.40)) == 1);

    // RL of the same readings (sample_run: 65.5 dB + 0.1 dB per fibre), SN-1's
    // end B fibre 1 at 1550 nm a bound: beside the values, never among them.
    const auto rl = repository.rl_buckets({});
    REQUIRE(rl.size() == 5);
    const auto check_rl = [&](std::size_t i, const std::string& day, const std::string& part,
                              const std::string& station, int wavelength_nm, std::int64_t values,
                              std::int64_t above_range, std::optional<double> worst_db,
                              std::optional<double> lowest_bound_db) {
        INFO("RL bucket " << i);
        const auto& bucket = rl[i];
        CHECK(bucket.key.day == day);
        CHECK(bucket.key.part_number == part);
        CHECK(bucket.key.station == station);
        CHECK(bucket.wavelength_nm == wavelength_nm);
        CHECK(bucket.stats.values == values);
        CHECK(bucket.stats.above_range == above_range);
        CHECK(bucket.stats.worst_db == worst_db);
        CHECK(bucket.stats.lowest_bound_db == lowest_bound_db);
    };
    check_rl(0, day1, sm_part, "bench-1", 1310, 3, 0, 65.5 + 0.1, std::nullopt);
    check_rl(1, day1, sm_part, "bench-1", 1550, 1, 1, 65.5 + 0.5, 75.0);  // SN-2's fibre 5
    check_rl(2, day2, sm_part, "bench-1", 1550, 1, 0, 65.5 + 0.2, std::nullopt);
    check_rl(3, day2, sm_part, "bench-2", 1310, 1, 0, 65.5 + 0.1, std::nullopt);
    check_rl(4, day2, mm_part, "bench-2", 850, 2, 0, 65.5 + 0.1, std::nullopt);
    CHECK(*rl[1].stats.censored_share() == Approx(0.5));
}

TEST_CASE("bucket filters select days, part, station and operator") {
    CentralEuropeanTime local_time;
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    play_live(path, scenario());
    Repository repository(path);

    QaFilter filter;
    filter.from_day = day2;
    CHECK(repository.yield_buckets(filter).size() == 3);
    CHECK(repository.il_buckets(filter).size() == 3);
    filter = {};
    filter.to_day = day1;
    const auto first_day = repository.yield_buckets(filter);
    REQUIRE(first_day.size() == 1);
    CHECK(first_day[0].key.day == day1);
    CHECK(repository.failure_buckets(filter).size() == 3);
    filter = {};
    filter.part_number = mm_part;
    const auto mm = repository.yield_buckets(filter);
    REQUIRE(mm.size() == 1);
    CHECK(mm[0].key.part_number == mm_part);
    CHECK(repository.cause_buckets(filter).size() == 1);
    filter = {};
    filter.station = "bench-2";
    CHECK(repository.yield_buckets(filter).size() == 2);
    CHECK(repository.il_buckets(filter).size() == 2);
    filter = {};
    filter.operator_name = "ada";
    CHECK(repository.yield_buckets(filter).size() == 2);
    CHECK(repository.failure_buckets(filter).size() == 5);
    filter = {};
    filter.from_day = day2;
    filter.to_day = day2;
    filter.part_number = sm_part;
    filter.station = "bench-1";
    filter.operator_name = "ada";
    const auto one = repository.yield_buckets(filter);
    REQUIRE(one.size() == 1);
    CHECK(one[0].counts.completed == 1);
    CHECK(repository.cause_buckets(filter).size() == 2);

    // Names the database does not know select nothing.
    filter = {};
    filter.part_number = "NO-SUCH-PART";
    CHECK(repository.yield_buckets(filter).empty());
    CHECK(repository.il_buckets(filter).empty());
    filter = {};
    filter.station = "bench-9";
    CHECK(repository.cause_buckets(filter).empty());
    CHECK(repository.failure_buckets(filter).empty());
    filter = {};
    filter.operator_name = "nobody";
    CHECK(repository.yield_buckets(filter).empty());

    // A day that is not YYYY-MM-DD would compare as nonsense text.
    for (const char* bad_day : {"2026-3-2", "02.03.2026", "2026-02-30", ""}) {
        INFO(bad_day);
        filter = {};
        filter.from_day = bad_day;
        CHECK_THROWS_WITH(repository.yield_buckets(filter),
                          Contains(path.string()) && Contains("is not a day (YYYY-MM-DD)"));
        filter = {};
        filter.to_day = bad_day;
        CHECK_THROWS_AS(repository.il_buckets(filter), DatabaseError);
    }
}

TEST_CASE("rebuilt rollups equal the incremental ones") {
    CentralEuropeanTime local_time;
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    play_live(path, scenario());
    Repository repository(path);
    const auto incremental = all_buckets(repository);
    REQUIRE(incremental.yield.size() == 4);
    repository.rebuild_qa_rollups();
    require_same_buckets(all_buckets(repository), incremental);
}

TEST_CASE("imported runs get the same rollups and hashes as runs through a station") {
    CentralEuropeanTime local_time;
    TempDir dir;
    const auto live_path = dir.file("live.db");
    const auto imported_path = dir.file("imported.db");
    const auto records = scenario();
    const auto live_ids = play_live(live_path, records);
    const auto imported_ids = play_import(imported_path, records);
    REQUIRE(imported_ids == live_ids);

    Repository live(live_path);
    Repository imported(imported_path);
    require_same_buckets(all_buckets(imported), all_buckets(live));
    for (std::size_t i = 0; i < records.size(); ++i) {
        INFO("record " << i << " " << records[i].serial);
        const auto run = imported.run(imported_ids[i]);
        REQUIRE(run);
        CHECK(run->status == records[i].status);
        CHECK(run->measurements.size() == records[i].measurements.size());
        CHECK(run->failures.size() == records[i].failures.size());
        if (records[i].status == RunStatus::Completed) {
            // Same ids, same times, same everything that is hashed.
            CHECK(imported.record_hash(run->id) == live.record_hash(run->id));
            CHECK(imported.record_hash(run->id) == analysis::record_hash(*run));
        } else {
            CHECK_FALSE(imported.record_hash(run->id));
            CHECK(run->reason == records[i].reason);
        }
    }
}

TEST_CASE("importing runs out of time order keeps first and final tests right") {
    CentralEuropeanTime local_time;
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    // The retest (day 2) comes in before the first test (day 1).
    const auto later =
        completed(planned("SN-X", "bench-2", "bob", utc_ms(3, 10, 0)), Grade::Elite, true, {});
    const auto earlier =
        completed(planned("SN-X", "bench-1", "ada", utc_ms(2, 10, 0)), Grade::Fail, false,
                  {failure(FailureCause::Polarity, End::A, 1, 1310, Grade::Generic)});
    Repository repository(path);
    repository.store_limit_set(default_limits());
    repository.import_runs({later});
    repository.import_runs({earlier});
    const auto yield = repository.yield_buckets({});
    REQUIRE(yield.size() == 2);
    require_same_key(yield[0].key, {day1, sm_part, "bench-1", "ada"});
    require_same_counts(yield[0].counts, counts(1, 0, 0, 0, 1, 0, 0, 0, {1, 0, 0, 0}));
    require_same_key(yield[1].key, {day2, sm_part, "bench-2", "bob"});
    require_same_counts(yield[1].counts, counts(1, 1, 0, 0, 0, 0, 1, 1, {0, 0, 0, 1}));
    const auto incremental = all_buckets(repository);
    repository.rebuild_qa_rollups();
    require_same_buckets(all_buckets(repository), incremental);
}

TEST_CASE("an import with a bad record stores nothing and names the record") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    Repository repository(path);
    repository.store_limit_set(default_limits());
    const auto good = completed(planned("SN-OK", "bench-1", "ada", 1'000), Grade::Elite, true, {});

    auto running = planned("SN-RUNNING", "bench-1", "ada", 2'000);
    CHECK_THROWS_WITH(repository.import_runs({good, running}),
                      Contains(path.string()) && Contains("still running") &&
                          Contains("record 2 of 2") && Contains("SN-RUNNING"));
    auto unknown_limits = good;
    unknown_limits.serial = "SN-LIMITS";
    unknown_limits.limit_set_hash = "sha256:unknown";
    CHECK_THROWS_WITH(
        repository.import_runs({good, unknown_limits}),
        Contains("limit set sha256:unknown is not stored") && Contains("record 2 of 2"));
    auto no_serial = good;
    no_serial.serial.clear();
    CHECK_THROWS_WITH(repository.import_runs({no_serial}),
                      Contains("no serial number") && Contains("record 1 of 1"));
    CHECK(repository.find_runs({}).empty());
    CHECK(repository.yield_buckets({}).empty());

    REQUIRE(repository.import_runs({good}).size() == 1);
    CHECK(repository.find_runs({}).size() == 1);
}

TEST_CASE("a completed run's hash is the hash of the record as it reads back") {
    CentralEuropeanTime local_time;
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    const auto records = scenario();
    const auto run_ids = play_live(path, records);
    Repository repository(path);
    for (std::size_t i = 0; i < records.size(); ++i) {
        INFO("record " << i << " " << records[i].serial);
        const auto run = repository.run(run_ids[i]);
        REQUIRE(run);
        const auto stored = repository.record_hash(run_ids[i]);
        if (records[i].status != RunStatus::Completed) {
            CHECK_FALSE(stored);
            continue;
        }
        REQUIRE(stored);
        CHECK(stored->size() == 64);
        CHECK(*stored == analysis::record_hash(*run));
        const auto check = repository.find_record(*stored);
        REQUIRE(check);
        CHECK(check->run_id == run_ids[i]);
        CHECK(check->serial == records[i].serial);
        CHECK(check->stored_hash == *stored);
        CHECK(check->record_matches);
    }
    // A hash copied in capitals is the same hash; an unknown one is none.
    std::string upper = *repository.record_hash(run_ids[0]);
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    REQUIRE(repository.find_record(upper));
    CHECK(repository.find_record(upper)->run_id == run_ids[0]);
    CHECK_FALSE(repository.find_record(std::string(64, '0')));
}

TEST_CASE("a record changed behind mpobench's back no longer matches its hash") {
    CentralEuropeanTime local_time;
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    const auto run_ids = play_live(path, scenario());
    const std::int64_t run_id = run_ids[0];  // SN-1
    std::string hash;
    {
        Repository repository(path);
        hash = *repository.record_hash(run_id);
        REQUIRE(repository.find_record(hash)->record_matches);
    }
    {
        RawDatabase raw(path);
        // The hashes and the references cannot be changed while the triggers stand.
        CHECK_THAT(raw.execute("UPDATE run_hashes SET sha256 = upper(sha256)"),
                   Contains("a record hash never changes"));
        CHECK_THAT(raw.execute("DELETE FROM run_hashes"), Contains("never deleted"));
        REQUIRE(raw.execute("DROP TRIGGER measurements_never_change").empty());
        REQUIRE(raw.execute("UPDATE measurements SET il_db = 0.099 WHERE run_id = " +
                            std::to_string(run_id) + " AND fiber = 1 AND cycle = 0")
                    .empty());
    }
    Repository repository(path);
    const auto check = repository.find_record(hash);
    REQUIRE(check);
    CHECK(check->run_id == run_id);
    CHECK(check->serial == "SN-1");
    CHECK_FALSE(check->record_matches);
    // Other records are untouched.
    CHECK(repository.find_record(*repository.record_hash(run_ids[1]))->record_matches);
}

TEST_CASE("records hashed with form 1 still verify in a current database, and tampering shows") {
    CentralEuropeanTime local_time;
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    const auto run_ids = play_live(path, scenario_without_rl_bounds());
    // What mpobench wrote before hashes had versions: schema version 2, each
    // completed run's hash of canonical form 1.
    std::map<std::int64_t, std::string> v1_hashes;
    {
        Repository repository(path);
        for (const auto run_id : run_ids) {
            if (repository.record_hash(run_id)) {
                v1_hashes[run_id] = analysis::record_hash(*repository.run(run_id), 1);
            }
        }
    }
    REQUIRE(v1_hashes.size() >= 2);
    {
        RawDatabase raw(path);
        std::vector<std::string> statements = undo_migrations_after(3);
        statements.insert(
            statements.end(),
            {
                "ALTER TABLE measurements DROP COLUMN rl_above_db",
                "ALTER TABLE runs DROP COLUMN retries",
                "ALTER TABLE qa_yield DROP COLUMN retries",
                "DROP TABLE run_hashes",
                // As schema version 2 created it.
                "CREATE TABLE run_hashes (run_id INTEGER PRIMARY KEY REFERENCES runs(id), "
                "sha256 TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64)) STRICT",
            });
        for (const auto& [run_id, hash] : v1_hashes) {
            statements.push_back("INSERT INTO run_hashes (run_id, sha256) VALUES (" +
                                 std::to_string(run_id) + ", '" + hash + "')");
        }
        add_run_hash_triggers(statements);
        statements.push_back("PRAGMA user_version = 2");
        for (const auto& sql : statements) {
            INFO(sql);
            REQUIRE(raw.execute(sql).empty());
        }
    }
    std::int64_t v2_run = 0;
    std::string v2_hash;
    {
        Repository repository(path);  // migrates to the current schema
        REQUIRE(repository.schema_version() == Repository::current_schema_version());
        for (const auto& [run_id, hash] : v1_hashes) {
            INFO("run " << run_id);
            CHECK(repository.record_hash(run_id) == hash);
            const auto check = repository.find_record(hash);
            REQUIRE(check);
            CHECK(check->run_id == run_id);
            CHECK(check->hash_version == 1);
            CHECK(check->record_matches);
            // Form 2 of the same record is another hash: re-hashing with the
            // current form would have called the record altered.
            CHECK(analysis::record_hash(*repository.run(run_id)) != hash);
        }
        // A run completed now is hashed with the current form, and an RL
        // bound is part of it.
        RunRecord run = planned("SN-NEW", "bench-1", "ada", utc_ms(4, 9, 0));
        Measurement bound = reading(End::A, 1, 1310, 0.101, utc_ms(4, 9, 0) + 1);
        bound.rl_db.reset();
        bound.rl_above_db = 75.0;
        run.measurements = {bound};
        run.id = repository.begin_run(run);
        repository.complete_run(completed(run, Grade::Elite, true, {}));
        v2_run = run.id;
        v2_hash = *repository.record_hash(v2_run);
        const auto check = repository.find_record(v2_hash);
        REQUIRE(check);
        CHECK(check->hash_version == analysis::kRecordHashVersion);
        CHECK(check->record_matches);
    }
    const std::int64_t v1_run = v1_hashes.begin()->first;
    {
        RawDatabase raw(path);
        REQUIRE(raw.execute("DROP TRIGGER measurements_never_change").empty());
        for (const auto run_id : {v1_run, v2_run}) {
            REQUIRE(raw.execute("UPDATE measurements SET il_db = il_db + 0.001 WHERE id = "
                                "(SELECT min(id) FROM measurements WHERE run_id = " +
                                std::to_string(run_id) + ")")
                        .empty());
        }
    }
    Repository repository(path);
    CHECK_FALSE(repository.find_record(v1_hashes.at(v1_run))->record_matches);
    CHECK_FALSE(repository.find_record(v2_hash)->record_matches);
    // The others are untouched and still verify, each with its own form.
    for (const auto& [run_id, hash] : v1_hashes) {
        if (run_id != v1_run) {
            CHECK(repository.find_record(hash)->record_matches);
        }
    }
}

TEST_CASE("a hash of a form this mpobench does not know is an error, not 'altered'") {
    CentralEuropeanTime local_time;
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    const auto run_ids = play_live(path, scenario());
    std::string hash;
    {
        Repository repository(path);
        hash = *repository.record_hash(run_ids[0]);
    }
    {
        RawDatabase raw(path);
        REQUIRE(raw.execute("DROP TRIGGER run_hashes_never_change").empty());
        REQUIRE(raw.execute("UPDATE run_hashes SET version = 99").empty());
    }
    Repository repository(path);
    CHECK_THROWS_WITH(repository.find_record(hash),
                      Contains("canonical form 99, which this mpobench does not know"));
}

TEST_CASE("stored references never change") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    {
        Repository repository(path);
        Reference reference;
        reference.station = "bench-1";
        reference.operator_name = "ada";
        reference.taken_at = at_ms(1'000);
        reference.launch_cord = "LC-REF-7";
        reference.mode = FiberMode::SM;
        reference.fibers = 12;
        reference.points = {{1, 1310, -3.1, 0.002, std::nullopt}};
        repository.save_reference(reference);
    }
    RawDatabase raw(path);
    CHECK_THAT(raw.execute("UPDATE optical_references SET launch_cord = 'other'"),
               Contains("a stored reference never changes"));
    CHECK_THAT(raw.execute("DELETE FROM optical_references"),
               Contains("a stored reference is never deleted"));
    CHECK_THAT(raw.execute("UPDATE reference_points SET power_dbm = -2.0"),
               Contains("a reference point never changes"));
    CHECK_THAT(raw.execute("DELETE FROM reference_points"),
               Contains("a reference point is never deleted"));
}

TEST_CASE("a version 1 database gets record hashes and rollups when opened") {
    CentralEuropeanTime local_time;
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    const auto run_ids = play_live(path, scenario_without_rl_bounds());
    AllBuckets before;
    std::vector<std::optional<std::string>> hashes;
    {
        Repository repository(path);
        before = all_buckets(repository);
        for (const auto run_id : run_ids) {
            hashes.push_back(repository.record_hash(run_id));
        }
    }
    {
        // Versions 2 and later only added objects and columns to version 1:
        // without them (and with version 1 in the header) the file is what
        // version 1 wrote.
        RawDatabase raw(path);
        auto statements = undo_migrations_after(3);
        statements.insert(
            statements.end(),
            {"ALTER TABLE measurements DROP COLUMN rl_above_db",  // version 3
             "ALTER TABLE runs DROP COLUMN retries",              // version 3
             "DROP TABLE run_hashes", "DROP TABLE qa_yield", "DROP TABLE qa_causes",
             "DROP TABLE qa_failures", "DROP TABLE qa_il",
             "DROP TRIGGER optical_references_never_change",
             "DROP TRIGGER optical_references_never_deleted",
             "DROP TRIGGER reference_points_never_change",
             "DROP TRIGGER reference_points_never_deleted", "PRAGMA user_version = 1"});
        for (const auto& sql : statements) {
            INFO(sql);
            REQUIRE(raw.execute(sql).empty());
        }
    }
    Repository migrated(path);
    CHECK(migrated.schema_version() == Repository::current_schema_version());
    // Hashed now, with the current form, as a run completed now would be.
    for (std::size_t i = 0; i < run_ids.size(); ++i) {
        INFO("run " << run_ids[i]);
        CHECK(migrated.record_hash(run_ids[i]) == hashes[i]);
        if (hashes[i]) {
            CHECK(migrated.find_record(*hashes[i])->hash_version == analysis::kRecordHashVersion);
        }
    }
    require_same_buckets(all_buckets(migrated), before);
    CHECK(migrated.integrity_ok());
}

TEST_CASE("a version 3 database gets its RL rollup, bounds apart, when opened") {
    CentralEuropeanTime local_time;
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    play_live(path, scenario());
    AllBuckets before;
    {
        Repository repository(path);
        before = all_buckets(repository);
    }
    REQUIRE(before.rl.size() == 5);
    {
        RawDatabase raw(path);
        auto statements = undo_migrations_after(3);
        statements.push_back("PRAGMA user_version = 3");
        for (const auto& sql : statements) {
            INFO(sql);
            REQUIRE(raw.execute(sql).empty());
        }
    }
    Repository migrated(path);
    CHECK(migrated.schema_version() == Repository::current_schema_version());
    require_same_buckets(all_buckets(migrated), before);
    CHECK(migrated.rl_buckets({})[1].stats.above_range == 1);
    CHECK(migrated.integrity_ok());
}

TEST_CASE("IL buckets added up per day give the trend the buckets give") {
    CentralEuropeanTime local_time;
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    play_live(path, scenario());
    Repository repository(path);
    // A second station's run on the scenario's first day: two buckets of that day to add.
    RunRecord other = planned("SN-8", "bench-2", "bob", utc_ms(2, 14, 0));
    other.id = repository.begin_run(other);
    auto graded = completed(other, Grade::Elite, true, {});
    graded.measurements = {reading(End::A, 1, 1310, 0.31, utc_ms(2, 14, 1)),
                           reading(End::B, 1, 1550, 0.07, utc_ms(2, 14, 2))};
    repository.complete_run(graded);
    const auto buckets = repository.qa_buckets({}, Repository::IlBuckets::Only);
    const auto days = repository.qa_buckets({}, Repository::IlBuckets::DayTotals);
    CHECK(days.il.size() < buckets.il.size());
    CHECK(days.rl.size() == buckets.rl.size());
    CHECK(days.yield.empty());
    for (const auto& day : days.il) {
        CHECK(day.key.part_number.empty());
        CHECK(day.key.station.empty());
    }
    for (const auto grouping : {analysis::Grouping::Day, analysis::Grouping::Week}) {
        const auto expected = analysis::il_trend(buckets.il, grouping);
        const auto got = analysis::il_trend(days.il, grouping);
        REQUIRE(got.size() == expected.size());
        for (std::size_t s = 0; s < got.size(); ++s) {
            CHECK(got[s].wavelength_nm == expected[s].wavelength_nm);
            REQUIRE(got[s].points.size() == expected[s].points.size());
            for (std::size_t p = 0; p < got[s].points.size(); ++p) {
                const auto& g = got[s].points[p];
                const auto& e = expected[s].points[p];
                CHECK(g.period == e.period);
                CHECK(g.count == e.count);
                CHECK(g.mean_db == Approx(e.mean_db).epsilon(1e-12));
                CHECK(g.max_db == e.max_db);
                CHECK(g.p97_db == e.p97_db);
            }
        }
    }
}

TEST_CASE("a damaged IL histogram is a database error naming the bucket") {
    CentralEuropeanTime local_time;
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    play_live(path, scenario());
    {
        // A varint that never ends.
        RawDatabase raw(path);
        REQUIRE(
            raw.execute("UPDATE qa_il SET histogram = x'FF' WHERE wavelength_nm = 850").empty());
    }
    Repository repository(path);
    CHECK_THROWS_AS(repository.il_buckets({}), DatabaseError);
    CHECK_THROWS_WITH(repository.il_buckets({}),
                      Contains(path.string()) && Contains("IL histogram") && Contains(mm_part) &&
                          Contains("850 nm") && Contains("truncated"));
    // Buckets of other parts still read.
    QaFilter sm;
    sm.part_number = sm_part;
    CHECK(repository.il_buckets(sm).size() == 4);

    // A run that adds to the damaged bucket is refused, and nothing of it is stored.
    RunRecord run = planned_mm("SN-9", "bench-2", "bob", utc_ms(3, 11, 0));
    run.id = repository.begin_run(run);
    auto graded = completed(run, Grade::Standard, true, {});
    graded.measurements = {reading(End::A, 1, 850, 0.2, utc_ms(3, 11, 1))};
    CHECK_THROWS_WITH(repository.complete_run(graded),
                      Contains(path.string()) && Contains("IL histogram") && Contains("850 nm"));
    CHECK(repository.run(run.id)->status == RunStatus::Running);
    CHECK(repository.run(run.id)->measurements.empty());
    CHECK_FALSE(repository.record_hash(run.id));
}

TEST_CASE(
    "a serial's attempts: completed runs, and operator aborts or interruptions after "
    "measurements; counted again from a QA release") {
    CentralEuropeanTime local_time;
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    const auto at = [](int minute) { return utc_ms(2, 9, minute); };
    std::vector<RunRecord> runs;
    {
        RunRecord run = planned("SN-R", "bench-1", "ada", at(0));
        run.measurements = {reading(End::A, 1, 1310, 0.9, at(0) + 1)};
        runs.push_back(completed(run, Grade::Fail, false,
                                 {failure(FailureCause::Il, End::A, 1, 1310, Grade::Generic)}));
    }
    {
        // Aborted on a red fibre: an attempt, with its retest reason kept.
        RunRecord run = planned("SN-R", "bench-1", "ada", at(10));
        run.retest_reason = "re-cleaned";
        run.measurements = {reading(End::A, 1, 1310, 0.9, at(10) + 1)};
        runs.push_back(stopped(run, RunStatus::Aborted,
                               "connect end B of SN-R: operator abort: ada aborted the run"));
    }
    // Stopped before any reading: not an attempt.
    runs.push_back(stopped(planned("SN-R", "bench-1", "ada", at(20)), RunStatus::Aborted,
                           "operator abort (SIGINT)"));
    {
        // The bench's fault, not the assembly's: not an attempt.
        RunRecord run = planned("SN-R", "bench-1", "ada", at(30));
        run.measurements = {reading(End::A, 1, 1310, 0.1, at(30) + 1)};
        runs.push_back(stopped(run, RunStatus::Aborted, "power meter timeout"));
    }
    {
        // Killed with readings taken: an attempt.
        RunRecord run = planned("SN-R", "bench-1", "ada", at(40));
        run.measurements = {reading(End::A, 1, 1310, 0.9, at(40) + 1)};
        runs.push_back(stopped(run, RunStatus::Interrupted, "process ended"));
    }
    const auto ids = play_live(path, runs);

    Repository repository(path);
    auto attempts = repository.serial_attempts("SN-R");
    CHECK(attempts.attempts == 3);
    CHECK(attempts.attempts_ever == 3);
    CHECK(attempts.last_run_id == ids[4]);
    CHECK_FALSE(attempts.last_passed);
    const auto history = repository.history("SN-R");
    REQUIRE(history.size() == 5);
    const std::vector<bool> counted{true, true, false, false, true};
    for (std::size_t i = 0; i < history.size(); ++i) {
        INFO("run " << i);
        CHECK(history[i].attempt == counted[i]);
    }
    CHECK(history[1].retest_reason == "re-cleaned");
    CHECK(history[0].retest_reason.empty());
    CHECK(repository.run(ids[1])->retest_reason == "re-cleaned");

    repository.release_serial("SN-R", "qa-bob", "re-terminated, inspected", attempts.attempts);
    attempts = repository.serial_attempts("SN-R");
    CHECK(attempts.attempts == 0);
    CHECK(attempts.attempts_ever == 3);
    CHECK(attempts.last_run_id == ids[4]);
    const auto releases = repository.serial_releases("SN-R");
    REQUIRE(releases.size() == 1);
    CHECK(releases[0].released_by == "qa-bob");
    CHECK(releases[0].reason == "re-terminated, inspected");
    CHECK(releases[0].attempts == 3);
    CHECK_THROWS_AS(repository.release_serial("SN-R", "qa-bob", "", 0), DatabaseError);

    // An attempt after the release counts again; a pass ends the story.
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count() +
                        1000;
    RunRecord after = planned("SN-R", "bench-1", "ada", now_ms);
    after.retest_reason = "re-terminated";
    after.measurements = {reading(End::A, 1, 1310, 0.1, now_ms + 1)};
    play_live(path, {completed(after, Grade::Elite, true, {})});
    attempts = Repository(path).serial_attempts("SN-R");
    CHECK(attempts.attempts == 1);
    CHECK(attempts.attempts_ever == 4);
    CHECK(attempts.last_passed);

    CHECK_FALSE(repository.serial_attempts("SN-NEVER").last_run_id.has_value());
}

// yield/pareto --by shift: the same counting as the rollups, each run in the
// period a function of its start time names — here shifts of UTC, the night
// shift 22:00-06:00 crossing midnight.
TEST_CASE("regrouped buckets put each run in its period and count first and final tests alike",
          "[shift]") {
    TempDir dir;
    Repository repository(dir.file("mpobench.db"));
    repository.store_limit_set(default_limits());
    const std::vector<mpobench::analysis::Shift> shifts{{"day", 6 * 60}, {"night", 22 * 60}};
    const auto shift_key = [&](TimePoint time) {
        using namespace std::chrono;
        const auto day = floor<days>(time);
        const int minute = static_cast<int>(duration_cast<minutes>(time - day).count());
        return mpobench::analysis::shift_of(year_month_day{day}, minute, shifts).key();
    };
    // SN-N fails at 23:30 and passes its retest at 01:30: one night shift.
    repository.import_runs(
        {completed(
             planned("SN-N", "bench-1", "ada", utc_ms(2, 23, 30)), Grade::Fail, false,
             {failure(FailureCause::Polarity, End::A, std::nullopt, std::nullopt, Grade::Generic)}),
         completed(planned("SN-N", "bench-1", "ada", utc_ms(3, 1, 30)), Grade::Elite, true, {}),
         stopped(planned("SN-S", "bench-1", "ada", utc_ms(3, 2, 0)), RunStatus::Aborted,
                 "operator abort"),
         completed(planned("SN-D", "bench-2", "bob", utc_ms(3, 9, 0)), Grade::Elite, true, {})});

    const auto buckets = repository.regrouped_qa_buckets({}, shift_key);
    std::map<std::string, YieldCounts> by_shift;
    for (const auto& bucket : buckets.yield)
        by_shift[bucket.key.day] += bucket.counts;
    REQUIRE(by_shift.size() == 2);
    require_same_counts(by_shift.at("2026-03-02 night"),
                        counts(2, 1, 1, 0, 1, 0, 1, 1, {1, 0, 0, 1}));
    require_same_counts(by_shift.at("2026-03-03 day"),
                        counts(1, 1, 0, 0, 1, 1, 1, 1, {0, 0, 0, 1}));
    REQUIRE(buckets.causes.size() == 1);
    CHECK(buckets.causes[0].key.day == "2026-03-02 night");
    CHECK(buckets.causes[0].cause == "polarity");
    CHECK(buckets.causes[0].runs == 1);
    REQUIRE(buckets.failures.size() == 1);
    CHECK(buckets.failures[0].key.day == "2026-03-02 night");

    // Together they are the rollups' totals.
    YieldCounts regrouped, rolled_up;
    for (const auto& [shift, c] : by_shift)
        regrouped += c;
    for (const auto& bucket : repository.yield_buckets({}))
        rolled_up += bucket.counts;
    require_same_counts(regrouped, rolled_up);

    // Part, station and operator filter; days are the caller's.
    QaFilter bench_2;
    bench_2.station = "bench-2";
    bench_2.from_day = "2030-01-01";
    const auto only_bench_2 = repository.regrouped_qa_buckets(bench_2, shift_key);
    REQUIRE(only_bench_2.yield.size() == 1);
    CHECK(only_bench_2.yield[0].key.day == "2026-03-03 day");
    CHECK(only_bench_2.causes.empty());
}

TEST_CASE("golden assemblies keep their known values, and every check its verdict and bias",
          "[golden]") {
    CentralEuropeanTime local_time;
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    const auto ids = play_live(path, scenario());
    Repository repository(path);
    const auto source = repository.run(ids[0]);  // SN-1, passed
    REQUIRE(source);
    GoldenAssembly golden;
    golden.serial = "SN-1";
    golden.part_number = source->part.number;
    golden.source_run_id = source->id;
    golden.added_at = at_ms(utc_ms(4, 9, 0));
    golden.added_by = "qa-bob";
    golden.values = analysis::golden_values_of(*source);
    REQUIRE(golden.values.size() == 3);
    repository.add_golden(golden);
    CHECK_THROWS_AS(repository.add_golden(golden), DatabaseError);  // golden once
    CHECK_FALSE(repository.golden("SN-2"));
    const auto stored = repository.golden("SN-1");
    REQUIRE(stored);
    CHECK(stored->part_number == golden.part_number);
    CHECK(stored->source_run_id == source->id);
    CHECK(stored->added_by == "qa-bob");
    REQUIRE(stored->values.size() == 3);
    CHECK(stored->values[0].end == End::A);
    CHECK(stored->values[0].il_db == 0.101);

    CHECK_FALSE(repository.latest_golden_check("bench-1"));
    GoldenCheck check;
    check.station = "bench-1";
    check.serial = "SN-1";
    check.at = at_ms(utc_ms(5, 6, 0));
    check.operator_name = "ada";
    check.il_tolerance_db = 0.05;
    check.comparison.pass = true;
    check.comparison.compared = 3;
    check.comparison.worst_deviation_db = 0.02;
    check.comparison.worst_where = "end A fibre 1 1310 nm";
    check.comparison.bias = {{1310, 0.015, 2}, {1550, -0.01, 1}};
    const auto first = repository.save_golden_check(check);
    check.at = at_ms(utc_ms(5, 14, 0));
    check.comparison.pass = false;
    check.comparison.missing = "end B fibre 1 1550 nm: no IL reading";
    check.comparison.bias = {{1310, 0.2, 2}};
    const auto second = repository.save_golden_check(check);
    CHECK(second > first);
    const auto latest = repository.latest_golden_check("bench-1");
    REQUIRE(latest);
    CHECK(latest->id == second);
    CHECK_FALSE(latest->comparison.pass);
    CHECK(latest->comparison.missing == "end B fibre 1 1550 nm: no IL reading");
    CHECK_FALSE(repository.latest_golden_check("bench-2"));
    const auto all = repository.golden_checks();
    REQUIRE(all.size() == 2);
    CHECK(all[0].comparison.pass);
    REQUIRE(all[0].comparison.bias.size() == 2);
    CHECK(all[0].comparison.bias[1].wavelength_nm == 1550);
    CHECK(all[0].comparison.bias[1].mean_bias_db == -0.01);
    CHECK(all[0].comparison.bias[1].readings == 1);
    CHECK(all[0].il_tolerance_db == 0.05);
    // A check of an assembly that is not golden is refused by the schema.
    check.serial = "SN-2";
    CHECK_THROWS_AS(repository.save_golden_check(check), DatabaseError);
}

TEST_CASE("a version 12 database gets the monitor columns; its form-2 hashes still verify") {
    CentralEuropeanTime local_time;
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    const auto run_ids = play_live(path, scenario());
    // What mpobench wrote at schema version 12: each completed run's hash
    // of canonical form 2.
    std::map<std::int64_t, std::string> v2_hashes;
    {
        Repository repository(path);
        for (const auto run_id : run_ids) {
            if (repository.record_hash(run_id))
                v2_hashes[run_id] = analysis::record_hash(*repository.run(run_id), 2);
        }
    }
    REQUIRE(v2_hashes.size() >= 2);
    {
        RawDatabase raw(path);
        std::vector<std::string> statements = undo_migrations_after(12);
        statements.insert(statements.end(),
                          {"DROP TRIGGER run_hashes_never_change",
                           "DROP TRIGGER run_hashes_never_deleted", "DELETE FROM run_hashes"});
        for (const auto& [run_id, hash] : v2_hashes) {
            statements.push_back("INSERT INTO run_hashes (run_id, sha256, version) VALUES (" +
                                 std::to_string(run_id) + ", '" + hash + "', 2)");
        }
        add_run_hash_triggers(statements);
        statements.push_back("PRAGMA user_version = 12");
        for (const auto& sql : statements) {
            INFO(sql);
            REQUIRE(raw.execute(sql).empty());
        }
    }
    Repository repository(path);  // migrates to the current schema
    REQUIRE(repository.schema_version() == Repository::current_schema_version());
    for (const auto& [run_id, hash] : v2_hashes) {
        INFO("run " << run_id);
        const auto check = repository.find_record(hash);
        REQUIRE(check);
        CHECK(check->hash_version == 2);
        CHECK(check->record_matches);
        for (const auto& m : repository.run(run_id)->measurements)
            CHECK_FALSE(m.monitor_dbm);
    }
    // The new columns hold a reference's and a run's monitor readings.
    Reference reference;
    reference.station = "bench-1";
    reference.operator_name = "ada";
    reference.taken_at = at_ms(1'000);
    reference.launch_cord = "LC-REF-7";
    reference.mode = FiberMode::SM;
    reference.fibers = 12;
    reference.points = {{1, 1310, -3.1, 0.002, -27.5}};
    repository.save_reference(reference);
    CHECK(repository.latest_reference("bench-1")->points.at(0).monitor_dbm == -27.5);
    RunRecord run = planned("SN-MON", "bench-1", "ada", utc_ms(4, 9, 0));
    Measurement taken = reading(End::A, 1, 1310, 0.101, utc_ms(4, 9, 0) + 1);
    taken.monitor_dbm = -27.52;
    run.measurements = {taken};
    run.id = repository.begin_run(run);
    repository.complete_run(completed(run, Grade::Elite, true, {}));
    CHECK(repository.run(run.id)->measurements.at(0).monitor_dbm == -27.52);
    const auto check = repository.find_record(*repository.record_hash(run.id));
    REQUIRE(check);
    CHECK(check->hash_version == analysis::kRecordHashVersion);
    CHECK(check->record_matches);
    CHECK(repository.integrity_ok());
}
