#include "analysis/qa.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

namespace mpobench::analysis {

namespace {

std::optional<double> ratio(std::int64_t numerator, std::int64_t denominator) {
    if (denominator == 0) {
        return std::nullopt;
    }
    return static_cast<double>(numerator) / static_cast<double>(denominator);
}

// A strict YYYY-MM-DD calendar date.
std::chrono::year_month_day parse_day(const std::string& day) {
    const auto bad = [&day]() {
        return std::invalid_argument("not a YYYY-MM-DD date: '" + day + "'");
    };
    if (day.size() != 10 || day[4] != '-' || day[7] != '-') {
        throw bad();
    }
    const auto number = [&](std::size_t at, std::size_t length) {
        if (!std::all_of(day.begin() + static_cast<std::ptrdiff_t>(at),
                         day.begin() + static_cast<std::ptrdiff_t>(at + length),
                         [](char c) { return c >= '0' && c <= '9'; })) {
            throw bad();
        }
        int value = 0;
        std::from_chars(day.data() + at, day.data() + at + length, value);
        return value;
    };
    const std::chrono::year_month_day date{std::chrono::year{number(0, 4)},
                                           std::chrono::month{static_cast<unsigned>(number(5, 2))},
                                           std::chrono::day{static_cast<unsigned>(number(8, 2))}};
    if (!date.ok()) {
        throw bad();
    }
    return date;
}

}  // namespace

std::optional<double> YieldCounts::first_pass_yield() const {
    return ratio(first_passed, first_tested);
}

std::optional<double> YieldCounts::final_yield() const {
    return ratio(final_passed, final_tested);
}

std::optional<double> YieldCounts::run_yield() const {
    return ratio(passed, completed);
}

YieldCounts& YieldCounts::operator+=(const YieldCounts& other) {
    completed += other.completed;
    passed += other.passed;
    aborted += other.aborted;
    interrupted += other.interrupted;
    first_tested += other.first_tested;
    first_passed += other.first_passed;
    final_tested += other.final_tested;
    final_passed += other.final_passed;
    for (std::size_t g = 0; g < grades.size(); ++g) {
        grades[g] += other.grades[g];
    }
    retries += other.retries;
    return *this;
}

std::optional<double> YieldCounts::retries_per_run() const {
    const std::int64_t runs = completed + aborted + interrupted;
    if (runs == 0)
        return std::nullopt;
    return static_cast<double>(retries) / static_cast<double>(runs);
}

std::optional<Grouping> parse_grouping(std::string_view text) {
    static constexpr std::pair<std::string_view, Grouping> kNames[] = {
        {"total", Grouping::Total},     {"day", Grouping::Day},
        {"week", Grouping::Week},       {"part", Grouping::Part},
        {"station", Grouping::Station}, {"operator", Grouping::Operator},
        {"grade", Grouping::Grade},
    };
    for (const auto& [name, grouping] : kNames) {
        if (text == name) {
            return grouping;
        }
    }
    return std::nullopt;
}

std::string iso_week(const std::string& day) {
    using namespace std::chrono;
    const sys_days date{parse_day(day)};
    // An ISO week belongs to the year that holds its Thursday.
    const auto days_since_monday = (weekday{date} - Monday).count();
    const sys_days thursday = date - days{days_since_monday} + days{3};
    const year week_year = year_month_day{thursday}.year();
    const auto week = (thursday - sys_days{week_year / January / 1}).count() / 7 + 1;
    return fmt::format("{:04d}-W{:02d}", static_cast<int>(week_year), week);
}

std::string_view failure_cause(FailureCause failure_what) {
    // rl, polarity, continuity and repeatability are causes as they are.
    return failure_what == FailureCause::IlMean ? to_string(FailureCause::Il)
                                                : to_string(failure_what);
}

namespace {

// The text a bucket is grouped under (Total, Day, Week, Part, Station, Operator).
std::string group_of(const BucketKey& key, Grouping grouping) {
    switch (grouping) {
        case Grouping::Total:
            return "all";
        case Grouping::Day:
            return key.day;
        case Grouping::Week:
            return iso_week(key.day);
        case Grouping::Part:
            return key.part_number;
        case Grouping::Station:
            return key.station;
        case Grouping::Operator:
            return key.operator_name;
        case Grouping::Grade:
            break;
    }
    throw std::invalid_argument(
        fmt::format("group_yield: no bucket key for grouping {}", static_cast<int>(grouping)));
}

// Rows sorted by count descending, each with its share of the table's total
// and the running share; equal counts keep the map's key order.
template <typename Key, typename Name>
std::vector<ParetoRow> pareto_rows(const std::map<Key, std::int64_t>& counts, Name name) {
    std::vector<std::pair<Key, std::int64_t>> sorted(counts.begin(), counts.end());
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::int64_t total = 0;
    for (const auto& entry : sorted) {
        total += entry.second;
    }
    std::vector<ParetoRow> rows;
    rows.reserve(sorted.size());
    std::int64_t running = 0;
    for (const auto& [key, count] : sorted) {
        running += count;
        ParetoRow row;
        row.item = name(key);
        row.count = count;
        row.share = static_cast<double>(count) / static_cast<double>(total);
        row.cumulative = static_cast<double>(running) / static_cast<double>(total);
        rows.push_back(std::move(row));
    }
    return rows;
}

// One period of one wavelength: the merged buckets.
struct PeriodSums {
    std::int64_t count = 0;
    double sum_db = 0.0, sum_squares_db = 0.0;
    double max_db = -std::numeric_limits<double>::infinity();
    IlHistogram histogram;
};

TrendPoint trend_point(const std::string& period, const PeriodSums& sums) {
    TrendPoint point;
    point.period = period;
    point.count = sums.count;
    const auto n = static_cast<double>(sums.count);
    point.mean_db = sums.sum_db / n;
    if (sums.count > 1) {
        // Sample variance from the sums; rounding can leave a tiny negative
        // value when every reading is the same.
        const double variance = (sums.sum_squares_db - sums.sum_db * sums.sum_db / n) / (n - 1);
        point.sigma_db = variance > 0.0 ? std::sqrt(variance) : 0.0;
    }
    // No histogram stored with the buckets: no percentile to read.
    point.p97_db = sums.histogram.quantile_db(0.97).value_or(std::nan(""));
    point.max_db = sums.max_db;
    return point;
}

// Western Electric rules over the points, each flagged on the point that
// completes its pattern (and on every later point that completes it again).
// Windows at the start of the series are the points there are so far.
void apply_spc_rules(TrendSeries& series, double sigma_db) {
    auto& points = series.points;
    // +1 above the centre beyond k sigma, -1 below, 0 within.
    const auto zone = [&](std::size_t i, double k) {
        const double deviation = points[i].mean_db - series.centre_db;
        if (deviation > k * sigma_db) {
            return 1;
        }
        if (deviation < -k * sigma_db) {
            return -1;
        }
        return 0;
    };
    // Whether point i is beyond k sigma and at least `needed` of the
    // `window` points ending at i are beyond k sigma on its side.
    const auto several_beyond = [&](std::size_t i, double k, std::size_t window,
                                    std::size_t needed) {
        const int side = zone(i, k);
        if (side == 0) {
            return false;
        }
        const std::size_t first = i + 1 >= window ? i + 1 - window : 0;
        std::size_t beyond = 0;
        for (std::size_t j = first; j <= i; ++j) {
            beyond += zone(j, k) == side ? 1 : 0;
        }
        return beyond >= needed;
    };
    constexpr std::size_t kRunLength = 8;
    for (std::size_t i = 0; i < points.size(); ++i) {
        auto& rules = points[i].rules;
        if (zone(i, 3.0) != 0) {
            rules.push_back(SpcRule::BeyondThreeSigma);
        }
        if (several_beyond(i, 2.0, 3, 2)) {
            rules.push_back(SpcRule::TwoOfThreeBeyondTwo);
        }
        if (several_beyond(i, 1.0, 5, 4)) {
            rules.push_back(SpcRule::FourOfFiveBeyondOne);
        }
        if (i + 1 >= kRunLength) {
            const int side = zone(i, 0.0);
            bool same_side = side != 0;
            for (std::size_t j = i + 1 - kRunLength; same_side && j < i; ++j) {
                same_side = zone(j, 0.0) == side;
            }
            if (same_side) {
                rules.push_back(SpcRule::EightOnOneSide);
            }
        }
    }
}

}  // namespace

std::vector<YieldRow> group_yield(const std::vector<YieldBucket>& buckets, Grouping grouping) {
    if (grouping == Grouping::Grade) {
        // A bucket does not know its part's target, so which runs of a grade
        // passed is unknown: only completed and grades[] are filled.
        YieldCounts total;
        for (const auto& bucket : buckets) {
            total += bucket.counts;
        }
        std::vector<YieldRow> rows;
        for (const Grade grade : {Grade::Elite, Grade::Standard, Grade::Generic, Grade::Fail}) {
            const auto index = static_cast<std::size_t>(grade);
            if (total.grades[index] == 0) {
                continue;
            }
            YieldRow row;
            row.group = std::string(to_string(grade));
            row.counts.completed = total.grades[index];
            row.counts.grades[index] = total.grades[index];
            rows.push_back(std::move(row));
        }
        return rows;
    }
    // ISO dates and weeks sort as text in time order.
    std::map<std::string, YieldCounts> groups;
    for (const auto& bucket : buckets) {
        groups[group_of(bucket.key, grouping)] += bucket.counts;
    }
    std::vector<YieldRow> rows;
    rows.reserve(groups.size());
    for (auto& [group, counts] : groups) {
        rows.push_back(YieldRow{group, counts});
    }
    return rows;
}

Pareto make_pareto(const std::vector<YieldBucket>& yield, const std::vector<CauseBucket>& causes,
                   const std::vector<FailureBucket>& failures) {
    Pareto pareto;
    for (const auto& bucket : yield) {
        pareto.completed_runs += bucket.counts.completed;
        pareto.failed_runs += bucket.counts.completed - bucket.counts.passed;
    }
    std::map<std::string, std::int64_t> runs_by_cause;
    for (const auto& bucket : causes) {
        runs_by_cause[bucket.cause] += bucket.runs;
    }
    // Ties: end A before B (a failure without an end, first), then fibre.
    std::map<std::pair<std::optional<End>, int>, std::int64_t> by_position;
    std::map<int, std::int64_t> by_wavelength;
    for (const auto& bucket : failures) {
        if (bucket.fiber != 0) {
            by_position[{bucket.end, bucket.fiber}] += bucket.failures;
        }
        if (bucket.wavelength_nm != 0) {
            by_wavelength[bucket.wavelength_nm] += bucket.failures;
        }
    }
    pareto.by_cause = pareto_rows(runs_by_cause, [](const std::string& cause) { return cause; });
    pareto.by_position = pareto_rows(by_position, [](const auto& position) {
        const auto& [end, fiber] = position;
        return fmt::format("{}:{}", end ? to_string(*end) : "-", fiber);
    });
    pareto.by_wavelength = pareto_rows(
        by_wavelength, [](int wavelength_nm) { return fmt::format("{}", wavelength_nm); });
    return pareto;
}

std::string_view to_string(SpcRule rule) {
    switch (rule) {
        case SpcRule::BeyondThreeSigma:
            return "rule1: beyond 3 sigma";
        case SpcRule::TwoOfThreeBeyondTwo:
            return "rule2: 2 of 3 beyond 2 sigma";
        case SpcRule::FourOfFiveBeyondOne:
            return "rule3: 4 of 5 beyond 1 sigma";
        case SpcRule::EightOnOneSide:
            return "rule4: 8 on one side";
    }
    return "rule?";
}

std::vector<TrendSeries> il_trend(const std::vector<IlBucket>& buckets, Grouping grouping) {
    if (grouping != Grouping::Day && grouping != Grouping::Week) {
        throw std::invalid_argument(fmt::format(
            "il_trend: grouping {} is not a period (day or week)", static_cast<int>(grouping)));
    }
    // wavelength -> period -> sums; ISO days and weeks sort in time order.
    // Buckets without readings add nothing.
    std::map<int, std::map<std::string, PeriodSums>> sums;
    for (const auto& bucket : buckets) {
        if (bucket.count == 0) {
            continue;
        }
        const auto period = grouping == Grouping::Day ? bucket.key.day : iso_week(bucket.key.day);
        auto& period_sums = sums[bucket.wavelength_nm][period];
        period_sums.count += bucket.count;
        period_sums.sum_db += bucket.sum_db;
        period_sums.sum_squares_db += bucket.sum_squares_db;
        period_sums.max_db = std::max(period_sums.max_db, bucket.max_db);
        period_sums.histogram += bucket.histogram;
    }
    std::vector<TrendSeries> result;
    for (const auto& [wavelength_nm, periods] : sums) {
        TrendSeries series;
        series.wavelength_nm = wavelength_nm;
        for (const auto& [period, period_sums] : periods) {
            series.points.push_back(trend_point(period, period_sums));
            series.histogram += period_sums.histogram;
        }
        const auto& points = series.points;
        double sum_of_means = 0.0;
        for (const auto& point : points) {
            sum_of_means += point.mean_db;
        }
        series.centre_db = sum_of_means / static_cast<double>(points.size());
        series.ucl_db = series.lcl_db = series.centre_db;
        if (points.size() >= 2) {
            double sum_of_ranges = 0.0;
            for (std::size_t i = 1; i < points.size(); ++i) {
                sum_of_ranges += std::abs(points[i].mean_db - points[i - 1].mean_db);
            }
            // d2 for moving ranges of two points.
            constexpr double kD2 = 1.128;
            const double sigma_db = sum_of_ranges / static_cast<double>(points.size() - 1) / kD2;
            series.ucl_db = series.centre_db + 3.0 * sigma_db;
            series.lcl_db = series.centre_db - 3.0 * sigma_db;
            apply_spc_rules(series, sigma_db);
        }
        result.push_back(std::move(series));
    }
    return result;
}

// ---- RL

namespace {

void keep_lowest(std::optional<double>& lowest, std::optional<double> candidate) {
    if (candidate && (!lowest || *candidate < *lowest)) {
        lowest = candidate;
    }
}

}  // namespace

void RlStats::add_value(double rl_db) {
    ++values;
    keep_lowest(worst_db, rl_db);
}

void RlStats::add_bound(double rl_above_db) {
    ++above_range;
    keep_lowest(lowest_bound_db, rl_above_db);
}

std::optional<double> RlStats::censored_share() const {
    if (readings() == 0) {
        return std::nullopt;
    }
    return static_cast<double>(above_range) / static_cast<double>(readings());
}

RlStats& RlStats::operator+=(const RlStats& other) {
    values += other.values;
    above_range += other.above_range;
    keep_lowest(worst_db, other.worst_db);
    keep_lowest(lowest_bound_db, other.lowest_bound_db);
    return *this;
}

std::vector<RlSeries> rl_trend(const std::vector<RlBucket>& buckets, Grouping grouping) {
    if (grouping != Grouping::Day && grouping != Grouping::Week) {
        throw std::invalid_argument(fmt::format(
            "rl_trend: grouping {} is not a period (day or week)", static_cast<int>(grouping)));
    }
    std::map<int, std::map<std::string, RlStats>> periods_by_wavelength;
    for (const auto& bucket : buckets) {
        if (bucket.stats.readings() == 0) {
            continue;
        }
        const auto period = grouping == Grouping::Day ? bucket.key.day : iso_week(bucket.key.day);
        periods_by_wavelength[bucket.wavelength_nm][period] += bucket.stats;
    }
    std::vector<RlSeries> result;
    for (const auto& [wavelength_nm, periods] : periods_by_wavelength) {
        RlSeries series;
        series.wavelength_nm = wavelength_nm;
        for (const auto& [period, stats] : periods) {
            series.points.push_back({period, stats});
            series.total += stats;
        }
        result.push_back(std::move(series));
    }
    return result;
}

}  // namespace mpobench::analysis
