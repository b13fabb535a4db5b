// The records: round trips of runs and references, a run's life (journal,
// complete, abort), limit sets, history, append-only rules, and several
// connections on one file.

#include <latch>
#include <thread>

#include "db_test_support.hpp"

using namespace db_test;
using Catch::Matchers::Contains;
using mpobench::db::DatabaseError;
using mpobench::db::Repository;
using mpobench::db::RunFilter;

namespace {

// A run through its whole life with every field of the record set.
RunRecord graded_run(Repository& repository, const std::string& serial, std::int64_t started_ms) {
    RunRecord run = new_run(serial, started_ms);
    Reference reference;
    reference.station = run.station;
    reference.operator_name = "ada";
    reference.taken_at = at_ms(started_ms - 60'000);
    reference.launch_cord = "LC-REF-7";
    reference.mode = FiberMode::SM;
    reference.fibers = 12;
    reference.points = {{1, 1310, -3.1, 0.002, -27.25}, {1, 1550, -3.3, -0.001, std::nullopt}};
    run.reference_id = repository.save_reference(reference);
    run.id = repository.begin_run(run);

    run.measurements = {
        measurement(End::A, 1, 1310, 0, started_ms + 10),
        measurement(End::A, 2, 1310, 0, started_ms + 20),
        measurement(End::B, 1, 1550, 0, started_ms + 30),
        measurement(End::A, 1, 1310, 1, started_ms + 40),
    };
    // Taken with the tap monitor's reading (schema 13, hash form 3).
    run.measurements[1].monitor_dbm = -27.2625;
    // A broken fibre: no light, no value.
    Measurement dark = measurement(End::B, 7, 1550, 0, started_ms + 50);
    dark.status = ReadingStatus::NoLight;
    dark.far_position = 0;
    dark.power_dbm = std::nan("");
    dark.il_db.reset();
    dark.rl_db = 14.2;
    run.measurements.push_back(dark);
    for (const auto& m : run.measurements) {
        repository.append_measurement(run.id, m);
    }

    run.polarity = {{End::A, {12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
                    {End::B, {12, 11, 10, 9, 8, 0, 6, 5, 4, 3, 2, 1}}};
    Failure continuity;
    continuity.what = FailureCause::Continuity;
    continuity.end = End::B;
    continuity.fiber = 7;
    continuity.grade = Grade::Generic;
    Failure mean;
    mean.what = FailureCause::IlMean;
    mean.end = End::A;
    mean.wavelength_nm = 1310;
    mean.value = 0.27;
    mean.limit = 0.25;
    mean.grade = Grade::Elite;
    run.failures = {continuity, mean};
    run.grade = Grade::Fail;
    run.pass = false;
    run.mating_cycles_run = 1;
    const auto limits = default_limits();
    repository.store_limit_set(limits);
    run.limit_set_name = limits.name;
    run.limit_set_version = limits.version;
    run.limit_set_hash = limits.hash;
    run.ended_at = at_ms(started_ms + 90'000);
    run.status = RunStatus::Completed;
    return run;
}

void require_same_run(const RunRecord& stored, const RunRecord& expected) {
    CHECK(stored.id == expected.id);
    CHECK(stored.kind == expected.kind);
    CHECK(stored.serial == expected.serial);
    CHECK(stored.part.number == expected.part.number);
    CHECK(stored.part.description == expected.part.description);
    CHECK(stored.part.fibers == expected.part.fibers);
    CHECK(stored.part.mode == expected.part.mode);
    CHECK(stored.part.polarity == expected.part.polarity);
    CHECK(stored.part.target == expected.part.target);
    CHECK(stored.part.length_m == expected.part.length_m);
    CHECK(stored.part.wavelengths_nm == expected.part.wavelengths_nm);
    CHECK(stored.part.mating_cycles == expected.part.mating_cycles);
    CHECK(stored.station == expected.station);
    CHECK(stored.operator_name == expected.operator_name);
    CHECK(stored.software_version == expected.software_version);
    CHECK(stored.started_at == expected.started_at);
    CHECK(stored.ended_at == expected.ended_at);
    CHECK(stored.status == expected.status);
    CHECK(stored.reason == expected.reason);
    CHECK(stored.reference_id == expected.reference_id);
    REQUIRE(stored.instruments.size() == expected.instruments.size());
    for (std::size_t i = 0; i < expected.instruments.size(); ++i) {
        const auto& a = stored.instruments[i];
        const auto& b = expected.instruments[i];
        CHECK(a.name == b.name);
        CHECK(a.role == b.role);
        CHECK(a.model_key == b.model_key);
        CHECK(a.resource == b.resource);
        CHECK(a.vendor == b.vendor);
        CHECK(a.model == b.model);
        CHECK(a.serial == b.serial);
        CHECK(a.firmware == b.firmware);
        CHECK(a.calibration_due == b.calibration_due);
    }
    REQUIRE(stored.measurements.size() == expected.measurements.size());
    for (std::size_t i = 0; i < expected.measurements.size(); ++i) {
        INFO("measurement " << i);
        require_same_measurement(stored.measurements[i], expected.measurements[i]);
    }
    REQUIRE(stored.polarity.size() == expected.polarity.size());
    for (std::size_t i = 0; i < expected.polarity.size(); ++i) {
        CHECK(stored.polarity[i].launched_end == expected.polarity[i].launched_end);
        CHECK(stored.polarity[i].far_positions == expected.polarity[i].far_positions);
    }
    CHECK(stored.mating_cycles_run == expected.mating_cycles_run);
    CHECK(stored.grade == expected.grade);
    CHECK(stored.pass == expected.pass);
    REQUIRE(stored.failures.size() == expected.failures.size());
    for (std::size_t i = 0; i < expected.failures.size(); ++i) {
        const auto& a = stored.failures[i];
        const auto& b = expected.failures[i];
        CHECK(a.what == b.what);
        CHECK(a.end == b.end);
        CHECK(a.fiber == b.fiber);
        CHECK(a.wavelength_nm == b.wavelength_nm);
        CHECK(a.value == b.value);
        CHECK(a.limit == b.limit);
        CHECK(a.grade == b.grade);
    }
    CHECK(stored.limit_set_name == expected.limit_set_name);
    CHECK(stored.limit_set_version == expected.limit_set_version);
    CHECK(stored.limit_set_hash == expected.limit_set_hash);
}

}  // namespace

TEST_CASE("a completed run reads back field for field") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    RunRecord expected;
    {
        Repository repository(path);
        expected = graded_run(repository, "SN-0001", 1'795'000'000'123);
        repository.complete_run(expected);
    }
    Repository repository(path);
    const auto stored = repository.run(expected.id);
    REQUIRE(stored);
    require_same_run(*stored, expected);
    CHECK_FALSE(repository.run(expected.id + 100));
    CHECK(repository.integrity_ok());
}

TEST_CASE("an RL bound is stored apart from the RL values, never as one") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    std::int64_t run_id = 0;
    {
        Repository repository(path);
        RunRecord run = new_run("SN-BOUND", 1'000'000);
        run_id = repository.begin_run(run);
        Measurement bound = measurement(End::A, 1, 1310, 0, 1'000'001);
        bound.rl_db.reset();
        bound.rl_above_db = 75.0;
        repository.append_measurement(run_id, bound);
        repository.append_measurement(run_id, measurement(End::A, 2, 1310, 0, 1'000'002));
        const auto stored = repository.run(run_id);
        REQUIRE(stored);
        REQUIRE(stored->measurements.size() == 2);
        require_same_measurement(stored->measurements[0], bound);
        CHECK_FALSE(stored->measurements[1].rl_above_db);
    }
    RawDatabase raw(path);
    // No statistic over rl_db can take the bound in.
    CHECK(raw.value("SELECT count(rl_db) FROM measurements") == "1");
    CHECK(raw.value("SELECT avg(rl_db) FROM measurements") == "65.7");
    CHECK(raw.value("SELECT rl_above_db FROM measurements WHERE fiber = 1") == "75.0");
    // A reading is a value or a bound, never both.
    CHECK_THAT(raw.execute("INSERT INTO measurements (run_id, launched_end, fiber, wavelength_nm, "
                           "cycle, status, far_position, rl_db, rl_above_db, taken_at) VALUES (" +
                           std::to_string(run_id) +
                           ", 'A', 3, 1310, 0, 'ok', 10, 66.0, 75.0, "
                           "'2026-01-01T00:00:00.000Z')"),
               Contains("CHECK constraint failed"));
}

TEST_CASE("times are stored as UTC ISO-8601 text with milliseconds") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    {
        Repository repository(path);
        // 2026-11-24T21:48:16.123Z
        repository.begin_run(new_run("SN-TIME", 1'795'556'896'123));
    }
    RawDatabase raw(path);
    CHECK(raw.value("SELECT started_at FROM runs") == "2026-11-24T21:48:16.123Z");
}

TEST_CASE("a reference reads back with its points, and the latest one per station") {
    TempDir dir;
    Repository repository(dir.file("mpobench.db"));
    Reference first;
    first.station = "bench-1";
    first.operator_name = "ada";
    first.taken_at = at_ms(1'795'000'000'000);
    first.launch_cord = "LC-REF-7";
    first.mode = FiberMode::MM;
    first.fibers = 2;
    first.points = {{1, 850, -2.5, 0.003, std::nullopt},
                    {2, 850, -2.75, -0.002, std::nullopt},
                    {1, 1300, -2.9, 0.0, std::nullopt}};
    const auto first_id = repository.save_reference(first);
    Reference second = first;
    second.launch_cord_matings = 412;
    second.taken_at = at_ms(1'795'000'600'000);
    second.points = {{1, 850, -2.6, 0.001, std::nullopt}};
    const auto second_id = repository.save_reference(second);
    Reference other = first;
    other.station = "bench-2";
    other.taken_at = at_ms(1'795'009'000'000);
    repository.save_reference(other);

    const auto stored = repository.reference(first_id);
    REQUIRE(stored);
    CHECK(stored->id == first_id);
    CHECK(stored->station == first.station);
    CHECK(stored->operator_name == first.operator_name);
    CHECK(stored->taken_at == first.taken_at);
    CHECK(stored->launch_cord == first.launch_cord);
    CHECK(stored->mode == first.mode);
    CHECK(stored->fibers == first.fibers);
    REQUIRE(stored->points.size() == first.points.size());
    for (std::size_t i = 0; i < first.points.size(); ++i) {
        CHECK(stored->points[i].fiber == first.points[i].fiber);
        CHECK(stored->points[i].wavelength_nm == first.points[i].wavelength_nm);
        CHECK(stored->points[i].power_dbm == first.points[i].power_dbm);
        CHECK(stored->points[i].drift_db == first.points[i].drift_db);
        CHECK(stored->points[i].monitor_dbm == first.points[i].monitor_dbm);
    }
    const auto latest = repository.latest_reference("bench-1");
    REQUIRE(latest);
    CHECK(latest->id == second_id);
    CHECK(latest->points.size() == 1);
    CHECK(latest->launch_cord_matings == 412);
    CHECK_FALSE(stored->launch_cord_matings.has_value());
    CHECK_FALSE(repository.latest_reference("bench-9"));
    CHECK_FALSE(repository.reference(second_id + 100));

    Reference duplicate_point = first;
    duplicate_point.points.push_back(first.points.front());
    CHECK_THROWS_WITH(repository.save_reference(duplicate_point),
                      Contains("point fibre 1 at 850 nm") && Contains("UNIQUE"));
}

TEST_CASE("cord matings are counted per cord and start again when it is re-qualified") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    Repository repository(path);
    const auto unused = repository.cord_wear("LC-1");
    CHECK(unused.cord_id == "LC-1");
    CHECK(unused.matings == 0);
    CHECK(unused.total_matings == 0);
    CHECK_FALSE(unused.since.has_value());

