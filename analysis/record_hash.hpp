#pragma once
// The record hash: SHA-256 over a canonical serialisation of a finished run.
// Printed on its certificate and in the certificate's QR code; the database
// keeps it so `mpobench verify` can say whether it holds that exact record.

#include <string>
#include <string_view>

#include "vocabulary/run_record.hpp"

namespace mpobench::analysis {

// The canonical form is versioned: a record keeps the hash of the form it
// was hashed with, and is re-hashed with that form to be verified, so a
// record stays verifiable as records grow.
//   1: the form up to schema version 2 (no RL bounds);
//   2: form 1 with "mpobench-record 2" on its first line and each
//      measurement's RL bound (rl_above_db) after its time.
//   3: form 2 ("mpobench-record 3") with each measurement's tap-monitor
//      reading (monitor_dbm, M_now) after its RL bound (schema 13).
//   4: form 3 ("mpobench-record 4") with each measurement's RL windows,
//      interval and marginal flag after its monitor reading, and an
//      rl_method line (how RL was decided, the noise model, the run's check
//      of it) after the measurements (schema 14).
inline constexpr int kRecordHashVersion = 4;  // the form new records are hashed with

// A text field as canonical forms write it: '%' '|' CR LF escaped as %25
// %7C %0D %0A, so no field can hold the separator (the audit log's entries
// use it too).
std::string escape_canonical_text(std::string_view value);

// Whether this build can compute a form (1..kRecordHashVersion).
bool known_record_hash_version(int version);

// One line per field, in a fixed order: who and what (serial, part with
// every catalogue field, station, operator, software version), the times
// (UTC, to the millisecond, as the database keeps them), status and reason,
// reference id, instruments, every measurement, the polarity maps, the
// failures, grade, pass and the limit set. Text fields have their
// separators escaped ('%' '|' CR LF as %25 %7C %0D %0A), so a name holding
// one cannot make two records read alike. Numbers are written in their
// shortest round-trip form, so a record read back from the database yields
// the same text as the record that was stored. Throws std::invalid_argument
// for an unknown version, for form 1 of a record holding an RL bound (form
// 1 cannot tell it from an RL not measured), and for forms 1 and 2 of a
// record holding a tap-monitor reading (they cannot hold it).
std::string canonical_record(const RunRecord& run, int version = kRecordHashVersion);

// Lower-case hex SHA-256 of canonical_record(run, version).
std::string record_hash(const RunRecord& run, int version = kRecordHashVersion);

}  // namespace mpobench::analysis
