#include "reports/certificate.hpp"

#include "vocabulary/time_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <iterator>
#include <memory>
#include <tuple>

#include "analysis/grading.hpp"
#include "analysis/repeatability.hpp"
#include "analysis/verdict.hpp"
#include "reports/cert_codes.hpp"
#include "reports/cert_flow.hpp"
#include "reports/cert_polarity.hpp"
#include "reports/cert_style.hpp"
#include "reports/drawing.hpp"
#include "reports/site_clock.hpp"
#include "vocabulary/logger.hpp"

namespace mpobench::reports {

namespace {

using namespace cert;

constexpr std::string_view kKeywordsPrefix = "mpobench-record-sha256:";
constexpr const char* kDocumentTitle = "Test Certificate";

// Page geometry, in points.
constexpr double kMargin_pt = 42;
constexpr double kRunningHeader_pt = 30;  // pages 2..m
constexpr double kFooter_pt = 24;
constexpr double kRow_pt = 11.5;        // one table row
constexpr double kSectionHead_pt = 22;  // a section title with its rule
constexpr double kCellPad_pt = 4;

std::string grade_name(Grade grade) {
    std::string name(to_string(grade));
    name.front() = static_cast<char>(std::toupper(static_cast<unsigned char>(name.front())));
    return name;
}

std::string upper(std::string text) {
    for (char& c : text)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
}

bool is_sha256_hex(std::string_view text) {
    return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

std::string age_text(std::chrono::system_clock::duration age) {
    using namespace std::chrono;
    const auto total_minutes = duration_cast<minutes>(age).count();
    if (total_minutes < 0)
        return "taken after the run started";
    const auto days = total_minutes / (24 * 60), hours = total_minutes / 60 % 24,
               minutes = total_minutes % 60;
    if (days > 0)
        return fmt::format("{} d {} h", days, hours);
    if (hours > 0)
        return fmt::format("{} h {} min", hours, minutes);
    return fmt::format("{} min", minutes);
}

std::string il_text(double il_db) {
    return fmt::format("{:.3f}", il_db);
}
std::string rl_text(double rl_db) {
    return fmt::format("{:.1f}", rl_db);
}

// Serial values go into the QR payload escaped, so ';' and '=' in a serial
// cannot be mistaken for field separators.
std::string payload_escape(std::string_view text) {
    std::string out;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == ';' || c == '=' || c == '%' || byte < 0x20 || byte == 0x7f)
            out += fmt::format("%{:02X}", static_cast<unsigned>(byte));
        else
            out += c;
    }
    return out;
}

// ---------------------------------------------------------------- tables

struct Column {
    std::string head;
    double width_pt;
    Align align;
};

struct Cell {
    std::string text;
    bool alert = false;  // a value that fails: red and bold
    bool good = false;   // a pass mark: green
};

Cell pass_mark(bool failing, const std::string& reason) {
    return failing ? Cell{fmt::format("✗ {}", reason), true} : Cell{"✓", false, true};
}

// Widths as given; the last column takes what is left of `width`.
std::vector<Column> fit_columns(std::vector<Column> columns, double width) {
    double used = 0;
    for (std::size_t i = 0; i + 1 < columns.size(); ++i)
        used += columns[i].width_pt;
    columns.back().width_pt = width - used;
    return columns;
}

TextStyle cell_style(const Column& column, const Cell& cell, bool bold) {
    TextStyle style = body(cell.alert ? kFail : cell.good ? kPass : kInk);
    style.size_pt = 7.5;
    style.bold = bold || cell.alert;
    style.align = column.align;
    return style;
}

void draw_cell(cairo_t* cr, double x, double y, const Column& column, const Cell& cell, bool bold) {
    draw_text(cr, x + kCellPad_pt, y + 1.8, column.width_pt - 2 * kCellPad_pt, cell.text,
              cell_style(column, cell, bold));
}

// One line for the short values of the tables; more where a text wraps.
double row_height(cairo_t* cr, const std::vector<Column>& columns, const std::vector<Cell>& cells) {
    double height = kRow_pt;
    for (std::size_t i = 0; i < columns.size() && i < cells.size(); ++i)
        height =
            std::max(height, text_height(cr, cells[i].text, cell_style(columns[i], cells[i], false),
                                         columns[i].width_pt - 2 * kCellPad_pt) +
                                 3.6);
    return height;
}

void draw_table_head(cairo_t* cr, double x, double y, double width,
                     const std::vector<Column>& columns) {
    fill_rect(cr, x, y, width, kRow_pt + 2, kHeadFill);
    double left = x;
    for (const auto& column : columns) {
        TextStyle style = small(kNavy);
        style.bold = true;
        style.align = column.align;
        draw_text(cr, left + kCellPad_pt, y + 2.6, column.width_pt - 2 * kCellPad_pt, column.head,
                  style);
        left += column.width_pt;
    }
}

void draw_table_row(cairo_t* cr, double x, double y, double width, double height,
                    const std::vector<Column>& columns, const std::vector<Cell>& cells,
                    std::optional<Colour> fill) {
    if (fill)
        fill_rect(cr, x, y, width, height, *fill);
    double left = x;
    for (std::size_t i = 0; i < columns.size() && i < cells.size(); ++i) {
        draw_cell(cr, left, y, columns[i], cells[i], false);
        left += columns[i].width_pt;
    }
    stroke_line(cr, x, y + height, x + width, y + height, kRule, 0.3);
}

// ---------------------------------------------------------------- content

// What the certificate says, worked out once before layout.
class Certificate {
  public:
    Certificate(const CertificateInput& input, cairo_t* measure, double width)
        : in_(input),
          run_(input.run),
          verdict_(analysis::make_verdict(input.run)),
          measure_(measure),
          width_(width) {
        if (input.limits && run_.part.target != Grade::Fail) {
            const auto& grade_limits = input.limits->limits(run_.part.target, run_.part.mode);
            const double guard_band_db = input.limits->guard_band_db;
            il_max_db_ = grade_limits.il_max_db - guard_band_db;
            il_typical_db_ = grade_limits.il_typical_db - guard_band_db;
            rl_min_db_ = grade_limits.rl_min_db;
            repeatability_max_db_ = grade_limits.repeatability_max_db;
        }
        if (!input.site.logo_png.empty()) {
            logo_ = cairo_image_surface_create_from_png(input.site.logo_png.c_str());
            if (cairo_surface_status(logo_) != CAIRO_STATUS_SUCCESS) {
                const std::string reason = cairo_status_to_string(cairo_surface_status(logo_));
                cairo_surface_destroy(logo_);
                logo_ = nullptr;
                throw ReportError(
                    fmt::format("cannot read logo {}: {}", input.site.logo_png.string(), reason));
            }
        }
    }
    ~Certificate() {
        if (logo_)
            cairo_surface_destroy(logo_);
    }
    Certificate(const Certificate&) = delete;
    Certificate& operator=(const Certificate&) = delete;

