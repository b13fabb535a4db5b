// Golden assemblies: known values taken from a run, and a check against them.

#include <catch2/catch.hpp>

#include "analysis/golden.hpp"

using namespace mpobench;
using namespace mpobench::analysis;

namespace {

Measurement reading(End end, int fiber, int wavelength_nm, std::optional<double> il_db,
                    int cycle = 0) {
    Measurement m;
    m.end = end;
    m.fiber = fiber;
    m.wavelength_nm = wavelength_nm;
    m.cycle = cycle;
    m.il_db = il_db;
    m.status = il_db ? ReadingStatus::Ok : ReadingStatus::NoLight;
    m.far_position = il_db ? 13 - fiber : 0;
    return m;
}

}  // namespace

TEST_CASE("a golden assembly's known values are its production readings with an IL", "[golden]") {
    RunRecord run;
    run.measurements = {reading(End::A, 1, 1310, 0.12), reading(End::A, 2, 1310, std::nullopt),
                        reading(End::B, 1, 1550, 0.15), reading(End::A, 1, 1310, 0.30, 1)};
    const auto values = golden_values_of(run);
    REQUIRE(values.size() == 2);  // not the dark fibre, not the re-mate
    CHECK(values[0].end == End::A);
    CHECK(values[0].il_db == 0.12);
    CHECK(values[1].end == End::B);
    CHECK(values[1].wavelength_nm == 1550);
}

TEST_CASE("a check passes when every known value is read again within the tolerance", "[golden]") {
    const std::vector<GoldenValue> known{
        {End::A, 1, 1310, 0.10}, {End::A, 2, 1310, 0.20}, {End::B, 1, 1550, 0.30}};
    std::vector<Measurement> now{reading(End::A, 1, 1310, 0.13), reading(End::A, 2, 1310, 0.22),
                                 reading(End::B, 1, 1550, 0.29),
                                 reading(End::A, 1, 1310, 0.90, 1)};  // a re-mate: not compared
    auto result = compare_with_golden(known, now, 0.05);
    CHECK(result.pass);
    CHECK(result.compared == 3);
    CHECK_FALSE(result.missing);
    CHECK(result.worst_deviation_db == Approx(0.03));
    CHECK(result.worst_where == "end A fibre 1 1310 nm");
    REQUIRE(result.bias.size() == 2);
    CHECK(result.bias[0].wavelength_nm == 1310);
    CHECK(result.bias[0].mean_bias_db == Approx(0.025));  // (0.03 + 0.02) / 2
    CHECK(result.bias[0].readings == 2);
    CHECK(result.bias[1].mean_bias_db == Approx(-0.01));

    // Beyond the tolerance, by a hair: fails.
    now[1].il_db = 0.2501;
    result = compare_with_golden(known, now, 0.05);
    CHECK_FALSE(result.pass);
    CHECK(result.worst_where == "end A fibre 2 1310 nm");
    // Exactly at it: passes.
    now[1].il_db = 0.25;
    CHECK(compare_with_golden(known, now, 0.05).pass);
}

TEST_CASE("a known value not read, or read dark, fails the check and is named", "[golden]") {
    const std::vector<GoldenValue> known{{End::A, 1, 1310, 0.10}, {End::A, 2, 1310, 0.20}};
    auto result = compare_with_golden(
        known, {reading(End::A, 1, 1310, 0.10), reading(End::A, 2, 1310, std::nullopt)}, 0.05);
    CHECK_FALSE(result.pass);
    CHECK(result.missing == "end A fibre 2 1310 nm: no IL reading");
    CHECK(result.compared == 1);
    result = compare_with_golden(known, {reading(End::A, 2, 1310, 0.2)}, 0.05);
    CHECK(result.missing == "end A fibre 1 1310 nm: no IL reading");
    // Nothing known: nothing shown, no pass.
    CHECK_FALSE(compare_with_golden({}, {reading(End::A, 1, 1310, 0.1)}, 0.05).pass);
}