    const auto before = std::chrono::system_clock::now() - std::chrono::seconds(1);
    repository.add_cord_matings({"LC-1", "RC-1"});
    repository.add_cord_matings({"LC-1"});
    repository.add_cord_matings({});  // a step that mates nothing
    auto launch = repository.cord_wear("LC-1");
    CHECK(launch.matings == 2);
    CHECK(launch.total_matings == 2);
    REQUIRE(launch.since);
    CHECK(*launch.since >= before);
    CHECK(repository.cord_wear("RC-1").matings == 1);

    repository.requalify_cord("LC-1", "qa-bob", "cleaned and inspected");
    launch = repository.cord_wear("LC-1");
    CHECK(launch.matings == 0);
    CHECK(launch.total_matings == 2);  // the cord's life goes on
    const auto events = repository.cord_requalifications("LC-1");
    REQUIRE(events.size() == 1);
    CHECK(events[0].operator_name == "qa-bob");
    CHECK(events[0].reason == "cleaned and inspected");
    CHECK(events[0].matings_before == 2);
    repository.add_cord_matings({"LC-1"});
    CHECK(repository.cord_wear("LC-1").matings == 1);
    CHECK(repository.cord_wear("LC-1").total_matings == 3);

    // A cord the bench never mated has nothing to re-qualify; an empty
    // reason is refused by the schema.
    CHECK_THROWS_WITH(repository.requalify_cord("LC-9", "qa-bob", "x"),
                      Contains(path.string()) && Contains("never mated cord LC-9"));
    CHECK_THROWS_AS(repository.requalify_cord("LC-1", "qa-bob", ""), DatabaseError);
    CHECK(repository.cord_requalifications("LC-1").size() == 1);

