#include "db/plant_read.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <memory>

#include "vocabulary/time_text.hpp"

namespace mpobench::db::plant {

bool is_plant_url(std::string_view db_option) {
    return db_option.starts_with("postgresql:") || db_option.starts_with("postgres:");
}

namespace {

// The columns every PlantRun is read from, in the order plant_run() takes.
constexpr const char* run_columns = R"sql(
SELECT r.uuid, r.station_uuid, r.station_run_id, r.serial, r.part,
       coalesce(r.payload -> 'run' ->> 'station', ''), coalesce(r.payload -> 'run' ->> 'operator', ''),
       r.kind, r.status, coalesce(r.payload -> 'run' ->> 'reason', ''), r.grade, r.pass,
       r.payload -> 'run' ->> 'started_at', r.payload -> 'run' ->> 'ended_at',
       coalesce((r.payload -> 'run' ->> 'retries')::integer, 0),
       coalesce(r.payload -> 'record' ->> 'retest_reason', ''),
       r.kind = 'production' AND (r.status = 'completed' OR
           ((r.status = 'interrupted' OR
             (r.status = 'aborted' AND coalesce(r.payload -> 'run' ->> 'reason', '') LIKE '%operator abort%'))
            AND EXISTS (SELECT 1 FROM mpobench.measurements m WHERE m.run_id = r.id))),
       r.record_hash, r.record_hash_version, (r.payload ->> 'payload_version')::integer
FROM mpobench.runs r
)sql";

using Result = Connection::Result;

class Row {
  public:
    Row(const PGresult* result, int row, const Connection& connection)
        : result_(result), row_(row), connection_(connection) {}
    bool is_null(int column) const { return PQgetisnull(result_, row_, column) != 0; }
    std::string text(int column) const { return PQgetvalue(result_, row_, column); }
    [[noreturn]] void bad(int column, std::string_view what) const {
        throw PlantError(fmt::format("plant {}: column {} of mpobench.runs holds {} '{}'",
                                     connection_.describe(), PQfname(result_, column), what,
                                     text(column)));
    }
    std::int64_t integer(int column) const {
        try {
            return std::stoll(text(column));
        } catch (const std::exception&) {
            bad(column, "no integer:");
        }
    }
    TimePoint time(int column) const {
        const auto parsed = parse_utc_ms(text(column));
        if (!parsed) {
            bad(column, "no time (YYYY-MM-DDTHH:MM:SS.mmmZ):");
        }
        return *parsed;
    }

  private:
    const PGresult* result_;
    int row_;
    const Connection& connection_;
};

std::optional<RunStatus> parse_status(std::string_view text) {
    for (const auto status :
         {RunStatus::Running, RunStatus::Completed, RunStatus::Aborted, RunStatus::Interrupted}) {
        if (text == to_string(status)) {
            return status;
        }
    }
    return std::nullopt;
}

PlantRun plant_run(const Row& row) {
    PlantRun run;
    run.uuid = row.text(0);
    run.station_uuid = row.text(1);
    RunSummary& summary = run.summary;
    summary.id = row.integer(2);
    summary.serial = row.text(3);
    summary.part_number = row.text(4);
    summary.station = row.text(5);
    summary.operator_name = row.text(6);
    const auto kind = parse_run_kind(row.text(7));
    if (!kind) {
        row.bad(7, "an unknown run kind");
    }
    summary.kind = *kind;
    const auto status = parse_status(row.text(8));
    if (!status) {
        row.bad(8, "an unknown run status");
    }
    summary.status = *status;
    summary.reason = row.text(9);
    if (!row.is_null(10)) {
        summary.grade = parse_grade(row.text(10));
        if (!summary.grade) {
            row.bad(10, "an unknown grade");
        }
    }
    summary.pass = row.text(11) == "t";
    summary.started_at = row.time(12);
    if (!row.is_null(13)) {
        summary.ended_at = row.time(13);
    }
    summary.retries = static_cast<int>(row.integer(14));
    summary.retest_reason = row.text(15);
    summary.attempt = row.text(16) == "t";
    if (!row.is_null(17)) {
        run.record_hash = row.text(17);
    }
    if (!row.is_null(18)) {
        run.record_hash_version = static_cast<int>(row.integer(18));
    }
    run.payload_version = static_cast<int>(row.integer(19));
    return run;
}

std::vector<PlantRun> plant_runs(const Connection& connection, const std::string& sql,
                                 const std::vector<std::string>& parameters,
                                 std::string_view what) {
    const Result result = connection.execute(sql, parameters, what);
    std::vector<PlantRun> runs;
    for (int i = 0; i < PQntuples(result.get()); ++i) {
        runs.push_back(plant_run(Row(result.get(), i, connection)));
    }
    return runs;
}

}  // namespace

Reader::Reader(const std::string& url, std::chrono::seconds connect_timeout,
               std::optional<std::chrono::milliseconds> answer_timeout)
    : connection_(url, connect_timeout, answer_timeout) {}

std::string Reader::describe() const {
    return connection_.describe();
}

std::vector<PlantRun> Reader::history(const std::string& serial, const std::string& station) const {
    std::string sql = std::string(run_columns) + "WHERE r.serial = $1 ";
    std::vector<std::string> parameters{serial};
    if (!station.empty()) {
        sql += "AND (r.payload -> 'run' ->> 'station' = $2 OR r.station_uuid::text = lower($2)) ";
        parameters.push_back(station);
    }
    sql += "ORDER BY r.started_at, r.station_uuid, r.station_run_id";
    return plant_runs(connection_, sql, parameters,
                      fmt::format("reading the history of {}", serial));
}

