// `mpobench audit list|verify`: the station's audit log and its hash chain.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "analysis/audit.hpp"
#include "app/commands.hpp"
#include "app/guarded.hpp"
#include "app/run_json.hpp"
#include "app/test_flow.hpp"

namespace mpobench::app {

int run_audit_list(const AuditOptions& options) {
    return guarded("audit list", [&] {
        const db::Repository repository = open_database_for_reading(options.db);
        const auto entries = repository.audit_entries();
        if (options.json) {
            auto out = nlohmann::json::array();
            for (const auto& e : entries) {
                out.push_back({{"id", e.id},
                               {"at", iso_utc(e.at)},
                               {"source", e.source},
                               {"os_user", e.os_user},
                               {"actor", e.actor},
                               {"host", e.host},
                               {"action", e.action},
                               {"detail", nlohmann::json::parse(e.detail, nullptr, false)},
                               {"sha256", e.sha256}});
            }
            fmt::print("{}\n", json_text(out));
            return static_cast<int>(kPassed);
        }
        fmt::print("{:<6} {:<24} {:<4} {:<10} {:<12} {:<18} {}\n", "ID", "AT (UTC)", "FROM",
                   "OS USER", "ACTOR", "ACTION", "DETAIL");
        for (const auto& e : entries) {
            fmt::print("{:<6} {:<24} {:<4} {:<10} {:<12} {:<18} {}\n", e.id, iso_utc(e.at),
                       e.source, e.os_user, e.actor.empty() ? "-" : e.actor, e.action, e.detail);
        }
        return static_cast<int>(kPassed);
    });
}

int run_audit_verify(const AuditOptions& options) {
    return guarded("audit verify", [&] {
        const db::Repository repository = open_database_for_reading(options.db);
        const auto entries = repository.audit_entries();
        const auto broken = analysis::first_break(entries);
        if (broken) {
            fmt::print("BROKEN at entry {} of {}: {}\n", broken->id, entries.size(), broken->why);
            return static_cast<int>(kBelowTarget);
        }
        fmt::print("audit log intact: {} entries, each carrying the hash of the one before{}\n",
                   entries.size(),
                   entries.empty() ? std::string()
                                   : fmt::format("; last {}", entries.back().sha256.substr(0, 16)));
        return static_cast<int>(kPassed);
    });
}

}  // namespace mpobench::app
