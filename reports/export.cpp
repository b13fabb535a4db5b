#include "reports/export.hpp"

#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "reports/drawing.hpp"
#include "reports/export_rows.hpp"
#include "reports/export_xlsx.hpp"
#include "vocabulary/logger.hpp"
#include "vocabulary/time_text.hpp"

namespace mpobench::reports {

namespace {

using export_rows::Cell;
using export_rows::kTableOrder;
using export_rows::TableWriter;

// RFC 4180: a field holding a comma, quote, CR or LF is quoted, its quotes
// doubled. Numbers in their shortest round-trip form, times as UTC ISO-8601
// with milliseconds.
void append_csv_field(std::string& out, const Cell& cell) {
    std::visit(
        [&out](const auto& value) {
            using T = std::decay_t<decltype(value)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                // An absent value is an empty field.
            } else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) {
                fmt::format_to(std::back_inserter(out), "{}", value);
            } else if constexpr (std::is_same_v<T, bool>) {
                out += value ? "true" : "false";
            } else if constexpr (std::is_same_v<T, TimePoint>) {
                out += format_utc_ms(value);
            } else if (value.find_first_of(",\"\r\n") == std::string::npos) {
                out += value;
            } else {
                out += '"';
                for (const char c : value) {
                    if (c == '"')
                        out += '"';
                    out += c;
                }
                out += '"';
            }
        },
        cell);
}

nlohmann::ordered_json json_value(const Cell& cell) {
    return std::visit(
        [](const auto& value) -> nlohmann::ordered_json {
            using T = std::decay_t<decltype(value)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                return nullptr;
            } else if constexpr (std::is_same_v<T, TimePoint>) {
                return format_utc_ms(value);
            } else {
                return value;
            }
        },
        cell);
}

// Base of the text formats: one stream, checked after every row so a full
// disk or a closed pipe stops the export at once.
class StreamTableWriter : public TableWriter {
  public:
    StreamTableWriter(std::ostream& out, std::string destination)
        : out_(out), destination_(std::move(destination)) {}

  protected:
    void put(const std::string& text) {
        out_.write(text.data(), static_cast<std::streamsize>(text.size()));
        if (!out_)
            throw ReportError(fmt::format("cannot write {}: write failed", destination_));
    }

    std::ostream& out_;
    std::string destination_;
    std::string line_;  // reused for every row
};

// One table per writer, header row first, '\n' line ends.
class CsvTableWriter : public StreamTableWriter {
  public:
    using StreamTableWriter::StreamTableWriter;

    void begin_table(ExportTable table) override {
        line_.clear();
        for (const auto& column : export_rows::columns(table)) {
            if (!line_.empty())
                line_ += ',';
            line_ += column.name;
        }
        line_ += '\n';
        put(line_);
    }

    void row(std::span<const Cell> cells) override {
        line_.clear();
        for (std::size_t i = 0; i < cells.size(); ++i) {
            if (i != 0)
                line_ += ',';
            append_csv_field(line_, cells[i]);
        }
        line_ += '\n';
        put(line_);
    }

    void end_table() override {}
};

// {"runs":[...],"measurements":[...],"failures":[...]}, one array element a
// line, written as the rows come rather than built in memory.
class JsonTableWriter : public StreamTableWriter {
  public:
    using StreamTableWriter::StreamTableWriter;

    void begin_table(ExportTable table) override {
        table_ = table;
        first_row_ = true;
        put(fmt::format("{}{}:[", tables_begun_++ == 0 ? "{" : ",",
                        nlohmann::json(export_rows::table_name(table)).dump()));
    }

    void row(std::span<const Cell> cells) override {
        const auto columns = export_rows::columns(table_);
        nlohmann::ordered_json element = nlohmann::ordered_json::object();
        for (std::size_t i = 0; i < cells.size(); ++i)
            element[std::string(columns[i].name)] = json_value(cells[i]);
        line_ = first_row_ ? "\n" : ",\n";
        first_row_ = false;
        try {
            line_ += element.dump();
        } catch (const nlohmann::json::exception& error) {
            // Text that is not UTF-8 (a serial read from a foreign database).
            throw ReportError(fmt::format(
                "cannot write {}: a {} row of run {} is not UTF-8 text: {}", destination_,
                export_rows::table_name(table_), element["run_id"].dump(), error.what()));
        }
        put(line_);
    }

