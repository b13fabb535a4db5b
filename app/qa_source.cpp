#include "app/qa_source.hpp"

#include <fmt/format.h>

#include "analysis/shifts.hpp"
#include "app/certificates.hpp"
#include "app/guarded.hpp"
#include "app/test_flow.hpp"
#include "db/plant_read.hpp"
#include "reports/site_clock.hpp"

namespace mpobench::app {
namespace {

db::plant::QaReader::Keys plant_keys(analysis::Grouping grouping) {
    switch (grouping) {
        case analysis::Grouping::Part:
        case analysis::Grouping::Station:
        case analysis::Grouping::Operator:
            return db::plant::QaReader::Keys::All;
        case analysis::Grouping::Total:
        case analysis::Grouping::Day:
        case analysis::Grouping::Week:
        case analysis::Grouping::Grade:
            break;
    }
    return db::plant::QaReader::Keys::DayOnly;
}

// The site file's shifts, for --by shift on a station or the plant.
reports::Site site_with_shifts(const QaCommandOptions& options) {
    reports::Site site = load_site_option(options.site);
    if (site.shifts.empty()) {
        throw UsageError(
            "--by shift: the site file has no [[shift]] tables (name, start) to group by");
    }
    return site;
}

// A station's records regrouped (db regrouped_qa_buckets) by the shift of
// each run's start.
db::QaBuckets station_shift_buckets(const QaCommandOptions& options, const reports::Site& site,
                                    const db::Repository& repository) {
    const reports::SiteClock clock(site.time_zone);
    const auto period_of = [&](TimePoint time) {
        const auto local = clock.local(time);
        return analysis::shift_of(local.day, local.minute_of_day, site.shifts).key();
    };
    db::QaFilter filter = options.filter.qa_filter();
    const auto from_day = filter.from_day, to_day = filter.to_day;
    filter.from_day.reset();
    filter.to_day.reset();
    auto buckets = repository.regrouped_qa_buckets(filter, period_of);
    const auto outside = [&](const analysis::BucketKey& key) {
        const std::string day = key.day.substr(0, 10);
        return (from_day && day < *from_day) || (to_day && day > *to_day);
    };
    std::erase_if(buckets.yield, [&](const auto& bucket) { return outside(bucket.key); });
    std::erase_if(buckets.causes, [&](const auto& bucket) { return outside(bucket.key); });
    std::erase_if(buckets.failures, [&](const auto& bucket) { return outside(bucket.key); });
    return buckets;
}

}  // namespace

std::vector<analysis::YieldBucket> QaSource::yield(const db::QaFilter& filter,
                                                   analysis::Grouping grouping) const {
    return station_ != nullptr ? station_->yield_buckets(filter)
                               : plant_->yield_buckets(filter, plant_keys(grouping));
}

db::QaBuckets QaSource::buckets(const db::QaFilter& filter, bool readings) const {
    if (station_ != nullptr) {
        return station_->qa_buckets(filter, readings ? db::Repository::IlBuckets::DayTotals
                                                     : db::Repository::IlBuckets::Skip);
    }
    return plant_->qa_buckets(
        filter, db::plant::QaReader::Keys::DayOnly,
        readings ? db::plant::QaReader::Contents::Readings : db::plant::QaReader::Contents::Counts);
}

db::QaBuckets QaSource::report_buckets(const db::QaFilter& filter) const {
    if (station_ != nullptr)
        return station_->qa_buckets(filter, db::Repository::IlBuckets::Read);
    return plant_->qa_buckets(filter, db::plant::QaReader::Keys::All,
                              db::plant::QaReader::Contents::CountsAndReadings);
}

std::vector<db::RunSummary> QaSource::runs(const db::RunFilter& filter) const {
    if (station_ != nullptr)
        return station_->find_runs(filter);
    std::vector<db::RunSummary> out;
    for (auto& run : db::plant::Reader(plant_url_).find_runs(filter))
        out.push_back(std::move(run.summary));
    return out;
}

db::QaBuckets QaSource::shift_buckets(const QaCommandOptions& options, bool failures) const {
    const reports::Site site = site_with_shifts(options);
    if (station_ != nullptr) {
        return station_shift_buckets(options, site, *station_);
    }
    // The zone as the site file names it, checked against the system's
    // zoneinfo (which Debian's PostgreSQL reads too) by load_site; each
    // run's shift computed in the server.
    return plant_->shift_buckets(options.filter.qa_filter(), {site.time_zone, site.shifts},
                                 failures);
}

OpenedQaSource::OpenedQaSource(const QaOptions& filter) {
    const std::string db = filter.db.string();
    if (!db::plant::is_plant_url(db)) {
        station_.emplace(open_database_for_reading(filter.db));
        return;
    }
    try {
        plant_ = std::make_unique<db::plant::QaReader>(db);
    } catch (const db::plant::PlantUrlError& error) {
        throw UsageError(error.what());
    }
    plant_url_ = db;
}

QaSource OpenedQaSource::source() const {
    return station_ ? QaSource(*station_) : QaSource(*plant_, plant_url_);
}

}  // namespace mpobench::app
