#pragma once
// Shared by the db tests: a raw SQLite connection (the "other tool" that
// opens the file), a limit set, and a check that a reading came back as
// stored; with the temporary directory and the sample run from tests/support.

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "db/repository.hpp"
#include "tests/support/sample_run.hpp"
#include "tests/support/temp_dir.hpp"

namespace db_test {

using namespace mpobench;
using mpobench::testing::at_ms;
using mpobench::testing::measurement;
using mpobench::testing::new_run;
using mpobench::testing::TempDir;

// A pid that certainly belongs to no process now: a child that has exited
// and been reaped.
inline pid_t dead_pid() {
    const pid_t child = ::fork();
    if (child == 0) {
        ::_exit(0);
    }
    REQUIRE(child > 0);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    return child;
}

// A plain SQLite connection beside the Repository, for what the API
// deliberately cannot do (forge an owner, plant a newer schema version).
class RawDatabase {
  public:
    explicit RawDatabase(const std::filesystem::path& path) {
        if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
            const std::string message = sqlite3_errmsg(db_);
            sqlite3_close(db_);
            throw std::runtime_error("raw open of " + path.string() + ": " + message);
        }
        sqlite3_busy_timeout(db_, 10'000);
    }
    ~RawDatabase() { sqlite3_close(db_); }
    RawDatabase(const RawDatabase&) = delete;
    RawDatabase& operator=(const RawDatabase&) = delete;

    // Runs SQL; returns SQLite's error message, empty on success.
    std::string execute(const std::string& sql) {
        char* error = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) == SQLITE_OK) {
            return {};
        }
        std::string message = error != nullptr ? error : "unknown error";
        sqlite3_free(error);
        return message;
    }

    // The first column of the first row, as text.
    std::string value(const std::string& sql) {
        sqlite3_stmt* statement = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
            throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
        }
        std::string text;
        if (sqlite3_step(statement) == SQLITE_ROW && sqlite3_column_text(statement, 0) != nullptr) {
            text = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
        }
        sqlite3_finalize(statement);
        return text;
    }

  private:
    sqlite3* db_ = nullptr;
};

// The limit set the sample runs are graded under.
inline db::StoredLimitSet default_limits() {
    return {0, "default", "2026.1", "sha256:4f1c0d", "[grades.elite]\nil_max_db = 0.35\n"};
}

inline void require_same_measurement(const Measurement& stored, const Measurement& expected) {
    CHECK(stored.end == expected.end);
    CHECK(stored.fiber == expected.fiber);
    CHECK(stored.wavelength_nm == expected.wavelength_nm);
    CHECK(stored.cycle == expected.cycle);
    CHECK(stored.status == expected.status);
    CHECK(stored.far_position == expected.far_position);
    if (std::isnan(expected.power_dbm)) {
        CHECK(std::isnan(stored.power_dbm));
    } else {
        CHECK(stored.power_dbm == expected.power_dbm);
    }
    CHECK(stored.il_db == expected.il_db);
    CHECK(stored.rl_db == expected.rl_db);
    CHECK(stored.rl_above_db == expected.rl_above_db);
    CHECK(stored.taken_at == expected.taken_at);
    CHECK(stored.monitor_dbm == expected.monitor_dbm);
}

}  // namespace db_test
