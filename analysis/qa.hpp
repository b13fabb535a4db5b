#pragma once
// QA statistics over a station's history: yield, failure Pareto and IL trend
// with SPC rules. Pure functions over rollup buckets that db/ keeps up to date
// as runs finish (one bucket per local day x part x station x operator), so a
// query over years of records reads thousands of rows, not millions.
//
// Only production runs count (repeatability runs are qualification).
// Days are the station's local calendar days (YYYY-MM-DD); weeks are ISO
// weeks ("2026-W48").

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vocabulary/run_record.hpp"

namespace mpobench::analysis {

// Where a bucket's runs come from.
struct BucketKey {
    std::string day;  // YYYY-MM-DD, local
    std::string part_number, station, operator_name;
};

// ---- Yield

struct YieldCounts {
    std::int64_t completed = 0;    // runs that finished and were graded
    std::int64_t passed = 0;       // completed with grade >= target
    std::int64_t aborted = 0;      // stopped by a fault, refusal or the operator
    std::int64_t interrupted = 0;  // the process died during the run
    // The first completed run of each serial (first-pass yield).
    std::int64_t first_tested = 0, first_passed = 0;
    // The latest completed run of each serial, counted in the bucket of that
    // run: a retest moves the serial's final outcome to the retest's bucket.
    std::int64_t final_tested = 0, final_passed = 0;
    std::array<std::int64_t, 4> grades{};  // completed runs by grade, index = Grade
    // Queries asked again after transient instrument faults, over every
    // finished run (completed, aborted, interrupted): station health.
    std::int64_t retries = 0;

    std::int64_t retests() const { return completed - first_tested; }
    // retries / finished runs; nullopt without runs.
    std::optional<double> retries_per_run() const;
    std::optional<double> first_pass_yield() const;  // first_passed / first_tested
    std::optional<double> final_yield() const;       // final_passed / final_tested
    std::optional<double> run_yield() const;         // passed / completed
    YieldCounts& operator+=(const YieldCounts& other);
};

struct YieldBucket {
    BucketKey key;
    YieldCounts counts;
};

enum class Grouping { Total, Day, Week, Part, Station, Operator, Grade };
std::optional<Grouping> parse_grouping(std::string_view text);  // day, week, part, ...

// "2026-11-24" -> "2026-W48" (ISO 8601 week of the date).
std::string iso_week(const std::string& day);

struct YieldRow {
    std::string group;  // the day, week, part, station, operator or grade; "all" for Total
    YieldCounts counts;
};

// Rows sorted by group (days and weeks in time order). Grouping by grade
// gives one row per grade present, best first, with completed = runs of that
// grade (and grades[] filled accordingly); the other counts, passed included,
// are zero there: a bucket does not know its part's target.
std::vector<YieldRow> group_yield(const std::vector<YieldBucket>& buckets, Grouping grouping);

// ---- Failure Pareto

// Causes as QA names them: il (per fibre or mean), rl, polarity, continuity,
// repeatability.
std::string_view failure_cause(FailureCause failure_what);

// Failures that kept a completed production run from its target grade
// (a failure whose grade is at or below the part's target), counted per
// cause x launched end x fibre x wavelength. Runs per cause count a run once
// however many of its fibres failed for that cause.
struct FailureBucket {
    BucketKey key;
    std::string cause;
    std::optional<End> end;
    int fiber = 0;          // 0: not tied to a fibre (il_mean, polarity)
    int wavelength_nm = 0;  // 0: not tied to a wavelength (polarity, continuity)
    std::int64_t failures = 0;
};
struct CauseBucket {
    BucketKey key;
    std::string cause;
    std::int64_t runs = 0;
};

struct ParetoRow {
    std::string item;  // "il", "A:7" (end:fibre), "1550"
    std::int64_t count = 0;
    double share = 0.0;       // of the total of this table
    double cumulative = 0.0;  // running share, rows sorted by count descending
};
struct Pareto {
    std::int64_t failed_runs = 0;  // completed production runs that did not pass
    std::int64_t completed_runs = 0;
    std::vector<ParetoRow> by_cause;       // runs per cause
    std::vector<ParetoRow> by_position;    // failures per end:fibre
    std::vector<ParetoRow> by_wavelength;  // failures per wavelength
};
Pareto make_pareto(const std::vector<YieldBucket>& yield, const std::vector<CauseBucket>& causes,
                   const std::vector<FailureBucket>& failures);

// ---- IL distribution and trend

// IL readings of one bucket and wavelength, binned at 0.01 dB from -0.10 dB;
// readings outside the range land in the first or last bin. Percentiles are
// read to the bin (0.01 dB), enough for a distribution chart and a p97.
class IlHistogram {
  public:
    static constexpr double first_edge_db = -0.10;
    static constexpr double bin_width_db = 0.01;
    static constexpr int bin_count = 400;  // -0.10 .. 3.90 dB

