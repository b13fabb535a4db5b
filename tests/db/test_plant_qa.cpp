// The plant QA reader's pieces that need no server (the server side is
// tests/e2e/test_plant_qa.py): which --db is a plant, and the time zone
// name the plant session counts local days in.
#include <cstdlib>
#include <optional>
#include <string>

#include "db/plant_qa.hpp"
#include "db/plant_read.hpp"
#include "tests/db/db_test_support.hpp"

using mpobench::db::plant::is_plant_url;
using mpobench::db::plant::process_time_zone;

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
