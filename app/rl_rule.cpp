#include "app/rl_rule.hpp"

#include <fmt/format.h>

#include <cmath>

#include "vocabulary/time_text.hpp"

namespace mpobench::app {

namespace {

int whole_ms(std::chrono::microseconds window) {
    return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(window).count());
}

bool sequential_for(const analysis::LimitSet& limits, const Part& part, bool has_rl_meter) {
    return limits.rl_decision && has_rl_meter && !analysis::rl_minima_db(limits, part.mode).empty();
}

}  // namespace

void check_rl_model(const analysis::LimitSet& limits, const Reference& reference, const Part& part,
                    const acquisition::BenchTiming& timing, bool has_rl_meter) {
    if (!sequential_for(limits, part, has_rl_meter))
        return;
    const int window_ms = whole_ms(timing.rl_window_sequential);
    if (!reference.rl_noise) {
        throw acquisition::Refused(fmt::format(
            "limit set {} {} decides RL sequentially and reference {} holds no RL noise model "
            "(taken before, or without the RL module): take a new reference",
            limits.name, limits.version, reference.id));
    }
    if (reference.rl_noise->window_ms != window_ms) {
        throw acquisition::Refused(fmt::format(
            "reference {} modelled the RL module's noise for {} ms windows and the bench takes "
            "{} ms: take a new reference",
            reference.id, reference.rl_noise->window_ms, window_ms));
    }
}

std::unique_ptr<SequentialRlOnBench> make_rl_rule(const analysis::LimitSet& limits,
                                                  const Reference& reference, const Part& part,
                                                  const acquisition::BenchTiming& timing,
                                                  bool has_rl_meter) {
    check_rl_model(limits, reference, part, timing, has_rl_meter);
    if (!sequential_for(limits, part, has_rl_meter))
        return nullptr;
    return std::make_unique<SequentialRlOnBench>(
        analysis::SequentialRlRule(*reference.rl_noise, *limits.rl_decision,
                                   analysis::rl_minima_db(limits, part.mode)),
        timing.rl_window_sequential);
}

std::optional<RlDecisionMethod> rl_method_of(const SequentialRlOnBench* rule, FiberMode mode,
                                             const acquisition::BenchTiming& timing,
                                             bool has_rl_meter) {
    if (rule)
        return rule->method();
    if (!has_rl_meter)
        return std::nullopt;
    RlDecisionMethod method;
    method.sequential = false;
    method.window_ms =
        whole_ms(mode == FiberMode::MM ? timing.rl_averaging_pc : timing.rl_averaging_apc);
    return method;
}

std::string describe_rl_noise(const RlNoiseModel& model, FiberMode mode) {
    const double at_db = mode == FiberMode::SM ? 65.0 : 35.0;
    const double slow_db =
        model.slow_reflectance > 0.0
            ? 10.0 / std::log(10.0) * model.slow_reflectance / analysis::reflectance_of_rl(at_db)
            : 0.0;
    return fmt::format(
        "RL noise model of {}: {:.2f} dB at {:.0f} dB per {} ms window, slow part {:.2f} dB{} "
        "({} windows at {:.1f}-{:.1f} dB)",
        format_utc_ms(model.calibrated_at).substr(0, 10) + " " +
            format_utc_ms(model.calibrated_at).substr(11, 5) + " UTC",
        analysis::window_sd_db(model, at_db), at_db, model.window_ms, slow_db,
        model.relative > 0.0 ? fmt::format(", relative {:.2f} %", 100.0 * model.relative) : "",
        model.windows, model.level_low_db, model.level_high_db);
}

}  // namespace mpobench::app
