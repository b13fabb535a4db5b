// QA views over the record: `mpobench yield`, `pareto`, `trend` and `report`.
// Rollups come from db/, statistics from analysis/, rendering from reports/.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <optional>

#include "analysis/qa.hpp"
#include "analysis/retest.hpp"
#include "app/certificates.hpp"
#include "app/commands.hpp"
#include "app/guarded.hpp"
#include "app/qa_json.hpp"
#include "app/qa_options.hpp"
#include "app/qa_source.hpp"
#include "app/run_json.hpp"
#include "app/test_flow.hpp"
#include "reports/qa_report.hpp"

namespace mpobench::app {
namespace {

using nlohmann::json;

enum class OutputFormat { Text, Json, Csv };

OutputFormat output_format(const QaCommandOptions& options) {
    return options.json ? OutputFormat::Json : options.csv ? OutputFormat::Csv : OutputFormat::Text;
}

analysis::Grouping grouping_option(const std::string& text, analysis::Grouping fallback) {
    if (text.empty()) {
        return fallback;
    }
    const auto grouping = analysis::parse_grouping(text);
    if (!grouping || *grouping == analysis::Grouping::Total) {
        throw UsageError(
            fmt::format("--by '{}': expected day, week, part, station, operator or grade", text));
    }
    return *grouping;
}

analysis::Grouping period_option(const std::string& text) {
    const auto grouping = grouping_option(text, analysis::Grouping::Day);
    if (grouping != analysis::Grouping::Day && grouping != analysis::Grouping::Week) {
        throw UsageError(fmt::format("--by '{}': trends go by day or week", text));
    }
    return grouping;
}

std::string percent(std::optional<double> fraction) {
    return fraction ? fmt::format("{:.1f} %", *fraction * 100.0) : "-";
}

json optional_number(std::optional<double> value) {
    return value ? json(*value) : json(nullptr);
}

std::string optional_csv(std::optional<double> value) {
    return value ? fmt::format("{}", *value) : "";
}

// CSV text field (RFC 4180): quoted when it holds a separator or quote.
std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) {
        return text;
    }
    std::string quoted = "\"";
    for (const char c : text) {
        quoted += c;
        if (c == '"') {
            quoted += '"';
        }
    }
    return quoted + '"';
}

// ---- yield

json yield_json(const analysis::YieldRow& row) {
    const auto& c = row.counts;
    return {{"group", row.group},
            {"completed", c.completed},
            {"passed", c.passed},
            {"first_tested", c.first_tested},
            {"first_passed", c.first_passed},
            {"first_pass_yield", optional_number(c.first_pass_yield())},
            {"final_tested", c.final_tested},
            {"final_passed", c.final_passed},
            {"final_yield", optional_number(c.final_yield())},
            {"retests", c.retests()},
            {"aborted", c.aborted},
            {"interrupted", c.interrupted},
            {"grades",
             {{"elite", c.grades[3]},
              {"standard", c.grades[2]},
              {"generic", c.grades[1]},
              {"fail", c.grades[0]}}},
            {"retries", c.retries},
            {"retries_per_run", optional_number(c.retries_per_run())}};
}

// A grade's share of the completed runs (a bucket does not know its parts'
// targets, so a grade row has no yields).
std::optional<double> grade_share(const analysis::YieldRow& row, const analysis::YieldRow& total) {
    if (total.counts.completed == 0) {
        return std::nullopt;
    }
    return static_cast<double>(row.counts.completed) / static_cast<double>(total.counts.completed);
}

// What `yield` shows: rows by the --by grouping and the total.
struct YieldTables {
    analysis::Grouping grouping = analysis::Grouping::Day;
    std::vector<analysis::YieldRow> rows;
    analysis::YieldRow total{"all", {}};
};

