#pragma once
// How the station file describes one instrument to the drivers.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "drivers/resource.hpp"
#include "vocabulary/run_record.hpp"

namespace mpobench::drivers {

// The roles are the vocabulary's (a run record names them too).
using Role = InstrumentRole;

struct InstrumentConfig {
    std::string name;  // station-file key, e.g. "meter"
    Role role = Role::PowerMeter;
    std::string model;     // driver key, e.g. "keysight-n7745", "thorlabs-pm100"
    std::string resource;  // VISA resource string
    TransportOptions transport;
    std::string write_terminator = "\n";
    std::string read_terminator = "\n";
    std::chrono::milliseconds timeout{2000};
    int channels = 0;  // multi-port meters / switch ports; 0 = ask the model
    std::optional<std::string> calibration_due;  // ISO date, YYYY-MM-DD
    // Where a power meter sits on the bench (the bench reads these; drivers
    // ignore them). far_positions: the far-end positions its channels 1, 2,
    // ... serve, in channel order (station file far_positions); empty = not
    // given. monitor: it taps the source (station file monitor = true).
    std::vector<int> far_positions;
    bool monitor = false;
};

}  // namespace mpobench::drivers
