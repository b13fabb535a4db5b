#include <catch2/catch.hpp>

#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/qa.hpp"

using namespace mpobench;
using namespace mpobench::analysis;

namespace {

BucketKey key(std::string day, std::string part = "P1", std::string station = "bench-1",
              std::string operator_name = "ada") {
    return BucketKey{std::move(day), std::move(part), std::move(station), std::move(operator_name)};
}

YieldCounts counts(std::int64_t completed, std::int64_t passed) {
    YieldCounts c;
    c.completed = completed;
    c.passed = passed;
    return c;
}

// A bucket holding exactly these readings, as db would roll them up.
IlBucket il_bucket(std::string day, int wavelength_nm, const std::vector<double>& readings_db,
                   std::string station = "bench-1") {
    IlBucket bucket;
    bucket.key = key(std::move(day), "P1", std::move(station));
    bucket.wavelength_nm = wavelength_nm;
    for (const double il_db : readings_db) {
        if (bucket.count == 0 || il_db < bucket.min_db) {
            bucket.min_db = il_db;
        }
        if (bucket.count == 0 || il_db > bucket.max_db) {
            bucket.max_db = il_db;
        }
        ++bucket.count;
        bucket.sum_db += il_db;
        bucket.sum_squares_db += il_db * il_db;
        bucket.histogram.add(il_db);
    }
    return bucket;
}

// One reading a day from 2026-01-01 on: a chart whose points are these means.
std::vector<IlBucket> daily_means(const std::vector<double>& means_db) {
    REQUIRE(means_db.size() <= 31);
    std::vector<IlBucket> buckets;
    for (std::size_t i = 0; i < means_db.size(); ++i) {
        const auto day = std::to_string(i + 1);
        buckets.push_back(
            il_bucket("2026-01-" + std::string(2 - day.size(), '0') + day, 1310, {means_db[i]}));
    }
    return buckets;
}

// 20 points alternating 1.0 / 1.2 dB (sum 22, 19 moving ranges of 0.2),
// then the given points.
std::vector<double> baseline_then(const std::vector<double>& tail_db) {
    std::vector<double> means_db;
    for (int i = 0; i < 10; ++i) {
        means_db.push_back(1.0);
        means_db.push_back(1.2);
    }
    means_db.insert(means_db.end(), tail_db.begin(), tail_db.end());
    return means_db;
}

TrendSeries chart(const std::vector<double>& means_db) {
    const auto series = il_trend(daily_means(means_db), Grouping::Day);
    REQUIRE(series.size() == 1);
    REQUIRE(series[0].points.size() == means_db.size());
    return series[0];
}

// Indices of the points that break `rule`.
std::vector<std::size_t> breaking(const TrendSeries& series, SpcRule rule) {
    std::vector<std::size_t> indices;
    for (std::size_t i = 0; i < series.points.size(); ++i) {
        for (const SpcRule broken : series.points[i].rules) {
            if (broken == rule) {
                indices.push_back(i);
            }
        }
    }
    return indices;
}

std::size_t rules_broken(const TrendSeries& series) {
    std::size_t total = 0;
    for (const auto& point : series.points) {
        total += point.rules.size();
    }
    return total;
}

}  // namespace

TEST_CASE("yield counts add up and give yields", "[qa][yield]") {
    YieldCounts a;
    a.completed = 5;
    a.passed = 4;
    a.aborted = 1;
    a.interrupted = 2;
    a.first_tested = 4;
    a.first_passed = 3;
    a.final_tested = 4;
    a.final_passed = 4;
    a.grades = {1, 0, 1, 3};
    YieldCounts b;
    b.completed = 3;
    b.passed = 1;
    b.aborted = 2;
    b.first_tested = 3;
    b.first_passed = 1;
    b.final_tested = 2;
    b.final_passed = 1;
    b.grades = {2, 0, 1, 0};

    a += b;
    CHECK(a.completed == 8);
    CHECK(a.passed == 5);
    CHECK(a.aborted == 3);
    CHECK(a.interrupted == 2);
    CHECK(a.first_tested == 7);
    CHECK(a.first_passed == 4);
    CHECK(a.final_tested == 6);
    CHECK(a.final_passed == 5);
    CHECK(a.grades == std::array<std::int64_t, 4>{3, 0, 2, 3});
    CHECK(a.retests() == 1);
    CHECK(a.run_yield() == Approx(5.0 / 8));
    CHECK(a.first_pass_yield() == Approx(4.0 / 7));
    CHECK(a.final_yield() == Approx(5.0 / 6));
}

