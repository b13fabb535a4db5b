#pragma once
// The station file (TOML): which instruments a bench has, where they are,
// how to talk to them, and the station's own rules. README.md documents it.

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "acquisition/label_printer.hpp"
#include "drivers/instrument_config.hpp"

namespace mpobench::acquisition {

// How the bench asks for physical steps (connect the reference, flip the
// assembly, re-mate): a person at the console, or the simulator's operator
// channel.
struct OperatorConfig {
    // Web: the prompts go to the station's web page (mpobench serve); with a
    // resource, the page's Done also drives the simulator's operator there
    // (the simulated bench under the web UI).
    enum class Kind { Console, Simulated, Web };
    Kind kind = Kind::Console;
    std::string
        resource;  // Simulated (required), Web (optional): VISA resource of the operator channel
    std::chrono::milliseconds timeout{30000};
    // [operator] name: who is recorded when no --operator is given and the
    // station does not require one (the simulated bench names its operator).
    std::string name;
};

// A patch cord in the measurement path. Its connectors wear with every plug
// the bench asks for; past its mating limit it no longer measures like the
// cord the reference was taken with.
struct CordConfig {
    enum class Role {
        Launch,   // source side: the reference plugs it into the meter, the DUT into it
        Receive,  // meter side: the DUT's far end plugs into it
    };
    std::string id;  // as labelled on the cord
    Role role = Role::Launch;
    int mating_limit = 0;  // tests refused (exit 4) from this many matings on
    int warn_matings = 0;  // warned from this many (default: 90 % of the limit)
};

std::string_view to_string(CordConfig::Role role);      // "launch", "receive"
std::string_view to_string(OperatorConfig::Kind kind);  // "console", "simulated", "web"

struct StationConfig {
    std::string name = "station";
    int mated_pairs = 1;              // mated pairs contained in the measured IL
    int reference_max_age_min = 240;  // a reference older than this refuses a test
    // Retries of idempotent queries after transient faults (lost or garbled
    // replies) one run may spend across all its instruments.
    int retry_budget = 50;
    // [station] max_monitor_drift_db: the tap monitor's drift since the
    // reference (fresh reading minus the reference's, at the run's first
    // wavelength) beyond which a test is refused (take a new reference).
    // 0.1 dB: a laser source holds its power to a few thousandths of a dB
    // over a shift; ten times that is a source to look at, not to correct.
    double max_monitor_drift_db = 0.10;
    // [station] require_operator: every run must name its operator
    // (--operator). Unset: required when a person at the console does the
    // steps, not when the simulated operator does (requires_operator()).
    std::optional<bool> require_operator;
    std::vector<drivers::InstrumentConfig> instruments;  // in file order
    OperatorConfig operator_channel;
    std::vector<CordConfig> cords;  // [[cords]], in file order; at most one launch cord
    // [label] printer: where the bag label of each passing assembly goes;
    // none, no label is printed.
    std::optional<LabelDestination> label_printer;
    // [plant] url: the plant database ended runs are forwarded to (a libpq
    // connection string; the password never here); none, runs stay local.
    std::optional<std::string> plant_url;
    // [plant] retry_interval_s: how long `mpobench serve`'s forwarder waits
    // after the plant was unreachable before it tries again.
    int plant_retry_interval_s = 30;
    // [mes] url: where each ended run is pushed (HTTP POST, retried until a
    // 2xx answer), format: "mpobench" (the plant payload) or "ipc-cfx" (an
    // IPC-CFX UnitsTested message), timeout_ms: per attempt.
    std::optional<std::string> mes_url;
    std::string mes_format = "mpobench";
    int mes_timeout_ms = 5000;
    // [mes] interlock_url: asked before each test whether the serial may be
    // tested here; interlock_unreachable: "refuse" (default) or "allow" when
    // the MES cannot be asked.
    std::optional<std::string> mes_interlock_url;
    bool mes_allow_when_unreachable = false;
    std::filesystem::path source_path;  // where it was loaded from, for messages

    const drivers::InstrumentConfig* find(std::string_view name) const;
    const CordConfig* launch_cord() const;  // nullptr: none named
    bool requires_operator() const {
        return require_operator.value_or(operator_channel.kind == OperatorConfig::Kind::Console);
    }
};

// A role as the station file writes it: "power_meter", "light_source",
// "optical_switch", "return_loss_meter".
std::string_view role_key(drivers::Role role);

// Throws StationFileError naming the file, the key and the line.
StationConfig load_station(const std::filesystem::path& path);
StationConfig parse_station(std::string_view toml_text, const std::filesystem::path& source_name);
std::string format_station(const StationConfig& station);
void save_station(const StationConfig& station, const std::filesystem::path& path);

class StationFileError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

}  // namespace mpobench::acquisition
