#include "analysis/grading.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "analysis/repeatability.hpp"

namespace mpobench::analysis {
namespace {

constexpr std::array<Grade, 3> kGrades{Grade::Generic, Grade::Standard, Grade::Elite};

// FailureCause is declared in the order failures are listed.
auto sort_key(const Failure& failure) {
    return std::make_tuple(failure.end, failure.wavelength_nm, failure.fiber, failure.what);
}

Failure located(FailureCause what, End end, std::optional<int> fiber,
                std::optional<int> wavelength_nm) {
    Failure failure;
    failure.what = what;
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

    // value must not be below the limit of each grade that sets one.
    void at_least(Failure failure, double value, std::optional<double> GradeLimits::*limit) {
        check(std::move(failure), value, [&](Grade grade) {
            const auto bound = limit_set_.limits(grade, mode_).*limit;
            return bound ? std::make_pair(value >= *bound - kLimitTolerance_db, *bound)
                         : std::make_pair(true, 0.0);
        });
    }

    // A value known only to be greater than `above` meets every limit of a
    // grade at or below it; a higher limit is neither met nor missed, which
    // leaves that grade undecided.
    void above_at_least(const std::string& where, double above,
                        std::optional<double> GradeLimits::*limit) {
        for (const Grade grade : kGrades) {
            const auto bound = limit_set_.limits(grade, mode_).*limit;
            if (!bound || *bound <= above + kLimitTolerance_db)
                continue;
            auto& undecided = undecided_[index(grade)];
            if (undecided.empty())
                undecided = fmt::format(
                    "{} is beyond the RL module's range (> {:.1f} dB), which cannot tell "
                    "whether it meets the {} minimum of {:.1f} dB",
                    where, above, to_string(grade), *bound);
        }
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
            if (denied_[index(grade)])
                continue;
            // Met as far as it is known, but a bound cannot say whether it is met.
            if (!undecided_[index(grade)].empty())
                throw CannotGrade(fmt::format("cannot grade: {}", undecided_[index(grade)]));
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
    std::array<std::string, 3> undecided_{};  // why, where a bound leaves a grade undecided
    std::map<std::tuple<std::optional<End>, std::optional<int>, std::optional<int>, FailureCause>,
             Failure>
        failures_;
};

bool finite(const std::optional<double>& value) {
    return value && std::isfinite(*value);
}

std::string place_text(End end, int fiber, int wavelength_nm) {
    return fmt::format("end {} fibre {} {} nm", to_string(end), fiber, wavelength_nm);
}

std::string place_text(const Measurement& m) {
    return fmt::format("RL at {}", place_text(m.end, m.fiber, m.wavelength_nm));
}

// "A, B and 3 more" of the first few of a list.
std::string first_few(const std::vector<std::string>& items) {
    constexpr std::size_t kNamed = 3;
    std::string text;
    for (std::size_t i = 0; i < std::min(items.size(), kNamed); ++i)
        text += (i == 0 ? "" : ", ") + items[i];
    if (items.size() > kNamed)
        text += fmt::format(" and {} more", items.size() - kNamed);
    return text;
}

}  // namespace

void check_complete(const RunRecord& run, const LimitSet& limits) {
    if (run.kind != RunKind::Production)
        return;
    const Part& part = run.part;
    const auto wavelengths =
        part.wavelengths_nm.empty() ? default_wavelengths_nm(part.mode) : part.wavelengths_nm;
    const bool rl_required = requires_rl(limits, part.mode);
    std::map<std::tuple<End, int, int>, const Measurement*> production;
    for (const auto& m : run.measurements) {
        if (m.cycle == 0)
            production.try_emplace(std::make_tuple(m.end, m.wavelength_nm, m.fiber), &m);
    }
    std::vector<std::string> unmeasured, without_rl;
    for (const End end : {End::A, End::B}) {
        for (const int wavelength_nm : wavelengths) {
            for (int fiber = 1; fiber <= part.fibers; ++fiber) {
                const auto found = production.find({end, wavelength_nm, fiber});
                if (found == production.end()) {
                    unmeasured.push_back(place_text(end, fiber, wavelength_nm));
                    continue;
                }
                const Measurement& m = *found->second;
                if (rl_required && m.status == ReadingStatus::Ok && !m.rl_db && !m.rl_above_db)
                    without_rl.push_back(place_text(end, fiber, wavelength_nm));
            }
        }
    }
    if (!unmeasured.empty()) {
        throw CannotGrade(fmt::format(
            "cannot grade: no measurement at {} (of {} fibres x {} x "
            "ends A and B, every one needed)",
            first_few(unmeasured), part.fibers, fmt::format("{} nm", fmt::join(wavelengths, "/"))));
    }
    if (!without_rl.empty()) {
        const bool has_rl_module = std::any_of(
            run.instruments.begin(), run.instruments.end(), [](const InstrumentRecord& instrument) {
                return instrument.role == InstrumentRole::ReturnLossMeter;
            });
        throw CannotGrade(
            fmt::format("cannot grade: no RL at {} ({}; limit set {} {} has RL minimums for {})",
                        first_few(without_rl),
                        has_rl_module ? "no reading from the RL module" : "bench has no RL module",
                        limits.name, limits.version, to_string(part.mode)));
    }
}

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
    for (const auto& m : run.measurements) {
        if (m.fiber < 1 || m.fiber > part.fibers) {
            throw std::invalid_argument(fmt::format(
                "run of {}: end {} fibre {} at {} nm is outside fibres 1..{} of part {}",
                run.serial, to_string(m.end), m.fiber, m.wavelength_nm, part.fibers, part.number));
        }
    }
    check_complete(run, limits);
    const double guard_band_db = limits.guard_band_db;
    Grader grader(limits, part.mode);

