#pragma once
// What a person or a barcode scanner types as an identifier — a serial
// number, an operator's name, a part number — made clean or refused, in one
// place for every command (and the web UI) that takes one. Pure functions,
// no I/O.
//
// A scanner ends its code with CR or CR LF, a copy-paste brings spaces: what
// surrounds the text (whitespace and control characters) is trimmed. What is
// left must be something the record can carry: a serial goes into a Code128
// barcode and a file name, so it is printable ASCII without spaces; a name is
// printed on the certificate, so it is any printable UTF-8 text.

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mpobench::analysis {

// An identifier that cannot be used; the message names the identifier, the
// offending character (as U+XXXX, and itself when printable) and its position.
class IdentifierError : public std::invalid_argument {
  public:
    using std::invalid_argument::invalid_argument;
};

constexpr std::size_t kMaxSerialLength = 64;
constexpr std::size_t kMaxOperatorNameLength = 64;

// `raw` without the whitespace and control characters around it (ASCII
// ones, and the bytes of no character at all are left for the checks).
std::string trim_identifier(std::string_view raw);

// The serial number as it will be stored: trimmed, then refused (throws
// IdentifierError) when empty, longer than kMaxSerialLength, holding a
// character Code128 cannot carry (anything outside printable ASCII, e.g.
// U+00E9 'é'), a space, or — when `pattern` is not empty — not matching it
// as a whole (an ECMAScript regular expression, the site file's
// serial_pattern).
std::string validate_serial(std::string_view raw, std::string_view pattern = {});

// Throws IdentifierError when `pattern` is not a valid ECMAScript regular
// expression (checked where the site file is read).
void check_serial_pattern(std::string_view pattern);

// The operator's name as it will be stored: trimmed; refused when empty,
// longer than kMaxOperatorNameLength characters, not UTF-8, or holding a
// control character. "José Núñez" is a name.
std::string validate_operator_name(std::string_view raw);

// Levenshtein distance between two strings, ignoring ASCII case.
std::size_t edit_distance_ignoring_case(std::string_view a, std::string_view b);

// The candidate closest to `wanted` (ignoring case) when it is close enough
// to be a typo — at most a third of its length and at most 3 edits — for
// "did you mean ...?"; nullopt otherwise. Ties go to the first candidate.
std::optional<std::string> closest_identifier(std::string_view wanted,
                                              const std::vector<std::string>& candidates);

}  // namespace mpobench::analysis
