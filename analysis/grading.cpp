#include "analysis/grading.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "analysis/repeatability.hpp"

namespace mpobench::analysis {
namespace {

constexpr std::array<Grade, 3> kGrades{Grade::Generic, Grade::Standard, Grade::Elite};

int what_rank(const std::string& what) {
    static constexpr std::array<std::string_view, 6> kOrder{
        "il", "il_mean", "rl", "repeatability", "continuity", "polarity"};
    return static_cast<int>(std::find(kOrder.begin(), kOrder.end(), what) - kOrder.begin());
}

auto sort_key(const Failure& failure) {
    return std::make_tuple(failure.end, failure.wavelength_nm, failure.fiber,
                           what_rank(failure.what));
}

Failure located(std::string what, End end, std::optional<int> fiber, int wavelength_nm) {
    Failure failure;
    failure.what = std::move(what);
    failure.end = end;
    failure.fiber = fiber;
    failure.wavelength_nm = wavelength_nm;
    return failure;
}

// Collects failures and which grades they deny.
class Grader {
  public:
    Grader(const LimitSet& limit_set, FiberMode mode) : limit_set_(limit_set), mode_(mode) {}

    // value must not exceed the limit (less the margin) of each grade.
    void at_most(Failure failure, double value, double GradeLimits::*limit, double margin_db) {
        check(std::move(failure), value, [&](Grade grade) {
            const double bound = limit_set_.limits(grade, mode_).*limit - margin_db;
            return std::make_pair(value <= bound + kLimitTolerance_db, bound);
        });
    }

    // value must not be below the limit of each grade.
    void at_least(Failure failure, double value, double GradeLimits::*limit) {
        check(std::move(failure), value, [&](Grade grade) {
            const double bound = limit_set_.limits(grade, mode_).*limit;
            return std::make_pair(value >= bound - kLimitTolerance_db, bound);
        });
    }

    // Wrong whatever the limits: denies every grade.
    void deny_all(Failure failure) {
        denied_.fill(true);
        failure.grade = Grade::Generic;
        add(std::move(failure));
    }

    GradeResult result(Grade target) && {
        GradeResult result;
        for (const Grade grade : kGrades) {
            if (!denied_[index(grade)])
                result.grade = grade;
        }
        result.pass = result.grade != Grade::Fail && result.grade >= target;
        result.failures.reserve(failures_.size());
        for (auto& [key, failure] : failures_)
            result.failures.push_back(std::move(failure));
        std::stable_sort(
            result.failures.begin(), result.failures.end(),
            [](const Failure& a, const Failure& b) { return sort_key(a) < sort_key(b); });
        return result;
    }

  private:
    static std::size_t index(Grade grade) { return static_cast<std::size_t>(grade) - 1; }

    template <typename Meets>
    void check(Failure failure, double value, Meets meets) {
        bool listed = false;
        for (const Grade grade : kGrades) {
            const auto [ok, bound] = meets(grade);
            if (ok)
                continue;
            denied_[index(grade)] = true;
            if (!listed) {
                failure.value = value;
                failure.limit = bound;
                failure.grade = grade;
                listed = true;
            }
        }
        if (listed)
            add(std::move(failure));
    }

    // One entry per end, wavelength, fibre and kind: the most severe.
    void add(Failure failure) {
        const auto key =
            std::make_tuple(failure.end, failure.wavelength_nm, failure.fiber, failure.what);
        const auto [it, inserted] = failures_.try_emplace(key, failure);
        if (!inserted && failure.grade < it->second.grade)
            it->second = std::move(failure);
    }

