#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <functional>
#include <string>

#include "analysis/record_hash.hpp"
#include "tests/support/sample_run.hpp"

using namespace mpobench;
using namespace mpobench::analysis;
using namespace std::chrono;
using mpobench::testing::new_run;

namespace {

// 2026-11-24T21:48:16.123Z
const TimePoint kStarted{sys_days{2026y / November / 24} + 21h + 48min + 16s + 123ms};

// A small graded run: the sample run with target Standard, one instrument,
// two readings, one failure.
RunRecord graded_run() {
    RunRecord run = new_run("SN-0001", kStarted);
    run.id = 42;
    run.part.target = Grade::Standard;
    run.ended_at = kStarted + 95s;
    run.status = RunStatus::Completed;
    run.reference_id = 7;
    run.instruments = {{"meter", InstrumentRole::PowerMeter, "keysight_n774x",
                        "TCPIP0::10.0.0.2::5025::SOCKET", "Keysight", "N7745C", "MY5678", "4.5",
                        "2027-03-01"}};
    Measurement first;
    first.end = End::A;
    first.fiber = 1;
    first.wavelength_nm = 1310;
    first.far_position = 12;
    first.power_dbm = -3.25;
    first.il_db = 0.1;
    first.rl_db = 65.5;
    first.taken_at = kStarted + 1s;
    Measurement dark = first;
    dark.fiber = 2;
    dark.status = ReadingStatus::NoLight;
    dark.far_position = 0;
    dark.power_dbm = std::nan("");
    dark.il_db.reset();
    dark.rl_db.reset();
    dark.taken_at = kStarted + 2s;
    run.measurements = {first, dark};
    run.polarity = {{End::A, {12, 0}}};
    Failure failure;
    failure.what = FailureCause::Continuity;
    failure.end = End::A;
    failure.fiber = 2;
    failure.wavelength_nm = 1310;
    failure.grade = Grade::Generic;
    run.failures = {failure};
    run.grade = Grade::Fail;
    run.pass = false;
    run.limit_set_name = "default";
    run.limit_set_version = "1";
    run.limit_set_hash = "abc123";
    return run;
}

}  // namespace