YieldTables yield_tables(const QaCommandOptions& options, const QaSource& source) {
    const bool by_shift = options.by == "shift";
    if (!by_shift && !options.by.empty()) {
        const auto grouping = analysis::parse_grouping(options.by);
        if (!grouping || *grouping == analysis::Grouping::Total) {
            throw UsageError(fmt::format(
                "--by '{}': expected day, week, part, station, operator, grade or shift",
                options.by));
        }
    }
    YieldTables tables;
    // Shift rows are keyed like days ("2026-12-06 night"): grouped as days.
    tables.grouping =
        by_shift ? analysis::Grouping::Day : grouping_option(options.by, analysis::Grouping::Day);
    const auto buckets = by_shift ? source.shift_buckets(options, false).yield
                                  : source.yield(options.filter.qa_filter(), tables.grouping);
    tables.rows = analysis::group_yield(buckets, tables.grouping);
    const auto totals = analysis::group_yield(buckets, analysis::Grouping::Total);
    if (!totals.empty())
        tables.total = totals.front();
    return tables;
}

// The grade mix: runs per grade and their share of the completed runs.
void print_grade_mix(const std::vector<analysis::YieldRow>& rows, const analysis::YieldRow& total,
                     OutputFormat format, const std::string& scope) {
    const auto share = [&](const analysis::YieldRow& row) { return grade_share(row, total); };
    switch (format) {
        case OutputFormat::Json:
            break;  // yield_report_json
        case OutputFormat::Csv:
            fmt::print("grade,completed,share\n");
            for (const auto& row : rows) {
                fmt::print("{},{},{}\n", row.group, row.counts.completed, optional_csv(share(row)));
            }
            break;
        case OutputFormat::Text:
            fmt::print("Grade mix of production tests: {}\n\n", scope);
            fmt::print("{:<10} {:>9} {:>8}\n", "GRADE", "COMPLETED", "SHARE");
            for (const auto& row : rows) {
                fmt::print("{:<10} {:>9} {:>8}\n", row.group, row.counts.completed,
                           percent(share(row)));
            }
            fmt::print("{:<10} {:>9}\n", "all", total.counts.completed);
            break;
    }
}

}  // namespace

nlohmann::json yield_report_json(const QaSource& source, const QaCommandOptions& options) {
    const auto tables = yield_tables(options, source);
    const bool grade_mix = tables.grouping == analysis::Grouping::Grade;
    json out{{"scope", options.filter.describe()},
             {"by", grade_mix            ? "grade"
                    : options.by.empty() ? "day"
                                         : options.by},
             {"rows", json::array()},
             {"total", yield_json(tables.total)}};
    for (const auto& row : tables.rows) {
        out["rows"].push_back(grade_mix
                                  ? json{{"group", row.group},
                                         {"completed", row.counts.completed},
                                         {"share", optional_number(grade_share(row, tables.total))}}
                                  : yield_json(row));
    }
    return out;
}

int run_yield(const QaCommandOptions& options) {
    return guarded("yield", [&] {
        const OpenedQaSource opened(options.filter);
        const QaSource source = opened.source();
        if (options.json) {
            fmt::print("{}\n", json_text(yield_report_json(source, options)));
            return static_cast<int>(kPassed);
        }
        const auto [grouping, rows, total] = yield_tables(options, source);
        if (grouping == analysis::Grouping::Grade) {
            print_grade_mix(rows, total, output_format(options), options.filter.describe());
            return static_cast<int>(kPassed);
        }

        switch (output_format(options)) {
            case OutputFormat::Json:
                break;  // above
            case OutputFormat::Csv: {
                fmt::print(
                    "group,completed,passed,first_tested,first_passed,first_pass_yield,"
                    "final_tested,final_passed,final_yield,retests,aborted,interrupted,elite,"
                    "standard,generic,fail,retries,retries_per_run\n");
                for (const auto& row : rows) {
                    const auto& c = row.counts;
                    fmt::print("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                               csv_field(row.group), c.completed, c.passed, c.first_tested,
                               c.first_passed, optional_csv(c.first_pass_yield()), c.final_tested,
                               c.final_passed, optional_csv(c.final_yield()), c.retests(),
                               c.aborted, c.interrupted, c.grades[3], c.grades[2], c.grades[1],
                               c.grades[0], c.retries, optional_csv(c.retries_per_run()));
                }
                break;
            }
            case OutputFormat::Text: {
                fmt::print("Yield of production tests: {}\n\n", options.filter.describe());
                const auto line = [](const analysis::YieldRow& row) {
                    const auto& c = row.counts;
                    const auto per_run = c.retries_per_run();
                    fmt::print(
                        "{:<22} {:>9} {:>7} {:>10} {:>8} {:>7} {:>7} {:>7} {:>6} {:>8} "
                        "{:>7} {:>5} {:>11}\n",
                        row.group, c.completed, c.passed, percent(c.first_pass_yield()),
                        percent(c.final_yield()), c.retests(), c.aborted, c.interrupted,
                        c.grades[3], c.grades[2], c.grades[1], c.grades[0],
                        per_run ? fmt::format("{:.1f}", *per_run) : std::string("-"));
                };
                fmt::print(
                    "{:<22} {:>9} {:>7} {:>10} {:>8} {:>7} {:>7} {:>7} {:>6} {:>8} {:>7} "
                    "{:>5} {:>11}\n",
                    "GROUP", "COMPLETED", "PASSED", "FIRST-PASS", "FINAL", "RETESTS", "ABORTED",
                    "INTERR.", "ELITE", "STANDARD", "GENERIC", "FAIL", "RETRIES/RUN");
                for (const auto& row : rows) {
                    line(row);
                }
                if (rows.size() != 1 || rows.front().group != "all") {
                    line(total);
                }
                if (rows.empty()) {
                    fmt::print("(no production runs match)\n");
                }
                break;
            }
        }
        return static_cast<int>(kPassed);
    });
}

