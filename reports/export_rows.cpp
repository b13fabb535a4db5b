#include "reports/export_rows.hpp"

#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "reports/errors.hpp"

namespace mpobench::reports::export_rows {

namespace {

constexpr Column kRunColumns[] = {
    {"run_id", 8},
    {"serial", 18},
    {"part", 18},
    {"kind", 13},
    {"station", 12},
    {"operator", 12},
    {"started_at", 24},
    {"ended_at", 24},
    {"status", 11},
    {"reason", 30},
    {"grade", 9},
    {"target_grade", 13},
    {"pass", 6},
    {"fibers", 7},
    {"mode", 6},
    {"polarity", 9},
    {"limit_set", 12},
    {"limit_set_version", 18},
    {"limit_set_hash", 20},
    {"record_hash", 20},
};
constexpr Column kMeasurementColumns[] = {
    {"run_id", 8},         {"serial", 18},     {"end", 5},        {"fiber", 6},
    {"wavelength_nm", 15}, {"cycle", 6},       {"status", 10},    {"far_position", 13},
    {"power_dbm", 11},     {"il_db", 9},       {"rl_db", 9},      {"taken_at", 24},
    {"rl_above_db", 12},   {"rl_windows", 11}, {"rl_low_db", 10}, {"rl_high_db", 11},
    {"rl_marginal", 12},
};
constexpr Column kFailureColumns[] = {
    {"run_id", 8},         {"serial", 18}, {"what", 13},  {"end", 5},   {"fiber", 6},
    {"wavelength_nm", 15}, {"value", 10},  {"limit", 10}, {"grade", 9},
};

Cell text(std::string_view value) {
    if (value.empty())
        return {};
    return std::string(value);
}

// NaN (a reading without a value) and infinities have no place in CSV, JSON
// or a spreadsheet cell: they are absent.
Cell real(double value) {
    if (!std::isfinite(value))
        return {};
    return value;
}

Cell real(const std::optional<double>& value) {
    return value ? real(*value) : Cell{};
}

Cell integer(const std::optional<int>& value) {
    return value ? Cell{std::int64_t{*value}} : Cell{};
}

void run_cells(const RunRecord& run, const std::optional<std::string>& record_hash,
               std::vector<Cell>& cells) {
    cells = {
        run.id,
        text(run.serial),
        text(run.part.number),
        text(to_string(run.kind)),
        text(run.station),
        text(run.operator_name),
        run.started_at,
        run.ended_at ? Cell{*run.ended_at} : Cell{},
        text(to_string(run.status)),
        text(run.reason),
        run.grade ? text(to_string(*run.grade)) : Cell{},
        text(to_string(run.part.target)),
        run.pass,
        std::int64_t{run.part.fibers},
        text(to_string(run.part.mode)),
        text(to_string(run.part.polarity)),
        text(run.limit_set_name),
        text(run.limit_set_version),
        text(run.limit_set_hash),
        record_hash ? text(*record_hash) : Cell{},
    };
}

void measurement_cells(const RunRecord& run, const Measurement& measurement,
                       std::vector<Cell>& cells) {
    cells = {
        run.id,
        text(run.serial),
        text(to_string(measurement.end)),
        std::int64_t{measurement.fiber},
        std::int64_t{measurement.wavelength_nm},
        std::int64_t{measurement.cycle},
        text(to_string(measurement.status)),
        std::int64_t{measurement.far_position},
        real(measurement.power_dbm),
        real(measurement.il_db),
        real(measurement.rl_db),
        measurement.taken_at,
        real(measurement.rl_above_db),
        // How the RL was decided: windows (0 for one fixed window), the
        // interval of their mean, marginal (1) when the mean decided.
        std::int64_t{measurement.rl_windows},
        real(measurement.rl_low_db),
        real(measurement.rl_high_db),
        std::int64_t{measurement.rl_marginal ? 1 : 0},
    };
}

void failure_cells(const RunRecord& run, const Failure& failure, std::vector<Cell>& cells) {
    cells = {
        run.id,
        text(run.serial),
        text(to_string(failure.what)),
        failure.end ? text(to_string(*failure.end)) : Cell{},
        integer(failure.fiber),
        integer(failure.wavelength_nm),
        real(failure.value),
        real(failure.limit),
        text(to_string(failure.grade)),
    };
}

bool wanted(std::span<const ExportTable> tables, ExportTable table) {
    return std::find(tables.begin(), tables.end(), table) != tables.end();
}

}  // namespace

std::string_view table_name(ExportTable table) {
    switch (table) {
        case ExportTable::Runs:
            return "runs";
        case ExportTable::Measurements:
            return "measurements";
        case ExportTable::Failures:
            return "failures";
    }
    return "runs";
}

std::span<const Column> columns(ExportTable table) {
    switch (table) {
        case ExportTable::Runs:
            return kRunColumns;
        case ExportTable::Measurements:
            return kMeasurementColumns;
        case ExportTable::Failures:
            return kFailureColumns;
    }
    return kRunColumns;
}

std::filesystem::path output_directory(const std::filesystem::path& out) {
    const std::filesystem::path directory = out.has_parent_path() ? out.parent_path() : ".";
    std::error_code error;
    if (std::filesystem::is_directory(out, error))
        throw ReportError(fmt::format("cannot write {}: it is a directory", out.string()));
    if (!std::filesystem::is_directory(directory, error)) {
        throw ReportError(fmt::format("cannot write {}: {} is not a directory", out.string(),
                                      directory.string()));
    }
    return directory;
}

ExportCounts for_each_row(const ExportSource& source, const db::RunFilter& filter,
                          std::span<const ExportTable> tables, RowSink& sink) {
    const bool runs = wanted(tables, ExportTable::Runs);
    const bool measurements = wanted(tables, ExportTable::Measurements);
    const bool failures = wanted(tables, ExportTable::Failures);
    ExportCounts counts;
    std::vector<Cell> cells;
    source.for_each_run(filter,
                        [&](const RunRecord& run, const std::optional<std::string>& record_hash) {
                            if (runs) {
                                run_cells(run, record_hash, cells);
                                sink.row(ExportTable::Runs, cells);
                                ++counts.runs;
                            }
                            if (measurements) {
                                for (const auto& measurement : run.measurements) {
                                    measurement_cells(run, measurement, cells);
                                    sink.row(ExportTable::Measurements, cells);
                                    ++counts.measurements;
                                }
                            }
                            if (failures) {
                                for (const auto& failure : run.failures) {
                                    failure_cells(run, failure, cells);
                                    sink.row(ExportTable::Failures, cells);
                                    ++counts.failures;
                                }
                            }
                        });
    return counts;
}

// Rows of one table in a binary temporary file: per cell a type tag (the
// variant index) and the value; text as length and bytes, times as clock
// ticks.
class TableSequencer::Spool {
  public:
    Spool(const std::filesystem::path& directory, const std::string& destination)
        : directory_(directory), destination_(destination) {
        std::string pattern = (directory / ".mpobench-export-XXXXXX").string();
        const int descriptor = ::mkstemp(pattern.data());
        if (descriptor < 0)
            fail("cannot create a temporary file");
        // Unlinked at once: the file lives as long as it is open, even if
        // the process dies.
        ::unlink(pattern.c_str());
        file_ = ::fdopen(descriptor, "w+b");
        if (file_ == nullptr) {
            const int error = errno;
            ::close(descriptor);
            errno = error;
            fail("cannot open a temporary file");
        }
    }
    ~Spool() { std::fclose(file_); }
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;

