// Shifts: each local time in exactly one shift; the shift past midnight is
// one shift, dated by the day it began; bad shift lists are named.

#include <catch2/catch.hpp>

#include <stdexcept>

#include "analysis/shifts.hpp"

using namespace mpobench::analysis;
using namespace std::chrono;
using Catch::Matchers::Contains;

namespace {

const std::vector<Shift> kThreeShifts{{"night", 22 * 60}, {"early", 6 * 60}, {"late", 14 * 60}};

std::string key_at(year_month_day day, int hour, int minute,
                   const std::vector<Shift>& shifts = kThreeShifts) {
    return shift_of(day, hour * 60 + minute, shifts).key();
}

}  // namespace

TEST_CASE("a time belongs to the latest shift started at or before it", "[shift]") {
    const year_month_day day{year{2026} / December / 7};
    CHECK(key_at(day, 6, 0) == "2026-12-07 early");  // a start belongs to its shift
    CHECK(key_at(day, 13, 59) == "2026-12-07 early");
    CHECK(key_at(day, 14, 0) == "2026-12-07 late");
    CHECK(key_at(day, 21, 59) == "2026-12-07 late");
    CHECK(key_at(day, 22, 0) == "2026-12-07 night");
    CHECK(key_at(day, 23, 59) == "2026-12-07 night");
}

TEST_CASE("the night shift past midnight is one shift, dated by the day it began", "[shift]") {
    CHECK(key_at(year{2026} / December / 8, 0, 0) == "2026-12-07 night");
    CHECK(key_at(year{2026} / December / 8, 5, 59) == "2026-12-07 night");
    CHECK(key_at(year{2026} / December / 8, 6, 0) == "2026-12-08 early");
    // Across a month and a year.
    CHECK(key_at(year{2027} / January / 1, 3, 0) == "2026-12-31 night");
    CHECK(key_at(year{2024} / March / 1, 3, 0) == "2024-02-29 night");
}

TEST_CASE("one shift is the whole day from its start", "[shift]") {
    const std::vector<Shift> one{{"all", 7 * 60}};
    CHECK(key_at(year{2026} / June / 2, 7, 0, one) == "2026-06-02 all");
    CHECK(key_at(year{2026} / June / 2, 6, 59, one) == "2026-06-01 all");
    const std::vector<Shift> midnight{{"day", 0}, {"evening", 18 * 60}};
    CHECK(key_at(year{2026} / June / 2, 0, 0, midnight) == "2026-06-02 day");
    CHECK(key_at(year{2026} / June / 2, 23, 0, midnight) == "2026-06-02 evening");
}

TEST_CASE("shift times are exactly HH:MM", "[shift]") {
    CHECK(parse_clock_minutes("06:00") == 360);
    CHECK(parse_clock_minutes("23:59") == 23 * 60 + 59);
    CHECK(parse_clock_minutes("00:00") == 0);
    for (const char* bad : {"6:00", "24:00", "12:60", "12-00", "12:00:00", "", " 6:00", "ab:cd"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_clock_minutes(bad));
    }
    CHECK(clock_text(22 * 60 + 5) == "22:05");
}

TEST_CASE("a shift list that cannot be used is named", "[shift]") {
    CHECK_FALSE(shift_list_error(kThreeShifts));
    CHECK_THAT(*shift_list_error({}), Contains("no shifts"));
    CHECK_THAT(*shift_list_error({{"a", 60}, {"a", 120}}), Contains("two shifts are named 'a'"));
    CHECK_THAT(*shift_list_error({{"a", 60}, {"b", 60}}), Contains("two shifts start at 01:00"));
    CHECK_THAT(*shift_list_error({{"", 60}}), Contains("empty name"));
    CHECK_THAT(*shift_list_error({{"a", 1440}}), Contains("outside the day"));
    CHECK_THROWS_AS(shift_of(year{2026} / June / 2, 0, {}), std::invalid_argument);
}
