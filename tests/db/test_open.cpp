// Opening a database: creation and migration, refusal of newer, foreign and
// corrupt files, and the interrupted-run check against the owner process.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "db_test_support.hpp"

using namespace db_test;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using mpobench::db::DatabaseError;
using mpobench::db::Repository;

namespace {

std::string read_bytes(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(file), {});
}

void write_random_bytes(const std::filesystem::path& path, std::size_t count, std::size_t at = 0) {
    std::mt19937 random(20261124);
    std::string bytes(count, '\0');
    for (auto& byte : bytes) {
        byte = static_cast<char>(random() & 0xFF);
    }
    std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
    if (!file) {
        file.open(path, std::ios::binary | std::ios::out);
    }
    file.seekp(static_cast<std::streamoff>(at));
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST_CASE("a new database is created at the current schema version and reopens unchanged") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    // An empty file is a database at version 0: the oldest there is.
    std::ofstream(path).close();
    REQUIRE(std::filesystem::file_size(path) == 0);
    {
        Repository repository(path);
        CHECK(repository.schema_version() == Repository::current_schema_version());
        CHECK(repository.integrity_ok());
    }
    {
        RawDatabase raw(path);
        CHECK(raw.value("PRAGMA user_version") ==
              std::to_string(Repository::current_schema_version()));
        CHECK(raw.value("PRAGMA journal_mode") == "wal");
        for (const char* table :
             {"stations", "instruments", "parts", "limit_sets", "optical_references",
              "reference_points", "assemblies", "runs", "run_instruments", "measurements",
              "polarity_maps", "polarity_positions", "failures"}) {
            INFO(table);
            CHECK(raw.value(std::string("SELECT count(*) FROM sqlite_schema WHERE name = '") +
                            table + "'") == "1");
        }
    }
    Repository reopened(path);
    CHECK(reopened.schema_version() == Repository::current_schema_version());
    CHECK(reopened.integrity_ok());
}

TEST_CASE("a database file that does not exist yet is created") {
    TempDir dir;
    const auto path = dir.file("new.db");
    Repository repository(path);
    CHECK(std::filesystem::exists(path));
    CHECK(repository.schema_version() == Repository::current_schema_version());
}

TEST_CASE("a database with a newer schema version is refused and left untouched") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    const int newer = Repository::current_schema_version() + 6;
    {
        RawDatabase raw(path);
        REQUIRE(raw.execute("PRAGMA user_version = " + std::to_string(newer)).empty());
    }
    const std::string before = read_bytes(path);
    REQUIRE_THROWS_WITH(
        Repository(path),
        Equals(path.string() + ": schema version " + std::to_string(newer) +
               " is newer than this mpobench (" +
               std::to_string(Repository::current_schema_version()) + "); upgrade mpobench"));
    CHECK(read_bytes(path) == before);
}

TEST_CASE("a SQLite database of another application is refused") {
    TempDir dir;
    SECTION("tables but no mpobench schema version") {
        const auto path = dir.file("other.db");
        {
            RawDatabase raw(path);
            REQUIRE(raw.execute("CREATE TABLE inventory (item TEXT)").empty());
        }
        REQUIRE_THROWS_WITH(Repository(path),
                            Contains(path.string()) && Contains("not an mpobench database"));
        RawDatabase raw(path);
        CHECK(raw.value("SELECT count(*) FROM sqlite_schema WHERE name = 'runs'") == "0");
    }
    SECTION("another application id") {
        const auto path = dir.file("tagged.db");
        {
            RawDatabase raw(path);
            REQUIRE(raw.execute("PRAGMA application_id = 1234").empty());
        }
        REQUIRE_THROWS_WITH(Repository(path), Contains(path.string()) &&
                                                  Contains("not an mpobench database") &&
                                                  Contains("0x4d2"));
    }
}

TEST_CASE("a file of random bytes is refused with an error naming the file") {
    TempDir dir;
    const auto path = dir.file("garbage.db");
    write_random_bytes(path, 8192);
    const std::string before = read_bytes(path);
    REQUIRE_THROWS_AS(Repository(path), DatabaseError);
    REQUIRE_THROWS_WITH(Repository(path),
                        Contains(path.string()) && Contains("file is not a database"));
    CHECK(read_bytes(path) == before);
}

