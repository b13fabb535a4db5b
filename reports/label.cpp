#include "reports/label.hpp"

#include <fmt/format.h>

#include <chrono>

#include "reports/certificate.hpp"
#include "reports/errors.hpp"

namespace mpobench::reports {

namespace {

// 203 dpi, 4 x 2 inches.
constexpr int kWidth_dots = 812;
constexpr int kLength_dots = 406;
constexpr int kMargin_dots = 24;
constexpr int kQrLeft_dots = 596;
// Code128 fits left of the QR code: narrow bars of 2 dots up to this many
// modules, 1 dot beyond.
constexpr int kBarcodeRoom_dots = kQrLeft_dots - kMargin_dots - 16;

// Field data for ^FH^FD: ^ and ~ would start a command, _ is ^FH's own
// escape; control bytes are escaped too so a stray CR cannot break the
// format. Everything else (UTF-8 under ^CI28) passes through.
std::string field_hex(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '^' || c == '~' || c == '_' || byte < 0x20 || byte == 0x7f)
            out += fmt::format("_{:02X}", byte);
        else
            out += c;
    }
    return out;
}

// Code128 start + check + stop, and the quiet zones, in modules.
int code128_modules(std::size_t characters) {
    return static_cast<int>(11 * characters) + 11 + 11 + 13 + 20;
}

std::string grade_word(Grade grade) {
    std::string word(to_string(grade));
    for (char& c : word)
        c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return word;
}

}  // namespace

BagLabel bag_label_of(const RunRecord& run, const std::string& record_hash,
                      const SiteClock& clock) {
    if (run.kind != RunKind::Production || run.status != RunStatus::Completed || !run.grade) {
        throw ReportError(fmt::format(
            "run {} of {} is not a completed production test: no bag label", run.id, run.serial));
    }
    if (!run.pass) {
        throw ReportError(
            fmt::format("run {} of {} did not pass ({} against target {}): no bag "
                        "label",
                        run.id, run.serial, to_string(*run.grade), to_string(run.part.target)));
    }
    if (record_hash.empty())
        throw ReportError(fmt::format("run {} of {} has no record hash", run.id, run.serial));
    BagLabel label;
    label.serial = run.serial;
    label.part_number = run.part.number;
    label.part_description = run.part.description;
    label.grade = *run.grade;
    label.tested_on = clock.day_text(run.ended_at ? *run.ended_at : run.started_at);
    label.record_reference = qr_payload(run, record_hash);
    return label;
}

std::string bag_label_zpl(const BagLabel& label) {
    if (label.serial.empty())
        throw ReportError("a bag label needs a serial number");
    for (const char c : label.serial) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '>' || c == '^' || c == '~' || byte < 0x20 || byte > 0x7e) {
            throw ReportError(fmt::format(
                "serial '{}': the character {} cannot go into a Zebra Code128 field as it is; "
                "no label printed",
                label.serial,
                byte < 0x20 || byte > 0x7e ? fmt::format("0x{:02X}", byte)
                                           : fmt::format("'{}'", c)));
        }
    }
    if (label.record_reference.empty())
        throw ReportError(fmt::format("the label of {} has no record reference", label.serial));

    std::string zpl;
    const auto add = [&zpl](std::string_view line) {
        zpl += line;
        zpl += '\n';
    };
    add("^XA");
    add("^CI28");  // field data is UTF-8
    add(fmt::format("^PW{}", kWidth_dots));
    add(fmt::format("^LL{}", kLength_dots));
    add("^LH0,0");
    // Captions small, values large; each value is a field of its own.
    const auto caption = [&](int y, std::string_view text) {
        add(fmt::format("^FO{},{}^A0N,22,22^FD{}^FS", kMargin_dots, y, text));
    };
    const auto value = [&](int y, int height, std::string_view text) {
        add(fmt::format("^FO{},{}^A0N,{},{}^FH^FD{}^FS", kMargin_dots + 112, y - 6, height, height,
                        field_hex(text)));
    };
    caption(28, "SERIAL");
    value(28, 36, label.serial);
    caption(76, "PART");
    value(76, 32, label.part_number);
    int y = 116;
    if (!label.part_description.empty()) {
        add(fmt::format("^FO{},{}^A0N,20,20^FB{},1,0,L^FH^FD{}^FS", kMargin_dots + 112, y - 6,
                        kQrLeft_dots - kMargin_dots - 112 - 8, field_hex(label.part_description)));
        y += 28;
    }
    caption(y, "GRADE");
    value(y, 32, grade_word(label.grade));
    y += 40;
    caption(y, "TESTED");
    value(y, 28, label.tested_on);
    if (label.reprint) {
        add(fmt::format("^FO{},{}^A0N,28,28^FDREPRINT^FS", kQrLeft_dots + 20, 352));
    }
    // The serial as Code128 (subset B, the ZPL default), its interpretation
    // line under it.
    const int module_dots = code128_modules(label.serial.size()) * 2 <= kBarcodeRoom_dots ? 2 : 1;
    add(fmt::format("^FO{},{}^BY{},3,70^BCN,70,Y,N,N^FH^FD{}^FS", kMargin_dots, 290, module_dots,
                    field_hex(label.serial)));
    // The record reference as QR: model 2, 4-dot modules, error correction
    // M, automatic input mode ("MA,").
    add(fmt::format("^FO{},{}^BQN,2,4^FH^FDMA,{}^FS", kQrLeft_dots, 20,
                    field_hex(label.record_reference)));
    add("^XZ");
    return zpl;
}

}  // namespace mpobench::reports
