#include "reports/charts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <numbers>
#include <stdexcept>

#include "reports/errors.hpp"

namespace mpobench::reports {

Colour series_colour(std::size_t index) {
    static constexpr std::array<Colour, 6> colours{palette::kBlue,  palette::kOrange,
                                                   palette::kGreen, palette::kPurple,
                                                   palette::kAmber, palette::kRed};
    return colours[index % colours.size()];
}

Colour grade_colour(Grade grade) {
    switch (grade) {
        case Grade::Elite:
            return palette::kGreen;
        case Grade::Standard:
            return palette::kBlue;
        case Grade::Generic:
            return palette::kAmber;
        case Grade::Fail:
            return palette::kRed;
    }
    return palette::kRed;
}

namespace {

constexpr TextStyle kTitleStyle{.size_pt = 11.0, .bold = true, .colour = palette::kInk};
constexpr TextStyle kNoteStyle{.size_pt = 8.0, .colour = palette::kMuted};
constexpr TextStyle kTickStyle{.size_pt = 7.5, .colour = palette::kMuted};
constexpr TextStyle kAxisLabelStyle{.size_pt = 8.0, .colour = palette::kMuted};
constexpr TextStyle kLegendStyle{.size_pt = 8.0, .colour = palette::kInk};
constexpr TextStyle kValueStyle{.size_pt = 7.0, .colour = palette::kInk};
constexpr TextStyle kLimitStyle{.size_pt = 7.5, .bold = true, .colour = palette::kRed};
constexpr TextStyle kNoDataStyle{
    .size_pt = 12.0, .colour = palette::kMuted, .align = Align::Centre};

constexpr double kChartGap_pt = 6.0;    // between the parts of a chart
constexpr double kTickLength_pt = 3.0;  // tick marks below the x axis
constexpr double kLegendSwatch_pt = 14.0;
constexpr double kLegendSpacing_pt = 12.0;
constexpr double kMaxBarWidth_pt = 40.0;  // a few categories should not give slabs
constexpr double kPngInset_pt = 10.0;     // white border around a PNG chart

struct Point {
    double x = 0, y = 0;
};

// ---- Value axes

// A value axis: the range it spans and the round values it marks.
struct ValueAxis {
    double low = 0.0, high = 1.0;
    std::vector<double> ticks;
    int decimals = 0;

