#pragma once
// The plant database (PostgreSQL, libpq): its schema (db/plant.sql) and the
// forwarding of one record through mpobench.mpobench_forward(). The only
// code in mpobench that talks to PostgreSQL.

#include <memory>
#include <stdexcept>
#include <string>

struct pg_conn;  // libpq's PGconn

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
// The connection string names a password: refused (passwords come from
// PGPASSFILE, ~/.pgpass or PGPASSWORD, never from a command line or file).
class PlantUrlError : public PlantError {
  public:
    using PlantError::PlantError;
};

// The text of db/plant.sql, built into the binary.
const char* schema_sql();

enum class Forwarded { Stored, AlreadyPresent };

class Connection {
  public:
    // url: a libpq connection string or postgresql:// URL.
    explicit Connection(const std::string& url);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // "host:port/database" as connected, for messages (no password).
    std::string describe() const;
    // Creates (or completes) the plant schema and roles in one transaction.
    void apply_schema();
    // One record, in its own transaction on the server.
    Forwarded forward(const std::string& payload_json, const std::string& payload_sha256);
    // The libpq connection, for the plant's readers in db/ (db/plant_qa.cpp).
    pg_conn* native_handle() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mpobench::db::plant
