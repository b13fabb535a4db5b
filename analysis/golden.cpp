#include "analysis/golden.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <tuple>

namespace mpobench::analysis {

std::vector<GoldenValue> golden_values_of(const RunRecord& run) {
    std::vector<GoldenValue> values;
    for (const auto& m : run.measurements) {
        if (m.cycle == 0 && m.status == ReadingStatus::Ok && m.il_db && std::isfinite(*m.il_db))
            values.push_back({m.end, m.fiber, m.wavelength_nm, *m.il_db});
    }
    return values;
}

GoldenComparison compare_with_golden(const std::vector<GoldenValue>& known,
                                     const std::vector<Measurement>& measured,
                                     double il_tolerance_db) {
    std::map<std::tuple<End, int, int>, const Measurement*> now;
    for (const auto& m : measured) {
        if (m.cycle == 0)
            now[{m.end, m.fiber, m.wavelength_nm}] = &m;
    }
    GoldenComparison result;
    std::map<int, std::pair<double, int>> sums;  // wavelength -> sum, count
    for (const auto& value : known) {
        const std::string where = fmt::format("end {} fibre {} {} nm", to_string(value.end),
                                              value.fiber, value.wavelength_nm);
        const auto found = now.find({value.end, value.fiber, value.wavelength_nm});
        if (found == now.end() || !found->second->il_db || !std::isfinite(*found->second->il_db)) {
            if (!result.missing)
                result.missing = fmt::format("{}: no IL reading", where);
            continue;
        }
        const double deviation_db = *found->second->il_db - value.il_db;
        ++result.compared;
        if (std::abs(deviation_db) > result.worst_deviation_db || result.compared == 1) {
            result.worst_deviation_db = std::abs(deviation_db);
            result.worst_where = where;
        }
        auto& [sum, count] = sums[value.wavelength_nm];
        sum += deviation_db;
        ++count;
    }
    for (const auto& [wavelength_nm, sum_count] : sums)
        result.bias.push_back(
            {wavelength_nm, sum_count.first / sum_count.second, sum_count.second});
    result.pass =
        !known.empty() && !result.missing && result.worst_deviation_db <= il_tolerance_db + 1e-9;
    return result;
}

}  // namespace mpobench::analysis
