#include "reports/cert_codes.hpp"

#include <fmt/format.h>
#include <qrencode.h>
#include <zint.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "reports/drawing.hpp"
#include "reports/errors.hpp"

namespace mpobench::reports {

namespace {

constexpr int kCode128QuietZone_modules = 10;
constexpr int kQrQuietZone_modules = 4;

struct ZintDeleter {
    void operator()(zint_symbol* symbol) const { ZBarcode_Delete(symbol); }
};
struct QrDeleter {
    void operator()(QRcode* code) const { QRcode_free(code); }
};

}  // namespace

VectorSymbol code128_symbol(const std::string& text, double height_modules) {
    std::unique_ptr<zint_symbol, ZintDeleter> symbol(ZBarcode_Create());
    if (!symbol)
        throw ReportError("zint: cannot allocate a barcode symbol");
    symbol->symbology = BARCODE_CODE128;
    symbol->show_hrt = 0;  // the serial is printed beside it in the certificate's own font
    symbol->whitespace_width = kCode128QuietZone_modules;
    symbol->height = static_cast<float>(height_modules);
    const int encoded =
        ZBarcode_Encode(symbol.get(), reinterpret_cast<const unsigned char*>(text.data()),
                        static_cast<int>(text.size()));
    if (encoded >= ZINT_ERROR)
        throw ReportError(
            fmt::format("cannot encode serial '{}' as Code128: {}", text, symbol->errtxt));
    if (ZBarcode_Buffer_Vector(symbol.get(), 0) >= ZINT_ERROR)
        throw ReportError(
            fmt::format("cannot lay out the Code128 of '{}': {}", text, symbol->errtxt));

    // zint's vector units are a fixed multiple of the module; convert back.
    const zint_vector& vector = *symbol->vector;
    const double width_modules = symbol->width + 2.0 * kCode128QuietZone_modules;
    const double units_per_module = vector.width / width_modules;
    VectorSymbol result;
    result.width_modules = width_modules;
    result.height_modules = vector.height / units_per_module;
    for (const zint_vector_rect* bar = vector.rectangles; bar; bar = bar->next)
        result.dark.push_back({bar->x / units_per_module, bar->y / units_per_module,
                               bar->width / units_per_module, bar->height / units_per_module});
    return result;
}

VectorSymbol qr_symbol(const std::string& text) {
    std::unique_ptr<QRcode, QrDeleter> code(
        QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1));
    if (!code)
        throw ReportError(
            fmt::format("cannot encode '{}' as a QR code: {}", text, std::strerror(errno)));
    const int size = code->width;
    VectorSymbol result;
    result.width_modules = result.height_modules = size + 2.0 * kQrQuietZone_modules;
    for (int row = 0; row < size; ++row) {
        int column = 0;
        while (column < size) {
            const auto dark = [&](int at) { return (code->data[row * size + at] & 1) != 0; };
            if (!dark(column)) {
                ++column;
                continue;
            }
            const int start = column;
            while (column < size && dark(column))
                ++column;
            result.dark.push_back({static_cast<double>(start + kQrQuietZone_modules),
                                   static_cast<double>(row + kQrQuietZone_modules),
                                   static_cast<double>(column - start), 1.0});
        }
    }
    return result;
}

void draw_symbol(cairo_t* cr, const VectorSymbol& symbol, double x, double y, double module_pt) {
    fill_rect(cr, x, y, symbol.width_modules * module_pt, symbol.height_modules * module_pt,
              {1, 1, 1});
    cairo_save(cr);
    set_colour(cr, kBlack);
    for (const auto& bar : symbol.dark)
        cairo_rectangle(cr, x + bar.x * module_pt, y + bar.y * module_pt, bar.width * module_pt,
                        bar.height * module_pt);
    cairo_fill(cr);
    cairo_restore(cr);
}

}  // namespace mpobench::reports
