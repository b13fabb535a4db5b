#include "analysis/repeatability.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace mpobench::analysis {
namespace {

// Welford's running mean and sum of squared deviations: no catastrophic
// cancellation over thousands of nearly equal readings.
struct RunningStat {
    int count = 0;
    double mean = 0.0;
    double squared_deviations = 0.0;
    double min = 0.0;
    double max = 0.0;

    void add(double value) {
        ++count;
        const double delta = value - mean;
        mean += delta / count;
        squared_deviations += delta * (value - mean);
        min = count == 1 ? value : std::min(min, value);
        max = count == 1 ? value : std::max(max, value);
    }
};

}  // namespace

std::vector<RepeatabilityStat> repeatability_stats(const std::vector<Measurement>& measurements) {
    std::map<std::tuple<End, int, int>, RunningStat> groups;
    for (const auto& measurement : measurements) {
        if (!measurement.il_db || !std::isfinite(*measurement.il_db))
            continue;
        groups[{measurement.end, measurement.fiber, measurement.wavelength_nm}].add(
            *measurement.il_db);
    }
    std::vector<RepeatabilityStat> stats;
    stats.reserve(groups.size());
    for (const auto& [key, running] : groups) {
        RepeatabilityStat stat;
        std::tie(stat.end, stat.fiber, stat.wavelength_nm) = key;
        stat.matings = running.count;
        stat.mean_il_db = running.mean;
        stat.min_il_db = running.min;
        stat.max_il_db = running.max;
        stat.range_db = running.max - running.min;
        stat.sigma_db =
            running.count > 1 ? std::sqrt(running.squared_deviations / (running.count - 1)) : 0.0;
        stats.push_back(stat);
    }
    return stats;
}

}  // namespace mpobench::analysis