    void add(double il_db);
    // count readings into bin `index` at once (a bin counted elsewhere: the
    // plant's day buckets); std::out_of_range for a bin outside 0..399 or a
    // negative count.
    void add_to_bin(int index, std::int64_t count);
    IlHistogram& operator+=(const IlHistogram& other);
    std::int64_t count() const { return total_; }
    // The upper edge of the bin holding the q-quantile (0 < q <= 1); nullopt when empty.
    std::optional<double> quantile_db(double q) const;
    std::int64_t bin(int index) const { return bins_.at(static_cast<std::size_t>(index)); }
    static double bin_lower_edge_db(int index) { return first_edge_db + index * bin_width_db; }

    // Compact, stable binary form for storage: the non-empty bins as
    // (index, count) varint pairs. decode throws std::invalid_argument on bad bytes.
    std::string encode() const;
    static IlHistogram decode(std::string_view bytes);
    // Adds an encoded histogram without decoding it into one of its own
    // (summing thousands of stored buckets). On bad bytes it throws
    // std::invalid_argument, and this histogram is then not to be used.
    void add_encoded(std::string_view bytes);

  private:
    std::array<std::int64_t, bin_count> bins_{};
    std::int64_t total_ = 0;
};

struct IlBucket {
    BucketKey key;
    int wavelength_nm = 0;
    std::int64_t count = 0;  // production-cycle readings with an IL value
    double sum_db = 0.0, sum_squares_db = 0.0;
    double min_db = 0.0, max_db = 0.0;
    IlHistogram histogram;
};

// Western Electric rules on a chart of period means.
enum class SpcRule {
    BeyondThreeSigma,     // 1: one point beyond 3 sigma
    TwoOfThreeBeyondTwo,  // 2: 2 of 3 successive points beyond 2 sigma, same side
    FourOfFiveBeyondOne,  // 3: 4 of 5 successive points beyond 1 sigma, same side
    EightOnOneSide,       // 4: 8 successive points on one side of the centre line
};
std::string_view to_string(SpcRule rule);  // "rule1: beyond 3 sigma" ...

struct TrendPoint {
    std::string period;  // day or ISO week
    std::int64_t count = 0;
    double mean_db = 0.0, sigma_db = 0.0, p97_db = 0.0, max_db = 0.0;
    std::vector<SpcRule> rules;  // rules this point breaks (empty: in control)
};

// An X-bar chart of the period means: centre line = mean of the period
// means, limits = centre +/- 3 sigma with sigma estimated from the average
// moving range of successive means (/1.128), as an individuals chart does;
// with thousands of readings a day the within-day sigma/sqrt(n) would flag
// every day. Needs two periods for limits; with fewer, limits equal the centre
// and no rule is applied.
struct TrendSeries {
    int wavelength_nm = 0;
    double centre_db = 0.0, ucl_db = 0.0, lcl_db = 0.0;
    std::vector<TrendPoint> points;  // time order
    IlHistogram histogram;           // every reading of the series
};

// One series per wavelength (ascending). grouping: Day or Week.
std::vector<TrendSeries> il_trend(const std::vector<IlBucket>& buckets, Grouping grouping);

// ---- RL: values and bounds

// RL readings (production cycle, status ok) of one bucket and wavelength. A
// reading beyond the RL meter's range is a bound ("> 75.0 dB"): a censored
// value, counted apart and never averaged. The worst (lowest) RL is a plain
// order statistic that no bound can change, so it is the RL figure QA gets.
struct RlStats {
    std::int64_t values = 0;                // readings with an RL value
    std::int64_t above_range = 0;           // bounds: better than the meter can read
    std::optional<double> worst_db;         // lowest RL value; none when every reading is a bound
    std::optional<double> lowest_bound_db;  // the lowest bound (the meter's range)

    void add_value(double rl_db);
    void add_bound(double rl_above_db);
    std::int64_t readings() const { return values + above_range; }
    // above_range / readings; nullopt without readings.
    std::optional<double> censored_share() const;
    RlStats& operator+=(const RlStats& other);
};

struct RlBucket {
    BucketKey key;
    int wavelength_nm = 0;
    RlStats stats;
};

struct RlPoint {
    std::string period;  // day or ISO week
    RlStats stats;
};
struct RlSeries {
    int wavelength_nm = 0;
    std::vector<RlPoint> points;  // time order
    RlStats total;
};

// One series per wavelength (ascending). grouping: Day or Week.
std::vector<RlSeries> rl_trend(const std::vector<RlBucket>& buckets, Grouping grouping);

}  // namespace mpobench::analysis
