// `mpobench export`: runs, measurements and failures as CSV, XLSX or JSON.

#include <fmt/format.h>

#include <iostream>

#include "app/commands.hpp"
#include "app/guarded.hpp"
#include "app/qa_options.hpp"
#include "app/test_flow.hpp"
#include "reports/export.hpp"

namespace mpobench::app {
namespace {

struct ExportOptions {
    QaOptions filter;
    std::string format;
    std::string table;
    std::filesystem::path out;
    bool include_repeatability = false;
};

std::optional<reports::ExportTable> table_option(const std::string& text) {
    if (text.empty()) {
        return std::nullopt;
    }
    if (text == "runs") {
        return reports::ExportTable::Runs;
    }
    if (text == "measurements") {
        return reports::ExportTable::Measurements;
    }
    if (text == "failures") {
        return reports::ExportTable::Failures;
    }
    throw UsageError(fmt::format("--table '{}': expected runs, measurements or failures", text));
}

int run_export(const ExportOptions& options) {
    return guarded("export", [&] {
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
        db::Repository repository(existing_database_path(options.filter.db));
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
            counts = reports::export_records(repository, filter, *format, std::cout, table);
            std::cout.flush();
        } else {
            counts = reports::export_records(repository, filter, *format, options.out, table);
        }
        fmt::print(stderr, "exported {} runs, {} measurements, {} failures ({}){}\n", counts.runs,
                   counts.measurements, counts.failures, options.filter.describe(),
                   options.out.empty() ? "" : " to " + options.out.string());
        return static_cast<int>(kPassed);
    });
}

}  // namespace

CommandRunner add_export_command(CLI::App& app) {
    auto options = std::make_shared<ExportOptions>();
    auto* cmd = app.add_subcommand(
        "export", "Runs, measurements and failures as CSV, XLSX (one sheet each) or JSON");
    cmd->add_option("--format", options->format, "csv, xlsx or json")->required();
    add_qa_options(*cmd, options->filter);
    cmd->add_option("--out", options->out,
                    "file (xlsx, json, csv with --table) or directory (csv); default stdout");
    cmd->add_option("--table", options->table, "CSV: only runs, measurements or failures");
    cmd->add_flag("--repeatability", options->include_repeatability,
                  "include repeatability runs (default: production tests only)");
    return [options] { return run_export(*options); };
}

}  // namespace mpobench::app