    std::vector<FlowBlock> blocks() {
        add_header();
        add_result();
        add_details();
        add_instruments();
        add_record();
        add_polarity();
        for (const End end : {End::A, End::B})
            add_measurements(end);
        if (run_.mating_cycles_run > 0)
            add_repeatability();
        return std::move(blocks_);
    }

    // The frame of every page: a running header from page 2 on, and the footer.
    void draw_frame(cairo_t* cr, int page, int pages, double page_width, double page_height) const {
        const double right = page_width - kMargin_pt;
        if (page > 0) {
            draw_text(cr, kMargin_pt, kMargin_pt, 0,
                      fmt::format("Test certificate · {}", run_.serial),
                      {.size_pt = 9, .bold = true, .colour = kNavy});
            draw_text(cr, right, kMargin_pt + 1, 0,
                      fmt::format("{} · {}", in_.site.company_name, run_.part.number),
                      {.size_pt = kSmall_pt, .colour = kMuted, .align = Align::Right});
            stroke_line(cr, kMargin_pt, kMargin_pt + 15, right, kMargin_pt + 15, kNavy, 0.8);
        }
        const double footer_y = page_height - kMargin_pt - kFooter_pt + 8;
        stroke_line(cr, kMargin_pt, footer_y, right, footer_y, kRule, 0.5);
        draw_text(cr, kMargin_pt, footer_y + 4, 0,
                  fmt::format("Test certificate {} · record {} · SHA-256 {}…", run_.serial, run_.id,
                              in_.record_hash.substr(0, 16)),
                  small());
        draw_text(cr, right, footer_y + 4, 0, fmt::format("Page {} of {}", page + 1, pages),
                  {.size_pt = kSmall_pt, .bold = true, .colour = kInk, .align = Align::Right});
    }

  private:
    using Draw = std::function<void(cairo_t*, double, double, double)>;

    void add(double height_pt, Draw draw, double keep_with_next_pt = 0,
             std::shared_ptr<const FlowBlock> continuation = nullptr) {
        FlowBlock block;
        block.height_pt = height_pt;
        block.draw = std::move(draw);
        block.keep_with_next_pt = keep_with_next_pt;
        block.continuation = std::move(continuation);
        blocks_.push_back(std::move(block));
    }
    void space(double height_pt) { add(height_pt, nullptr); }

    void add_title(const std::string& title, double keep_with_next_pt) {
        add(
            kSectionHead_pt,
            [title](cairo_t* cr, double x, double y, double width) {
                draw_text(cr, x, y + 2, 0, title,
                          {.size_pt = kSectionTitle_pt, .bold = true, .colour = kNavy});
                stroke_line(cr, x, y + 17, x + width, y + 17, kNavy, 0.6);
            },
            keep_with_next_pt);
    }

    void add_note(const std::string& text, double keep_with_next_pt = 0) {
        const double height = text_height(measure_, text, small(), width_) + 4;
        add(
            height,
            [text](cairo_t* cr, double x, double y, double width) {
                draw_text(cr, x, y, width, text, small());
            },
            keep_with_next_pt);
    }

