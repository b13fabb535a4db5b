#pragma once
// Reading the plant database (PostgreSQL): a serial's history across the
// stations, the runs one station forwarded, and a run's forwarded payload.
// The connection, its password check and its errors are db/plant.hpp's.
// README: "Reading the plant: history, certificates, verify".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/plant.hpp"
#include "db/repository.hpp"

namespace mpobench::db::plant {

// Does a --db value name the plant (a postgresql:// or postgres:// URL, or
// a libpq conninfo given as such) rather than a station's SQLite file?
bool is_plant_url(std::string_view db_option);

// One run as the plant holds it.
struct PlantRun {
    std::string uuid;
    std::string station_uuid;
    // The run as history shows it; summary.id is the run's id at its station
    // (station_run_id), so the plant lists the numbers the station does.
    RunSummary summary;
    std::optional<std::string> record_hash;  // none for an aborted run
    std::optional<int> record_hash_version;
    int payload_version = 0;
};

class Reader {
  public:
    // url, timeouts: as for Connection (no password); throws what
    // Connection throws.
    explicit Reader(const std::string& url,
                    std::chrono::seconds connect_timeout = std::chrono::seconds(10),
                    std::optional<std::chrono::milliseconds> answer_timeout = std::nullopt);

    std::string describe() const;

    // Every run of a serial in the plant, oldest first (started_at, then
    // station UUID and station run id). station: a station name (as its
    // runs record it) or a station UUID; empty: every station.
    std::vector<PlantRun> history(const std::string& serial, const std::string& station) const;
    // The runs a filter selects, oldest first (as history orders them); its
    // station is a station name or UUID.
    std::vector<PlantRun> find_runs(const RunFilter& filter) const;
    // The newest `count` runs a filter selects, narrowed further, oldest
    // first: what a page of runs shows of millions.
    struct Narrowing {
        std::optional<bool> completed_pass;  // completed runs that passed (true) or failed
        std::optional<Grade> grade;
    };
    std::vector<PlantRun> newest_runs(const RunFilter& filter, const Narrowing& narrowing,
                                      std::size_t count) const;
    // The production runs of these serials, oldest first (as history).
    std::vector<PlantRun> production_histories(const std::vector<std::string>& serials) const;
    // The run with this UUID; nullopt: none (or not a UUID).
    std::optional<PlantRun> run(const std::string& run_uuid) const;
    // Every run a station database forwarded, by its station run id.
    std::vector<PlantRun> station_runs(const std::string& station_uuid) const;
    // The runs whose record hash is this one (lower-case hex).
    std::vector<PlantRun> with_record_hash(const std::string& record_hash) const;
    // The payload (JSON text) the plant holds for a run UUID; nullopt: none.
    std::optional<std::string> payload(const std::string& run_uuid) const;

  private:
    Connection connection_;
};

}  // namespace mpobench::db::plant
