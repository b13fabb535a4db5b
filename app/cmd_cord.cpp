// `mpobench cord list|requalify`: the wear of the station's cords.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>

#include "app/audit.hpp"
#include "app/commands.hpp"
#include "app/cord_wear.hpp"
#include "app/guarded.hpp"
#include "app/run_json.hpp"
#include "app/test_flow.hpp"

namespace mpobench::app {

int run_cord_list(const CordListOptions& options) {
    return guarded("cord list", [&] {
        const auto station = acquisition::load_station(options.station_file);
        db::Repository repository = open_database_for_reading(options.db);
        const auto statuses = cord_statuses(station, repository);
        if (options.json) {
            auto out = nlohmann::json::array();
            for (const auto& status : statuses) {
                out.push_back(
                    {{"id", status.cord.id},
                     {"role", std::string(to_string(status.cord.role))},
                     {"matings", status.wear.matings},
                     {"total_matings", status.wear.total_matings},
                     {"since", status.wear.since ? nlohmann::json(iso_utc(*status.wear.since))
                                                 : nlohmann::json(nullptr)},
                     {"warn_matings", status.cord.warn_matings},
                     {"mating_limit", status.cord.mating_limit},
                     {"state", std::string(to_string(status.state))},
                     {"requalifications",
                      repository.cord_requalifications(status.cord.id).size()}});
            }
            fmt::print("{}\n", json_text(out));
            return static_cast<int>(kPassed);
        }
        if (statuses.empty()) {
            fmt::print("{} names no cords ([[cords]]): their wear is not counted\n",
                       options.station_file.string());
            return static_cast<int>(kPassed);
        }
        fmt::print("{:<16} {:<8} {:>8} {:>6} {:>6} {:<5} {:<24} {}\n", "CORD", "ROLE", "MATINGS",
                   "WARN", "LIMIT", "STATE", "SINCE (UTC)", "TOTAL");
        for (const auto& status : statuses) {
            fmt::print("{:<16} {:<8} {:>8} {:>6} {:>6} {:<5} {:<24} {}\n", status.cord.id,
                       to_string(status.cord.role), status.wear.matings, status.cord.warn_matings,
                       status.cord.mating_limit, to_string(status.state),
                       status.wear.since ? iso_utc(*status.wear.since) : "never used",
                       status.wear.total_matings);
        }
        return static_cast<int>(kPassed);
    });
}

int run_cord_requalify(const CordRequalifyOptions& options) {
    return guarded("cord requalify", [&] {
        const auto station = acquisition::load_station(options.station_file);
        const auto named =
            std::find_if(station.cords.begin(), station.cords.end(),
                         [&](const auto& cord) { return cord.id == options.cord_id; });
        if (named == station.cords.end()) {
            fmt::print(stderr, "mpobench cord requalify: {} names no cord {}\n",
                       options.station_file.string(), options.cord_id);
            return static_cast<int>(kBadInput);
        }
        for (const auto& [option, value] :
             {std::pair{"--operator", &options.operator_name}, {"--reason", &options.reason}}) {
            if (value->find_first_not_of(" \t") == std::string::npos) {
                fmt::print(stderr,
                           "mpobench cord requalify: {} is empty: the record keeps who "
                           "re-qualified the cord and why\n",
                           option);
                return static_cast<int>(kBadInput);
            }
        }
        db::Repository repository(database_path(options.db));
        const auto before = repository.cord_wear(options.cord_id);
        repository.requalify_cord(options.cord_id, options.operator_name, options.reason);
        audit_cli_act(repository, "cord.requalify", options.operator_name,
                      {{"cord", options.cord_id},
                       {"matings_before", before.matings},
                       {"reason", options.reason}});
        fmt::print("{} cord {} re-qualified by {} after {} matings; counting from 0 (limit {})\n",
                   to_string(named->role), named->id, options.operator_name, before.matings,
                   named->mating_limit);
        return static_cast<int>(kPassed);
    });
}

}  // namespace mpobench::app
