#pragma once
// The audit log: who did what to the station's record, when and from where,
// append-only, each entry carrying the SHA-256 of the one before (a hash
// chain), so an entry changed, removed or inserted behind mpobench's back
// breaks the chain at that place. Pure functions, no I/O; db stores it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vocabulary/run_record.hpp"

namespace mpobench::analysis {

struct AuditEntry {
    std::int64_t id = 0;  // its place in the chain: 1, 2, 3 ...
    TimePoint at{};
    std::string source;       // "cli" (or "web")
    std::string os_user;      // the account the process ran as
    std::string actor;        // who said they did it (--operator, --by); empty: nobody named
    std::string host;         // the machine (or the web client's address)
    std::string action;       // "user.add", "hold.release", "run.start", ...
    std::string detail;       // a JSON object: what it was done to
    std::string prev_sha256;  // the entry before's sha256; empty for the first
    std::string sha256;       // audit_entry_hash of this one
};

// SHA-256 (hex) over every field but sha256 itself, each escaped so no text
// can read as two fields, with the time to the millisecond.
std::string audit_entry_hash(const AuditEntry& entry);

// The first entry of `chain` (in id order) that breaks it: a hash that is not
// its own, a prev_sha256 that is not the entry before's, an id out of turn.
// nullopt: intact.
struct ChainBreak {
    std::int64_t id = 0;
    std::string why;
};
std::optional<ChainBreak> first_break(const std::vector<AuditEntry>& chain);

}  // namespace mpobench::analysis
