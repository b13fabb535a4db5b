// `mpobench sync` and `mpobench plant init`: the station's outbox forwarded
// to the plant database (PostgreSQL), one record per transaction, and the
// plant schema created (db/plant.sql). README: "The plant database".

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include <vector>

#include "analysis/limits.hpp"
#include "analysis/record_hash.hpp"
#include "app/commands.hpp"
#include "app/guarded.hpp"
#include "app/run_json.hpp"
#include "db/plant.hpp"

namespace mpobench::app {

namespace {

// Payload form 1 (db/plant.sql): the run as `test --json` writes it, with
// its identities and its record hash.
nlohmann::json plant_payload(const db::Repository& repository, const db::OutboxEntry& entry) {
    const auto run = repository.run(entry.run_id);
    if (!run) {
        throw db::DatabaseError(
            fmt::format("run {} is in the outbox but not in the database", entry.run_id));
    }
    const auto record_hash = repository.record_hash(entry.run_id);
    return {{"payload_version", 1},
            {"uuid", entry.run_uuid},
            {"station_uuid", repository.station_uuid()},
            {"station_run_id", entry.run_id},
            {"record_hash", record_hash ? nlohmann::json(*record_hash) : nlohmann::json(nullptr)},
            {"record_hash_version",
             record_hash ? nlohmann::json(analysis::kRecordHashVersion) : nlohmann::json(nullptr)},
            {"run", run_to_json(*run)}};
}

// Plant failures: unreachable (or lost mid-way) and other faults are 3, a
// refused record 4, a connection string holding a password 2.
template <typename Body>
int plant_guarded(std::string_view command, Body body) {
    return guarded(command, [&] {
        try {
            return body();
        } catch (const db::plant::PlantUrlError& error) {
            throw UsageError(error.what());
        }
    });
}

}  // namespace

int run_plant_init(const PlantInitOptions& options) {
    return plant_guarded("plant init", [&] {
        db::plant::Connection plant(options.url);
        plant.apply_schema();
        fmt::print(
            "plant {}: schema mpobench, function mpobench.mpobench_forward and roles "
            "mpobench_station, mpobench_qa are in place\n",
            plant.describe());
        return static_cast<int>(kPassed);
    });
}

int run_sync(const SyncOptions& options) {
    return plant_guarded("sync", [&] {
        if (!std::filesystem::exists(options.db)) {
            throw UsageError(fmt::format("{}: no such station database", options.db.string()));
        }
        db::Repository repository(options.db);
        const auto waiting = repository.outbox_waiting();
        if (waiting.empty()) {
            fmt::print("sync: nothing waiting; every ended run of {} is in the plant\n",
                       options.db.string());
            return static_cast<int>(kPassed);
        }
        const auto wait_message = [&](std::size_t left) {
            return fmt::format(
                "{} runs wait in the outbox of {} since {}; nothing is lost, run "
                "sync again when the plant is back",
                left, options.db.string(), iso_utc(waiting.front().queued_at));
        };
        std::unique_ptr<db::plant::Connection> plant;
        try {
            plant = std::make_unique<db::plant::Connection>(options.url);
        } catch (const db::plant::PlantUnreachable& error) {
            fmt::print(stderr, "mpobench sync: {}\nmpobench sync: {}\n", error.what(),
                       wait_message(waiting.size()));
            return static_cast<int>(kAborted);
        }
        int stored = 0, present = 0;
        std::vector<std::string> refused;
        for (std::size_t i = 0; i < waiting.size(); ++i) {
            const auto& entry = waiting[i];
            // Built once and kept: a replay sends the same bytes.
            std::string payload = entry.payload;
            std::string payload_hash = entry.payload_sha256;
            if (payload.empty()) {
                payload = json_text(plant_payload(repository, entry));
                payload_hash = analysis::sha256_hex(payload);
                repository.keep_outbox_payload(entry.run_id, payload, payload_hash);
            }
            try {
                const auto outcome = plant->forward(payload, payload_hash);
                (outcome == db::plant::Forwarded::Stored ? stored : present) += 1;
            } catch (const db::plant::PlantUnreachable& error) {
                fmt::print(stderr, "mpobench sync: {}\nmpobench sync: {}\n", error.what(),
                           wait_message(waiting.size() - i + refused.size()));
                return static_cast<int>(kAborted);
            } catch (const db::plant::PlantRefused& error) {
                fmt::print(stderr, "mpobench sync: run {} ({}): {}\n", entry.run_id, entry.run_uuid,
                           error.what());
                refused.push_back(entry.run_uuid);
                continue;
            }
            repository.mark_forwarded(entry.run_id);
        }
        fmt::print("sync: {} runs forwarded to plant {} ({} stored, {} already there)\n",
                   stored + present, plant->describe(), stored, present);
        if (!refused.empty()) {
            fmt::print(stderr,
                       "mpobench sync: {} runs refused by the plant (it holds their UUID with "
                       "another payload); they stay in the outbox: {}\n",
                       refused.size(), fmt::join(refused, ", "));
            return static_cast<int>(kRefused);
        }
        return static_cast<int>(kPassed);
    });
}

}  // namespace mpobench::app