// ---- pareto

namespace {

json pareto_rows_json(const std::vector<analysis::ParetoRow>& rows) {
    json out = json::array();
    for (const auto& row : rows) {
        out.push_back({{"item", row.item},
                       {"count", row.count},
                       {"share", row.share},
                       {"cumulative", row.cumulative}});
    }
    return out;
}

analysis::Pareto make_pareto(const db::QaBuckets& buckets) {
    return analysis::make_pareto(buckets.yield, buckets.causes, buckets.failures);
}

void check_pareto_grouping(const QaCommandOptions& options) {
    if (!options.by.empty() && options.by != "shift") {
        throw UsageError(
            fmt::format("--by '{}': a Pareto goes by shift or not at all", options.by));
    }
}

std::map<std::string, db::QaBuckets> buckets_by_shift(const db::QaBuckets& buckets) {
    std::map<std::string, db::QaBuckets> shifts;
    for (const auto& bucket : buckets.yield)
        shifts[bucket.key.day].yield.push_back(bucket);
    for (const auto& bucket : buckets.causes)
        shifts[bucket.key.day].causes.push_back(bucket);
    for (const auto& bucket : buckets.failures)
        shifts[bucket.key.day].failures.push_back(bucket);
    return shifts;
}

json pareto_tables_json(const analysis::Pareto& pareto) {
    return {{"completed_runs", pareto.completed_runs},
            {"failed_runs", pareto.failed_runs},
            {"by_cause", pareto_rows_json(pareto.by_cause)},
            {"by_position", pareto_rows_json(pareto.by_position)},
            {"by_wavelength", pareto_rows_json(pareto.by_wavelength)}};
}

// One Pareto per shift, the shifts in order (day, then name).
void print_shift_paretos(const db::QaBuckets& buckets, const QaCommandOptions& options) {
    const auto shifts = buckets_by_shift(buckets);
    switch (output_format(options)) {
        case OutputFormat::Json:
            break;  // pareto_report_json
        case OutputFormat::Csv:
            fmt::print("shift,table,item,count,share,cumulative\n");
            for (const auto& [shift, part] : shifts) {
                const auto pareto = make_pareto(part);
                for (const auto& [name, rows] : {std::pair{"cause", &pareto.by_cause},
                                                 std::pair{"position", &pareto.by_position},
                                                 std::pair{"wavelength", &pareto.by_wavelength}}) {
                    for (const auto& row : *rows) {
                        fmt::print("{},{},{},{},{},{}\n", csv_field(shift), name,
                                   csv_field(row.item), row.count, row.share, row.cumulative);
                    }
                }
            }
            break;
        case OutputFormat::Text:
            fmt::print("Failure Pareto of production tests by shift: {}\n",
                       options.filter.describe());
            for (const auto& [shift, part] : shifts) {
                const auto pareto = make_pareto(part);
                fmt::print("\n{}: {} of {} completed runs below their target grade\n", shift,
                           pareto.failed_runs, pareto.completed_runs);
                for (const auto& row : pareto.by_cause) {
                    fmt::print("  {:<26} {:>8} {:>8} {:>11}\n", row.item, row.count,
                               percent(row.share), percent(row.cumulative));
                }
            }
            if (shifts.empty()) {
                fmt::print("(no production runs match)\n");
            }
            break;
    }
}

}  // namespace

