#pragma once
// Grading a run against a limit set (DESIGN.md §2). Pure functions, no I/O.

#include <stdexcept>
#include <vector>

#include "analysis/limits.hpp"
#include "vocabulary/run_record.hpp"

namespace mpobench::analysis {

// A value equal to a limit meets it; this absorbs the rounding of arithmetic
// (a mean or a difference that should be exactly 0.35 dB).
inline constexpr double kLimitTolerance_db = 1e-9;

// A record the grade cannot be decided from: incomplete (a fibre,
// wavelength or end not measured, an RL the limit set requires missing), or
// an RL bound below a minimum it would have to meet. The message begins
// "cannot grade: " and names what is missing; the run is aborted with it,
// never passed.
class CannotGrade : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Throws CannotGrade unless a production record holds everything grading
// needs: a cycle-0 measurement of every fibre x wavelength (the part's, or
// its mode's defaults) x end, and, where the limit set has an RL minimum for
// the part's mode (requires_rl), an RL reading or bound for each of them
// whose far end lit. A repeatability run is not checked (it grades its
// mating cycles only).
void check_complete(const RunRecord& run, const LimitSet& limits);

struct GradeResult {
    Grade grade = Grade::Fail;
    bool pass = false;
    // Every value that misses a limit of some grade, each with the lowest
    // grade whose limit it misses and that limit (guard band applied), sorted
    // by end, wavelength, fibre (il_mean, which has none, first), then what in
    // the order il, il_mean, rl, repeatability, continuity, polarity.
    // Continuity, polarity and readings without a value carry grade Generic
    // (they deny every grade) and neither value nor limit. A fault is listed
    // once: polarity once per launched end (no fibre, no wavelength: the
    // run's polarity map says how it is wired), continuity once per dark
    // fibre and end (no wavelength when it is dark at every wavelength, else
    // once per dark wavelength). The run's grade is always one below the
    // lowest failure grade (Elite when there is none).
    std::vector<Failure> failures;
};

// The highest grade whose limits every measured value meets, on both ends at
// every wavelength:
// - cycle-0 measurements: each fibre's IL <= il_max - guard band, the mean IL
//   of one end at one wavelength <= il_typical - guard band, each RL >= rl_min
//   (where the grade has one); an RL bound ("greater than B", beyond the RL
//   module's range) meets every rl_min <= B;
// - every fibre with >= 2 matings (all cycles): IL max - min <= repeatability_max;
// - every measurement (all cycles): continuity (no light or no far position)
//   and polarity (far position = expected_far_positions) right, and a reading
//   (overrange, invalid) behind every IL; a cycle-0 RL wherever RL was measured
//   on that end at that wavelength. Any of these wrong: Grade::Fail.
// pass = grade >= part.target (a Fail never passes). Limits are those of
// run.part.mode. A repeatability run (mating cycles only, no cycle 0) is
// graded on repeatability, continuity and polarity. Throws
// std::invalid_argument for a production run without cycle-0 measurements,
// a run without measurements, a measurement whose fibre is outside 1..N, or
// an unsupported fibre count; CannotGrade for a production record that
// check_complete refuses, or when an RL bound lies below the RL minimum of a
// grade the record would otherwise reach (the grade is then undecided).
GradeResult grade_run(const RunRecord& run, const LimitSet& limits);

// grade_run, stored in the run: grade, pass, failures and the limit set's
// name, version and hash. Throws as grade_run does, leaving the run as it was.
void apply_grade(RunRecord& run, const LimitSet& limits);

// Element i: the far-end position that launched fibre i+1 must reach. End A
// launched: polarity_map(type, N); end B launched: its inverse.
std::vector<int> expected_far_positions(const Part& part, End launched_end);

}  // namespace mpobench::analysis
