// Every SCPI reply parser of drivers/scpi_parse.hpp on the same bytes. Bad
// input must come back as std::invalid_argument; anything else escaping, a
// sanitizer report, or a broken promise of the header is a finding.

#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>

#include "drivers/scpi_parse.hpp"
#include "tests/fuzz/fuzz_contract.hpp"

namespace {

using namespace mpobench::drivers;
using mpobench::fuzz::require;

// The parser's result, or nullopt where it rejected the text as documented.
template <typename Parse>
auto accepted(Parse parse) -> std::optional<decltype(parse())> {
    try {
        return parse();
    } catch (const std::invalid_argument&) {
        return std::nullopt;
    }
}

void check_numbers(std::string_view text) {
    const auto number = accepted([&] { return parse_number(text); });
    const auto value = accepted([&] { return parse_value(text); });
    require(!number || !number->is_value() || std::isfinite(number->value),
            "parse_number: a Value is finite");
    require(value.has_value() == (number && number->is_value()),
            "parse_value accepts exactly the plain values of parse_number");
    require(!value || *value == number->value, "parse_value equals parse_number's value");

    // NR1 is a subset of the decimal forms, and both round the same digits.
    if (const auto integer = accepted([&] { return parse_integer(text); })) {
        require(number && number->is_value() && number->value == static_cast<double>(*integer),
                "an NR1 integer is also a number of the same value");
    }
}

void check_lists(std::string_view text) {
    const auto elements = accepted([&] { return split_list(text); });
    if (const auto numbers = accepted([&] { return parse_number_list(text); })) {
        require(elements && elements->size() == numbers->size(),
                "parse_number_list has one number per split_list element");
    }
    if (const auto identity = accepted([&] { return parse_identity(text); })) {
        require(elements && elements->size() == 4, "parse_identity: exactly four fields");
        require(!identity->vendor.empty() && !identity->model.empty(),
                "parse_identity: vendor and model present");
    }
    (void)accepted([&] { return parse_error_entry(text); });
}

template <typename Decode>
void check_decode(std::string_view payload, std::size_t width, Decode decode) {
    const auto values = accepted([&] { return decode(payload); });
    require(values.has_value() == (payload.size() % width == 0),
            "decode_*_le rejects exactly the payloads of a partial value");
    require(!values || values->size() == payload.size() / width,
            "decode_*_le: one value per width bytes");
}

void check_block(std::string_view text) {
    const auto size = accepted([&] { return definite_block_size(text); });
    std::size_t consumed = 0;
    const auto payload = accepted([&] { return parse_definite_block(text, &consumed); });
    if (payload) {
        require(size && *size && **size == consumed,
                "parse_definite_block consumes definite_block_size bytes");
        require(consumed <= text.size(), "parse_definite_block consumes what is there");
        const std::size_t header = consumed - payload->size();
        require(header >= 3 && header <= 11, "a block header is '#', d, then d digits");
        require(text.substr(header, payload->size()) == *payload,
                "the payload is the bytes after the header");
        check_decode(*payload, 4, decode_float32_le);
        check_decode(*payload, 2, decode_uint16_le);
    }
    const auto whole = accepted([&] { return parse_definite_block(text); });
    require(whole.has_value() == (payload && consumed == text.size()),
            "without `consumed`, exactly a block with nothing after it parses");

    // A reader receiving the block in pieces sees "incomplete" and then the
    // same size for every longer piece: once the header is complete the
    // answer never changes.
    if (size && *size) {
        bool complete = false;
        for (std::size_t length = 0; length <= text.size() && length <= 12; ++length) {
            const auto piece =
                accepted([&] { return definite_block_size(text.substr(0, length)); });
            require(piece.has_value(), "a prefix of a good header is never malformed");
            require(!complete || *piece == *size, "a complete header keeps its size");
            require(!*piece || **piece == **size, "a prefix announces the whole block's size");
            complete = piece->has_value();
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = mpobench::fuzz::as_text(data, size);
    check_numbers(text);
    check_lists(text);
    check_block(text);
    check_decode(text, 4, decode_float32_le);
    check_decode(text, 2, decode_uint16_le);
    return 0;
}
