// Payload form 2 (app/plant_payload.hpp): the record, the reference and the
// limit set forwarded to the plant, and read back losslessly — on the
// records `mpobench demo` makes on the simulated bench.

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include <fstream>
#include <iterator>

#include "analysis/record_hash.hpp"
#include "app/certificates.hpp"
#include "app/plant_payload.hpp"
#include "app/run_json.hpp"
#include "db/repository.hpp"
#include "tests/support/pdf_bytes.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

using namespace mpobench;
using mpobench::testing::quoted;
using mpobench::testing::read_bytes;
using mpobench::testing::run_command;
using mpobench::testing::TempDir;
using mpobench::testing::without_creation_date;

namespace {

// A station database with a demo's records: random assemblies, some
// failing, on the simulated bench (reference, RL decisions, instruments).
std::filesystem::path demo_station(const TempDir& dir, int seed, int count) {
    const auto db = dir.file("station.db");
    const auto result = run_command(fmt::format(
        "{} --log-level warn demo --random {} --count {} --serial PL- --db {} --time-scale 0.005",
        MPOBENCH_BINARY, seed, count, quoted(db)));
    INFO(result.output);
    REQUIRE((result.exit_code == 0 || result.exit_code == 1));
    return db;
}

// Through text, as the plant stores it and gives it back.
nlohmann::json through_text(const nlohmann::json& value) {
    return nlohmann::json::parse(app::json_text(value));
}

}  // namespace

TEST_CASE(
    "demo records round-trip: record -> JSON -> record -> JSON is equal, and so are their "
    "test --json form and record hash") {
    TempDir dir;
    const auto db_path = demo_station(dir, 11, 4);
    const auto repository = db::Repository::open_read_only(db_path);
    const auto waiting = repository.outbox_waiting();
    REQUIRE(waiting.size() == 4);
    for (const auto& entry : waiting) {
        const auto run = repository.run(entry.run_id);
        REQUIRE(run);
        INFO("run " << run->id << " of " << run->serial);
        const auto json = app::record_to_json(*run);
        const RunRecord back = app::run_from_json(through_text(json));
        CHECK(app::record_to_json(back) == json);
        CHECK(app::run_to_json(back) == app::run_to_json(*run));
        CHECK(analysis::record_hash(back) == analysis::record_hash(*run));
        if (const auto stored = repository.record_hash(run->id))
            CHECK(analysis::record_hash(back) == *stored);
        REQUIRE(!back.measurements.empty());
        CHECK(back.measurements.front().taken_at == run->measurements.front().taken_at);
        CHECK(back.measurements.front().power_dbm == run->measurements.front().power_dbm);

        const auto reference = repository.reference(run->reference_id);
        REQUIRE(reference);
        const auto reference_json = app::reference_to_json(*reference);
        CHECK(app::reference_to_json(app::reference_from_json(through_text(reference_json))) ==
              reference_json);
    }
}

TEST_CASE("a certificate from payload form 2 is the station's, byte for byte but the date") {
    TempDir dir;
    const auto db_path = demo_station(dir, 12, 2);
    const auto repository = db::Repository::open_read_only(db_path);
    const auto site =
        app::load_site_option(std::filesystem::path(MPOBENCH_SOURCE_DIR) / "site.toml");
    int compared = 0;
    for (const auto& entry : repository.outbox_waiting()) {
        const auto payload = through_text(app::plant_payload_v2(repository, entry));
        CHECK(payload["payload_version"] == 2);
        CHECK(payload["run"] == app::run_to_json(*repository.run(entry.run_id)));
        CHECK(payload["limit_set"]["body"].get<std::string>().find("[grade.") != std::string::npos);
        auto parts = app::certificate_from_payload(payload);
        if (parts.run.status != RunStatus::Completed)
            continue;
        const auto station_pdf = dir.file(fmt::format("station-{}.pdf", entry.run_id));
        const auto plant_pdf = dir.file(fmt::format("plant-{}.pdf", entry.run_id));
        app::write_run_certificate(repository, entry.run_id, site, reports::Paper::A4, station_pdf);
        app::write_certificate_of(std::move(parts.run), std::move(parts.reference), parts.limit_set,
                                  parts.record_hash, site, reports::Paper::A4, plant_pdf);
        CHECK(without_creation_date(read_bytes(station_pdf)) ==
              without_creation_date(read_bytes(plant_pdf)));
        ++compared;
    }
    CHECK(compared == 2);
}

TEST_CASE("payloads that do not hold a certificate's record are refused, naming what lacks") {
    TempDir dir;
    const auto db_path = demo_station(dir, 13, 1);
    const auto repository = db::Repository::open_read_only(db_path);
    const auto entry = repository.outbox_waiting().at(0);
    const auto payload = through_text(app::plant_payload_v2(repository, entry));

    auto form1 = payload;
    form1["payload_version"] = 1;
    CHECK_THROWS_WITH(app::certificate_from_payload(form1), Catch::Contains("payload form 1"));
    auto newer = payload;
    newer["payload_version"] = 3;
    CHECK_THROWS_WITH(app::certificate_from_payload(newer), Catch::Contains("upgrade mpobench"));

    auto no_part = payload["record"];
    no_part.erase("part");
    CHECK_THROWS_WITH(app::run_from_json(no_part), Catch::Contains("record.part: missing"));
    auto bad_status = payload["record"];
    bad_status["measurements"][0]["status"] = "dim";
    CHECK_THROWS_WITH(app::run_from_json(bad_status),
                      Catch::Contains("record.measurements[0].status: unknown value 'dim'"));
    auto bad_time = payload["record"];
    bad_time["started_at"] = "yesterday";
    CHECK_THROWS_WITH(app::run_from_json(bad_time), Catch::Contains("record.started_at"));
    auto bad_number = payload["record"];
    bad_number["measurements"][0]["power_dbm"] = "loud";
    CHECK_THROWS_WITH(app::run_from_json(bad_number), Catch::Contains("not a number"));
    CHECK_THROWS_AS(app::run_from_json(nlohmann::json::array()), app::PayloadError);
    CHECK_THROWS_WITH(app::reference_from_json(nlohmann::json::object()),
                      Catch::Contains("reference.id: missing"));
}

TEST_CASE("numbers JSON cannot hold (a not-a-number reading) round-trip as text") {
    RunRecord run;
    run.serial = "SN-NAN";
    run.part.number = "P";
    run.started_at = TimePoint{std::chrono::milliseconds{1'700'000'000'123}};
    Measurement m;
    m.status = ReadingStatus::Invalid;
    m.power_dbm = std::numeric_limits<double>::quiet_NaN();
    m.il_db = -std::numeric_limits<double>::infinity();
    run.measurements.push_back(m);
    const auto json = through_text(app::record_to_json(run));
    CHECK(json["measurements"][0]["power_dbm"] == "nan");
    const RunRecord back = app::run_from_json(json);
    CHECK(std::isnan(back.measurements[0].power_dbm));
    CHECK(*back.measurements[0].il_db == -std::numeric_limits<double>::infinity());
    CHECK(back.started_at == run.started_at);
    CHECK(app::record_to_json(back) == json);
}