    // Company and title: the top of page 1.
    void add_header() {
        const std::string address = fmt::format("{}", fmt::join(in_.site.address_lines, "\n"));
        const TextStyle name_style{.size_pt = 14, .bold = true, .colour = kNavy};
        const TextStyle address_style{.size_pt = 7.5, .colour = kMuted};
        // The logo fits a box 52 pt tall and up to 140 pt wide, keeping its shape.
        constexpr double kLogoHeight_pt = 52, kLogoMaxWidth_pt = 140;
        const double logo_scale =
            logo_ ? std::min(kLogoHeight_pt / cairo_image_surface_get_height(logo_),
                             kLogoMaxWidth_pt / cairo_image_surface_get_width(logo_))
                  : 0.0;
        const double logo_width = logo_ ? cairo_image_surface_get_width(logo_) * logo_scale : 0.0;
        const TextStyle title_style{
            .size_pt = 19, .bold = true, .colour = kNavy, .align = Align::Right};
        // The company block wraps short of the title at the right.
        const double company_width = width_ - (logo_ ? logo_width + 12 : 0) -
                                     text_width(measure_, kDocumentTitle, title_style) - 16;
        const double name_height =
            text_height(measure_, in_.site.company_name, name_style, company_width);
        const double text_block =
            name_height + 2 +
            (address.empty() ? 0 : text_height(measure_, address, address_style, company_width));
        const double height = std::max({kLogoHeight_pt, text_block, 46.0}) + 12;
        add(height,
            [this, address, name_style, address_style, title_style, height, name_height,
             company_width, logo_scale, logo_width](cairo_t* cr, double x, double y, double width) {
                double text_left = x;
                if (logo_) {
                    cairo_save(cr);
                    cairo_translate(cr, x, y);
                    cairo_scale(cr, logo_scale, logo_scale);
                    cairo_set_source_surface(cr, logo_, 0, 0);
                    cairo_paint(cr);
                    cairo_restore(cr);
                    text_left = x + logo_width + 12;
                }
                draw_text(cr, text_left, y + 2, company_width, in_.site.company_name, name_style);
                if (!address.empty())
                    draw_text(cr, text_left, y + 4 + name_height, company_width, address,
                              address_style);

                const double right = x + width;
                draw_text(cr, right, y, 0, kDocumentTitle, title_style);
                draw_text(cr, right, y + 25, 0, "MPO/MTP fibre-optic cable assembly",
                          {.size_pt = 8, .colour = kMuted, .align = Align::Right});
                draw_text(cr, right, y + 36, 0,
                          fmt::format("Serial {} · record {}", run_.serial, run_.id),
                          {.size_pt = 8, .colour = kMuted, .align = Align::Right});
                stroke_line(cr, x, y + height - 4, right, y + height - 4, kNavy, 1.4);
            });
        space(10);
    }

    // PASS/FAIL and grade, large; the serial as a barcode.
    void add_result() {
        constexpr double kPanel_pt = 72, kVerdict_pt = 132;
        // Bars 0.9 pt wide (2.5 px at 200 dpi) unless the serial is long: at most 200 pt.
        const VectorSymbol barcode = code128_symbol(run_.serial, 38);
        const double module_pt = std::min(0.9, 200.0 / barcode.width_modules);
        const double barcode_width = barcode.width_modules * module_pt;

        const Grade grade = run_.grade.value_or(Grade::Fail);
        const std::size_t failing = verdict_.failing_values();
        std::string summary;
        if (grade != Grade::Fail && failing == 0)
            summary = fmt::format("Every measured value meets the {} limits.", grade_name(grade));
        else
            summary = fmt::format("{} {} the {} limits (✗ in the tables).", failing,
                                  failing == 1 ? "value misses" : "values miss",
                                  grade_name(run_.part.target));
        // What made it FAIL, in words, under the panel: the most severe
        // failure against the target.
        std::string reason;
        if (!run_.pass && !verdict_.against_target.empty()) {
            const std::size_t more = verdict_.against_target.size() - 1;
            reason = fmt::format("FAIL: {}{}",
                                 analysis::describe_failure(verdict_.against_target.front(), run_),
                                 more == 0 ? std::string() : fmt::format(" (and {} more)", more));
        }

        add(kPanel_pt + 4, [this, barcode, module_pt, barcode_width, grade, summary](
                               cairo_t* cr, double x, double y, double width) {
            fill_rect(cr, x, y, kVerdict_pt, kPanel_pt, run_.pass ? kPass : kFail);
            draw_text(cr, x, y + 8, kVerdict_pt, "RESULT",
                      {.size_pt = 7, .bold = true, .colour = kWhite, .align = Align::Centre});
            draw_text(cr, x, y + 19, kVerdict_pt, run_.pass ? "PASS" : "FAIL",
                      {.size_pt = 30, .bold = true, .colour = kWhite, .align = Align::Centre});

            const double grade_left = x + kVerdict_pt + 18;
            const double grade_width = width - kVerdict_pt - 18 - barcode_width - 16;
            draw_text(cr, grade_left, y + 2, 0, "GRADE ACHIEVED", small());
            draw_text(
                cr, grade_left, y + 12, 0, upper(grade_name(grade)),
                {.size_pt = 22, .bold = true, .colour = grade == Grade::Fail ? kFail : kNavy});
            draw_text(cr, grade_left, y + 43, 0,
                      fmt::format("Target grade: {}", grade_name(run_.part.target)),
                      {.size_pt = 9, .bold = true, .colour = kInk});
            draw_text(cr, grade_left, y + 57, grade_width, summary, small());

            const double barcode_left = x + width - barcode_width;
            draw_symbol(cr, barcode, barcode_left, y + 4, module_pt);
            draw_text(cr, barcode_left + barcode_width / 2,
                      y + 8 + barcode.height_modules * module_pt, 0, run_.serial,
                      {.size_pt = 10,
                       .bold = true,
                       .monospace = true,
                       .colour = kInk,
                       .align = Align::Centre});
        });
        if (!reason.empty()) {
            space(6);
            add_note(reason);
        }
        if (!in_.site.statement.empty()) {
            space(6);
            add_note(in_.site.statement);
        }
        space(12);
    }