TEST_CASE("the canonical record holds every field in a fixed form", "[record_hash]") {
    const std::string text = canonical_record(graded_run());
    CHECK(text.rfind("mpobench-record 4\nrun=42\nkind=production\nserial=SN-0001\n", 0) == 0);
    for (const std::string line : {
             "part=MTP12-SM-B-3M|MTP 12F SM APC type B, 3 m|12|SM|B|standard|3|1310,1550|2\n",
             "station=bench-1\noperator=ada\nsoftware=0.1.0-test\n",
             "started=2026-11-24T21:48:16.123Z\nended=2026-11-24T21:49:51.123Z\n",
             "status=completed\nreason=\nreference=7\n",
             "instrument=meter|power meter|keysight_n774x|TCPIP0::10.0.0.2::5025::SOCKET|"
             "Keysight|N7745C|MY5678|4.5|2027-03-01\n",
             // The RL bound, the tap monitor's reading, then how the RL was
             // decided (windows, interval, marginal): none here.
             "measurement=A|1|1310|0|ok|12|-3.25|0.1|65.5|2026-11-24T21:48:17.123Z|-|-|0|-|-|0\n",
             // No light: power NaN and no IL/RL, each written as '-'.
             "measurement=A|2|1310|0|no_light|0|-|-|-|2026-11-24T21:48:18.123Z|-|-|0|-|-|0\n",
             "polarity=A|12,0\n",
             "failure=continuity|A|2|1310|-|-|generic\n",
             "grade=fail\npass=0\nmating_cycles_run=0\nlimit_set=default|1|abc123\n",
         }) {
        CAPTURE(line);
        CHECK(text.find(line) != std::string::npos);
    }
    // Stable: the same record, the same text and hash, every time.
    CHECK(canonical_record(graded_run()) == text);
    const std::string hash = record_hash(graded_run());
    CHECK(hash.size() == 64);
    CHECK(hash.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(record_hash(graded_run()) == hash);
}

TEST_CASE("version 1 is the form records were hashed with before RL bounds", "[record_hash]") {
    // The hash mpobench computed for this record before the canonical form
    // had versions (the form then, built from the commit before, run over
    // this record, then sha256sum): a hash stored then still verifies.
    CHECK(record_hash(graded_run(), 1) ==
          "19eb7a3ef3cbd762d6f088abdcfac006895e0fdea4610b096191993a7b74e776");
    const std::string text = canonical_record(graded_run(), 1);
    CHECK(text.rfind("mpobench-record 1\n", 0) == 0);
    CHECK(text.find("measurement=A|1|1310|0|ok|12|-3.25|0.1|65.5|2026-11-24T21:48:17.123Z\n") !=
          std::string::npos);
    CHECK(record_hash(graded_run(), 1) != record_hash(graded_run(), 2));
    CHECK(record_hash(graded_run()) == record_hash(graded_run(), kRecordHashVersion));
}

TEST_CASE("version 2 holds RL bounds; version 1 cannot", "[record_hash]") {
    RunRecord run = graded_run();
    run.measurements[0].rl_db.reset();
    run.measurements[0].rl_above_db = 75.0;
    CHECK(canonical_record(run, 2).find(
              "measurement=A|1|1310|0|ok|12|-3.25|0.1|-|2026-11-24T21:48:17.123Z|75\n") !=
          std::string::npos);
    // A bound is not a value: the same number as a reading reads otherwise.
    RunRecord as_value = graded_run();
    as_value.measurements[0].rl_db = 75.0;
    CHECK(record_hash(run) != record_hash(as_value));
    CHECK_THROWS_WITH(
        canonical_record(run, 1),
        Catch::Contains("version 1 cannot hold the RL bound of end A fibre 1 1310 nm"));
    CHECK_THROWS_WITH(canonical_record(run, 5), Catch::Contains("version 5 is unknown"));
    CHECK_THROWS_AS(record_hash(run, 0), std::invalid_argument);
    CHECK(known_record_hash_version(1));
    CHECK(known_record_hash_version(2));
    CHECK(known_record_hash_version(3));
    CHECK(known_record_hash_version(4));
    CHECK_FALSE(known_record_hash_version(5));
}

TEST_CASE("version 3 holds the tap monitor's readings; versions 1 and 2 cannot", "[record_hash]") {
    // A record without monitor readings keeps its form-2 hash: stored
    // records of that form still verify.
    const std::string form2 = record_hash(graded_run(), 2);
    CHECK(canonical_record(graded_run(), 2).rfind("mpobench-record 2\n", 0) == 0);
    CHECK(form2 != record_hash(graded_run(), 3));

    RunRecord run = graded_run();
    run.measurements[0].monitor_dbm = -27.125;
    CHECK(canonical_record(run, 3).find(
              "measurement=A|1|1310|0|ok|12|-3.25|0.1|65.5|2026-11-24T21:48:17.123Z|-|-27.125\n") !=
          std::string::npos);
    CHECK(record_hash(run) != record_hash(graded_run()));
    RunRecord other = run;
    other.measurements[0].monitor_dbm = -27.126;
    CHECK(record_hash(run) != record_hash(other));
    CHECK_THROWS_WITH(canonical_record(run, 2),
                      Catch::Contains("version 2 cannot hold the tap-monitor reading of end A "
                                      "fibre 1 1310 nm"));
    CHECK_THROWS_AS(canonical_record(run, 1), std::invalid_argument);
}

TEST_CASE("version 4 holds how RL was decided; versions 1 to 3 cannot", "[record_hash]") {
    // A record without RL windows or method keeps its form-3 hash.
    CHECK(canonical_record(graded_run(), 3).rfind("mpobench-record 3\n", 0) == 0);
    RunRecord run = graded_run();
    run.measurements[0].rl_windows = 3;
    run.measurements[0].rl_low_db = 65.1;
    run.measurements[0].rl_high_db = 66.0;
    RlDecisionMethod method;
    method.sequential = true;
    method.window_ms = 200;
    method.confidence = 0.99;
    method.max_time_ms = 2000;
    method.noise_ratio = 1.25;
    method.noise_dof = 8;
    RlNoiseModel model;
    model.window_ms = 200;
    model.white_reflectance = 3.4e-8;
    model.slow_reflectance = 5e-9;
    model.level_low_db = 69.5;
    model.level_high_db = 70.5;
    model.windows = 96;
    model.calibrated_at = run.started_at;
    method.model = model;
    run.rl_method = method;
    const std::string text = canonical_record(run);
    CHECK(text.find("measurement=A|1|1310|0|ok|12|-3.25|0.1|65.5|2026-11-24T21:48:17.123Z|-|-|3|"
                    "65.1|66|0\n") != std::string::npos);
    CHECK(text.find("rl_method=sequential|200|0.99|2000|1.25|8|0|200|3.4e-08|0|5e-09|69.5|70.5|96|"
                    "2026-11-24T21:48:16.123Z\n") != std::string::npos);
    CHECK_THROWS_WITH(canonical_record(run, 3),
                      Catch::Contains("version 3 cannot hold how RL was decided"));
    RunRecord windows_only = graded_run();
    windows_only.measurements[0].rl_marginal = true;
    CHECK_THROWS_WITH(canonical_record(windows_only, 3),
                      Catch::Contains("version 3 cannot hold the RL windows of end A fibre 1"));
    const std::vector<std::function<void(RunRecord&)>> changes{
        [](RunRecord& r) { r.measurements[0].rl_windows = 4; },
        [](RunRecord& r) { r.measurements[0].rl_low_db = 65.2; },
        [](RunRecord& r) { r.measurements[0].rl_high_db.reset(); },
        [](RunRecord& r) { r.measurements[0].rl_marginal = true; },
        [](RunRecord& r) { r.rl_method->confidence = 0.999; },
        [](RunRecord& r) { r.rl_method->max_time_ms = 3000; },
        [](RunRecord& r) { r.rl_method->noise_widened = true; },
        [](RunRecord& r) { r.rl_method->model->white_reflectance = 3.5e-8; },
        [](RunRecord& r) { r.rl_method->model.reset(); },
        [](RunRecord& r) { r.rl_method.reset(); },
    };
    for (std::size_t i = 0; i < changes.size(); ++i) {
        RunRecord changed = run;
        changes[i](changed);
        CAPTURE(i);
        CHECK(record_hash(changed) != record_hash(run));
    }
}

TEST_CASE("any change to the record changes its hash", "[record_hash]") {
    const std::string original = record_hash(graded_run());
    const std::vector<std::pair<std::string, std::function<void(RunRecord&)>>> changes{
        {"serial", [](RunRecord& run) { run.serial = "SN-0002"; }},
        {"IL", [](RunRecord& run) { run.measurements[0].il_db = 0.1000000001; }},
        {"RL", [](RunRecord& run) { run.measurements[0].rl_db = 65.4; }},
        {"RL bound", [](RunRecord& run) { run.measurements[1].rl_above_db = 75.0; }},
        {"power", [](RunRecord& run) { run.measurements[0].power_dbm = -3.26; }},
        {"power measured", [](RunRecord& run) { run.measurements[1].power_dbm = -60.0; }},
        {"far position", [](RunRecord& run) { run.measurements[0].far_position = 11; }},
        {"reading time", [](RunRecord& run) { run.measurements[0].taken_at += 1ms; }},
        {"monitor", [](RunRecord& run) { run.measurements[0].monitor_dbm = -27.0; }},
        {"grade", [](RunRecord& run) { run.grade = Grade::Generic; }},
        {"no grade", [](RunRecord& run) { run.grade.reset(); }},
        {"pass", [](RunRecord& run) { run.pass = true; }},
        {"failure value", [](RunRecord& run) { run.failures[0].value = 0.0; }},
        {"failure removed", [](RunRecord& run) { run.failures.clear(); }},
        {"polarity", [](RunRecord& run) { run.polarity[0].far_positions[1] = 11; }},
        {"part target", [](RunRecord& run) { run.part.target = Grade::Elite; }},
        {"limit set", [](RunRecord& run) { run.limit_set_hash = "abc124"; }},
        {"instrument", [](RunRecord& run) { run.instruments[0].firmware = "4.6"; }},
        {"start", [](RunRecord& run) { run.started_at += 1ms; }},
        {"end", [](RunRecord& run) { run.ended_at.reset(); }},
    };
    for (const auto& [what, change] : changes) {
        CAPTURE(what);
        RunRecord run = graded_run();
        change(run);
        CHECK(record_hash(run) != original);
    }
}

TEST_CASE("times are hashed to the millisecond, as they are stored", "[record_hash]") {
    const std::string original = record_hash(graded_run());
    RunRecord run = graded_run();
    run.started_at += 999us;
    *run.ended_at += 500us;
    run.measurements[0].taken_at += 1us;
    CHECK(record_hash(run) == original);
    CHECK(canonical_record(run).find("started=2026-11-24T21:48:16.123Z\n") != std::string::npos);
}

TEST_CASE("separators inside text cannot make two records read alike", "[record_hash]") {
    RunRecord split_in_number = graded_run();
    split_in_number.part.number = "A|B";
    split_in_number.part.description = "C";
    RunRecord split_in_description = graded_run();
    split_in_description.part.number = "A";
    split_in_description.part.description = "B|C";
    CHECK(record_hash(split_in_number) != record_hash(split_in_description));

    // An operator name with a line break cannot forge a line of its own.
    RunRecord forged = graded_run();
    forged.operator_name = "ana\ngrade=elite";
    const std::string text = canonical_record(forged);
    CHECK(text.find("\ngrade=") == text.rfind("\ngrade="));  // one grade line
    CHECK(text.find("operator=ana%0Agrade=elite\n") != std::string::npos);
    CHECK(canonical_record(split_in_number).find("part=A%7CB|C|") != std::string::npos);
}
