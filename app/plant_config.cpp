#include "app/plant_config.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "analysis/limits.hpp"
#include "app/audit.hpp"
#include "app/run_json.hpp"
#include "db/plant_config.hpp"

namespace mpobench::app {

namespace {

// Seconds a test waits for a plant that does not answer before going on
// with what the station holds.
constexpr std::chrono::seconds test_connect_timeout{3};

// Throws db::plant::PlantError for a catalogue or limit set the station
// could not use: a bad plant configuration is never kept.
void check_usable(const db::plant::Configuration& configuration, const std::string& plant) {
    if (configuration.parts) {
        const auto& parts = *configuration.parts;
        if (analysis::sha256_hex(parts.body) != parts.sha256)
            throw db::plant::PlantError(
                fmt::format("plant {}: part catalogue {} does not hash to its sha256 {}", plant,
                            parts.id, parts.sha256));
        try {
            acquisition::parse_part_catalogue(
                parts.body, fmt::format("the plant's part catalogue {}", parts.id));
        } catch (const acquisition::PartCatalogueError& error) {
            throw db::plant::PlantError(fmt::format("plant {}: {}", plant, error.what()));
        }
    }
    if (configuration.limits) {
        const auto& stored = configuration.limits->limit_set;
        try {
            const auto parsed = analysis::parse_limit_set(
                stored.body, fmt::format("the plant's limit set {} ('{}' {})", stored.id,
                                         stored.name, stored.version));
            if (parsed.hash != stored.hash)
                throw db::plant::PlantError(
                    fmt::format("plant {}: limit set {} hashes to {}, not to its hash {}", plant,
                                stored.id, parsed.hash, stored.hash));
            if (parsed.name != stored.name || parsed.version != stored.version)
                throw db::plant::PlantError(fmt::format(
                    "plant {}: limit set {} is called '{}' {} but its text says '{}' {}", plant,
                    stored.id, stored.name, stored.version, parsed.name, parsed.version));
        } catch (const analysis::LimitSetError& error) {
            throw db::plant::PlantError(fmt::format("plant {}: {}", plant, error.what()));
        }
    }
}

}  // namespace

PlantConfigRefresh refresh_from_plant(db::Repository& repository, const std::string& url,
                                      std::chrono::seconds connect_timeout) {
    PlantConfigRefresh refresh;
    const auto began = std::chrono::steady_clock::now();
    try {
        const db::plant::ConfigStore store(url, connect_timeout, connect_timeout);
        auto configuration = store.in_use();
        check_usable(configuration, store.describe());
        db::PlantConfigCache cache;
        cache.plant = store.describe();
        cache.fetched_at = std::chrono::system_clock::now();
        cache.parts = configuration.parts;
        cache.limits = configuration.limits;
        cache.users = static_cast<int>(configuration.users.size());
        refresh.changes = repository.cache_plant_config(cache, configuration.users);
        refresh.reached = true;
        spdlog::info("plant {}: parts, limits and users taken in {} ms{}", cache.plant,
                     std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - began)
                         .count(),
                     refresh.changes.any() ? " (changed)" : "");
        if (refresh.changes.any()) {
            nlohmann::json detail{{"plant", cache.plant}, {"users", refresh.changes.users}};
            if (refresh.changes.parts)
                detail["part_catalogue"] =
                    cache.parts
                        ? nlohmann::json{{"id", cache.parts->id}, {"sha256", cache.parts->sha256}}
                        : nlohmann::json(nullptr);
            if (refresh.changes.limits)
                detail["limit_set"] =
                    cache.limits ? nlohmann::json{{"id", cache.limits->limit_set.id},
                                                  {"name", cache.limits->limit_set.name},
                                                  {"version", cache.limits->limit_set.version},
                                                  {"hash", cache.limits->limit_set.hash}}
                                 : nlohmann::json(nullptr);
            audit_cli_act(repository, "plant.config", "", detail);
        }
    } catch (const db::plant::PlantUnreachable& error) {
        refresh.problem = error.what();
    } catch (const db::plant::PlantError& error) {
        // A plant fault (a bad configuration, a plant without the
        // configuration tables): the station keeps what it had, and says so.
        refresh.problem = error.what();
        spdlog::error("taking parts, limits and users from the plant: {}", error.what());
    } catch (const db::DatabaseError& error) {
        // What the plant gave could not be kept: the station goes on with
        // what it had (a database that cannot be written stops the test at
        // its next write anyway).
        refresh.problem = error.what();
        spdlog::error("keeping the plant's parts, limits and users: {}", error.what());
    }
    refresh.cache = repository.plant_config();
    return refresh;
}

void refresh_before_test(db::Repository& repository, const acquisition::StationConfig& station,
                         std::string_view command) {
    if (!station.plant_url) {
        // A station taken off its plant: the plant's catalogue and limits no
        // longer apply here.
        if (repository.plant_config() && repository.forget_plant_config())
            audit_cli_act(repository, "plant.config.forgotten", "",
                          {{"command", std::string(command)}});
        return;
    }
    const auto refresh = refresh_from_plant(repository, *station.plant_url, test_connect_timeout);
    if (refresh.reached)
        return;
    spdlog::warn("{}: {}", command, refresh.problem);
    if (refresh.cache) {
        fmt::print(stderr,
                   "mpobench {}: parts, limits and users not taken from the plant ({}); testing "
                   "with those fetched {}\n",
                   command, refresh.problem, iso_utc(refresh.cache->fetched_at));
    } else {
        fmt::print(stderr,
                   "mpobench {}: parts, limits and users not taken from the plant ({}), never "
                   "yet at this station: testing with the station's own\n",
                   command, refresh.problem);
    }
}

acquisition::PartCatalogue catalogue_in_use(const db::Repository& repository,
                                            const std::filesystem::path& parts_option) {
    if (!parts_option.empty())
        return acquisition::load_part_catalogue(parts_option);
    if (const auto cache = repository.plant_config(); cache && cache->parts) {
        return acquisition::parse_part_catalogue(
            cache->parts->body,
            fmt::format("the part catalogue {} of plant {}", cache->parts->id, cache->plant));
    }
    return acquisition::load_part_catalogue(acquisition::default_part_catalogue_path());
}

std::string plant_config_text(const db::PlantConfigCache& cache) {
    const std::string parts =
        cache.parts ? fmt::format("part catalogue {} published by {} {}", cache.parts->id,
                                  cache.parts->published_by, iso_utc(cache.parts->published_at))
                    : std::string("no part catalogue (the station's own)");
    const std::string limits =
        cache.limits
            ? fmt::format("limit set {} ('{}' {}) activated by {} {}", cache.limits->limit_set.id,
                          cache.limits->limit_set.name, cache.limits->limit_set.version,
                          *cache.limits->activated_by, iso_utc(*cache.limits->activated_at))
            : std::string("no limit set (the station's own)");
    return fmt::format("from plant {}, fetched {}: {}; {}; {} users", cache.plant,
                       iso_utc(cache.fetched_at), parts, limits, cache.users);
}

}  // namespace mpobench::app
