#pragma once
// Sequential RL decisions: the noise model of the return-loss module,
// fitted from the windows the reference takes, and the rule that averages
// a reading's windows until its confidence interval lies inside one grade
// band. Pure functions over plain data; acquisition takes the windows.

#include <stdexcept>
#include <vector>

#include "analysis/limits.hpp"
#include "vocabulary/run_record.hpp"

namespace mpobench::analysis {

// The reference's RL windows cannot make a noise model (too few, or every
// window beyond the module's range).
class RlNoiseModelError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Reflectance (a ratio) of a return loss in dB, and back.
double reflectance_of_rl(double rl_db);
double rl_of_reflectance(double reflectance);

// The model from the reference's windows, taken `window_ms` long. Windows
// of one fibre, wavelength and pass, taken back to back, give the white
// scatter; the relative term is fitted only where the groups' reflections
// span 6 dB or more (otherwise it cannot be told from the white floor and
// is 0: the model then holds near the levels it saw). The difference
// between a fibre's two passes, beyond what the white part explains, is
// the slow part. A group with a window beyond the range is left out.
// Throws RlNoiseModelError with fewer than 4 usable groups of 2+ windows.
RlNoiseModel fit_rl_noise(const std::vector<RlCalibrationWindow>& windows, int window_ms,
                          TimePoint calibrated_at);

// Standard deviation (in RL dB, to first order) of one window at `rl_db`.
double window_sd_db(const RlNoiseModel& model, double rl_db);

// The rule of one run: one limit set's RL bands for one fibre mode, the
// reference's noise model. judge() after every window; finish() once a
// reading is decided, so the run checks the model against its own windows.
class SequentialRlRule {
  public:
    // Throws std::invalid_argument for a model without a window length or
    // a white floor.
    SequentialRlRule(RlNoiseModel model, RlDecisionRule rule, std::vector<double> minima_db);

    // Windows one reading may take: max_time_ms / window_ms, at least 1.
    int max_windows() const;
    // The reading's mean of reflectances (a window beyond the range counts
    // at the range: the RL is at least that), the interval of that mean at
    // the rule's confidence, and whether it is decided. Throws
    // std::invalid_argument for no windows.
    RlEstimate judge(const std::vector<RlWindow>& windows) const;
    // Adds a decided reading's scatter (2+ windows, none beyond the range)
    // to the run's check of the model. Once the run's windows are noisier
    // than the model at 99.9 % confidence, later intervals widen by the
    // ratio of the two.
    void finish(const std::vector<RlWindow>& windows);
    // What the run records.
    RlDecisionMethod method() const;

  private:
    double white_variance(double reflectance) const;

    RlNoiseModel model_;
    RlDecisionRule rule_;
    std::vector<double> minima_db_;
    double z_ = 0.0;
    double normalized_scatter_ = 0.0;  // sum of squares / model variance
    int dof_ = 0;
    double widen_ = 1.0;
};

}  // namespace mpobench::analysis
