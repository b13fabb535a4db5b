// The site's local time and shifts: [site] time_zone from the system
// zoneinfo, [[shift]] tables, and local times with their offsets, checked
// against offsets known for those zones and dates.

#include <catch2/catch.hpp>

#include <fstream>

#include "reports/site.hpp"
#include "reports/site_clock.hpp"
#include "tests/support/sample_run.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace mpobench;
using namespace mpobench::reports;
using Catch::Matchers::Contains;
using mpobench::testing::TempDir;
using namespace std::chrono;

TimePoint utc(year_month_day day, int hour, int minute) {
    return TimePoint{sys_days{day} + hours{hour} + minutes{minute}};
}

const std::string kCompany = "[company]\nname = \"Example Optical Assemblies Ltd.\"\n";

Site site_of(TempDir& dir, const std::string& text) {
    const auto file = dir.file("site.toml");
    std::ofstream(file) << text;
    return load_site(file);
}

std::string error_of(TempDir& dir, const std::string& text) {
    try {
        site_of(dir, text);
    } catch (const SiteError& error) {
        return error.what();
    }
    FAIL("the site file loaded:\n" << text);
    return {};
}

}  // namespace

TEST_CASE("local time with its offset, summer and winter", "[site_time]") {
    const SiteClock london("Europe/London");
    CHECK(london.text(utc(year{2026} / July / 7, 10, 3)) == "2026-07-07 11:03:00 +01:00 BST");
    CHECK(london.text(utc(year{2026} / December / 7, 10, 3)) == "2026-12-07 10:03:00 +00:00 GMT");
    // The last second before the clocks go forward, and the first after.
    CHECK(london.text(utc(year{2026} / March / 29, 0, 59) + seconds{59}) ==
          "2026-03-29 00:59:59 +00:00 GMT");
    CHECK(london.text(utc(year{2026} / March / 29, 1, 0)) == "2026-03-29 02:00:00 +01:00 BST");

    const SiteClock kolkata("Asia/Kolkata");
    CHECK(kolkata.text(utc(year{2026} / December / 7, 20, 0)) == "2026-12-08 01:30:00 +05:30 IST");
    const auto local = kolkata.local(utc(year{2026} / December / 7, 20, 0));
    CHECK(local.day == year{2026} / December / 8);
    CHECK(local.minute_of_day == 90);
    CHECK(local.offset == minutes{330});

    const SiteClock st_johns("America/St_Johns");
    CHECK(st_johns.text(utc(year{2026} / January / 15, 12, 0)) == "2026-01-15 08:30:00 -03:30 NST");

    // No zone: UTC, as the certificates always printed it.
    CHECK(SiteClock("").text(utc(year{2026} / July / 7, 10, 3)) == "2026-07-07 10:03:00 UTC");
    CHECK(offset_text(minutes{-210}) == "-03:30");
}

TEST_CASE("an unknown time zone is refused", "[site_time]") {
    CHECK_THROWS_AS(SiteClock("Europe/Atlantis"), SiteError);
    CHECK_THROWS_WITH(SiteClock("+01:00"), Contains("'+01:00' is not in this system's zoneinfo"));
}

TEST_CASE("the site file gives the time zone and the shifts", "[site_time]") {
    TempDir dir;
    const Site plain = site_of(dir, kCompany);
    CHECK(plain.time_zone.empty());
    CHECK(plain.shifts.empty());

    const Site site = site_of(dir, kCompany + R"(
[site]
time_zone = "Europe/London"
[[shift]]
name = "early"
start = "06:00"
[[shift]]
name = "late"
start = "14:00"
[[shift]]
name = "night"
start = "22:00"
)");
    CHECK(site.time_zone == "Europe/London");
    REQUIRE(site.shifts.size() == 3);
    CHECK(site.shifts[2].name == "night");
    CHECK(site.shifts[2].start_min == 22 * 60);
}

TEST_CASE("a bad time zone or shift names the file, line and key", "[site_time]") {
    TempDir dir;
    CHECK_THAT(error_of(dir, kCompany + "[site]\ntime_zone = \"Mars/Olympus\"\n"),
               Contains("site.toml:4") && Contains("site.time_zone") &&
                   Contains("'Mars/Olympus' is not in this system's zoneinfo"));
    CHECK_THAT(error_of(dir, kCompany + "[site]\ntime_zone = \"\"\n"),
               Contains("must not be empty"));
    CHECK_THAT(error_of(dir, kCompany + "[site]\nzone = \"UTC\"\n"),
               Contains("site.zone: unknown key"));
    CHECK_THAT(error_of(dir, kCompany + "[[shift]]\nname = \"early\"\nstart = \"6:00\"\n"),
               Contains("site.toml:5") && Contains("shift[1].start") &&
                   Contains("'6:00' is not a local time HH:MM"));
    CHECK_THAT(error_of(dir, kCompany + "[[shift]]\nstart = \"06:00\"\n"),
               Contains("shift[1].name: missing"));
    CHECK_THAT(error_of(dir, kCompany + "[[shift]]\nname = \"a\"\n"),
               Contains("shift[1].start: missing"));
    CHECK_THAT(
        error_of(dir, kCompany + "[[shift]]\nname = \"a\"\nstart = \"06:00\"\nend = \"14:00\"\n"),
        Contains("shift[1].end: unknown key"));
    CHECK_THAT(error_of(dir, kCompany + "[[shift]]\nname = \"a\"\nstart = \"06:00\"\n"
                                        "[[shift]]\nname = \"a\"\nstart = \"18:00\"\n"),
               Contains("two shifts are named 'a'"));
    CHECK_THAT(error_of(dir, "shift = \"night\"\n" + kCompany),
               Contains("expected [[shift]] tables"));
}