namespace {

// The WHERE clause of a RunFilter: fixed text, the values as parameters.
std::string filter_conditions(const RunFilter& filter, std::vector<std::string>& parameters) {
    std::vector<std::string> conditions{"TRUE"};
    const auto add = [&](const std::string& condition, std::string value) {
        parameters.push_back(std::move(value));
        conditions.push_back(fmt::format(fmt::runtime(condition), parameters.size()));
    };
    if (filter.started_from) {
        add("r.started_at >= ${}::timestamptz", format_utc_ms(*filter.started_from));
    }
    if (filter.started_before) {
        add("r.started_at < ${}::timestamptz", format_utc_ms(*filter.started_before));
    }
    if (filter.part_number) {
        add("r.part = ${}", *filter.part_number);
    }
    if (filter.station) {
        add("(r.payload -> 'run' ->> 'station' = ${0} OR r.station_uuid::text = lower(${0}))",
            *filter.station);
    }
    if (filter.operator_name) {
        add("r.operator = ${}", *filter.operator_name);
    }
    if (filter.kind) {
        add("r.kind = ${}", std::string(to_string(*filter.kind)));
    }
    if (filter.status) {
        add("r.status = ${}", std::string(to_string(*filter.status)));
    }
    std::string sql = "WHERE ";
    for (std::size_t i = 0; i < conditions.size(); ++i) {
        sql += (i == 0 ? "" : " AND ") + conditions[i];
    }
    return sql;
}

}  // namespace

std::vector<PlantRun> Reader::find_runs(const RunFilter& filter) const {
    std::vector<std::string> parameters;
    const std::string sql = std::string(run_columns) + filter_conditions(filter, parameters) +
                            " ORDER BY r.started_at, r.station_uuid, r.station_run_id";
    return plant_runs(connection_, sql, parameters, "finding runs");
}

std::vector<PlantRun> Reader::newest_runs(const RunFilter& filter, const Narrowing& narrowing,
                                          std::size_t count) const {
    std::vector<std::string> parameters;
    std::string sql = std::string(run_columns) + filter_conditions(filter, parameters);
    if (narrowing.completed_pass) {
        sql += fmt::format(" AND r.status = 'completed' AND r.pass = {}",
                           *narrowing.completed_pass ? "TRUE" : "FALSE");
    }
    if (narrowing.grade) {
        parameters.emplace_back(to_string(*narrowing.grade));
        sql += fmt::format(" AND r.grade = ${}", parameters.size());
    }
    sql += fmt::format(
        " ORDER BY r.started_at DESC, r.station_uuid DESC, r.station_run_id DESC "
        "LIMIT {}",
        count);
    auto runs = plant_runs(connection_, sql, parameters, "finding the newest runs");
    std::reverse(runs.begin(), runs.end());
    return runs;
}

std::vector<PlantRun> Reader::production_histories(const std::vector<std::string>& serials) const {
    if (serials.empty())
        return {};
    // One placeholder per serial: the serials are values, never SQL text.
    std::string placeholders;
    for (std::size_t i = 1; i <= serials.size(); ++i)
        placeholders += fmt::format("{}${}", i == 1 ? "" : ", ", i);
    return plant_runs(connection_,
                      std::string(run_columns) + "WHERE r.serial IN (" + placeholders +
                          ") AND r.kind = 'production' "
                          "ORDER BY r.started_at, r.station_uuid, r.station_run_id",
                      serials, fmt::format("reading the histories of {} serials", serials.size()));
}

std::optional<PlantRun> Reader::run(const std::string& run_uuid) const {
    // Checked here, so that the query can use the UUID's index (a cast of
    // anything else would be an error from the server).
    if (!is_uuid_text(run_uuid))
        return std::nullopt;
    auto runs = plant_runs(connection_, std::string(run_columns) + "WHERE r.uuid = $1::uuid",
                           {run_uuid}, fmt::format("reading run {}", run_uuid));
    if (runs.empty())
        return std::nullopt;
    return std::move(runs.front());
}

std::vector<PlantRun> Reader::station_runs(const std::string& station_uuid) const {
    return plant_runs(connection_,
                      std::string(run_columns) +
                          "WHERE r.station_uuid::text = lower($1) ORDER BY r.station_run_id",
                      {station_uuid}, fmt::format("reading the runs of station {}", station_uuid));
}

std::vector<PlantRun> Reader::with_record_hash(const std::string& record_hash) const {
    return plant_runs(
        connection_,
        std::string(run_columns) + "WHERE r.record_hash = lower($1) ORDER BY r.started_at, r.id",
        {record_hash}, fmt::format("finding the record with hash {}", record_hash));
}

std::optional<std::string> Reader::payload(const std::string& run_uuid) const {
    const Result result =
        connection_.execute("SELECT payload::text FROM mpobench.runs WHERE uuid = $1::uuid",
                            {run_uuid}, fmt::format("reading the payload of run {}", run_uuid));
    if (PQntuples(result.get()) == 0) {
        return std::nullopt;
    }
    return std::string(PQgetvalue(result.get(), 0, 0));
}

}  // namespace mpobench::db::plant
