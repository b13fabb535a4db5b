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
#include "app/plant_source.hpp"
#include "app/run_json.hpp"
#include "app/test_flow.hpp"
#include "db/plant_read.hpp"

namespace mpobench::app {

namespace {

// What history shows of a serial, read from a station database or from the
// plant (the plant keeps no hold releases or label prints: they stay at the
// station).
struct SerialHistory {
    std::vector<db::RunSummary> runs;
    // From the plant: each run's station database (its UUID), beside runs.
    std::vector<std::string> station_uuids;
    std::vector<db::SerialRelease> releases;
    std::vector<db::LabelPrint> labels;
    std::string source;  // for "no runs of SN in ..."
    bool from_plant = false;
};

int print_history(const SerialHistory& history, bool json) {
    const auto& runs = history.runs;
    const bool plant = history.from_plant;
    // The retest policy's attempts, numbered in time order.
    std::map<std::size_t, int> attempt_number;
    std::vector<bool> outcomes;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        if (runs[i].attempt) {
            attempt_number[i] = static_cast<int>(attempt_number.size()) + 1;
            outcomes.push_back(runs[i].status == RunStatus::Completed && runs[i].pass);
        }
    }
    const auto attempt_of = [&](std::size_t index) -> std::optional<int> {
        const auto found = attempt_number.find(index);
        return found == attempt_number.end() ? std::nullopt : std::optional(found->second);
    };
    const bool test_until_pass = analysis::is_test_until_pass(outcomes);
    const auto& releases = history.releases;
    const auto& labels = history.labels;
    if (json) {
        auto out = nlohmann::json::array();
        for (std::size_t i = 0; i < runs.size(); ++i) {
            const auto& run = runs[i];
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
            nlohmann::json row = {
                {"run_id", run.id},
                {"serial", run.serial},
                {"part", run.part_number},
                {"kind", std::string(to_string(run.kind))},
                {"status", to_string(run.status)},
                {"reason", run.reason},
                {"grade",
                 run.grade ? nlohmann::json(to_string(*run.grade)) : nlohmann::json(nullptr)},
                {"pass", run.pass},
                {"station", run.station},
                {"operator", run.operator_name},
                {"retries", run.retries},
                {"attempt",
                 attempt_of(i) ? nlohmann::json(*attempt_of(i)) : nlohmann::json(nullptr)},
                {"retest_reason", run.retest_reason.empty() ? nlohmann::json(nullptr)
                                                            : nlohmann::json(run.retest_reason)},
                {"test_until_pass", test_until_pass},
                {"started_at", iso_utc(run.started_at)},
                {"labels", run_labels}};
            if (plant)
                row["station_uuid"] = history.station_uuids[i];
            out.push_back(std::move(row));
        }
        fmt::print("{}\n", json_text(out));
        return static_cast<int>(kPassed);
    }
    // From the plant, a first column names each run's station database (the
    // first 8 digits of its UUID): two stations may share a name, and their
    // run ids are their own.
    const auto station_column = [&](std::size_t i) {
        return plant ? fmt::format("{:<9}", history.station_uuids[i].substr(0, 8)) : std::string();
    };
    fmt::print("{}{:<6} {:<24} {:<16} {:<13} {:<7} {:<12} {:<9} {:<6} {:<7} {:<12} {}\n",
               plant ? fmt::format("{:<9}", "STN DB") : std::string(), "RUN", "STARTED (UTC)",
               "PART", "KIND", "ATTEMPT", "STATUS", "GRADE", "PASS", "RETRIES", "STATION",
               "OPERATOR");
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const auto& run = runs[i];
        const auto attempt = attempt_of(i);
        fmt::print("{}{:<6} {:<24} {:<16} {:<13} {:<7} {:<12} {:<9} {:<6} {:<7} {:<12} {}{}{}\n",
                   station_column(i), run.id, iso_utc(run.started_at), run.part_number,
                   to_string(run.kind), attempt ? std::to_string(*attempt) : "-",
                   to_string(run.status), run.grade ? to_string(*run.grade) : "-",
                   run.status == RunStatus::Completed ? (run.pass ? "yes" : "no") : "-",
                   run.retries, run.station, run.operator_name,
                   run.retest_reason.empty() ? "" : "  retest: " + run.retest_reason,
                   run.reason.empty() ? "" : "  (" + run.reason + ")");
    }
    for (const auto& release : releases) {
        fmt::print("released from QA hold {} by {} after {} attempts: {}\n", iso_utc(release.at),
                   release.released_by, release.attempts, release.reason);
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
                       label.error ? "FAILED" : (label.reprint ? "reprint" : "yes"), label.command,
                       label.operator_name, label.destination,
                       label.error ? "  (" + *label.error + ")" : "");
        }
    }
    return static_cast<int>(kPassed);
}

}  // namespace

int run_history(const HistoryOptions& options) {
    return plant_guarded("history", [&] {
        // Cleaned like every serial, but not held to the site's serial_pattern:
        // a record made under an older pattern must stay findable.
        const std::string serial = analysis::validate_serial(options.serial);
        SerialHistory history;
        if (db::plant::is_plant_url(options.db.string())) {
            const db::plant::Reader plant(options.db.string());
            for (auto& run : plant.history(serial, options.station)) {
                history.runs.push_back(std::move(run.summary));
                history.station_uuids.push_back(run.station_uuid);
            }
            history.source = "plant " + plant.describe();
            history.from_plant = true;
        } else {
            if (!options.station.empty()) {
                throw UsageError(
                    "--station filters the plant's history (--db postgresql://...); a station "
                    "database's history is that station's");
            }
            db::Repository repository = open_database_for_reading(options.db);
            history.runs = repository.history(serial);
            history.releases = repository.serial_releases(serial);
            history.labels = repository.label_prints(serial);
            history.source = database_path(options.db).string();
        }
        if (history.runs.empty() && !options.json) {
            fmt::print("no runs of {} in {}\n", serial, history.source);
            return static_cast<int>(kPassed);
        }
        return print_history(history, options.json);
    });
}

}  // namespace mpobench::app
