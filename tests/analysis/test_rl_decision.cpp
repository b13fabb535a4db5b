// Sequential RL decisions: the noise model fitted from reference windows,
// the rule's intervals, bands, censored windows, the maximum time and the
// run's check of the model.

#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "analysis/limits.hpp"
#include "analysis/rl_decision.hpp"

using namespace mpobench;
using namespace mpobench::analysis;

namespace {

// Windows of a module whose reflectance scatters with additive white noise
// `white` and a slow part `slow` that differs between the two passes.
std::vector<RlCalibrationWindow> calibration_windows(double white, double slow, double level_db,
                                                     double spread_db, int fibers, int per_group,
                                                     std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> unit(0.0, 1.0);
    std::vector<RlCalibrationWindow> windows;
    for (const int wavelength_nm : {1310, 1550}) {
        for (int fiber = 1; fiber <= fibers; ++fiber) {
            const double level = level_db + spread_db * (fiber - 1) / std::max(1, fibers - 1);
            const double truth = reflectance_of_rl(level);
            for (int pass = 1; pass <= 2; ++pass) {
                const double slow_now = slow * unit(rng);
                for (int k = 0; k < per_group; ++k) {
                    const double r = truth + white * unit(rng) + slow_now;
                    windows.push_back(
                        {fiber, wavelength_nm, pass,
                         r > 0.0 ? std::optional(rl_of_reflectance(r)) : std::nullopt});
                }
            }
        }
    }
    return windows;
}

RlNoiseModel model_of(double white, double slow = 0.0) {
    RlNoiseModel model;
    model.window_ms = 200;
    model.white_reflectance = white;
    model.slow_reflectance = slow;
    return model;
}

std::vector<RlWindow> windows_at(std::initializer_list<double> rl_db) {
    std::vector<RlWindow> windows;
    for (const double value : rl_db)
        windows.push_back({value, 75.0});
    return windows;
}

}  // namespace

TEST_CASE("the noise model is fitted from the reference's windows", "[rl]") {
    const double white = 3.35e-8, slow = 5e-9;
    // Many groups so the estimates are tight enough to check.
    const auto windows = calibration_windows(white, slow, 57.0, 0.0, 200, 4, 7);
    const auto model = fit_rl_noise(windows, 200, TimePoint{});
    CHECK(model.window_ms == 200);
    CHECK(model.windows == static_cast<int>(windows.size()));
    CHECK(model.white_reflectance == Approx(white).epsilon(0.06));
    CHECK(model.slow_reflectance == Approx(slow).epsilon(0.3));
    // One level: no relative term can be told from the floor.
    CHECK(model.relative == 0.0);
    CHECK(model.level_low_db == Approx(57.0).margin(0.3));
    CHECK(model.level_high_db == Approx(57.0).margin(0.3));
}

TEST_CASE("a relative term is fitted where the levels span 6 dB or more", "[rl]") {
    // Relative noise 2 % over 40..60 dB plus a small floor.
    std::mt19937_64 rng(3);
    std::normal_distribution<double> unit(0.0, 1.0);
    std::vector<RlCalibrationWindow> windows;
    for (int fiber = 1; fiber <= 40; ++fiber) {
        const double truth = reflectance_of_rl(40.0 + 20.0 * (fiber - 1) / 39.0);
        for (int pass = 1; pass <= 2; ++pass)
            for (int k = 0; k < 6; ++k)
                windows.push_back(
                    {fiber, 1310, pass,
                     rl_of_reflectance(truth * (1.0 + 0.02 * unit(rng)) + 1e-8 * unit(rng))});
    }
    const auto model = fit_rl_noise(windows, 200, TimePoint{});
    CHECK(model.relative == Approx(0.02).epsilon(0.2));
    CHECK(model.level_high_db - model.level_low_db == Approx(20.0).margin(0.2));
}

TEST_CASE("too few usable reference windows make no model", "[rl]") {
    std::vector<RlCalibrationWindow> windows{{1, 1310, 1, 70.0},
                                             {1, 1310, 1, 70.2},
                                             {2, 1310, 1, 70.1},
                                             {2, 1310, 1, std::nullopt},
                                             {3, 1310, 1, 70.3}};
    CHECK_THROWS_AS(fit_rl_noise(windows, 200, TimePoint{}), RlNoiseModelError);
    CHECK_THROWS_AS(fit_rl_noise({}, 200, TimePoint{}), RlNoiseModelError);
    CHECK_THROWS_AS(fit_rl_noise(windows, 0, TimePoint{}), std::invalid_argument);
}

