#pragma once
// Results pushed to the plant's MES (station file [mes], README "Pushing
// results to the MES"): every ended run of the outbox, in the order runs
// ended, as an HTTP POST — the plant payload as JSON, or an IPC-CFX
// UnitsTested message — retried until the MES answers 2xx. The same
// forwarders that feed the plant push it; acknowledgements are kept apart
// from the plant's.

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "acquisition/station.hpp"
#include "db/repository.hpp"

namespace mpobench::app {

struct MesEndpoint {
    std::string host;
    std::string port = "80";
    std::string target = "/";  // path and query
    std::string text;          // as the station file gives it
};

enum class MesFormat { Mpobench, IpcCfx };

struct MesSettings {
    MesEndpoint endpoint;
    MesFormat format = MesFormat::Mpobench;
    std::chrono::milliseconds timeout{5000};
};

// "http://host[:port][/path]"; throws UsageError naming what is wrong.
MesEndpoint parse_mes_url(const std::string& url);

// The station file's [mes], checked; nullopt: the station has no MES.
std::optional<MesSettings> mes_of(const acquisition::StationConfig& station);

// The IPC-CFX message CFX.Production.TestAndInspection.UnitsTested for one
// plant payload (form 1 or 2): one test per launched end and wavelength, an IL and
// an RL measurement per fibre, the unit's overall result.
nlohmann::json cfx_units_tested(const nlohmann::json& payload);

struct MesReport {
    int acknowledged = 0;
    // Why pushing stopped (unreachable, a non-2xx answer, a timeout); the
    // run it stopped at and those after it wait.
    std::optional<std::string> problem;
};

// Pushes every run the MES has not acknowledged, oldest first, until one is
// not acknowledged. Throws db::DatabaseError.
MesReport push_outbox_to_mes(db::Repository& repository, const MesSettings& mes);

}  // namespace mpobench::app
