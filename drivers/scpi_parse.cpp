#include "drivers/scpi_parse.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <regex>
#include <stdexcept>

#include "drivers/errors.hpp"

namespace mpobench::drivers {

namespace {

// SCPI's "not a number" and infinities (SCPI-99 vol. 1, 7.2.1.5).
constexpr double kPositiveInfinity = 9.9e37;
constexpr double kNotANumber = 9.91e37;

[[noreturn]] void reject(std::string_view what, std::string_view text) {
    throw std::invalid_argument(fmt::format("{}: '{}'", what, printable(text)));
}

std::string_view trim(std::string_view text) {
    constexpr std::string_view kSpace = " \t\r\n";
    const auto first = text.find_first_not_of(kSpace);
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

// std::regex_match recurses once per character, so a reply of some ten
// thousand digits overflows the stack; no instrument sends a number this long.
constexpr std::size_t kMaxNumberLength = 256;

bool matches(std::string_view text, const std::regex& pattern) {
    return text.size() <= kMaxNumberLength && std::regex_match(text.begin(), text.end(), pattern);
}

// from_chars takes no leading '+'; the patterns above have already checked the shape.
template <typename T>
std::from_chars_result convert(std::string_view text, T& value) {
    if (text.starts_with('+')) {
        text.remove_prefix(1);
    }
    return std::from_chars(text.data(), text.data() + text.size(), value);
}

}  // namespace

ScpiNumber parse_number(std::string_view text) {
    static const std::regex kDecimal(R"([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)");
    const auto number = trim(text);
    if (!matches(number, kDecimal)) {
        reject("not a SCPI number", text);
    }
    double value = 0.0;
    if (convert(number, value).ec != std::errc{}) {
        reject("number out of range", text);
    }
    if (value == kPositiveInfinity) {
        return {ScpiNumber::Kind::PositiveOverrange, 0.0};
    }
    if (value == -kPositiveInfinity) {
        return {ScpiNumber::Kind::NegativeOverrange, 0.0};
    }
    if (std::abs(value) == kNotANumber) {
        return {ScpiNumber::Kind::NotANumber, 0.0};
    }
    return {ScpiNumber::Kind::Value, value};
}

double parse_value(std::string_view text) {
    const auto number = parse_number(text);
    switch (number.kind) {
        case ScpiNumber::Kind::Value:
            return number.value;
        case ScpiNumber::Kind::PositiveOverrange:
            reject("overrange (SCPI +infinity) where a value is needed", text);
        case ScpiNumber::Kind::NegativeOverrange:
            reject("underrange (SCPI -infinity) where a value is needed", text);
        case ScpiNumber::Kind::NotANumber:
            reject("SCPI not-a-number where a value is needed", text);
    }
    reject("not a SCPI number", text);
}

long long parse_integer(std::string_view text) {
    static const std::regex kInteger(R"([+-]?\d+)");
    const auto number = trim(text);
    long long value = 0;
    if (!matches(number, kInteger)) {
        reject("not a SCPI integer", text);
    }
    if (convert(number, value).ec != std::errc{}) {
        reject("integer out of range", text);
    }
    return value;
}

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> elements;
    if (trim(text).empty()) {
        return elements;
    }
    std::size_t start = 0;
    char quote = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || (text[i] == ',' && quote == 0)) {
            elements.emplace_back(trim(text.substr(start, i - start)));
            start = i + 1;
        } else if (quote == 0 && (text[i] == '"' || text[i] == '\'')) {
            quote = text[i];
        } else if (text[i] == quote) {
            quote = 0;
        }
    }
    if (quote != 0) {
        reject("unterminated quoted string in list", text);
    }
    return elements;
}

std::vector<ScpiNumber> parse_number_list(std::string_view text) {
    std::vector<ScpiNumber> numbers;
    for (const auto& element : split_list(text)) {
        numbers.push_back(parse_number(element));
    }
    return numbers;
}

