#include "db/sqlite.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "vocabulary/logger.hpp"

namespace mpobench::db::sqlite {

Connection::Connection(const std::filesystem::path& path, Access access) : path_(path.string()) {
    if (access == Access::ReadOnly) {
        open_read_only();
    } else {
        // The connection is used under the Repository's own mutex, so SQLite's
        // per-call locking is not needed.
        open(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
    }
}

void Connection::open(const std::string& name, int flags) {
    const int code = sqlite3_open_v2(name.c_str(), &db_, flags, nullptr);
    if (code != SQLITE_OK) {
        const std::string message =
            db_ != nullptr ? sqlite3_errmsg(db_) : std::string(sqlite3_errstr(code));
        sqlite3_close(db_);
        db_ = nullptr;
        throw DatabaseError(fmt::format("{}: cannot open the database: {}", path_, message));
    }
    sqlite3_extended_result_codes(db_, 1);
}

namespace {

// As long as a station's Repository waits for a lock (repository.cpp).
constexpr std::chrono::milliseconds kReadOnlyBusyTimeout{10'000};

// The schema version is the first thing every reader reads: whether this
// connection can read at all.
int probe_read(sqlite3* db) {
    return sqlite3_exec(db, "PRAGMA user_version", nullptr, nullptr, nullptr);
}

// A file name as an SQLite URI path: the characters URIs reserve escaped.
std::string uri_path(const std::string& path) {
    std::string out;
    for (const unsigned char c : path) {
        if (c == '%' || c == '?' || c == '#' || c < 0x20 || c >= 0x7F) {
            out += fmt::format("%{:02X}", c);
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

}  // namespace

void Connection::open_read_only() {
    // SQLite says only "unable to open database file"; the system says why.
    if (const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC); fd < 0) {
        throw DatabaseError(
            fmt::format("{}: cannot read the database: {}", path_, std::strerror(errno)));
    } else {
        ::close(fd);
    }
    std::error_code error;
    open(path_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
    // A station writing the file may hold it for a moment (a checkpoint):
    // the probe waits for it as every reader does, rather than failing.
    sqlite3_busy_timeout(db_, static_cast<int>(kReadOnlyBusyTimeout.count()));
    if (probe_read(db_) == SQLITE_OK) {
        return;
    }
    // Only a file SQLite cannot open for reading as it is (no shared memory
    // can be made beside it) is read another way; anything else is an error.
    const int primary = sqlite3_extended_errcode(db_) & 0xFF;
    if (primary != SQLITE_CANTOPEN && primary != SQLITE_READONLY) {
        close_and_throw("reading the database");
    }
    // A WAL database in a folder this process cannot write (a read-only
    // copy, a read-only mount): SQLite cannot create the shared-memory file
    // readers need. With no write-ahead log beside it, the file alone is the
    // whole database and nobody can be writing it, so it is read as
    // immutable. A log that is there holds commits the file lacks: reading
    // without it would show an old record, so that is refused instead.
    const int first_code = sqlite3_extended_errcode(db_);
    const std::string first_message = sqlite3_errmsg(db_);
    sqlite3_close(db_);
    db_ = nullptr;
    const std::filesystem::path wal = path_ + "-wal";
    if (std::filesystem::exists(wal, error) && std::filesystem::file_size(wal, error) > 0) {
        throw DatabaseError(fmt::format(
            "{}: cannot read the database: {} (SQLite code {}); its write-ahead log {} holds "
            "commits not yet in the file, and this folder is not writable: copy the database "
            "with `sqlite3 {} .backup COPY`, or read it where a station can write",
            path_, first_message, first_code, wal.string(), path_));
    }
    open("file:" + uri_path(path_) + "?immutable=1",
         SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX);
    if (probe_read(db_) != SQLITE_OK) {
        close_and_throw("reading the database");
    }
    logger("db")->debug("{}: read as an immutable file (no write-ahead log, folder read-only)",
                        path_);
}

Connection::~Connection() {
    // Statements must be finalized before the connection closes.
    statements_.clear();
    if (sqlite3_close(db_) != SQLITE_OK) {
        logger("db")->error("{}: closing the database failed: {}", path_, sqlite3_errmsg(db_));
    }
}

void Connection::execute(const char* sql, std::string_view what) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
        fail(what);
    }
}

Statement& Connection::prepare(const std::string& sql, std::string_view what) {
    auto found = statements_.find(sql);
    if (found != statements_.end()) {
        return *found->second;
    }
    auto statement = std::make_unique<Statement>(*this, sql, what);
    return *statements_.emplace(sql, std::move(statement)).first->second;
}

std::int64_t Connection::last_insert_id() const {
    return sqlite3_last_insert_rowid(db_);
}

int Connection::changes() const {
    return sqlite3_changes(db_);
}

void Connection::close_and_throw(std::string_view what) {
    const std::string message = fmt::format("{}: {}: {} (SQLite code {})", path_, what,
                                            sqlite3_errmsg(db_), sqlite3_extended_errcode(db_));
    sqlite3_close(db_);
    db_ = nullptr;
    throw DatabaseError(message);
}

void Connection::fail(std::string_view what) const {
    throw DatabaseError(fmt::format("{}: {}: {} (SQLite code {})", path_, what, sqlite3_errmsg(db_),
                                    sqlite3_extended_errcode(db_)));
}

std::string enable_wal(Connection& connection, std::chrono::milliseconds patience) {
    const auto deadline = std::chrono::steady_clock::now() + patience;
    while (true) {
        sqlite3_stmt* raw = nullptr;
        int code =
            sqlite3_prepare_v2(connection.handle(), "PRAGMA journal_mode = WAL", -1, &raw, nullptr);
        const std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw,
                                                                              sqlite3_finalize);
        if (code == SQLITE_OK) {
            code = sqlite3_step(raw);
        }
        if (code == SQLITE_ROW) {
            const unsigned char* mode = sqlite3_column_text(raw, 0);
            return mode != nullptr ? reinterpret_cast<const char*>(mode) : "";
        }
        const int primary = code & 0xFF;
        const bool contended = primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
        if (!contended || std::chrono::steady_clock::now() >= deadline) {
            connection.fail("setting WAL journal mode");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

Statement::Statement(Connection& connection, const std::string& sql, std::string_view what)
    : connection_(connection), sql_(sql) {
    const int code = sqlite3_prepare_v3(connection.handle(), sql.c_str(), -1,
                                        SQLITE_PREPARE_PERSISTENT, &statement_, nullptr);
    if (code != SQLITE_OK) {
        sqlite3_finalize(statement_);
        connection.fail(what);
    }
}

Statement::~Statement() {
    sqlite3_finalize(statement_);
}

Query::Query(Connection& connection, const std::string& sql, std::string what)
    : statement_(connection.prepare(sql, what)), what_(std::move(what)) {
    if (statement_.in_use) {
        throw std::logic_error("db: statement used again while still running: " + sql);
    }
    statement_.in_use = true;
}

Query::~Query() {
    // A failed step was reported when it happened; reset only readies the
    // cached statement for its next use and releases its read snapshot.
    sqlite3_reset(statement_.handle());
    sqlite3_clear_bindings(statement_.handle());
    statement_.in_use = false;
}

void Query::check_bind(int code) {
    if (code != SQLITE_OK) {
        statement_.connection().fail(
            fmt::format("{}: binding parameter {}", what_, next_parameter_));
    }
    ++next_parameter_;
}

Query& Query::bind(std::int64_t value) {
    check_bind(sqlite3_bind_int64(statement_.handle(), next_parameter_, value));
    return *this;
}

Query& Query::bind(double value) {
    check_bind(sqlite3_bind_double(statement_.handle(), next_parameter_, value));
    return *this;
}

Query& Query::bind(std::string_view text) {
    check_bind(sqlite3_bind_text(statement_.handle(), next_parameter_, text.data(),
                                 static_cast<int>(text.size()), SQLITE_TRANSIENT));
    return *this;
}

Query& Query::bind_null() {
    check_bind(sqlite3_bind_null(statement_.handle(), next_parameter_));
    return *this;
}

Query& Query::bind_blob(std::string_view bytes) {
    // A null pointer would bind NULL: no bytes are an empty BLOB.
    check_bind(bytes.empty() ? sqlite3_bind_zeroblob(statement_.handle(), next_parameter_, 0)
                             : sqlite3_bind_blob64(statement_.handle(), next_parameter_,
                                                   bytes.data(), bytes.size(), SQLITE_TRANSIENT));
    return *this;
}

bool Query::step() {
    const int code = sqlite3_step(statement_.handle());
    if (code == SQLITE_ROW) {
        return true;
    }
    if (code == SQLITE_DONE) {
        return false;
    }
    statement_.connection().fail(what_);
}

void Query::run() {
    if (step()) {
        throw std::logic_error("db: statement returned a row where none was expected: " +
                               statement_.sql());
    }
}

bool Query::is_null(int column) const {
    return sqlite3_column_type(statement_.handle(), column) == SQLITE_NULL;
}

std::int64_t Query::integer(int column) const {
    return sqlite3_column_int64(statement_.handle(), column);
}

int Query::int32(int column) const {
    return sqlite3_column_int(statement_.handle(), column);
}

double Query::real(int column) const {
    return sqlite3_column_double(statement_.handle(), column);
}

std::string Query::text(int column) const {
    const auto* bytes = sqlite3_column_text(statement_.handle(), column);
    if (bytes == nullptr) {
        return {};
    }
    return std::string(reinterpret_cast<const char*>(bytes),
                       static_cast<std::size_t>(sqlite3_column_bytes(statement_.handle(), column)));
}

std::string Query::blob(int column) const {
    const auto* bytes = static_cast<const char*>(sqlite3_column_blob(statement_.handle(), column));
    if (bytes == nullptr) {
        return {};
    }
    return std::string(bytes,
                       static_cast<std::size_t>(sqlite3_column_bytes(statement_.handle(), column)));
}

std::optional<std::int64_t> Query::optional_integer(int column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return integer(column);
}

std::optional<double> Query::optional_real(int column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return real(column);
}

std::optional<std::string> Query::optional_text(int column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return text(column);
}

Transaction::Transaction(Connection& connection, Kind kind, std::string_view what)
    : connection_(connection), what_(what) {
    connection_.execute(kind == Kind::Write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED",
                        fmt::format("{}: beginning a transaction", what_));
}

Transaction::~Transaction() {
    // SQLite may already have rolled back after some errors (autocommit is
    // then back on); otherwise undo everything this transaction did.
    if (open_ && sqlite3_get_autocommit(connection_.handle()) == 0) {
        if (sqlite3_exec(connection_.handle(), "ROLLBACK", nullptr, nullptr, nullptr) !=
            SQLITE_OK) {
            logger("db")->error("{}: {}: rolling back failed: {}", connection_.path(), what_,
                                sqlite3_errmsg(connection_.handle()));
        }
    }
}

void Transaction::commit() {
    connection_.execute("COMMIT", fmt::format("{}: committing", what_));
    open_ = false;
}

}  // namespace mpobench::db::sqlite