    using Field = std::pair<std::string, std::string>;

    static constexpr double kLabel_pt = 86;
    static constexpr double kColumnGap_pt = 22;

    double fields_height(const std::vector<Field>& fields, double column_width) const {
        double height = kSectionHead_pt;
        for (const auto& [label, value] : fields)
            height += text_height(measure_, value, field_style(), column_width - kLabel_pt) + 3;
        return height;
    }

    static TextStyle field_style() { return {.size_pt = kBody_pt, .colour = kInk}; }

    static void draw_fields(cairo_t* cr, double x, double y, double column_width,
                            const std::string& title, const std::vector<Field>& fields) {
        draw_text(cr, x, y + 2, 0, title,
                  {.size_pt = kSectionTitle_pt, .bold = true, .colour = kNavy});
        stroke_line(cr, x, y + 17, x + column_width, y + 17, kNavy, 0.6);
        double top = y + kSectionHead_pt;
        for (const auto& [label, value] : fields) {
            draw_text(cr, x, top + 0.5, kLabel_pt - 6, label, small());
            top +=
                draw_text(cr, x + kLabel_pt, top, column_width - kLabel_pt, value, field_style()) +
                3;
        }
    }

    void add_details() {
        const Part& part = run_.part;
        std::vector<int> wavelengths = part.wavelengths_nm;
        if (wavelengths.empty())
            wavelengths = default_wavelengths_nm(part.mode);
        const std::vector<Field> assembly{
            {"Serial number", run_.serial},
            {"Part number", part.number},
            {"Description", part.description.empty() ? "—" : part.description},
            {"Fibre count", std::to_string(part.fibers)},
            {"Fibre mode", part.mode == FiberMode::SM ? "SM — single-mode, APC polish"
                                                      : "MM — multimode, PC polish"},
            {"Wavelengths", fmt::format("{} nm", fmt::join(wavelengths, " / "))},
            {"Polarity", fmt::format("Type {}", to_string(part.polarity))},
            {"Length", fmt::format("{} m", part.length_m)},
        };

        // The site's local time with its offset ([site] time_zone; UTC
        // without one), from the UTC record: the same certificate for a given
        // site file whatever the time zone of the machine that renders it.
        const SiteClock clock(in_.site.time_zone);
        std::vector<Field> test{
            {"Tested", clock.text(run_.started_at)},
            {"Station", run_.station},
            {"Operator", run_.operator_name},
            {"Software", fmt::format("mpobench {}", run_.software_version)},
        };
        if (in_.reference) {
            test.emplace_back("Reference taken", clock.text(in_.reference->taken_at));
            test.emplace_back("Reference age",
                              fmt::format("{} at test start",
                                          age_text(run_.started_at - in_.reference->taken_at)));
            if (!in_.reference->launch_cord.empty())
                test.emplace_back("Launch cord", in_.reference->launch_cord);
        } else {
            test.emplace_back("Reference", "—");
        }
        test.emplace_back("Limit set", run_.limit_set_name.empty()
                                           ? std::string("—")
                                           : fmt::format("{}, version {}", run_.limit_set_name,
                                                         run_.limit_set_version));

        const double column_width = (width_ - kColumnGap_pt) / 2;
        const double height =
            std::max(fields_height(assembly, column_width), fields_height(test, column_width));
        add(height, [assembly, test, column_width](cairo_t* cr, double x, double y, double) {
            draw_fields(cr, x, y, column_width, "Assembly", assembly);
            draw_fields(cr, x + column_width + kColumnGap_pt, y, column_width, "Test", test);
        });
        space(12);
    }

    void add_instruments() {
        auto columns = std::make_shared<const std::vector<Column>>(
            fit_columns({{"Instrument", 66, Align::Left},
                         {"Role", 80, Align::Left},
                         {"Make and model", 124, Align::Left},
                         {"Serial", 84, Align::Left},
                         {"Firmware", 70, Align::Left},
                         {"Calibration due", 0, Align::Left}},
                        width_));
        const auto head = table_head(columns, "Instruments (continued)");
        add_title("Instruments", kRow_pt * 3);
        if (run_.instruments.empty()) {
            add_note("No instruments recorded.");
        } else {
            add(kRow_pt + 2, [columns](cairo_t* cr, double x, double y, double width) {
                draw_table_head(cr, x, y, width, *columns);
            });
            for (const auto& instrument : run_.instruments) {
                std::vector<Cell> cells{
                    {instrument.name},
                    {std::string(to_string(instrument.role))},
                    {fmt::format("{} {}", instrument.vendor, instrument.model)},
                    {instrument.serial.empty() ? "—" : instrument.serial},
                    {instrument.firmware.empty() ? "—" : instrument.firmware},
                    {instrument.calibration_due.empty() ? "not recorded"
                                                        : instrument.calibration_due},
                };
                add_row(columns, std::move(cells), std::nullopt, head);
            }
        }
        space(12);
    }

