#include "analysis/verdict.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <iterator>

#include "analysis/grading.hpp"

namespace mpobench::analysis {

namespace {

void cross(Verdict& verdict, const std::tuple<End, int, int>& row, FailureCause what) {
    auto& causes = verdict.failing_rows[row];
    if (std::find(causes.begin(), causes.end(), what) == causes.end())
        causes.push_back(what);
}

// A lit reading that reached another far position than the part's polarity expects.
bool miswired(const Part& part, const Measurement& m) {
    if (m.far_position == 0 || m.fiber < 1 || m.fiber > part.fibers)
        return false;
    return m.far_position !=
           expected_far_positions(part, m.end)[static_cast<std::size_t>(m.fiber - 1)];
}

}  // namespace

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

    if (!run.measurements.empty()) {
        verdict.table_cycle = run.measurements.front().cycle;
        for (const auto& m : run.measurements)
            verdict.table_cycle = std::min(verdict.table_cycle, m.cycle);
    }

    std::set<std::pair<End, int>> failing_means;
    // In listing order: the record's failures are sorted by grading.
    for (const auto& failure : run.failures) {
        if (failure.grade > run.part.target)
            continue;
        if (failure.what == FailureCause::IlMean && failure.end && failure.wavelength_nm) {
            failing_means.emplace(*failure.end, *failure.wavelength_nm);
        } else if (failure.end && failure.fiber && failure.wavelength_nm) {
            cross(verdict, {*failure.end, *failure.fiber, *failure.wavelength_nm}, failure.what);
        } else if (failure.end) {
            // Listed once for the fibre (dark at every wavelength) or the end
            // (miswired): crossed on each row that shows it.
            for (const auto& m : run.measurements) {
                if (m.cycle != verdict.table_cycle || m.end != *failure.end)
                    continue;
                const bool shows_it =
                    failure.fiber ? m.fiber == *failure.fiber
                                  : failure.what == FailureCause::Polarity && miswired(run.part, m);
                if (shows_it)
                    cross(verdict, {m.end, m.fiber, m.wavelength_nm}, failure.what);
            }
        }
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

std::optional<PolarityType> polarity_type_of(const PolarityMap& map, int fibers) {
    if (!is_supported_fiber_count(fibers) ||
        map.far_positions.size() != static_cast<std::size_t>(fibers)) {
        return std::nullopt;
    }
    Part part;
    part.fibers = fibers;
    for (const PolarityType type : {PolarityType::A, PolarityType::B, PolarityType::C}) {
        part.polarity = type;
        if (map.far_positions == expected_far_positions(part, map.launched_end))
            return type;
    }
    return std::nullopt;
}

namespace {

std::string where(const Failure& failure) {
    std::string text = failure.end ? fmt::format("end {}", to_string(*failure.end)) : "";
    if (failure.fiber)
        text += fmt::format("{}fibre {}", text.empty() ? "" : " ", *failure.fiber);
    if (failure.wavelength_nm)
        text += fmt::format("{}{} nm", text.empty() ? "" : " ", *failure.wavelength_nm);
    return text;
}

std::string polarity_text(const Failure& failure, const RunRecord& run) {
    const std::string expected(to_string(run.part.polarity));
    const auto map = std::find_if(run.polarity.begin(), run.polarity.end(), [&](const auto& m) {
        return failure.end && m.launched_end == *failure.end;
    });
    if (map == run.polarity.end())
        return fmt::format("not the map type {} expects", expected);
    std::vector<std::string> positions;
    for (const int position : map->far_positions)
        positions.push_back(position == 0 ? "-" : std::to_string(position));
    const auto measured = polarity_type_of(*map, run.part.fibers);
    return fmt::format(
        "measured {} (map {}), expected {}",
        measured ? fmt::format("type {}", to_string(*measured)) : std::string("no standard type"),
        fmt::join(positions, ","), expected);
}

// "IL 0.92 dB > standard max 0.75 dB"; a failure without a value had no
// valid reading.
std::string against_limit(const Failure& failure, std::string_view quantity, std::string_view sign,
                          std::string_view limit_name, int decimals) {
    if (!failure.value)
        return fmt::format("no valid {} reading", quantity);
    if (!failure.limit)
        return fmt::format("{} {:.{}f} dB", quantity, *failure.value, decimals);
    return fmt::format("{} {:.{}f} dB {} {} {} {:.{}f} dB", quantity, *failure.value, decimals,
                       sign, to_string(failure.grade), limit_name, *failure.limit, decimals);
}

std::string what_text(const Failure& failure, const RunRecord& run) {
    switch (failure.what) {
        case FailureCause::Il:
            return against_limit(failure, "IL", ">", "max", 2);
        case FailureCause::IlMean:
            return against_limit(failure, "mean IL", ">", "typical", 2);
        case FailureCause::Rl:
            return against_limit(failure, "RL", "<", "min", 1);
        case FailureCause::Repeatability:
            return against_limit(failure, "IL range over matings", ">", "max", 2);
        case FailureCause::Continuity:
            return "no light";
        case FailureCause::Polarity:
            return polarity_text(failure, run);
    }
    return std::string(to_string(failure.what));
}

}  // namespace

std::string describe_failure(const Failure& failure, const RunRecord& run) {
    const auto place = where(failure);
    const auto what = what_text(failure, run);
    if (failure.what == FailureCause::Polarity)
        return fmt::format("{}{}polarity: {}", place, place.empty() ? "" : " ", what);
    return place.empty() ? what : fmt::format("{}: {}", place, what);
}

Grade reading_grade(const Measurement& reading, const LimitSet& limits, FiberMode mode) {
    if (reading.status != ReadingStatus::Ok || !reading.il_db)
        return Grade::Fail;
    for (const Grade grade : {Grade::Elite, Grade::Standard, Grade::Generic}) {
        const GradeLimits& grade_limits = limits.limits(grade, mode);
        if (*reading.il_db > grade_limits.il_max_db - limits.guard_band_db)
            continue;
        if (grade_limits.rl_min_db) {
            const auto rl = reading.rl_db ? reading.rl_db : reading.rl_above_db;
            if (rl && *rl < *grade_limits.rl_min_db)
                continue;
        }
        return grade;
    }
    return Grade::Fail;
}

}  // namespace mpobench::analysis