TEST_CASE("yields of nothing are unknown, not zero", "[qa][yield]") {
    const YieldCounts none;
    CHECK_FALSE(none.run_yield().has_value());
    CHECK_FALSE(none.first_pass_yield().has_value());
    CHECK_FALSE(none.final_yield().has_value());
    CHECK(group_yield({}, Grouping::Total).empty());
    CHECK(group_yield({}, Grouping::Grade).empty());

    // Only aborted runs: still no yield.
    YieldCounts aborted_only;
    aborted_only.aborted = 3;
    CHECK_FALSE(aborted_only.run_yield().has_value());
}

TEST_CASE("a retest moves the final outcome to its own bucket", "[qa][yield]") {
    // Day 1: serial X fails, serial Y passes. Day 2: X is retested and passes.
    YieldCounts day1 = counts(2, 1);
    day1.first_tested = 2;
    day1.first_passed = 1;
    day1.final_tested = 1;  // Y only: X's final run is on day 2
    day1.final_passed = 1;
    day1.grades = {1, 0, 0, 1};
    YieldCounts day2 = counts(1, 1);
    day2.final_tested = 1;
    day2.final_passed = 1;
    day2.grades = {0, 0, 0, 1};
    const std::vector<YieldBucket> buckets{{key("2026-11-23"), day1}, {key("2026-11-24"), day2}};

    const auto days = group_yield(buckets, Grouping::Day);
    REQUIRE(days.size() == 2);
    CHECK(days[0].counts.first_pass_yield() == Approx(0.5));
    CHECK(days[0].counts.final_yield() == Approx(1.0));
    CHECK(days[0].counts.retests() == 0);
    CHECK_FALSE(days[1].counts.first_pass_yield().has_value());
    CHECK(days[1].counts.final_yield() == Approx(1.0));
    CHECK(days[1].counts.retests() == 1);

    const auto total = group_yield(buckets, Grouping::Total);
    REQUIRE(total.size() == 1);
    CHECK(total[0].group == "all");
    CHECK(total[0].counts.first_pass_yield() == Approx(0.5));  // 1 of 2 serials first time
    CHECK(total[0].counts.final_yield() == Approx(1.0));       // 2 of 2 in the end
    CHECK(total[0].counts.run_yield() == Approx(2.0 / 3));     // 2 of 3 runs
    CHECK(total[0].counts.retests() == 1);
}

