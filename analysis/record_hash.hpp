#pragma once
// The record hash: SHA-256 over a canonical serialisation of a finished run.
// Printed on its certificate and in the certificate's QR code; the database
// keeps it so `mpobench verify` can say whether it holds that exact record.

#include <string>

#include "vocabulary/run_record.hpp"

namespace mpobench::analysis {

// One line per field, in a fixed order: who and what (serial, part with
// every catalogue field, station, operator, software version), the times
// (UTC, to the millisecond, as the database keeps them), status and reason,
// reference id, instruments, every measurement, the polarity maps, the
// failures, grade, pass and the limit set. Text fields have their
// separators escaped ('%' '|' CR LF as %25 %7C %0D %0A), so a name holding
// one cannot make two records read alike. Numbers are written in their
// shortest round-trip form, so a record read back from the database yields
// the same text as the record that was stored.
std::string canonical_record(const RunRecord& run);

// Lower-case hex SHA-256 of canonical_record(run).
std::string record_hash(const RunRecord& run);

}  // namespace mpobench::analysis
