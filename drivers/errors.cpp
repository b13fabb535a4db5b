#include "drivers/errors.hpp"

#include <fmt/format.h>

namespace mpobench::drivers {

std::string_view to_string(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Timeout:
            return "timeout";
        case ErrorKind::Disconnected:
            return "disconnected";
        case ErrorKind::Io:
            return "i/o error";
        case ErrorKind::Protocol:
            return "protocol error";
        case ErrorKind::Device:
            return "device error";
        case ErrorKind::Configuration:
            return "configuration error";
    }
    return "unknown error";
}

std::string printable(std::string_view bytes, std::size_t max_length) {
    std::string text;
    for (const char c : bytes) {
        if (text.size() >= max_length) {
            return fmt::format("{}... ({} bytes)", text, bytes.size());
        }
        switch (c) {
            case '\n':
                text += "\\n";
                break;
            case '\r':
                text += "\\r";
                break;
            case '\t':
                text += "\\t";
                break;
            default:
                if (c >= ' ' && c <= '~') {
                    text += c;
                } else {
                    text += fmt::format("\\x{:02X}", static_cast<unsigned char>(c));
                }
        }
    }
    return text;
}

namespace {

std::string one_line(const ErrorContext& context, const std::string& detail) {
    std::string text = context.role.empty()
                           ? context.resource
                           : fmt::format("{} ({})", context.role, context.resource);
    text += context.command.empty() ? fmt::format(": {}", detail)
                                    : fmt::format(": '{}' {}", printable(context.command), detail);
    if (context.reply) {
        text += fmt::format("; reply '{}'", printable(*context.reply));
    }
    return text;
}

}  // namespace

InstrumentError::InstrumentError(ErrorKind kind, ErrorContext context, const std::string& detail)
    : std::runtime_error(one_line(context, detail)),
      kind_(kind),
      context_(std::move(context)),
      detail_(detail) {}

}  // namespace mpobench::drivers
