// Bag label prints (schema version 6): recorded for a completed, passing
// production run only, read back per serial, never changed or deleted.

#include "db_test_support.hpp"

using namespace db_test;
using Catch::Matchers::Contains;
using mpobench::db::DatabaseError;
using mpobench::db::LabelPrint;
using mpobench::db::Repository;

namespace {

// A completed production run graded `grade`, passing or not.
RunRecord finished_run(Repository& repository, const std::string& serial, std::int64_t started_ms,
                       bool pass) {
    RunRecord run = new_run(serial, started_ms);
    run.id = repository.begin_run(run);
    run.measurements = {measurement(End::A, 1, 1310, 0, started_ms + 10)};
    const auto limits = default_limits();
    repository.store_limit_set(limits);
    run.limit_set_name = limits.name;
    run.limit_set_version = limits.version;
    run.limit_set_hash = limits.hash;
    run.grade = pass ? Grade::Elite : Grade::Standard;
    run.pass = pass;
    run.ended_at = at_ms(started_ms + 90'000);
    run.status = RunStatus::Completed;
    repository.complete_run(run);
    return run;
}

LabelPrint print_of(std::int64_t run_id, std::int64_t at_ms_value, bool reprint,
                    std::optional<std::string> error = std::nullopt) {
    LabelPrint print;
    print.run_id = run_id;
    print.printed_at = at_ms(at_ms_value);
    print.destination = "tcp://127.0.0.1:9100";
    print.reprint = reprint;
    print.operator_name = "ada";
    print.command = reprint ? "label" : "test";
    print.error = std::move(error);
    return print;
}

}  // namespace

TEST_CASE("label prints of a passing run are recorded and read back per serial", "[label]") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    Repository repository(path);
    CHECK(repository.schema_version() == Repository::current_schema_version());
    const auto run = finished_run(repository, "SN-LBL-1", 1'795'000'000'000, true);
    CHECK_FALSE(repository.label_printed(run.id));

    // The printer was off: the attempt is recorded, and nothing counts as printed.
    repository.record_label_print(print_of(run.id, 1'795'000'100'000, false, "connection refused"));
    CHECK_FALSE(repository.label_printed(run.id));
    repository.record_label_print(print_of(run.id, 1'795'000'200'000, false));
    CHECK(repository.label_printed(run.id));
    repository.record_label_print(print_of(run.id, 1'795'000'300'000, true));

    const auto prints = repository.label_prints("SN-LBL-1");
    REQUIRE(prints.size() == 3);
    CHECK(prints[0].error == std::optional<std::string>("connection refused"));
    CHECK(prints[0].printed_at == at_ms(1'795'000'100'000));
    CHECK_FALSE(prints[1].error);
    CHECK_FALSE(prints[1].reprint);
    CHECK(prints[1].command == "test");
    CHECK(prints[2].reprint);
    CHECK(prints[2].command == "label");
    CHECK(prints[2].destination == "tcp://127.0.0.1:9100");
    CHECK(prints[2].operator_name == "ada");
    CHECK(prints[2].run_id == run.id);
    CHECK(repository.label_prints("SN-OTHER").empty());

    // A read-only open sees them too.
    const auto reader = Repository::open_read_only(path);
    CHECK(reader.label_prints("SN-LBL-1").size() == 3);
}

TEST_CASE("no label print for a failed, running or unknown run", "[label]") {
    TempDir dir;
    Repository repository(dir.file("mpobench.db"));
    const auto failed = finished_run(repository, "SN-LBL-F", 1'795'000'000'000, false);
    CHECK_THROWS_WITH(repository.record_label_print(print_of(failed.id, 1'795'000'100'000, false)),
                      Contains("only for a completed, passing production run"));
    const auto running = new_run("SN-LBL-R", at_ms(1'795'000'000'000));
    const auto running_id = repository.begin_run(running);
    CHECK_THROWS_AS(repository.record_label_print(print_of(running_id, 1'795'000'100'000, false)),
                    DatabaseError);
    CHECK_THROWS_AS(repository.record_label_print(print_of(9999, 1'795'000'100'000, false)),
                    DatabaseError);
    auto odd = print_of(failed.id, 1'795'000'100'000, false);
    odd.command = "web";
    CHECK_THROWS_WITH(repository.record_label_print(odd), Contains("unknown command 'web'"));
    CHECK(repository.label_prints("SN-LBL-F").empty());
}

TEST_CASE("a label print is never changed or deleted", "[label]") {
    TempDir dir;
    const auto path = dir.file("mpobench.db");
    {
        Repository repository(path);
        const auto run = finished_run(repository, "SN-LBL-2", 1'795'000'000'000, true);
        repository.record_label_print(print_of(run.id, 1'795'000'100'000, false));
    }
    RawDatabase raw(path);
    CHECK_THAT(raw.execute("UPDATE label_prints SET reprint = 1"), Contains("never changed"));
    CHECK_THAT(raw.execute("DELETE FROM label_prints"), Contains("never deleted"));
    CHECK(raw.value("SELECT count(*) FROM label_prints") == "1");
}
