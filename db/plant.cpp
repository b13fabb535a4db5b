#include "db/plant.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <string_view>

#include "db/plant_sql.hpp"

namespace mpobench::db::plant {

namespace {

// The SQLSTATE mpobench_forward raises for a UUID held with another payload.
constexpr std::string_view refused_state = "MPB01";

std::string trimmed(const char* text) {
    std::string out = text != nullptr ? text : "";
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) {
        out.pop_back();
    }
    return out;
}

void refuse_password_in(const std::string& url) {
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

}  // namespace

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
        PQclear(result);
        const std::string text = fmt::format("plant {}: {}: {}", where(), what, message);
        if (refused) {
            throw PlantRefused(text);
        }
        if (PQstatus(connection) == CONNECTION_BAD) {
            throw PlantUnreachable(text);
        }
        throw PlantError(text);
    }
};

Connection::Connection(const std::string& url) : impl_(std::make_unique<Impl>()) {
    refuse_password_in(url);
    impl_->connection = PQconnectdb(url.c_str());
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

void Connection::apply_schema() {
    const std::string sql = std::string("BEGIN;\n") + schema_sql() + "\nCOMMIT;\n";
    PGresult* result = PQexec(impl_->connection, sql.c_str());
    if (PQresultStatus(result) != PGRES_COMMAND_OK) {
        impl_->fail(result, "creating the plant schema (db/plant.sql)");
    }
    PQclear(result);
}

Forwarded Connection::forward(const std::string& payload_json, const std::string& payload_sha256) {
    const char* values[] = {payload_json.c_str(), payload_sha256.c_str()};
    // One statement outside any explicit transaction: its own transaction.
    PGresult* result =
        PQexecParams(impl_->connection, "SELECT mpobench.mpobench_forward($1::jsonb, $2)", 2,
                     nullptr, values, nullptr, nullptr, 0);
    if (PQresultStatus(result) != PGRES_TUPLES_OK || PQntuples(result) != 1) {
        impl_->fail(result, "forwarding a record");
    }
    const std::string outcome = PQgetvalue(result, 0, 0);
    PQclear(result);
    if (outcome == "stored") {
        return Forwarded::Stored;
    }
    if (outcome == "present") {
        return Forwarded::AlreadyPresent;
    }
    throw PlantError(fmt::format("plant {}: mpobench_forward answered '{}', not stored or present",
                                 impl_->where(), outcome));
}

}  // namespace mpobench::db::plant
