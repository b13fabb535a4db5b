#include "db/plant.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <cctype>
#include <string_view>

#include "db/plant_sql.hpp"

namespace mpobench::db::plant {

bool is_uuid_text(std::string_view text) {
    if (text.size() != 36)
        return false;
    for (std::size_t at = 0; at < text.size(); ++at) {
        const auto c = static_cast<unsigned char>(text[at]);
        const bool dash = at == 8 || at == 13 || at == 18 || at == 23;
        if (dash ? c != '-' : std::isxdigit(c) == 0)
            return false;
    }
    return true;
}

namespace {

// The SQLSTATE mpobench_forward raises for a UUID held with another payload.
constexpr std::string_view refused_state = "MPB01";
// The SQLSTATE the configuration functions raise for a change refused.
constexpr std::string_view config_refused_state = "MPB02";

std::string trimmed(const char* text) {
    std::string out = text != nullptr ? text : "";
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) {
        out.pop_back();
    }
    return out;
}

}  // namespace

void check_connection_string(const std::string& url) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
    if (options == nullptr) {
        const std::string message = trimmed(error);
        PQfreemem(error);
        throw PlantUrlError(fmt::format("the plant connection string is not valid: {}", message));
    }
    bool has_password = false;
    for (auto* option = options; option->keyword != nullptr; ++option) {
        if (std::string_view(option->keyword) == "password" && option->val != nullptr &&
            option->val[0] != '\0') {
            has_password = true;
        }
    }
    PQconninfoFree(options);
    if (has_password) {
        throw PlantUrlError(
            "the plant connection string holds a password: give it in PGPASSFILE, ~/.pgpass "
            "or PGPASSWORD instead, never on a command line or in a file");
    }
}

const char* schema_sql() {
    return plant_schema_sql_text;
}

struct Connection::Impl {
    PGconn* connection = nullptr;

    ~Impl() {
        if (connection != nullptr) {
            PQfinish(connection);
        }
    }

    std::string where() const {
        return fmt::format("{}:{}/{}", trimmed(PQhost(connection)), trimmed(PQport(connection)),
                           trimmed(PQdb(connection)));
    }

    // Throws the error a failed result stands for, with its context.
    [[noreturn]] void fail(PGresult* result, std::string_view what) {
        const std::string message =
            trimmed(result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(connection));
        const char* state =
            result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
        const bool refused = state != nullptr && refused_state == state;
        const bool config_refused = state != nullptr && config_refused_state == state;
        PQclear(result);
        const std::string text = fmt::format("plant {}: {}: {}", where(), what, message);
        if (refused) {
            throw PlantRefused(text);
        }
        if (config_refused) {
            throw PlantConfigRefused(text);
        }
        if (PQstatus(connection) == CONNECTION_BAD) {
            throw PlantUnreachable(text);
        }
        throw PlantError(text);
    }
};

Connection::Connection(const std::string& url, std::chrono::seconds connect_timeout,
                       std::optional<std::chrono::milliseconds> answer_timeout)
    : impl_(std::make_unique<Impl>()) {
    check_connection_string(url);
    // A plant that does not answer must not hold a station's forwarder for
    // the system's TCP timeout; the connection string's own settings
    // (expanded after these) win.
    std::vector<const char*> keywords{"connect_timeout"};
    const std::string timeout = std::to_string(connect_timeout.count());
    std::vector<const char*> values{timeout.c_str()};
    std::string statement_timeout, unacknowledged;
    if (answer_timeout) {
        // A statement the server takes longer for is cancelled there, and
        // data the plant's host stops acknowledging ends the connection.
        statement_timeout = fmt::format("-c statement_timeout={}", answer_timeout->count());
        unacknowledged = std::to_string(answer_timeout->count());
        keywords.insert(keywords.end(), {"options", "tcp_user_timeout", "keepalives"});
        values.insert(values.end(), {statement_timeout.c_str(), unacknowledged.c_str(), "1"});
    }
    keywords.insert(keywords.end(), {"dbname", nullptr});
    values.insert(values.end(), {url.c_str(), nullptr});
    impl_->connection = PQconnectdbParams(keywords.data(), values.data(), 1);
    if (impl_->connection == nullptr) {
        throw PlantError("connecting to the plant: libpq is out of memory");
    }
    if (PQstatus(impl_->connection) != CONNECTION_OK) {
        throw PlantUnreachable(fmt::format("the plant database is unreachable: {}",
                                           trimmed(PQerrorMessage(impl_->connection))));
    }
}

Connection::~Connection() = default;

pg_conn* Connection::native_handle() const {
    return impl_->connection;
}

std::string Connection::describe() const {
    return impl_->where();
}

void Connection::ResultDeleter::operator()(pg_result* result) const {
    PQclear(result);
}

Connection::Result Connection::execute(const std::string& sql,
                                       const std::vector<std::string>& parameters,
                                       std::string_view what) const {
    std::vector<const char*> values;
    for (const auto& parameter : parameters) {
        values.push_back(parameter.c_str());
    }
    PGresult* result = PQexecParams(impl_->connection, sql.c_str(), static_cast<int>(values.size()),
                                    nullptr, values.data(), nullptr, nullptr, 0);
    const auto status = PQresultStatus(result);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        impl_->fail(result, what);
    }
    return Result(result);
}