    void write(std::span<const Cell> cells) {
        for (const auto& cell : cells) {
            put(static_cast<std::uint8_t>(cell.index()));
            std::visit(
                [this](const auto& value) {
                    using T = std::decay_t<decltype(value)>;
                    if constexpr (std::is_same_v<T, std::string>) {
                        put(static_cast<std::uint64_t>(value.size()));
                        put_bytes(value.data(), value.size());
                    } else if constexpr (std::is_same_v<T, TimePoint>) {
                        put(static_cast<std::int64_t>(value.time_since_epoch().count()));
                    } else if constexpr (!std::is_same_v<T, std::monostate>) {
                        put(value);
                    }
                },
                cell);
        }
    }

    void rewind() {
        if (std::fflush(file_) != 0 || std::fseek(file_, 0, SEEK_SET) != 0)
            fail("cannot rewind a temporary file");
    }

    // Reads the next row of `column_count` cells; false at the end.
    bool read(std::size_t column_count, std::vector<Cell>& cells) {
        cells.resize(column_count);
        for (std::size_t i = 0; i < column_count; ++i) {
            std::uint8_t tag = 0;
            if (!get(tag, i == 0))
                return false;
            switch (tag) {
                case 0:
                    cells[i] = std::monostate{};
                    break;
                case 1:
                    cells[i] = get_value<std::int64_t>();
                    break;
                case 2:
                    cells[i] = get_value<double>();
                    break;
                case 3:
                    cells[i] = get_value<bool>();
                    break;
                case 4: {
                    std::string value(get_value<std::uint64_t>(), '\0');
                    get_bytes(value.data(), value.size());
                    cells[i] = std::move(value);
                    break;
                }
                case 5:
                    cells[i] = TimePoint{TimePoint::duration{get_value<std::int64_t>()}};
                    break;
                default:
                    fail(fmt::format("a temporary file holds an unknown cell type {}", tag), 0);
            }
        }
        return true;
    }

