#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "analysis/repeatability.hpp"

using namespace mpobench;
using namespace mpobench::analysis;

namespace {

Measurement reading(End end, int fiber, int wavelength_nm, int cycle, std::optional<double> il_db) {
    Measurement m;
    m.end = end;
    m.fiber = fiber;
    m.wavelength_nm = wavelength_nm;
    m.cycle = cycle;
    m.far_position = fiber;
    m.il_db = il_db;
    return m;
}

}  // namespace

TEST_CASE("repeatability of one fibre matches hand computation", "[repeatability]") {
    std::vector<Measurement> measurements;
    const std::vector<double> il{0.10, 0.12, 0.11, 0.15};
    for (std::size_t cycle = 0; cycle < il.size(); ++cycle)
        measurements.push_back(reading(End::A, 3, 1310, static_cast<int>(cycle), il[cycle]));
    const auto stats = repeatability_stats(measurements);
    REQUIRE(stats.size() == 1);
    const auto& stat = stats[0];
    CHECK(stat.end == End::A);
    CHECK(stat.fiber == 3);
    CHECK(stat.wavelength_nm == 1310);
    CHECK(stat.matings == 4);
    CHECK(stat.mean_il_db == Approx(0.12).margin(1e-15));
    CHECK(stat.min_il_db == 0.10);
    CHECK(stat.max_il_db == 0.15);
    CHECK(stat.range_db == Approx(0.05).margin(1e-15));
    // Deviations -0.02, 0, -0.01, 0.03: squares sum 1.4e-3, over n - 1 = 3.
    CHECK(stat.sigma_db == Approx(std::sqrt(1.4e-3 / 3)).epsilon(1e-12));
}

TEST_CASE("one mating has no spread", "[repeatability]") {
    const auto stats = repeatability_stats({reading(End::B, 1, 850, 0, 0.2)});
    REQUIRE(stats.size() == 1);
    CHECK(stats[0].matings == 1);
    CHECK(stats[0].mean_il_db == 0.2);
    CHECK(stats[0].min_il_db == 0.2);
    CHECK(stats[0].max_il_db == 0.2);
    CHECK(stats[0].range_db == 0.0);
    CHECK(stats[0].sigma_db == 0.0);
}

TEST_CASE("repeatability groups by end, fibre and wavelength, sorted", "[repeatability]") {
    const std::vector<Measurement> measurements{
        reading(End::B, 1, 1310, 0, 0.30),
        reading(End::A, 2, 1550, 0, 0.20),
        reading(End::A, 2, 1310, 0, 0.10),
        reading(End::A, 1, 1310, 0, 0.05),
        reading(End::A, 2, 1310, 1, 0.14),
        reading(End::A, 2, 1310, 2, std::nullopt),  // no IL: not a mating
        reading(End::A, 2, 1310, 3, std::numeric_limits<double>::quiet_NaN()),
        reading(End::B, 1, 1310, 1, 0.26),
    };
    const auto stats = repeatability_stats(measurements);
    REQUIRE(stats.size() == 4);
    CHECK((stats[0].end == End::A && stats[0].fiber == 1 && stats[0].wavelength_nm == 1310));
    CHECK((stats[1].end == End::A && stats[1].fiber == 2 && stats[1].wavelength_nm == 1310));
    CHECK((stats[2].end == End::A && stats[2].fiber == 2 && stats[2].wavelength_nm == 1550));
    CHECK((stats[3].end == End::B && stats[3].fiber == 1 && stats[3].wavelength_nm == 1310));
    CHECK(stats[1].matings == 2);
    CHECK(stats[1].mean_il_db == Approx(0.12));
    CHECK(stats[1].range_db == Approx(0.04));
    CHECK(stats[1].sigma_db == Approx(std::sqrt(2 * 0.02 * 0.02)));
    CHECK(stats[3].range_db == Approx(0.04));
    CHECK(stats[2].matings == 1);
    CHECK(repeatability_stats({}).empty());
}

TEST_CASE("1000 matings: stable mean and sigma", "[repeatability]") {
    // Ten levels 0.001 dB apart, 100 times each, on a large offset where a
    // sum-of-squares formula would lose every significant digit.
    for (const double offset : {0.3, 1.0e6}) {
        std::vector<Measurement> measurements;
        for (int cycle = 0; cycle < 1000; ++cycle)
            measurements.push_back(reading(End::A, 1, 1550, cycle, offset + 0.001 * (cycle % 10)));
        const auto stats = repeatability_stats(measurements);
        REQUIRE(stats.size() == 1);
        const auto& stat = stats[0];
        INFO("offset " << offset);
        CHECK(stat.matings == 1000);
        CHECK(stat.mean_il_db == Approx(offset + 0.0045).epsilon(1e-12));
        CHECK(stat.min_il_db == offset);
        CHECK(stat.range_db == Approx(0.009).margin(1e-9));
        // Population variance of 0..9 steps is 8.25 steps^2; sample: x 1000/999.
        const double sigma = 0.001 * std::sqrt(8.25 * 1000.0 / 999.0);
        CHECK(stat.sigma_db == Approx(sigma).epsilon(1e-6));
    }
}
