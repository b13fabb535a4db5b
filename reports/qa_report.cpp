#include "reports/qa_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>

#include "reports/charts.hpp"
#include "reports/drawing.hpp"
#include "vocabulary/logger.hpp"

namespace mpobench::reports {

namespace {

namespace fs = std::filesystem;

// A4 landscape.
constexpr double kPageWidth_pt = kA4Height_pt;
constexpr double kPageHeight_pt = kA4Width_pt;
constexpr double kMargin_pt = 36.0;
constexpr double kFooterHeight_pt = 20.0;
constexpr double kGap_pt = 14.0;
constexpr int kPngWidth_px = 1200;
constexpr int kPngHeight_px = 700;
constexpr std::size_t kTopPositions = 15;

constexpr TextStyle kSectionStyle{.size_pt = 14.0, .bold = true, .colour = palette::kInk};
constexpr TextStyle kSummaryStyle{.size_pt = 9.0, .colour = palette::kMuted};
constexpr TextStyle kFooterStyle{.size_pt = 7.5, .colour = palette::kMuted};
constexpr TextStyle kTableTitleStyle{.size_pt = 10.5, .bold = true, .colour = palette::kInk};
constexpr TextStyle kCellStyle{.size_pt = 7.5, .colour = palette::kInk};
constexpr TextStyle kHeaderCellStyle{.size_pt = 7.5, .bold = true, .colour = {1.0, 1.0, 1.0}};
constexpr Colour kFlaggedRow{1.0, 0.92, 0.92};
constexpr std::array kGradesBestFirst{Grade::Elite, Grade::Standard, Grade::Generic, Grade::Fail};

// The printable area of a page, above the footer.
constexpr Box kContent{kMargin_pt, kMargin_pt, kPageWidth_pt - 2.0 * kMargin_pt,
                       kPageHeight_pt - 2.0 * kMargin_pt - kFooterHeight_pt};

using ChartDraw = std::function<void(cairo_t*, Box)>;

std::string percent_text(std::optional<double> fraction) {
    return fraction ? fmt::format("{:.1f} %", *fraction * 100.0) : "—";
}

std::string period_word(analysis::Grouping period) {
    switch (period) {
        case analysis::Grouping::Week:
            return "week";
        case analysis::Grouping::Day:
            return "day";
        default:
            return "period";
    }
}

std::string capitalised(std::string text) {
    if (!text.empty() && text[0] >= 'a' && text[0] <= 'z') {
        text[0] = static_cast<char>(text[0] - 'a' + 'A');
    }
    return text;
}

// ---- Tables

struct Column {
    std::string header;
    double weight = 1.0;  // share of the spare width, relative to the others
    Align align = Align::Right;
};

struct TableRow {
    std::vector<std::string> cells;
    bool total = false;    // bold, ruled off above
    bool flagged = false;  // tinted: the row breaks an SPC rule
};

struct Table {
    std::string title;
    std::string note;
    std::vector<Column> columns;
    std::vector<TableRow> rows;
    double width_pt = kContent.width;
};

constexpr double kTitleRow_pt = 17.0;
constexpr double kNoteRow_pt = 12.0;
constexpr double kHeaderRow_pt = 15.0;
constexpr double kRow_pt = 13.0;
constexpr double kCellPadding_pt = 4.0;

double table_heading_height(const Table& table) {
    return kTitleRow_pt + (table.note.empty() ? 0.0 : kNoteRow_pt) + kHeaderRow_pt;
}

TextStyle row_style(const TableRow& row) {
    TextStyle style = kCellStyle;
    style.bold = row.total;
    style.colour = row.flagged ? palette::kRed : palette::kInk;
    return style;
}

// Every column as wide as its widest text (header or any cell, so the parts
// of a table split over pages line up); the width left over goes to the
// columns by weight. A table too narrow for its text shrinks every column
// alike, and fit_text shortens what no longer fits.
std::vector<double> column_widths(cairo_t* cr, const Table& table) {
    std::vector<double> widths;
    double natural_total = 0.0, total_weight = 0.0;
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
        double widest = text_width(cr, table.columns[c].header, kHeaderCellStyle);
        for (const auto& row : table.rows) {
            if (c < row.cells.size()) {
                widest = std::max(widest, text_width(cr, row.cells[c], row_style(row)));
            }
        }
        widths.push_back(widest + 2.0 * kCellPadding_pt);
        natural_total += widths.back();
        total_weight += table.columns[c].weight;
    }
    const double spare = table.width_pt - natural_total;
    for (std::size_t c = 0; c < widths.size(); ++c) {
        widths[c] = spare >= 0.0 ? widths[c] + spare * table.columns[c].weight / total_weight
                                 : widths[c] * table.width_pt / natural_total;
    }
    return widths;
}

void draw_cells(cairo_t* cr, double x, double y, double row_height, const Table& table,
                const std::vector<double>& widths, const std::vector<std::string>& cells,
                const TextStyle& style) {
    const double text_y = y + (row_height - text_height(cr, "Ag", style, 0.0)) / 2.0;
    for (std::size_t c = 0; c < table.columns.size() && c < cells.size(); ++c) {
        const double width = widths[c];
        const double inner = width - 2.0 * kCellPadding_pt;
        TextStyle cell_style = style;
        cell_style.align = table.columns[c].align;
        draw_text(cr, x + kCellPadding_pt, text_y, inner, fit_text(cr, cells[c], style, inner),
                  cell_style);
        x += width;
    }
}

// Rows [first, first + count) of a table with its title and header row.
void draw_table_part(cairo_t* cr, double y, const Table& table, std::size_t first,
                     std::size_t count) {
    const double x = kContent.x;
    draw_text(cr, x, y, 0.0, table.title + (first > 0 ? " (continued)" : ""), kTableTitleStyle);
    y += kTitleRow_pt;
    if (!table.note.empty()) {
        draw_text(cr, x, y, kContent.width, table.note, kSummaryStyle);
        y += kNoteRow_pt;
    }
    fill_rect(cr, x, y, table.width_pt, kHeaderRow_pt, palette::kHeader);
    std::vector<std::string> headers;
    for (const auto& column : table.columns) {
        headers.push_back(column.header);
    }
    const std::vector<double> widths = column_widths(cr, table);
    draw_cells(cr, x, y, kHeaderRow_pt, table, widths, headers, kHeaderCellStyle);
    y += kHeaderRow_pt;

    if (table.rows.empty()) {
        draw_text(cr, x + kCellPadding_pt, y + 2.0, 0.0, "no data",
                  {.size_pt = 7.5, .colour = palette::kMuted});
        return;
    }
    for (std::size_t r = first; r < first + count; ++r) {
        const auto& row = table.rows[r];
        if (row.flagged) {
            fill_rect(cr, x, y, table.width_pt, kRow_pt, kFlaggedRow);
        } else if (r % 2 == 1) {
            fill_rect(cr, x, y, table.width_pt, kRow_pt, palette::kStripe);
        }
        if (row.total) {
            fill_rect(cr, x, y, table.width_pt, 0.8, palette::kAxis);
        }
        draw_cells(cr, x, y, kRow_pt, table, widths, row.cells, row_style(row));
        y += kRow_pt;
    }
    fill_rect(cr, x, y, table.width_pt, 0.6, palette::kGrid);
}

// ---- Pages

// What goes on one page; drawn after every page is known, so footers can say
// "Page n of m".
using Page = std::vector<std::function<void(cairo_t*)>>;

// Puts tables one under another. A table that does not fit the rest of the
// page but fits a page of its own starts a new page; a longer one is split,
// never leaving fewer than three of its rows at the foot of a page.
class TableFlow {
  public:
    explicit TableFlow(std::vector<Page>& pages) : pages_(pages) {}