    std::string label(double value) const { return fmt::format("{:.{}f}", value, decimals); }
    // Where `value` falls between `from` (at low) and `to` (at high).
    double map(double value, double from, double to) const {
        return from + (value - low) / (high - low) * (to - from);
    }
};

// The smallest of 1, 2, 2.5, 5 x 10^k that is >= raw; whole numbers only
// when the axis counts things.
double nice_step(double raw, bool integral) {
    if (!(raw > 0.0)) {
        return 1.0;
    }
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double fraction = raw / magnitude;
    double nice = 10.0;
    if (fraction <= 1.0 + 1e-9) {
        nice = 1.0;
    } else if (fraction <= 2.0 + 1e-9) {
        nice = 2.0;
    } else if (fraction <= 2.5 + 1e-9 && !(integral && magnitude < 10.0)) {
        nice = 2.5;
    } else if (fraction <= 5.0 + 1e-9) {
        nice = 5.0;
    }
    const double step = nice * magnitude;
    return integral ? std::max(1.0, step) : step;
}

int decimals_for(double step) {
    int decimals = 0;
    double scaled = step;
    while (decimals < 6 && std::abs(scaled - std::round(scaled)) > 1e-6) {
        scaled *= 10.0;
        ++decimals;
    }
    return decimals;
}

ValueAxis axis_with_step(double low, double high, double step) {
    ValueAxis axis;
    axis.low = low;
    axis.high = high;
    axis.decimals = decimals_for(step);
    for (double i = std::ceil(low / step - 1e-9); i * step <= high + step * 1e-9; i += 1.0) {
        const double value = i * step;
        axis.ticks.push_back(std::abs(value) < step * 1e-9 ? 0.0 : value);
    }
    return axis;
}

// About `target` steps over [low, high]; `widen` moves both ends out to
// whole steps so the data sit inside the outer ticks.
ValueAxis make_axis(double low, double high, bool integral, bool widen, int target = 5) {
    if (!(high > low)) {
        high = low + (low == 0.0 ? 1.0 : std::abs(low) * 0.1);
    }
    const double step = nice_step((high - low) / target, integral);
    if (widen) {
        low = std::floor(low / step + 1e-9) * step;
        high = std::ceil(high / step - 1e-9) * step;
    }
    return axis_with_step(low, high, step);
}

// From zero to the first tick at or above `highest`.
ValueAxis zero_based_axis(double highest, bool integral) {
    return make_axis(0.0, highest, integral, true);
}

ValueAxis percent_axis() {
    return axis_with_step(0.0, 100.0, 20.0);
}

bool all_integral(const std::vector<double>& values) {
    return std::all_of(values.begin(), values.end(),
                       [](double value) { return value == std::round(value); });
}

std::string format_count(double value, bool integral) {
    return fmt::format("{:.{}f}", value, integral ? 0 : std::min(decimals_for(value), 2));
}

// ---- Drawing primitives

double line_height(cairo_t* cr, const TextStyle& style) {
    return text_height(cr, "Ag", style, 0.0);
}

void stroke_segment(cairo_t* cr, Point from, Point to, Colour colour, double width, bool dashed) {
    cairo_save(cr);
    set_colour(cr, colour);
    cairo_set_line_width(cr, width);
    if (dashed) {
        static constexpr std::array<double, 2> dash{4.0, 3.0};
        cairo_set_dash(cr, dash.data(), dash.size(), 0.0);
    }
    cairo_move_to(cr, from.x, from.y);
    cairo_line_to(cr, to.x, to.y);
    cairo_stroke(cr);
    cairo_restore(cr);
}

// Joins successive points; a missing point breaks the line.
void stroke_polyline(cairo_t* cr, const std::vector<std::optional<Point>>& points, Colour colour,
                     double width) {
    cairo_save(cr);
    set_colour(cr, colour);
    cairo_set_line_width(cr, width);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    bool drawing = false;
    for (const auto& point : points) {
        if (!point) {
            drawing = false;
            continue;
        }
        if (drawing) {
            cairo_line_to(cr, point->x, point->y);
        } else {
            cairo_move_to(cr, point->x, point->y);
            drawing = true;
        }
    }
    cairo_stroke(cr);
    cairo_restore(cr);
}

// A filled dot with a white rim, so it stands out on lines and bars.
void draw_marker(cairo_t* cr, Point at, double radius, Colour colour) {
    cairo_save(cr);
    // The path is not part of the saved state: without this the arc would be
    // joined to wherever the last text or line left the current point.
    cairo_new_path(cr);
    cairo_arc(cr, at.x, at.y, radius, 0.0, 2.0 * std::numbers::pi);
    set_colour(cr, colour);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 1.0, 1.0, 1.0);
    cairo_set_line_width(cr, std::max(0.5, radius * 0.35));
    cairo_stroke(cr);
    cairo_restore(cr);
}

double marker_radius(double slot) {
    return std::clamp(slot * 0.18, 1.3, 3.0);
}

// Text turned to read upwards, centred on y_centre, its left edge at x.
void draw_upright_text(cairo_t* cr, double x, double y_centre, const std::string& text,
                       const TextStyle& style) {
    const double width = text_width(cr, text, style);
    cairo_save(cr);
    cairo_translate(cr, x, y_centre + width / 2.0);
    cairo_rotate(cr, -std::numbers::pi / 2.0);
    draw_text(cr, 0.0, 0.0, 0.0, text, style);
    cairo_restore(cr);
}

// ---- Heading and legend

enum class Swatch { Bar, Line, DashedLine, Marker, LineWithMarker };

struct LegendEntry {
    std::string label;
    Colour colour;
    Swatch swatch;
};

double entry_width(cairo_t* cr, const LegendEntry& entry) {
    return kLegendSwatch_pt + 4.0 + text_width(cr, entry.label, kLegendStyle);
}

double legend_width(cairo_t* cr, const std::vector<LegendEntry>& legend) {
    double width = 0.0;
    for (const auto& entry : legend) {
        width += entry_width(cr, entry) + (width > 0.0 ? kLegendSpacing_pt : 0.0);
    }
    return width;
}

void draw_swatch(cairo_t* cr, double x, double y_centre, const LegendEntry& entry) {
    const Point left{x, y_centre}, right{x + kLegendSwatch_pt, y_centre};
    const Point middle{x + kLegendSwatch_pt / 2.0, y_centre};
    switch (entry.swatch) {
        case Swatch::Bar:
            fill_rect(cr, x + 2.0, y_centre - 4.5, kLegendSwatch_pt - 4.0, 9.0, entry.colour);
            break;
        case Swatch::Line:
            stroke_segment(cr, left, right, entry.colour, 1.8, false);
            break;
        case Swatch::DashedLine:
            stroke_segment(cr, left, right, entry.colour, 1.2, true);
            break;
        case Swatch::Marker:
            draw_marker(cr, middle, 3.0, entry.colour);
            break;
        case Swatch::LineWithMarker:
            stroke_segment(cr, left, right, entry.colour, 1.4, false);
            draw_marker(cr, middle, 2.6, entry.colour);
            break;
    }
}

// Lays the entries out from (x, y), wrapping at x + width; returns the height used.
double draw_legend(cairo_t* cr, double x, double y, double width,
                   const std::vector<LegendEntry>& legend) {
    const double row = line_height(cr, kLegendStyle);
    double at_x = x, at_y = y;
    for (const auto& entry : legend) {
        const double needed = entry_width(cr, entry);
        if (at_x > x && at_x + needed > x + width) {
            at_x = x;
            at_y += row + 2.0;
        }
        draw_swatch(cr, at_x, at_y + row / 2.0, entry);
        draw_text(cr, at_x + kLegendSwatch_pt + 4.0, at_y, 0.0, entry.label, kLegendStyle);
        at_x += needed + kLegendSpacing_pt;
    }
    return at_y + row - y;
}

// The title on the left and the legend on the right of the same row when
// both fit, else the legend on rows of its own; then the note. Returns where
// the plot region starts.
double draw_heading(cairo_t* cr, Box box, const std::string& title,
                    const std::vector<LegendEntry>& legend, const std::string& note) {
    double y = box.y;
    const double title_height = line_height(cr, kTitleStyle);
    const double title_width = text_width(cr, title, kTitleStyle);
    const double legend_needs = legend_width(cr, legend);
    if (!legend.empty() && title_width + 2.0 * kLegendSpacing_pt + legend_needs <= box.width) {
        draw_text(cr, box.x, y, 0.0, title, kTitleStyle);
        const double legend_y = y + (title_height - line_height(cr, kLegendStyle)) / 2.0;
        draw_legend(cr, box.x + box.width - legend_needs, legend_y, legend_needs, legend);
        y += title_height;
    } else {
        y += draw_text(cr, box.x, y, box.width, title, kTitleStyle);
        if (!legend.empty()) {
            y += 2.0 + draw_legend(cr, box.x, y + 2.0, box.width, legend);
        }
    }
    if (!note.empty()) {
        y += 1.0 + draw_text(cr, box.x, y + 1.0, box.width, note, kNoteStyle);
    }
    return y;
}

void draw_no_data(cairo_t* cr, Box box, double top) {
    const Box area{box.x, top + kChartGap_pt, box.width, box.y + box.height - top - kChartGap_pt};
    stroke_rect(cr, area.x, area.y, area.width, area.height, palette::kGrid, 0.8);
    const double height = line_height(cr, kNoDataStyle);
    draw_text(cr, area.x, area.y + (area.height - height) / 2.0, area.width, "no data",
              kNoDataStyle);
}

// ---- Plot area and axes

// The value axes of a chart: left always, right optional; `right_reserve`
// keeps room on the right for labels a chart puts there itself.
struct ChartAxes {
    ValueAxis left{};
    std::string left_label{};
    std::optional<ValueAxis> right{};
    std::string right_label{};
    std::string x_label{};
    double right_reserve = 0.0;
    double top_reserve = 0.0;  // for values written above the highest bar
};

double widest_tick_label(cairo_t* cr, const ValueAxis& axis) {
    double widest = 0.0;
    for (const double tick : axis.ticks) {
        widest = std::max(widest, text_width(cr, axis.label(tick), kTickStyle));
    }
    return widest;
}

double axis_block_width(cairo_t* cr, const ValueAxis& axis, const std::string& label) {
    const double label_width = label.empty() ? 0.0 : line_height(cr, kAxisLabelStyle) + 4.0;
    return label_width + widest_tick_label(cr, axis) + 6.0;
}

Box layout_plot(cairo_t* cr, Box box, double top, const ChartAxes& axes) {
    const double tick_height = line_height(cr, kTickStyle);
    const double left = axis_block_width(cr, axes.left, axes.left_label);
    const double right =
        std::max({axes.right ? axis_block_width(cr, *axes.right, axes.right_label) : 0.0,
                  axes.right_reserve, tick_height});
    const double bottom = kTickLength_pt + 2.0 + tick_height +
                          (axes.x_label.empty() ? 0.0 : line_height(cr, kAxisLabelStyle) + 3.0);
    const double plot_top =
        top + std::max(kChartGap_pt, tick_height / 2.0 + 2.0) + axes.top_reserve;
    return Box{box.x + left, plot_top, std::max(1.0, box.width - left - right),
               std::max(1.0, box.y + box.height - bottom - plot_top)};
}

// Grid lines at the left axis's ticks, tick labels on both sides, the axis
// labels, and the baseline.
void draw_value_axes(cairo_t* cr, Box box, Box plot, const ChartAxes& axes) {
    const double tick_height = line_height(cr, kTickStyle);
    const double bottom = plot.y + plot.height;
    for (const double tick : axes.left.ticks) {
        const double y = axes.left.map(tick, bottom, plot.y);
        stroke_segment(cr, {plot.x, y}, {plot.x + plot.width, y}, palette::kGrid, 0.6, false);
        const std::string text = axes.left.label(tick);
        draw_text(cr, plot.x - 5.0 - text_width(cr, text, kTickStyle), y - tick_height / 2.0, 0.0,
                  text, kTickStyle);
    }
    if (!axes.left_label.empty()) {
        draw_upright_text(cr, box.x, plot.y + plot.height / 2.0, axes.left_label, kAxisLabelStyle);
    }
    if (axes.right) {
        for (const double tick : axes.right->ticks) {
            const double y = axes.right->map(tick, bottom, plot.y);
            // No grid line of its own: a tick mark says where the value sits.
            stroke_segment(cr, {plot.x + plot.width, y}, {plot.x + plot.width + 3.0, y},
                           palette::kAxis, 0.8, false);
            draw_text(cr, plot.x + plot.width + 6.0, y - tick_height / 2.0, 0.0,
                      axes.right->label(tick), kTickStyle);
        }
        if (!axes.right_label.empty()) {
            draw_upright_text(cr, box.x + box.width - line_height(cr, kAxisLabelStyle),
                              plot.y + plot.height / 2.0, axes.right_label, kAxisLabelStyle);
        }
    }
    stroke_segment(cr, {plot.x, bottom}, {plot.x + plot.width, bottom}, palette::kAxis, 0.8, false);
    if (!axes.x_label.empty()) {
        const TextStyle centred{.size_pt = kAxisLabelStyle.size_pt,
                                .colour = kAxisLabelStyle.colour,
                                .align = Align::Centre};
        draw_text(cr, plot.x, box.y + box.height - line_height(cr, kAxisLabelStyle), plot.width,
                  axes.x_label, centred);
    }
}

// A label centred on x below the axis, kept inside the chart's box.
void draw_x_tick(cairo_t* cr, Box box, double x, double axis_y, const std::string& text) {
    stroke_segment(cr, {x, axis_y}, {x, axis_y + kTickLength_pt}, palette::kAxis, 0.8, false);
    const double width = text_width(cr, text, kTickStyle);
    const double left = std::clamp(x - width / 2.0, box.x, box.x + box.width - width);
    draw_text(cr, left, axis_y + kTickLength_pt + 1.0, 0.0, text, kTickStyle);
}

double slot_width(Box plot, std::size_t count) {
    return plot.width / static_cast<double>(std::max<std::size_t>(1, count));
}

double slot_centre(Box plot, std::size_t count, std::size_t index) {
    return plot.x + (static_cast<double>(index) + 0.5) * slot_width(plot, count);
}

// The plot of a chart with a bar in each category's slot.
struct BarPlot {
    Box plot;
    double bottom = 0.0;  // the baseline the bars stand on
    double slot = 0.0;
    double bar_width = 0.0;
};

// Lays out the plot for `count` slots and draws its axes; a bar takes
// `bar_share` of its slot, up to kMaxBarWidth_pt.
BarPlot draw_bar_plot(cairo_t* cr, Box box, double top, const ChartAxes& axes, std::size_t count,
                      double bar_share) {
    const Box plot = layout_plot(cr, box, top, axes);
    draw_value_axes(cr, box, plot, axes);
    const double slot = slot_width(plot, count);
    return {plot, plot.y + plot.height, slot, std::min(slot * bar_share, kMaxBarWidth_pt)};
}

// Category labels under their slots. When they would collide, a few wide
// slots (stations, causes) get every label shortened to fit; many narrow
// ones (days) show every k-th label only, the first always.
void draw_category_axis(cairo_t* cr, Box box, Box plot,
                        const std::vector<std::string>& categories) {
    constexpr std::size_t kFewCategories = 8;
    constexpr double kLabelGap_pt = 8.0, kShortenableSlot_pt = 30.0;
    double widest = 0.0;
    for (const auto& category : categories) {
        widest = std::max(widest, text_width(cr, category, kTickStyle));
    }
    const double slot = slot_width(plot, categories.size());
    const bool shorten = widest + kLabelGap_pt > slot && categories.size() <= kFewCategories &&
                         slot >= kShortenableSlot_pt;
    const auto every =
        shorten
            ? std::size_t{1}
            : static_cast<std::size_t>(std::max(1.0, std::ceil((widest + kLabelGap_pt) / slot)));
    for (std::size_t i = 0; i < categories.size(); i += every) {
        draw_x_tick(
            cr, box, slot_centre(plot, categories.size(), i), plot.y + plot.height,
            shorten ? fit_text(cr, categories[i], kTickStyle, slot - kLabelGap_pt) : categories[i]);
    }
}

// A bar's value above its top; inside the top, in white, where the marker
// drawn at `marker_y` on the bar's centre line would cover it there.
void draw_value_clear_of(cairo_t* cr, double centre, double top, double bottom, double bar_width,
                         double marker_y, double marker_radius, const std::string& text) {
    const double width = text_width(cr, text, kValueStyle);
    const double height = line_height(cr, kValueStyle);
    if (width + 4.0 > bar_width) {
        return;
    }
    const double above = top - height - 1.0;
    const bool covered = marker_y + marker_radius >= above && marker_y - marker_radius <= top;
    const double inside_y = std::max(top, marker_y + marker_radius) + 2.0;
    if (!covered || inside_y + height + 1.0 > bottom) {
        draw_text(cr, centre - width / 2.0, above, 0.0, text, kValueStyle);
        return;
    }
    TextStyle inside = kValueStyle;
    inside.colour = {1.0, 1.0, 1.0};
    draw_text(cr, centre - width / 2.0, inside_y, 0.0, text, inside);
}

// A value written just above a bar top, when it fits the slot.
void draw_value_above(cairo_t* cr, double centre, double top, double slot,
                      const std::string& text) {
    const double width = text_width(cr, text, kValueStyle);
    if (width + 2.0 > slot) {
        return;
    }
    draw_text(cr, centre - width / 2.0, top - line_height(cr, kValueStyle) - 1.0, 0.0, text,
              kValueStyle);
}

}  // namespace

