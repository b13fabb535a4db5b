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
#include "vocabulary/run_record.hpp"

namespace mpobench::app {

struct MesEndpoint {
    std::string host;
    std::string port = "80";
    std::string target = "/";  // path and query
    std::string text;          // as the station file gives it
};

enum class MesFormat { Mpobench, IpcCfx };

struct MesSettings {
    std::optional<MesEndpoint> push;  // [mes] url: results pushed there
    MesFormat format = MesFormat::Mpobench;
    std::optional<MesEndpoint> interlock;  // [mes] interlock_url: asked before each test
    bool allow_when_unreachable = false;   // [mes] interlock_unreachable = "allow"
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

// What the interlock is asked before a test.
struct InterlockQuestion {
    std::string serial, part, station, station_uuid, operator_name, work_order;
};

// Asks the interlock whether the serial may be tested here: a POST of the
// question as JSON, answered 2xx with {"allow": true|false, "reason": "…"}.
// Returns what the run records ("allowed by the MES …", or the site policy's
// words when the MES could not be asked and the policy allows). Throws
// acquisition::Refused with the MES's reason for a "no", or when the MES
// cannot be asked (unreachable, timeout, another status, an answer that is
// not that JSON) and the policy refuses.
std::string ask_mes_interlock(const MesSettings& mes, const InterlockQuestion& question);

// The station's interlock asked for a test of `serial` (ask_mes_interlock);
// "" when the station has no interlock.
std::string mes_interlock_for(const acquisition::StationConfig& station,
                              const db::Repository& repository, const std::string& serial,
                              const Part& part, const std::string& operator_name,
                              const std::string& work_order);

// Pushes every run the MES has not acknowledged, oldest first, until one is
// not acknowledged. Throws db::DatabaseError.
MesReport push_outbox_to_mes(db::Repository& repository, const MesSettings& mes);

}  // namespace mpobench::app
