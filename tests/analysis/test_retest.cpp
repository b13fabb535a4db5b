// The retest policy: holds, reason codes, test-until-pass.

#include <catch2/catch.hpp>

#include "analysis/retest.hpp"

using namespace mpobench::analysis;

namespace {

SerialAttempts attempts(int since_release, bool last_passed) {
    SerialAttempts a;
    a.attempts = since_release;
    a.attempts_ever = since_release;
    if (since_release > 0)
        a.last_run_id = 40 + since_release;
    a.last_passed = last_passed;
    return a;
}

}  // namespace

TEST_CASE("a serial is held when its attempts are used up without a pass", "[retest]") {
    const RetestPolicy policy{3, {"re-cleaned", "re-terminated"}};
    CHECK(retest_verdict(policy, attempts(0, false)) == RetestVerdict::FirstTest);
    CHECK(retest_verdict(policy, attempts(1, false)) == RetestVerdict::RetestAfterFail);
    CHECK(retest_verdict(policy, attempts(2, false)) == RetestVerdict::RetestAfterFail);
    CHECK(retest_verdict(policy, attempts(3, false)) == RetestVerdict::Held);
    CHECK(retest_verdict(policy, attempts(7, false)) == RetestVerdict::Held);
    // A passed assembly is not held, however often it was tested.
    CHECK(retest_verdict(policy, attempts(3, true)) == RetestVerdict::RetestAfterPass);
    // After a QA release the attempts since it count (none yet), not all of them.
    auto released = attempts(0, false);
    released.attempts_ever = 3;
    released.last_run_id = 43;
    CHECK(retest_verdict(policy, released) == RetestVerdict::RetestAfterFail);
    // No limit: never held.
    CHECK(retest_verdict(RetestPolicy{0, {}}, attempts(50, false)) ==
          RetestVerdict::RetestAfterFail);
}

TEST_CASE("reason codes match as the policy spells them, in any case", "[retest]") {
    const RetestPolicy policy{0, {"re-cleaned", "Re-Terminated"}};
    CHECK(match_reason_code(policy, "re-cleaned") == "re-cleaned");
    CHECK(match_reason_code(policy, "  RE-CLEANED ") == "re-cleaned");
    CHECK(match_reason_code(policy, "re-terminated") == "Re-Terminated");
    CHECK_FALSE(match_reason_code(policy, "re-cleane"));
    CHECK_FALSE(match_reason_code(policy, ""));
    CHECK_FALSE(match_reason_code(policy, "   "));
    CHECK_FALSE(match_reason_code(RetestPolicy{}, "re-cleaned"));
}

TEST_CASE("test-until-pass is a pass after two or more failed attempts", "[retest]") {
    CHECK_FALSE(is_test_until_pass({}));
    CHECK_FALSE(is_test_until_pass({true}));
    CHECK_FALSE(is_test_until_pass({false, true}));
    CHECK(is_test_until_pass({false, false, true}));
    CHECK(is_test_until_pass({false, false, false, true, false}));
    CHECK_FALSE(is_test_until_pass({false, false, false}));       // never passed: a reject
    CHECK_FALSE(is_test_until_pass({true, false, false, true}));  // passed first time
}

TEST_CASE("retests are summarised per serial", "[retest]") {
    const std::vector<AttemptRecord> history{
        {"SN-1", "P1", true, ""},   // first pass
        {"SN-2", "P1", false, ""},  // fail, fail, pass: test-until-pass
        {"SN-2", "P1", false, "re-cleaned"},
        {"SN-3", "P2", false, ""},  // fail, pass
        {"SN-2", "P1", true, "re-terminated"},
        {"SN-3", "P2", true, "re-inspected"},
        {"SN-4", "P2", false, ""},  // one failure, not retested
    };
    const auto summary = summarise_retests(history);
    CHECK(summary.serials == 4);
    CHECK(summary.retested == 2);
    CHECK(summary.test_until_pass == 1);
    REQUIRE(summary.retested_serials.size() == 2);
    const auto& sn2 = summary.retested_serials[0];  // most attempts first
    CHECK(sn2.serial == "SN-2");
    CHECK(sn2.attempts == 3);
    CHECK(sn2.failed == 2);
    CHECK(sn2.passed);
    CHECK(sn2.test_until_pass);
    CHECK(sn2.retest_reasons == std::vector<std::string>{"re-cleaned", "re-terminated"});
    const auto& sn3 = summary.retested_serials[1];
    CHECK(sn3.serial == "SN-3");
    CHECK(sn3.part_number == "P2");
    CHECK(sn3.attempts == 2);
    CHECK_FALSE(sn3.test_until_pass);
    CHECK(summarise_retests({}).serials == 0);
}
