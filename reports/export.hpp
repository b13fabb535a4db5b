#pragma once
// Data out: runs, measurements and failures of the runs a filter selects, as
// CSV, XLSX (one sheet each, typed cells, header row, frozen panes) or JSON.
// Three tables with the same columns in every format:
//   runs:         run_id, serial, part, kind, station, operator, started_at,
//                 ended_at, status, reason, grade, target_grade, pass, fibers,
//                 mode, polarity, limit_set, limit_set_version, limit_set_hash,
//                 record_hash
//   measurements: run_id, serial, end, fiber, wavelength_nm, cycle, status,
//                 far_position, power_dbm, il_db, rl_db, taken_at, rl_above_db
//                 (an RL beyond the RL module's range: the RL is greater than
//                 rl_above_db, and rl_db is empty)
//   failures:     run_id, serial, what, end, fiber, wavelength_nm, value,
//                 limit, grade
// Times are UTC ISO-8601 text in CSV and JSON, Excel date-times in XLSX.

#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <string_view>

#include "db/repository.hpp"
#include "reports/errors.hpp"

namespace mpobench::reports {

enum class ExportFormat { Csv, Xlsx, Json };
std::optional<ExportFormat> parse_export_format(std::string_view text);

enum class ExportTable { Runs, Measurements, Failures };
// "runs", "measurements", "failures"; nullopt for anything else.
std::optional<ExportTable> parse_export_table(std::string_view text);

struct ExportCounts {
    std::int64_t runs = 0, measurements = 0, failures = 0;
};

// The runs an export walks: a station database's (StationExportSource) or
// the plant's (app/plant_export.hpp).
class ExportSource {
  public:
    virtual ~ExportSource() = default;
    using EachRun =
        std::function<void(const RunRecord& run, const std::optional<std::string>& record_hash)>;
    // Each run the filter selects, oldest first, one in memory at a time,
    // with its record hash when it completed. Throws ReportError for a run
    // selected but unreadable.
    virtual void for_each_run(const db::RunFilter& filter, const EachRun& each) const = 0;
};

class StationExportSource final : public ExportSource {
  public:
    explicit StationExportSource(const db::Repository& repository) : repository_(repository) {}
    void for_each_run(const db::RunFilter& filter, const EachRun& each) const override;

  private:
    const db::Repository& repository_;
};

// CSV: with `table`, that one table; without, out must be a directory and
// runs.csv, measurements.csv and failures.csv are written there.
// XLSX: out is the workbook file (sheets past Excel's row limit continue on
// "measurements 2", ...). JSON: one object {"runs":[...],"measurements":[...],
// "failures":[...]}. Files are written whole or not at all (temporary file,
// then rename). Throws ReportError.
ExportCounts export_records(const ExportSource& source, const db::RunFilter& filter,
                            ExportFormat format, const std::filesystem::path& out,
                            std::optional<ExportTable> table = std::nullopt);
// CSV of one table or JSON to a stream (stdout).
ExportCounts export_records(const ExportSource& source, const db::RunFilter& filter,
                            ExportFormat format, std::ostream& out,
                            std::optional<ExportTable> table = std::nullopt);
// The same from a station database.
ExportCounts export_records(const db::Repository& repository, const db::RunFilter& filter,
                            ExportFormat format, const std::filesystem::path& out,
                            std::optional<ExportTable> table = std::nullopt);
ExportCounts export_records(const db::Repository& repository, const db::RunFilter& filter,
                            ExportFormat format, std::ostream& out,
                            std::optional<ExportTable> table = std::nullopt);

}  // namespace mpobench::reports
