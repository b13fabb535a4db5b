// Plant identity and the outbox (schema version 15): the station and run
// UUIDs, ended runs queued for the plant in the transaction that ends them,
// and a database from version 14 given both when it is migrated.
#include <sys/wait.h>
#include <unistd.h>

#include <regex>
#include <set>

#include "tests/db/db_test_support.hpp"

using namespace db_test;
using Catch::Matchers::Contains;
using db::Repository;

namespace {

bool is_uuid_v4(const std::string& text) {
    static const std::regex form(
        "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    return std::regex_match(text, form);
}

}  // namespace

TEST_CASE("a station database has one UUID from its creation on, and every run its own") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    std::string station;
    std::int64_t first = 0, second = 0;
    {
        Repository repository(path);
        station = repository.station_uuid();
        CHECK(is_uuid_v4(station));
        first = repository.begin_run(new_run("SN-U1", 1'000));
        second = repository.begin_run(new_run("SN-U2", 2'000));
    }
    Repository repository(path);
    CHECK(repository.station_uuid() == station);
    const auto a = repository.run_uuid(first);
    const auto b = repository.run_uuid(second);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(is_uuid_v4(*a));
    CHECK(is_uuid_v4(*b));
    CHECK(*a != *b);
    CHECK(*a != station);
    CHECK_FALSE(repository.run_uuid(second + 10));
    // Another database is another station.
    Repository other(dir.file("other.db"));
    CHECK(other.station_uuid() != station);
    // Neither UUID ever changes.
    RawDatabase raw(path);
    CHECK_THAT(raw.execute("UPDATE station_identity SET uuid = '" + *a + "'"),
               Contains("the station UUID never changes"));
    CHECK_THAT(raw.execute("UPDATE run_uuids SET uuid = '" + station +
                           "' WHERE run_id = " + std::to_string(first)),
               Contains("a run UUID never changes"));
    CHECK_THAT(raw.execute("DELETE FROM run_uuids"), Contains("a run UUID is never deleted"));
}

TEST_CASE("ended runs wait in the outbox in the order they ended until forwarded") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    std::int64_t aborted = 0, running = 0, crashed = 0, later = 0;
    {
        Repository repository(path);
        aborted = repository.begin_run(new_run("SN-O1", 1'000));
        running = repository.begin_run(new_run("SN-O2", 2'000));
        crashed = repository.begin_run(new_run("SN-O3", 3'000));
        repository.abort_run(aborted, "operator abort");
        // A running run is not queued.
        const auto waiting = repository.outbox_waiting();
        REQUIRE(waiting.size() == 1);
        CHECK(waiting[0].run_id == aborted);
        CHECK(waiting[0].run_uuid == *repository.run_uuid(aborted));
    }
    {
        RawDatabase raw(path);
        REQUIRE(raw.execute("UPDATE runs SET owner_pid = " + std::to_string(dead_pid()) +
                            " WHERE id = " + std::to_string(crashed))
                    .empty());
    }
    {
        // The run found interrupted on this open is queued with the marking.
        Repository repository(path);
        later = repository.begin_run(new_run("SN-O4", 4'000));
        repository.abort_run(later, "meter timeout");
        repository.abort_run(running, "operator abort");
        std::vector<std::int64_t> order;
        for (const auto& entry : repository.outbox_waiting()) {
            order.push_back(entry.run_id);
        }
        CHECK(order == std::vector<std::int64_t>{aborted, crashed, later, running});

        // The payload is kept once, before the first attempt, and never changes.
        const std::string payload = R"({"payload_version":1})";
        const std::string hash(64, 'a');
        repository.keep_outbox_payload(crashed, payload, hash);
        CHECK_THROWS_WITH(repository.keep_outbox_payload(crashed, payload, std::string(64, 'b')),
                          Contains("not waiting in the outbox without a payload"));
        for (const auto& entry : repository.outbox_waiting()) {
            CHECK(entry.payload == (entry.run_id == crashed ? payload : ""));
            CHECK(entry.payload_sha256 == (entry.run_id == crashed ? hash : ""));
        }
        repository.mark_forwarded(crashed);
        order.clear();
        for (const auto& entry : repository.outbox_waiting()) {
            order.push_back(entry.run_id);
        }
        CHECK(order == std::vector<std::int64_t>{aborted, later, running});
        // Refusals: forwarded twice, or a run that never waited.
        CHECK_THROWS_WITH(repository.mark_forwarded(crashed),
                          Contains("not waiting in the outbox"));
        CHECK_THROWS_WITH(repository.mark_forwarded(later + 100),
                          Contains("not waiting in the outbox"));
    }
    // A run is queued once; a kept payload never changes, nor is a payload half there.
    RawDatabase raw(path);
    CHECK_THAT(
        raw.execute("UPDATE outbox SET payload = '{}' WHERE run_id = " + std::to_string(crashed)),
        Contains("a forwarded payload never changes"));
    CHECK_THAT(
        raw.execute("UPDATE outbox SET payload = '{}' WHERE run_id = " + std::to_string(aborted)),
        Contains("CHECK constraint failed"));
    CHECK_THAT(raw.execute("UPDATE outbox SET payload = 'not json', payload_sha256 = '" +
                           std::string(64, 'c') + "' WHERE run_id = " + std::to_string(aborted)),
               Contains("CHECK constraint failed"));
    CHECK_THAT(raw.execute("INSERT INTO outbox (run_id, queued_at) VALUES (" +
                           std::to_string(aborted) + ", '2026-12-07T00:00:00.000Z')"),
               Contains("UNIQUE"));
}

TEST_CASE("migrating from version 14 gives the database and its runs UUIDs and queues ended runs") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    std::int64_t ended = 0, open = 0;
    {
        Repository repository(path);
        ended = repository.begin_run(new_run("SN-M1", 1'000));
        repository.abort_run(ended, "operator abort");
        open = repository.begin_run(new_run("SN-M2", 2'000));
    }
    {
        // As schema version 14 left it (the run still open is this process's).
        RawDatabase raw(path);
        for (const std::string sql :
             {"DROP TABLE mes_link", "DROP TABLE plant_config",
              "ALTER TABLE users DROP COLUMN from_plant",
              "ALTER TABLE runs DROP COLUMN mes_interlock", "DROP TABLE outbox",
              "DROP TABLE run_uuids", "DROP TABLE station_identity", "PRAGMA user_version = 14"}) {
            INFO(sql);
            REQUIRE(raw.execute(sql).empty());
        }
    }
    Repository repository(path);
    CHECK(repository.schema_version() == Repository::current_schema_version());
    CHECK(is_uuid_v4(repository.station_uuid()));
    REQUIRE(repository.run_uuid(ended));
    REQUIRE(repository.run_uuid(open));
    CHECK(is_uuid_v4(*repository.run_uuid(ended)));
    CHECK(is_uuid_v4(*repository.run_uuid(open)));
    CHECK(*repository.run_uuid(ended) != *repository.run_uuid(open));
    const auto waiting = repository.outbox_waiting();
    REQUIRE(waiting.size() == 1);
    CHECK(waiting[0].run_id == ended);
    repository.abort_run(open, "operator abort");
    CHECK(repository.outbox_waiting().size() == 2);
}

TEST_CASE("the MES gets the runs from its link on, and a station already pushing keeps them all") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    const auto run_ids = [](const std::vector<db::OutboxEntry>& entries) {
        std::vector<std::int64_t> ids;
        for (const auto& entry : entries)
            ids.push_back(entry.run_id);
        return ids;
    };
    std::int64_t before = 0, after = 0, last = 0;
    {
        Repository repository(path);
        // A record older than the MES: never linked, nothing waits for it.
        before = repository.begin_run(new_run("SN-L1", 1'000));
        repository.abort_run(before, "operator abort");
        CHECK(repository.outbox_waiting_for_mes().empty());
        CHECK(repository.outbox_summary().mes_waiting == 0);
        // Linked at the next run: that run and the ones after it.
        const auto from_seq = repository.link_mes();
        CHECK(repository.link_mes() == from_seq);  // once
        after = repository.begin_run(new_run("SN-L2", 2'000));
        repository.abort_run(after, "operator abort");
        CHECK(run_ids(repository.outbox_waiting_for_mes()) == std::vector<std::int64_t>{after});
        CHECK(repository.outbox_summary().mes_waiting == 1);
        // The plant still gets the whole record.
        CHECK(run_ids(repository.outbox_waiting()) == std::vector<std::int64_t>{before, after});
        repository.mark_mes_acknowledged(after);
        last = repository.begin_run(new_run("SN-L3", 3'000));
        repository.abort_run(last, "operator abort");
    }
    SECTION("migrating a station that pushed to an MES before version 19 keeps every entry") {
        {
            RawDatabase raw(path);
            for (const std::string sql : {"DROP TABLE mes_link", "PRAGMA user_version = 18"}) {
                INFO(sql);
                REQUIRE(raw.execute(sql).empty());
            }
        }
        Repository repository(path);
        CHECK(run_ids(repository.outbox_waiting_for_mes()) ==
              std::vector<std::int64_t>{before, last});
    }
    SECTION("migrating a station that never had an acknowledgement links it at its next run") {
        {
            RawDatabase raw(path);
            for (const std::string sql : {"DROP TABLE mes_link",
                                          "UPDATE outbox SET "
                                          "mes_acknowledged_at = NULL",
                                          "PRAGMA user_version = 18"}) {
                INFO(sql);
                REQUIRE(raw.execute(sql).empty());
            }
        }
        Repository repository(path);
        CHECK(repository.outbox_waiting_for_mes().empty());
    }
}