std::string fit_text(cairo_t* cr, const std::string& text, const TextStyle& style, double width) {
    if (text_width(cr, text, style) <= width) {
        return text;
    }
    std::string cut = text;
    while (!cut.empty()) {
        // Drop one whole UTF-8 character: its continuation bytes, then its lead byte.
        while (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0) == 0x80) {
            cut.pop_back();
        }
        if (!cut.empty()) {
            cut.pop_back();
        }
        if (text_width(cr, cut + "…", style) <= width) {
            return cut + "…";
        }
    }
    return "…";
}

void draw_bar_chart(cairo_t* cr, Box box, const std::string& title,
                    const std::vector<std::string>& categories,
                    const std::vector<BarSeries>& series, const std::string& y_label,
                    std::optional<double> y_max) {
    for (const auto& one : series) {
        if (one.values.size() != categories.size()) {
            throw std::invalid_argument(
                fmt::format("bar chart \"{}\": series \"{}\" has {} values for {} categories",
                            title, one.name, one.values.size(), categories.size()));
        }
    }
    const auto colour_of = [&](std::size_t index) {
        return series[index].colour.value_or(series_colour(index));
    };
    std::vector<LegendEntry> legend;
    if (series.size() > 1) {
        for (std::size_t i = 0; i < series.size(); ++i) {
            legend.push_back({series[i].name, colour_of(i), Swatch::Bar});
        }
    }
    const double top = draw_heading(cr, box, title, legend, {});
    if (categories.empty() || series.empty()) {
        draw_no_data(cr, box, top);
        return;
    }

    std::vector<double> totals(categories.size(), 0.0);
    bool integral = true;
    for (const auto& one : series) {
        integral = integral && all_integral(one.values);
        for (std::size_t i = 0; i < categories.size(); ++i) {
            totals[i] += std::max(0.0, one.values[i]);
        }
    }
    const double highest = *std::max_element(totals.begin(), totals.end());
    const ChartAxes axes{.left = y_max ? make_axis(0.0, *y_max, integral, false)
                                       : zero_based_axis(highest, integral),
                         .left_label = y_label,
                         .top_reserve = line_height(cr, kValueStyle)};
    const auto [plot, bottom, slot, bar_width] =
        draw_bar_plot(cr, box, top, axes, categories.size(), 0.72);
    for (std::size_t i = 0; i < categories.size(); ++i) {
        const double centre = slot_centre(plot, categories.size(), i);
        double stacked = 0.0;
        for (std::size_t s = 0; s < series.size(); ++s) {
            const double value = std::max(0.0, series[s].values[i]);
            const double from = std::min(stacked, axes.left.high);
            const double to = std::min(stacked + value, axes.left.high);
            const double y_from = axes.left.map(from, bottom, plot.y);
            const double y_to = axes.left.map(to, bottom, plot.y);
            fill_rect(cr, centre - bar_width / 2.0, y_to, bar_width, y_from - y_to, colour_of(s));
            stacked += value;
        }
        if (totals[i] > 0.0) {
            draw_value_above(cr, centre,
                             axes.left.map(std::min(totals[i], axes.left.high), bottom, plot.y),
                             slot, format_count(totals[i], integral));
        }
    }
    draw_category_axis(cr, box, plot, categories);
}