    // The record hash, printed and as a QR code, and the limit set's hash.
    void add_record() {
        const VectorSymbol qr = qr_symbol(qr_payload(run_, in_.record_hash));
        constexpr double kQr_pt = 84;
        // Kept with the whole block below (QR and its 4 pt margin): a long
        // instrument list (a 72-fibre bench has nine meters) otherwise left
        // the title alone at the foot of page 1.
        add_title("Record", kQr_pt + 4);
        add(kQr_pt + 4, [this, qr](cairo_t* cr, double x, double y, double width) {
            draw_symbol(cr, qr, x, y, kQr_pt / qr.width_modules);
            const double left = x + kQr_pt + 14, text_width = width - kQr_pt - 14;
            const TextStyle hash_style{.size_pt = 8.5, .monospace = true, .colour = kInk};
            draw_text(cr, left, y + 4, 0, "Record SHA-256", small());
            draw_text(cr, left, y + 13, text_width, in_.record_hash, hash_style);
            draw_text(cr, left, y + 29, 0, "Limit set SHA-256", small());
            draw_text(cr, left, y + 38, text_width,
                      run_.limit_set_hash.empty() ? "—" : run_.limit_set_hash, hash_style);
            draw_text(
                cr, left, y + 56, text_width,
                fmt::format("Record {} of serial {}, as stored in the test database. The record "
                            "hash identifies this exact record: any change to a measurement, "
                            "a limit or the grade changes it. The QR code holds the serial, "
                            "the run and the record hash.",
                            run_.id, run_.serial),
                small());
        });
        space(12);
    }

    void add_polarity() {
        PolarityDiagram diagram;
        diagram.fibers = run_.part.fibers;
        diagram.type = run_.part.polarity;
        diagram.expected = analysis::expected_far_positions(run_.part, End::A);
        const auto find_map = [&](End end) -> const PolarityMap* {
            for (const auto& map : run_.polarity)
                if (map.launched_end == end &&
                    map.far_positions.size() == static_cast<std::size_t>(run_.part.fibers))
                    return &map;
            return nullptr;
        };
        const PolarityMap* from_a = find_map(End::A);
        const PolarityMap* from_b = find_map(End::B);
        if (from_a) {
            diagram.measured = from_a->far_positions;
        } else if (from_b) {
            // End B's map read backwards: which end-B position each end-A fibre meets.
            diagram.measured.assign(static_cast<std::size_t>(run_.part.fibers), 0);
            for (std::size_t b = 0; b < from_b->far_positions.size(); ++b) {
                const int a = from_b->far_positions[b];
                if (a >= 1 && a <= run_.part.fibers)
                    diagram.measured[static_cast<std::size_t>(a - 1)] = static_cast<int>(b) + 1;
            }
        }
        if (from_b)
            for (std::size_t b = 0; b < from_b->far_positions.size(); ++b)
                if (from_b->far_positions[b] == 0)
                    diagram.dark_b.push_back(static_cast<int>(b) + 1);

        auto blocks = polarity_blocks(diagram, measure_, width_);
        add_title("Polarity map", blocks.front().height_pt);
        auto caption = std::make_shared<FlowBlock>();
        caption->height_pt = 16;
        caption->draw = [](cairo_t* cr, double x, double y, double) {
            draw_text(cr, x, y, 0, "Polarity map (continued)",
                      {.size_pt = 8, .bold = true, .colour = kNavy});
        };
        for (auto& block : blocks) {
            block.continuation = caption;
            blocks_.push_back(std::move(block));
        }
        space(12);
    }

    std::shared_ptr<const FlowBlock> table_head(std::shared_ptr<const std::vector<Column>> columns,
                                                std::string caption) const {
        auto head = std::make_shared<FlowBlock>();
        head->height_pt = 14 + kRow_pt + 2;
        head->draw = [columns, caption](cairo_t* cr, double x, double y, double width) {
            draw_text(cr, x, y, 0, caption, {.size_pt = 8, .bold = true, .colour = kNavy});
            draw_table_head(cr, x, y + 14, width, *columns);
        };
        return head;
    }

    void add_row(const std::shared_ptr<const std::vector<Column>>& columns, std::vector<Cell> cells,
                 std::optional<Colour> fill, const std::shared_ptr<const FlowBlock>& head) {
        const double height = row_height(measure_, *columns, cells);
        add(
            height,
            [columns, cells = std::move(cells), fill, height](cairo_t* cr, double x, double y,
                                                              double width) {
                draw_table_row(cr, x, y, width, height, *columns, cells, fill);
            },
            0, head);
    }

    // How the RL of these rows was decided, for the table's note.
    std::string rl_method_note(const std::vector<const Measurement*>& rows) const {
        if (!run_.rl_method)
            return "";
        const RlDecisionMethod& method = *run_.rl_method;
        if (!method.sequential)
            return fmt::format(" RL: one {} ms window per reading.", method.window_ms);
        int readings = 0, windows = 0, fewest = 0, most = 0, marginal = 0;
        for (const Measurement* m : rows) {
            if (m->rl_windows == 0)
                continue;
            fewest = readings == 0 ? m->rl_windows : std::min(fewest, m->rl_windows);
            most = std::max(most, m->rl_windows);
            ++readings;
            windows += m->rl_windows;
            marginal += m->rl_marginal ? 1 : 0;
        }
        std::string text = fmt::format(
            " RL: {} ms windows averaged until the {:g} % confidence interval of their mean lies "
            "inside one grade band, at most {} ms",
            method.window_ms, method.confidence * 100.0, method.max_time_ms);
        if (method.model) {
            text += fmt::format(" (the RL module's noise as reference {} measured it on {})",
                                run_.reference_id,
                                format_utc_ms(method.model->calibrated_at).substr(0, 10));
        }
        if (readings > 0 && fewest == most) {
            text += fmt::format("; {} window{} per reading", most, most == 1 ? "" : "s");
        } else if (readings > 0) {
            text += fmt::format("; {} to {} windows per reading, {:.1f} on average", fewest, most,
                                static_cast<double>(windows) / readings);
        }
        text += ".";
        if (marginal > 0) {
            text += fmt::format(
                " ‡ marginal ({}): the interval still straddled an RL minimum when the time ran "
                "out, and the mean decided.",
                marginal);
        }
        return text;
    }

