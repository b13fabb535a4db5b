// mpobench_qa_bench: times the QA views on a database (docs/PERFORMANCE.md):
// the rollup queries and the analysis over their buckets, for all time, the
// last 30 days, one part and one station; the median of several repetitions.
// With --rebuild it also times rebuild_qa_rollups() and checks that the
// rebuilt rollups equal the ones kept incrementally.

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "analysis/qa.hpp"
#include "db/repository.hpp"

namespace {

using namespace mpobench;
using Clock = std::chrono::steady_clock;

// The local calendar day `days_back` days before today.
std::string local_day(int days_back) {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    ::localtime_r(&now, &local);
    local.tm_mday -= days_back;
    local.tm_hour = 12;  // clear of any daylight-saving change
    local.tm_isdst = -1;
    const std::time_t then = std::mktime(&local);
    ::localtime_r(&then, &local);
    char text[16];
    std::strftime(text, sizeof text, "%Y-%m-%d", &local);
    return text;
}

double milliseconds_of(const std::function<void()>& work) {
    const auto start = Clock::now();
    work();
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t middle = values.size() / 2;
    return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2.0;
}

struct Scope {
    std::string name;
    db::QaFilter filter;
    analysis::Grouping grouping;  // of group_yield and il_trend
};

struct Buckets {
    std::vector<analysis::YieldBucket> yield;
    std::vector<analysis::CauseBucket> causes;
    std::vector<analysis::FailureBucket> failures;
    std::vector<analysis::IlBucket> il;
};

constexpr std::array operation_names{"yield_buckets", "cause_buckets", "failure_buckets",
                                     "il_buckets",    "group_yield",   "make_pareto",
                                     "il_trend"};

// One repetition of every operation of a scope; returns milliseconds per
// operation and leaves the buckets read.
std::array<double, operation_names.size()> time_scope(const db::Repository& repository,
                                                      const Scope& scope, Buckets& buckets) {
    std::array<double, operation_names.size()> ms{};
    ms[0] = milliseconds_of([&] { buckets.yield = repository.yield_buckets(scope.filter); });
    ms[1] = milliseconds_of([&] { buckets.causes = repository.cause_buckets(scope.filter); });
    ms[2] = milliseconds_of([&] { buckets.failures = repository.failure_buckets(scope.filter); });
    ms[3] = milliseconds_of([&] { buckets.il = repository.il_buckets(scope.filter); });
    std::size_t rows = 0;
    ms[4] = milliseconds_of(
        [&] { rows += analysis::group_yield(buckets.yield, scope.grouping).size(); });
    ms[5] = milliseconds_of([&] {
        rows +=
            analysis::make_pareto(buckets.yield, buckets.causes, buckets.failures).by_cause.size();
    });
    ms[6] = milliseconds_of([&] { rows += analysis::il_trend(buckets.il, scope.grouping).size(); });
    if (rows == 0 && !buckets.yield.empty()) {
        throw std::runtime_error("the analysis of " + scope.name + " produced no rows");
    }
    return ms;
}

Buckets all_buckets(const db::Repository& repository) {
    return {repository.yield_buckets({}), repository.cause_buckets({}),
            repository.failure_buckets({}), repository.il_buckets({})};
}

bool same_key(const analysis::BucketKey& a, const analysis::BucketKey& b) {
    return a.day == b.day && a.part_number == b.part_number && a.station == b.station &&
           a.operator_name == b.operator_name;
}

bool close(double a, double b) {
    return std::abs(a - b) <= 1e-9 * std::max({1.0, std::abs(a), std::abs(b)});
}

// How many buckets differ between two reads (sums compared to rounding).
std::size_t differences(const Buckets& a, const Buckets& b) {
    std::size_t differing = 0;
    const auto count = [&](std::size_t size_a, std::size_t size_b, auto same) {
        differing += std::max(size_a, size_b) - std::min(size_a, size_b);
        for (std::size_t i = 0; i < std::min(size_a, size_b); ++i) {
            differing += same(i) ? 0 : 1;
        }
    };
    count(a.yield.size(), b.yield.size(), [&](std::size_t i) {
        const auto &x = a.yield[i].counts, &y = b.yield[i].counts;
        return same_key(a.yield[i].key, b.yield[i].key) && x.completed == y.completed &&
               x.passed == y.passed && x.aborted == y.aborted && x.interrupted == y.interrupted &&
               x.first_tested == y.first_tested && x.first_passed == y.first_passed &&
               x.final_tested == y.final_tested && x.final_passed == y.final_passed &&
               x.grades == y.grades;
    });
    count(a.causes.size(), b.causes.size(), [&](std::size_t i) {
        return same_key(a.causes[i].key, b.causes[i].key) &&
               a.causes[i].cause == b.causes[i].cause && a.causes[i].runs == b.causes[i].runs;
    });
    count(a.failures.size(), b.failures.size(), [&](std::size_t i) {
        const auto &x = a.failures[i], &y = b.failures[i];
        return same_key(x.key, y.key) && x.cause == y.cause && x.end == y.end &&
               x.fiber == y.fiber && x.wavelength_nm == y.wavelength_nm && x.failures == y.failures;
    });
    count(a.il.size(), b.il.size(), [&](std::size_t i) {
        const auto &x = a.il[i], &y = b.il[i];
        return same_key(x.key, y.key) && x.wavelength_nm == y.wavelength_nm && x.count == y.count &&
               close(x.sum_db, y.sum_db) && close(x.sum_squares_db, y.sum_squares_db) &&
               x.min_db == y.min_db && x.max_db == y.max_db &&
               x.histogram.encode() == y.histogram.encode();
    });
    return differing;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"mpobench_qa_bench: time the QA views on a database"};
    std::filesystem::path db_path;
    int repetitions = 7;
    std::string part_number = "MTP12-SM-B-E-3M";
    std::string station = "bench-1";
    bool rebuild = false;
    app.add_option("--db", db_path, "the database (mpobench_fill_db makes one)")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("--repetitions", repetitions, "repetitions; the median is shown")
        ->check(CLI::PositiveNumber);
    app.add_option("--part", part_number, "the part of the one-part scope");
    app.add_option("--station", station, "the station of the one-station scope");
    app.add_flag("--rebuild", rebuild,
                 "also time rebuild_qa_rollups() and compare with the incremental rollups");
    CLI11_PARSE(app, argc, argv);
    spdlog::set_level(spdlog::level::warn);

