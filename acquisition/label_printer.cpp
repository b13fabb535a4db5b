#include "acquisition/label_printer.hpp"

#include <fmt/format.h>

#include <charconv>

namespace mpobench::acquisition {

namespace {

constexpr std::string_view kForms = "tcp://HOST[:PORT], file:PATH or lp:QUEUE";

std::invalid_argument bad(std::string_view text, std::string_view why) {
    return std::invalid_argument(
        fmt::format("label printer '{}': {} (give {})", text, why, kForms));
}

bool printable_without_spaces(std::string_view text) {
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte == 0x7f)
            return false;
    }
    return true;
}

}  // namespace

LabelDestination parse_label_destination(std::string_view text) {
    LabelDestination destination;
    destination.text = std::string(text);
    if (text.starts_with("tcp://")) {
        destination.kind = LabelDestination::Kind::Tcp;
        std::string_view rest = text.substr(6);
        if (!rest.empty() && rest.back() == '/')
            rest.remove_suffix(1);
        std::string_view port_text;
        if (rest.starts_with('[')) {
            const auto close = rest.find(']');
            if (close == std::string_view::npos)
                throw bad(text, "an IPv6 address needs its closing ]");
            destination.host = std::string(rest.substr(1, close - 1));
            const auto after = rest.substr(close + 1);
            if (!after.empty()) {
                if (!after.starts_with(':'))
                    throw bad(text, "expected :PORT after the address");
                port_text = after.substr(1);
                if (port_text.empty())
                    throw bad(text, "the port is missing after ':'");
            }
        } else {
            const auto colon = rest.rfind(':');
            destination.host = std::string(rest.substr(0, colon));
            if (colon != std::string_view::npos) {
                port_text = rest.substr(colon + 1);
                if (port_text.empty())
                    throw bad(text, "the port is missing after ':'");
            }
        }
        if (destination.host.empty())
            throw bad(text, "the host is missing");
        if (!printable_without_spaces(destination.host) ||
            destination.host.find_first_of("/?#@") != std::string::npos)
            throw bad(text, "the host holds a character a host name cannot");
        if (!port_text.empty()) {
            unsigned value = 0;
            const auto [end, error] =
                std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
            if (error != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
                value > 65535)
                throw bad(text, fmt::format("port '{}' is not a number in 1..65535", port_text));
            destination.port = static_cast<std::uint16_t>(value);
        }
        return destination;
    }
    if (text.starts_with("file:")) {
        destination.kind = LabelDestination::Kind::File;
        destination.file = std::string(text.substr(5));
        if (destination.file.empty())
            throw bad(text, "the file name is missing");
        return destination;
    }
    if (text.starts_with("lp:")) {
        destination.kind = LabelDestination::Kind::Lp;
        destination.queue = std::string(text.substr(3));
        if (destination.queue.empty())
            throw bad(text,
                      "the queue name is missing (label printers are raw queues, never the "
                      "default paper printer)");
        if (!printable_without_spaces(destination.queue) || destination.queue.starts_with('-'))
            throw bad(text,
                      "a CUPS queue name has no spaces or control characters and does "
                      "not start with '-'");
        return destination;
    }
    throw bad(text, "unknown kind of destination");
}

}  // namespace mpobench::acquisition