    std::string limit_text(const std::optional<double>& limit, int decimals) const {
        return limit ? fmt::format("{:.{}f}", *limit, decimals) : "—";
    }

    static std::string reason_text(const std::vector<FailureCause>& whats) {
        std::vector<std::string> words;
        for (const auto what : whats) {
            const std::string word = what == FailureCause::Il           ? "IL"
                                     : what == FailureCause::Rl         ? "RL"
                                     : what == FailureCause::Continuity ? "no light"
                                     : what == FailureCause::Repeatability
                                         ? "ΔIL"
                                         : std::string(to_string(what));
            if (std::find(words.begin(), words.end(), word) == words.end())
                words.push_back(word);
        }
        return fmt::format("{}", fmt::join(words, ", "));
    }

    void add_measurements(End end) {
        std::vector<const Measurement*> rows;
        for (const auto& m : run_.measurements)
            if (m.end == end && m.cycle == verdict_.table_cycle)
                rows.push_back(&m);
        std::stable_sort(rows.begin(), rows.end(), [](const Measurement* a, const Measurement* b) {
            return std::tie(a->fiber, a->wavelength_nm) < std::tie(b->fiber, b->wavelength_nm);
        });

        auto columns = std::make_shared<const std::vector<Column>>(
            fit_columns({{"Fibre", 38, Align::Right},
                         {"Far end", 44, Align::Right},
                         {"λ (nm)", 48, Align::Right},
                         {"IL (dB)", 58, Align::Right},
                         {"IL max (dB)", 64, Align::Right},
                         {"RL (dB)", 58, Align::Right},
                         {"RL min (dB)", 64, Align::Right},
                         {"Result", 0, Align::Left}},
                        width_));
        const std::string end_name(to_string(end));
        const std::string other_end = end == End::A ? "B" : "A";
        const auto head = table_head(columns, fmt::format("End {} launched (continued)", end_name));

        add_title(fmt::format("Measurements · end {} launched", end_name), 28 + kRow_pt * 4);
        std::string note = fmt::format(
            "{}, launched into end {} and measured at end {}. Far end: the end-{} position the "
            "light reached.",
            verdict_.table_cycle == 0
                ? "Production measurements"
                : fmt::format("Measurements of mating cycle {}", verdict_.table_cycle),
            end_name, other_end, other_end);
        if (il_max_db_)
            note += fmt::format(
                " Limits of the target grade ({}, {}){}.", grade_name(run_.part.target),
                to_string(run_.part.mode),
                in_.limits->guard_band_db > 0
                    ? fmt::format(", IL less the {:.2f} dB guard band", in_.limits->guard_band_db)
                    : "");
        else
            note += " The limit set is not available, so no limits are shown.";
        note += rl_method_note(rows);
        add_note(note, kRow_pt * 4);
        if (rows.empty()) {
            add_note(fmt::format("No measurements launched into end {}.", end_name));
            space(12);
            return;
        }
        add(kRow_pt + 2, [columns](cairo_t* cr, double x, double y, double width) {
            draw_table_head(cr, x, y, width, *columns);
        });

        for (const Measurement* m : rows) {
            const auto* failing = verdict_.row_failures(end, m->fiber, m->wavelength_nm);
            const auto fails = [&](FailureCause what) {
                return failing &&
                       std::find(failing->begin(), failing->end(), what) != failing->end();
            };
            std::string il;
            if (m->status == ReadingStatus::NoLight)
                il = "no light";
            else if (m->il_db && std::isfinite(*m->il_db))
                il = il_text(*m->il_db);
            else
                il = m->status == ReadingStatus::Ok ? "—" : std::string(to_string(m->status));
            std::string rl = "—";
            if (m->rl_db && std::isfinite(*m->rl_db))
                rl = rl_text(*m->rl_db);
            else if (m->rl_above_db)
                rl = "> " + rl_text(*m->rl_above_db);  // beyond the RL module's range
            if (m->rl_marginal)
                rl += " ‡";
            std::vector<Cell> cells{
                {std::to_string(m->fiber)},
                {m->far_position == 0 ? "—" : std::to_string(m->far_position),
                 fails(FailureCause::Polarity) || fails(FailureCause::Continuity)},
                {std::to_string(m->wavelength_nm)},
                {il, fails(FailureCause::Il) || fails(FailureCause::Continuity)},
                {limit_text(il_max_db_, 2)},
                {rl, fails(FailureCause::Rl)},
                {limit_text(rl_min_db_, 1)},
                failing ? pass_mark(true, reason_text(*failing)) : pass_mark(false, ""),
            };
            const std::optional<Colour> fill = failing             ? kFailFill
                                               : m->fiber % 2 == 0 ? std::optional<Colour>(kStripe)
                                                                   : std::nullopt;
            add_row(columns, std::move(cells), fill, head);
        }

        // The mean IL of this end per wavelength against the typical limit,
        // kept together and under the table's head.
        struct MeanLine {
            int wavelength_nm;
            double mean_db;
            bool failing;
        };
        std::vector<MeanLine> means;
        for (const auto& mean : verdict_.means) {
            if (mean.end == end)
                means.push_back({mean.wavelength_nm, mean.mean_db, mean.against_target});
        }
        const std::string typical =
            il_typical_db_ ? fmt::format("typical ≤ {}", limit_text(il_typical_db_, 2)) : "—";
        // The last fibre row goes to the next page with them rather than leave them alone.
        blocks_.back().keep_with_next_pt = kRow_pt * static_cast<double>(means.size());
        add(
            kRow_pt * static_cast<double>(means.size()),
            [columns, means, typical](cairo_t* cr, double x, double y, double width) {
                const auto& c = *columns;
                const double label_width = c[0].width_pt + c[1].width_pt + c[2].width_pt;
                for (const auto& line : means) {
                    if (line.failing)
                        fill_rect(cr, x, y, width, kRow_pt, kFailFill);
                    draw_cell(cr, x, y, {"", label_width, Align::Left},
                              {fmt::format("Mean IL at {} nm", line.wavelength_nm)}, true);
                    double left = x + label_width;
                    draw_cell(cr, left, y, c[3], {il_text(line.mean_db), line.failing}, true);
                    left += c[3].width_pt;
                    draw_cell(cr, left, y, {"", c[4].width_pt + c[5].width_pt, Align::Left},
                              {typical}, false);
                    left += c[4].width_pt + c[5].width_pt + c[6].width_pt;
                    draw_cell(cr, left, y, c[7], pass_mark(line.failing, "mean IL"), false);
                    stroke_line(cr, x, y + kRow_pt, x + width, y + kRow_pt, kRule, 0.3);
                    y += kRow_pt;
                }
            },
            0, head);
        space(14);
    }