TEST_CASE("a reading far from every minimum is decided by its first window", "[rl]") {
    const SequentialRlRule rule(model_of(3.35e-8), {0.99, 2000}, {60.0, 65.0});
    const auto estimate = rule.judge(windows_at({71.0}));
    CHECK(estimate.decided);
    CHECK_FALSE(estimate.marginal);
    REQUIRE(estimate.rl_db);
    CHECK(*estimate.rl_db == Approx(71.0));
    REQUIRE(estimate.low_db);
    CHECK(*estimate.low_db > 65.0);
    CHECK(*estimate.low_db < 71.0);
    // The interval's upper end lies beyond zero reflectance: none.
    CHECK_FALSE(estimate.high_db);
}

TEST_CASE("a reading near a minimum takes windows until its interval is inside a band", "[rl]") {
    const SequentialRlRule rule(model_of(3.35e-8), {0.99, 2000}, {60.0, 65.0});
    CHECK(rule.max_windows() == 10);
    auto windows = windows_at({65.6});
    CHECK_FALSE(rule.judge(windows).decided);
    // Averaging narrows the interval (white noise: 1/sqrt(n)).
    for (int n = 2; n <= 10; ++n) {
        windows.push_back({65.6, 75.0});
        const auto estimate = rule.judge(windows);
        if (estimate.decided) {
            CHECK_FALSE(estimate.marginal);
            CHECK(*estimate.low_db >= 65.0);
            CHECK(n >= 3);
            return;
        }
    }
    FAIL("65.6 dB never decided against 65 dB with 3.35e-8 white noise");
}

TEST_CASE("a reading between two minima is decided for the band it lies in", "[rl]") {
    const SequentialRlRule rule(model_of(1e-9), {0.99, 2000}, {60.0, 65.0});
    const auto estimate = rule.judge(windows_at({62.5}));
    CHECK(estimate.decided);
    CHECK(*estimate.low_db > 60.0);
    REQUIRE(estimate.high_db);
    CHECK(*estimate.high_db < 65.0);
}

TEST_CASE("the maximum time decides by the mean and marks the reading marginal", "[rl]") {
    const SequentialRlRule rule(model_of(3.35e-8), {0.99, 600}, {65.0});
    CHECK(rule.max_windows() == 3);
    const auto estimate = rule.judge(windows_at({65.1, 64.9, 65.05}));
    CHECK(estimate.decided);
    CHECK(estimate.marginal);
    REQUIRE(estimate.rl_db);
    CHECK(*estimate.rl_db == Approx(65.016).margin(0.01));
}

TEST_CASE("the slow part bounds what averaging can reach", "[rl]") {
    // With a slow part as large as the distance to the minimum, no number
    // of windows decides: the reading ends marginal.
    const double slow = reflectance_of_rl(65.5) - reflectance_of_rl(66.0);
    const SequentialRlRule rule(model_of(3.35e-8, slow), {0.99, 4000}, {65.0});
    std::vector<RlWindow> windows;
    RlEstimate estimate;
    while (true) {
        windows.push_back({65.5, 75.0});
        estimate = rule.judge(windows);
        if (estimate.decided)
            break;
    }
    CHECK(static_cast<int>(windows.size()) == rule.max_windows());
    CHECK(estimate.marginal);
}

TEST_CASE("windows beyond the range are censored at the range", "[rl]") {
    const SequentialRlRule rule(model_of(3.35e-8), {0.99, 2000}, {60.0, 65.0});
    SECTION("every window beyond: a bound, decided when the range clears every minimum") {
        const auto estimate = rule.judge({{std::nullopt, 75.0}});
        CHECK(estimate.decided);
        CHECK_FALSE(estimate.rl_db);
        REQUIRE(estimate.rl_above_db);
        CHECK(*estimate.rl_above_db == 75.0);
        CHECK(*estimate.low_db > 65.0);
    }
    SECTION("some beyond: the mean counts them at the range, a value at or below the truth") {
        const auto estimate = rule.judge({{72.0, 75.0}, {std::nullopt, 75.0}});
        REQUIRE(estimate.rl_db);
        CHECK(*estimate.rl_db < 75.0);
        CHECK(*estimate.rl_db > 72.0);
        CHECK_FALSE(estimate.rl_above_db);
    }
}

TEST_CASE("a set without RL minima decides every reading at once", "[rl]") {
    const SequentialRlRule rule(model_of(3.35e-8), {0.99, 2000}, {});
    CHECK(rule.judge(windows_at({50.0})).decided);
}

