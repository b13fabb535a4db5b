#pragma once
// Golden assemblies: reference assemblies with known results that a station
// measures again (mpobench check --golden SN) to show it still measures like
// it did — and like the other stations. Pure functions, no I/O.

#include <optional>
#include <string>
#include <vector>

#include "vocabulary/run_record.hpp"

namespace mpobench::analysis {

// The site file's [golden] table.
struct GoldenPolicy {
    enum class Every { None, Shift, Day };
    double il_tolerance_db = 0.05;  // |IL now - known IL| allowed per reading
    Every required = Every::None;   // tests refused without a passing check this shift/day
};

// One known IL of a golden assembly: a production reading with a value.
struct GoldenValue {
    End end = End::A;
    int fiber = 0;
    int wavelength_nm = 0;
    double il_db = 0.0;
};

// The known values of a completed production run: its cycle-0 readings with
// an IL (the run chosen as the golden assembly's baseline).
std::vector<GoldenValue> golden_values_of(const RunRecord& run);

struct WavelengthBias {
    int wavelength_nm = 0;
    double mean_bias_db = 0.0;  // mean of IL now - known IL: what this station adds
    int readings = 0;
};

struct GoldenComparison {
    bool pass = false;
    int compared = 0;  // known values with a reading now
    // A known value read now without an IL (no light) or not read at all:
    // the check fails and names the first.
    std::optional<std::string> missing;
    double worst_deviation_db = 0.0;   // largest |IL now - known IL|
    std::string worst_where;           // "end A fibre 3 1310 nm"
    std::vector<WavelengthBias> bias;  // ascending wavelength
};

// Every known value against the cycle-0 reading of the same end, fibre and
// wavelength: passes when each is read with an IL within the tolerance.
GoldenComparison compare_with_golden(const std::vector<GoldenValue>& known,
                                     const std::vector<Measurement>& measured,
                                     double il_tolerance_db);

}  // namespace mpobench::analysis
