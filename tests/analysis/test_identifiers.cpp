// Serial numbers, operator names and part numbers as scanners and people
// type them (issue 12, item 1).

#include <catch2/catch.hpp>

#include <string>

#include "analysis/identifiers.hpp"

using namespace mpobench::analysis;
using Catch::Matchers::Contains;

TEST_CASE("a scanner's CR, LF and surrounding spaces are trimmed from a serial") {
    CHECK(validate_serial("SN7006\r") == "SN7006");
    CHECK(validate_serial("SN7006\r\n") == "SN7006");
    CHECK(validate_serial("  SN7006\t ") == "SN7006");
    CHECK(validate_serial("\x02SN7006\x03") == "SN7006");  // STX/ETX framing
    CHECK(validate_serial("SN-7006/A.1") == "SN-7006/A.1");
}

TEST_CASE("what Code128 cannot carry is refused, naming the character") {
    CHECK_THROWS_WITH(validate_serial("SNé1"), Contains("U+00E9 'é'") && Contains("character 3"));
    CHECK_THROWS_WITH(validate_serial("SN\xe2\x82\xac"), Contains("U+20AC '€'"));
    CHECK_THROWS_WITH(validate_serial("SN 7006"), Contains("U+0020 (a space)"));
    CHECK_THROWS_WITH(validate_serial("SN\t7006"), Contains("U+0009 (a control character)"));
    // A control character is quoted, never sent to the terminal as it is.
    CHECK_THROWS_WITH(validate_serial("SN\x1b[2J"), Contains("'SN\\x1B[2J'") && !Contains("\x1b"));
    CHECK_THROWS_WITH(validate_serial("SN\r7006"), Contains("U+000D"));
    CHECK_THROWS_WITH(validate_serial("SN\xe9"), Contains("byte 0xE9") && Contains("not UTF-8"));
    CHECK_THROWS_WITH(validate_serial("SN\xc3"), Contains("byte 0xC3"));
    CHECK_THROWS_WITH(validate_serial("SN\xc0\xaf"), Contains("byte 0xC0"));  // overlong '/'
    CHECK_THROWS_AS(validate_serial("\xc2\xa0SN1"), IdentifierError);         // no-break space
}

TEST_CASE("an empty or overlong serial is refused") {
    CHECK_THROWS_WITH(validate_serial(""), Contains("empty"));
    CHECK_THROWS_WITH(validate_serial(" \r\n"), Contains("empty"));
    CHECK(validate_serial(std::string(kMaxSerialLength, 'S')).size() == kMaxSerialLength);
    CHECK_THROWS_WITH(validate_serial(std::string(kMaxSerialLength + 1, 'S')),
                      Contains("at most 64"));
}

TEST_CASE("the site's serial_pattern must match the whole trimmed serial") {
    const std::string pattern = "SN[0-9]{4}";
    CHECK(validate_serial("SN7006\r", pattern) == "SN7006");
    CHECK_THROWS_WITH(validate_serial("SN70060", pattern),
                      Contains("does not match the site's serial_pattern 'SN[0-9]{4}'"));
    CHECK_THROWS_WITH(validate_serial("XSN7006", pattern), Contains("serial_pattern"));
    CHECK_THROWS_WITH(validate_serial("sn7006", pattern), Contains("serial_pattern"));
    CHECK(validate_serial("anything", "") == "anything");
}

TEST_CASE("a serial_pattern that is not a regular expression is refused") {
    CHECK_NOTHROW(check_serial_pattern("^SN[0-9]+$"));
    CHECK_THROWS_AS(check_serial_pattern("SN[0-9"), IdentifierError);
    CHECK_THROWS_WITH(check_serial_pattern("SN(("), Contains("not a regular expression"));
}

TEST_CASE("operator names are trimmed, may be any printable text, never a control character") {
    CHECK(validate_operator_name(" Ann Lee\r\n") == "Ann Lee");
    CHECK(validate_operator_name("José Núñez") == "José Núñez");
    CHECK_THROWS_WITH(validate_operator_name(""), Contains("operator name is empty"));
    CHECK_THROWS_WITH(validate_operator_name("\t"), Contains("operator name is empty"));
    CHECK_THROWS_WITH(validate_operator_name("Ann\x1b[31mLee"),
                      Contains("U+001B") && Contains("'Ann\\x1B[31mLee'"));
    CHECK_THROWS_WITH(validate_operator_name("Ann\xc2\x85Lee"), Contains("U+0085"));
    CHECK_THROWS_WITH(validate_operator_name("Ann\xffLee"), Contains("byte 0xFF"));
    CHECK(validate_operator_name(std::string(kMaxOperatorNameLength, 'a')).size() == 64);
    CHECK_THROWS_WITH(validate_operator_name(std::string(kMaxOperatorNameLength + 1, 'a')),
                      Contains("at most 64"));
}

TEST_CASE("edit distance ignores case") {
    CHECK(edit_distance_ignoring_case("MPO12-SM-B-E", "mpo12-sm-b-e") == 0);
    CHECK(edit_distance_ignoring_case("MPO12-SM-B-E", "MPO12-SM-B-S") == 1);
    CHECK(edit_distance_ignoring_case("MPO12-SM-BE", "MPO12-SM-B-E") == 1);
    CHECK(edit_distance_ignoring_case("", "abc") == 3);
    CHECK(edit_distance_ignoring_case("kitten", "sitting") == 3);
}

TEST_CASE("did you mean: the closest part number within a typo's reach") {
    const std::vector<std::string> parts{"MPO12-SM-B-E", "MPO12-SM-A-E", "MPO24-MM-A-S"};
    CHECK(closest_identifier("MPO12-SM-B-X", parts) == "MPO12-SM-B-E");
    CHECK(closest_identifier("mpo12-sm-a", parts) == "MPO12-SM-A-E");
    CHECK(closest_identifier("MPO24-MM-A-S", parts) == "MPO24-MM-A-S");
    CHECK_FALSE(closest_identifier("NOPE", parts));
    CHECK_FALSE(closest_identifier("MPO32-MM-C-G", parts));
    CHECK_FALSE(closest_identifier("X", {}));
}
