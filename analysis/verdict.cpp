#include "analysis/verdict.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "analysis/grading.hpp"

namespace mpobench::analysis {

std::vector<Failure> failures_against_target(Grade target, const std::vector<Failure>& failures) {
    std::vector<Failure> counted;
    std::copy_if(failures.begin(), failures.end(), std::back_inserter(counted),
                 [target](const Failure& failure) { return failure.grade <= target; });
    std::stable_sort(counted.begin(), counted.end(),
                     [](const Failure& a, const Failure& b) { return a.grade < b.grade; });
    return counted;
}

const std::vector<FailureCause>* Verdict::row_failures(End end, int fiber,
                                                       int wavelength_nm) const {
    const auto found = failing_rows.find({end, fiber, wavelength_nm});
    return found == failing_rows.end() ? nullptr : &found->second;
}

std::size_t Verdict::failing_values() const {
    return failing_rows.size() +
           static_cast<std::size_t>(std::count_if(
               means.begin(), means.end(), [](const auto& mean) { return mean.against_target; }));
}

Verdict make_verdict(const RunRecord& run) {
    Verdict verdict;
    verdict.against_target = failures_against_target(run.part.target, run.failures);

    std::set<std::pair<End, int>> failing_means;
    // In listing order: the record's failures are sorted by grading.
    for (const auto& failure : run.failures) {
        if (failure.grade > run.part.target)
            continue;
        if (failure.what == FailureCause::IlMean && failure.end && failure.wavelength_nm) {
            failing_means.emplace(*failure.end, *failure.wavelength_nm);
        } else if (failure.end && failure.fiber && failure.wavelength_nm) {
            auto& causes =
                verdict.failing_rows[{*failure.end, *failure.fiber, *failure.wavelength_nm}];
            if (std::find(causes.begin(), causes.end(), failure.what) == causes.end())
                causes.push_back(failure.what);
        }
    }

    if (!run.measurements.empty()) {
        verdict.table_cycle = run.measurements.front().cycle;
        for (const auto& m : run.measurements)
            verdict.table_cycle = std::min(verdict.table_cycle, m.cycle);
    }
    std::map<std::pair<End, int>, std::pair<double, int>> sums;  // sum, count
    for (const auto& m : run.measurements) {
        if (m.cycle != verdict.table_cycle || !m.il_db || !std::isfinite(*m.il_db))
            continue;
        auto& [sum, count] = sums[{m.end, m.wavelength_nm}];
        sum += *m.il_db;
        ++count;
    }
    for (const auto& [key, sum_count] : sums) {
        verdict.means.push_back({key.first, key.second, sum_count.first / sum_count.second,
                                 failing_means.contains(key)});
    }

    verdict.polarity_ok = !run.polarity.empty();
    for (const auto& map : run.polarity) {
        verdict.polarity_ok =
            verdict.polarity_ok &&
            map.far_positions == expected_far_positions(run.part, map.launched_end);
    }
    return verdict;
}

}  // namespace mpobench::analysis
