#pragma once
// The RL rule of one run, from the limit set and the reference's noise
// model: analysis decides, acquisition asks after every window.

#include <chrono>
#include <memory>

#include "acquisition/bench.hpp"
#include "acquisition/procedures.hpp"
#include "analysis/limits.hpp"
#include "analysis/rl_decision.hpp"
#include "vocabulary/run_record.hpp"

namespace mpobench::app {

class SequentialRlOnBench final : public acquisition::RlRule {
  public:
    SequentialRlOnBench(analysis::SequentialRlRule rule, std::chrono::microseconds window)
        : rule_(std::move(rule)), window_(window) {}

    std::chrono::microseconds window() const override { return window_; }
    RlEstimate judge(const std::vector<RlWindow>& windows) override { return rule_.judge(windows); }
    void finish(const std::vector<RlWindow>& windows) override { rule_.finish(windows); }
    RlDecisionMethod method() const { return rule_.method(); }

  private:
    analysis::SequentialRlRule rule_;
    std::chrono::microseconds window_;
};

// Throws acquisition::Refused when the limit set decides RL sequentially
// for a part of this mode that the station measures RL on, and the
// reference holds no noise model of the bench's window length (a
// reference from before, or from a bench without an RL module): take a
// new reference.
void check_rl_model(const analysis::LimitSet& limits, const Reference& reference, const Part& part,
                    const acquisition::BenchTiming& timing, bool has_rl_meter);

// The run's rule: sequential when the limit set has [return_loss] and the
// bench an RL module (check_rl_model first); nullptr otherwise (one fixed
// window per reading, or no RL).
std::unique_ptr<SequentialRlOnBench> make_rl_rule(const analysis::LimitSet& limits,
                                                  const Reference& reference, const Part& part,
                                                  const acquisition::BenchTiming& timing,
                                                  bool has_rl_meter);

// What the run records of its RL method: the rule's (sequential), else one
// fixed window of the bench's length for the mode; empty without an RL module.
std::optional<RlDecisionMethod> rl_method_of(const SequentialRlOnBench* rule, FiberMode mode,
                                             const acquisition::BenchTiming& timing,
                                             bool has_rl_meter);

// One line for people: "RL noise model of 2026-12-07 14:02 UTC: 0.46 dB at
// 65 dB per 200 ms window, slow part 0.04 dB (96 windows at 69.6-70.4 dB)",
// at the default set's top RL minimum of the mode (65 dB SM, 35 dB MM).
std::string describe_rl_noise(const RlNoiseModel& model, FiberMode mode);

}  // namespace mpobench::app
