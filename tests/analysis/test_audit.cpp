// The audit log's hash chain: every field counts, and any change, removal
// or insertion is found at its place.

#include <catch2/catch.hpp>

#include <functional>

#include "analysis/audit.hpp"
#include "tests/support/sample_run.hpp"

using namespace mpobench;
using namespace mpobench::analysis;
using mpobench::testing::at_ms;

namespace {

// A chain of `n` entries, hashed as db appends them.
std::vector<AuditEntry> chain_of(int n) {
    std::vector<AuditEntry> chain;
    std::string previous;
    for (int i = 1; i <= n; ++i) {
        AuditEntry entry;
        entry.id = i;
        entry.at = at_ms(1'795'000'000'000 + i * 1000);
        entry.source = "cli";
        entry.os_user = "root";
        entry.actor = i % 2 ? "qa-bob" : "";
        entry.host = "bench-pc";
        entry.action = "hold.release";
        entry.detail = R"({"serial":"SN-)" + std::to_string(i) + R"("})";
        entry.prev_sha256 = previous;
        entry.sha256 = audit_entry_hash(entry);
        previous = entry.sha256;
        chain.push_back(entry);
    }
    return chain;
}

}  // namespace

TEST_CASE("every field of an audit entry is in its hash", "[audit]") {
    const auto entry = chain_of(2)[1];
    const auto hash = audit_entry_hash(entry);
    CHECK(hash.size() == 64);
    CHECK(audit_entry_hash(entry) == hash);  // stable
    const std::vector<std::function<void(AuditEntry&)>> changes{
        [](AuditEntry& e) { e.id = 3; },
        [](AuditEntry& e) { e.at += std::chrono::milliseconds(1); },
        [](AuditEntry& e) { e.source = "web"; },
        [](AuditEntry& e) { e.os_user = "mallory"; },
        [](AuditEntry& e) { e.actor = "qa-eve"; },
        [](AuditEntry& e) { e.host = "elsewhere"; },
        [](AuditEntry& e) { e.action = "user.add"; },
        [](AuditEntry& e) { e.detail = "{}"; },
        [](AuditEntry& e) { e.prev_sha256 = std::string(64, '0'); },
    };
    for (std::size_t i = 0; i < changes.size(); ++i) {
        INFO("change " << i);
        auto changed = entry;
        changes[i](changed);
        CHECK(audit_entry_hash(changed) != hash);
    }
    // A separator inside a field cannot make two entries read alike.
    auto a = entry, b = entry;
    a.actor = "x|y";
    a.host = "z";
    b.actor = "x";
    b.host = "y|z";
    CHECK(audit_entry_hash(a) != audit_entry_hash(b));
}

TEST_CASE("a broken chain is found at the entry that breaks it", "[audit]") {
    CHECK_FALSE(first_break({}));
    CHECK_FALSE(first_break(chain_of(5)));
    SECTION("a field changed") {
        auto chain = chain_of(5);
        chain[2].detail = R"({"serial":"SN-X"})";
        const auto broken = first_break(chain);
        REQUIRE(broken);
        CHECK(broken->id == 3);
        CHECK(broken->why == "its fields are not the ones it was hashed with");
    }
    SECTION("a field changed and the entry hashed again") {
        auto chain = chain_of(5);
        chain[2].actor = "qa-eve";
        chain[2].sha256 = audit_entry_hash(chain[2]);
        const auto broken = first_break(chain);
        REQUIRE(broken);
        CHECK(broken->id == 4);  // the next one no longer carries its hash
        CHECK(broken->why == "it does not carry the hash of the entry before it");
    }
    SECTION("an entry removed") {
        auto chain = chain_of(5);
        chain.erase(chain.begin() + 1);
        const auto broken = first_break(chain);
        REQUIRE(broken);
        CHECK(broken->id == 3);
        CHECK(broken->why == "entry 3 follows entry 1: an entry is missing");
    }
    SECTION("the first entry replaced") {
        auto chain = chain_of(3);
        chain[0].prev_sha256 = std::string(64, 'a');
        REQUIRE(first_break(chain));
        CHECK(first_break(chain)->id == 1);
    }
}
