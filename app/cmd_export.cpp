// `mpobench export`: runs, measurements and failures as CSV, XLSX or JSON.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

#include "app/commands.hpp"
#include "app/plant_records.hpp"
#include "app/plant_source.hpp"
#include "app/qa_options.hpp"
#include "app/test_flow.hpp"
#include "reports/export.hpp"

namespace mpobench::app {
namespace {

std::optional<reports::ExportTable> table_option(const std::string& text) {
    if (text.empty()) {
        return std::nullopt;
    }
    if (const auto table = reports::parse_export_table(text))
        return table;
    throw UsageError(fmt::format("--table '{}': expected runs, measurements or failures", text));
}

}  // namespace

int run_export(const ExportOptions& options) {
    return plant_guarded("export", [&] {
        const auto format = reports::parse_export_format(options.format);
        if (!format) {
            throw UsageError(
                fmt::format("--format '{}': expected csv, xlsx or json", options.format));
        }
        const auto table = table_option(options.table);
        if (table && *format != reports::ExportFormat::Csv) {
            throw UsageError("--table picks one CSV table; XLSX and JSON hold all three");
        }
        const db::RunFilter filter = options.filter.run_filter(!options.include_repeatability);
        std::optional<db::Repository> station;
        std::unique_ptr<reports::ExportSource> source;
        if (db::plant::is_plant_url(options.filter.db.string())) {
            source = std::make_unique<PlantExportSource>(options.filter.db.string());
        } else {
            station.emplace(open_database_for_reading(options.filter.db));
            source = std::make_unique<reports::StationExportSource>(*station);
        }
        reports::ExportCounts counts;
        if (options.out.empty()) {
            if (*format == reports::ExportFormat::Xlsx) {
                throw UsageError("an XLSX export needs --out FILE");
            }
            if (*format == reports::ExportFormat::Csv && !table) {
                throw UsageError(
                    "CSV to stdout is one table: give --table, or --out DIR for "
                    "all three");
            }
            counts = reports::export_records(*source, filter, *format, std::cout, table);
            std::cout.flush();
        } else {
            counts = reports::export_records(*source, filter, *format, options.out, table);
        }
        fmt::print(stderr, "exported {} runs, {} measurements, {} failures ({}){}\n", counts.runs,
                   counts.measurements, counts.failures, options.filter.describe(),
                   options.out.empty() ? "" : " to " + options.out.string());
        return static_cast<int>(kPassed);
    });
}

}  // namespace mpobench::app
