#pragma once
// The QA views read from the plant (PostgreSQL, README "Plant QA: yield,
// Pareto and trends across stations"): the buckets a station's rollups give
// (db/qa_rollups.hpp), counted the same way over every forwarded run, from
// the rollups mpobench_forward keeps (db/plant.sql: serials, qa_failures).
// Read only: the QA role (SELECT) is enough.
//
// Differences from a station, by design:
// - a serial is plant-wide: its first and final completed production runs
//   are taken over every station (a retest at another station is a retest);
// - a bucket's station is the station's name, or "NAME (UUID8)" (the first 8
//   digits of its UUID) when two stations of the plant share that name, so
//   that --by station never merges two stations;
// - filter.station takes a station name (every station of that name) or a
//   station UUID (that one).
// Days are local calendar days in this process's time zone (TZ, else
// /etc/localtime), as on a station. The plant's day buckets (mpobench.qa_day_*)
// serve when the plant's zone (fixed at plant init) is that zone; otherwise
// the same buckets are counted from the runs, slower (docs/PERFORMANCE.md).
// Shifts (--by shift) are always counted from the runs, in the site's zone.

#include <map>
#include <string>
#include <vector>

#include "analysis/shifts.hpp"
#include "db/plant.hpp"
#include "db/repository.hpp"

namespace mpobench::db::plant {

// This process's time zone as PostgreSQL names it: TZ (without a leading
// ':'; a zoneinfo path gives its name), else the zone /etc/localtime links
// to, else /etc/timezone, else UTC (glibc's default without either).
std::string process_time_zone();

// The site's shifts (README "Local time and shifts"): the periods of
// QaReader::shift_buckets.
struct ShiftPeriods {
    std::string time_zone;                // an IANA name; empty: UTC
    std::vector<analysis::Shift> shifts;  // passing analysis::shift_list_error
};

// The query parameters of shift periods (values, never SQL text): the zone
// ("UTC" for none), the starts in ascending order as an int[] literal
// ("{360,840,1320}") and the names in that order as a text[] literal
// ({"early","late","night"}: each quoted, its quotes and backslashes
// escaped). PlantError for a list analysis::shift_list_error refuses.
std::vector<std::string> shift_parameters(const ShiftPeriods& periods);

class QaReader {
  public:
    // Connects (PlantUrlError for a password in the URL, PlantUnreachable)
    // and reads the plant's stations. answer_timeout: as Connection's (the
    // web pages bound every query).
    explicit QaReader(const std::string& url,
                      std::optional<std::chrono::milliseconds> answer_timeout = std::nullopt);

    std::string describe() const { return connection_.describe(); }

    // How much of a bucket's key the view needs: every column (grouping by
    // part, station or operator), or the day alone (by day, week or grade,
    // the Pareto, the trend), counted in the server to one bucket per day:
    // what a plant of millions of runs needs (docs/PERFORMANCE.md).
    enum class Keys { All, DayOnly };

    // Yield buckets only (the yield view).
    std::vector<analysis::YieldBucket> yield_buckets(const QaFilter& filter, Keys keys) const;
    // Which buckets: the counts (yield, causes, failures: the Pareto), the
    // readings (IL and RL: the trend), or both (the QA report).
    enum class Contents { Counts, Readings, CountsAndReadings };
    QaBuckets qa_buckets(const QaFilter& filter, Keys keys, Contents contents) const;
    // The yield, cause and failure buckets of the site's shifts: each run in
    // the shift its start falls in (analysis::shift_of, computed in the
    // server), the bucket's day its key ("2026-12-06 night"), the other key
    // columns empty. filter.from_day and to_day select shifts by the day
    // they began. Counted from the runs, as the day buckets are in another
    // zone. failures: the cause and failure buckets too (the Pareto), else
    // the yield buckets alone (the yield view). PlantError for a shift list
    // shift_list_error refuses.
    QaBuckets shift_buckets(const QaFilter& filter, const ShiftPeriods& periods,
                            bool failures) const;

  private:
    // The buckets a query answers, its columns: the 4 key columns, then the
    // counts (yield), the cause and its runs, or the failure's place and
    // count, as the day buckets and the runs give them alike.
    std::vector<analysis::YieldBucket> read_yield(const std::string& sql,
                                                  const std::vector<std::string>& values) const;
    std::vector<analysis::CauseBucket> read_causes(const std::string& sql,
                                                   const std::vector<std::string>& values) const;
    std::vector<analysis::FailureBucket> read_failures(
        const std::string& sql, const std::vector<std::string>& values) const;
    // A station forwarded since this reader started has no label: its UUID.
    std::string station_label(const std::string& uuid) const;

    Connection connection_;
    std::map<std::string, std::string> station_labels_;  // UUID -> bucket station
    // The plant's day buckets (db/plant.sql) count in this process's zone:
    // read them, not the runs.
    bool day_buckets_ = false;
};

}  // namespace mpobench::db::plant
