#pragma once
// The plant database (PostgreSQL, libpq): its schema (db/plant.sql) and the
// forwarding of one record through mpobench.mpobench_forward(). With its
// reader (db/plant_read.hpp), the only code in mpobench that talks to PostgreSQL.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;    // libpq's PGconn
struct pg_result;  // libpq's PGresult

namespace mpobench::db::plant {

// Any failure talking to the plant that is not one of the two below.
class PlantError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};
// No connection (server down, wrong host or port, connection lost): nothing
// was stored, try again later.
class PlantUnreachable : public PlantError {
  public:
    using PlantError::PlantError;
};
// The plant holds this run's UUID with another payload: refused, never
// overwritten (SQLSTATE MPB01 from mpobench_forward).
class PlantRefused : public PlantError {
  public:
    using PlantError::PlantError;
};
// A change of the plant's configuration its rules refuse (SQLSTATE MPB02
// from the configuration functions: a name taken, the two-person rule...).
class PlantConfigRefused : public PlantError {
  public:
    using PlantError::PlantError;
};
// The connection string names a password: refused (passwords come from
// PGPASSFILE, ~/.pgpass or PGPASSWORD, never from a command line or file).
class PlantUrlError : public PlantError {
  public:
    using PlantError::PlantError;
};

// The text of db/plant.sql, built into the binary.
const char* schema_sql();

// Throws PlantUrlError for a connection string libpq cannot parse or one
// that holds a password; what a station file's [plant] url is checked with.
void check_connection_string(const std::string& url);

// Is `text` a UUID (8-4-4-4-12 hex digits, either case)? The plant's
// queries compare such text with a uuid column through its index.
bool is_uuid_text(std::string_view text);

// One record to forward: the payload as first sent and its SHA-256 (hex).
struct OutboundRecord {
    const std::string& payload_json;
    const std::string& payload_sha256;
};

enum class Forwarded { Stored, AlreadyPresent, Refused };
struct ForwardResult {
    Forwarded outcome = Forwarded::Stored;
    std::string refusal;  // the plant's reason, for Refused
};

class Connection {
  public:
    // url: a libpq connection string or postgresql:// URL. connect_timeout:
    // how long a plant that does not answer may hold the caller;
    // answer_timeout, when given: how long a statement may take, and data
    // may go unacknowledged, once connected (the connection string's own
    // settings win).
    explicit Connection(const std::string& url,
                        std::chrono::seconds connect_timeout = std::chrono::seconds(10),
                        std::optional<std::chrono::milliseconds> answer_timeout = std::nullopt);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // "host:port/database" as connected, for messages (no password).
    std::string describe() const;
    // Creates (or completes) the plant schema and roles in one transaction.
    void apply_schema();
    // Each record in its own transaction on the server, sent in one
    // pipeline (libpq pipeline mode: one round trip for the lot, not one per
    // record). on_result is called in order for each record the plant has
    // answered; a lost connection throws PlantUnreachable after the answers
    // that came, so the caller knows which records are in.
    void forward_all(const std::vector<OutboundRecord>& records,
                     const std::function<void(std::size_t index, const ForwardResult&)>& on_result);
    // One statement with text parameters ($1...), its rows when it has
    // any. Throws PlantUnreachable when the connection is lost,
    // PlantConfigRefused for SQLSTATE MPB02, PlantError otherwise, naming
    // `what`.
    struct ResultDeleter {
        void operator()(pg_result* result) const;
    };
    using Result = std::unique_ptr<pg_result, ResultDeleter>;
    Result execute(const std::string& sql, const std::vector<std::string>& parameters,
                   std::string_view what) const;
    // Statements without parameters sent together and answered in one
    // round trip (libpq pipeline mode), their results in order; the first
    // that fails throws as execute() does, once the connection is ready
    // again.
    std::vector<Result> execute_together(const std::vector<std::string>& statements,
                                         std::string_view what) const;
    // The open libpq connection, for the plant's readers (db/plant_read.cpp,
    // db/plant_qa.cpp).
    pg_conn* native_handle() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mpobench::db::plant
