#include "reports/cert_polarity.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>

#include "reports/cert_style.hpp"

namespace mpobench::reports {

namespace {

using namespace cert;

// 8-fibre connectors use a 12-position ferrule with the centre four empty.
int slots_per_row(int fibers) {
    return fibers == 8 ? 12 : fibers_per_row(fibers);
}

int ferrule_rows(int fibers) {
    return fibers == 8 ? 1 : fibers / fibers_per_row(fibers);
}

// The fibre at a slot of a ferrule row (0-based), 0 where no fibre is fitted.
int fibre_at(int fibers, int row, int slot) {
    if (fibers == 8)
        return slot < 4 ? slot + 1 : slot >= 8 ? slot - 3 : 0;
    return row * fibers_per_row(fibers) + slot + 1;
}

int row_of(int fibers, int fibre) {
    return fibers == 8 ? 0 : (fibre - 1) / fibers_per_row(fibers);
}

int slot_of(int fibers, int fibre) {
    if (fibers == 8)
        return fibre <= 4 ? fibre - 1 : fibre + 3;
    return (fibre - 1) % fibers_per_row(fibers);
}

// Vertical layout of one band, in points from its top.
constexpr double kRowLabel_pt = 12;  // "Row 2 · fibres 13-24" on multi-row parts
constexpr double kNumbers_pt = 11;   // position numbers above end A, below end B
constexpr double kFace_pt = 18;      // ferrule height
constexpr double kGap_pt = 42;       // between the faces, where the lines run
constexpr double kBandPad_pt = 8;
constexpr double kLabelColumn_pt = 52;  // "End A" / "End B"

double band_height(int fibers) {
    return (ferrule_rows(fibers) > 1 ? kRowLabel_pt : 0) + 2 * (kNumbers_pt + kFace_pt) + kGap_pt +
           kBandPad_pt;
}

void rounded_rect(cairo_t* cr, double x, double y, double width, double height, double radius) {
    constexpr double kQuarter = std::numbers::pi / 2;
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + width - radius, y + radius, radius, -kQuarter, 0);
    cairo_arc(cr, x + width - radius, y + height - radius, radius, 0, kQuarter);
    cairo_arc(cr, x + radius, y + height - radius, radius, kQuarter, 2 * kQuarter);
    cairo_arc(cr, x + radius, y + radius, radius, 2 * kQuarter, 3 * kQuarter);
    cairo_close_path(cr);
}

void cross(cairo_t* cr, double cx, double cy, double half) {
    cairo_save(cr);
    set_colour(cr, kFail);
    cairo_set_line_width(cr, 1.3);
    cairo_move_to(cr, cx - half, cy - half);
    cairo_line_to(cr, cx + half, cy + half);
    cairo_move_to(cr, cx - half, cy + half);
    cairo_line_to(cr, cx + half, cy - half);
    cairo_stroke(cr);
    cairo_restore(cr);
}

struct FaceGeometry {
    double left, pitch, face_left, face_width;
    double slot_x(int slot) const { return left + (slot + 0.5) * pitch; }
};

FaceGeometry face_geometry(int fibers, double x, double width) {
    const int slots = slots_per_row(fibers);
    const double usable = width - kLabelColumn_pt;
    const double pitch = std::min(22.0, usable / (slots + 4.0));
    const double pin_margin = 1.8 * pitch;  // room for a guide-pin hole at each end
    const double face_width = slots * pitch + 2 * pin_margin;
    const double face_left = x + kLabelColumn_pt + (usable - face_width) / 2;
    return {face_left + pin_margin, pitch, face_left, face_width};
}

// One ferrule row's end face: body, guide-pin holes, and (on single-row
// parts) the key on top; positions are drawn by the caller.
void draw_face(cairo_t* cr, const FaceGeometry& face, double top, bool with_key) {
    cairo_save(cr);
    if (with_key) {
        const double key_width = 3 * face.pitch, key_height = 3;
        const double key_left = face.face_left + (face.face_width - key_width) / 2;
        fill_rect(cr, key_left, top - key_height, key_width, key_height, kRule);
    }
    rounded_rect(cr, face.face_left, top, face.face_width, kFace_pt, 4);
    set_colour(cr, kStripe);
    cairo_fill_preserve(cr);
    set_colour(cr, kRule);
    cairo_set_line_width(cr, 0.8);
    cairo_stroke(cr);
    const double pin_radius =
        std::min(5.5, face.pitch * 0.5);  // guide-pin holes are larger than fibres
    for (const double pin_x :
         {face.face_left + 0.9 * (face.left - face.face_left),
          face.face_left + face.face_width - 0.9 * (face.left - face.face_left)}) {
        cairo_new_path(cr);
        cairo_arc(cr, pin_x, top + kFace_pt / 2, pin_radius, 0, 2 * std::numbers::pi);
        set_colour(cr, kWhite);
        cairo_fill_preserve(cr);
        set_colour(cr, kMuted);
        cairo_set_line_width(cr, 0.8);
        cairo_stroke(cr);
    }
    cairo_restore(cr);
}

void draw_position(cairo_t* cr, double cx, double cy, double radius, bool fitted) {
    cairo_save(cr);
    cairo_new_path(cr);
    cairo_arc(cr, cx, cy, radius, 0, 2 * std::numbers::pi);
    if (fitted) {
        set_colour(cr, kFibre);
        cairo_fill(cr);
    } else {
        set_colour(cr, kRule);
        cairo_set_line_width(cr, 0.6);
        cairo_stroke(cr);
    }
    cairo_restore(cr);
}

void draw_band(cairo_t* cr, double x, double y, double width, const PolarityDiagram& d, int row) {
    const bool multi_row = ferrule_rows(d.fibers) > 1;
    const int slots = slots_per_row(d.fibers);
    const FaceGeometry face = face_geometry(d.fibers, x, width);
    const double radius = std::min(4.2, face.pitch * 0.3);

    double top = y;
    if (multi_row) {
        const int first = row * fibers_per_row(d.fibers) + 1;
        draw_text(cr, x, top, 0,
                  fmt::format("Row {} · fibres {}–{}", row + 1, first,
                              first + fibers_per_row(d.fibers) - 1),
                  small());
        top += kRowLabel_pt;
    }
    const double face_a_top = top + kNumbers_pt;
    const double face_b_top = face_a_top + kFace_pt + kGap_pt;
    const double a_centre = face_a_top + kFace_pt / 2, b_centre = face_b_top + kFace_pt / 2;

    const TextStyle end_label{.size_pt = kBody_pt, .bold = true, .colour = kNavy};
    draw_text(cr, x, a_centre - 5, 0, "End A", end_label);
    draw_text(cr, x, b_centre - 5, 0, "End B", end_label);
    draw_face(cr, face, face_a_top, !multi_row);
    draw_face(cr, face, face_b_top, !multi_row);

    // Lines first, so the positions are drawn over their ends.
    const bool recorded = !d.measured.empty();
    for (int slot = 0; slot < slots; ++slot) {
        const int fibre = fibre_at(d.fibers, row, slot);
        if (fibre == 0)
            continue;
        const auto index = static_cast<std::size_t>(fibre - 1);
        const int far = recorded ? d.measured[index] : d.expected[index];
        if (far <= 0)
            continue;
        const bool as_expected = far == d.expected[index];
        const double from_x = face.slot_x(slot), from_y = a_centre + radius;
        cairo_save(cr);
        cairo_set_line_width(cr, as_expected ? 0.8 : 1.3);
        set_colour(cr, as_expected ? kInk : kFail);
        if (!recorded)
            cairo_set_dash(cr, std::array{2.0, 2.0}.data(), 2, 0);
        cairo_move_to(cr, from_x, from_y);
        if (far <= d.fibers && row_of(d.fibers, far) == row) {
            cairo_line_to(cr, face.slot_x(slot_of(d.fibers, far)), b_centre - radius);
            cairo_stroke(cr);
        } else {
            // Another row's position (or none the part has): a short lead with
            // its number, not a line across the other bands.
            const double lead_end = a_centre + kFace_pt / 2 + kGap_pt * 0.45;
            cairo_line_to(cr, from_x, lead_end);
            cairo_stroke(cr);
            draw_text(cr, from_x, lead_end + 1, 0, fmt::format("B{}", far),
                      {.size_pt = 5.5, .bold = true, .colour = kFail, .align = Align::Centre});
        }
        cairo_restore(cr);
    }

    const TextStyle number{.size_pt = 5.5, .colour = kMuted, .align = Align::Centre};
    for (int slot = 0; slot < slots; ++slot) {
        const int fibre = fibre_at(d.fibers, row, slot);
        const double cx = face.slot_x(slot);
        draw_position(cr, cx, a_centre, radius, fibre != 0);
        draw_position(cr, cx, b_centre, radius, fibre != 0);
        if (fibre == 0)
            continue;
        const auto index = static_cast<std::size_t>(fibre - 1);
        const std::string label = std::to_string(fibre);
        draw_text(cr, cx, face_a_top - kNumbers_pt + 1, 0, label, number);
        draw_text(cr, cx, face_b_top + kFace_pt + 1, 0, label, number);
        if (recorded && d.measured[index] == 0)
            cross(cr, cx, a_centre, radius + 1.2);
        if (std::find(d.dark_b.begin(), d.dark_b.end(), fibre) != d.dark_b.end())
            cross(cr, cx, b_centre, radius + 1.2);
    }
}

// "fibre 3" or "fibres 3, 4".
std::string fibre_list(const std::vector<int>& fibres) {
    return fmt::format("{} {}", fibres.size() == 1 ? "fibre" : "fibres", fmt::join(fibres, ", "));
}

// The map in words: whether it is the part's type, and where not.
std::string verdict(const PolarityDiagram& d) {
    const std::string type = fmt::format("type {}", to_string(d.type));
    if (d.measured.empty())
        return fmt::format("No polarity map was recorded; the dashed lines show {}.", type);
    std::vector<int> wrong, dark;
    for (std::size_t i = 0; i < d.measured.size(); ++i) {
        if (d.measured[i] == 0)
            dark.push_back(static_cast<int>(i) + 1);
        else if (d.measured[i] != d.expected[i])
            wrong.push_back(static_cast<int>(i) + 1);
    }
    if (wrong.empty() && dark.empty() && d.dark_b.empty())
        return fmt::format("Measured map matches polarity {}.", type);
    std::string text = fmt::format("Measured map differs from polarity {}:", type);
    if (!wrong.empty())
        text += fmt::format(" end-A {} {} the wrong position;", fibre_list(wrong),
                            wrong.size() == 1 ? "reaches" : "reach");
    if (!dark.empty())
        text += fmt::format(" no light from end-A {};", fibre_list(dark));
    if (!d.dark_b.empty())
        text += fmt::format(" no light from end-B {};", fibre_list(d.dark_b));
    text.back() = '.';
    return text;
}

}  // namespace

