#pragma once
// The filters of the QA commands (yield, pareto, trend, report, export):
// --from/--to as local calendar days, --part, --station, --operator, --db.
// A certificate batch (cert --part) takes --part, --from and --to.

#include <filesystem>
#include <optional>
#include <string>

#include "db/repository.hpp"

namespace mpobench::app {

struct QaOptions {
    std::string from_day, to_day;  // YYYY-MM-DD, inclusive, local time
    std::string part, station, operator_name;
    std::filesystem::path db;

    // Checks the dates: UsageError (exit 2) for a bad one.
    db::QaFilter qa_filter() const;
    // The same selection as a time range of run starts, for exports and
    // batch certificates (production runs only when `production_only`).
    db::RunFilter run_filter(bool production_only) const;
    // "2026-11-01 to 2026-11-24, part MPO12-SM-B-E": the filters in words.
    std::string describe() const;
};

// Midnight at the start of a local calendar day (YYYY-MM-DD); nullopt for
// text that is not a valid date.
std::optional<TimePoint> local_day_start(const std::string& day);

}  // namespace mpobench::app