Identity parse_identity(std::string_view text) {
    const auto fields = split_list(text);
    if (fields.size() != 4) {
        throw std::invalid_argument(
            fmt::format("*IDN? reply has {} fields, not vendor,model,serial,firmware: '{}'",
                        fields.size(), printable(text)));
    }
    if (fields[0].empty() || fields[1].empty()) {
        reject("*IDN? reply without vendor or model", text);
    }
    return {fields[0], fields[1], fields[2], fields[3]};
}

ErrorEntry parse_error_entry(std::string_view text) {
    const auto comma = text.find(',');
    if (comma == std::string_view::npos) {
        reject("error queue entry is not <code>,<message>", text);
    }
    const auto code = parse_integer(text.substr(0, comma));
    if (code < std::numeric_limits<int>::min() || code > std::numeric_limits<int>::max()) {
        reject("error code out of range", text);
    }
    auto message = trim(text.substr(comma + 1));
    if (message.starts_with('"')) {
        if (message.size() < 2 || !message.ends_with('"')) {
            reject("error message with an unbalanced quote", text);
        }
        message = message.substr(1, message.size() - 2);
    } else if (message.empty()) {
        reject("error queue entry without a message", text);
    }
    return {static_cast<int>(code), std::string(message)};
}

std::optional<std::size_t> definite_block_size(std::string_view start) {
    if (start.empty()) {
        return std::nullopt;
    }
    if (start[0] != '#') {
        reject("not a definite-length block (no '#')", start.substr(0, 16));
    }
    if (start.size() < 2) {
        return std::nullopt;
    }
    if (start[1] == '0') {
        reject("indefinite-length block '#0' where a definite length was expected",
               start.substr(0, 16));
    }
    if (start[1] < '1' || start[1] > '9') {
        reject("block header digit count is not 1-9", start.substr(0, 16));
    }
    const std::size_t digits = static_cast<std::size_t>(start[1] - '0');
    if (start.size() < 2 + digits) {
        return std::nullopt;
    }
    const auto length_text = start.substr(2, digits);
    std::size_t length = 0;
    const auto result =
        std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
    if (result.ec != std::errc{} || result.ptr != length_text.data() + length_text.size()) {
        reject("block length is not a number", start.substr(0, 2 + digits));
    }
    return 2 + digits + length;
}

std::string parse_definite_block(std::string_view text, std::size_t* consumed) {
    const auto size = definite_block_size(text);
    if (!size) {
        reject("short definite-length block header", text);
    }
    const std::size_t header = 2 + static_cast<std::size_t>(text[1] - '0');
    if (text.size() < *size) {
        throw std::invalid_argument(
            fmt::format("short definite-length block: {} payload bytes announced, {} present: '{}'",
                        *size - header, text.size() - header, printable(text)));
    }
    if (consumed != nullptr) {
        *consumed = *size;
    } else if (text.size() > *size) {
        throw std::invalid_argument(
            fmt::format("{} unexpected bytes after a definite-length block: '{}'",
                        text.size() - *size, printable(text)));
    }
    return std::string(text.substr(header, *size - header));
}

namespace {

template <typename T, std::size_t Width>
std::vector<T> decode_le(std::string_view payload, std::string_view what) {
    if (payload.size() % Width != 0) {
        throw std::invalid_argument(fmt::format("{} payload of {} bytes is not a multiple of {}",
                                                what, payload.size(), Width));
    }
    std::vector<T> values;
    for (std::size_t offset = 0; offset < payload.size(); offset += Width) {
        std::uint32_t bits = 0;
        for (std::size_t i = 0; i < Width; ++i) {
            bits |= std::uint32_t{static_cast<unsigned char>(payload[offset + i])} << (8 * i);
        }
        if constexpr (Width == 4) {
            values.push_back(std::bit_cast<T>(bits));
        } else {
            values.push_back(static_cast<T>(bits));
        }
    }
    return values;
}

}  // namespace

std::vector<float> decode_float32_le(std::string_view payload) {
    return decode_le<float, 4>(payload, "float32");
}

std::vector<std::uint16_t> decode_uint16_le(std::string_view payload) {
    return decode_le<std::uint16_t, 2>(payload, "uint16");
}

}  // namespace mpobench::drivers
