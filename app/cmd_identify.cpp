// `mpobench identify`: *IDN? every instrument of a station and check each
// is the model the station file says.

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <future>
#include <nlohmann/json.hpp>

#include "acquisition/station.hpp"
#include "acquisition/station_lock.hpp"
#include "app/commands.hpp"
#include "app/exit_codes.hpp"
#include "app/forwarder.hpp"
#include "app/guarded.hpp"
#include "app/mes.hpp"
#include "app/plant_config.hpp"
#include "app/run_json.hpp"
#include "app/station_session.hpp"
#include "app/test_flow.hpp"
#include "drivers/errors.hpp"
#include "drivers/registry.hpp"
#include "vocabulary/logger.hpp"

namespace mpobench::app {
namespace {

enum class Status { Ok, WrongModel, Unreachable, CalibrationOverdue };

struct Row {
    std::string name, role, model_key, resource;
    drivers::Identity identity;
    std::string calibration_due;
    Status status = Status::Ok;
    std::string problem;
};

Row identify_instrument(const drivers::InstrumentConfig& config, drivers::SessionPool& pool,
                        const std::string& today) {
    Row row{config.name, std::string(to_string(config.role)), config.model, config.resource,
            {},          config.calibration_due.value_or(""), Status::Ok,   ""};
    try {
        auto instrument = drivers::make_instrument(config, &pool);
        row.identity = instrument->identify();
        if (!instrument->accepts(row.identity)) {
            row.status = Status::WrongModel;
            row.problem = fmt::format("station file says {} but the instrument is a {} {}",
                                      config.model, row.identity.vendor, row.identity.model);
        } else if (!row.calibration_due.empty() && row.calibration_due < today) {
            row.status = Status::CalibrationOverdue;
            row.problem = fmt::format("calibration was due {}", row.calibration_due);
        }
    } catch (const drivers::InstrumentError& error) {
        row.status = error.kind() == drivers::ErrorKind::Configuration ? Status::WrongModel
                                                                       : Status::Unreachable;
        row.problem = error.what();
    }
    return row;
}

Row identify_operator_channel(const acquisition::OperatorConfig& op) {
    drivers::InstrumentConfig config;
    config.name = "operator";
    config.resource = op.resource;
    Row row{"operator", "operator channel", "simulated", op.resource, {}, "", Status::Ok, ""};
    try {
        auto session = drivers::make_session(config);
        row.identity = session->identify();
    } catch (const drivers::InstrumentError& error) {
        row.status = Status::Unreachable;
        row.problem = error.what();
    }
    return row;
}

std::string_view status_text(Status status) {
    switch (status) {
        case Status::Ok:
            return "ok";
        case Status::WrongModel:
            return "WRONG MODEL";
        case Status::Unreachable:
            return "UNREACHABLE";
        case Status::CalibrationOverdue:
            return "CAL OVERDUE";
    }
    return "?";
}

// Columns as wide as their widest cell, two spaces apart.
void print_table(const std::vector<std::vector<std::string>>& table) {
    std::vector<std::size_t> widths(table.front().size(), 0);
    for (const auto& line : table) {
        for (std::size_t column = 0; column < line.size(); ++column) {
            widths[column] = std::max(widths[column], line[column].size());
        }
    }
    for (const auto& line : table) {
        std::string text;
        for (std::size_t column = 0; column < line.size(); ++column) {
            text += column + 1 == line.size()
                        ? line[column]
                        : fmt::format("{:<{}}  ", line[column], widths[column]);
        }
        fmt::print("{}\n", text);
    }
}

// "plant: N runs waiting since …" for a station with a plant, "mes: N runs
// waiting" for one with an MES: the outbox of its database, read without
// creating one.
void print_forwarding(const std::filesystem::path& db_option, bool has_plant, bool has_mes) {
    const auto db = database_path(db_option);
    std::error_code error;
    if (!std::filesystem::is_regular_file(db, error)) {
        fmt::print("plant/MES: no station database at {} yet\n", db.string());
        return;
    }
    const auto repository = open_database_for_reading(db_option);
    const auto outbox = repository.outbox_summary();
    if (has_plant) {
        fmt::print("{}\n", plant_status_text(outbox));
        const auto config = repository.plant_config();
        fmt::print("parts, limits and users: {}\n",
                   config ? plant_config_text(*config)
                          : std::string("never taken from the plant yet (the station's own)"));
    }
    if (has_mes)
        fmt::print("mes: {} runs waiting for the MES's acknowledgement\n", outbox.mes_waiting);
}

int identify_station(const IdentifyOptions& options) {
    const auto station = acquisition::load_station(options.station_file);
    const bool has_plant = plant_url_of(station).has_value();
    const auto mes = mes_of(station);
    const bool has_mes = mes && mes->push;
    // A bench in the middle of a procedure is not disturbed: busy, exit 4
    // (acquisition::StationBusy). Held while asking, so no procedure
    // starts half-way through.
    acquisition::BenchHolder holder;
    holder.procedure = "identify";
    holder.operator_name = login_name();
    const acquisition::StationLock lock(station, holder);
    const auto today = today_iso();
    // Instruments answer independently; ask them all at once so an
    // unreachable one costs its timeout once, not once per row. Modules of
    // one mainframe share its connection and take turns on it.
    drivers::SessionPool pool;
    std::vector<std::future<Row>> pending;
    for (const auto& config : station.instruments) {
        pending.push_back(std::async(std::launch::async, identify_instrument, std::cref(config),
                                     std::ref(pool), today));
    }
    if (station.operator_channel.kind == acquisition::OperatorConfig::Kind::Simulated) {
        pending.push_back(std::async(std::launch::async, identify_operator_channel,
                                     std::cref(station.operator_channel)));
    }
    std::vector<Row> rows;
    for (auto& future : pending)
        rows.push_back(future.get());

    // The worst finding decides: unreachable, then wrong model, then calibration.
    const auto any = [&](Status status) {
        return std::any_of(rows.begin(), rows.end(),
                           [&](const Row& row) { return row.status == status; });
    };
    const int code = any(Status::Unreachable)          ? kAborted
                     : any(Status::WrongModel)         ? kBadInput
                     : any(Status::CalibrationOverdue) ? kRefused
                                                       : kPassed;

    if (options.json) {
        auto out = nlohmann::json::array();
        for (const auto& row : rows) {
            out.push_back({{"name", row.name},
                           {"role", row.role},
                           {"model_key", row.model_key},
                           {"resource", row.resource},
                           {"vendor", row.identity.vendor},
                           {"model", row.identity.model},
                           {"serial", row.identity.serial},
                           {"firmware", row.identity.firmware},
                           {"calibration_due", row.calibration_due},
                           {"status", status_text(row.status)},
                           {"problem", row.problem}});
        }
        fmt::print("{}\n", json_text(out));
        return code;
    }

    fmt::print("station {} ({})\n", station.name, options.station_file.string());
    std::vector<std::vector<std::string>> table = {
        {"NAME", "ROLE", "RESOURCE", "VENDOR", "MODEL", "SERIAL", "FIRMWARE", "CAL DUE", "STATUS"}};
    for (const auto& row : rows) {
        table.push_back({row.name, row.role, row.resource, row.identity.vendor, row.identity.model,
                         row.identity.serial, row.identity.firmware,
                         row.calibration_due.empty() ? "-" : row.calibration_due,
                         std::string(status_text(row.status))});
    }
    print_table(table);
    if (has_plant || has_mes)
        print_forwarding(options.db, has_plant, has_mes);
    for (const auto& row : rows) {
        if (row.status != Status::Ok)
            fmt::print(stderr, "{}: {}\n", row.name, row.problem);
    }
    return code;
}

}  // namespace

int run_identify(const IdentifyOptions& options) {
    return guarded("identify", [&] { return identify_station(options); });
}

}  // namespace mpobench::app