    void add(const Table& table) {
        const double heading = table_heading_height(table);
        const auto height_of = [&](std::size_t rows) {
            return heading + kRow_pt * static_cast<double>(std::max<std::size_t>(rows, 1));
        };
        const std::size_t rows = table.rows.size();
        const bool fits_here = y_ + height_of(rows) <= bottom();
        const bool fits_a_page = kContent.y + height_of(rows) <= bottom();
        const bool room_to_start = y_ + height_of(std::min<std::size_t>(rows, 3)) <= bottom();
        if (!started_ || (!fits_here && (fits_a_page || !room_to_start))) {
            start_page();
        }
        std::size_t first = 0;
        while (true) {
            const auto fitting = static_cast<std::size_t>(
                std::max(1.0, std::floor((bottom() - y_ - heading) / kRow_pt)));
            const std::size_t count =
                table.rows.empty() ? 0 : std::min(fitting, table.rows.size() - first);
            pages_.back().push_back([&table, y = y_, first, count](cairo_t* cr) {
                draw_table_part(cr, y, table, first, count);
            });
            y_ += heading + kRow_pt * static_cast<double>(std::max<std::size_t>(count, 1));
            first += count;
            if (first >= table.rows.size()) {
                break;
            }
            start_page();
        }
        y_ += kGap_pt;
    }