void draw_yield_chart(cairo_t* cr, Box box, const std::string& title,
                      const std::vector<analysis::YieldRow>& rows) {
    const std::vector<LegendEntry> legend{
        {"First-pass yield", palette::kBlue, Swatch::LineWithMarker},
        {"Final yield", palette::kGreen, Swatch::LineWithMarker},
        {"Completed runs", palette::kLightBar, Swatch::Bar}};
    const double top = draw_heading(cr, box, title, legend, {});
    if (rows.empty()) {
        draw_no_data(cr, box, top);
        return;
    }

    std::vector<std::string> categories;
    double most_completed = 0.0;
    for (const auto& row : rows) {
        categories.push_back(row.group);
        most_completed = std::max(most_completed, static_cast<double>(row.counts.completed));
    }
    const ValueAxis percent = percent_axis();
    const ChartAxes axes{.left = percent,
                         .left_label = "Yield (%)",
                         // Counts in the lower part of the plot, under the yield lines.
                         .right = zero_based_axis(most_completed * 1.6, true),
                         .right_label = "Completed runs"};
    const auto [plot, bottom, slot, bar_width] =
        draw_bar_plot(cr, box, top, axes, rows.size(), 0.6);
    std::vector<std::optional<Point>> first_pass, final_yield;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& counts = rows[i].counts;
        const double centre = slot_centre(plot, rows.size(), i);
        const double bar_top =
            axes.right->map(static_cast<double>(counts.completed), bottom, plot.y);
        fill_rect(cr, centre - bar_width / 2.0, bar_top, bar_width, bottom - bar_top,
                  palette::kLightBar);
        // Init-captures: Clang before 16 cannot capture structured bindings (sanitizer build).
        const auto point = [&percent, centre, bottom_y = bottom,
                            top_y = plot.y](std::optional<double> yield) -> std::optional<Point> {
            if (!yield) {
                return std::nullopt;
            }
            return Point{centre, percent.map(*yield * 100.0, bottom_y, top_y)};
        };
        first_pass.push_back(point(counts.first_pass_yield()));
        final_yield.push_back(point(counts.final_yield()));
    }
    const double radius = marker_radius(slot);
    for (const auto& [points, colour] :
         {std::pair{&final_yield, palette::kGreen}, std::pair{&first_pass, palette::kBlue}}) {
        stroke_polyline(cr, *points, colour, 1.6);
        for (const auto& point : *points) {
            if (point) {
                draw_marker(cr, *point, radius, colour);
            }
        }
    }
    draw_category_axis(cr, box, plot, categories);
}

