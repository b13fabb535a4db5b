#pragma once
// The QA rollups, private to db/: one row per local day x part number x
// station x operator (and cause, failure position or wavelength) that the
// yield, Pareto and trend views read instead of the records. Kept in the transaction that
// changes a production run's status; rebuild_rollups recomputes them from the
// records.
//
// What counts (only production runs):
// - yield: completed (with passed and the grade), aborted and interrupted
//   runs; first_*: the serial's first completed run, final_*: its latest one
//   (by started_at, then id), which moves when a later run completes;
// - failures: those of a completed run that did not pass, with a grade at or
//   below the part's target grade (the ones that kept it from its target);
// - IL: the cycle-0 readings with status ok and an IL value, of completed runs;
// - RL: the cycle-0 readings with status ok and an RL value or an RL bound,
//   of completed runs, values and bounds counted apart.
// The day is the local calendar day (this process's time zone) of started_at.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "analysis/qa.hpp"
#include "db/repository.hpp"
#include "db/sqlite.hpp"

namespace mpobench::db::rollups {

// The rollup changes of one write transaction: collected while runs change
// status, written by flush() before the transaction commits.
class RollupChanges {
  public:
    explicit RollupChanges(sqlite::Connection& connection) : connection_(connection) {}

    // A run became completed; stored_run is the record as it now reads back.
    // Repeatability runs change nothing.
    void run_completed(const RunRecord& stored_run);
    // A run became aborted or interrupted.
    void run_stopped(std::int64_t run_id, RunStatus status);

    // Adds the collected changes to the rollup tables.
    void flush();

  private:
    friend void collect_from_records(sqlite::Connection& connection, RollupChanges& changes,
                                     const std::function<std::string(TimePoint)>& period_of,
                                     bool with_readings, const std::string& what);
    friend QaBuckets regrouped_buckets(sqlite::Connection& connection, const QaFilter& filter,
                                       const std::function<std::string(TimePoint)>& period_of);

    // A bucket's key, ordered as the tables' primary keys.
    struct Place {
        std::string day, part_number, station, operator_name;
        auto operator<=>(const Place&) const = default;
    };
    struct FailureKey {
        Place place;
        std::string cause;
        std::string end;  // "A", "B", or "" when the failure names no end
        int fiber = 0, wavelength_nm = 0;
        auto operator<=>(const FailureKey&) const = default;
    };
    struct IlStats {
        std::int64_t count = 0;
        double sum_db = 0.0, sum_squares_db = 0.0, min_db = 0.0, max_db = 0.0;
        analysis::IlHistogram histogram;
        void add(double il_db);
        void merge(const IlStats& other);
    };
    // The earlier of two completed runs of a serial: started_at text (fixed
    // width, so text order is time order), then id.
    struct Order {
        std::string started_at;
        std::int64_t run_id = 0;
        auto operator<=>(const Order&) const = default;
    };

    void count_completed(const Place& place, std::optional<Grade> grade, bool pass);
    void count_first(const Place& place, bool pass, int sign);
    void count_final(const Place& place, bool pass, int sign);
    // The failures of one completed run.
    void count_failures(const Place& place, Grade target, bool pass,
                        const std::vector<Failure>& failures);
    void count_il(const Place& place, int wavelength_nm, double il_db);
    void count_rl(const Place& place, const Measurement& measurement);

    void flush_yield();
    void flush_causes();
    void flush_failures();
    void flush_il();
    void flush_rl();

    sqlite::Connection& connection_;
    std::map<Place, analysis::YieldCounts> yield_;
    std::map<std::pair<Place, std::string>, std::int64_t> cause_runs_;
    std::map<FailureKey, std::int64_t> failures_;
    std::map<std::pair<Place, int>, IlStats> il_;
    std::map<std::pair<Place, int>, analysis::RlStats> rl_;
};

// Deletes every rollup row and recomputes them from the records, in the
// caller's write transaction.
void rebuild_rollups(sqlite::Connection& connection);

// Yield, cause and failure buckets counted from the records as the rollups
// count them, each run in the bucket of period_of(started_at) instead of its
// local day (shifts of the site's time zone). The filter's part, station and
// operator apply; its days do not (they are the caller's periods).
QaBuckets regrouped_buckets(sqlite::Connection& connection, const QaFilter& filter,
                            const std::function<std::string(TimePoint)>& period_of);

// The bucket queries: a range scan by day. Buckets are sorted by day, part
// number, station, operator (then cause, end, fibre, wavelength).
std::vector<analysis::YieldBucket> yield_buckets(sqlite::Connection& connection,
                                                 const QaFilter& filter);
std::vector<analysis::CauseBucket> cause_buckets(sqlite::Connection& connection,
                                                 const QaFilter& filter);
std::vector<analysis::FailureBucket> failure_buckets(sqlite::Connection& connection,
                                                     const QaFilter& filter);
std::vector<analysis::IlBucket> il_buckets(sqlite::Connection& connection, const QaFilter& filter);
// The IL buckets added up to one per local day and wavelength (part,
// station and operator empty): what a trend by day or week needs, without
// holding every bucket's histogram at once.
std::vector<analysis::IlBucket> il_day_totals(sqlite::Connection& connection,
                                              const QaFilter& filter);
std::vector<analysis::RlBucket> rl_buckets(sqlite::Connection& connection, const QaFilter& filter);

}  // namespace mpobench::db::rollups