  private:
    static double bottom() { return kContent.y + kContent.height; }
    void start_page() {
        pages_.emplace_back();
        y_ = kContent.y;
        started_ = true;
    }

    std::vector<Page>& pages_;
    double y_ = 0.0;
    bool started_ = false;
};

std::vector<Column> yield_columns(const std::string& group_header) {
    std::vector<Column> columns{{group_header, 3.0, Align::Left},
                                {"Completed"},
                                {"Passed"},
                                {"Run yield"},
                                {"First-pass yield"},
                                {"Final yield"},
                                {"Retests"},
                                {"Aborted"},
                                {"Interrupted"}};
    for (const auto grade : kGradesBestFirst) {
        columns.push_back({capitalised(std::string(to_string(grade)))});
    }
    return columns;
}

TableRow yield_row(const std::string& group, const analysis::YieldCounts& counts, bool total) {
    TableRow row{{group, std::to_string(counts.completed), std::to_string(counts.passed),
                  percent_text(counts.run_yield()), percent_text(counts.first_pass_yield()),
                  percent_text(counts.final_yield()), std::to_string(counts.retests()),
                  std::to_string(counts.aborted), std::to_string(counts.interrupted)},
                 total};
    for (const auto grade : kGradesBestFirst) {
        row.cells.push_back(std::to_string(counts.grades[static_cast<std::size_t>(grade)]));
    }
    return row;
}

Table yield_table(const std::string& title, const std::string& group_header,
                  const std::vector<analysis::YieldRow>& rows, const analysis::YieldRow& total) {
    Table table{title, {}, yield_columns(group_header), {}};
    for (const auto& row : rows) {
        table.rows.push_back(yield_row(row.group, row.counts, false));
    }
    if (!rows.empty()) {
        table.rows.push_back(yield_row("Total", total.counts, true));
    }
    return table;
}

Table grade_table(const QaReportInput& input) {
    Table table{"Completed runs by grade",
                {},
                {{"Grade", 3.0, Align::Left}, {"Runs"}, {"Share of completed"}},
                {},
                kContent.width / 3.0};
    const auto completed = input.yield_total.counts.completed;
    for (const auto& row : input.by_grade) {
        table.rows.push_back(
            {{capitalised(row.group), std::to_string(row.counts.completed),
              percent_text(completed > 0 ? std::optional(static_cast<double>(row.counts.completed) /
                                                         static_cast<double>(completed))
                                         : std::nullopt)}});
    }
    return table;
}

std::string rules_text(const std::vector<analysis::SpcRule>& rules) {
    std::string text;
    for (const auto rule : rules) {
        text += (text.empty() ? "" : "; ") + std::string(analysis::to_string(rule));
    }
    return text;
}

std::string limits_text(const analysis::TrendSeries& series) {
    if (series.ucl_db > series.lcl_db) {
        return fmt::format("centre {:.3f} dB · UCL {:.3f} dB · LCL {:.3f} dB", series.centre_db,
                           series.ucl_db, series.lcl_db);
    }
    return fmt::format("centre {:.3f} dB · fewer than two periods, no control limits",
                       series.centre_db);
}

Table trend_table(const analysis::TrendSeries& series, const std::string& period_header) {
    Table table{fmt::format("IL trend at {} nm", series.wavelength_nm),
                limits_text(series) + " · limits from the moving range of the means",
                {{period_header, 1.0, Align::Left},
                 {"Readings"},
                 {"Mean (dB)"},
                 {"σ (dB)"},
                 {"p97 (dB)"},
                 {"Max (dB)"},
                 {"Rules broken", 5.0, Align::Left}},
                {}};
    for (const auto& point : series.points) {
        table.rows.push_back(
            {{point.period, std::to_string(point.count), fmt::format("{:.3f}", point.mean_db),
              fmt::format("{:.3f}", point.sigma_db), fmt::format("{:.2f}", point.p97_db),
              fmt::format("{:.3f}", point.max_db), rules_text(point.rules)},
             false,
             !point.rules.empty()});
    }
    return table;
}

// ---- Page parts

double draw_section_heading(cairo_t* cr, const std::string& heading, const std::string& summary) {
    double y = kContent.y;
    y += draw_text(cr, kContent.x, y, kContent.width, heading, kSectionStyle);
    if (!summary.empty()) {
        y += 2.0 + draw_text(cr, kContent.x, y + 2.0, kContent.width, summary, kSummaryStyle);
    }
    y += 5.0;
    fill_rect(cr, kContent.x, y, kContent.width, 0.8, palette::kGrid);
    return y + 10.0;
}

struct Logo {
    std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface{
        nullptr, &cairo_surface_destroy};
};

Logo load_logo(const fs::path& png) {
    Logo logo;
    if (png.empty()) {
        return logo;
    }
    logo.surface.reset(cairo_image_surface_create_from_png(png.c_str()));
    if (const auto status = cairo_surface_status(logo.surface.get());
        status != CAIRO_STATUS_SUCCESS) {
        throw ReportError(
            fmt::format("cannot read logo {}: {}", png.string(), cairo_status_to_string(status)));
    }
    return logo;
}

// Company, title, scope and origin, with the logo on the right; returns the
// y below.
double draw_report_header(cairo_t* cr, const QaReportInput& input, const Logo& logo) {
    double logo_width = 0.0;
    if (logo.surface) {
        const double width = cairo_image_surface_get_width(logo.surface.get());
        const double height = cairo_image_surface_get_height(logo.surface.get());
        const double scale = std::min(40.0 / height, 150.0 / width);
        logo_width = width * scale;
        cairo_save(cr);
        cairo_translate(cr, kContent.x + kContent.width - logo_width, kContent.y);
        cairo_scale(cr, scale, scale);
        cairo_set_source_surface(cr, logo.surface.get(), 0.0, 0.0);
        cairo_paint(cr);
        cairo_restore(cr);
    }
    const double width = kContent.width - (logo_width > 0.0 ? logo_width + kGap_pt : 0.0);
    double y = kContent.y;
    if (!input.site.company_name.empty()) {
        y += draw_text(cr, kContent.x, y, width, input.site.company_name,
                       {.size_pt = 10.0, .bold = true, .colour = palette::kMuted});
    }
    y += 2.0 + draw_text(cr, kContent.x, y + 2.0, width, input.title,
                         {.size_pt = 20.0, .bold = true, .colour = palette::kInk});
    if (!input.scope.empty()) {
        y += 2.0 + draw_text(cr, kContent.x, y + 2.0, width, input.scope,
                             {.size_pt = 10.0, .colour = palette::kInk});
    }
    if (!input.generated_by.empty()) {
        y += 1.0 + draw_text(cr, kContent.x, y + 1.0, width, "Generated by " + input.generated_by,
                             kSummaryStyle);
    }
    y += 6.0;
    fill_rect(cr, kContent.x, y, kContent.width, 0.8, palette::kGrid);
    return y + 10.0;
}

struct Kpi {
    std::string caption, value, detail;
};

// Six tiles in a row: the numbers QA looks at first. Returns the y below.
double draw_kpis(cairo_t* cr, double y, const analysis::YieldCounts& total) {
    const std::vector<Kpi> kpis{
        {"Completed runs", std::to_string(total.completed), fmt::format("{} passed", total.passed)},
        {"First-pass yield", percent_text(total.first_pass_yield()),
         fmt::format("{} of {} serials", total.first_passed, total.first_tested)},
        {"Final yield", percent_text(total.final_yield()),
         fmt::format("{} of {} serials", total.final_passed, total.final_tested)},
        {"Retests", std::to_string(total.retests()), "runs after a serial's first"},
        {"Aborted", std::to_string(total.aborted), "faults, refusals, operator"},
        {"Interrupted", std::to_string(total.interrupted), "process ended mid-run"}};
    constexpr double kTileGap_pt = 10.0, kTileHeight_pt = 58.0;
    const double tile_width =
        (kContent.width - kTileGap_pt * static_cast<double>(kpis.size() - 1)) /
        static_cast<double>(kpis.size());
    for (std::size_t i = 0; i < kpis.size(); ++i) {
        const double x = kContent.x + static_cast<double>(i) * (tile_width + kTileGap_pt);
        fill_rect(cr, x, y, tile_width, kTileHeight_pt, palette::kStripe);
        fill_rect(cr, x, y, 3.0, kTileHeight_pt, palette::kHeader);
        const double inner_x = x + 10.0, inner_width = tile_width - 14.0;
        draw_text(cr, inner_x, y + 6.0, inner_width, kpis[i].caption,
                  {.size_pt = 8.0, .colour = palette::kMuted});
        draw_text(cr, inner_x, y + 18.0, inner_width, kpis[i].value,
                  {.size_pt = 18.0, .bold = true, .colour = palette::kInk});
        draw_text(cr, inner_x, y + 42.0, inner_width,
                  fit_text(cr, kpis[i].detail, kFooterStyle, inner_width), kFooterStyle);
    }
    return y + kTileHeight_pt + kGap_pt;
}

void draw_footer(cairo_t* cr, const QaReportInput& input, std::size_t page, std::size_t pages) {
    const double y = kPageHeight_pt - kMargin_pt - kFooterHeight_pt + 8.0;
    fill_rect(cr, kContent.x, y, kContent.width, 0.6, palette::kGrid);
    std::string left = input.title;
    if (!input.site.company_name.empty()) {
        left += " · " + input.site.company_name;
    }
    const std::string right = fmt::format("Page {} of {}", page, pages);
    const double right_width = text_width(cr, right, kFooterStyle);
    draw_text(cr, kContent.x, y + 4.0, 0.0,
              fit_text(cr, left, kFooterStyle, kContent.width - right_width - kGap_pt),
              kFooterStyle);
    draw_text(cr, kContent.x + kContent.width - right_width, y + 4.0, 0.0, right, kFooterStyle);
}

// ---- The charts, each drawn once for the PDF and once as a PNG

struct Chart {
    std::string file;  // PNG name
    ChartDraw draw;
};

struct Charts {
    Chart yield, grade_mix, pareto_cause, pareto_position, pareto_wavelength;
    std::vector<Chart> histograms, controls;  // per wavelength, in trend order

