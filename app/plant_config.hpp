#pragma once
// A station of a plant takes its part catalogue, limit set and users from
// the plant (db/plant_config.hpp) and keeps them (db::Repository's
// plant_config), so that every station of the plant grades against the same
// limits and an offline station keeps testing with what it last had.
// README: "Parts, limits and users from the plant".

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "acquisition/parts.hpp"
#include "acquisition/station.hpp"
#include "db/repository.hpp"

namespace mpobench::app {

struct PlantConfigRefresh {
    bool reached = false;
    std::string problem;  // why not, when not reached
    db::PlantConfigChanges changes;
    std::optional<db::PlantConfigCache> cache;  // what the station holds afterwards
};

// Fetches the plant's part catalogue, active limit set and users and keeps
// them, each checked first (a catalogue or limit set that does not parse, a
// limit set whose body does not hash to its hash: nothing is kept, the
// problem says why). A change is written to the audit log. An unreachable
// plant is not an error: reached is false and the cache stays as it was.
// connect_timeout: how long a plant that does not answer may hold the
// caller, connecting and again reading.
PlantConfigRefresh refresh_from_plant(db::Repository& repository, const std::string& url,
                                      std::chrono::seconds connect_timeout);

// Before a test at a station of a plant: refresh_from_plant with a short
// timeout; when the plant cannot be reached, says on stderr what the test
// goes on with (what was fetched when, or the station's own). A station
// without a plant forgets what a plant gave it before (forget_plant_config).
void refresh_before_test(db::Repository& repository, const acquisition::StationConfig& station,
                         std::string_view command);

// The catalogue a test looks its part up in: --parts FILE when given; else
// the plant's as last fetched; else the default one. Throws
// acquisition::PartCatalogueError.
acquisition::PartCatalogue catalogue_in_use(const db::Repository& repository,
                                            const std::filesystem::path& parts_option);

// "parts, limits and users from plant H:P/D fetched 2026-…: catalogue 1
// (sha256 …), limit set 'X' 2, 4 users" for identify.
std::string plant_config_text(const db::PlantConfigCache& cache);

}  // namespace mpobench::app
