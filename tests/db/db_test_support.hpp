#pragma once
// Shared by the db tests: temporary database directories, a raw SQLite
// connection (the "other tool" that opens the file), and a fully populated
// run record.

#include <sqlite3.h>
#include <stdlib.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "db/repository.hpp"

namespace db_test {

using namespace mpobench;

// A fresh directory under the system temporary directory, removed with
// everything in it at the end of the test.
class TempDir {
  public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "mpobench-db-XXXXXX");
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed for " + pattern);
        }
        path_ = pattern;
    }
    ~TempDir() {
        // A directory left behind in /tmp must not fail the test that used it.
        std::error_code error;
        std::filesystem::remove_all(path_, error);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::filesystem::path file(const std::string& name) const { return path_ / name; }

  private:
    std::filesystem::path path_;
};

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

// Whole milliseconds: the precision the store keeps.
inline TimePoint at_ms(std::int64_t milliseconds_since_epoch) {
    return TimePoint{std::chrono::milliseconds{milliseconds_since_epoch}};
}

inline Measurement measurement(End end, int fiber, int wavelength_nm, int cycle,
                               std::int64_t taken_ms) {
    Measurement m;
    m.end = end;
    m.fiber = fiber;
    m.wavelength_nm = wavelength_nm;
    m.cycle = cycle;
    m.status = ReadingStatus::Ok;
    m.far_position = 13 - fiber;
    m.power_dbm = -3.25 - 0.01 * fiber;
    m.il_db = 0.1 + 0.001 * fiber;
    m.rl_db = 65.5 + 0.1 * fiber;
    m.taken_at = at_ms(taken_ms);
    return m;
}

// A run as it is begun: who, what, with which instruments; no results yet.
inline RunRecord new_run(const std::string& serial, std::int64_t started_ms) {
    RunRecord run;
    run.kind = RunKind::Production;
    run.serial = serial;
    run.part.number = "MTP12-SM-B-3M";
    run.part.description = "MTP 12F SM APC type B, 3 m";
    run.part.fibers = 12;
    run.part.mode = FiberMode::SM;
    run.part.polarity = PolarityType::B;
    run.part.target = Grade::Elite;
    run.part.length_m = 3.0;
    run.part.wavelengths_nm = {1310, 1550};
    run.part.mating_cycles = 2;
    run.station = "bench-1";
    run.operator_name = "ada";
    run.software_version = "0.1.0-test";
    run.started_at = at_ms(started_ms);
    run.instruments = {
        {"source", "light_source", "keysight_8165x", "TCPIP0::127.0.0.1::5025::SOCKET", "Keysight",
         "81657A", "DE1234", "1.2.3", "2027-03-01"},
        {"meter", "power_meter", "keysight_n774x", "ASRL/dev/ttyUSB0::INSTR", "Keysight", "N7745C",
         "MY5678", "4.5", ""},
    };
    return run;
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
    CHECK(stored.taken_at == expected.taken_at);
}

}  // namespace db_test
