// mpobench_rl_oc: the operating characteristic of RL decisions (issue 14):
// the probability that a fibre is found to meet an RL minimum, against its
// true RL, for one fixed window per reading (1 s SM APC, 300 ms MM PC: how
// every test ran before) and for the sequential rule of the default limit
// set (200 ms windows until the interval lies inside one grade band, at
// most max_time_ms), side by side, and the mean time each spends per reading.
//
// The windows come from fixtures::RlModuleNoise, the noise the simulated
// 81610A gives, in instrument time (the slow part wanders as the bench
// works). The sequential rule's noise model is fitted the way a reference
// fits it: two windows per position per pass at the reference state's
// reflection (70 dB APC, 57 dB PC), through analysis::fit_rl_noise. What it
// leaves out: the SCPI round trips between windows (a few ms each on the
// simulated bench), the launch's switch settle, and any difference between
// the simulated module and a real one.

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>
#include <vector>

#include "analysis/limits.hpp"
#include "analysis/rl_decision.hpp"
#include "fixtures/rl_module_noise.hpp"

namespace {

using namespace mpobench;

constexpr double kRangeDb = 75.0;     // the 81610A's range: beyond it, overrange
constexpr double kBetweenS = 0.1;     // instrument time between readings (switch, round trips)
constexpr double kSequentialS = 0.2;  // the module's shortest window

struct ModeCase {
    FiberMode mode;
    double fixed_window_s;
    double reference_rl_db;
    double low_db, high_db;  // the population's true RL
};

// One reading's windows, as the module reports them.
class Module {
  public:
    explicit Module(std::uint64_t seed) : noise_(seed) {}

    RlWindow window(double true_rl_db, double window_s) {
        now_s_ += window_s;
        const double r = noise_.reading(analysis::reflectance_of_rl(true_rl_db), window_s, now_s_);
        if (r <= analysis::reflectance_of_rl(kRangeDb))
            return {std::nullopt, kRangeDb};
        return {analysis::rl_of_reflectance(r), kRangeDb};
    }
    void pause(double seconds) { now_s_ += seconds; }