    // Another connection (another station on the same file) sees the count.
    CHECK(Repository::open_read_only(path).cord_wear("LC-1").matings == 1);
}

TEST_CASE("users are added once, read back, and disabled rather than deleted") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    Repository repository(path);
    CHECK(repository.users().empty());
    mpobench::db::User user;
    user.name = "zoe";
    user.role = mpobench::db::UserRole::Qa;
    user.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
    user.created_at = at_ms(1'795'000'000'000);
    user.created_by = "root";
    repository.add_user(user);
    user.name = "adam";
    user.role = mpobench::db::UserRole::Admin;
    repository.add_user(user);
    CHECK_THROWS_WITH(repository.add_user(user), Contains("the name is taken"));
    const auto users = repository.users();
    REQUIRE(users.size() == 2);
    CHECK(users[0].name == "adam");  // by name
    CHECK(users[1].role == mpobench::db::UserRole::Qa);
    CHECK(users[1].created_at == at_ms(1'795'000'000'000));
    CHECK_FALSE(users[1].disabled_at);
    repository.disable_user("zoe");
    REQUIRE(repository.user("zoe"));
    CHECK(repository.user("zoe")->disabled_at.has_value());
    CHECK_THROWS_WITH(repository.disable_user("zoe"), Contains("no enabled user"));
    CHECK_THROWS_WITH(repository.disable_user("nobody"), Contains("no enabled user"));
    // Only an argon2id hash is stored; a user is never deleted.
    user.name = "eve";
    user.password_hash = "secret";
    CHECK_THROWS_AS(repository.add_user(user), DatabaseError);
    RawDatabase raw(path);
    CHECK_THAT(raw.execute("DELETE FROM users WHERE name = 'zoe'"), Contains("never deleted"));
    CHECK(mpobench::db::parse_user_role("QA") == mpobench::db::UserRole::Qa);
    CHECK_FALSE(mpobench::db::parse_user_role("boss"));
}

