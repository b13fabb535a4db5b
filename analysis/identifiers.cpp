#include "analysis/identifiers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <regex>

namespace mpobench::analysis {
namespace {

bool is_trimmed_away(unsigned char c) {
    return c <= 0x20 || c == 0x7f;  // ASCII controls, space, DEL
}

bool is_printable_ascii(unsigned char c) {
    return c >= 0x20 && c < 0x7f;
}

// One character of UTF-8 text: its code point and how many bytes it takes,
// or nullopt when the bytes at `at` are not UTF-8.
struct Decoded {
    char32_t code_point;
    std::size_t length;
};

std::optional<Decoded> decode_utf8(std::string_view text, std::size_t at) {
    const auto lead = static_cast<unsigned char>(text[at]);
    if (lead < 0x80)
        return Decoded{lead, 1};
    std::size_t length = 0;
    char32_t value = 0;
    char32_t minimum = 0;
    if ((lead & 0xe0) == 0xc0) {
        length = 2, value = lead & 0x1f, minimum = 0x80;
    } else if ((lead & 0xf0) == 0xe0) {
        length = 3, value = lead & 0x0f, minimum = 0x800;
    } else if ((lead & 0xf8) == 0xf0) {
        length = 4, value = lead & 0x07, minimum = 0x10000;
    } else {
        return std::nullopt;
    }
    if (at + length > text.size())
        return std::nullopt;
    for (std::size_t i = 1; i < length; ++i) {
        const auto next = static_cast<unsigned char>(text[at + i]);
        if ((next & 0xc0) != 0x80)
            return std::nullopt;
        value = (value << 6) | (next & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and values past Unicode are not UTF-8.
    if (value < minimum || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
        return std::nullopt;
    return Decoded{value, length};
}

bool is_control(char32_t c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029;
}

// "U+00E9 'é'", "U+000D (a control character)".
std::string describe(std::string_view text, std::size_t at, const Decoded& decoded) {
    if (is_control(decoded.code_point)) {
        return fmt::format("U+{:04X} (a control character)",
                           static_cast<std::uint32_t>(decoded.code_point));
    }
    if (decoded.code_point == U' ')
        return "U+0020 (a space)";
    return fmt::format("U+{:04X} '{}'", static_cast<std::uint32_t>(decoded.code_point),
                       text.substr(at, decoded.length));
}

// The first character of `text` that `allowed` refuses, described with its
// position (counted in characters, from 1); nullopt when there is none.
template <typename Allowed>
std::optional<std::string> first_refused(std::string_view text, Allowed allowed) {
    std::size_t position = 1;
    for (std::size_t at = 0; at < text.size(); ++position) {
        const auto decoded = decode_utf8(text, at);
        if (!decoded) {
            return fmt::format("byte 0x{:02X} at character {} (not UTF-8 text)",
                               static_cast<unsigned char>(text[at]), position);
        }
        if (!allowed(decoded->code_point))
            return fmt::format("{} at character {}", describe(text, at, *decoded), position);
        at += decoded->length;
    }
    return std::nullopt;
}

// The identifier as a message quotes it: ASCII control characters (an
// escape sequence would act on the terminal that shows the message) as \xNN.
std::string quoted(std::string_view text) {
    std::string out;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f)
            out += fmt::format("\\x{:02X}", byte);
        else
            out += c;
    }
    return out;
}

std::size_t utf8_length(std::string_view text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    }));
}

std::regex compile_pattern(std::string_view pattern) {
    try {
        return std::regex(pattern.begin(), pattern.end(), std::regex::ECMAScript);
    } catch (const std::regex_error& error) {
        throw IdentifierError(
            fmt::format("serial_pattern '{}' is not a regular expression (ECMAScript): {}", pattern,
                        error.what()));
    }
}

}  // namespace

std::string trim_identifier(std::string_view raw) {
    std::size_t first = 0, last = raw.size();
    while (first < last && is_trimmed_away(static_cast<unsigned char>(raw[first])))
        ++first;
    while (last > first && is_trimmed_away(static_cast<unsigned char>(raw[last - 1])))
        --last;
    return std::string(raw.substr(first, last - first));
}

void check_serial_pattern(std::string_view pattern) {
    (void)compile_pattern(pattern);
}

std::string validate_serial(std::string_view raw, std::string_view pattern) {
    std::string serial = trim_identifier(raw);
    if (serial.empty())
        throw IdentifierError("the serial number is empty");
    if (const auto refused = first_refused(serial, [](char32_t c) {
            return c < 0x80 && is_printable_ascii(static_cast<unsigned char>(c)) && c != U' ';
        })) {
        throw IdentifierError(fmt::format(
            "serial number '{}': {} cannot be in a serial (printable ASCII without spaces, "
            "what a Code128 barcode carries)",
            quoted(serial), *refused));
    }
    if (serial.size() > kMaxSerialLength) {
        throw IdentifierError(fmt::format("serial number '{}' is {} characters long (at most {})",
                                          serial, serial.size(), kMaxSerialLength));
    }
    if (!pattern.empty() && !std::regex_match(serial, compile_pattern(pattern))) {
        throw IdentifierError(fmt::format(
            "serial number '{}' does not match the site's serial_pattern '{}'", serial, pattern));
    }
    return serial;
}

std::string validate_operator_name(std::string_view raw) {
    std::string name = trim_identifier(raw);
    if (name.empty())
        throw IdentifierError("the operator name is empty");
    if (const auto refused = first_refused(name, [](char32_t c) { return !is_control(c); })) {
        throw IdentifierError(
            fmt::format("operator name '{}': {} cannot be in a name", quoted(name), *refused));
    }
    if (utf8_length(name) > kMaxOperatorNameLength) {
        throw IdentifierError(fmt::format("operator name '{}' is {} characters long (at most {})",
                                          name, utf8_length(name), kMaxOperatorNameLength));
    }
    return name;
}

std::size_t edit_distance_ignoring_case(std::string_view a, std::string_view b) {
    const auto lower = [](char c) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    };
    std::vector<std::size_t> previous(b.size() + 1), current(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        previous[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t substitution =
                previous[j - 1] + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1);
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
        }
        std::swap(previous, current);
    }
    return previous[b.size()];
}

std::optional<std::string> closest_identifier(std::string_view wanted,
                                              const std::vector<std::string>& candidates) {
    const std::size_t allowed =
        std::min<std::size_t>(3, std::max<std::size_t>(1, wanted.size() / 3));
    std::optional<std::string> best;
    std::size_t best_distance = allowed + 1;
    for (const auto& candidate : candidates) {
        const std::size_t distance = edit_distance_ignoring_case(wanted, candidate);
        if (distance < best_distance) {
            best_distance = distance;
            best = candidate;
        }
    }
    return best;
}

}  // namespace mpobench::analysis