nlohmann::json pareto_report_json(const QaSource& source, const QaCommandOptions& options) {
    check_pareto_grouping(options);
    if (options.by == "shift") {
        json out{{"scope", options.filter.describe()}, {"by", "shift"}, {"shifts", json::array()}};
        for (const auto& [shift, part] : buckets_by_shift(source.shift_buckets(options, true))) {
            json row{{"shift", shift}};
            row.update(pareto_tables_json(make_pareto(part)));
            out["shifts"].push_back(std::move(row));
        }
        return out;
    }
    json out{{"scope", options.filter.describe()}};
    out.update(pareto_tables_json(make_pareto(source.buckets(options.filter.qa_filter(), false))));
    return out;
}

int run_pareto(const QaCommandOptions& options) {
    return guarded("pareto", [&] {
        check_pareto_grouping(options);
        const db::QaFilter filter = options.filter.qa_filter();
        const OpenedQaSource opened(options.filter);
        const QaSource source = opened.source();
        if (options.json) {
            fmt::print("{}\n", json_text(pareto_report_json(source, options)));
            return static_cast<int>(kPassed);
        }
        if (options.by == "shift") {
            print_shift_paretos(source.shift_buckets(options, true), options);
            return static_cast<int>(kPassed);
        }
        const auto pareto = make_pareto(source.buckets(filter, false));
        const std::array<std::pair<const char*, const std::vector<analysis::ParetoRow>*>, 3> tables{
            {{"cause", &pareto.by_cause},
             {"position", &pareto.by_position},
             {"wavelength", &pareto.by_wavelength}}};
        switch (output_format(options)) {
            case OutputFormat::Json:
                break;  // above
            case OutputFormat::Csv:
                fmt::print("table,item,count,share,cumulative\n");
                for (const auto& [name, rows] : tables) {
                    for (const auto& row : *rows) {
                        fmt::print("{},{},{},{},{}\n", name, csv_field(row.item), row.count,
                                   row.share, row.cumulative);
                    }
                }
                break;
            case OutputFormat::Text: {
                // The terminal shows the head of each table; --json/--csv have all.
                constexpr std::size_t shown_rows = 15;
                fmt::print("Failure Pareto of production tests: {}\n", options.filter.describe());
                fmt::print("{} of {} completed runs below their target grade\n", pareto.failed_runs,
                           pareto.completed_runs);
                const std::array<const char*, 3> headings{"RUNS BY CAUSE", "FAILURES BY END:FIBRE",
                                                          "FAILURES BY WAVELENGTH (nm)"};
                for (std::size_t t = 0; t < tables.size(); ++t) {
                    fmt::print("\n{:<28} {:>8} {:>8} {:>11}\n", headings[t], "COUNT", "SHARE",
                               "CUMULATIVE");
                    const auto& rows = *tables[t].second;
                    for (std::size_t i = 0; i < rows.size() && i < shown_rows; ++i) {
                        fmt::print("{:<28} {:>8} {:>8} {:>11}\n", rows[i].item, rows[i].count,
                                   percent(rows[i].share), percent(rows[i].cumulative));
                    }
                    if (rows.size() > shown_rows) {
                        fmt::print("... {} more (--json or --csv for all)\n",
                                   rows.size() - shown_rows);
                    }
                    if (rows.empty()) {
                        fmt::print("(none)\n");
                    }
                }
                break;
            }
        }
        return static_cast<int>(kPassed);
    });
}

// ---- trend

