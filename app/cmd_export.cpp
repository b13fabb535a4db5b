// `mpobench export`: runs, measurements and failures as CSV, XLSX or JSON.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

#include "app/commands.hpp"
#include "app/plant_payload.hpp"
#include "app/plant_source.hpp"
#include "app/qa_options.hpp"
#include "app/test_flow.hpp"
#include "db/plant_read.hpp"
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

// The plant's runs (--db postgresql://...): each run's record out of the
// payload (form 2) its station forwarded, so a run exports as its station
// exports it.
class PlantExportSource final : public reports::ExportSource {
  public:
    explicit PlantExportSource(const std::string& url) : plant_(url) {}

    void for_each_run(const db::RunFilter& filter, const EachRun& each) const override {
        const auto runs = plant_.find_runs(filter);
        // Refused before anything is written: form 1 lacks the record.
        std::vector<std::string> form_1;
        for (const auto& run : runs) {
            if (run.payload_version < kPlantPayloadVersion)
                form_1.push_back(
                    fmt::format("run {} of {} ({})", run.summary.id, run.summary.serial, run.uuid));
        }
        if (!form_1.empty()) {
            throw UsageError(fmt::format(
                "{} reached the plant in payload form 1, which lacks the whole record: export "
                "them from the station database, or narrow the filter (--station, --from)",
                fmt::join(form_1, ", ")));
        }
        for (const auto& run : runs) {
            const auto text = plant_.payload(run.uuid);
            if (!text)
                throw db::plant::PlantError(fmt::format(
                    "plant {}: run {} vanished while it was read", plant_.describe(), run.uuid));
            nlohmann::json payload;
            try {
                payload = nlohmann::json::parse(*text);
            } catch (const nlohmann::json::exception& error) {
                throw db::plant::PlantError(
                    fmt::format("plant {}: the payload of run {} is not JSON: {}",
                                plant_.describe(), run.uuid, error.what()));
            }
            const auto record = certificate_from_payload(payload);
            each(record.run, record.record_hash.empty() ? std::nullopt
                                                        : std::make_optional(record.record_hash));
        }
    }

  private:
    db::plant::Reader plant_;
};

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
