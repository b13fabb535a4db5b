// Limit sets (analysis/limits.hpp) from text. A bad set must be refused with
// LimitSetError; a good one's canonical form is itself a limit set with the
// same values and hash (the hash a run records is computed over it).

#include "analysis/limits.hpp"
#include "tests/fuzz/fuzz_contract.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mpobench;
    using fuzz::require;
    analysis::LimitSet set;
    try {
        set = analysis::parse_limit_set(fuzz::as_text(data, size), "fuzz.toml");
    } catch (const analysis::LimitSetError&) {
        return 0;
    }
    const auto canonical = analysis::canonical_form(set);
    require(set.hash == analysis::sha256_hex(canonical), "the hash is over the canonical form");
    // Not caught: a canonical form that no longer parses is a finding.
    const auto again = analysis::parse_limit_set(canonical, "canonical.toml");
    require(again.name == set.name && again.version == set.version &&
                again.guard_band_db == set.guard_band_db && again.table == set.table,
            "the canonical form keeps every value");
    require(again.hash == set.hash, "the canonical form keeps the hash");
    return 0;
}
