#pragma once
// Strict parsers for what instruments send back. Pure functions, no I/O:
// every malformed reply becomes a std::invalid_argument naming the text.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mpobench::drivers {

// A number as SCPI sends it; the sentinels are typed, never a value.
struct ScpiNumber {
    enum class Kind { Value, PositiveOverrange, NegativeOverrange, NotANumber };
    Kind kind = Kind::Value;
    double value = 0.0;  // meaningful only for Kind::Value

    bool is_value() const { return kind == Kind::Value; }
};

// NR1 ("12"), NR2 ("-3.25"), NR3 ("+1.234E-03", "+1.00000000E+000").
// Surrounding whitespace is allowed; anything else (units, trailing
// garbage, empty, "inf", hex) throws. 9.9E37 -> PositiveOverrange,
// -9.9E37 -> NegativeOverrange, 9.91E37 -> NotANumber.
ScpiNumber parse_number(std::string_view text);

// parse_number that requires a plain value (throws on sentinels too).
double parse_value(std::string_view text);

// NR1 only, fits in a long long.
long long parse_integer(std::string_view text);

// Comma-separated list; quoted strings keep their commas. Elements are
// trimmed of surrounding whitespace.
std::vector<std::string> split_list(std::string_view text);

// Every element parsed with parse_number.
std::vector<ScpiNumber> parse_number_list(std::string_view text);

struct Identity {
    std::string vendor;
    std::string model;
    std::string serial;
    std::string firmware;
};

// "<vendor>,<model>,<serial>,<firmware>" (exactly four fields).
Identity parse_identity(std::string_view text);

struct ErrorEntry {
    int code = 0;
    std::string message;
    bool is_error() const { return code != 0; }
};

// `0,"No error"`, `+0,"No error"`, `-113,"Undefined header"`; also the
// unquoted `+0, No Error` some switch makers use.
ErrorEntry parse_error_entry(std::string_view text);

// IEEE 488.2 definite-length block: '#', one digit d (1-9), d digits of
// length, then that many bytes. Returns the payload. `consumed` receives the
// count of bytes the block occupies in `text` (so a caller can check what
// follows); without it, bytes after the block are an error. Throws on a short
// or malformed header or payload, and on the indefinite form "#0".
std::string parse_definite_block(std::string_view text, std::size_t* consumed = nullptr);

// For a reader that receives a block in pieces: the whole block's size in
// bytes (header and payload) once `start` holds its complete header, or
// nullopt while the header is still incomplete. Throws like
// parse_definite_block for a malformed header.
std::optional<std::size_t> definite_block_size(std::string_view start);

// Payload helpers for blocks of little-endian values.
std::vector<float> decode_float32_le(std::string_view payload);
std::vector<std::uint16_t> decode_uint16_le(std::string_view payload);

}  // namespace mpobench::drivers
