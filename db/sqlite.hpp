#pragma once
// Small RAII wrappers over the SQLite C API, private to db/. Every error
// becomes a DatabaseError that names the database file, what was being done
// and SQLite's own message.

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "db/repository.hpp"

namespace mpobench::db::sqlite {

class Statement;

// One open connection. Prepared statements are cached per SQL text for the
// connection's lifetime, so the hot path (one INSERT per measurement)
// never re-parses SQL.
enum class Access { ReadWrite, ReadOnly };

class Connection {
  public:
    // ReadWrite creates the file when it is missing; ReadOnly never writes
    // (no -wal or -shm is created either, see open_read_only).
    explicit Connection(const std::filesystem::path& path, Access access = Access::ReadWrite);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    const std::string& path() const { return path_; }
    sqlite3* handle() const { return db_; }

    // Runs SQL without parameters or results (pragmas, DDL, BEGIN/COMMIT).
    void execute(const char* sql, std::string_view what);

    // The cached prepared statement for `sql`, prepared on first use.
    Statement& prepare(const std::string& sql, std::string_view what);

    std::int64_t last_insert_id() const;
    int changes() const;

    // Throws "<file>: <what>: <SQLite's message> (SQLite code N)" for the
    // most recent failure on this connection.
    [[noreturn]] void fail(std::string_view what) const;

  private:
    void open(const std::string& name, int flags);
    void open_read_only();
    // For a failure while the constructor runs (the destructor will not).
    [[noreturn]] void close_and_throw(std::string_view what);

    std::string path_;
    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, std::unique_ptr<Statement>> statements_;
};

// Puts the database in WAL journal mode and returns the mode it is in then.
// The switch needs an exclusive lock, and SQLite refuses a connection that
// asks for it while another one switches (SQLITE_BUSY at once, without the
// busy handler: stations started together on one new file): the switch is
// retried until `patience` has passed.
std::string enable_wal(Connection& connection, std::chrono::milliseconds patience);

// A prepared statement. Use through Query, which resets it on scope exit so
// the cached statement is ready for its next use and holds no read snapshot.
class Statement {
  public:
    Statement(Connection& connection, const std::string& sql, std::string_view what);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Connection& connection() const { return connection_; }
    sqlite3_stmt* handle() const { return statement_; }
    const std::string& sql() const { return sql_; }

    // Set while a Query uses the statement: the same cached statement must
    // not be run again before the first use has finished.
    bool in_use = false;

  private:
    Connection& connection_;
    std::string sql_;
    sqlite3_stmt* statement_ = nullptr;
};

// One execution of a cached statement: bind parameters (1-based, in order
// with bind()), then step() through rows or run() once.
class Query {
  public:
    Query(Connection& connection, const std::string& sql, std::string what);
    ~Query();
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;

    Query& bind(std::int64_t value);
    Query& bind(int value) { return bind(static_cast<std::int64_t>(value)); }
    Query& bind(double value);
    Query& bind(std::string_view text);
    Query& bind(const std::string& text) { return bind(std::string_view(text)); }
    Query& bind(const char* text) { return bind(std::string_view(text)); }
    Query& bind_null();
    // Bytes stored as a BLOB (bind() would store text).
    Query& bind_blob(std::string_view bytes);
    template <typename T>
    Query& bind(const std::optional<T>& value) {
        return value ? bind(*value) : bind_null();
    }

    // True while a row is available.
    bool step();
    // Executes a statement that returns no rows.
    void run();

    bool is_null(int column) const;
    std::int64_t integer(int column) const;
    int int32(int column) const;
    double real(int column) const;
    std::string text(int column) const;
    // A BLOB's bytes; empty for NULL.
    std::string blob(int column) const;
    std::optional<std::int64_t> optional_integer(int column) const;
    std::optional<double> optional_real(int column) const;
    std::optional<std::string> optional_text(int column) const;

  private:
    void check_bind(int code);

    Statement& statement_;
    std::string what_;
    int next_parameter_ = 1;
};

// BEGIN ... COMMIT; rolls back unless committed. A write transaction is
// BEGIN IMMEDIATE: taking the write lock up front lets the busy timeout
// cover the wait for another writer, where a deferred transaction that
// upgrades later would get SQLITE_BUSY without waiting. A read transaction
// gives several SELECTs one consistent snapshot.
class Transaction {
  public:
    enum class Kind { Read, Write };

    Transaction(Connection& connection, Kind kind, std::string_view what);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    void commit();

  private:
    Connection& connection_;
    std::string what_;
    bool open_ = true;
};

}  // namespace mpobench::db::sqlite
