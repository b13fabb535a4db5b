#pragma once
// Shared drawing and file plumbing of reports/: text through pango (DejaVu
// fonts, so output does not depend on what else is installed), PDF documents
// with fixed metadata, and files written whole or not at all.

#include <cairo.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace mpobench::reports {

struct Colour {
    double r = 0, g = 0, b = 0;
};
inline constexpr Colour kBlack{0, 0, 0};

enum class Align { Left, Centre, Right };

struct TextStyle {
    double size_pt = 9.0;
    bool bold = false;
    bool monospace = false;  // DejaVu Sans Mono
    Colour colour = kBlack;
    Align align = Align::Left;
};

// Draws text (UTF-8, plain, '\n' breaks lines) with its top-left corner at
// (x, y); wraps at `width` when width > 0 and aligns within it. With width
// <= 0, x is the anchor: the text's left edge, centre or right edge by
// style.align. Returns the height used.
double draw_text(cairo_t* cr, double x, double y, double width, const std::string& text,
                 const TextStyle& style);
// Width and height the text takes unwrapped.
double text_width(cairo_t* cr, const std::string& text, const TextStyle& style);
double text_height(cairo_t* cr, const std::string& text, const TextStyle& style, double width);

void set_colour(cairo_t* cr, Colour colour);
void fill_rect(cairo_t* cr, double x, double y, double width, double height, Colour colour);
void stroke_rect(cairo_t* cr, double x, double y, double width, double height, Colour colour,
                 double line_width);
void stroke_line(cairo_t* cr, double x0, double y0, double x1, double y1, Colour colour,
                 double line_width);

// Written to `final_path` only when `write` returns normally: `write` gets a
// temporary path in the same directory, which is then renamed over the
// final one (and removed on failure). Throws ReportError naming the file.
void write_atomically(const std::filesystem::path& final_path,
                      const std::function<void(const std::filesystem::path& temporary)>& write);

struct PdfMetadata {
    std::string title, author, subject, keywords, creator;
};

// A cairo PDF surface with its metadata set; pages are added with
// next_page(). finish() flushes and checks the surface status (ReportError).
class PdfDocument {
  public:
    PdfDocument(const std::filesystem::path& file, double width_pt, double height_pt,
                const PdfMetadata& metadata);
    ~PdfDocument();
    PdfDocument(const PdfDocument&) = delete;
    PdfDocument& operator=(const PdfDocument&) = delete;

    cairo_t* context() const { return cr_; }
    double width() const { return width_pt_; }
    double height() const { return height_pt_; }
    void next_page();
    void finish();

  private:
    std::filesystem::path file_;
    double width_pt_, height_pt_;
    cairo_surface_t* surface_ = nullptr;
    cairo_t* cr_ = nullptr;
};

// Paper sizes in points.
inline constexpr double kA4Width_pt = 595.276, kA4Height_pt = 841.89;
inline constexpr double kLetterWidth_pt = 612.0, kLetterHeight_pt = 792.0;

}  // namespace mpobench::reports