void draw_pareto_chart(cairo_t* cr, Box box, const std::string& title,
                       const std::vector<analysis::ParetoRow>& rows,
                       const std::string& count_label) {
    const std::vector<LegendEntry> legend{
        {count_label, palette::kBlue, Swatch::Bar},
        {"Cumulative share", palette::kOrange, Swatch::LineWithMarker}};
    const double top = draw_heading(cr, box, title, legend, {});
    std::vector<analysis::ParetoRow> sorted = rows;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.count > b.count; });
    if (sorted.empty() || sorted.front().count <= 0) {
        draw_no_data(cr, box, top);
        return;
    }

    const ValueAxis percent = percent_axis();
    const ChartAxes axes{.left = zero_based_axis(static_cast<double>(sorted.front().count), true),
                         .left_label = count_label,
                         .right = percent,
                         .right_label = "Cumulative (%)",
                         .top_reserve = line_height(cr, kValueStyle)};
    const auto [plot, bottom, slot, bar_width] =
        draw_bar_plot(cr, box, top, axes, sorted.size(), 0.72);
    std::vector<std::optional<Point>> cumulative;
    std::vector<std::string> categories;
    double running_share = 0.0;
    for (std::size_t i = 0; i < sorted.size(); ++i) {
        const double centre = slot_centre(plot, sorted.size(), i);
        const double count = static_cast<double>(sorted[i].count);
        const double bar_top = axes.left.map(count, bottom, plot.y);
        fill_rect(cr, centre - bar_width / 2.0, bar_top, bar_width, bottom - bar_top,
                  palette::kBlue);
        running_share += sorted[i].share;
        cumulative.push_back(
            Point{centre, percent.map(std::min(running_share, 1.0) * 100.0, bottom, plot.y)});
        draw_value_clear_of(cr, centre, bar_top, bottom, bar_width, cumulative.back()->y,
                            marker_radius(slot), format_count(count, true));
        categories.push_back(sorted[i].item);
    }
    stroke_polyline(cr, cumulative, palette::kOrange, 1.6);
    for (const auto& point : cumulative) {
        draw_marker(cr, *point, marker_radius(slot), palette::kOrange);
    }
    draw_category_axis(cr, box, plot, categories);
}

