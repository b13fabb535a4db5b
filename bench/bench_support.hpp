#pragma once
// What the benchmarks share: nearest-rank statistics of timings and the
// instruments of a plausible production bench for the records they make.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <vector>

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

// Source, RL module, switch and meter on the LAN, calibrated.
inline std::vector<InstrumentRecord> production_bench_instruments() {
    return {
        {"source", "light_source", "keysight_8165x", "TCPIP0::10.0.0.10::5025::SOCKET", "Keysight",
         "81657A", "DE51001", "2.1.4", "2027-06-30"},
        {"rl", "return_loss_meter", "keysight_81610a", "TCPIP0::10.0.0.10::5025::SOCKET",
         "Keysight", "81610A", "DE52001", "2.1.4", "2027-06-30"},
        {"switch", "optical_switch", "keysight_n773x", "TCPIP0::10.0.0.11::5025::SOCKET",
         "Keysight", "N7734A", "MY53001", "1.3.0", "2027-03-31"},
        {"meter", "power_meter", "keysight_n774x", "TCPIP0::10.0.0.12::5025::SOCKET", "Keysight",
         "N7745C", "MY54001", "1.4.2", "2027-03-31"},
    };
}

}  // namespace mpobench::bench
