#pragma once
// A sample production run as it is begun (who, what, with which
// instruments) and sample readings, for tests of anything that consumes a
// RunRecord. Vocabulary only: analysis tests use it without the db.

#include <chrono>
#include <cstdint>
#include <string>

#include "vocabulary/run_record.hpp"

namespace mpobench::testing {

// Whole milliseconds: the precision the store keeps.
inline TimePoint at_ms(std::int64_t milliseconds_since_epoch) {
    return TimePoint{std::chrono::milliseconds{milliseconds_since_epoch}};
}

// An Ok reading whose values follow from the fibre, so each one differs.
inline Measurement measurement(End end, int fiber, int wavelength_nm, int cycle,
                               std::int64_t taken_ms) {
    Measurement m;
    m.end = end;
    m.fiber = fiber;
    m.wavelength_nm = wavelength_nm;
    m.cycle = cycle;
    m.status = ReadingStatus::Ok;
    m.far_position = 13 - fiber;
    m.power_dbm = -3.25 - 0.01 * fiber;
    m.il_db = 0.1 + 0.001 * fiber;
    m.rl_db = 65.5 + 0.1 * fiber;
    m.taken_at = at_ms(taken_ms);
    return m;
}

// A 12-fibre SM type B part with target Elite, on bench-1 by ada with a
// source and a meter; no results yet.
inline RunRecord new_run(const std::string& serial, TimePoint started_at) {
    RunRecord run;
    run.kind = RunKind::Production;
    run.serial = serial;
    run.part.number = "MTP12-SM-B-3M";
    run.part.description = "MTP 12F SM APC type B, 3 m";
    run.part.fibers = 12;
    run.part.mode = FiberMode::SM;
    run.part.polarity = PolarityType::B;
    run.part.target = Grade::Elite;
    run.part.length_m = 3.0;
    run.part.wavelengths_nm = {1310, 1550};
    run.part.mating_cycles = 2;
    run.station = "bench-1";
    run.operator_name = "ada";
    run.software_version = "0.1.0-test";
    run.started_at = started_at;
    run.instruments = {
        {"source", InstrumentRole::LightSource, "keysight_8165x", "TCPIP0::127.0.0.1::5025::SOCKET",
         "Keysight", "81657A", "DE1234", "1.2.3", "2027-03-01"},
        {"meter", InstrumentRole::PowerMeter, "keysight_n774x", "ASRL/dev/ttyUSB0::INSTR",
         "Keysight", "N7745C", "MY5678", "4.5", ""},
    };
    return run;
}

inline RunRecord new_run(const std::string& serial, std::int64_t started_ms) {
    return new_run(serial, at_ms(started_ms));
}

}  // namespace mpobench::testing
