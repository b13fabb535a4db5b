// The default limit set (DESIGN.md §2), embedded as the same TOML a QA
// engineer would write for a new set.
//
// Layout of a limit set (every key shown is required unless marked optional;
// any other key is an error):
//
//   name = "mpobench-default"     # string, non-empty
//   version = "1"                 # string, non-empty; name + version identify the set to people
//   guard_band_db = 0.0           # optional, default 0; >= 0, subtracted from every IL limit
//
//   [return_loss]                 # optional: sequential RL decisions (README "Sequential RL")
//   confidence = 0.99             # two-sided confidence of a reading's interval, 0.5 .. 0.99999
//   max_time_ms = 2000            # per reading, 1 .. 60000; then the mean decides (marginal)
//                                 # left out: one fixed window per reading (1 s SM, 300 ms MM)
//
//   [grade.<grade>.<mode>]        # <grade>: generic, standard, elite; <mode>: MM, SM
//   il_typical_db = 0.35          # mean IL over the fibres of one end at one wavelength
//   il_max_db = 0.75              # each fibre's IL
//   rl_min_db = 30.0              # optional: each fibre's RL; left out, the grade sets no
//                                 # RL minimum (a bench without an RL module can grade it)
//   repeatability_max_db = 0.2    # max - min of a fibre's IL over its matings
//
// All six [grade.<grade>.<mode>] tables must be present. Numbers may be
// written as integers or floats. Checks: every limit > 0, il_typical_db <=
// il_max_db, a higher grade never looser than a lower one (IL and
// repeatability limits not larger, RL minimum not smaller nor left out
// where a lower grade has one), guard band smaller than every il_typical_db.
//
// The hash of a set is the SHA-256 of its canonical form (canonical_form()):
// the keys in the order above, grades generic, standard, elite, modes MM, SM,
// numbers in their shortest round-trip form. Comments, whitespace, key order
// and number spelling (30 vs 30.0) do not change it; any value does.

#include "analysis/limits.hpp"

namespace mpobench::analysis {
namespace {

constexpr std::string_view kDefaultLimitSetToml =
    R"(# mpobench default limits, per mated pair against a reference-grade connector.
# Typical IL, RL and repeatability: the product literature the project was
# specified from. IL max: published MTP maxima (Elite 0.35 dB; Standard
# 0.60 dB MM / 0.75 dB SM) and, for Generic, the TIA-568.3-D mated-pair
# budget (0.75 dB).
name = "mpobench-default"
version = "2"
guard_band_db = 0.0

# RL readings: 200 ms windows averaged until the 99 % interval of their mean
# lies inside one grade band, at most 2 s (docs/PERFORMANCE.md, "Sequential
# RL": the operating characteristic these figures give).
[return_loss]
confidence = 0.99
max_time_ms = 2000

[grade.generic.MM]
il_typical_db = 0.35
il_max_db = 0.75
rl_min_db = 30.0
repeatability_max_db = 0.20

[grade.generic.SM]
il_typical_db = 0.50
il_max_db = 0.75
rl_min_db = 60.0
repeatability_max_db = 0.20

[grade.standard.MM]
il_typical_db = 0.25
il_max_db = 0.60
rl_min_db = 35.0
repeatability_max_db = 0.10

[grade.standard.SM]
il_typical_db = 0.35
il_max_db = 0.75
rl_min_db = 65.0
repeatability_max_db = 0.10

[grade.elite.MM]
il_typical_db = 0.10
il_max_db = 0.35
rl_min_db = 35.0
repeatability_max_db = 0.10

[grade.elite.SM]
il_typical_db = 0.25
il_max_db = 0.35
rl_min_db = 65.0
repeatability_max_db = 0.10
)";

}  // namespace

std::string_view default_limit_set_toml() {
    return kDefaultLimitSetToml;
}

const LimitSet& default_limit_set() {
    static const LimitSet set = parse_limit_set(kDefaultLimitSetToml, "mpobench-default");
    return set;
}

}  // namespace mpobench::analysis
