#pragma once
// What the benchmarks share: nearest-rank statistics of timings, and the
// readings and instruments of a plausible production bench for their records.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <random>
#include <stdexcept>
#include <vector>

#include "analysis/grading.hpp"
#include "vocabulary/run_record.hpp"

namespace mpobench::bench {

struct Summary {
    double median = 0.0, p95 = 0.0, max = 0.0;
};

// Nearest-rank percentiles of `values` (at least one).
inline Summary summarise(std::vector<double> values) {
    if (values.empty())
        throw std::invalid_argument("summarise: no values");
    std::sort(values.begin(), values.end());
    const auto rank = [&](double fraction) {
        const auto index =
            static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(values.size())));
        return values[std::max<std::size_t>(index, 1) - 1];
    };
    return {rank(0.5), rank(0.95), values.back()};
}

// The launch power of the sample references (dBm at each detector).
inline constexpr double kLaunchPowerDbm = -3.1;

// The readings of one well-made Elite assembly in the order the sweep takes
// them (end, wavelength, fibre): IL lognormal around 0.13 dB per mated pair,
// slightly lower at 1550 nm; RL around 70.5 dB (APC).
inline std::vector<Measurement> elite_readings(const Part& part, TimePoint started_at,
                                               std::mt19937_64& random) {
    std::normal_distribution<double> unit_normal(0.0, 1.0);
    const double build = std::exp(0.2 * unit_normal(random));
    std::vector<Measurement> measurements;
    TimePoint taken_at = started_at + std::chrono::seconds{15};
    for (const End end : {End::A, End::B}) {
        const auto far_positions = analysis::expected_far_positions(part, end);
        std::vector<double> fibre_il_db(static_cast<std::size_t>(part.fibers));
        for (auto& il_db : fibre_il_db) {
            il_db = 0.13 * build * std::exp(0.3 * unit_normal(random));
        }
        for (std::size_t w = 0; w < part.wavelengths_nm.size(); ++w) {
            for (int fiber = 1; fiber <= part.fibers; ++fiber) {
                Measurement m;
                m.end = end;
                m.fiber = fiber;
                m.wavelength_nm = part.wavelengths_nm[w];
                m.far_position = far_positions[static_cast<std::size_t>(fiber - 1)];
                const double il_db =
                    fibre_il_db[static_cast<std::size_t>(fiber - 1)] * (w == 0 ? 1.0 : 0.92) +
                    0.004 * unit_normal(random);
                m.il_db = std::round(std::max(il_db, 0.0) * 1000.0) / 1000.0;
                m.rl_db = std::round((70.5 + 1.5 * unit_normal(random)) * 100.0) / 100.0;
                m.power_dbm = std::round((kLaunchPowerDbm - *m.il_db) * 1000.0) / 1000.0;
                m.taken_at = taken_at;
                taken_at += std::chrono::milliseconds{1100};
                measurements.push_back(m);
            }
        }
    }
    return measurements;
}

// Source, RL module, switch and meter on the LAN, calibrated.
inline std::vector<InstrumentRecord> production_bench_instruments() {
    return {
        {"source", InstrumentRole::LightSource, "keysight_8165x", "TCPIP0::10.0.0.10::5025::SOCKET",
         "Keysight", "81657A", "DE51001", "2.1.4", "2027-06-30"},
        {"rl", InstrumentRole::ReturnLossMeter, "keysight_81610a",
         "TCPIP0::10.0.0.10::5025::SOCKET", "Keysight", "81610A", "DE52001", "2.1.4", "2027-06-30"},
        {"switch", InstrumentRole::OpticalSwitch, "keysight_n773x",
         "TCPIP0::10.0.0.11::5025::SOCKET", "Keysight", "N7734A", "MY53001", "1.3.0", "2027-03-31"},
        {"meter", InstrumentRole::PowerMeter, "keysight_n774x", "TCPIP0::10.0.0.12::5025::SOCKET",
         "Keysight", "N7745C", "MY54001", "1.4.2", "2027-03-31"},
    };
}

}  // namespace mpobench::bench
