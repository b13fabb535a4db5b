#pragma once
// Where the QA views read their buckets: a station's record (--db FILE) or
// the plant (--db postgresql://..., README "Plant QA"), counted the same
// way. The commands (app/cmd_qa.cpp) and the web server's QA pages share it.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "db/plant_qa.hpp"
#include "db/repository.hpp"

namespace mpobench::app {

class QaSource {
  public:
    explicit QaSource(const db::Repository& station) : station_(&station) {}
    // url: the plant's, for the runs retests reads (db::plant::Reader).
    QaSource(const db::plant::QaReader& plant, std::string url)
        : plant_(&plant), plant_url_(std::move(url)) {}

    // Buckets for rows by `grouping`: the plant counts them to one per day
    // unless the rows go by part, station or operator.
    std::vector<analysis::YieldBucket> yield(const db::QaFilter& filter,
                                             analysis::Grouping grouping) const;
    // readings: the IL and RL buckets alone (the trend, the histograms);
    // else the yield, cause and failure buckets (the Pareto). Only the day
    // of their keys is used (the Pareto, trends by day or week).
    db::QaBuckets buckets(const db::QaFilter& filter, bool readings) const;
    // Everything the QA report shows: rows by part, station and operator,
    // with the readings of the trend.
    db::QaBuckets report_buckets(const db::QaFilter& filter) const;
    // The production runs a filter selects, as retests counts them.
    std::vector<db::RunSummary> runs(const db::RunFilter& filter) const;
    // --by shift: the site file's shifts in its time zone, each bucket's day
    // replaced by the shift key "2026-12-06 night"; --from/--to select
    // shifts by the day they began. UsageError without shifts. The plant
    // counts them from its runs (db::plant::QaReader::shift_buckets).
    // failures: the cause and failure buckets too (the Pareto); without,
    // the plant reads the yield buckets alone.
    db::QaBuckets shift_buckets(const QaCommandOptions& options, bool failures) const;

  private:
    const db::Repository* station_ = nullptr;
    const db::plant::QaReader* plant_ = nullptr;
    std::string plant_url_;
};

// What --db names, opened for reading: a station file or a plant URL. A
// plant URL with a password is a usage error (2); an unreachable plant 3.
class OpenedQaSource {
  public:
    explicit OpenedQaSource(const QaOptions& filter);
    QaSource source() const;

  private:
    std::optional<db::Repository> station_;
    std::unique_ptr<db::plant::QaReader> plant_;
    std::string plant_url_;
};

}  // namespace mpobench::app