    try {
        std::unique_ptr<db::Repository> repository;
        const double open_ms =
            milliseconds_of([&] { repository = std::make_unique<db::Repository>(db_path); });
        std::vector<Scope> scopes(4);
        scopes[0] = {"all time", {}, analysis::Grouping::Week};
        scopes[1] = {"last 30 days", {}, analysis::Grouping::Day};
        scopes[1].filter.from_day = local_day(29);
        scopes[1].filter.to_day = local_day(0);
        scopes[2] = {"part " + part_number, {}, analysis::Grouping::Week};
        scopes[2].filter.part_number = part_number;
        scopes[3] = {"station " + station, {}, analysis::Grouping::Week};
        scopes[3].filter.station = station;

        std::cout << fmt::format(
            "{}: {:.1f} GB, opened in {:.0f} ms; median of {} repetitions, "
            "milliseconds\n\n",
            db_path.string(), static_cast<double>(std::filesystem::file_size(db_path)) / 1e9,
            open_ms, repetitions);
        std::cout << fmt::format("| scope | buckets (yield/cause/failure/IL) | {} | total |\n",
                                 fmt::join(operation_names, " | "));
        std::string separator = "|---|---|";
        for (std::size_t column = 0; column <= operation_names.size(); ++column) {
            separator += "---:|";
        }
        std::cout << separator << "\n";
        for (const auto& scope : scopes) {
            std::array<std::vector<double>, operation_names.size()> samples;
            Buckets buckets;
            for (int repetition = 0; repetition < repetitions; ++repetition) {
                const auto ms = time_scope(*repository, scope, buckets);
                for (std::size_t op = 0; op < ms.size(); ++op) {
                    samples[op].push_back(ms[op]);
                }
            }
            std::vector<std::string> cells;
            double total = 0.0;
            for (const auto& sample : samples) {
                const double ms = median(sample);
                total += ms;
                cells.push_back(fmt::format("{:.1f}", ms));
            }
            std::cout << fmt::format(
                "| {} ({}) | {}/{}/{}/{} | {} | {:.1f} |\n", scope.name,
                scope.grouping == analysis::Grouping::Day ? "by day" : "by week",
                buckets.yield.size(), buckets.causes.size(), buckets.failures.size(),
                buckets.il.size(), fmt::join(cells, " | "), total);
        }

        if (rebuild) {
            const Buckets incremental = all_buckets(*repository);
            const double rebuild_ms = milliseconds_of([&] { repository->rebuild_qa_rollups(); });
            const std::size_t differing = differences(all_buckets(*repository), incremental);
            std::cout << fmt::format(
                "\nrebuild_qa_rollups: {:.1f} s; {} buckets differ from the incremental rollups\n",
                rebuild_ms / 1000.0, differing);
            if (differing != 0) {
                return 1;
            }
        }
    } catch (const std::exception& error) {
        std::cerr << "mpobench_qa_bench: " << error.what() << "\n";
        return 1;
    }
    return 0;
}