namespace {

// The Elite per-fibre IL maximum of the mode a wavelength belongs to
// (850/1300 nm multimode, else single-mode), less the guard band: the mark
// on each IL histogram.
double elite_max_db(const analysis::LimitSet& limits, int wavelength_nm) {
    const auto multimode = default_wavelengths_nm(FiberMode::MM);
    const FiberMode mode =
        std::find(multimode.begin(), multimode.end(), wavelength_nm) != multimode.end()
            ? FiberMode::MM
            : FiberMode::SM;
    return limits.limits(Grade::Elite, mode).il_max_db - limits.guard_band_db;
}

std::string rules_text(const std::vector<analysis::SpcRule>& rules) {
    std::vector<std::string> names;
    for (const auto rule : rules) {
        names.emplace_back(analysis::to_string(rule));
    }
    return fmt::format("{}", fmt::join(names, "; "));
}

// RL values and bounds: a bound is never averaged, only counted.
json rl_json(const analysis::RlStats& stats) {
    return {{"measured", stats.values},
            {"above_range", stats.above_range},
            {"censored_share", optional_number(stats.censored_share())},
            {"worst_db", optional_number(stats.worst_db)},
            {"lowest_bound_db", optional_number(stats.lowest_bound_db)}};
}

std::string rl_text(std::optional<double> value_db) {
    return value_db ? fmt::format("{:.1f}", *value_db) : "-";
}

}  // namespace

nlohmann::json trend_report_json(const QaSource& source, const QaCommandOptions& options) {
    const auto period = period_option(options.by);
    const db::QaBuckets buckets = source.buckets(options.filter.qa_filter(), true);
    json out{{"scope", options.filter.describe()},
             {"by", period == analysis::Grouping::Week ? "week" : "day"},
             {"series", json::array()}};
    for (const auto& s : analysis::il_trend(buckets.il, period)) {
        json points = json::array();
        for (const auto& p : s.points) {
            json rules = json::array();
            for (const auto rule : p.rules) {
                rules.push_back(analysis::to_string(rule));
            }
            points.push_back({{"period", p.period},
                              {"count", p.count},
                              {"mean_db", p.mean_db},
                              {"sigma_db", p.sigma_db},
                              {"p97_db", p.p97_db},
                              {"max_db", p.max_db},
                              {"rules", rules}});
        }
        out["series"].push_back({{"wavelength_nm", s.wavelength_nm},
                                 {"centre_db", s.centre_db},
                                 {"ucl_db", s.ucl_db},
                                 {"lcl_db", s.lcl_db},
                                 {"points", points}});
    }
    out["rl"] = json::array();
    for (const auto& s : analysis::rl_trend(buckets.rl, period)) {
        json points = json::array();
        for (const auto& p : s.points) {
            json point = rl_json(p.stats);
            point["period"] = p.period;
            points.push_back(std::move(point));
        }
        json total = rl_json(s.total);
        total["wavelength_nm"] = s.wavelength_nm;
        total["points"] = points;
        out["rl"].push_back(total);
    }
    return out;
}

