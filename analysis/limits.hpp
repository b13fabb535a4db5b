#pragma once
// Limit sets: the grade limits an assembly is graded against (DESIGN.md §2).
// A limit set is data: QA writes it as TOML (layout documented at the top of
// analysis/default_limits.cpp), the run records its name, version and hash.
// Pure functions, no I/O: callers read files and pass the text.

#include <array>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "vocabulary/assembly.hpp"
#include "vocabulary/run_record.hpp"

namespace mpobench::analysis {

// The limits of one grade for one fibre mode, as written (guard band not
// subtracted; grading applies it).
struct GradeLimits {
    double il_typical_db = 0.0;  // mean IL over the fibres of one end at one wavelength
    double il_max_db = 0.0;      // each fibre's IL
    // Each fibre's RL; absent: the grade sets no RL minimum (a bench
    // without an RL module can grade such a set).
    std::optional<double> rl_min_db;
    double repeatability_max_db = 0.0;  // max - min of a fibre's IL over its matings

    friend bool operator==(const GradeLimits&, const GradeLimits&) = default;
};

// A malformed or insane limit set; the message names source, line and key.
class LimitSetError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// How RL readings are decided ([return_loss] of a limit set): windows of
// the RL module's shortest length, averaged until the confidence interval
// of their mean lies inside one grade band (between consecutive RL minima
// of the set), or until max_time_ms, when the mean decides (marginal).
struct RlDecisionRule {
    double confidence = 0.99;  // two-sided, of the interval
    int max_time_ms = 2000;    // per reading

    friend bool operator==(const RlDecisionRule&, const RlDecisionRule&) = default;
};

struct LimitSet {
    std::string name, version;
    double guard_band_db = 0.0;  // subtracted from every IL limit when grading
    // Empty: a set written before RL decisions were sequential; each RL
    // reading is then one fixed window (1 s SM APC, 300 ms MM PC).
    std::optional<RlDecisionRule> rl_decision;
    std::string body;  // the TOML text as given
    std::string hash;  // sha256_hex(canonical_form(*this))

    // Indexed [grade - Generic][mode]; read and write through limits().
    std::array<std::array<GradeLimits, 2>, 3> table{};

    // Generic, Standard or Elite; Grade::Fail has no limits (std::invalid_argument).
    const GradeLimits& limits(Grade grade, FiberMode mode) const;
    GradeLimits& limits(Grade grade, FiberMode mode);

    friend bool operator==(const LimitSet&, const LimitSet&) = default;
};

// Parses and checks a limit set. Every grade x mode must be present with all
// four limits (rl_min_db may be left out: no RL minimum); limits must be
// positive, typical <= max, and a higher grade never looser than a lower one
// (nor without an RL minimum a lower one has). Throws LimitSetError, e.g.
// "limits.toml:7: grade.elite.SM.il_max_db: expected a number".
LimitSet parse_limit_set(std::string_view toml_text, const std::string& source_name);

// The canonical serialisation the hash is computed over: valid limit-set TOML
// with fixed key order and number formatting, so whitespace, comments and key
// order of the source do not change it and any value change does.
std::string canonical_form(const LimitSet& limit_set);

// The set's distinct RL minima for the mode, ascending: the bounds of its
// RL grade bands.
std::vector<double> rl_minima_db(const LimitSet& limit_set, FiberMode mode);

// Whether any grade of the set has an RL minimum for the mode: a record of
// that mode then needs an RL reading (or bound) for every lit fibre.
bool requires_rl(const LimitSet& limit_set, FiberMode mode);

// The default set: DESIGN.md §2 table and sequential RL decisions, name
// "mpobench-default", version "2".
const LimitSet& default_limit_set();
std::string_view default_limit_set_toml();

// Lower-case hex SHA-256 (libsodium crypto_hash_sha256).
std::string sha256_hex(std::string_view bytes);

}  // namespace mpobench::analysis