TEST_CASE("a database damaged inside is reported, never silently used") {
    TempDir dir;
    const auto path = dir.file("damaged.db");
    {
        Repository repository(path);
        for (int i = 0; i < 40; ++i) {
            const auto run_id = repository.begin_run(new_run("SN" + std::to_string(i), 1'000 + i));
            repository.abort_run(run_id, "filling pages");
        }
    }
    // Page 1 (the header and the schema) stays intact; the pages after it
    // hold the tables and indexes.
    write_random_bytes(path, 4 * 4096, 4096);
    bool reported = false;
    try {
        Repository repository(path);
        reported = !repository.integrity_ok();
    } catch (const DatabaseError& error) {
        CHECK_THAT(error.what(), Contains(path.string()));
        reported = true;
    }
    CHECK(reported);
}

TEST_CASE("a database in a directory that does not exist is an error naming the file") {
    TempDir dir;
    const auto path = dir.file("missing") / "mpobench.db";
    REQUIRE_THROWS_WITH(Repository(path),
                        Contains(path.string()) && Contains("cannot open the database"));
}

TEST_CASE("a run left running by a process that ended is marked interrupted on the next open") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    std::int64_t run_id = 0;
    {
        Repository repository(path);
        run_id = repository.begin_run(new_run("SN-DEAD", 1'000));
        repository.append_measurement(run_id, measurement(End::A, 1, 1310, 0, 1'100));
    }
    const pid_t pid = dead_pid();
    {
        RawDatabase raw(path);
        REQUIRE(raw.execute("UPDATE runs SET owner_pid = " + std::to_string(pid) +
                            " WHERE id = " + std::to_string(run_id))
                    .empty());
    }
    Repository reopened(path);
    const auto run = reopened.run(run_id);
    REQUIRE(run);
    CHECK(run->status == RunStatus::Interrupted);
    CHECK(run->reason == "process " + std::to_string(pid) + " ended without finishing the run");
    // What was journaled before the crash is kept.
    REQUIRE(run->measurements.size() == 1);
    // An interrupted run is final.
    CHECK_THROWS_WITH(reopened.append_measurement(run_id, measurement(End::A, 2, 1310, 0, 1'200)),
                      Contains(path.string()) && Contains("only to a running run"));
    CHECK_THROWS_WITH(reopened.abort_run(run_id, "late"), Contains("it is interrupted"));
    const auto summary = reopened.latest_run("SN-DEAD");
    REQUIRE(summary);
    CHECK(summary->status == RunStatus::Interrupted);
}

TEST_CASE("a reused pid or another boot does not keep a dead run alive") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    std::int64_t reused = 0, rebooted = 0;
    {
        Repository repository(path);
        reused = repository.begin_run(new_run("SN-REUSED", 1'000));
        rebooted = repository.begin_run(new_run("SN-REBOOTED", 2'000));
    }
    {
        // The pid is this live process, but the start time is not its own:
        // the run's owner was an earlier process with the same pid.
        RawDatabase raw(path);
        REQUIRE(raw.execute("UPDATE runs SET owner_start_ticks = owner_start_ticks + 1 "
                            "WHERE id = " +
                            std::to_string(reused))
                    .empty());
        REQUIRE(raw.execute("UPDATE runs SET owner_boot_id = 'an-earlier-boot' WHERE id = " +
                            std::to_string(rebooted))
                    .empty());
    }
    Repository reopened(path);
    const std::string reason =
        "process " + std::to_string(::getpid()) + " ended without finishing the run";
    for (const auto run_id : {reused, rebooted}) {
        const auto run = reopened.run(run_id);
        REQUIRE(run);
        CHECK(run->status == RunStatus::Interrupted);
        CHECK(run->reason == reason);
    }
}

TEST_CASE("a run of a live process stays running when the database is opened again") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    Repository station(path);
    const auto run_id = station.begin_run(new_run("SN-LIVE", 1'000));
    {
        Repository viewer(path);
        const auto run = viewer.run(run_id);
        REQUIRE(run);
        CHECK(run->status == RunStatus::Running);
        CHECK(run->reason.empty());
    }
    station.append_measurement(run_id, measurement(End::A, 1, 1310, 0, 1'100));
    station.abort_run(run_id, "operator stopped");
    CHECK(station.run(run_id)->status == RunStatus::Aborted);
}

TEST_CASE("a second process journals alongside this one, and its unfinished run is interrupted") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    Repository station(path);
    const auto run_id = station.begin_run(new_run("SN-PARENT", 1'000));
    constexpr int rows = 500;
    const pid_t child = ::fork();
    if (child == 0) {
        // The other station: opens the file while this process's run is in
        // progress, journals its own run and ends without finishing it.
        try {
            Repository other(path);
            if (other.run(run_id)->status != RunStatus::Running) {
                ::_exit(3);
            }
            const auto own = other.begin_run(new_run("SN-CHILD", 1'001));
            for (int row = 0; row < rows; ++row) {
                other.append_measurement(own, measurement(End::B, row % 12 + 1, 1550, 0, row));
            }
            ::_exit(0);
        } catch (const DatabaseError& error) {
            std::fprintf(stderr, "child: %s\n", error.what());
            ::_exit(1);
        } catch (const std::exception& error) {
            std::fprintf(stderr, "child: %s\n", error.what());
            ::_exit(2);
        }
    }
    REQUIRE(child > 0);
    for (int row = 0; row < rows; ++row) {
        station.append_measurement(run_id, measurement(End::A, row % 12 + 1, 1310, 0, row));
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);

    Repository reopened(path);
    const auto parent_run = reopened.run(run_id);
    REQUIRE(parent_run);
    CHECK(parent_run->status == RunStatus::Running);
    CHECK(parent_run->measurements.size() == static_cast<std::size_t>(rows));
    const auto child_run = reopened.latest_run("SN-CHILD");
    REQUIRE(child_run);
    CHECK(child_run->status == RunStatus::Interrupted);
    CHECK(child_run->reason ==
          "process " + std::to_string(child) + " ended without finishing the run");
    CHECK(reopened.run(child_run->id)->measurements.size() == static_cast<std::size_t>(rows));
}

TEST_CASE("stations that open one new database at the same moment all get it") {
    // Switching a new file to WAL takes an exclusive lock; SQLite refuses a
    // second switcher at once rather than making it wait (seen with four
    // stations started together on one new database).
    constexpr int stations = 6;
    constexpr int trials = 20;
    for (int trial = 0; trial < trials; ++trial) {
        TempDir dir;
        const auto path = dir.file("mpobench.db");
        int start[2];
        REQUIRE(::pipe(start) == 0);
        std::vector<pid_t> children;
        for (int station = 0; station < stations; ++station) {
            const pid_t child = ::fork();
            if (child == 0) {
                ::close(start[1]);
                char go = 0;
                // Every child waits here until the parent closes its end.
                while (::read(start[0], &go, 1) > 0) {
                }
                try {
                    Repository repository(path);
                    ::_exit(0);
                } catch (const std::exception& error) {
                    // Anything at all: the child must not return into Catch2.
                    std::fprintf(stderr, "station %d: %s\n", station, error.what());
                    ::_exit(1);
                }
            }
            REQUIRE(child > 0);
            children.push_back(child);
        }
        ::close(start[0]);
        ::close(start[1]);
        for (const pid_t child : children) {
            int status = 0;
            REQUIRE(::waitpid(child, &status, 0) == child);
            INFO("trial " << trial);
            REQUIRE(WIFEXITED(status));
            CHECK(WEXITSTATUS(status) == 0);
        }
        Repository repository(path);
        CHECK(repository.history("nobody").empty());
    }
}

TEST_CASE("a read-only open writes nothing and shows a dead process's run as interrupted") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    std::int64_t run_id = 0;
    {
        Repository repository(path);
        run_id = repository.begin_run(new_run("SN-RO", 1'000));
        repository.append_measurement(run_id, measurement(End::A, 1, 1310, 0, 1'100));
    }
    const pid_t pid = dead_pid();
    {
        RawDatabase raw(path);
        REQUIRE(raw.execute("UPDATE runs SET owner_pid = " + std::to_string(pid) +
                            " WHERE id = " + std::to_string(run_id))
                    .empty());
    }
    const std::string before = read_bytes(path);
    {
        const auto reader = Repository::open_read_only(path);
        const auto run = reader.run(run_id);
        REQUIRE(run);
        CHECK(run->status == RunStatus::Interrupted);
        CHECK(run->reason == "process " + std::to_string(pid) + " ended without finishing the run");
        CHECK(reader.latest_run("SN-RO")->status == RunStatus::Interrupted);
        CHECK(reader.history("SN-RO").front().status == RunStatus::Interrupted);
    }
    CHECK(read_bytes(path) == before);
    // The file itself still says running: a station opening it marks it.
    CHECK(RawDatabase(path).value("SELECT status FROM runs") == "running");
    CHECK(Repository(path).run(run_id)->status == RunStatus::Interrupted);

    SECTION("a missing file is not created") {
        const auto missing = dir.file("typo.db");
        CHECK_THROWS_WITH(Repository::open_read_only(missing),
                          Contains("typo.db") && Contains("cannot read the database"));
        CHECK_FALSE(std::filesystem::exists(missing));
    }
    SECTION("an older schema is refused, not upgraded") {
        RawDatabase raw(path);
        REQUIRE(raw.execute("PRAGMA user_version = 1").empty());
        CHECK_THROWS_WITH(Repository::open_read_only(path), Contains("older"));
    }
}

TEST_CASE("a read-only open waits for a station holding the file, as every reader does") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    { Repository created(path); }
    // Exclusive locking mode keeps every other connection out until it closes,
    // the way a station's checkpoint or recovery briefly does.
    auto holder = std::make_unique<RawDatabase>(path);
    REQUIRE(holder->execute("PRAGMA locking_mode = EXCLUSIVE").empty());
    REQUIRE(holder->execute("BEGIN IMMEDIATE; DELETE FROM limit_sets; COMMIT").empty());
    std::thread release([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        holder.reset();
    });
    const auto reader = Repository::open_read_only(path);
    release.join();
    CHECK(reader.schema_version() == Repository::current_schema_version());
}

TEST_CASE("a read-only open of a file a station is still creating waits for its schema") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    // What a station's first open leaves while its migration transaction is
    // open: a file without a schema yet.
    {
        RawDatabase empty(path);
        REQUIRE(empty.execute("PRAGMA journal_mode = WAL").empty());
    }
    std::thread station([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        Repository created(path);
    });
    const auto reader = Repository::open_read_only(path);
    station.join();
    CHECK(reader.schema_version() == Repository::current_schema_version());
}
