#pragma once
// The verdict of a graded run, worked out once: which failures count against
// the part's target grade, which measurement rows and mean-IL lines they put
// a cross against, and whether the polarity is right. The JSON result, the
// certificate, the QA rollups and the console summary only render it.
// Pure functions, no I/O.

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "analysis/limits.hpp"
#include "vocabulary/run_record.hpp"

namespace mpobench::analysis {

// The failures that keep a run from its target grade: a failure's grade is
// the lowest grade whose limit it misses, so it counts when that grade is at
// or below the target (one that misses only grades above the target does
// not). Most severe (lowest grade) first, in listing order among equals.
std::vector<Failure> failures_against_target(Grade target, const std::vector<Failure>& failures);

// The mean IL of one end at one wavelength over the rows of the table cycle.
struct MeanVerdict {
    End end = End::A;
    int wavelength_nm = 0;
    double mean_db = 0.0;
    bool against_target = false;  // it misses the target grade's typical limit
};

struct Verdict {
    std::vector<Failure> against_target;  // failures_against_target of the run
    // The cycle whose rows a report lists: 0 (production), or for a
    // repeatability run (no cycle 0) its first mating.
    int table_cycle = 0;
    // Causes against the target at each (end, fibre, wavelength), in listing
    // order without repeats; a row absent here meets the target's limits.
    std::map<std::tuple<End, int, int>, std::vector<FailureCause>> failing_rows;
    // Mean IL lines of the table cycle, by end then wavelength.
    std::vector<MeanVerdict> means;
    // At least one polarity map, and every map the one the part's polarity
    // type expects.
    bool polarity_ok = false;

    // The causes against the target at a row, nullptr when it meets them.
    const std::vector<FailureCause>* row_failures(End end, int fiber, int wavelength_nm) const;
    // Rows and mean lines that miss the target's limits.
    std::size_t failing_values() const;
};

// The standard polarity type (A, B or C of TIA-568.3) whose map of a launch
// from map.launched_end this is, if it is one: a miswired assembly's map is
// often another type's, which says what was built.
std::optional<PolarityType> polarity_type_of(const PolarityMap& map, int fibers);

// A failure in words, as the console, the certificate and the JSON result
// ("text") give it: where, what was measured, and the limit of which grade
// it misses, e.g.
//   "end A fibre 3 1310 nm: IL 0.92 dB > standard max 0.75 dB"
//   "end A fibre 7: no light"
//   "end A polarity: measured type A (map 1,2,...,12), expected B"
std::string describe_failure(const Failure& failure, const RunRecord& run);

// The best grade whose per-fibre limits one reading meets — IL (less the
// guard band) and RL where the grade has an RL minimum (an RL bound above
// the range meets it when the bound does) — for a live display, fibre by
// fibre, before the run is graded as a whole (means, polarity and
// repeatability are not a reading's). A reading without an IL (no light,
// overrange, invalid) is Fail.
Grade reading_grade(const Measurement& reading, const LimitSet& limits, FiberMode mode);

// The verdict of a run as graded (grade, pass, failures filled by
// apply_grade); a run without grading has no failures against its target.
Verdict make_verdict(const RunRecord& run);

}  // namespace mpobench::analysis