TEST_CASE("audit entries are chained as they are appended and never change") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    Repository repository(path);
    CHECK(repository.audit_entries().empty());
    mpobench::analysis::AuditEntry entry;
    entry.at = at_ms(1'795'000'000'123) + std::chrono::microseconds(456);  // stored to the ms
    entry.source = "cli";
    entry.os_user = "root";
    entry.actor = "qa-bob";
    entry.host = "bench-pc";
    entry.action = "hold.release";
    entry.detail = R"({"serial":"SN-1"})";
    const auto first = repository.append_audit(entry);
    CHECK(first.id == 1);
    CHECK(first.prev_sha256.empty());
    entry.action = "golden.add";
    const auto second = repository.append_audit(entry);
    CHECK(second.id == 2);
    CHECK(second.prev_sha256 == first.sha256);
    const auto stored = repository.audit_entries();
    REQUIRE(stored.size() == 2);
    CHECK(stored[0].sha256 == first.sha256);
    CHECK(stored[0].at == at_ms(1'795'000'000'123));
    CHECK(stored[1].action == "golden.add");
    CHECK_FALSE(mpobench::analysis::first_break(stored));
    entry.detail = "not json";
    CHECK_THROWS_AS(repository.append_audit(entry), DatabaseError);
    RawDatabase raw(path);
    CHECK_THAT(raw.execute("UPDATE audit_log SET actor = 'qa-eve' WHERE id = 1"),
               Contains("never changes"));
    CHECK_THAT(raw.execute("DELETE FROM audit_log WHERE id = 2"), Contains("never deleted"));
}

