#pragma once
// The machine-readable marks of a certificate, as vectors so they stay crisp
// at any zoom and in print: the serial as a Code128 barcode (libzint) and the
// record's identity as a QR code (libqrencode).

#include <cairo.h>

#include <string>
#include <vector>

namespace mpobench::reports {

// A symbol in module units (one module = one bar or cell width), quiet zone
// included, with the dark rectangles to fill.
struct VectorSymbol {
    struct Bar {
        double x = 0, y = 0, width = 0, height = 0;
    };
    double width_modules = 0, height_modules = 0;
    std::vector<Bar> dark;
};

// Code128 of `text`, `height_modules` tall, with the 10-module quiet zone
// the standard asks for on each side. Throws ReportError when zint refuses
// the text.
VectorSymbol code128_symbol(const std::string& text, double height_modules);

// QR code of `text` at error-correction level M, with a 4-module quiet zone.
// Dark modules of a row are merged into runs, so no seams show between them.
// Throws ReportError when the text does not fit a QR code.
VectorSymbol qr_symbol(const std::string& text);

// Fills the symbol's quiet zone white and its dark parts black, its top-left
// corner at (x, y), one module `module_pt` wide.
void draw_symbol(cairo_t* cr, const VectorSymbol& symbol, double x, double y, double module_pt);

}  // namespace mpobench::reports
