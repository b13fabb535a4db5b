#pragma once
// The rows behind every export format (reports/export.hpp): the three
// tables' columns, typed cells made from run records, the walk over the runs
// a filter selects, and the order in which table writers see the rows.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "reports/export.hpp"
#include "vocabulary/run_record.hpp"

namespace mpobench::reports::export_rows {

// Absent values are monostate: empty text, a non-finite number, no grade.
using Cell = std::variant<std::monostate, std::int64_t, double, bool, std::string, TimePoint>;

struct Column {
    std::string_view name;
    double width_chars;  // XLSX column width
};

inline constexpr ExportTable kTableOrder[] = {ExportTable::Runs, ExportTable::Measurements,
                                              ExportTable::Failures};

std::string_view table_name(ExportTable table);  // "runs", "measurements", "failures"
std::span<const Column> columns(ExportTable table);

// One format's output of tables, one after another: begin_table, its rows,
// end_table, for each table in turn.
class TableWriter {
  public:
    virtual ~TableWriter() = default;
    virtual void begin_table(ExportTable table) = 0;
    virtual void row(std::span<const Cell> cells) = 0;
    virtual void end_table() = 0;
};

// Where the walk over the runs delivers rows; the tables' rows interleave
// (a run's row, its measurements, its failures, the next run's row, ...).
class RowSink {
  public:
    virtual ~RowSink() = default;
    virtual void row(ExportTable table, std::span<const Cell> cells) = 0;
};

// The directory a file output goes into (temporary files go there too);
// ReportError when it does not exist or `out` is itself a directory.
std::filesystem::path output_directory(const std::filesystem::path& out);

// Walks the runs the filter selects, oldest first, holding one run in memory
// at a time, and hands the rows of the wanted tables to the sink. Returns the
// rows handed over per table.
ExportCounts for_each_row(const ExportSource& source, const db::RunFilter& filter,
                          std::span<const ExportTable> tables, RowSink& sink);

// Puts interleaved rows in table order for one TableWriter: rows of the first
// table go straight through, the others wait in anonymous temporary files in
// spool_directory (deleted when closed) until finish() writes them. Errors
// name `destination`, the output the rows are for.
class TableSequencer : public RowSink {
  public:
    TableSequencer(std::span<const ExportTable> tables, TableWriter& writer,
                   const std::filesystem::path& spool_directory, const std::string& destination);
    ~TableSequencer() override;
    TableSequencer(const TableSequencer&) = delete;
    TableSequencer& operator=(const TableSequencer&) = delete;

    void row(ExportTable table, std::span<const Cell> cells) override;
    void finish();

  private:
    class Spool;
    std::vector<ExportTable> tables_;
    TableWriter& writer_;
    std::vector<std::unique_ptr<Spool>> spools_;  // one per table after the first
};

}  // namespace mpobench::reports::export_rows
