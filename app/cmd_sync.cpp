// `mpobench sync` and `mpobench plant init`: the station's outbox forwarded
// to the plant database (PostgreSQL), one record per transaction, and the
// plant schema created (db/plant.sql). README: "The plant database".

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <vector>

#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/forwarder.hpp"
#include "app/guarded.hpp"
#include "app/mes.hpp"
#include "app/plant_config.hpp"
#include "app/plant_source.hpp"
#include "app/run_json.hpp"
#include "db/plant.hpp"

namespace mpobench::app {

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

namespace {

// The plant's part of a sync: forwards, reports, and returns the exit code.
int sync_plant(db::Repository& repository, const SyncOptions& options, const std::string& url) {
    const auto report = forward_outbox(repository, url);
    const int forwarded = report.stored + report.present;
    if (options.background) {
        // Its stdout is /dev/null: what it did goes to the log.
        if (forwarded > 0) {
            spdlog::info("plant {}: {} runs of {} forwarded ({} already there)", report.plant,
                         forwarded, options.db.string(), report.present);
        }
        if (report.unreachable) {
            spdlog::warn("plant forwarder: {}; {} runs of {} wait", *report.unreachable,
                         report.left.waiting, options.db.string());
        }
        for (const auto& run : report.refused) {
            spdlog::error("plant forwarder: run {} ({}) of {} refused: {}", run.run_id,
                          run.run_uuid, options.db.string(), run.reason);
        }
    } else if (forwarded == 0 && report.refused.empty() && !report.unreachable) {
        fmt::print("sync: nothing waiting; every ended run of {} is in the plant\n",
                   options.db.string());
    } else if (forwarded > 0) {
        fmt::print("sync: {} runs forwarded to plant {} ({} stored, {} already there)\n", forwarded,
                   report.plant, report.stored, report.present);
    }
    if (report.unreachable) {
        if (!options.background) {
            fmt::print(stderr,
                       "mpobench sync: {}\nmpobench sync: {} runs wait in the outbox of {} "
                       "since {}; nothing is lost, run sync again when the plant is back\n",
                       *report.unreachable, report.left.waiting, options.db.string(),
                       iso_utc(*report.left.oldest_waiting_since));
        }
        return static_cast<int>(kAborted);
    }
    if (!report.refused.empty()) {
        if (!options.background) {
            std::vector<std::string> uuids;
            for (const auto& run : report.refused) {
                fmt::print(stderr, "mpobench sync: run {} ({}): {}\n", run.run_id, run.run_uuid,
                           run.reason);
                uuids.push_back(run.run_uuid);
            }
            fmt::print(stderr,
                       "mpobench sync: {} runs refused by the plant (it holds their UUID "
                       "with another payload); they stay in the outbox: {}\n",
                       report.refused.size(), fmt::join(uuids, ", "));
        }
        return static_cast<int>(kRefused);
    }
    return static_cast<int>(kPassed);
}

// The MES's part: pushes until one is not acknowledged.
int sync_mes(db::Repository& repository, const SyncOptions& options, const MesSettings& mes) {
    const auto report = push_outbox_to_mes(repository, mes);
    const auto waiting = repository.outbox_summary().mes_waiting;
    if (options.background) {
        if (report.acknowledged > 0) {
            spdlog::info("MES {}: {} runs of {} acknowledged", mes.push->text, report.acknowledged,
                         options.db.string());
        }
        if (report.problem) {
            spdlog::warn("MES pusher: {}; {} runs of {} wait", *report.problem, waiting,
                         options.db.string());
        }
    } else {
        fmt::print("sync: {} runs acknowledged by the MES {}, {} waiting\n", report.acknowledged,
                   mes.push->text, waiting);
        if (report.problem) {
            fmt::print(stderr, "mpobench sync: {}; {} runs wait for the MES, nothing is lost\n",
                       *report.problem, waiting);
        }
    }
    return static_cast<int>(report.problem ? kAborted : kPassed);
}

int sync_station(const SyncOptions& options) {
    std::string url = options.url;
    std::optional<MesSettings> mes;
    std::optional<std::string> station_plant;  // the station file's [plant] url
    if (!options.station_file.empty()) {
        const auto station = acquisition::load_station(options.station_file);
        const auto configured = plant_url_of(station);
        mes = mes_of(station);
        if (!configured && !(mes && mes->push) && url.empty()) {
            throw UsageError(
                fmt::format("{}: names no plant ([plant] url) and no MES ([mes] "
                            "url); give --to URL",
                            options.station_file.string()));
        }
        if (url.empty() && configured)
            url = *configured;
        station_plant = configured;
    }
    if (url.empty() && !(mes && mes->push))
        throw UsageError("give the plant: --to URL, or --station FILE with [plant] url");
    if (!url.empty())
        db::plant::check_connection_string(url);
    if (!std::filesystem::exists(options.db)) {
        throw UsageError(fmt::format("{}: no such station database", options.db.string()));
    }
    // The background forwarder waits its turn; by hand, too: two drains
    // of one outbox at once would send the same runs twice.
    const ForwardLock forwarding(options.db);
    db::Repository repository(options.db);
    const int plant_code =
        url.empty() ? static_cast<int>(kPassed) : sync_plant(repository, options, url);
    const int mes_code =
        mes && mes->push ? sync_mes(repository, options, *mes) : static_cast<int>(kPassed);
    // The station's own plant (not another one --to names): its parts,
    // limits and users, taken now that it is reachable.
    if (station_plant && *station_plant == url && plant_code == static_cast<int>(kPassed)) {
        const auto refresh = refresh_from_plant(repository, url, std::chrono::seconds(10));
        if (!options.background) {
            if (refresh.reached && refresh.cache)
                fmt::print("parts, limits and users {}\n", plant_config_text(*refresh.cache));
            else
                fmt::print(stderr, "mpobench sync: parts, limits and users not taken: {}\n",
                           refresh.problem);
        }
        if (!refresh.reached)
            return static_cast<int>(kAborted);
    }
    return std::max(plant_code, mes_code);
}

}  // namespace

int run_sync(const SyncOptions& options) {
    return plant_guarded("sync", [&] {
        try {
            return sync_station(options);
        } catch (const std::exception& error) {
            // The background forwarder's stderr is /dev/null: its failure
            // goes to the log as well.
            if (options.background)
                spdlog::error("forwarder of {}: {}", options.db.string(), error.what());
            throw;
        }
    });
}

}  // namespace mpobench::app
