#pragma once
// The database schema as a list of migrations, private to db/. The schema
// version lives in PRAGMA user_version; PRAGMA application_id marks the file
// as an mpobench database.

#include <functional>

#include "db/sqlite.hpp"

namespace mpobench::db::schema {

// The version this build creates and understands.
int current_version();

// The version recorded in the file (0 for a new, empty database).
int stored_version(sqlite::Connection& connection);

// Refuses, before anything is written, a file that is not an mpobench
// database or whose schema is newer than this build.
void check_compatible(sqlite::Connection& connection);

// Fills what the SQL of the migrations cannot (record hashes need
// analysis::record_hash): called with the version the file had, after every
// migration's SQL, in the migration's transaction, so it works on the
// current schema.
using DerivedDataFiller = std::function<void(int from_version)>;

// Applies every migration the file lacks, then fill_derived_data, all in one
// transaction, so a failure leaves the database as it was.
void migrate(sqlite::Connection& connection, const DerivedDataFiller& fill_derived_data);

}  // namespace mpobench::db::schema
