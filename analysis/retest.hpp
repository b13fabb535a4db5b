#pragma once
// The retest policy (site file [production]): how often one serial may be
// tested before QA must look at it, and why a failed assembly is tested
// again. Pure functions, no I/O; db counts the attempts, app applies the
// decision.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mpobench::analysis {

struct RetestPolicy {
    // Attempts of one serial allowed before a QA hold (0: never held).
    int attempts_before_hold = 0;
    // The reason codes a retest after a failure must give (empty: none asked).
    std::vector<std::string> reason_codes;
};

// What the record says of one serial's attempts: production tests that
// completed, and those aborted by the operator or interrupted after
// measurements were taken (so aborting on a red fibre cannot hide a
// failure); an instrument fault is the bench's, not an attempt. Counted
// since the serial's last QA release.
struct SerialAttempts {
    int attempts = 0;                         // since the last release
    int attempts_ever = 0;                    // all of them
    std::optional<std::int64_t> last_run_id;  // the latest attempt, if any
    bool last_passed = false;                 // the latest attempt completed and passed
};

enum class RetestVerdict {
    FirstTest,        // no attempt yet
    RetestAfterPass,  // the latest attempt passed: tested again (no reason asked)
    RetestAfterFail,  // the latest failed or was abandoned: a reason code is needed
    Held,             // attempts used up without a pass: refused until QA releases it
};

RetestVerdict retest_verdict(const RetestPolicy& policy, const SerialAttempts& attempts);

// The reason code as the policy spells it, matched without regard to case
// and surrounding spaces; nullopt when it is not one of the policy's.
std::optional<std::string> match_reason_code(const RetestPolicy& policy, const std::string& typed);

// Test-until-pass: a serial that passed only after at least two failed
// attempts. `outcomes` in time order, true for a pass.
bool is_test_until_pass(const std::vector<bool>& outcomes);

// One attempt as QA counts it (in time order).
struct AttemptRecord {
    std::string serial;
    std::string part_number;
    bool passed = false;
    std::string retest_reason;  // empty: none given
};

// A serial's attempts, as QA reviews them.
struct SerialRetests {
    std::string serial;
    std::string part_number;  // of its latest attempt
    int attempts = 0;
    int failed = 0;       // attempts that did not pass
    bool passed = false;  // some attempt passed
    bool test_until_pass = false;
    std::vector<std::string> retest_reasons;  // in the order given
};

struct RetestSummary {
    int serials = 0;   // with at least one attempt
    int retested = 0;  // with more than one
    int test_until_pass = 0;
    std::vector<SerialRetests> retested_serials;  // most attempts first, then by serial
};

RetestSummary summarise_retests(const std::vector<AttemptRecord>& attempts);

}  // namespace mpobench::analysis
