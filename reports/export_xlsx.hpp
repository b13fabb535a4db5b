#pragma once
// The XLSX export (reports/export.hpp) with the rows per sheet as a
// parameter, so tests can reach the sheet continuation without a million
// rows.

#include <cstdint>
#include <filesystem>
#include <span>

#include "reports/export.hpp"

namespace mpobench::reports {

// Excel's rows per worksheet, the header row included.
inline constexpr std::int64_t kExcelMaxRows = 1'048'576;

// One sheet per table (in the order given), each with a bold, frozen header
// row; a table with more than data_rows_per_sheet rows continues on
// "<table> 2", "<table> 3", ... Written in constant-memory mode with
// temporary files next to `out`, then renamed to `out`. Throws ReportError.
ExportCounts export_xlsx(const ExportSource& source, const db::RunFilter& filter,
                         const std::filesystem::path& out, std::span<const ExportTable> tables,
                         std::int64_t data_rows_per_sheet = kExcelMaxRows - 1);
// The same from a station database.
ExportCounts export_xlsx(const db::Repository& repository, const db::RunFilter& filter,
                         const std::filesystem::path& out, std::span<const ExportTable> tables,
                         std::int64_t data_rows_per_sheet = kExcelMaxRows - 1);

}  // namespace mpobench::reports