    void end_table() override { put(first_row_ ? "]" : "\n]"); }

    // Closes the object; `{}` when no table was written.
    void finish() { put(tables_begun_ == 0 ? "{}\n" : "}\n"); }

  private:
    ExportTable table_ = ExportTable::Runs;
    bool first_row_ = true;
    int tables_begun_ = 0;
};

// CSV into a directory: each table to its own file, straight through.
class TableFanOut : public export_rows::RowSink {
  public:
    TableFanOut(TableWriter& runs, TableWriter& measurements, TableWriter& failures)
        : runs_(runs), measurements_(measurements), failures_(failures) {
        runs_.begin_table(ExportTable::Runs);
        measurements_.begin_table(ExportTable::Measurements);
        failures_.begin_table(ExportTable::Failures);
    }
    void row(ExportTable table, std::span<const Cell> cells) override {
        switch (table) {
            case ExportTable::Runs:
                runs_.row(cells);
                break;
            case ExportTable::Measurements:
                measurements_.row(cells);
                break;
            case ExportTable::Failures:
                failures_.row(cells);
                break;
        }
    }

  private:
    TableWriter& runs_;
    TableWriter& measurements_;
    TableWriter& failures_;
};

std::vector<ExportTable> tables_of(std::optional<ExportTable> table) {
    if (table)
        return {*table};
    return {std::begin(kTableOrder), std::end(kTableOrder)};
}

std::string_view format_name(ExportFormat format) {
    switch (format) {
        case ExportFormat::Csv:
            return "CSV";
        case ExportFormat::Xlsx:
            return "XLSX";
        case ExportFormat::Json:
            return "JSON";
    }
    return "CSV";
}

std::ofstream open_output(const std::filesystem::path& temporary,
                          const std::filesystem::path& destination) {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    if (!file) {
        throw ReportError(fmt::format("cannot write {}: cannot create {}", destination.string(),
                                      temporary.string()));
    }
    return file;
}

void close_output(std::ofstream& file, const std::filesystem::path& destination) {
    file.close();
    if (!file)
        throw ReportError(fmt::format("cannot write {}: write failed", destination.string()));
}

// Tables in order through a sequencer into one text writer on one stream.
ExportCounts write_text(const ExportSource& source, const db::RunFilter& filter,
                        ExportFormat format, std::ostream& out, std::span<const ExportTable> tables,
                        const std::filesystem::path& spool_directory,
                        const std::string& destination) {
    ExportCounts counts;
    if (format == ExportFormat::Csv) {
        CsvTableWriter writer(out, destination);
        export_rows::TableSequencer sequencer(tables, writer, spool_directory, destination);
        counts = export_rows::for_each_row(source, filter, tables, sequencer);
        sequencer.finish();
    } else {
        JsonTableWriter writer(out, destination);
        export_rows::TableSequencer sequencer(tables, writer, spool_directory, destination);
        counts = export_rows::for_each_row(source, filter, tables, sequencer);
        sequencer.finish();
        writer.finish();
    }
    return counts;
}

ExportCounts write_csv_directory(const ExportSource& source, const db::RunFilter& filter,
                                 const std::filesystem::path& directory) {
    std::error_code error;
    if (std::filesystem::exists(directory, error) &&
        !std::filesystem::is_directory(directory, error)) {
        throw ReportError(fmt::format(
            "cannot write CSV files into {}: it exists and is not a directory (one table "
            "can go to a file)",
            directory.string()));
    }
    std::filesystem::create_directories(directory, error);
    if (error) {
        throw ReportError(
            fmt::format("cannot create directory {}: {}", directory.string(), error.message()));
    }
    const auto runs = directory / "runs.csv";
    const auto measurements = directory / "measurements.csv";
    const auto failures = directory / "failures.csv";
    // One pass over the runs feeds all three files; each is renamed into
    // place only when all three are complete.
    ExportCounts counts;
    write_atomically(runs, [&](const std::filesystem::path& runs_temporary) {
        write_atomically(measurements, [&](const std::filesystem::path& measurements_temporary) {
            write_atomically(failures, [&](const std::filesystem::path& failures_temporary) {
                auto runs_file = open_output(runs_temporary, runs);
                auto measurements_file = open_output(measurements_temporary, measurements);
                auto failures_file = open_output(failures_temporary, failures);
                CsvTableWriter runs_writer(runs_file, runs.string());
                CsvTableWriter measurements_writer(measurements_file, measurements.string());
                CsvTableWriter failures_writer(failures_file, failures.string());
                TableFanOut fan_out(runs_writer, measurements_writer, failures_writer);
                counts = export_rows::for_each_row(source, filter, kTableOrder, fan_out);
                close_output(runs_file, runs);
                close_output(measurements_file, measurements);
                close_output(failures_file, failures);
            });
        });
    });
    return counts;
}

