// `mpobench history SN`: every run of one serial number.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "analysis/identifiers.hpp"
#include "analysis/retest.hpp"
#include "app/commands.hpp"
#include "app/guarded.hpp"
#include "app/run_json.hpp"
#include "app/test_flow.hpp"

namespace mpobench::app {

int run_history(const HistoryOptions& options) {
    return guarded("history", [&] {
        // Cleaned like every serial, but not held to the site's serial_pattern:
        // a record made under an older pattern must stay findable.
        const std::string serial = analysis::validate_serial(options.serial);
        db::Repository repository = open_database_for_reading(options.db);
        const auto runs = repository.history(serial);
        // The retest policy's attempts, numbered in time order.
        std::map<std::int64_t, int> attempt_number;
        std::vector<bool> outcomes;
        for (const auto& run : runs) {
            if (run.attempt) {
                attempt_number[run.id] = static_cast<int>(attempt_number.size()) + 1;
                outcomes.push_back(run.status == RunStatus::Completed && run.pass);
            }
        }
        const auto attempt_of = [&](std::int64_t run_id) -> std::optional<int> {
            const auto found = attempt_number.find(run_id);
            return found == attempt_number.end() ? std::nullopt : std::optional(found->second);
        };
        const bool test_until_pass = analysis::is_test_until_pass(outcomes);
        const auto releases = repository.serial_releases(serial);
        const auto labels = repository.label_prints(serial);
        if (options.json) {
            auto out = nlohmann::json::array();
            for (const auto& run : runs) {
                auto run_labels = nlohmann::json::array();
                for (const auto& label : labels) {
                    if (label.run_id != run.id)
                        continue;
                    run_labels.push_back({{"printed_at", iso_utc(label.printed_at)},
                                          {"destination", label.destination},
                                          {"reprint", label.reprint},
                                          {"operator", label.operator_name},
                                          {"command", label.command},
                                          {"printed", !label.error},
                                          {"error", label.error ? nlohmann::json(*label.error)
                                                                : nlohmann::json(nullptr)}});
                }
                out.push_back({{"run_id", run.id},
                               {"serial", run.serial},
                               {"part", run.part_number},
                               {"kind", std::string(to_string(run.kind))},
                               {"status", to_string(run.status)},
                               {"reason", run.reason},
                               {"grade", run.grade ? nlohmann::json(to_string(*run.grade))
                                                   : nlohmann::json(nullptr)},
                               {"pass", run.pass},
                               {"station", run.station},
                               {"operator", run.operator_name},
                               {"retries", run.retries},
                               {"attempt", attempt_of(run.id) ? nlohmann::json(*attempt_of(run.id))
                                                              : nlohmann::json(nullptr)},
                               {"retest_reason", run.retest_reason.empty()
                                                     ? nlohmann::json(nullptr)
                                                     : nlohmann::json(run.retest_reason)},
                               {"test_until_pass", test_until_pass},
                               {"started_at", iso_utc(run.started_at)},
                               {"labels", run_labels}});
            }
            fmt::print("{}\n", json_text(out));
            return static_cast<int>(kPassed);
        }
        if (runs.empty()) {
            fmt::print("no runs of {} in {}\n", serial, database_path(options.db).string());
            return static_cast<int>(kPassed);
        }
        fmt::print("{:<6} {:<24} {:<16} {:<13} {:<7} {:<12} {:<9} {:<6} {:<7} {:<12} {}\n", "RUN",
                   "STARTED (UTC)", "PART", "KIND", "ATTEMPT", "STATUS", "GRADE", "PASS", "RETRIES",
                   "STATION", "OPERATOR");
        for (const auto& run : runs) {
            const auto attempt = attempt_of(run.id);
            fmt::print("{:<6} {:<24} {:<16} {:<13} {:<7} {:<12} {:<9} {:<6} {:<7} {:<12} {}{}{}\n",
                       run.id, iso_utc(run.started_at), run.part_number, to_string(run.kind),
                       attempt ? std::to_string(*attempt) : "-", to_string(run.status),
                       run.grade ? to_string(*run.grade) : "-",
                       run.status == RunStatus::Completed ? (run.pass ? "yes" : "no") : "-",
                       run.retries, run.station, run.operator_name,
                       run.retest_reason.empty() ? "" : "  retest: " + run.retest_reason,
                       run.reason.empty() ? "" : "  (" + run.reason + ")");
        }
        for (const auto& release : releases) {
            fmt::print("released from QA hold {} by {} after {} attempts: {}\n",
                       iso_utc(release.at), release.released_by, release.attempts, release.reason);
        }
        if (test_until_pass) {
            fmt::print("test-until-pass: passed only after {} failed attempts\n",
                       std::find(outcomes.begin(), outcomes.end(), true) - outcomes.begin());
        }
        if (!labels.empty()) {
            fmt::print("\n{:<6} {:<24} {:<9} {:<8} {:<12} {}\n", "RUN", "LABEL AT (UTC)", "PRINTED",
                       "FROM", "OPERATOR", "DESTINATION");
            for (const auto& label : labels) {
                fmt::print("{:<6} {:<24} {:<9} {:<8} {:<12} {}{}\n", label.run_id,
                           iso_utc(label.printed_at),
                           label.error ? "FAILED" : (label.reprint ? "reprint" : "yes"),
                           label.command, label.operator_name, label.destination,
                           label.error ? "  (" + *label.error + ")" : "");
            }
        }
        return static_cast<int>(kPassed);
    });
}

}  // namespace mpobench::app
