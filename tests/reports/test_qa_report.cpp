// The QA report and its charts: every file is written, the PDF passes
// qpdf --check and its text (pdftotext) carries the numbers it was given,
// the PNGs have the asked size and are not blank, and bad output places
// fail with ReportError naming the file.

#include <cairo.h>

#include <fmt/format.h>
#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "reports/charts.hpp"
#include "reports/qa_report.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace mpobench;
using namespace mpobench::reports;
using analysis::ParetoRow;
using analysis::SpcRule;
using analysis::YieldCounts;
using analysis::YieldRow;
using mpobench::testing::quoted;
using mpobench::testing::run_command;
using mpobench::testing::TempDir;

std::string pdf_text(const std::filesystem::path& pdf) {
    const auto result = run_command("pdftotext -layout " + quoted(pdf) + " -");
    REQUIRE(result.exit_code == 0);
    return result.output;
}

YieldCounts day_counts(int day) {
    YieldCounts counts;
    counts.completed = 40 + day % 7;
    counts.passed = counts.completed - 1 - day % 3;
    counts.aborted = day % 5 == 0 ? 1 : 0;
    counts.interrupted = day == 12 ? 1 : 0;
    counts.first_tested = counts.completed - 1;
    counts.first_passed = counts.first_tested - 2 - day % 3;
    counts.final_tested = counts.first_tested;
    counts.final_passed = counts.final_tested - day % 2;
    counts.grades = {counts.completed - counts.passed, 4, 10 + day % 4,
                     counts.passed - 14 - day % 4};
    return counts;
}

std::string day_name(int day) {
    return "2026-11-" + std::string(day < 9 ? "0" : "") + std::to_string(day + 1);
}

std::vector<ParetoRow> pareto_rows(const std::vector<std::pair<std::string, std::int64_t>>& items) {
    std::int64_t total = 0;
    for (const auto& item : items) {
        total += item.second;
    }
    std::vector<ParetoRow> rows;
    double cumulative = 0.0;
    for (const auto& [name, count] : items) {
        const double share = static_cast<double>(count) / static_cast<double>(total);
        cumulative += share;
        rows.push_back({name, count, share, cumulative});
    }
    return rows;
}

// A month of one line's production at two wavelengths; 1550 nm has a day
// beyond 3 sigma.
analysis::TrendSeries trend_series(int wavelength_nm, double centre_db) {
    analysis::TrendSeries series;
    series.wavelength_nm = wavelength_nm;
    series.centre_db = centre_db;
    series.ucl_db = centre_db + 0.03;
    series.lcl_db = centre_db - 0.03;
    for (int day = 0; day < 30; ++day) {
        analysis::TrendPoint point;
        point.period = day_name(day);
        point.count = 480;
        point.mean_db = centre_db + 0.008 * ((day * 7) % 5 - 2);
        point.sigma_db = 0.05;
        point.p97_db = point.mean_db + 0.1;
        point.max_db = point.mean_db + 0.16;
        if (wavelength_nm == 1550 && day == 17) {
            point.mean_db = centre_db + 0.05;
            point.rules = {SpcRule::BeyondThreeSigma};
        }
        for (int reading = 0; reading < 200; ++reading) {
            series.histogram.add(point.mean_db + 0.001 * ((reading * 37) % 121 - 60));
        }
        series.points.push_back(point);
    }
    return series;
}

QaReportInput month_report() {
    QaReportInput input;
    input.title = "Yield report November";
    input.scope = "2026-11-01 to 2026-11-30, all parts";
    input.generated_by = "mpobench test";
    input.site.company_name = "Example Optical Assemblies Ltd.";
    input.period = analysis::Grouping::Day;
    for (int day = 0; day < 30; ++day) {
        input.yield_by_period.push_back({day_name(day), day_counts(day)});
    }
    // Totals chosen to be recognisable in the text, not summed from the days.
    auto& total = input.yield_total.counts;
    input.yield_total.group = "all";
    total.completed = 1234;
    total.passed = 1180;
    total.aborted = 17;
    total.interrupted = 3;
    total.first_tested = 1200;
    total.first_passed = 1140;  // 95.0 %
    total.final_tested = 1200;
    total.final_passed = 1188;  // 99.0 %
    total.grades = {54, 120, 300, 760};
    input.by_part = {{"MPO12-SM-B-E", day_counts(1)}, {"MPO24-MM-A-S", day_counts(2)}};
    input.by_station = {{"bench-1", day_counts(3)}, {"bench-2", day_counts(4)}};
    input.by_operator = {{"alice", day_counts(5)}, {"bob", day_counts(6)}};
    for (const auto grade : {Grade::Elite, Grade::Standard, Grade::Generic, Grade::Fail}) {
        YieldRow row{std::string(to_string(grade)), {}};
        row.counts.completed = total.grades[static_cast<std::size_t>(grade)];
        input.by_grade.push_back(row);
    }
    input.pareto.failed_runs = 54;
    input.pareto.completed_runs = 1234;
    input.pareto.by_cause =
        pareto_rows({{"il", 30}, {"rl", 12}, {"polarity", 7}, {"continuity", 5}});
    std::vector<std::pair<std::string, std::int64_t>> positions;
    for (int fiber = 1; fiber <= 20; ++fiber) {
        positions.push_back({(fiber % 2 ? "A:" : "B:") + std::to_string(fiber), 25 - fiber});
    }
    input.pareto.by_position = pareto_rows(positions);
    input.pareto.by_wavelength = pareto_rows({{"1550", 40}, {"1310", 14}});
    input.trend = {trend_series(1310, 0.21), trend_series(1550, 0.18)};
    input.il_limits = {{1310, 0.35, "Elite max"}, {1550, 0.35, "Elite max"}};
    return input;
}