void log_export(const ExportCounts& counts, ExportFormat format, const std::string& destination) {
    logger("export")->info("exported {} runs, {} measurements, {} failures as {} to {}",
                           counts.runs, counts.measurements, counts.failures, format_name(format),
                           destination);
}

}  // namespace

std::optional<ExportFormat> parse_export_format(std::string_view text) {
    if (text == "csv")
        return ExportFormat::Csv;
    if (text == "xlsx")
        return ExportFormat::Xlsx;
    if (text == "json")
        return ExportFormat::Json;
    return std::nullopt;
}

std::optional<ExportTable> parse_export_table(std::string_view text) {
    if (text == "runs")
        return ExportTable::Runs;
    if (text == "measurements")
        return ExportTable::Measurements;
    if (text == "failures")
        return ExportTable::Failures;
    return std::nullopt;
}

ExportCounts export_records(const ExportSource& source, const db::RunFilter& filter,
                            ExportFormat format, const std::filesystem::path& out,
                            std::optional<ExportTable> table) {
    const auto tables = tables_of(table);
    ExportCounts counts;
    if (format == ExportFormat::Xlsx) {
        counts = export_xlsx(source, filter, out, tables);
    } else if (format == ExportFormat::Csv && !table) {
        counts = write_csv_directory(source, filter, out);
    } else {
        const auto directory = export_rows::output_directory(out);
        write_atomically(out, [&](const std::filesystem::path& temporary) {
            auto file = open_output(temporary, out);
            counts = write_text(source, filter, format, file, tables, directory, out.string());
            close_output(file, out);
        });
    }
    log_export(counts, format, out.string());
    return counts;
}

ExportCounts export_records(const ExportSource& source, const db::RunFilter& filter,
                            ExportFormat format, std::ostream& out,
                            std::optional<ExportTable> table) {
    if (format == ExportFormat::Xlsx)
        throw ReportError("an XLSX workbook cannot go to a stream: give an output file");
    if (format == ExportFormat::Csv && !table) {
        throw ReportError(
            "CSV to a stream is one table: choose runs, measurements or failures, or give an "
            "output directory for all three");
    }
    const std::string destination = "the output stream";
    // JSON spools the later tables; a stream has no directory of its own.
    std::error_code error;
    const auto spool_directory = std::filesystem::temp_directory_path(error);
    if (error) {
        throw ReportError(
            fmt::format("cannot export to {}: no temporary directory ({}; check "
                        "TMPDIR)",
                        destination, error.message()));
    }
    const auto counts =
        write_text(source, filter, format, out, tables_of(table), spool_directory, destination);
    out.flush();
    if (!out)
        throw ReportError(fmt::format("cannot write {}: write failed", destination));
    log_export(counts, format, destination);
    return counts;
}

ExportCounts export_records(const db::Repository& repository, const db::RunFilter& filter,
                            ExportFormat format, const std::filesystem::path& out,
                            std::optional<ExportTable> table) {
    return export_records(StationExportSource(repository), filter, format, out, table);
}

ExportCounts export_records(const db::Repository& repository, const db::RunFilter& filter,
                            ExportFormat format, std::ostream& out,
                            std::optional<ExportTable> table) {
    return export_records(StationExportSource(repository), filter, format, out, table);
}

}  // namespace mpobench::reports
