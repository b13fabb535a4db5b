#pragma once
// The QA report: one PDF (A4 landscape) with yield trend, grade mix, failure
// Pareto, IL histogram and control chart per wavelength, and the tables,
// plus each chart as a PNG beside it.

#include <filesystem>
#include <string>
#include <vector>

#include "analysis/qa.hpp"
#include "reports/errors.hpp"
#include "reports/site.hpp"

namespace mpobench::reports {

// A limit line on one wavelength's IL histogram, e.g. the Elite per-fibre
// max of the limit set in use: {1310, 0.35, "Elite max"}.
struct IlLimitMark {
    int wavelength_nm = 0;
    double il_max_db = 0.0;
    std::string label;
};

struct QaReportInput {
    std::string title;  // e.g. "Yield report"
    std::string scope;  // the filters in words: "2026-11-01 to 2026-11-24, part MPO12-SM-B-E"
    std::string generated_by;  // "mpobench 0.4.0"
    Site site;
    analysis::Grouping period = analysis::Grouping::Day;  // Day or Week
    std::vector<analysis::YieldRow> yield_by_period;
    analysis::YieldRow yield_total;
    std::vector<analysis::YieldRow> by_part, by_station, by_operator, by_grade;
    analysis::Pareto pareto;
    std::vector<analysis::TrendSeries> trend;  // one per wavelength
    std::vector<IlLimitMark> il_limits;        // wavelengths without one get no line
};

// Writes out_dir/report.pdf (created if missing) and each chart as a PNG of
// 1200 x 700 pixels beside it: yield.png, grade_mix.png, pareto_cause.png,
// pareto_position.png, pareto_wavelength.png, and per wavelength
// il_histogram_<nm>.png and il_control_<nm>.png. Every file is written whole
// or not at all. Returns the files written, in order: report.pdf first, then
// the PNG charts. Throws ReportError naming the file or directory.
std::vector<std::filesystem::path> write_qa_report(const QaReportInput& input,
                                                   const std::filesystem::path& out_dir);

}  // namespace mpobench::reports