    void add_repeatability() {
        std::vector<Measurement> matings;
        std::copy_if(run_.measurements.begin(), run_.measurements.end(),
                     std::back_inserter(matings),
                     [](const Measurement& m) { return m.cycle >= 1; });
        const auto stats = analysis::repeatability_stats(matings);

        auto columns =
            std::make_shared<const std::vector<Column>>(fit_columns({{"End", 30, Align::Left},
                                                                     {"Fibre", 34, Align::Right},
                                                                     {"λ (nm)", 42, Align::Right},
                                                                     {"Matings", 42, Align::Right},
                                                                     {"Mean IL", 46, Align::Right},
                                                                     {"Min IL", 46, Align::Right},
                                                                     {"Max IL", 46, Align::Right},
                                                                     {"ΔIL", 44, Align::Right},
                                                                     {"σ", 44, Align::Right},
                                                                     {"ΔIL max", 50, Align::Right},
                                                                     {"Result", 0, Align::Left}},
                                                                    width_));
        const auto head = table_head(columns, "Mating-cycle repeatability (continued)");
        add_title("Mating-cycle repeatability", 28 + kRow_pt * 4);
        add_note(fmt::format("{} mating cycle{} after the production measurement. ΔIL is the "
                             "largest minus the smallest IL of a fibre over its matings; σ the "
                             "sample standard deviation. Values in dB.",
                             run_.mating_cycles_run, run_.mating_cycles_run == 1 ? "" : "s"),
                 kRow_pt * 4);
        if (stats.empty()) {
            add_note("No IL values were recorded during the mating cycles.");
            return;
        }
        add(kRow_pt + 2, [columns](cairo_t* cr, double x, double y, double width) {
            draw_table_head(cr, x, y, width, *columns);
        });
        for (const auto& stat : stats) {
            const auto* failing = verdict_.row_failures(stat.end, stat.fiber, stat.wavelength_nm);
            const bool repeat_fails =
                failing && std::find(failing->begin(), failing->end(),
                                     FailureCause::Repeatability) != failing->end();
            std::vector<Cell> cells{
                {std::string(to_string(stat.end))},
                {std::to_string(stat.fiber)},
                {std::to_string(stat.wavelength_nm)},
                {std::to_string(stat.matings)},
                {il_text(stat.mean_il_db)},
                {il_text(stat.min_il_db)},
                {il_text(stat.max_il_db)},
                {il_text(stat.range_db), repeat_fails},
                {il_text(stat.sigma_db)},
                {limit_text(repeatability_max_db_, 2)},
                pass_mark(repeat_fails, "ΔIL"),
            };
            const std::optional<Colour> fill = repeat_fails ? kFailFill
                                               : stat.fiber % 2 == 0
                                                   ? std::optional<Colour>(kStripe)
                                                   : std::nullopt;
            add_row(columns, std::move(cells), fill, head);
        }
        space(12);
    }