std::vector<FlowBlock> polarity_blocks(const PolarityDiagram& diagram, cairo_t* cr, double width) {
    const auto shared = std::make_shared<const PolarityDiagram>(diagram);
    std::vector<FlowBlock> blocks;
    for (int row = 0; row < ferrule_rows(diagram.fibers); ++row) {
        FlowBlock band;
        band.height_pt = band_height(diagram.fibers);
        band.draw = [shared, row](cairo_t* cr, double x, double y, double width) {
            draw_band(cr, x, y, width, *shared, row);
        };
        blocks.push_back(std::move(band));
    }

    const std::string summary = verdict(diagram);
    const bool as_expected = summary.starts_with("Measured map matches");
    const TextStyle summary_style{
        .size_pt = kBody_pt, .bold = true, .colour = as_expected ? kInk : kFail};
    const std::string legend =
        diagram.fibers == 8
            ? "Each end face as seen looking into the connector, key up. 8 fibres in positions "
              "1–4 and 9–12 of a 12-position ferrule. Red: not as expected; ×: no light."
            : "Each end face as seen looking into the connector, key up. Red: not as expected; "
              "×: no light.";
    const double summary_height = text_height(cr, summary, summary_style, width) + 2;
    FlowBlock words;
    words.height_pt = summary_height + text_height(cr, legend, small(), width) + 4;
    words.draw = [summary, summary_style, legend, summary_height](cairo_t* cr, double x, double y,
                                                                  double width) {
        draw_text(cr, x, y, width, summary, summary_style);
        draw_text(cr, x, y + summary_height, width, legend, small());
    };
    blocks.push_back(std::move(words));
    return blocks;
}

}  // namespace mpobench::reports