TEST_CASE("group_yield sums buckets under every grouping", "[qa][yield]") {
    YieldCounts c1 = counts(4, 3);
    c1.aborted = 1;
    c1.grades = {1, 0, 1, 2};
    YieldCounts c2 = counts(2, 2);
    c2.interrupted = 1;
    c2.grades = {0, 0, 0, 2};
    YieldCounts c3 = counts(5, 1);
    c3.grades = {4, 0, 0, 1};
    YieldCounts c4 = counts(1, 1);
    c4.grades = {0, 1, 0, 0};
    // 2026-12-27 is a Sunday (2026-W52); 2026-12-28 .. 2027-01-03 is
    // 2026-W53; 2027-01-04 starts 2027-W01.
    const std::vector<YieldBucket> buckets{
        {key("2027-01-04", "P2", "bench-2", "bob"), c4},
        {key("2027-01-01", "P1", "bench-1", "bob"), c3},
        {key("2026-12-28", "P2", "bench-1", "ada"), c2},
        {key("2026-12-27", "P1", "bench-1", "ada"), c1},
    };

    SECTION("total") {
        const auto rows = group_yield(buckets, Grouping::Total);
        REQUIRE(rows.size() == 1);
        CHECK(rows[0].group == "all");
        CHECK(rows[0].counts.completed == 12);
        CHECK(rows[0].counts.passed == 7);
        CHECK(rows[0].counts.aborted == 1);
        CHECK(rows[0].counts.interrupted == 1);
        CHECK(rows[0].counts.grades == std::array<std::int64_t, 4>{5, 1, 1, 5});
    }
    SECTION("day, in time order") {
        const auto rows = group_yield(buckets, Grouping::Day);
        REQUIRE(rows.size() == 4);
        CHECK(rows[0].group == "2026-12-27");
        CHECK(rows[0].counts.completed == 4);
        CHECK(rows[1].group == "2026-12-28");
        CHECK(rows[2].group == "2027-01-01");
        CHECK(rows[3].group == "2027-01-04");
        CHECK(rows[3].counts.passed == 1);
    }
    SECTION("week across the year boundary") {
        const auto rows = group_yield(buckets, Grouping::Week);
        REQUIRE(rows.size() == 3);
        CHECK(rows[0].group == "2026-W52");
        CHECK(rows[0].counts.completed == 4);
        CHECK(rows[1].group == "2026-W53");  // 2026-12-28 and 2027-01-01
        CHECK(rows[1].counts.completed == 7);
        CHECK(rows[1].counts.passed == 3);
        CHECK(rows[1].counts.interrupted == 1);
        CHECK(rows[2].group == "2027-W01");
        CHECK(rows[2].counts.completed == 1);
    }
    SECTION("part") {
        const auto rows = group_yield(buckets, Grouping::Part);
        REQUIRE(rows.size() == 2);
        CHECK(rows[0].group == "P1");
        CHECK(rows[0].counts.completed == 9);
        CHECK(rows[0].counts.passed == 4);
        CHECK(rows[1].group == "P2");
        CHECK(rows[1].counts.completed == 3);
        CHECK(rows[1].counts.passed == 3);
    }
    SECTION("station") {
        const auto rows = group_yield(buckets, Grouping::Station);
        REQUIRE(rows.size() == 2);
        CHECK(rows[0].group == "bench-1");
        CHECK(rows[0].counts.completed == 11);
        CHECK(rows[1].group == "bench-2");
        CHECK(rows[1].counts.completed == 1);
    }
    SECTION("operator") {
        const auto rows = group_yield(buckets, Grouping::Operator);
        REQUIRE(rows.size() == 2);
        CHECK(rows[0].group == "ada");
        CHECK(rows[0].counts.completed == 6);
        CHECK(rows[0].counts.aborted == 1);
        CHECK(rows[1].group == "bob");
        CHECK(rows[1].counts.completed == 6);
        CHECK(rows[1].counts.passed == 2);
    }
    SECTION("grade: best first, runs of each grade") {
        const auto rows = group_yield(buckets, Grouping::Grade);
        REQUIRE(rows.size() == 4);
        CHECK(rows[0].group == "elite");
        CHECK(rows[0].counts.completed == 5);
        CHECK(rows[0].counts.grades == std::array<std::int64_t, 4>{0, 0, 0, 5});
        CHECK(rows[1].group == "standard");
        CHECK(rows[1].counts.completed == 1);
        CHECK(rows[2].group == "generic");
        CHECK(rows[2].counts.completed == 1);
        CHECK(rows[3].group == "fail");
        CHECK(rows[3].counts.completed == 5);
        CHECK(rows[3].counts.grades == std::array<std::int64_t, 4>{5, 0, 0, 0});
        for (const auto& row : rows) {
            CHECK(row.counts.passed == 0);
            CHECK(row.counts.aborted == 0);
            CHECK(row.counts.first_tested == 0);
        }
    }
    SECTION("grade: grades without runs have no row") {
        const auto rows = group_yield({buckets[1]}, Grouping::Grade);
        REQUIRE(rows.size() == 2);
        CHECK(rows[0].group == "elite");
        CHECK(rows[0].counts.completed == 1);
        CHECK(rows[1].group == "fail");
        CHECK(rows[1].counts.completed == 4);
    }
}

