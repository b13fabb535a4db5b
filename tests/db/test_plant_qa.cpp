// The plant QA reader's pieces that need no server (the server side is
// tests/e2e/test_plant_qa.py): which --db is a plant, the time zone name
// the plant session counts local days in, and the parameters --by shift
// sends for the site's shifts.
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "db/plant_qa.hpp"
#include "db/plant_read.hpp"
#include "tests/db/db_test_support.hpp"

using mpobench::db::plant::is_plant_url;
using mpobench::db::plant::PlantError;
using mpobench::db::plant::process_time_zone;
using mpobench::db::plant::shift_parameters;
using mpobench::db::plant::ShiftPeriods;

namespace {

// Sets TZ for one scope and puts back what was there.
class ScopedTz {
  public:
    explicit ScopedTz(const char* value) {
        if (const char* old = std::getenv("TZ"); old != nullptr) {
            saved_ = old;
        }
        if (value != nullptr) {
            ::setenv("TZ", value, 1);
        } else {
            ::unsetenv("TZ");
        }
    }
    ~ScopedTz() {
        if (saved_) {
            ::setenv("TZ", saved_->c_str(), 1);
        } else {
            ::unsetenv("TZ");
        }
    }
    ScopedTz(const ScopedTz&) = delete;
    ScopedTz& operator=(const ScopedTz&) = delete;

  private:
    std::optional<std::string> saved_;
};

}  // namespace

TEST_CASE("a plant URL is told from a station file by its scheme") {
    CHECK(is_plant_url("postgresql://qa@plant-db/plant"));
    CHECK(is_plant_url("postgres:///plant?host=/run/postgresql"));
    CHECK_FALSE(is_plant_url("station.db"));
    CHECK_FALSE(is_plant_url("/var/lib/mpobench/postgresql://x.db"));
    CHECK_FALSE(is_plant_url("host=plant-db dbname=plant"));  // a key=value string
    CHECK_FALSE(is_plant_url(""));
}

TEST_CASE("the plant session's time zone is this process's, by name") {
    {
        const ScopedTz tz("Europe/Berlin");
        CHECK(process_time_zone() == "Europe/Berlin");
    }
    {
        const ScopedTz tz(":Pacific/Kiritimati");
        CHECK(process_time_zone() == "Pacific/Kiritimati");
    }
    {
        const ScopedTz tz("/usr/share/zoneinfo/Asia/Tokyo");
        CHECK(process_time_zone() == "Asia/Tokyo");
    }
    {
        // A POSIX rule passes as it is: PostgreSQL reads those too.
        const ScopedTz tz("EST5EDT");
        CHECK(process_time_zone() == "EST5EDT");
    }
    {
        // Without TZ: the system's zone (/etc/localtime), never empty.
        const ScopedTz tz(nullptr);
        CHECK_FALSE(process_time_zone().empty());
    }
}

TEST_CASE("the plant's --by shift sends the site's zone, shift starts and names as parameters") {
    // In any order: sent by start, the names in the same order.
    const ShiftPeriods periods{"Europe/London", {{"night", 1320}, {"early", 360}, {"late", 840}}};
    CHECK(shift_parameters(periods) == std::vector<std::string>{"Europe/London", "{360,840,1320}",
                                                                R"({"early","late","night"})"});
    // Names are array elements, quoted: a quote, a backslash, a comma,
    // braces and NULL stay text.
    const ShiftPeriods odd{"", {{R"(late "B")", 840}, {R"(a\b,{c})", 0}, {"NULL", 60}}};
    CHECK(shift_parameters(odd) ==
          std::vector<std::string>{"UTC", "{0,60,840}", R"({"a\\b,{c}","NULL","late \"B\""})"});
}

TEST_CASE("the plant's --by shift refuses a shift list the site file would refuse") {
    CHECK_THROWS_AS(shift_parameters({"UTC", {}}), PlantError);
    CHECK_THROWS_WITH(shift_parameters({"UTC", {{"early", 360}, {"late", 360}}}),
                      Catch::Contains("two shifts start at 06:00"));
    CHECK_THROWS_WITH(shift_parameters({"UTC", {{"early", 360}, {"early", 840}}}),
                      Catch::Contains("two shifts are named 'early'"));
    CHECK_THROWS_AS(shift_parameters({"UTC", {{"", 360}}}), PlantError);
    CHECK_THROWS_AS(shift_parameters({"UTC", {{"late", 1440}}}), PlantError);
}