  private:
    // `error` is an errno value, 0 when the failure is not the system's.
    [[noreturn]] void fail(const std::string& what, int error = errno) const {
        throw ReportError(fmt::format("cannot write {}: {} in {}{}", destination_, what,
                                      directory_.string(),
                                      error != 0 ? fmt::format(": {}", std::strerror(error)) : ""));
    }

    template <typename T>
    void put(T value) {
        put_bytes(&value, sizeof value);
    }
    void put_bytes(const void* data, std::size_t size) {
        if (size != 0 && std::fwrite(data, 1, size, file_) != size)
            fail("cannot write a temporary file");
    }

    // At the start of a row the end of the file is the end of the rows;
    // anywhere else it is a truncated file.
    bool get(std::uint8_t& tag, bool end_allowed) {
        if (std::fread(&tag, 1, 1, file_) == 1)
            return true;
        if (end_allowed && std::feof(file_))
            return false;
        read_failed();
    }
    [[noreturn]] void read_failed() const {
        if (std::feof(file_))
            fail("a temporary file ends within a row", 0);
        fail("cannot read a temporary file back");
    }
    template <typename T>
    T get_value() {
        T value{};
        get_bytes(&value, sizeof value);
        return value;
    }
    void get_bytes(void* data, std::size_t size) {
        if (size != 0 && std::fread(data, 1, size, file_) != size)
            read_failed();
    }

    std::filesystem::path directory_;
    std::string destination_;
    std::FILE* file_ = nullptr;
};

TableSequencer::TableSequencer(std::span<const ExportTable> tables, TableWriter& writer,
                               const std::filesystem::path& spool_directory,
                               const std::string& destination)
    : tables_(tables.begin(), tables.end()), writer_(writer) {
    for (std::size_t i = 1; i < tables_.size(); ++i)
        spools_.push_back(std::make_unique<Spool>(spool_directory, destination));
    if (!tables_.empty())
        writer_.begin_table(tables_.front());
}

TableSequencer::~TableSequencer() = default;

void TableSequencer::row(ExportTable table, std::span<const Cell> cells) {
    const auto at = std::find(tables_.begin(), tables_.end(), table);
    if (at == tables_.begin()) {
        writer_.row(cells);
    } else if (at != tables_.end()) {
        spools_[static_cast<std::size_t>(at - tables_.begin()) - 1]->write(cells);
    }
}

void TableSequencer::finish() {
    if (tables_.empty())
        return;
    writer_.end_table();
    std::vector<Cell> cells;
    for (std::size_t i = 1; i < tables_.size(); ++i) {
        auto& spool = *spools_[i - 1];
        spool.rewind();
        writer_.begin_table(tables_[i]);
        const std::size_t column_count = columns(tables_[i]).size();
        while (spool.read(column_count, cells))
            writer_.row(cells);
        writer_.end_table();
    }
}

}  // namespace mpobench::reports::export_rows

namespace mpobench::reports {

void StationExportSource::for_each_run(const db::RunFilter& filter, const EachRun& each) const {
    for (const auto& summary : repository_.find_runs(filter)) {
        const auto run = repository_.run(summary.id);
        if (!run) {
            throw ReportError(fmt::format("run {} ({}) was selected but cannot be read", summary.id,
                                          summary.serial));
        }
        // The hash is written with the completion: asked for only then, a
        // run that completes between the two reads is exported as read.
        each(*run,
             run->status == RunStatus::Completed ? repository_.record_hash(run->id) : std::nullopt);
    }
}

}  // namespace mpobench::reports