TEST_CASE("the run checks the model against its own windows", "[rl]") {
    std::mt19937_64 rng(11);
    std::normal_distribution<double> unit(0.0, 1.0);
    const double truth = reflectance_of_rl(66.0);
    const auto reading = [&](double white, int n) {
        std::vector<RlWindow> windows;
        for (int k = 0; k < n; ++k)
            windows.push_back({rl_of_reflectance(truth + white * unit(rng)), 75.0});
        return windows;
    };
    SECTION("windows as noisy as the model: the ratio is near 1 and nothing widens") {
        SequentialRlRule rule(model_of(3.35e-8), {0.99, 2000}, {65.0});
        for (int i = 0; i < 60; ++i)
            rule.finish(reading(3.35e-8, 4));
        const auto method = rule.method();
        CHECK(method.sequential);
        CHECK(method.noise_dof == 180);
        CHECK(method.noise_ratio == Approx(1.0).margin(0.15));
        CHECK_FALSE(method.noise_widened);
    }
    SECTION("windows three times noisier: the rule widens its intervals") {
        SequentialRlRule rule(model_of(3.35e-8), {0.99, 2000}, {65.0});
        const auto before = rule.judge(windows_at({67.0, 67.0}));
        for (int i = 0; i < 20; ++i)
            rule.finish(reading(1e-7, 4));
        const auto method = rule.method();
        CHECK(method.noise_widened);
        CHECK(method.noise_ratio == Approx(3.0).margin(0.6));
        const auto after = rule.judge(windows_at({67.0, 67.0}));
        CHECK(*after.low_db < *before.low_db);
    }
    SECTION("single windows and censored readings say nothing of the scatter") {
        SequentialRlRule rule(model_of(3.35e-8), {0.99, 2000}, {65.0});
        rule.finish(windows_at({66.0}));
        rule.finish({{66.0, 75.0}, {std::nullopt, 75.0}});
        CHECK(rule.method().noise_dof == 0);
    }
}

TEST_CASE("a rule needs a model", "[rl]") {
    CHECK_THROWS_AS(SequentialRlRule(model_of(0.0), {0.99, 2000}, {65.0}), std::invalid_argument);
    CHECK_THROWS_AS(SequentialRlRule(RlNoiseModel{}, {0.99, 2000}, {65.0}), std::invalid_argument);
    const SequentialRlRule rule(model_of(1e-8), {0.99, 2000}, {65.0});
    CHECK_THROWS_AS(rule.judge({}), std::invalid_argument);
}

TEST_CASE("limit sets carry the RL rule in their hash", "[rl][limits]") {
    const auto& defaults = default_limit_set();
    REQUIRE(defaults.rl_decision);
    CHECK(defaults.rl_decision->confidence == 0.99);
    CHECK(defaults.rl_decision->max_time_ms == 2000);
    CHECK(canonical_form(defaults).find("[return_loss]") != std::string::npos);
    CHECK(rl_minima_db(defaults, FiberMode::SM) == std::vector<double>{60.0, 65.0});
    CHECK(rl_minima_db(defaults, FiberMode::MM) == std::vector<double>{30.0, 35.0});

    std::string text(default_limit_set_toml());
    const auto changed = [&](const std::string& from, const std::string& to) {
        std::string copy = text;
        copy.replace(copy.find(from), from.size(), to);
        return copy;
    };
    SECTION("a changed confidence or time changes the hash") {
        const auto other = parse_limit_set(changed("confidence = 0.99", "confidence = 0.999"), "x");
        CHECK(other.hash != defaults.hash);
        const auto longer =
            parse_limit_set(changed("max_time_ms = 2000", "max_time_ms = 3000"), "x");
        CHECK(longer.hash != defaults.hash);
    }
    SECTION("a set without [return_loss] keeps fixed windows") {
        const auto from = text.find("[return_loss]");
        const auto to = text.find("[grade.");
        std::string copy = text;
        copy.erase(from, to - from);
        const auto fixed = parse_limit_set(copy, "x");
        CHECK_FALSE(fixed.rl_decision);
        CHECK(canonical_form(fixed).find("return_loss") == std::string::npos);
    }
    SECTION("bad values are refused, naming the key") {
        CHECK_THROWS_WITH(parse_limit_set(changed("confidence = 0.99", "confidence = 1.0"), "x"),
                          Catch::Contains("return_loss.confidence"));
        CHECK_THROWS_WITH(
            parse_limit_set(changed("confidence = 0.99", "confidence = \"high\""), "x"),
            Catch::Contains("return_loss.confidence: expected a number"));
        CHECK_THROWS_WITH(parse_limit_set(changed("max_time_ms = 2000", "max_time_ms = 0"), "x"),
                          Catch::Contains("return_loss.max_time_ms"));
        CHECK_THROWS_WITH(
            parse_limit_set(changed("max_time_ms = 2000", "max_time_ms = 1500.5"), "x"),
            Catch::Contains("return_loss.max_time_ms"));
        CHECK_THROWS_WITH(
            parse_limit_set(changed("max_time_ms = 2000", "max_time_ms = 2000\nwindow_ms = 100"),
                            "x"),
            Catch::Contains("unknown key"));
        CHECK_THROWS_WITH(parse_limit_set(changed("confidence = 0.99\n", ""), "x"),
                          Catch::Contains("return_loss.confidence: missing"));
    }
}