TEST_CASE("abort_run stores the reason and the end time, and an aborted run is final") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    Repository repository(path);
    const auto before = std::chrono::system_clock::now() - std::chrono::seconds(1);
    const auto run_id = repository.begin_run(new_run("SN-ABORT", 1'000));
    repository.append_measurement(run_id, measurement(End::A, 1, 1310, 0, 1'100));
    repository.abort_run(run_id, "power meter timeout after MEAS:POW?");
    const auto run = repository.run(run_id);
    REQUIRE(run);
    CHECK(run->status == RunStatus::Aborted);
    CHECK(run->reason == "power meter timeout after MEAS:POW?");
    REQUIRE(run->ended_at);
    CHECK(*run->ended_at >= before);
    CHECK_FALSE(run->grade);
    CHECK(run->measurements.size() == 1);

    CHECK_THROWS_WITH(repository.abort_run(run_id, "again"),
                      Contains(path.string()) && Contains("run " + std::to_string(run_id)) &&
                          Contains("it is aborted, not running"));
    RunRecord late = *run;
    late.grade = Grade::Elite;
    CHECK_THROWS_WITH(repository.complete_run(late), Contains("it is aborted, not running"));
    CHECK_THROWS_WITH(repository.append_measurement(run_id, measurement(End::A, 2, 1310, 0, 1'200)),
                      Contains("only to a running run"));
    CHECK_THROWS_WITH(repository.abort_run(run_id + 50, "none"), Contains("no such run"));
}

TEST_CASE("a run's retries are stored, read back and summed in the yield rollup") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    Repository repository(path);
    RunRecord completed = graded_run(repository, "SN-RETRY", 1'795'000'000'000);
    completed.retries = 4;
    repository.complete_run(completed);
    const auto aborted = repository.begin_run(new_run("SN-RETRY", 1'795'000'100'000));
    repository.abort_run(aborted, "meter: ':FETC:POW:ALL?' timed out (still after 3 retries)", 7);
    const auto quiet = repository.begin_run(new_run("SN-QUIET", 1'795'000'200'000));
    repository.abort_run(quiet, "operator abort");

    CHECK(repository.run(completed.id)->retries == 4);
    CHECK(repository.run(aborted)->retries == 7);
    CHECK(repository.run(quiet)->retries == 0);
    const auto history = repository.history("SN-RETRY");
    REQUIRE(history.size() == 2);
    CHECK(history[0].retries == 4);
    CHECK(history[1].retries == 7);

    const auto total = [&] {
        analysis::YieldCounts counts;
        for (const auto& bucket : repository.yield_buckets({}))
            counts += bucket.counts;
        return counts;
    };
    CHECK(total().retries == 11);
    CHECK(total().retries_per_run() == Approx(11.0 / 3.0));
    repository.rebuild_qa_rollups();  // the rollups rebuilt from the runs say the same
    CHECK(total().retries == 11);
    // A finished run's count never changes.
    RawDatabase raw(path);
    CHECK_THAT(raw.execute("UPDATE runs SET retries = 0 WHERE id = " + std::to_string(aborted)),
               Contains("a finished run never changes"));
}

TEST_CASE("append_measurements commits a batch in order, all or nothing") {
    TempDir dir;
    Repository repository(dir.file("mpobench.db"));
    const auto run_id = repository.begin_run(new_run("SN-BATCH", 1'000));
    std::vector<Measurement> batch;
    for (int fiber = 1; fiber <= 12; ++fiber)
        batch.push_back(measurement(End::A, fiber, 1310, 0, 1'000 + fiber));
    repository.append_measurements(run_id, batch);
    repository.append_measurement(run_id, measurement(End::A, 1, 1550, 0, 1'100));
    auto run = repository.run(run_id);
    REQUIRE(run);
    REQUIRE(run->measurements.size() == 13);
    for (int fiber = 1; fiber <= 12; ++fiber) {
        CHECK(run->measurements[static_cast<std::size_t>(fiber - 1)].fiber == fiber);
        CHECK(run->measurements[static_cast<std::size_t>(fiber - 1)].wavelength_nm == 1310);
    }
    CHECK(run->measurements.back().wavelength_nm == 1550);

    // A batch for a run that is no longer running stores none of its rows.
    repository.abort_run(run_id, "meter timeout");
    CHECK_THROWS_WITH(repository.append_measurements(run_id, batch),
                      Contains("only to a running run"));
    run = repository.run(run_id);
    REQUIRE(run);
    CHECK(run->measurements.size() == 13);
}

TEST_CASE("complete_run stores grade, failures, polarity and limit set together") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    Repository repository(path);
    RunRecord run = graded_run(repository, "SN-ATOMIC", 1'000'000);

    SECTION("all of it when every part is valid") {
        repository.complete_run(run);
        const auto stored = repository.run(run.id);
        REQUIRE(stored);
        CHECK(stored->status == RunStatus::Completed);
        CHECK(stored->grade == Grade::Fail);
        CHECK(stored->failures.size() == 2);
        CHECK(stored->polarity.size() == 2);
        CHECK(stored->limit_set_hash == run.limit_set_hash);
        CHECK_THROWS_WITH(repository.complete_run(run), Contains("it is completed, not running"));
    }
    SECTION("none of it when one part fails") {
        // The failures are stored before it; a far position no detector has fails.
        const int good_far_position = run.polarity.back().far_positions.front();
        run.polarity.back().far_positions.front() = -1;
        CHECK_THROWS_WITH(repository.complete_run(run),
                          Contains(path.string()) &&
                              Contains("storing the polarity map of end " +
                                       std::string(to_string(run.polarity.back().launched_end))) &&
                              Contains("CHECK constraint failed"));
        const auto stored = repository.run(run.id);
        REQUIRE(stored);
        CHECK(stored->status == RunStatus::Running);
        CHECK_FALSE(stored->grade);
        CHECK(stored->failures.empty());
        CHECK(stored->polarity.empty());
        CHECK(stored->limit_set_hash.empty());
        CHECK_FALSE(stored->ended_at);
        // The journal is untouched and the run can still be completed.
        CHECK(stored->measurements.size() == run.measurements.size());
        run.polarity.back().far_positions.front() = good_far_position;
        repository.complete_run(run);
        CHECK(repository.run(run.id)->status == RunStatus::Completed);
    }
    SECTION("a limit set that was never stored is refused") {
        run.limit_set_hash = "sha256:unknown";
        CHECK_THROWS_WITH(repository.complete_run(run),
                          Contains("limit set sha256:unknown is not stored"));
        CHECK(repository.run(run.id)->status == RunStatus::Running);
    }
    SECTION("a record whose limit set name does not match its hash is refused") {
        run.limit_set_version = "2025.9";
        CHECK_THROWS_WITH(repository.complete_run(run), Contains("is stored as 'default' 2026.1"));
    }
    SECTION("a record that does not hold every journaled measurement is refused") {
        run.measurements.pop_back();
        CHECK_THROWS_WITH(repository.complete_run(run), Contains("more are journaled"));
        CHECK(repository.run(run.id)->status == RunStatus::Running);
    }
    SECTION("a record whose measurements differ from the journal is refused") {
        run.measurements[1].fiber = 9;
        CHECK_THROWS_WITH(repository.complete_run(run),
                          Contains("measurement 2 of the graded record"));
    }
    SECTION("measurements the journal lacks are stored with the grade") {
        run.measurements.push_back(measurement(End::B, 2, 1550, 0, 1'000'060));
        repository.complete_run(run);
        const auto stored = repository.run(run.id);
        REQUIRE(stored);
        REQUIRE(stored->measurements.size() == run.measurements.size());
        require_same_measurement(stored->measurements.back(), run.measurements.back());
    }
}

TEST_CASE("a limit set is stored once per hash and never changes") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    Repository repository(path);
    const auto limits = default_limits();
    const auto id = repository.store_limit_set(limits);
    CHECK(id > 0);
    CHECK(repository.store_limit_set(limits) == id);

    const auto stored = repository.limit_set_by_hash(limits.hash);
    REQUIRE(stored);
    CHECK(stored->id == id);
    CHECK(stored->name == limits.name);
    CHECK(stored->version == limits.version);
    CHECK(stored->hash == limits.hash);
    CHECK(stored->body == limits.body);
    CHECK_FALSE(repository.limit_set_by_hash("sha256:none"));

    auto changed = limits;
    changed.body += "guard_band_db = 0.02\n";
    CHECK_THROWS_WITH(repository.store_limit_set(changed),
                      Contains(path.string()) && Contains("hash sha256:4f1c0d is already stored") &&
                          Contains("never changes"));
    auto renamed = limits;
    renamed.name = "strict";
    CHECK_THROWS_AS(repository.store_limit_set(renamed), DatabaseError);
    auto unhashed = limits;
    unhashed.hash.clear();
    CHECK_THROWS_WITH(repository.store_limit_set(unhashed), Contains("has no hash"));
    CHECK(repository.limit_set_by_hash(limits.hash)->body == limits.body);

    RawDatabase raw(path);
    CHECK_THAT(raw.execute("UPDATE limit_sets SET body = 'x'"), Contains("never changes"));
}

TEST_CASE("history lists the runs of a serial oldest first") {
    TempDir dir;
    Repository repository(dir.file("mpobench.db"));
    // Begun out of time order on purpose: history follows started_at.
    const auto second = repository.begin_run(new_run("SN-H", 2'000));
    const auto first = repository.begin_run(new_run("SN-H", 1'000));
    auto repeat = new_run("SN-H", 3'000);
    repeat.kind = RunKind::Repeatability;
    repeat.operator_name = "grace";
    const auto third = repository.begin_run(repeat);
    repository.begin_run(new_run("SN-OTHER", 1'500));
    repository.abort_run(first, "fibre 3 dirty");

    const auto history = repository.history("SN-H");
    REQUIRE(history.size() == 3);
    CHECK(history[0].id == first);
    CHECK(history[1].id == second);
    CHECK(history[2].id == third);
    CHECK(history[0].status == RunStatus::Aborted);
    CHECK(history[0].reason == "fibre 3 dirty");
    CHECK(history[0].ended_at);
    CHECK(history[1].started_at == at_ms(2'000));
    CHECK(history[1].part_number == "MTP12-SM-B-3M");
    CHECK(history[1].station == "bench-1");
    CHECK(history[1].status == RunStatus::Running);
    CHECK_FALSE(history[1].ended_at);
    CHECK(history[2].kind == RunKind::Repeatability);
    CHECK(history[2].operator_name == "grace");
    CHECK(repository.history("SN-NONE").empty());

    const auto latest = repository.latest_run("SN-H");
    REQUIRE(latest);
    CHECK(latest->id == third);
    CHECK_FALSE(repository.latest_run("SN-NONE"));
}

TEST_CASE("find_runs filters by time, part, station, operator, kind and status") {
    TempDir dir;
    Repository repository(dir.file("mpobench.db"));
    const auto a = repository.begin_run(new_run("SN-1", 1'000));
    auto on_bench_2 = new_run("SN-2", 2'000);
    on_bench_2.station = "bench-2";
    on_bench_2.part.number = "MTP24-MM-A-1M";
    const auto b = repository.begin_run(on_bench_2);
    auto by_grace = new_run("SN-3", 3'000);
    by_grace.operator_name = "grace";
    by_grace.kind = RunKind::Repeatability;
    const auto c = repository.begin_run(by_grace);
    repository.abort_run(c, "operator abort");

    const auto ids = [&](const RunFilter& filter) {
        std::vector<std::int64_t> found;
        for (const auto& summary : repository.find_runs(filter)) {
            found.push_back(summary.id);
        }
        return found;
    };
    CHECK(ids({}) == std::vector<std::int64_t>{a, b, c});
    RunFilter window;
    window.started_from = at_ms(2'000);
    window.started_before = at_ms(3'000);
    CHECK(ids(window) == std::vector<std::int64_t>{b});
    RunFilter part;
    part.part_number = "MTP12-SM-B-3M";
    CHECK(ids(part) == std::vector<std::int64_t>{a, c});
    RunFilter station;
    station.station = "bench-2";
    CHECK(ids(station) == std::vector<std::int64_t>{b});
    RunFilter person;
    person.operator_name = "grace";
    CHECK(ids(person) == std::vector<std::int64_t>{c});
    RunFilter kind;
    kind.kind = RunKind::Production;
    CHECK(ids(kind) == std::vector<std::int64_t>{a, b});
    RunFilter status;
    status.status = RunStatus::Aborted;
    CHECK(ids(status) == std::vector<std::int64_t>{c});
    RunFilter none;
    none.station = "bench-1";
    none.operator_name = "grace";
    none.kind = RunKind::Production;
    CHECK(ids(none).empty());
}

TEST_CASE("records are append-only: a retest is a new run") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    Repository repository(path);
    RunRecord first = graded_run(repository, "SN-RETEST", 1'000'000);
    repository.complete_run(first);
    RunRecord retest = graded_run(repository, "SN-RETEST", 2'000'000);
    retest.grade = Grade::Elite;
    retest.pass = true;
    retest.failures.clear();
    repository.complete_run(retest);

    CHECK(retest.id != first.id);
    const auto history = repository.history("SN-RETEST");
    REQUIRE(history.size() == 2);
    CHECK(history[0].grade == Grade::Fail);
    CHECK(history[1].grade == Grade::Elite);
    CHECK(repository.run(first.id)->failures.size() == 2);
    CHECK(repository.run(first.id)->measurements.size() == first.measurements.size());

    // Even another tool cannot rewrite the record.
    RawDatabase raw(path);
    CHECK_THAT(raw.execute("UPDATE measurements SET il_db = 0.01"),
               Contains("a measurement never changes"));
    CHECK_THAT(raw.execute("DELETE FROM measurements"), Contains("never deleted"));
    CHECK_THAT(
        raw.execute("UPDATE runs SET grade = 'elite' WHERE id = " + std::to_string(first.id)),
        Contains("a finished run never changes"));
    CHECK_THAT(raw.execute("DELETE FROM runs"), Contains("never deleted"));
    CHECK(repository.run(first.id)->grade == Grade::Fail);
    CHECK(repository.integrity_ok());
}

TEST_CASE("a run needs a serial number") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    Repository repository(path);
    CHECK_THROWS_WITH(repository.begin_run(new_run("", 1'000)),
                      Contains(path.string()) && Contains("no serial number"));
    CHECK_THROWS_WITH(repository.append_measurement(42, measurement(End::A, 1, 1310, 0, 1'000)),
                      Contains("run 42") && Contains("only to a running run"));
}

TEST_CASE("measurements journaled before completion are visible to another connection") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    Repository station(path);
    const auto run_id = station.begin_run(new_run("SN-WAL", 1'000));
    Repository reader(path);
    for (int fiber = 1; fiber <= 12; ++fiber) {
        station.append_measurement(run_id, measurement(End::A, fiber, 1310, 0, 1'000 + fiber));
        const auto seen = reader.run(run_id);
        REQUIRE(seen);
        REQUIRE(seen->measurements.size() == static_cast<std::size_t>(fiber));
        CHECK(seen->measurements.back().fiber == fiber);
        CHECK(seen->status == RunStatus::Running);
    }
}

TEST_CASE("two stations journaling at once both succeed without SQLITE_BUSY") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    // Created up front so the two threads only write rows.
    Repository(path).schema_version();
    constexpr int rows_per_station = 500;
    std::vector<std::int64_t> run_ids(2);
    std::vector<std::string> errors(2);
    // Both stations start appending together, so their commits interleave.
    std::latch ready(2);
    const auto station = [&](int index) {
        bool arrived = false;
        try {
            Repository repository(path);
            const auto run_id =
                repository.begin_run(new_run("SN-CONC-" + std::to_string(index), 1'000 + index));
            run_ids[static_cast<std::size_t>(index)] = run_id;
            arrived = true;
            ready.arrive_and_wait();
            for (int row = 0; row < rows_per_station; ++row) {
                repository.append_measurement(
                    run_id, measurement(index == 0 ? End::A : End::B, row % 12 + 1, 1310, row / 12,
                                        2'000 + row));
            }
            // A reader in the middle of the other station's writes.
            repository.history("SN-CONC-" + std::to_string(1 - index));
        } catch (const DatabaseError& error) {
            errors[static_cast<std::size_t>(index)] = error.what();
            if (!arrived) {
                ready.count_down();  // the other station must not wait for this one
            }
        }
    };
    std::thread first(station, 0), second(station, 1);
    first.join();
    second.join();
    INFO(errors[0] << errors[1]);
    CHECK(errors[0].empty());
    CHECK(errors[1].empty());

    Repository check(path);
    for (std::size_t index = 0; index < 2; ++index) {
        const auto run = check.run(run_ids[index]);
        REQUIRE(run);
        REQUIRE(run->measurements.size() == static_cast<std::size_t>(rows_per_station));
        for (int row = 0; row < rows_per_station; ++row) {
            CHECK(run->measurements[static_cast<std::size_t>(row)].taken_at == at_ms(2'000 + row));
        }
    }
    CHECK(check.integrity_ok());
}

TEST_CASE("one repository shared by threads serialises their calls") {
    TempDir dir;
    Repository repository(dir.file("mpobench.db"));
    const auto run_id = repository.begin_run(new_run("SN-SHARED", 1'000));
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int row = 0; row < 25; ++row) {
                repository.append_measurement(run_id,
                                              measurement(End::A, t + 1, 1310, row, 1'000 + row));
                repository.run(run_id);
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    CHECK(repository.run(run_id)->measurements.size() == 100);
}