std::vector<std::string> file_names(const std::vector<std::filesystem::path>& paths) {
    std::vector<std::string> names;
    for (const auto& path : paths) {
        names.push_back(path.filename().string());
    }
    return names;
}

// Reads a PNG back; checks size and that it is not a blank page.
void check_png(const std::filesystem::path& png, int width, int height) {
    INFO(png.string());
    const std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> image(
        cairo_image_surface_create_from_png(png.c_str()), &cairo_surface_destroy);
    REQUIRE(cairo_surface_status(image.get()) == CAIRO_STATUS_SUCCESS);
    CHECK(cairo_image_surface_get_width(image.get()) == width);
    CHECK(cairo_image_surface_get_height(image.get()) == height);
    cairo_surface_flush(image.get());
    const unsigned char* data = cairo_image_surface_get_data(image.get());
    const int stride = cairo_image_surface_get_stride(image.get());
    std::int64_t inked = 0;
    std::set<std::uint32_t> colours;
    for (int y = 0; y < cairo_image_surface_get_height(image.get()); ++y) {
        const auto* row = reinterpret_cast<const std::uint32_t*>(data + y * stride);
        for (int x = 0; x < cairo_image_surface_get_width(image.get()); ++x) {
            inked += (row[x] & 0xFFFFFF) != 0xFFFFFF ? 1 : 0;
            colours.insert(row[x]);
        }
    }
    CHECK(inked > static_cast<std::int64_t>(width) * height / 200);  // > 0.5 % drawn
    CHECK(colours.size() > 8);  // text, lines and fills, not one flat colour
}

// The message of the ReportError `action` throws; fails the test when it
// throws nothing (any other exception fails it too).
template <class Action>
std::string report_error_of(Action&& action) {
    try {
        action();
    } catch (const ReportError& error) {
        return error.what();
    }
    FAIL("no ReportError thrown");
    return {};
}

}  // namespace

TEST_CASE("a month's QA report writes the PDF and every chart as a PNG") {
    TempDir dir;
    const QaReportInput input = month_report();
    const auto out_dir = dir.file("qa") / "november";  // created, parents too

    const auto written = write_qa_report(input, out_dir);

    CHECK(file_names(written) ==
          std::vector<std::string>{"report.pdf", "yield.png", "grade_mix.png", "pareto_cause.png",
                                   "pareto_position.png", "pareto_wavelength.png",
                                   "il_histogram_1310.png", "il_control_1310.png",
                                   "il_histogram_1550.png", "il_control_1550.png"});
    for (const auto& path : written) {
        CHECK(path.parent_path() == out_dir);
        CHECK(std::filesystem::is_regular_file(path));
    }
    // Nothing but the listed files: no temporary files left behind.
    CHECK(static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(out_dir),
                                                 std::filesystem::directory_iterator())) ==
          written.size());

    const auto check = run_command("qpdf --check " + quoted(written.front()));
    INFO(check.output);
    CHECK(check.exit_code == 0);

    const std::string text = pdf_text(written.front());
    INFO(text);
    CHECK(text.find("Yield report November") != std::string::npos);
    CHECK(text.find("Example Optical Assemblies Ltd.") != std::string::npos);
    CHECK(text.find("1234") != std::string::npos);    // completed
    CHECK(text.find("95.0 %") != std::string::npos);  // first-pass yield
    CHECK(text.find("99.0 %") != std::string::npos);  // final yield
    CHECK(text.find("First-pass yield") != std::string::npos);
    CHECK(text.find("Interrupted") != std::string::npos);
    CHECK(text.find("1310 nm") != std::string::npos);
    CHECK(text.find("1550 nm") != std::string::npos);
    CHECK(text.find(std::string(analysis::to_string(SpcRule::BeyondThreeSigma))) !=
          std::string::npos);
    CHECK(text.find("Elite max 0.35 dB") != std::string::npos);
    CHECK(text.find("MPO12-SM-B-E") != std::string::npos);
    CHECK(text.find("Page 1 of") != std::string::npos);
    CHECK(text.find("no data") == std::string::npos);

    for (std::size_t i = 1; i < written.size(); ++i) {
        check_png(written[i], 1200, 700);
    }
}