    const LimitSet& limit_set_;
    FiberMode mode_;
    std::array<bool, 3> denied_{};
    std::map<std::tuple<std::optional<End>, std::optional<int>, std::optional<int>, std::string>,
             Failure>
        failures_;
};

bool finite(const std::optional<double>& value) {
    return value && std::isfinite(*value);
}

}  // namespace

std::vector<int> expected_far_positions(const Part& part, End launched_end) {
    if (!is_supported_fiber_count(part.fibers)) {
        throw std::invalid_argument(
            fmt::format("part {}: {} fibres is not a supported count", part.number, part.fibers));
    }
    auto map = polarity_map(part.polarity, part.fibers);
    if (launched_end == End::A)
        return map;
    std::vector<int> inverse(map.size());
    for (std::size_t i = 0; i < map.size(); ++i)
        inverse[static_cast<std::size_t>(map[i] - 1)] = static_cast<int>(i) + 1;
    return inverse;
}

GradeResult grade_run(const RunRecord& run, const LimitSet& limits) {
    const Part& part = run.part;
    const bool has_production = std::any_of(run.measurements.begin(), run.measurements.end(),
                                            [](const Measurement& m) { return m.cycle == 0; });
    if (run.kind == RunKind::Production && !has_production) {
        throw std::invalid_argument(fmt::format(
            "cannot grade run of {}: no production (cycle 0) measurements", run.serial));
    }
    if (run.measurements.empty()) {
        throw std::invalid_argument(
            fmt::format("cannot grade run of {}: no measurements", run.serial));
    }
    const std::array<std::vector<int>, 2> expected{expected_far_positions(part, End::A),
                                                   expected_far_positions(part, End::B)};
    const double guard_band_db = limits.guard_band_db;
    Grader grader(limits, part.mode);

    struct EndWavelength {
        double il_sum_db = 0.0;
        int il_count = 0;
        bool rl_measured = false;
    };
    std::map<std::pair<End, int>, EndWavelength> per_end_wavelength;

    for (const auto& m : run.measurements) {
        if (m.fiber < 1 || m.fiber > part.fibers) {
            throw std::invalid_argument(fmt::format(
                "run of {}: end {} fibre {} at {} nm is outside fibres 1..{} of part {}",
                run.serial, to_string(m.end), m.fiber, m.wavelength_nm, part.fibers, part.number));
        }
        const auto here = [&](const char* what, std::optional<int> fiber) {
            return located(what, m.end, fiber, m.wavelength_nm);
        };
        if (m.status == ReadingStatus::NoLight || m.far_position == 0) {
            grader.deny_all(here("continuity", m.fiber));
        } else {
            const int want =
                expected[m.end == End::A ? 0 : 1][static_cast<std::size_t>(m.fiber - 1)];
            if (m.far_position != want) {
                auto failure = here("polarity", m.fiber);
                failure.value = m.far_position;
                failure.limit = want;
                grader.deny_all(std::move(failure));
            }
        }
        const bool il_valid = finite(m.il_db);
        if (m.status != ReadingStatus::NoLight && !il_valid)
            grader.deny_all(here("il", m.fiber));
        // A bad status behind a good IL was the RL reading's.
        const bool bad_status =
            m.status == ReadingStatus::Overrange || m.status == ReadingStatus::Invalid;
        if (bad_status && il_valid && !finite(m.rl_db))
            grader.deny_all(here("rl", m.fiber));

        if (m.cycle != 0)
            continue;  // later matings only feed repeatability
        auto& group = per_end_wavelength[{m.end, m.wavelength_nm}];
        if (il_valid) {
            grader.at_most(here("il", m.fiber), *m.il_db, &GradeLimits::il_max_db, guard_band_db);
            group.il_sum_db += *m.il_db;
            ++group.il_count;
        }
        if (m.rl_db) {
            group.rl_measured = true;
            if (finite(m.rl_db))
                grader.at_least(here("rl", m.fiber), *m.rl_db, &GradeLimits::rl_min_db);
            else
                grader.deny_all(here("rl", m.fiber));
        }
    }

    // Where RL was measured on an end at a wavelength, every lit fibre there needs one.
    for (const auto& m : run.measurements) {
        if (m.cycle == 0 && m.status != ReadingStatus::NoLight && !m.rl_db &&
            per_end_wavelength[{m.end, m.wavelength_nm}].rl_measured) {
            grader.deny_all(located("rl", m.end, m.fiber, m.wavelength_nm));
        }
    }

    for (const auto& [key, group] : per_end_wavelength) {
        if (group.il_count == 0)
            continue;
        grader.at_most(located("il_mean", key.first, std::nullopt, key.second),
                       group.il_sum_db / group.il_count, &GradeLimits::il_typical_db,
                       guard_band_db);
    }

    for (const auto& stat : repeatability_stats(run.measurements)) {
        if (stat.matings < 2)
            continue;
        grader.at_most(located("repeatability", stat.end, stat.fiber, stat.wavelength_nm),
                       stat.range_db, &GradeLimits::repeatability_max_db, 0.0);
    }

    return std::move(grader).result(part.target);
}

void apply_grade(RunRecord& run, const LimitSet& limits) {
    auto result = grade_run(run, limits);
    run.grade = result.grade;
    run.pass = result.pass;
    run.failures = std::move(result.failures);
    run.limit_set_name = limits.name;
    run.limit_set_version = limits.version;
    run.limit_set_hash = limits.hash;
}

}  // namespace mpobench::analysis
