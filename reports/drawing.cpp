#include "reports/drawing.hpp"

#include <cairo-pdf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <pango/pangocairo.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "reports/errors.hpp"

namespace mpobench::reports {

namespace {

struct LayoutDeleter {
    void operator()(PangoLayout* layout) const { g_object_unref(layout); }
};
using LayoutPtr = std::unique_ptr<PangoLayout, LayoutDeleter>;

// A layout in the context's user units: sizes are absolute (1 pt of font =
// 1 user unit) and metrics unhinted, so text measures the same in a PDF and
// a PNG and does not depend on the screen resolution pango assumes.
LayoutPtr make_layout(cairo_t* cr, const std::string& text, const TextStyle& style, double width) {
    LayoutPtr layout(pango_cairo_create_layout(cr));
    PangoContext* context = pango_layout_get_context(layout.get());
    cairo_font_options_t* options = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
    pango_cairo_context_set_font_options(context, options);
    cairo_font_options_destroy(options);
    pango_cairo_context_set_resolution(context, 72.0);
    pango_layout_context_changed(layout.get());

    PangoFontDescription* font = pango_font_description_new();
    pango_font_description_set_family(font, style.monospace ? "DejaVu Sans Mono" : "DejaVu Sans");
    pango_font_description_set_weight(font, style.bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_font_description_set_absolute_size(font, style.size_pt * PANGO_SCALE);
    pango_layout_set_font_description(layout.get(), font);
    pango_font_description_free(font);

    if (width > 0) {
        pango_layout_set_width(layout.get(), static_cast<int>(width * PANGO_SCALE));
        pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
        pango_layout_set_alignment(layout.get(), style.align == Align::Right    ? PANGO_ALIGN_RIGHT
                                                 : style.align == Align::Centre ? PANGO_ALIGN_CENTER
                                                                                : PANGO_ALIGN_LEFT);
    }
    // A hash wrapped across lines must not gain a hyphen that is not in it.
    PangoAttrList* attributes = pango_attr_list_new();
    pango_attr_list_insert(attributes, pango_attr_insert_hyphens_new(FALSE));
    pango_layout_set_attributes(layout.get(), attributes);
    pango_attr_list_unref(attributes);
    pango_layout_set_text(layout.get(), text.data(), static_cast<int>(text.size()));
    return layout;
}

struct Extent {
    double width, height;
};

Extent logical_extent(PangoLayout* layout) {
    PangoRectangle logical;
    pango_layout_get_extents(layout, nullptr, &logical);
    return {static_cast<double>(logical.width) / PANGO_SCALE,
            static_cast<double>(logical.height) / PANGO_SCALE};
}

// Strokes the path `trace` adds, leaving the context's state as it was.
template <typename Trace>
void stroke_path(cairo_t* cr, Colour colour, double line_width, Trace trace) {
    cairo_save(cr);
    set_colour(cr, colour);
    cairo_set_line_width(cr, line_width);
    trace();
    cairo_stroke(cr);
    cairo_restore(cr);
}

}  // namespace

double draw_text(cairo_t* cr, double x, double y, double width, const std::string& text,
                 const TextStyle& style) {
    LayoutPtr layout = make_layout(cr, text, style, width);
    const Extent extent = logical_extent(layout.get());
    double left = x;
    if (width <= 0) {  // no box to align in: x is the anchor
        if (style.align == Align::Right)
            left = x - extent.width;
        else if (style.align == Align::Centre)
            left = x - extent.width / 2;
    }
    cairo_save(cr);
    set_colour(cr, style.colour);
    cairo_move_to(cr, left, y);
    pango_cairo_show_layout(cr, layout.get());
    cairo_new_path(cr);  // no current point left behind for the caller's next path
    cairo_restore(cr);
    return extent.height;
}

double text_width(cairo_t* cr, const std::string& text, const TextStyle& style) {
    return logical_extent(make_layout(cr, text, style, 0).get()).width;
}

double text_height(cairo_t* cr, const std::string& text, const TextStyle& style, double width) {
    return logical_extent(make_layout(cr, text, style, width).get()).height;
}

void set_colour(cairo_t* cr, Colour colour) {
    cairo_set_source_rgb(cr, colour.r, colour.g, colour.b);
}

void fill_rect(cairo_t* cr, double x, double y, double width, double height, Colour colour) {
    cairo_save(cr);
    set_colour(cr, colour);
    cairo_rectangle(cr, x, y, width, height);
    cairo_fill(cr);
    cairo_restore(cr);
}

void stroke_rect(cairo_t* cr, double x, double y, double width, double height, Colour colour,
                 double line_width) {
    stroke_path(cr, colour, line_width, [&] { cairo_rectangle(cr, x, y, width, height); });
}

void stroke_line(cairo_t* cr, double x0, double y0, double x1, double y1, Colour colour,
                 double line_width) {
    stroke_path(cr, colour, line_width, [&] {
        cairo_move_to(cr, x0, y0);
        cairo_line_to(cr, x1, y1);
    });
}

namespace {

// fsync of a file or directory; `for_file` names what is being written.
void sync_to_disk(const std::filesystem::path& path, const std::filesystem::path& for_file) {
    const int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (descriptor < 0 || ::fsync(descriptor) != 0) {
        const int error = errno;
        if (descriptor >= 0) {
            ::close(descriptor);
        }
        throw ReportError(fmt::format("cannot write {}: syncing {}: {}", for_file.string(),
                                      path.string(), std::strerror(error)));
    }
    ::close(descriptor);
}

}  // namespace

void write_atomically(const std::filesystem::path& final_path,
                      const std::function<void(const std::filesystem::path& temporary)>& write) {
    static std::atomic<unsigned> counter{0};
    const std::filesystem::path directory =
        final_path.parent_path().empty() ? std::filesystem::path(".") : final_path.parent_path();
    std::error_code missing;
    if (!std::filesystem::is_directory(directory, missing)) {
        throw ReportError(fmt::format("cannot write {}: there is no directory {}",
                                      final_path.string(), directory.string()));
    }
    const std::filesystem::path temporary =
        final_path.parent_path() /
        fmt::format(".{}.tmp-{}-{}", final_path.filename().string(), ::getpid(), counter++);

    // Removes the temporary file unless it has been renamed into place, so
    // an exception from `write` leaves nothing behind.
    struct TemporaryFile {
        const std::filesystem::path& path;
        bool kept = false;
        ~TemporaryFile() {
            if (!kept) {
                std::error_code ignored;  // best effort: the original error matters more
                std::filesystem::remove(path, ignored);
            }
        }
    } guard{temporary};

    write(temporary);
    // On disk before it takes the final name, and the name on disk after:
    // a power cut leaves the old file or the new one, never half of one.
    sync_to_disk(temporary, final_path);
    std::error_code error;
    std::filesystem::rename(temporary, final_path, error);
    if (error)
        throw ReportError(fmt::format("cannot write {}: {}", final_path.string(), error.message()));
    guard.kept = true;
    sync_to_disk(directory, final_path);
}

PdfDocument::PdfDocument(const std::filesystem::path& file, double width_pt, double height_pt,
                         const PdfMetadata& metadata)
    : file_(file), width_pt_(width_pt), height_pt_(height_pt) {
    surface_ = cairo_pdf_surface_create(file.c_str(), width_pt, height_pt);
    if (cairo_surface_status(surface_) != CAIRO_STATUS_SUCCESS) {
        const std::string reason = cairo_status_to_string(cairo_surface_status(surface_));
        cairo_surface_destroy(surface_);
        throw ReportError(fmt::format("cannot create PDF {}: {}", file.string(), reason));
    }
    const std::pair<cairo_pdf_metadata_t, const std::string*> entries[] = {
        {CAIRO_PDF_METADATA_TITLE, &metadata.title},
        {CAIRO_PDF_METADATA_AUTHOR, &metadata.author},
        {CAIRO_PDF_METADATA_SUBJECT, &metadata.subject},
        {CAIRO_PDF_METADATA_KEYWORDS, &metadata.keywords},
        {CAIRO_PDF_METADATA_CREATOR, &metadata.creator},
    };
    for (const auto& [key, value] : entries)
        if (!value->empty())
            cairo_pdf_surface_set_metadata(surface_, key, value->c_str());
    cr_ = cairo_create(surface_);
}

PdfDocument::~PdfDocument() {
    if (cr_)
        cairo_destroy(cr_);
    if (surface_)
        cairo_surface_destroy(surface_);
}

void PdfDocument::next_page() {
    cairo_show_page(cr_);
}

void PdfDocument::finish() {
    cairo_status_t status = cairo_status(cr_);
    cairo_destroy(cr_);
    cr_ = nullptr;
    cairo_surface_finish(surface_);
    if (status == CAIRO_STATUS_SUCCESS)
        status = cairo_surface_status(surface_);
    cairo_surface_destroy(surface_);
    surface_ = nullptr;
    if (status != CAIRO_STATUS_SUCCESS)
        throw ReportError(
            fmt::format("cannot write PDF {}: {}", file_.string(), cairo_status_to_string(status)));
}

}  // namespace mpobench::reports