    struct EndWavelength {
        double il_sum_db = 0.0;
        int il_count = 0;
        bool rl_measured = false;
    };
    std::map<std::pair<End, int>, EndWavelength> per_end_wavelength;

    // A dark fibre or a miswired end is one fault however many readings
    // show it: listed once, not once per wavelength and mating.
    std::map<std::pair<End, int>, std::set<int>> wavelengths_of_fiber, dark_wavelengths_of_fiber;
    std::set<End> miswired_ends;
    for (const auto& m : run.measurements) {
        const auto here = [&](FailureCause what, std::optional<int> fiber) {
            return located(what, m.end, fiber, m.wavelength_nm);
        };
        wavelengths_of_fiber[{m.end, m.fiber}].insert(m.wavelength_nm);
        if (m.status == ReadingStatus::NoLight || m.far_position == 0) {
            dark_wavelengths_of_fiber[{m.end, m.fiber}].insert(m.wavelength_nm);
        } else if (m.far_position !=
                   expected[m.end == End::A ? 0 : 1][static_cast<std::size_t>(m.fiber - 1)]) {
            miswired_ends.insert(m.end);
        }
        const bool il_valid = finite(m.il_db);
        if (m.status != ReadingStatus::NoLight && !il_valid)
            grader.deny_all(here(FailureCause::Il, m.fiber));
        // A bad status behind a good IL was the RL reading's.
        const bool bad_status =
            m.status == ReadingStatus::Overrange || m.status == ReadingStatus::Invalid;
        if (bad_status && il_valid && !finite(m.rl_db))
            grader.deny_all(here(FailureCause::Rl, m.fiber));

        if (m.cycle != 0)
            continue;  // later matings only feed repeatability
        auto& group = per_end_wavelength[{m.end, m.wavelength_nm}];
        if (il_valid) {
            grader.at_most(here(FailureCause::Il, m.fiber), *m.il_db, &GradeLimits::il_max_db,
                           guard_band_db);
            group.il_sum_db += *m.il_db;
            ++group.il_count;
        }
        if (m.rl_db) {
            group.rl_measured = true;
            if (finite(m.rl_db))
                grader.at_least(here(FailureCause::Rl, m.fiber), *m.rl_db, &GradeLimits::rl_min_db);
            else
                grader.deny_all(here(FailureCause::Rl, m.fiber));
        } else if (m.rl_above_db) {
            group.rl_measured = true;
            if (finite(m.rl_above_db))
                grader.above_at_least(place_text(m), *m.rl_above_db, &GradeLimits::rl_min_db);
            else
                grader.deny_all(here(FailureCause::Rl, m.fiber));
        }
    }

    for (const auto& [end_fiber, dark] : dark_wavelengths_of_fiber) {
        const auto& [end, fiber] = end_fiber;
        if (dark == wavelengths_of_fiber[end_fiber]) {
            grader.deny_all(located(FailureCause::Continuity, end, fiber, std::nullopt));
        } else {
            for (const int wavelength_nm : dark)
                grader.deny_all(located(FailureCause::Continuity, end, fiber, wavelength_nm));
        }
    }
    for (const End end : miswired_ends)
        grader.deny_all(located(FailureCause::Polarity, end, std::nullopt, std::nullopt));

    // Where RL was measured on an end at a wavelength, every lit fibre there needs one.
    for (const auto& m : run.measurements) {
        if (m.cycle == 0 && m.status != ReadingStatus::NoLight && !m.rl_db && !m.rl_above_db &&
            per_end_wavelength[{m.end, m.wavelength_nm}].rl_measured) {
            grader.deny_all(located(FailureCause::Rl, m.end, m.fiber, m.wavelength_nm));
        }
    }

    for (const auto& [key, group] : per_end_wavelength) {
        if (group.il_count == 0)
            continue;
        grader.at_most(located(FailureCause::IlMean, key.first, std::nullopt, key.second),
                       group.il_sum_db / group.il_count, &GradeLimits::il_typical_db,
                       guard_band_db);
    }

    for (const auto& stat : repeatability_stats(run.measurements)) {
        if (stat.matings < 2)
            continue;
        grader.at_most(
            located(FailureCause::Repeatability, stat.end, stat.fiber, stat.wavelength_nm),
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