std::vector<Connection::Result> Connection::execute_together(
    const std::vector<std::string>& statements, std::string_view what) const {
    PGconn* connection = impl_->connection;
    const auto lost = [&](std::string_view doing) {
        throw PlantUnreachable(fmt::format("plant {}: {}: {}: {}", impl_->where(), what, doing,
                                           trimmed(PQerrorMessage(connection))));
    };
    if (PQenterPipelineMode(connection) != 1)
        lost("entering pipeline mode");
    for (const auto& sql : statements) {
        if (PQsendQueryParams(connection, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) !=
            1)
            lost("sending");
    }
    if (PQpipelineSync(connection) != 1 || PQflush(connection) != 0)
        lost("sending");
    std::vector<Result> results;
    Result failed;  // the first statement that failed
    for (std::size_t index = 0; index < statements.size(); ++index) {
        PGresult* result = PQgetResult(connection);
        if (result == nullptr)
            lost("reading the answers");
        const auto status = PQresultStatus(result);
        if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
            results.emplace_back(result);
        } else if (!failed && status != PGRES_PIPELINE_ABORTED) {
            failed.reset(result);
        } else {
            PQclear(result);
        }
        // The end of this statement's results.
        while ((result = PQgetResult(connection)) != nullptr)
            PQclear(result);
    }
    PGresult* sync = PQgetResult(connection);
    const bool synced = sync != nullptr && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    PQclear(sync);
    if (!synced)
        lost("reading the answers");
    if (PQexitPipelineMode(connection) != 1)
        lost("leaving pipeline mode");
    if (failed) {
        // A transaction the statements began ends with them.
        if (PQtransactionStatus(connection) == PQTRANS_INERROR)
            PQclear(PQexec(connection, "ROLLBACK"));
        impl_->fail(failed.release(), what);
    }
    return results;
}

void Connection::apply_schema() {
    const std::string sql = std::string("BEGIN;\n") + schema_sql() + "\nCOMMIT;\n";
    PGresult* result = PQexec(impl_->connection, sql.c_str());
    if (PQresultStatus(result) != PGRES_COMMAND_OK) {
        impl_->fail(result, "creating the plant schema (db/plant.sql)");
    }
    PQclear(result);
}

void Connection::forward_all(
    const std::vector<OutboundRecord>& records,
    const std::function<void(std::size_t index, const ForwardResult&)>& on_result) {
    if (records.empty())
        return;
    PGconn* connection = impl_->connection;
    const auto lost = [&](std::string_view what) {
        throw PlantUnreachable(fmt::format("plant {}: {}: {}", impl_->where(), what,
                                           trimmed(PQerrorMessage(connection))));
    };
    if (PQenterPipelineMode(connection) != 1)
        lost("entering pipeline mode");
    // A sync point after each call: each record is its own implicit
    // transaction, and a refused one does not abort the ones after it.
    for (const auto& record : records) {
        const char* values[] = {record.payload_json.c_str(), record.payload_sha256.c_str()};
        if (PQsendQueryParams(connection, "SELECT mpobench.mpobench_forward($1::jsonb, $2)", 2,
                              nullptr, values, nullptr, nullptr, 0) != 1 ||
            PQpipelineSync(connection) != 1) {
            lost("sending records");
        }
    }
    if (PQflush(connection) != 0)
        lost("sending records");
    for (std::size_t index = 0; index < records.size(); ++index) {
        PGresult* result = PQgetResult(connection);
        if (result == nullptr)
            lost("reading the plant's answer");
        ForwardResult answer;
        const auto status = PQresultStatus(result);
        if (status == PGRES_TUPLES_OK && PQntuples(result) == 1) {
            const std::string outcome = PQgetvalue(result, 0, 0);
            PQclear(result);
            if (outcome == "stored") {
                answer.outcome = Forwarded::Stored;
            } else if (outcome == "present") {
                answer.outcome = Forwarded::AlreadyPresent;
            } else {
                throw PlantError(
                    fmt::format("plant {}: mpobench_forward answered '{}', not stored or present",
                                impl_->where(), outcome));
            }
        } else {
            const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
            const bool refused = state != nullptr && refused_state == state;
            if (!refused)
                impl_->fail(result, "forwarding a record");
            answer.outcome = Forwarded::Refused;
            answer.refusal = trimmed(PQresultErrorMessage(result));
            PQclear(result);
        }
        // The end of this record's results, then its sync point.
        while ((result = PQgetResult(connection)) != nullptr)
            PQclear(result);
        result = PQgetResult(connection);
        const bool synced = result != nullptr && PQresultStatus(result) == PGRES_PIPELINE_SYNC;
        PQclear(result);
        if (!synced)
            lost("reading the plant's answer");
        on_result(index, answer);
    }
    if (PQexitPipelineMode(connection) != 1)
        lost("leaving pipeline mode");
}

}  // namespace mpobench::db::plant