int run_trend(const QaCommandOptions& options) {
    return guarded("trend", [&] {
        const auto period = period_option(options.by);
        const OpenedQaSource opened(options.filter);
        const QaSource source = opened.source();
        if (options.json) {
            fmt::print("{}\n", json_text(trend_report_json(source, options)));
            return static_cast<int>(kPassed);
        }
        const db::QaBuckets buckets = source.buckets(options.filter.qa_filter(), true);
        const auto series = analysis::il_trend(buckets.il, period);
        const auto rl_series = analysis::rl_trend(buckets.rl, period);
        switch (output_format(options)) {
            case OutputFormat::Json:
                break;  // above
            case OutputFormat::Csv:
                fmt::print(
                    "wavelength_nm,period,count,mean_db,sigma_db,p97_db,max_db,centre_db,"
                    "ucl_db,lcl_db,rules\n");
                for (const auto& s : series) {
                    for (const auto& p : s.points) {
                        fmt::print("{},{},{},{},{},{},{},{},{},{},{}\n", s.wavelength_nm, p.period,
                                   p.count, p.mean_db, p.sigma_db, p.p97_db, p.max_db, s.centre_db,
                                   s.ucl_db, s.lcl_db, csv_field(rules_text(p.rules)));
                    }
                }
                break;
            case OutputFormat::Text:
                fmt::print("IL trend of production tests: {}\n", options.filter.describe());
                if (series.empty()) {
                    fmt::print("(no production runs match)\n");
                }
                for (const auto& s : series) {
                    const char* means = period == analysis::Grouping::Week ? "weekly" : "daily";
                    if (s.points.size() < 2) {
                        fmt::print(
                            "\n{} nm: centre {:.3f} dB (one {} mean: control limits need "
                            "two periods)\n",
                            s.wavelength_nm, s.centre_db, means);
                    } else {
                        fmt::print(
                            "\n{} nm: centre {:.3f} dB, UCL {:.3f} dB, LCL {:.3f} dB "
                            "(X-bar of {} means, limits from the moving range)\n",
                            s.wavelength_nm, s.centre_db, s.ucl_db, s.lcl_db, means);
                    }
                    fmt::print("{:<12} {:>8} {:>9} {:>9} {:>9} {:>9}  {}\n", "PERIOD", "READINGS",
                               "MEAN dB", "SIGMA dB", "P97 dB", "MAX dB", "SPC");
                    // Without control limits (one period) nothing is in or out of control.
                    const bool judged = s.points.size() >= 2;
                    for (const auto& p : s.points) {
                        fmt::print("{:<12} {:>8} {:>9.3f} {:>9.3f} {:>9.2f} {:>9.3f}  {}\n",
                                   p.period, p.count, p.mean_db, p.sigma_db, p.p97_db, p.max_db,
                                   !judged           ? "too few periods to judge"
                                   : p.rules.empty() ? "in control"
                                                     : rules_text(p.rules));
                    }
                }
                for (const auto& s : rl_series) {
                    fmt::print("\n{} nm RL: {}; {}\n", s.wavelength_nm,
                               s.total.worst_db
                                   ? fmt::format("worst {:.1f} dB", *s.total.worst_db)
                                   : std::string("no reading within the meter's range"),
                               s.total.above_range == 0
                                   ? fmt::format("all {} readings measured", s.total.readings())
                                   : fmt::format("{} of {} readings beyond the RL meter's range "
                                                 "(> {} dB: counted apart, never averaged)",
                                                 s.total.above_range, s.total.readings(),
                                                 rl_text(s.total.lowest_bound_db)));
                    fmt::print("{:<12} {:>8} {:>8} {:>12} {:>9}\n", "PERIOD", "READINGS",
                               "MEASURED", "ABOVE RANGE", "WORST dB");
                    for (const auto& p : s.points) {
                        fmt::print("{:<12} {:>8} {:>8} {:>12} {:>9}\n", p.period,
                                   p.stats.readings(), p.stats.values, p.stats.above_range,
                                   rl_text(p.stats.worst_db));
                    }
                }
                break;
        }
        return static_cast<int>(kPassed);
    });
}

nlohmann::json histogram_report_json(const QaSource& source, const QaCommandOptions& options,
                                     const analysis::LimitSet& limits) {
    const auto period = period_option(options.by);
    const db::QaBuckets buckets = source.buckets(options.filter.qa_filter(), true);
    json out{{"scope", options.filter.describe()},
             {"bin_db", analysis::IlHistogram::bin_width_db},
             {"series", json::array()}};
    for (const auto& series : analysis::il_trend(buckets.il, period)) {
        const auto& histogram = series.histogram;
        int first = analysis::IlHistogram::bin_count, last = -1;
        for (int i = 0; i < analysis::IlHistogram::bin_count; ++i) {
            if (histogram.bin(i) > 0) {
                first = std::min(first, i);
                last = i;
            }
        }
        json bins = json::array();
        for (int i = first; i <= last; ++i) {
            // To the hundredth: the edges are multiples of the 0.01 dB bin width.
            bins.push_back(
                {{"from_db",
                  std::round(analysis::IlHistogram::bin_lower_edge_db(i) * 100.0) / 100.0},
                 {"count", histogram.bin(i)}});
        }
        out["series"].push_back({{"wavelength_nm", series.wavelength_nm},
                                 {"count", histogram.count()},
                                 {"elite_max_db", elite_max_db(limits, series.wavelength_nm)},
                                 {"bins", bins}});
    }
    return out;
}