TEST_CASE("groupings are parsed by name", "[qa][yield]") {
    CHECK(parse_grouping("total") == Grouping::Total);
    CHECK(parse_grouping("day") == Grouping::Day);
    CHECK(parse_grouping("week") == Grouping::Week);
    CHECK(parse_grouping("part") == Grouping::Part);
    CHECK(parse_grouping("station") == Grouping::Station);
    CHECK(parse_grouping("operator") == Grouping::Operator);
    CHECK(parse_grouping("grade") == Grouping::Grade);
    CHECK_FALSE(parse_grouping("month").has_value());
    CHECK_FALSE(parse_grouping("Day").has_value());
    CHECK_FALSE(parse_grouping("").has_value());
    // A value outside the enumeration (a cast from stored text gone wrong).
    CHECK_THROWS_AS(group_yield({{key("2026-11-24"), counts(1, 1)}}, static_cast<Grouping>(42)),
                    std::invalid_argument);
}

TEST_CASE("iso_week follows ISO 8601 week-years", "[qa][week]") {
    CHECK(iso_week("2026-11-24") == "2026-W48");
    CHECK(iso_week("2026-12-27") == "2026-W52");  // Sunday
    CHECK(iso_week("2026-12-28") == "2026-W53");  // Monday of a 53-week year
    CHECK(iso_week("2027-01-01") == "2026-W53");  // Friday: belongs to last year
    CHECK(iso_week("2027-01-03") == "2026-W53");
    CHECK(iso_week("2027-01-04") == "2027-W01");
    CHECK(iso_week("2024-12-30") == "2025-W01");  // Monday: belongs to next year
    CHECK(iso_week("2024-02-29") == "2024-W09");  // leap day

    for (const std::string bad : {"", "2026-11", "2026/11/24", "2026-13-01", "2026-02-29",
                                  "2026-11-31", "2026-1a-24", "20261124xx", "2026-11-24T00"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(iso_week(bad), std::invalid_argument);
    }
    // A bucket with a bad day cannot be put in a week.
    CHECK_THROWS_AS(group_yield({{key("24.11.2026"), counts(1, 1)}}, Grouping::Week),
                    std::invalid_argument);
}

TEST_CASE("failures are named by cause", "[qa][pareto]") {
    CHECK(failure_cause(FailureCause::Il) == "il");
    CHECK(failure_cause(FailureCause::IlMean) == "il");
    CHECK(failure_cause(FailureCause::Rl) == "rl");
    CHECK(failure_cause(FailureCause::Polarity) == "polarity");
    CHECK(failure_cause(FailureCause::Continuity) == "continuity");
    CHECK(failure_cause(FailureCause::Repeatability) == "repeatability");
}

TEST_CASE("pareto counts, shares and order", "[qa][pareto]") {
    const std::vector<YieldBucket> yield{{key("2026-11-23"), counts(10, 6)},
                                         {key("2026-11-24"), counts(5, 1)}};
    const std::vector<CauseBucket> causes{
        {key("2026-11-23"), "il", 3},         {key("2026-11-23"), "rl", 2},
        {key("2026-11-24"), "il", 2},         {key("2026-11-24"), "polarity", 2},
        {key("2026-11-24"), "continuity", 1},
    };
    const auto failure = [](std::string cause, std::optional<End> end, int fiber, int wavelength_nm,
                            std::int64_t count) {
        return FailureBucket{key("2026-11-23"), std::move(cause), end, fiber, wavelength_nm, count};
    };
    const std::vector<FailureBucket> failures{
        failure("il", End::A, 7, 1550, 3),
        failure("il", End::A, 7, 1310, 1),
        failure("rl", End::B, 2, 1550, 4),
        failure("il", End::B, 1, 1310, 2),
        failure("continuity", End::A, 12, 0, 2),  // no wavelength
        failure("il", End::A, 2, 1310, 2),
        failure("il", End::A, 0, 1550, 1),  // il_mean: no fibre
    };

    const Pareto pareto = make_pareto(yield, causes, failures);
    CHECK(pareto.completed_runs == 15);
    CHECK(pareto.failed_runs == 8);

    // il 5, polarity 2, rl 2 (ties by name), continuity 1 of 10.
    REQUIRE(pareto.by_cause.size() == 4);
    CHECK(pareto.by_cause[0].item == "il");
    CHECK(pareto.by_cause[0].count == 5);
    CHECK(pareto.by_cause[0].share == Approx(0.5));
    CHECK(pareto.by_cause[0].cumulative == Approx(0.5));
    CHECK(pareto.by_cause[1].item == "polarity");
    CHECK(pareto.by_cause[1].share == Approx(0.2));
    CHECK(pareto.by_cause[1].cumulative == Approx(0.7));
    CHECK(pareto.by_cause[2].item == "rl");
    CHECK(pareto.by_cause[2].cumulative == Approx(0.9));
    CHECK(pareto.by_cause[3].item == "continuity");
    CHECK(pareto.by_cause[3].count == 1);
    CHECK(pareto.by_cause[3].cumulative == Approx(1.0));

    // A:7 4, B:2 4, then the 2s by end then fibre number (A:2 before A:12);
    // 14 failures with a fibre.
    REQUIRE(pareto.by_position.size() == 5);
    const std::vector<std::string> positions{"A:7", "B:2", "A:2", "A:12", "B:1"};
    const std::vector<std::int64_t> position_counts{4, 4, 2, 2, 2};
    const std::vector<double> cumulative{4.0 / 14, 8.0 / 14, 10.0 / 14, 12.0 / 14, 1.0};
    for (std::size_t i = 0; i < positions.size(); ++i) {
        CAPTURE(i);
        CHECK(pareto.by_position[i].item == positions[i]);
        CHECK(pareto.by_position[i].count == position_counts[i]);
        CHECK(pareto.by_position[i].share == Approx(static_cast<double>(position_counts[i]) / 14));
        CHECK(pareto.by_position[i].cumulative == Approx(cumulative[i]));
    }

    // 1550: 3 + 4 + 1 = 8; 1310: 1 + 2 + 2 = 5.
    REQUIRE(pareto.by_wavelength.size() == 2);
    CHECK(pareto.by_wavelength[0].item == "1550");
    CHECK(pareto.by_wavelength[0].count == 8);
    CHECK(pareto.by_wavelength[0].share == Approx(8.0 / 13));
    CHECK(pareto.by_wavelength[1].item == "1310");
    CHECK(pareto.by_wavelength[1].count == 5);
    CHECK(pareto.by_wavelength[1].cumulative == Approx(1.0));
}

TEST_CASE("pareto of nothing is empty", "[qa][pareto]") {
    const Pareto pareto = make_pareto({}, {}, {});
    CHECK(pareto.completed_runs == 0);
    CHECK(pareto.failed_runs == 0);
    CHECK(pareto.by_cause.empty());
    CHECK(pareto.by_position.empty());
    CHECK(pareto.by_wavelength.empty());
}

TEST_CASE("IL trend statistics per period", "[qa][trend]") {
    // 1310 nm. 2026-11-23 (two stations): 0.10, 0.20 | 0.30 -> n 3, mean 0.20,
    // sample sd sqrt((0.14 - 0.6^2/3) / 2) = 0.1, p97: the 3rd reading's bin
    // [0.30, 0.31) -> 0.31, max 0.30. 2026-11-24: 0.25, 0.25 -> mean 0.25,
    // sd 0, p97 0.26. 1550 nm: one reading 0.50. A bucket without readings
    // (1625 nm) makes no series.
    const std::vector<IlBucket> buckets{
        il_bucket("2026-11-24", 1310, {0.25, 0.25}),
        il_bucket("2026-11-23", 1550, {0.50}),
        il_bucket("2026-11-23", 1310, {0.10, 0.20}, "bench-1"),
        il_bucket("2026-11-23", 1310, {0.30}, "bench-2"),
        il_bucket("2026-11-23", 1625, {}),
    };

    SECTION("by day") {
        const auto series = il_trend(buckets, Grouping::Day);
        REQUIRE(series.size() == 2);
        const auto& s1310 = series[0];
        CHECK(s1310.wavelength_nm == 1310);
        REQUIRE(s1310.points.size() == 2);
        const auto& first = s1310.points[0];
        CHECK(first.period == "2026-11-23");
        CHECK(first.count == 3);
        CHECK(first.mean_db == Approx(0.20));
        CHECK(first.sigma_db == Approx(0.10));
        CHECK(first.p97_db == Approx(0.31));
        CHECK(first.max_db == Approx(0.30));
        const auto& second = s1310.points[1];
        CHECK(second.period == "2026-11-24");
        CHECK(second.count == 2);
        CHECK(second.mean_db == Approx(0.25));
        CHECK(second.sigma_db == 0.0);  // not NaN from a rounding-negative variance
        CHECK(second.p97_db == Approx(0.26));
        CHECK(second.max_db == Approx(0.25));
        // Centre (0.20 + 0.25) / 2; sigma 0.05 / 1.128; limits +/- 3 sigma.
        CHECK(s1310.centre_db == Approx(0.225));
        CHECK(s1310.ucl_db == Approx(0.225 + 3 * 0.05 / 1.128));
        CHECK(s1310.lcl_db == Approx(0.225 - 3 * 0.05 / 1.128));
        CHECK(first.rules.empty());
        CHECK(second.rules.empty());
        // The series histogram holds all five readings.
        CHECK(s1310.histogram.count() == 5);
        CHECK(s1310.histogram.bin(35) == 2);  // 0.25 dB

        const auto& s1550 = series[1];
        CHECK(s1550.wavelength_nm == 1550);
        REQUIRE(s1550.points.size() == 1);
        CHECK(s1550.points[0].sigma_db == 0.0);
        // One period: no limits, no rules.
        CHECK(s1550.centre_db == Approx(0.50));
        CHECK(s1550.ucl_db == s1550.centre_db);
        CHECK(s1550.lcl_db == s1550.centre_db);
        CHECK(s1550.points[0].rules.empty());
    }
    SECTION("by week") {
        // Both days are in 2026-W48: n 5, mean 1.1 / 5 = 0.22, sd
        // sqrt((0.265 - 1.1^2/5) / 4) = sqrt(0.00575), p97: 5th reading -> 0.31.
        const auto series = il_trend(buckets, Grouping::Week);
        REQUIRE(series.size() == 2);
        REQUIRE(series[0].points.size() == 1);
        const auto& week = series[0].points[0];
        CHECK(week.period == "2026-W48");
        CHECK(week.count == 5);
        CHECK(week.mean_db == Approx(0.22));
        CHECK(week.sigma_db == Approx(std::sqrt(0.00575)));
        CHECK(week.p97_db == Approx(0.31));
        CHECK(week.max_db == Approx(0.30));
        CHECK(series[0].centre_db == Approx(0.22));
        CHECK(series[0].ucl_db == series[0].centre_db);
    }
    SECTION("no buckets, no series") {
        CHECK(il_trend({}, Grouping::Day).empty());
    }
}

TEST_CASE("IL trend needs a period grouping", "[qa][trend]") {
    const std::vector<IlBucket> buckets{il_bucket("2026-11-23", 1310, {0.2})};
    for (const Grouping grouping : {Grouping::Total, Grouping::Part, Grouping::Station,
                                    Grouping::Operator, Grouping::Grade}) {
        CHECK_THROWS_AS(il_trend(buckets, grouping), std::invalid_argument);
    }
}

TEST_CASE("RL statistics keep bounds apart from values", "[qa][trend][rl]") {
    RlStats stats;
    CHECK(stats.readings() == 0);
    CHECK_FALSE(stats.censored_share().has_value());  // unknown, not 0 %
    stats.add_value(68.2);
    stats.add_value(66.9);
    stats.add_bound(75.0);
    stats.add_bound(74.5);
    CHECK(stats.values == 2);
    CHECK(stats.above_range == 2);
    CHECK(stats.readings() == 4);
    // A bound never becomes the worst RL, however low the meter's range.
    CHECK(stats.worst_db == 66.9);
    CHECK(stats.lowest_bound_db == 74.5);
    CHECK(*stats.censored_share() == Approx(0.5));

    RlStats only_bounds;
    only_bounds.add_bound(75.0);
    CHECK_FALSE(only_bounds.worst_db.has_value());
    CHECK(*only_bounds.censored_share() == 1.0);

    stats += only_bounds;
    CHECK(stats.values == 2);
    CHECK(stats.above_range == 3);
    CHECK(stats.worst_db == 66.9);
    CHECK(stats.lowest_bound_db == 74.5);
}

TEST_CASE("RL trend per wavelength and period", "[qa][trend][rl]") {
    const auto bucket = [](std::string day, int wavelength_nm, std::vector<double> values_db,
                           std::vector<double> bounds_db, std::string station = "bench-1") {
        RlBucket b;
        b.key = key(std::move(day), "P1", std::move(station));
        b.wavelength_nm = wavelength_nm;
        for (const double v : values_db) {
            b.stats.add_value(v);
        }
        for (const double v : bounds_db) {
            b.stats.add_bound(v);
        }
        return b;
    };
    const std::vector<RlBucket> buckets{
        bucket("2026-11-24", 1310, {70.0}, {75.0}),
        bucket("2026-11-23", 1310, {66.0, 71.0}, {}, "bench-1"),
        bucket("2026-11-23", 1310, {}, {75.0, 75.0}, "bench-2"),
        bucket("2026-11-23", 1550, {}, {}),  // nothing read: no series
    };
    SECTION("by day") {
        const auto series = rl_trend(buckets, Grouping::Day);
        REQUIRE(series.size() == 1);
        CHECK(series[0].wavelength_nm == 1310);
        REQUIRE(series[0].points.size() == 2);
        const auto& first = series[0].points[0];
        CHECK(first.period == "2026-11-23");
        CHECK(first.stats.values == 2);
        CHECK(first.stats.above_range == 2);
        CHECK(first.stats.worst_db == 66.0);
        CHECK(series[0].points[1].period == "2026-11-24");
        CHECK(series[0].total.readings() == 6);
        CHECK(*series[0].total.censored_share() == Approx(0.5));
        CHECK(series[0].total.worst_db == 66.0);
    }
    SECTION("by week") {
        const auto series = rl_trend(buckets, Grouping::Week);
        REQUIRE(series.size() == 1);
        REQUIRE(series[0].points.size() == 1);
        CHECK(series[0].points[0].period == "2026-W48");
        CHECK(series[0].points[0].stats.readings() == 6);
    }
    SECTION("only periods group") {
        CHECK_THROWS_AS(rl_trend(buckets, Grouping::Station), std::invalid_argument);
    }
}

TEST_CASE("SPC rule names", "[qa][trend]") {
    CHECK(to_string(SpcRule::BeyondThreeSigma) == "rule1: beyond 3 sigma");
    CHECK(to_string(SpcRule::TwoOfThreeBeyondTwo) == "rule2: 2 of 3 beyond 2 sigma");
    CHECK(to_string(SpcRule::FourOfFiveBeyondOne) == "rule3: 4 of 5 beyond 1 sigma");
    CHECK(to_string(SpcRule::EightOnOneSide) == "rule4: 8 on one side");
}

TEST_CASE("SPC rule 1: a point beyond 3 sigma", "[qa][spc]") {
    SECTION("triggered") {
        // Baseline + 1.8: centre 23.8 / 21 = 1.13333; moving ranges
        // (3.8 + 0.6) / 20 = 0.22, sigma 0.19504, UCL 1.71844 < 1.8.
        const auto series = chart(baseline_then({1.8}));
        CHECK(series.centre_db == Approx(23.8 / 21));
        CHECK(series.ucl_db == Approx(23.8 / 21 + 3 * 0.22 / 1.128));
        CHECK(series.lcl_db == Approx(23.8 / 21 - 3 * 0.22 / 1.128));
        CHECK(breaking(series, SpcRule::BeyondThreeSigma) == std::vector<std::size_t>{20});
        CHECK(rules_broken(series) == 1);
    }
    SECTION("near miss") {
        // Baseline + 1.7: centre 23.7 / 21 = 1.12857, sigma 0.215 / 1.128 =
        // 0.19060, UCL 1.70038 > 1.7 (2.998 sigma).
        const auto series = chart(baseline_then({1.7}));
        CHECK(series.ucl_db == Approx(23.7 / 21 + 3 * 0.215 / 1.128));
        CHECK(series.ucl_db > 1.7);
        CHECK(rules_broken(series) == 0);
    }
    SECTION("below the lower limit") {
        // The mirror image around 1.1: baseline + 0.4.
        const auto series = chart(baseline_then({0.4}));
        CHECK(series.lcl_db > 0.4);
        CHECK(breaking(series, SpcRule::BeyondThreeSigma) == std::vector<std::size_t>{20});
        CHECK(rules_broken(series) == 1);
    }
}

TEST_CASE("SPC rule 2: 2 of 3 beyond 2 sigma on one side", "[qa][spc]") {
    SECTION("triggered") {
        // Baseline + 1.6, 1.1, 1.6: centre 26.3 / 23 = 1.14348; moving ranges
        // (3.8 + 0.4 + 0.5 + 0.5) / 22, sigma 0.20954; 1.6 is 2.18 sigma up.
        const auto series = chart(baseline_then({1.6, 1.1, 1.6}));
        CHECK(series.centre_db == Approx(26.3 / 23));
        CHECK(series.ucl_db == Approx(26.3 / 23 + 3 * (5.2 / 22) / 1.128));
        CHECK(breaking(series, SpcRule::TwoOfThreeBeyondTwo) == std::vector<std::size_t>{22});
        CHECK(rules_broken(series) == 1);
    }
    SECTION("near miss: the two points are 4 apart") {
        // Baseline + 1.6, 1.1, 1.1, 1.6: 1.6 is 2.29 sigma up, but no 3
        // successive points hold two of them.
        const auto series = chart(baseline_then({1.6, 1.1, 1.1, 1.6}));
        CHECK(series.centre_db + 2 * (series.ucl_db - series.centre_db) / 3 < 1.6);
        CHECK(rules_broken(series) == 0);
    }
    SECTION("near miss: beyond 2 sigma on opposite sides") {
        // Baseline + 1.6, 0.6: centre 1.1, both 2.28 sigma away.
        const auto series = chart(baseline_then({1.6, 0.6}));
        CHECK(series.centre_db == Approx(1.1));
        CHECK(rules_broken(series) == 0);
    }
}

TEST_CASE("SPC rule 3: 4 of 5 beyond 1 sigma on one side", "[qa][spc]") {
    SECTION("triggered") {
        // Baseline + 1.4, 1.4, 1.1, 1.4, 1.4: centre 28.7 / 25 = 1.148;
        // moving ranges (3.8 + 0.2 + 0 + 0.3 + 0.3 + 0) / 24, sigma 0.16992;
        // 1.4 is 1.48 sigma up.
        const auto series = chart(baseline_then({1.4, 1.4, 1.1, 1.4, 1.4}));
        CHECK(series.centre_db == Approx(1.148));
        CHECK(series.ucl_db == Approx(1.148 + 3 * (4.6 / 24) / 1.128));
        CHECK(breaking(series, SpcRule::FourOfFiveBeyondOne) == std::vector<std::size_t>{24});
        CHECK(rules_broken(series) == 1);
    }
    SECTION("near miss: 3 of 5") {
        const auto series = chart(baseline_then({1.4, 1.4, 1.1, 1.1, 1.4}));
        CHECK(series.centre_db == Approx(28.4 / 25));
        CHECK(rules_broken(series) == 0);
    }
}

TEST_CASE("SPC rule 4: 8 successive points on one side", "[qa][spc]") {
    SECTION("triggered") {
        // 1.01, 1.03 x4 then 0.99, 0.97 x4: centre 1.0; moving ranges
        // (14 x 0.02 + 0.04) / 15, sigma 0.01891: every point within 2 sigma,
        // never 4 of 5 beyond 1 sigma.
        const auto series = chart({1.01, 1.03, 1.01, 1.03, 1.01, 1.03, 1.01, 1.03, 0.99, 0.97, 0.99,
                                   0.97, 0.99, 0.97, 0.99, 0.97});
        CHECK(series.centre_db == Approx(1.0));
        CHECK(series.ucl_db == Approx(1.0 + 3 * (0.32 / 15) / 1.128));
        CHECK(breaking(series, SpcRule::EightOnOneSide) == std::vector<std::size_t>{7, 15});
        CHECK(rules_broken(series) == 2);
    }
    SECTION("near miss: 7 on each side") {
        const auto series = chart(
            {1.01, 1.03, 1.01, 1.03, 1.01, 1.03, 1.01, 0.99, 0.97, 0.99, 0.97, 0.99, 0.97, 0.99});
        CHECK(series.centre_db == Approx(1.0));
        CHECK(rules_broken(series) == 0);
    }
}