TEST_CASE("a QA report over no runs still renders, saying no data") {
    TempDir dir;
    QaReportInput input;
    input.title = "Yield report";
    input.scope = "2027-01-01 to 2027-01-07";

    const auto written = write_qa_report(input, dir.file("empty"));

    CHECK(file_names(written) ==
          std::vector<std::string>{"report.pdf", "yield.png", "grade_mix.png", "pareto_cause.png",
                                   "pareto_position.png", "pareto_wavelength.png"});
    const auto check = run_command("qpdf --check " + quoted(written.front()));
    INFO(check.output);
    CHECK(check.exit_code == 0);
    const std::string text = pdf_text(written.front());
    INFO(text);
    CHECK(text.find("no data") != std::string::npos);
    CHECK(text.find("Page 1 of") != std::string::npos);
    for (std::size_t i = 1; i < written.size(); ++i) {
        check_png(written[i], 1200, 700);
    }
}

TEST_CASE("long QA tables continue on further pages") {
    TempDir dir;
    QaReportInput input = month_report();
    input.period = analysis::Grouping::Week;
    input.yield_by_period.clear();
    for (int week = 1; week <= 100; ++week) {
        input.yield_by_period.push_back({"W" +
                                             std::string(week < 10    ? "00"
                                                         : week < 100 ? "0"
                                                                      : "") +
                                             std::to_string(week),
                                         day_counts(week)});
    }

    const auto written = write_qa_report(input, dir.file("weeks"));

    const auto check = run_command("qpdf --check " + quoted(written.front()));
    INFO(check.output);
    CHECK(check.exit_code == 0);
    const std::string text = pdf_text(written.front());
    CHECK(text.find("Yield by week (continued)") != std::string::npos);
    CHECK(text.find("W001") != std::string::npos);
    CHECK(text.find("W100") != std::string::npos);
    // Four chart pages (summary, Pareto, two wavelengths), then at least
    // three of tables: 100 weeks of yield alone take more than two.
    const auto pages = run_command("pdfinfo " + quoted(written.front()));
    REQUIRE(pages.exit_code == 0);
    const auto at = pages.output.find("Pages:");
    REQUIRE(at != std::string::npos);
    const int page_count = std::stoi(pages.output.substr(at + 6));
    CHECK(page_count >= 7);
    CHECK(text.find(fmt::format("Page {} of {}", page_count, page_count)) != std::string::npos);
}

TEST_CASE("a QA report that cannot be written throws ReportError naming the place") {
    TempDir dir;
    const QaReportInput input = month_report();

    SECTION("the output directory lies under a file") {
        std::ofstream(dir.file("plain-file")) << "not a directory";
        const auto out_dir = dir.file("plain-file") / "qa";
        CHECK_THAT(report_error_of([&] { write_qa_report(input, out_dir); }),
                   Catch::Matchers::Contains(out_dir.string()));
    }
    SECTION("report.pdf is taken by a directory") {
        std::filesystem::create_directories(dir.file("qa") / "report.pdf" / "inside");
        CHECK_THAT(report_error_of([&] { write_qa_report(input, dir.file("qa")); }),
                   Catch::Matchers::Contains((dir.file("qa") / "report.pdf").string()));
    }
    SECTION("the logo is not a PNG") {
        std::ofstream(dir.file("logo.png")) << "GIF89a";
        QaReportInput with_logo = input;
        with_logo.site.logo_png = dir.file("logo.png");
        CHECK_THAT(report_error_of([&] { write_qa_report(with_logo, dir.file("qa")); }),
                   Catch::Matchers::Contains(dir.file("logo.png").string()));
        CHECK_FALSE(std::filesystem::exists(dir.file("qa") / "report.pdf"));
    }
}

TEST_CASE("charts refuse inconsistent input and bad PNG sizes") {
    TempDir dir;
    SECTION("a bar series needs one value per category") {
        const std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface(
            cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 100, 100), &cairo_surface_destroy);
        const std::unique_ptr<cairo_t, decltype(&cairo_destroy)> cr(cairo_create(surface.get()),
                                                                    &cairo_destroy);
        CHECK_THROWS_AS(draw_bar_chart(cr.get(), Box{0, 0, 100, 100}, "mix", {"a", "b"},
                                       {BarSeries{"elite", {1.0}, std::nullopt}}, "runs"),
                        std::invalid_argument);
    }
    SECTION("a PNG needs a positive size") {
        const auto out = dir.file("chart.png");
        CHECK_THAT(report_error_of([&] { write_png(out, 0, 700, [](cairo_t*, Box) {}); }),
                   Catch::Matchers::Contains(out.string()));
        CHECK_FALSE(std::filesystem::exists(out));
    }
}

TEST_CASE("a chart PNG has the asked size whatever it shows") {
    TempDir dir;
    analysis::IlHistogram histogram;
    for (int reading = 0; reading < 500; ++reading) {
        histogram.add(0.05 + 0.0007 * reading);
    }
    const auto out = dir.file("histogram.png");
    write_png(out, 640, 400, [&](cairo_t* cr, Box box) {
        draw_histogram(cr, box, "IL at 850 nm", histogram, 0.35, "Elite max");
    });
    check_png(out, 640, 400);
}