// ---- report

int run_report(const QaCommandOptions& options) {
    return guarded("report", [&] {
        const auto period = period_option(options.by);
        const db::QaFilter filter = options.filter.qa_filter();
        const reports::Site site = load_site_option(options.site);
        const OpenedQaSource opened(options.filter);
        const db::QaBuckets buckets = opened.source().report_buckets(filter);
        const auto& yield = buckets.yield;

        reports::QaReportInput input;
        input.title = "Quality report";
        input.scope = options.filter.describe();
        input.generated_by = std::string("mpobench ") + MPOBENCH_VERSION;
        input.site = site;
        input.period = period;
        input.yield_by_period = analysis::group_yield(yield, period);
        const auto totals = analysis::group_yield(yield, analysis::Grouping::Total);
        input.yield_total = totals.empty() ? analysis::YieldRow{"all", {}} : totals.front();
        input.by_part = analysis::group_yield(yield, analysis::Grouping::Part);
        input.by_station = analysis::group_yield(yield, analysis::Grouping::Station);
        input.by_operator = analysis::group_yield(yield, analysis::Grouping::Operator);
        input.by_grade = analysis::group_yield(yield, analysis::Grouping::Grade);
        input.pareto = make_pareto(buckets);
        input.trend = analysis::il_trend(buckets.il, period);
        const auto limits = load_limits(options.limits);
        for (const auto& series : input.trend) {
            input.il_limits.push_back(
                {series.wavelength_nm, elite_max_db(limits, series.wavelength_nm), "Elite max"});
        }

        const auto files = reports::write_qa_report(input, options.out);
        for (const auto& file : files) {
            fmt::print("{}\n", file.string());
        }
        return static_cast<int>(kPassed);
    });
}

int run_retests(const QaCommandOptions& options) {
    return guarded("retests", [&] {
        const OpenedQaSource opened(options.filter);
        std::vector<analysis::AttemptRecord> attempts;
        for (const auto& run : opened.source().runs(options.filter.run_filter(true))) {
            if (run.attempt) {
                attempts.push_back({run.serial, run.part_number,
                                    run.status == RunStatus::Completed && run.pass,
                                    run.retest_reason});
            }
        }
        const auto summary = analysis::summarise_retests(attempts);
        if (options.json) {
            json serials = json::array();
            for (const auto& s : summary.retested_serials) {
                serials.push_back({{"serial", s.serial},
                                   {"part", s.part_number},
                                   {"attempts", s.attempts},
                                   {"failed", s.failed},
                                   {"passed", s.passed},
                                   {"test_until_pass", s.test_until_pass},
                                   {"retest_reasons", s.retest_reasons}});
            }
            fmt::print("{}\n", json_text({{"scope", options.filter.describe()},
                                          {"serials", summary.serials},
                                          {"retested", summary.retested},
                                          {"test_until_pass", summary.test_until_pass},
                                          {"retested_serials", serials}}));
            return static_cast<int>(kPassed);
        }
        fmt::print("Retests of production tests: {}\n", options.filter.describe());
        fmt::print(
            "{} serials tested, {} more than once, {} test-until-pass (passed only after "
            "two or more failed attempts)\n",
            summary.serials, summary.retested, summary.test_until_pass);
        if (summary.retested_serials.empty())
            return static_cast<int>(kPassed);
        fmt::print("\n{:<20} {:<16} {:>8} {:>6} {:<6} {}\n", "SERIAL", "PART", "ATTEMPTS", "FAILED",
                   "PASSED", "RETEST REASONS");
        for (const auto& s : summary.retested_serials) {
            fmt::print("{:<20} {:<16} {:>8} {:>6} {:<6} {}{}\n", s.serial, s.part_number,
                       s.attempts, s.failed, s.passed ? "yes" : "no",
                       fmt::join(s.retest_reasons, ", "),
                       s.test_until_pass ? "  TEST-UNTIL-PASS" : "");
        }
        return static_cast<int>(kPassed);
    });
}

}  // namespace mpobench::app
