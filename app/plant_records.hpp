#pragma once
// The runs the plant holds, read back whole: each one's record out of the
// payload (form 2) its station forwarded. The plant's certificates, exports
// and run pages (cert, export, serve --db postgresql://...) read them here.

#include <optional>
#include <string>

#include "app/plant_payload.hpp"
#include "db/plant_read.hpp"
#include "reports/export.hpp"

namespace mpobench::app {

// The record, reference and limit set of a run from its payload. Throws
// db::plant::PlantError when the payload vanished or is not JSON, and
// PayloadError for form 1 or a malformed payload.
PayloadCertificate plant_record(const db::plant::Reader& plant, const db::plant::PlantRun& run);

// Does the record re-hash to the record hash the plant holds for the run?
// nullopt: the run has none (not completed). Throws db::plant::PlantError
// for a canonical form this mpobench does not know.
std::optional<bool> plant_record_matches(const db::plant::Reader& plant,
                                         const db::plant::PlantRun& run, const RunRecord& record);

// "run 3 of SN-1 (UUID)": a plant's run named for a message.
std::string plant_run_name(const db::plant::PlantRun& run);

// The plant's runs for reports::export_records, exported as their stations
// export them. A run in form 1 (without the whole record) is refused with a
// UsageError before anything is written.
class PlantExportSource final : public reports::ExportSource {
  public:
    // url, timeouts: as for db::plant::Reader.
    explicit PlantExportSource(
        const std::string& url, std::chrono::seconds connect_timeout = std::chrono::seconds(10),
        std::optional<std::chrono::milliseconds> answer_timeout = std::nullopt)
        : plant_(url, connect_timeout, answer_timeout) {}
    void for_each_run(const db::RunFilter& filter, const EachRun& each) const override;

  private:
    db::plant::Reader plant_;
};

}  // namespace mpobench::app