void draw_histogram(cairo_t* cr, Box box, const std::string& title,
                    const analysis::IlHistogram& histogram, std::optional<double> limit_db,
                    const std::string& limit_label) {
    using analysis::IlHistogram;
    std::string note;
    if (histogram.count() > 0) {
        // Quantiles are read to the bin: its upper edge.
        note = fmt::format("n = {}    p97 {:.2f} dB    max {:.2f} dB", histogram.count(),
                           histogram.quantile_db(0.97).value_or(0.0),
                           histogram.quantile_db(1.0).value_or(0.0));
    }
    const double top = draw_heading(cr, box, title, {}, note);
    if (histogram.count() == 0) {
        draw_no_data(cr, box, top);
        return;
    }

    int first = 0, last = IlHistogram::bin_count - 1;
    while (histogram.bin(first) == 0) {
        ++first;
    }
    while (histogram.bin(last) == 0) {
        --last;
    }
    std::int64_t tallest = 0;
    for (int i = first; i <= last; ++i) {
        tallest = std::max(tallest, histogram.bin(i));
    }
    double low_db = IlHistogram::bin_lower_edge_db(first);
    double high_db = IlHistogram::bin_lower_edge_db(last + 1);
    if (limit_db) {
        low_db = std::min(low_db, *limit_db);
        high_db = std::max(high_db, *limit_db);
    }
    const double pad_db = std::max(IlHistogram::bin_width_db, (high_db - low_db) * 0.04);
    low_db -= pad_db;
    high_db += pad_db;

    const ChartAxes axes{.left = zero_based_axis(static_cast<double>(tallest), true),
                         .left_label = "Readings",
                         .x_label = "IL (dB)"};
    const Box plot = layout_plot(cr, box, top, axes);
    draw_value_axes(cr, box, plot, axes);

    // As many x ticks as their labels allow.
    const double label_width = text_width(cr, fmt::format("{:.2f}", high_db), kTickStyle);
    const int target = std::clamp(static_cast<int>(plot.width / (label_width * 2.5)), 2, 10);
    const ValueAxis x_axis = make_axis(low_db, high_db, false, false, target);
    const double right = plot.x + plot.width;
    const double bottom = plot.y + plot.height;
    for (int i = first; i <= last; ++i) {
        if (histogram.bin(i) == 0) {
            continue;
        }
        const double x_from = x_axis.map(IlHistogram::bin_lower_edge_db(i), plot.x, right);
        // At least a point wide: a lone outlier bin must stay visible.
        const double x_to = std::max(
            x_from + 1.0, x_axis.map(IlHistogram::bin_lower_edge_db(i + 1), plot.x, right));
        const double gap = x_to - x_from > 4.0 ? 0.6 : 0.0;
        const double y = axes.left.map(static_cast<double>(histogram.bin(i)), bottom, plot.y);
        fill_rect(cr, x_from + gap / 2.0, y, x_to - x_from - gap, bottom - y, palette::kBlue);
    }
    for (const double tick : x_axis.ticks) {
        draw_x_tick(cr, box, x_axis.map(tick, plot.x, right), bottom, x_axis.label(tick));
    }

    if (limit_db) {
        const double x = x_axis.map(*limit_db, plot.x, right);
        stroke_segment(cr, {x, plot.y}, {x, bottom}, palette::kRed, 1.2, true);
        const std::string text = fmt::format("{} {:.2f} dB", limit_label, *limit_db);
        const double width = text_width(cr, text, kLimitStyle);
        const double text_x = x + 4.0 + width <= right ? x + 4.0 : x - 4.0 - width;
        draw_text(cr, text_x, plot.y + 2.0, 0.0, text, kLimitStyle);
    }
}

