#include "analysis/rl_decision.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <map>
#include <tuple>

namespace mpobench::analysis {

namespace {

// Levels closer than this cannot separate a relative term from the floor.
constexpr double kMinRelativeSpanDb = 6.0;
constexpr int kMinGroups = 4;
// The run's own check flags the model at this confidence.
constexpr double kNoiseCheckConfidence = 0.999;

struct Group {
    std::vector<double> reflectances;
    double mean = 0.0;
    double sum_squares = 0.0;
};

}  // namespace

double reflectance_of_rl(double rl_db) {
    return std::pow(10.0, -rl_db / 10.0);
}

double rl_of_reflectance(double reflectance) {
    return -10.0 * std::log10(reflectance);
}

RlNoiseModel fit_rl_noise(const std::vector<RlCalibrationWindow>& windows, int window_ms,
                          TimePoint calibrated_at) {
    if (window_ms <= 0)
        throw std::invalid_argument(fmt::format("RL noise model: window of {} ms", window_ms));
    // (wavelength, fibre, pass) -> the group's windows; a censored window
    // spoils its group.
    std::map<std::tuple<int, int, int>, Group> groups;
    std::map<std::tuple<int, int, int>, bool> censored;
    for (const auto& window : windows) {
        const auto key = std::make_tuple(window.wavelength_nm, window.fiber, window.pass);
        if (!window.rl_db) {
            censored[key] = true;
            continue;
        }
        groups[key].reflectances.push_back(reflectance_of_rl(*window.rl_db));
    }
    std::vector<const Group*> usable;
    int used_windows = 0;
    double low = 0.0, high = 0.0;
    for (auto& [key, group] : groups) {
        if (censored.count(key) || group.reflectances.size() < 2)
            continue;
        const auto n = static_cast<double>(group.reflectances.size());
        for (const double r : group.reflectances)
            group.mean += r / n;
        for (const double r : group.reflectances)
            group.sum_squares += (r - group.mean) * (r - group.mean);
        if (usable.empty()) {
            low = high = group.mean;
        } else {
            low = std::min(low, group.mean);
            high = std::max(high, group.mean);
        }
        used_windows += static_cast<int>(group.reflectances.size());
        usable.push_back(&group);
    }
    if (static_cast<int>(usable.size()) < kMinGroups) {
        throw RlNoiseModelError(fmt::format(
            "the reference's RL windows cannot model the RL module's noise: {} usable groups of "
            "two or more windows within the range, {} needed",
            usable.size(), kMinGroups));
    }

    RlNoiseModel model;
    model.window_ms = window_ms;
    model.windows = used_windows;
    model.calibrated_at = calibrated_at;
    // Highest reflectance = lowest RL.
    model.level_low_db = rl_of_reflectance(high);
    model.level_high_db = rl_of_reflectance(low);

    double pooled_ss = 0.0;
    int pooled_dof = 0;
    for (const Group* group : usable) {
        pooled_ss += group->sum_squares;
        pooled_dof += static_cast<int>(group->reflectances.size()) - 1;
    }
    double white_var = pooled_ss / pooled_dof;
    double relative_var = 0.0;
    if (model.level_high_db - model.level_low_db >= kMinRelativeSpanDb) {
        // Weighted least squares of each group's variance on [1, mean^2],
        // weights its degrees of freedom.
        double sw = 0.0, sx = 0.0, sxx = 0.0, sy = 0.0, sxy = 0.0;
        for (const Group* group : usable) {
            const double w = static_cast<double>(group->reflectances.size()) - 1.0;
            const double x = group->mean * group->mean;
            const double y = group->sum_squares / w;
            sw += w;
            sx += w * x;
            sxx += w * x * x;
            sy += w * y;
            sxy += w * x * y;
        }
        const double det = sw * sxx - sx * sx;
        if (det > 0.0) {
            const double slope = (sw * sxy - sx * sy) / det;
            const double intercept = (sy - slope * sx) / sw;
            if (slope > 0.0 && intercept > 0.0) {
                white_var = intercept;
                relative_var = slope;
            }
        }
    }
    model.white_reflectance = std::sqrt(white_var);
    model.relative = std::sqrt(relative_var);

    // Slow part: a fibre's pass-to-pass difference beyond the white part.
    double excess = 0.0;
    int pairs = 0;
    for (const auto& [key, group] : groups) {
        const auto& [wavelength_nm, fiber, pass] = key;
        if (pass != 1 || censored.count(key) || group.reflectances.size() < 2)
            continue;
        const auto second_key = std::make_tuple(wavelength_nm, fiber, 2);
        const auto second = groups.find(second_key);
        if (second == groups.end() || censored.count(second_key) ||
            second->second.reflectances.size() < 2)
            continue;
        const Group& other = second->second;
        const auto var_of_mean = [&](const Group& g) {
            return (white_var + relative_var * g.mean * g.mean) /
                   static_cast<double>(g.reflectances.size());
        };
        const double d = other.mean - group.mean;
        excess += d * d - var_of_mean(group) - var_of_mean(other);
        ++pairs;
    }
    if (pairs > 0)
        model.slow_reflectance = std::sqrt(std::max(0.0, excess / (2.0 * pairs)));
    return model;
}

double window_sd_db(const RlNoiseModel& model, double rl_db) {
    const double r = reflectance_of_rl(rl_db);
    const double sd = std::sqrt(model.white_reflectance * model.white_reflectance +
                                model.relative * model.relative * r * r);
    return 10.0 / std::log(10.0) * sd / r;
}

SequentialRlRule::SequentialRlRule(RlNoiseModel model, RlDecisionRule rule,
                                   std::vector<double> minima_db)
    : model_(model), rule_(rule), minima_db_(std::move(minima_db)) {
    if (model_.window_ms <= 0 || !(model_.white_reflectance > 0.0)) {
        throw std::invalid_argument(
            fmt::format("RL noise model of {} ms windows with a white floor of {}: not a model",
                        model_.window_ms, model_.white_reflectance));
    }
    std::sort(minima_db_.begin(), minima_db_.end());
    const boost::math::normal standard;
    z_ = boost::math::quantile(standard, 1.0 - (1.0 - rule_.confidence) / 2.0);
}

int SequentialRlRule::max_windows() const {
    return std::max(1, rule_.max_time_ms / model_.window_ms);
}

double SequentialRlRule::white_variance(double reflectance) const {
    return model_.white_reflectance * model_.white_reflectance +
           model_.relative * model_.relative * reflectance * reflectance;
}

RlEstimate SequentialRlRule::judge(const std::vector<RlWindow>& windows) const {
    if (windows.empty())
        throw std::invalid_argument("an RL reading without windows");
    double sum = 0.0;
    int censored = 0;
    for (const auto& window : windows) {
        if (window.rl_db) {
            sum += reflectance_of_rl(*window.rl_db);
        } else {
            sum += reflectance_of_rl(window.range_db);
            ++censored;
        }
    }
    const auto n = static_cast<double>(windows.size());
    const double mean = sum / n;
    const double sd_of_mean = std::sqrt(widen_ * widen_ * white_variance(mean) / n +
                                        model_.slow_reflectance * model_.slow_reflectance);
    RlEstimate estimate;
    if (censored == static_cast<int>(windows.size()))
        estimate.rl_above_db = windows.front().range_db;
    else
        estimate.rl_db = rl_of_reflectance(mean);
    estimate.low_db = rl_of_reflectance(mean + z_ * sd_of_mean);
    if (mean - z_ * sd_of_mean > 0.0)
        estimate.high_db = rl_of_reflectance(mean - z_ * sd_of_mean);
    // Inside one band: no minimum above the low end and at or below the
    // high end (a value equal to a minimum meets it).
    bool inside = true;
    for (const double minimum : minima_db_) {
        if (minimum > *estimate.low_db && (!estimate.high_db || minimum <= *estimate.high_db))
            inside = false;
    }
    const bool out_of_time = static_cast<int>(windows.size()) >= max_windows();
    estimate.decided = inside || out_of_time;
    estimate.marginal = !inside && out_of_time;
    return estimate;
}

void SequentialRlRule::finish(const std::vector<RlWindow>& windows) {
    if (windows.size() < 2)
        return;
    std::vector<double> reflectances;
    for (const auto& window : windows) {
        if (!window.rl_db)
            return;
        reflectances.push_back(reflectance_of_rl(*window.rl_db));
    }
    const auto n = static_cast<double>(reflectances.size());
    double mean = 0.0;
    for (const double r : reflectances)
        mean += r / n;
    double sum_squares = 0.0;
    for (const double r : reflectances)
        sum_squares += (r - mean) * (r - mean);
    normalized_scatter_ += sum_squares / white_variance(mean);
    dof_ += static_cast<int>(reflectances.size()) - 1;
    const boost::math::chi_squared chi2(dof_);
    if (normalized_scatter_ > boost::math::quantile(chi2, kNoiseCheckConfidence))
        widen_ = std::sqrt(normalized_scatter_ / dof_);
}

RlDecisionMethod SequentialRlRule::method() const {
    RlDecisionMethod method;
    method.sequential = true;
    method.window_ms = model_.window_ms;
    method.confidence = rule_.confidence;
    method.max_time_ms = rule_.max_time_ms;
    method.model = model_;
    method.noise_ratio = dof_ > 0 ? std::sqrt(normalized_scatter_ / dof_) : 0.0;
    method.noise_dof = dof_;
    method.noise_widened = widen_ > 1.0;
    return method;
}

}  // namespace mpobench::analysis