    const CertificateInput& in_;
    const RunRecord& run_;
    const analysis::Verdict verdict_;
    cairo_t* measure_;
    double width_;
    cairo_surface_t* logo_ = nullptr;
    std::optional<double> il_max_db_, il_typical_db_, rl_min_db_, repeatability_max_db_;
    std::vector<FlowBlock> blocks_;
};

void check_certifiable(const CertificateInput& input) {
    const RunRecord& run = input.run;
    if (run.status != RunStatus::Completed)
        throw ReportError(fmt::format("no certificate for run {} of {}: the run is {}{}", run.id,
                                      run.serial, to_string(run.status),
                                      run.reason.empty() ? "" : fmt::format(" ({})", run.reason)));
    // A certificate of conformance is of a production test; a repeatability
    // run is qualification data (one end, no RL) and certifies nothing.
    if (run.kind != RunKind::Production)
        throw ReportError(fmt::format(
            "no certificate for run {} of {}: it is a repeatability run, not a production test",
            run.id, run.serial));
    if (!run.grade)
        throw ReportError(fmt::format("no certificate for run {} of {}: the run is not graded",
                                      run.id, run.serial));
    if (!is_sha256_hex(input.record_hash))
        throw ReportError(fmt::format(
            "no certificate for run {} of {}: record hash '{}' is not a SHA-256 hex digest", run.id,
            run.serial, input.record_hash));
    if (!is_supported_fiber_count(run.part.fibers))
        throw ReportError(
            fmt::format("no certificate for run {} of {}: {} fibres is not a "
                        "supported count",
                        run.id, run.serial, run.part.fibers));
}

}  // namespace

std::string qr_payload(const RunRecord& run, const std::string& record_hash) {
    return fmt::format("mpobench-record;serial={};run={};sha256={}", payload_escape(run.serial),
                       run.id, record_hash);
}

void write_certificate(const CertificateInput& input, const std::filesystem::path& out) {
    check_certifiable(input);
    const RunRecord& run = input.run;
    const bool letter = input.paper == Paper::Letter;
    const double page_width = letter ? kLetterWidth_pt : kA4Width_pt;
    const double page_height = letter ? kLetterHeight_pt : kA4Height_pt;
    const PdfMetadata metadata{
        .title = fmt::format("Test certificate {}", run.serial),
        .author = input.site.company_name,
        .subject = fmt::format("Test certificate of {} serial {}, run {}", run.part.number,
                               run.serial, run.id),
        .keywords = fmt::format("{}{}", kKeywordsPrefix, input.record_hash),
        .creator = fmt::format("mpobench {}", run.software_version),
    };

    write_atomically(out, [&](const std::filesystem::path& temporary) {
        PdfDocument document(temporary, page_width, page_height, metadata);
        cairo_t* cr = document.context();
        const double content_width = page_width - 2 * kMargin_pt;
        Certificate certificate(input, cr, content_width);
        const std::vector<FlowBlock> blocks = certificate.blocks();
        const PageArea area{
            .first_top_pt = kMargin_pt,
            .top_pt = kMargin_pt + kRunningHeader_pt,
            .bottom_pt = page_height - kMargin_pt - kFooter_pt,
        };
        const std::vector<PlacedBlock> placed = lay_out(blocks, area);
        const int pages = placed.empty() ? 1 : placed.back().page + 1;
        auto next = placed.begin();
        for (int page = 0; page < pages; ++page) {
            if (page > 0)
                document.next_page();
            certificate.draw_frame(cr, page, pages, page_width, page_height);
            for (; next != placed.end() && next->page == page; ++next)
                if (next->block->draw)  // spacing has nothing to draw
                    next->block->draw(cr, kMargin_pt, next->y_pt, content_width);
        }
        document.finish();
    });
    logger("reports")->info("certificate of {} run {} written to {}", run.serial, run.id,
                            out.string());
}

std::optional<std::string> certificate_hash(const std::filesystem::path& pdf) {
    // A certificate is a few hundred kilobytes; anything far larger (or a
    // directory, a device) is not one of ours and is not read whole.
    constexpr std::uintmax_t largest_certificate_bytes = 64u << 20;
    std::error_code error;
    if (!std::filesystem::is_regular_file(pdf, error)) {
        throw ReportError(fmt::format("cannot read {}: not a file", pdf.string()));
    }
    const auto size = std::filesystem::file_size(pdf, error);
    if (error) {
        throw ReportError(fmt::format("cannot read {}: {}", pdf.string(), error.message()));
    }
    if (size > largest_certificate_bytes) {
        return std::nullopt;
    }
    std::ifstream in(pdf, std::ios::binary);
    if (!in)
        throw ReportError(fmt::format("cannot read {}", pdf.string()));
    std::string bytes(static_cast<std::size_t>(size), '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (in.bad())
        throw ReportError(fmt::format("cannot read {}", pdf.string()));
    bytes.resize(static_cast<std::size_t>(in.gcount()));
    if (!bytes.starts_with("%PDF-"))
        return std::nullopt;
    // cairo writes an ASCII Info string as a literal: /Keywords (mpobench-record-sha256:<hex>)
    const std::string marker = fmt::format("/Keywords ({}", kKeywordsPrefix);
    const auto at = bytes.rfind(marker);
    if (at == std::string::npos)
        return std::nullopt;
    const std::string_view hash = std::string_view(bytes).substr(at + marker.size(), 64);
    if (!is_sha256_hex(hash) || bytes.size() <= at + marker.size() + 64 ||
        bytes[at + marker.size() + 64] != ')')
        return std::nullopt;
    return std::string(hash);
}

}  // namespace mpobench::reports
