#pragma once
// The database schema as a list of migrations, private to db/. The schema
// version lives in PRAGMA user_version; PRAGMA application_id marks the file
// as an mpobench database.

#include "db/sqlite.hpp"

namespace mpobench::db::schema {

// The version this build creates and understands.
int current_version();

// The version recorded in the file (0 for a new, empty database).
int stored_version(sqlite::Connection& connection);

// Refuses, before anything is written, a file that is not an mpobench
// database or whose schema is newer than this build.
void check_compatible(sqlite::Connection& connection);

// Applies every migration the file lacks, all in one transaction, so a
// failure leaves the database as it was.
void migrate(sqlite::Connection& connection);

}  // namespace mpobench::db::schema