void draw_control_chart(cairo_t* cr, Box box, const std::string& title,
                        const analysis::TrendSeries& series) {
    const bool has_limits = series.ucl_db > series.lcl_db;
    std::vector<LegendEntry> legend{{"Period mean", palette::kBlue, Swatch::LineWithMarker},
                                    {"Centre line", palette::kGreen, Swatch::Line}};
    if (has_limits) {
        legend.push_back({"Control limits (3σ)", palette::kRed, Swatch::DashedLine});
    }
    legend.push_back({"Breaks a rule (number)", palette::kRed, Swatch::Marker});
    const std::string note =
        has_limits ? ""
                   : (series.points.empty() ? "" : "fewer than two periods: no control limits");
    const double top = draw_heading(cr, box, title, legend, note);
    if (series.points.empty()) {
        draw_no_data(cr, box, top);
        return;
    }

    double low = std::min(series.lcl_db, series.centre_db);
    double high = std::max(series.ucl_db, series.centre_db);
    for (const auto& point : series.points) {
        low = std::min(low, point.mean_db);
        high = std::max(high, point.mean_db);
    }
    const double span = high - low > 1e-6 ? high - low : std::max(std::abs(high) * 0.1, 0.01);
    // Headroom above for the rule numbers.
    const ValueAxis y_axis = make_axis(low - span * 0.08, high + span * 0.15, false, true);

    const std::vector<std::pair<std::string, double>> lines =
        has_limits ? std::vector<std::pair<std::string, double>>{{"UCL", series.ucl_db},
                                                                 {"CL", series.centre_db},
                                                                 {"LCL", series.lcl_db}}
                   : std::vector<std::pair<std::string, double>>{{"CL", series.centre_db}};
    const auto line_label = [&](const std::pair<std::string, double>& line) {
        return fmt::format("{} {:.3f}", line.first, line.second);
    };
    double reserve = 0.0;
    for (const auto& line : lines) {
        reserve = std::max(reserve, text_width(cr, line_label(line), kLimitStyle) + 6.0);
    }
    const ChartAxes axes{.left = y_axis, .left_label = "Mean IL (dB)", .right_reserve = reserve};
    const Box plot = layout_plot(cr, box, top, axes);
    draw_value_axes(cr, box, plot, axes);

    const double bottom = plot.y + plot.height;
    const double right = plot.x + plot.width;
    const double label_height = line_height(cr, kLimitStyle);
    double previous_label_y = -1e9;
    for (const auto& line : lines) {
        const bool centre = line.first == "CL";
        const double y = y_axis.map(line.second, bottom, plot.y);
        stroke_segment(cr, {plot.x, y}, {right, y}, centre ? palette::kGreen : palette::kRed,
                       centre ? 1.0 : 1.1, !centre);
        // Lines are in descending order; a label that would overlap the one
        // above is left out (the line itself is still drawn).
        if (y - previous_label_y >= label_height) {
            TextStyle style = kLimitStyle;
            style.colour = centre ? palette::kGreen : palette::kRed;
            draw_text(cr, right + 4.0, y - label_height / 2.0, 0.0, line_label(line), style);
            previous_label_y = y;
        }
    }

    const std::size_t count = series.points.size();
    const double slot = slot_width(plot, count);
    const double radius = marker_radius(slot);
    std::vector<std::optional<Point>> means;
    std::vector<std::string> categories;
    for (std::size_t i = 0; i < count; ++i) {
        means.push_back(Point{slot_centre(plot, count, i),
                              y_axis.map(series.points[i].mean_db, bottom, plot.y)});
        categories.push_back(series.points[i].period);
    }
    stroke_polyline(cr, means, palette::kBlue, 1.3);
    double previous_label_right = -1e9;
    for (std::size_t i = 0; i < count; ++i) {
        const auto& point = series.points[i];
        if (point.rules.empty()) {
            draw_marker(cr, *means[i], radius, palette::kBlue);
            continue;
        }
        draw_marker(cr, *means[i], radius + 1.0, palette::kRed);
        std::string numbers;
        for (const auto rule : point.rules) {
            numbers += fmt::format("{}{}", numbers.empty() ? "" : ",", static_cast<int>(rule) + 1);
        }
        const double width = text_width(cr, numbers, kLimitStyle);
        const double left = means[i]->x - width / 2.0;
        // Neighbouring flags (rule 4 marks runs of eight) must not overprint.
        if (left >= previous_label_right + 1.0) {
            const double above = means[i]->y - radius - 2.0 - label_height;
            const double y = above >= plot.y ? above : means[i]->y + radius + 2.0;
            draw_text(cr, left, y, 0.0, numbers, kLimitStyle);
            previous_label_right = left + width;
        }
    }
    draw_category_axis(cr, box, plot, categories);
}