    std::vector<const Chart*> all() const {
        std::vector<const Chart*> list{&yield, &grade_mix, &pareto_cause, &pareto_position,
                                       &pareto_wavelength};
        for (std::size_t i = 0; i < histograms.size(); ++i) {
            list.push_back(&histograms[i]);
            list.push_back(&controls[i]);
        }
        return list;
    }
};

Charts make_charts(const QaReportInput& input) {
    const std::string period = period_word(input.period);
    Charts charts;
    charts.yield = {"yield.png", [&input, period](cairo_t* cr, Box box) {
                        draw_yield_chart(cr, box, "Yield by " + period, input.yield_by_period);
                    }};
    charts.grade_mix = {
        "grade_mix.png", [&input, period](cairo_t* cr, Box box) {
            std::vector<std::string> categories;
            for (const auto& row : input.yield_by_period) {
                categories.push_back(row.group);
            }
            std::vector<BarSeries> series;
            for (const auto grade : kGradesBestFirst) {
                BarSeries one{capitalised(std::string(to_string(grade))), {}, grade_colour(grade)};
                for (const auto& row : input.yield_by_period) {
                    one.values.push_back(
                        static_cast<double>(row.counts.grades[static_cast<std::size_t>(grade)]));
                }
                series.push_back(std::move(one));
            }
            draw_bar_chart(cr, box, "Grade mix by " + period, categories, series, "Completed runs");
        }};
    charts.pareto_cause = {"pareto_cause.png", [&input](cairo_t* cr, Box box) {
                               draw_pareto_chart(cr, box, "Failed runs by cause",
                                                 input.pareto.by_cause, "Runs");
                           }};
    charts.pareto_position = {
        "pareto_position.png", [&input](cairo_t* cr, Box box) {
            const auto& rows = input.pareto.by_position;
            const std::vector<analysis::ParetoRow> top(
                rows.begin(),
                rows.begin() + static_cast<std::ptrdiff_t>(std::min(rows.size(), kTopPositions)));
            draw_pareto_chart(
                cr, box, fmt::format("Failures by position (end:fibre), top {}", kTopPositions),
                top, "Failures");
        }};
    charts.pareto_wavelength = {"pareto_wavelength.png", [&input](cairo_t* cr, Box box) {
                                    draw_pareto_chart(cr, box, "Failures by wavelength (nm)",
                                                      input.pareto.by_wavelength, "Failures");
                                }};
    for (const auto& series : input.trend) {
        std::optional<double> limit_db;
        std::string limit_label;
        for (const auto& mark : input.il_limits) {
            if (mark.wavelength_nm == series.wavelength_nm) {
                limit_db = mark.il_max_db;
                limit_label = mark.label;
            }
        }
        charts.histograms.push_back(
            {fmt::format("il_histogram_{}.png", series.wavelength_nm),
             [&series, limit_db, limit_label](cairo_t* cr, Box box) {
                 draw_histogram(cr, box,
                                fmt::format("IL distribution at {} nm", series.wavelength_nm),
                                series.histogram, limit_db, limit_label);
             }});
        charts.controls.push_back({fmt::format("il_control_{}.png", series.wavelength_nm),
                                   [&series, period](cairo_t* cr, Box box) {
                                       draw_control_chart(
                                           cr, box,
                                           fmt::format("Mean IL by {} at {} nm (individuals chart)",
                                                       period, series.wavelength_nm),
                                           series);
                                   }});
    }
    return charts;
}

std::vector<Page> lay_out_pages(const QaReportInput& input, const Charts& charts,
                                const std::vector<Table>& tables, const Logo& logo) {
    std::vector<Page> pages;
    const double half_width = (kContent.width - kGap_pt) / 2.0;
    const double bottom = kContent.y + kContent.height;

    pages.push_back({[&input, &charts, &logo, half_width, bottom](cairo_t* cr) {
        double y = draw_report_header(cr, input, logo);
        y = draw_kpis(cr, y, input.yield_total.counts);
        const double height = bottom - y;
        charts.yield.draw(cr, Box{kContent.x, y, half_width, height});
        charts.grade_mix.draw(cr, Box{kContent.x + half_width + kGap_pt, y, half_width, height});
    }});

    pages.push_back({[&input, &charts, half_width, bottom](cairo_t* cr) {
        const auto& pareto = input.pareto;
        const double y = draw_section_heading(
            cr, "Failure Pareto",
            fmt::format("{} of {} completed runs did not reach their target grade",
                        pareto.failed_runs, pareto.completed_runs));
        const double row_height = (bottom - y - kGap_pt) / 2.0;
        charts.pareto_cause.draw(cr, Box{kContent.x, y, half_width, row_height});
        charts.pareto_wavelength.draw(
            cr, Box{kContent.x + half_width + kGap_pt, y, half_width, row_height});
        charts.pareto_position.draw(
            cr, Box{kContent.x, y + row_height + kGap_pt, kContent.width, row_height});
    }});

    for (std::size_t i = 0; i < input.trend.size(); ++i) {
        pages.push_back({[&input, &charts, i, bottom](cairo_t* cr) {
            const auto& series = input.trend[i];
            const std::size_t flagged = static_cast<std::size_t>(
                std::count_if(series.points.begin(), series.points.end(),
                              [](const auto& point) { return !point.rules.empty(); }));
            const double y = draw_section_heading(
                cr, fmt::format("IL at {} nm", series.wavelength_nm),
                fmt::format("{} readings over {} {} · {} · {}", series.histogram.count(),
                            series.points.size(), series.points.size() == 1 ? "period" : "periods",
                            limits_text(series),
                            // One period has no control limits: nothing to judge.
                            series.points.size() < 2 ? std::string("too few periods to judge")
                            : flagged == 1           ? std::string("1 period breaks a rule")
                                           : fmt::format("{} periods break a rule", flagged)));
            const double row_height = (bottom - y - kGap_pt) / 2.0;
            charts.histograms[i].draw(cr, Box{kContent.x, y, kContent.width, row_height});
            charts.controls[i].draw(
                cr, Box{kContent.x, y + row_height + kGap_pt, kContent.width, row_height});
        }});
    }

    TableFlow flow(pages);
    for (const auto& table : tables) {
        flow.add(table);
    }
    return pages;
}

std::vector<Table> make_tables(const QaReportInput& input) {
    const std::string period = capitalised(period_word(input.period));
    std::vector<Table> tables{
        yield_table("Yield by " + period_word(input.period), period, input.yield_by_period,
                    input.yield_total),
        yield_table("Yield by part", "Part", input.by_part, input.yield_total),
        yield_table("Yield by station", "Station", input.by_station, input.yield_total),
        yield_table("Yield by operator", "Operator", input.by_operator, input.yield_total),
        grade_table(input)};
    for (const auto& series : input.trend) {
        tables.push_back(trend_table(series, period));
    }
    return tables;
}

void write_pdf(const QaReportInput& input, const Charts& charts, const fs::path& file) {
    const Logo logo = load_logo(input.site.logo_png);
    const std::vector<Table> tables = make_tables(input);
    const std::vector<Page> pages = lay_out_pages(input, charts, tables, logo);
    write_atomically(file, [&](const fs::path& temporary) {
        PdfDocument document(temporary, kPageWidth_pt, kPageHeight_pt,
                             {.title = input.title,
                              .author = input.site.company_name,
                              .subject = input.scope,
                              .keywords = "mpobench QA report",
                              .creator = input.generated_by});
        cairo_t* cr = document.context();
        for (std::size_t i = 0; i < pages.size(); ++i) {
            if (i > 0) {
                document.next_page();
            }
            for (const auto& part : pages[i]) {
                part(cr);
            }
            draw_footer(cr, input, i + 1, pages.size());
        }
        document.finish();
    });
}

}  // namespace

std::vector<fs::path> write_qa_report(const QaReportInput& input, const fs::path& out_dir) {
    std::error_code error;
    fs::create_directories(out_dir, error);
    if (error) {
        throw ReportError(fmt::format("cannot create QA report directory {}: {}", out_dir.string(),
                                      error.message()));
    }
    const Charts charts = make_charts(input);
    std::vector<fs::path> written{out_dir / "report.pdf"};
    write_pdf(input, charts, written.front());
    for (const Chart* chart : charts.all()) {
        written.push_back(out_dir / chart->file);
        write_png(written.back(), kPngWidth_px, kPngHeight_px, chart->draw);
    }
    logger("reports")->info("QA report \"{}\": {} files in {}", input.title, written.size(),
                            out_dir.string());
    return written;
}

}  // namespace mpobench::reports
