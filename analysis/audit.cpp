#include "analysis/audit.hpp"

#include <fmt/format.h>

#include <chrono>

#include "analysis/limits.hpp"
#include "analysis/record_hash.hpp"

namespace mpobench::analysis {

std::string audit_entry_hash(const AuditEntry& entry) {
    const auto at_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(entry.at.time_since_epoch()).count();
    return sha256_hex(
        fmt::format("mpobench-audit-1|{}|{}|{}|{}|{}|{}|{}|{}|{}", entry.id, at_ms,
                    escape_canonical_text(entry.source), escape_canonical_text(entry.os_user),
                    escape_canonical_text(entry.actor), escape_canonical_text(entry.host),
                    escape_canonical_text(entry.action), escape_canonical_text(entry.detail),
                    escape_canonical_text(entry.prev_sha256)));
}

std::optional<ChainBreak> first_break(const std::vector<AuditEntry>& chain) {
    std::string previous;
    std::int64_t expected_id = 1;
    for (const auto& entry : chain) {
        if (entry.id != expected_id) {
            return ChainBreak{
                entry.id, fmt::format("entry {} follows entry {}: an entry is missing", entry.id,
                                      expected_id - 1)};
        }
        if (entry.prev_sha256 != previous) {
            return ChainBreak{entry.id, "it does not carry the hash of the entry before it"};
        }
        if (audit_entry_hash(entry) != entry.sha256) {
            return ChainBreak{entry.id, "its fields are not the ones it was hashed with"};
        }
        previous = entry.sha256;
        ++expected_id;
    }
    return std::nullopt;
}

}  // namespace mpobench::analysis
