// `mpobench audit list|verify`: the station's audit log and its hash chain.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "analysis/audit.hpp"
#include "app/commands.hpp"
#include "app/plant_source.hpp"
#include "app/run_json.hpp"
#include "app/test_flow.hpp"
#include "db/plant_config.hpp"
#include "db/plant_read.hpp"

namespace mpobench::app {

namespace {

// The plant's configuration log: who changed its users, limits and
// catalogue (db/plant.sql's config_log, kept by its functions).
int list_plant_changes(const AuditOptions& options) {
    const db::plant::ConfigStore store(options.db.string());
    const auto changes = store.changes();
    if (options.json) {
        auto out = nlohmann::json::array();
        for (const auto& c : changes) {
            out.push_back({{"id", c.id},
                           {"at", iso_utc(c.at)},
                           {"db_role", c.db_role},
                           {"actor", c.actor},
                           {"action", c.action},
                           {"detail", nlohmann::json::parse(c.detail, nullptr, false)}});
        }
        fmt::print("{}\n", json_text(out));
        return static_cast<int>(kPassed);
    }
    fmt::print("{:<6} {:<24} {:<12} {:<12} {:<18} {}\n", "ID", "AT (UTC)", "DB ROLE", "ACTOR",
               "ACTION", "DETAIL");
    for (const auto& c : changes) {
        fmt::print("{:<6} {:<24} {:<12} {:<12} {:<18} {}\n", c.id, iso_utc(c.at), c.db_role,
                   c.actor, c.action, c.detail);
    }
    return static_cast<int>(kPassed);
}

}  // namespace

int run_audit_list(const AuditOptions& options) {
    return plant_guarded("audit list", [&] {
        if (db::plant::is_plant_url(options.db.string()))
            return list_plant_changes(options);
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
    return plant_guarded("audit verify", [&] {
        if (db::plant::is_plant_url(options.db.string()))
            throw UsageError(
                "the plant's configuration log has no hash chain to verify: its functions alone "
                "write it (audit list --db URL shows it); verify a station's audit log");
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