  private:
    fixtures::RlModuleNoise noise_;
    double now_s_ = 0.0;
};

RlNoiseModel calibrate(const ModeCase& mode, std::uint64_t seed) {
    Module module(seed);
    std::mt19937_64 rng(seed + 1);
    std::uniform_real_distribution<double> spread(-0.5, 0.5);
    std::vector<double> levels;
    for (int fiber = 1; fiber <= 12; ++fiber)
        levels.push_back(mode.reference_rl_db + spread(rng));
    std::vector<RlCalibrationWindow> windows;
    for (const int wavelength_nm : {1, 2}) {
        for (int pass = 1; pass <= 2; ++pass) {
            for (int fiber = 1; fiber <= 12; ++fiber) {
                for (int k = 0; k < 2; ++k) {
                    const RlWindow w =
                        module.window(levels[static_cast<std::size_t>(fiber - 1)], kSequentialS);
                    windows.push_back({fiber, wavelength_nm, pass, w.rl_db});
                }
                module.pause(kBetweenS);
            }
        }
    }
    return analysis::fit_rl_noise(windows, 200, TimePoint{});
}

double value_of(const RlEstimate& estimate) {
    return estimate.rl_db ? *estimate.rl_db : *estimate.rl_above_db;
}

struct Outcome {
    bool meets = false;
    double seconds = 0.0;
    bool marginal = false;
};

Outcome fixed_reading(Module& module, const ModeCase& mode, double true_db, double minimum) {
    const RlWindow w = module.window(true_db, mode.fixed_window_s);
    module.pause(kBetweenS);
    const double value = w.rl_db ? *w.rl_db : w.range_db;
    return {value >= minimum, mode.fixed_window_s, false};
}

Outcome sequential_reading(Module& module, analysis::SequentialRlRule& rule, double true_db,
                           double minimum) {
    std::vector<RlWindow> windows;
    RlEstimate estimate;
    do {
        windows.push_back(module.window(true_db, kSequentialS));
        estimate = rule.judge(windows);
    } while (!estimate.decided);
    rule.finish(windows);
    module.pause(kBetweenS);
    return {value_of(estimate) >= minimum, kSequentialS * static_cast<double>(windows.size()),
            estimate.marginal};
}

// Wilson score interval (95 %) of k successes in n.
std::pair<double, double> wilson(int k, int n) {
    const double z = 1.96, p = static_cast<double>(k) / n, d = 1 + z * z / n;
    const double centre = (p + z * z / (2.0 * n)) / d;
    const double half = z * std::sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / d;
    return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

void run_mode(const ModeCase& mode, int population, int trials, std::uint64_t seed) {
    const auto& limits = analysis::default_limit_set();
    const auto minima = analysis::rl_minima_db(limits, mode.mode);
    const RlNoiseModel model = calibrate(mode, seed);
    const auto rule_of = [&] {
        return analysis::SequentialRlRule(model, *limits.rl_decision, minima);
    };
    std::cout << fmt::format(
        "\n## {} ({} population fibres, true RL uniform over {:.0f}-{:.0f} dB; minima {})\n\n"
        "noise model as the reference fits it: {:.3g} white, {:.3g} slow (reflectance, 200 ms), "
        "{} windows at {:.1f}-{:.1f} dB\n",
        to_string(mode.mode), population, mode.low_db, mode.high_db, fmt::join(minima, ", "),
        model.white_reflectance, model.slow_reflectance, model.windows, model.level_low_db,
        model.level_high_db);

    // The population: mean time per reading, and how far apart the two
    // methods' readings put the fibres around each minimum.
    Module fixed_module(seed + 10), sequential_module(seed + 11);
    auto rule = rule_of();
    std::mt19937_64 rng(seed + 12);
    std::uniform_real_distribution<double> true_rl(mode.low_db, mode.high_db);
    const double top = minima.back();
    double fixed_s = 0.0, sequential_s = 0.0;
    int marginal = 0;
    struct Bin {
        int n = 0, fixed = 0, sequential = 0;
    };
    std::vector<Bin> bins(12);  // 0.5 dB bins from top - 3 to top + 3
    for (int i = 0; i < population; ++i) {
        const double truth = true_rl(rng);
        const Outcome f = fixed_reading(fixed_module, mode, truth, top);
        const Outcome s = sequential_reading(sequential_module, rule, truth, top);
        fixed_s += f.seconds;
        sequential_s += s.seconds;
        marginal += s.marginal ? 1 : 0;
        const double offset = truth - (top - 3.0);
        if (offset >= 0.0 && offset < 6.0) {
            Bin& bin = bins[static_cast<std::size_t>(offset / 0.5)];
            ++bin.n;
            bin.fixed += f.meets ? 1 : 0;
            bin.sequential += s.meets ? 1 : 0;
        }
    }
    std::cout << fmt::format(
        "\nmean time per reading: fixed {:.0f} ms, sequential {:.0f} ms ({:.2f} windows; {} "
        "marginal of {})\n\nP(meets {} dB) over the population, by true RL:\n\n"
        "| true RL (dB) | fibres | fixed {:.0f} ms | sequential |\n|---|---:|---:|---:|\n",
        1000.0 * fixed_s / population, 1000.0 * sequential_s / population,
        sequential_s / population / kSequentialS, marginal, population, top,
        1000.0 * mode.fixed_window_s);
    for (std::size_t b = 0; b < bins.size(); ++b) {
        const Bin& bin = bins[b];
        if (bin.n == 0)
            continue;
        const double from = top - 3.0 + 0.5 * static_cast<double>(b);
        std::cout << fmt::format("| {:.1f}-{:.1f} | {} | {:.3f} | {:.3f} |\n", from, from + 0.5,
                                 bin.n, static_cast<double>(bin.fixed) / bin.n,
                                 static_cast<double>(bin.sequential) / bin.n);
    }

    // The goals, at their points, with many trials each.
    std::cout << fmt::format(
        "\nAt the goal points ({} readings each; 95 % Wilson interval):\n\n"
        "| minimum | true RL | goal | fixed | sequential | sequential ms/reading |\n"
        "|---:|---:|---|---:|---:|---:|\n",
        trials);
    for (const double minimum : minima) {
        for (const double offset : {-0.5, 1.0}) {
            Module fixed_point(seed + 20), sequential_point(seed + 21);
            auto point_rule = rule_of();
            int fixed_meets = 0, sequential_meets = 0;
            double seconds = 0.0;
            for (int t = 0; t < trials; ++t) {
                fixed_meets += fixed_reading(fixed_point, mode, minimum + offset, minimum).meets;
                const Outcome s =
                    sequential_reading(sequential_point, point_rule, minimum + offset, minimum);
                sequential_meets += s.meets;
                seconds += s.seconds;
            }
            // Below the minimum the error is acceptance; above it, rejection.
            const int fixed_errors = offset < 0 ? fixed_meets : trials - fixed_meets;
            const int sequential_errors = offset < 0 ? sequential_meets : trials - sequential_meets;
            const auto [fl, fh] = wilson(fixed_errors, trials);
            const auto [sl, sh] = wilson(sequential_errors, trials);
            std::cout << fmt::format(
                "| {:.0f} | {:.1f} | {} ≤ 1 % | {:.2f} % ({:.2f}-{:.2f}) | **{:.2f} %** "
                "({:.2f}-{:.2f}) | {:.0f} |\n",
                minimum, minimum + offset, offset < 0 ? "accepted" : "rejected",
                100.0 * fixed_errors / trials, 100.0 * fl, 100.0 * fh,
                100.0 * sequential_errors / trials, 100.0 * sl, 100.0 * sh,
                1000.0 * seconds / trials);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"mpobench_rl_oc: fixed vs sequential RL decisions on simulated populations"};
    int population = 5000, trials = 20000;
    std::uint64_t seed = 1;
    cli.add_option("--population", population, "fibres per mode")->capture_default_str();
    cli.add_option("--trials", trials, "readings at each goal point")->capture_default_str();
    cli.add_option("--seed", seed, "noise seed")->capture_default_str();
    CLI11_PARSE(cli, argc, argv);
    std::cout << "# RL decisions: operating characteristic (mpobench_rl_oc)\n";
    run_mode({FiberMode::SM, 1.0, 70.0, 62.0, 72.0}, population, trials, seed);
    run_mode({FiberMode::MM, 0.3, 57.0, 32.0, 40.0}, population, trials, seed);
    return 0;
}
