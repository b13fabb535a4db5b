// `mpobench history SN`: every run of one serial number.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "app/guarded.hpp"
#include "app/run_json.hpp"
#include "app/test_flow.hpp"

namespace mpobench::app {

int run_history(const HistoryOptions& options) {
    return guarded("history", [&] {
        db::Repository repository = open_database_for_reading(options.db);
        const auto runs = repository.history(options.serial);
        const auto labels = repository.label_prints(options.serial);
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
                               {"started_at", iso_utc(run.started_at)},
                               {"labels", run_labels}});
            }
            fmt::print("{}\n", json_text(out));
            return static_cast<int>(kPassed);
        }
        if (runs.empty()) {
            fmt::print("no runs of {} in {}\n", options.serial, database_path(options.db).string());
            return static_cast<int>(kPassed);
        }
        fmt::print("{:<6} {:<24} {:<16} {:<13} {:<12} {:<9} {:<6} {:<7} {:<12} {}\n", "RUN",
                   "STARTED (UTC)", "PART", "KIND", "STATUS", "GRADE", "PASS", "RETRIES", "STATION",
                   "OPERATOR");
        for (const auto& run : runs) {
            fmt::print("{:<6} {:<24} {:<16} {:<13} {:<12} {:<9} {:<6} {:<7} {:<12} {}{}\n", run.id,
                       iso_utc(run.started_at), run.part_number, to_string(run.kind),
                       to_string(run.status), run.grade ? to_string(*run.grade) : "-",
                       run.status == RunStatus::Completed ? (run.pass ? "yes" : "no") : "-",
                       run.retries, run.station, run.operator_name,
                       run.reason.empty() ? "" : "  (" + run.reason + ")");
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
