#include "app/plant_records.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>
#include <vector>

#include "analysis/record_hash.hpp"
#include "app/guarded.hpp"

namespace mpobench::app {

PayloadCertificate plant_record(const db::plant::Reader& plant, const db::plant::PlantRun& run) {
    const auto text = plant.payload(run.uuid);
    if (!text) {
        throw db::plant::PlantError(
            fmt::format("plant {}: run {} vanished while it was read", plant.describe(), run.uuid));
    }
    nlohmann::json payload;
    try {
        payload = nlohmann::json::parse(*text);
    } catch (const nlohmann::json::exception& error) {
        throw db::plant::PlantError(fmt::format("plant {}: the payload of run {} is not JSON: {}",
                                                plant.describe(), run.uuid, error.what()));
    }
    return certificate_from_payload(payload);
}

std::optional<bool> plant_record_matches(const db::plant::Reader& plant,
                                         const db::plant::PlantRun& run, const RunRecord& record) {
    if (!run.record_hash)
        return std::nullopt;
    const int version = run.record_hash_version.value_or(0);
    if (!analysis::known_record_hash_version(version)) {
        throw db::plant::PlantError(fmt::format(
            "plant {}: run {} was hashed with canonical form {}, which this mpobench does not "
            "know (it knows 1..{}); upgrade mpobench",
            plant.describe(), run.uuid, version, analysis::kRecordHashVersion));
    }
    try {
        return analysis::record_hash(record, version) == *run.record_hash;
    } catch (const std::invalid_argument&) {
        return false;  // the record no longer fits the form it was hashed in
    }
}

std::string plant_run_name(const db::plant::PlantRun& run) {
    return fmt::format("run {} of {} ({})", run.summary.id, run.summary.serial, run.uuid);
}

void PlantExportSource::for_each_run(const db::RunFilter& filter, const EachRun& each) const {
    const auto runs = plant_.find_runs(filter);
    // Refused before anything is written: form 1 lacks the record.
    std::vector<std::string> form_1;
    for (const auto& run : runs) {
        if (run.payload_version < kPlantPayloadVersion)
            form_1.push_back(plant_run_name(run));
    }
    if (!form_1.empty()) {
        throw UsageError(fmt::format(
            "{} reached the plant in payload form 1, which lacks the whole record: export "
            "them from the station database, or narrow the filter (--station, --from)",
            fmt::join(form_1, ", ")));
    }
    for (const auto& run : runs) {
        const auto record = plant_record(plant_, run);
        each(record.run,
             record.record_hash.empty() ? std::nullopt : std::make_optional(record.record_hash));
    }
}

}  // namespace mpobench::app
