#include "analysis/retest.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace mpobench::analysis {

RetestVerdict retest_verdict(const RetestPolicy& policy, const SerialAttempts& attempts) {
    if (!attempts.last_run_id)
        return RetestVerdict::FirstTest;
    if (attempts.last_passed)
        return RetestVerdict::RetestAfterPass;
    if (policy.attempts_before_hold > 0 && attempts.attempts >= policy.attempts_before_hold)
        return RetestVerdict::Held;
    return RetestVerdict::RetestAfterFail;
}

namespace {

std::string folded(const std::string& text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string::npos)
        return {};
    const auto last = text.find_last_not_of(" \t");
    std::string out = text.substr(first, last - first + 1);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace

std::optional<std::string> match_reason_code(const RetestPolicy& policy, const std::string& typed) {
    const std::string wanted = folded(typed);
    for (const auto& code : policy.reason_codes) {
        if (!wanted.empty() && folded(code) == wanted)
            return code;
    }
    return std::nullopt;
}

bool is_test_until_pass(const std::vector<bool>& outcomes) {
    int failed = 0;
    for (const bool passed : outcomes) {
        if (passed)
            return failed >= 2;
        ++failed;
    }
    return false;
}

RetestSummary summarise_retests(const std::vector<AttemptRecord>& attempts) {
    std::map<std::string, SerialRetests> by_serial;
    std::map<std::string, std::vector<bool>> outcomes;
    for (const auto& attempt : attempts) {
        auto& serial = by_serial[attempt.serial];
        serial.serial = attempt.serial;
        serial.part_number = attempt.part_number;
        ++serial.attempts;
        serial.failed += attempt.passed ? 0 : 1;
        serial.passed = serial.passed || attempt.passed;
        if (!attempt.retest_reason.empty())
            serial.retest_reasons.push_back(attempt.retest_reason);
        outcomes[attempt.serial].push_back(attempt.passed);
    }
    RetestSummary summary;
    for (auto& [name, serial] : by_serial) {
        ++summary.serials;
        serial.test_until_pass = is_test_until_pass(outcomes[name]);
        summary.test_until_pass += serial.test_until_pass ? 1 : 0;
        if (serial.attempts > 1) {
            ++summary.retested;
            summary.retested_serials.push_back(std::move(serial));
        }
    }
    std::stable_sort(
        summary.retested_serials.begin(), summary.retested_serials.end(),
        [](const SerialRetests& a, const SerialRetests& b) { return a.attempts > b.attempts; });
    return summary;
}

}  // namespace mpobench::analysis
