#pragma once
// Charts drawn with cairo, for the QA report pages and as PNG files: a bar
// chart (yield, grade mix), a Pareto chart (bars and cumulative line), a
// histogram, and a control chart (points, centre line, limits, flagged
// points). Each draws into a rectangle of a cairo context, so the same chart
// goes into a PDF page or a PNG. Sizes of text and lines are in the
// context's units (points on a PDF page); charts lay themselves out around
// them, thin out labels that would collide, and say "no data" when empty.

#include <cairo.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analysis/qa.hpp"
#include "reports/drawing.hpp"
#include "vocabulary/run_record.hpp"

namespace mpobench::reports {

// The colours every chart and the QA report share.
namespace palette {
inline constexpr Colour kInk{0.13, 0.13, 0.13};       // titles, values
inline constexpr Colour kMuted{0.40, 0.40, 0.40};     // axis labels, notes
inline constexpr Colour kAxis{0.55, 0.55, 0.55};      // axis lines, ticks
inline constexpr Colour kGrid{0.90, 0.90, 0.90};      // grid lines, borders
inline constexpr Colour kStripe{0.965, 0.965, 0.97};  // alternate table rows
inline constexpr Colour kHeader{0.20, 0.29, 0.39};    // table headers
inline constexpr Colour kBlue{0.16, 0.42, 0.69};
inline constexpr Colour kGreen{0.18, 0.55, 0.34};
inline constexpr Colour kOrange{0.91, 0.49, 0.13};
inline constexpr Colour kRed{0.80, 0.15, 0.15};
inline constexpr Colour kAmber{0.95, 0.68, 0.12};
inline constexpr Colour kPurple{0.49, 0.34, 0.65};
inline constexpr Colour kLightBar{0.80, 0.85, 0.91};  // context bars behind lines
}  // namespace palette

// The colour of the index-th series of a chart (cycles after six).
Colour series_colour(std::size_t index);
// Grades keep their colour in every chart: elite green ... fail red.
Colour grade_colour(Grade grade);

// The text, or as much of it as fits the width followed by "…" (whole
// UTF-8 characters only).
std::string fit_text(cairo_t* cr, const std::string& text, const TextStyle& style, double width);

struct Box {
    double x = 0, y = 0, width = 0, height = 0;  // points (1/72 in) or pixels
};

struct BarSeries {
    std::string name;
    std::vector<double> values;    // one per category, >= 0
    std::optional<Colour> colour;  // nullopt: series_colour(index)
};

// Categories along x; several series are stacked. y_max: nullopt = auto.
// Throws std::invalid_argument when a series has not one value per category.
void draw_bar_chart(cairo_t* cr, Box box, const std::string& title,
                    const std::vector<std::string>& categories,
                    const std::vector<BarSeries>& series, const std::string& y_label,
                    std::optional<double> y_max = std::nullopt);
// First-pass and final yield as lines on a 0-100 % axis, with the completed
// runs of each row as light bars on a right-hand axis.
void draw_yield_chart(cairo_t* cr, Box box, const std::string& title,
                      const std::vector<analysis::YieldRow>& rows);
// Bars by count, largest first, and the cumulative share as a line on a
// right-hand 0-100 % axis. count_label names what is counted ("Runs").
void draw_pareto_chart(cairo_t* cr, Box box, const std::string& title,
                       const std::vector<analysis::ParetoRow>& rows,
                       const std::string& count_label = "Failures");
// The occupied bins of an IL histogram, with an optional limit line labelled
// "<limit_label> <value> dB" (e.g. "Elite max 0.35 dB").
void draw_histogram(cairo_t* cr, Box box, const std::string& title,
                    const analysis::IlHistogram& histogram, std::optional<double> limit_db,
                    const std::string& limit_label = "Limit");
// Period means joined, centre line, UCL/LCL dashed; points that break a
// rule in red, marked with the rule numbers.
void draw_control_chart(cairo_t* cr, Box box, const std::string& title,
                        const analysis::TrendSeries& series);

// PNG charts are drawn at this many pixels per point, so a chart's text and
// lines keep the proportions they have on a page.
inline constexpr double kPngPixelsPerPoint = 1.5;

// Renders one chart into a PNG of width x height pixels (white background);
// `draw` gets the whole image as its box, in points. Written whole or not at
// all; throws ReportError naming the file.
void write_png(const std::filesystem::path& out, int width, int height,
               const std::function<void(cairo_t*, Box)>& draw);

}  // namespace mpobench::reports