void write_png(const std::filesystem::path& out, int width, int height,
               const std::function<void(cairo_t*, Box)>& draw) {
    if (width <= 0 || height <= 0) {
        throw ReportError(
            fmt::format("PNG {}: bad size {} x {} pixels", out.string(), width, height));
    }
    const std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface(
        cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height), &cairo_surface_destroy);
    if (const auto status = cairo_surface_status(surface.get()); status != CAIRO_STATUS_SUCCESS) {
        throw ReportError(fmt::format("PNG {}: cannot create a {} x {} image: {}", out.string(),
                                      width, height, cairo_status_to_string(status)));
    }
    {
        const std::unique_ptr<cairo_t, decltype(&cairo_destroy)> cr(cairo_create(surface.get()),
                                                                    &cairo_destroy);
        cairo_set_source_rgb(cr.get(), 1.0, 1.0, 1.0);
        cairo_paint(cr.get());
        cairo_scale(cr.get(), kPngPixelsPerPoint, kPngPixelsPerPoint);
        const double width_pt = width / kPngPixelsPerPoint;
        const double height_pt = height / kPngPixelsPerPoint;
        draw(cr.get(), Box{kPngInset_pt, kPngInset_pt, width_pt - 2.0 * kPngInset_pt,
                           height_pt - 2.0 * kPngInset_pt});
        if (const auto status = cairo_status(cr.get()); status != CAIRO_STATUS_SUCCESS) {
            throw ReportError(fmt::format("PNG {}: drawing failed: {}", out.string(),
                                          cairo_status_to_string(status)));
        }
    }
    cairo_surface_flush(surface.get());
    write_atomically(out, [&](const std::filesystem::path& temporary) {
        const auto status = cairo_surface_write_to_png(surface.get(), temporary.c_str());
        if (status != CAIRO_STATUS_SUCCESS) {
            throw ReportError(fmt::format("cannot write PNG {}: {}", out.string(),
                                          cairo_status_to_string(status)));
        }
    });
}

}  // namespace mpobench::reports
