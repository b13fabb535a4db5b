#pragma once
// What a station forwards to the plant, form 2, and what the plant's
// readers take back out of it. Form 1 (app/cmd_sync.cpp) holds the run as
// `test --json` writes it (DESIGN §6): rounded to 0.0001 dB, without the
// part's description, the instruments, the far-end powers, the software
// version, the reference or the limit set — not enough to reprint a
// certificate. Form 2 adds, beside form 1's members:
//   "record":    the whole run record (record_to_json), every field, numbers
//                at full precision, times to the millisecond as stored;
//   "reference": the reference the run used (reference_to_json), or null;
//   "limit_set": {"name", "version", "hash", "body"} it was graded with, or null.
// README: "Reading the plant: history, certificates, verify".

#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>

#include "db/repository.hpp"
#include "vocabulary/run_record.hpp"

namespace mpobench::app {

// A payload (or a part of one) that is not what form 2 says: names what.
class PayloadError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

inline constexpr int kPlantPayloadVersion = 2;

// The whole record, losslessly: run_from_json(record_to_json(run)) gives
// back every field (the record hash and the certificate of both agree).
nlohmann::json record_to_json(const RunRecord& run);
// The inverse of record_to_json. Throws PayloadError naming the member.
RunRecord run_from_json(const nlohmann::json& record);

// The reference as stored (its RL calibration windows are not stored).
nlohmann::json reference_to_json(const Reference& reference);
Reference reference_from_json(const nlohmann::json& reference);

// Payload form 2 of a run waiting in the outbox.
nlohmann::json plant_payload_v2(const db::Repository& repository, const db::OutboxEntry& entry);

// What a certificate needs, out of a payload of form 2. Throws PayloadError
// for form 1 (it does not hold enough) or a malformed payload.
struct PayloadCertificate {
    RunRecord run;
    std::optional<Reference> reference;
    std::optional<db::StoredLimitSet> limit_set;
    std::string record_hash;  // empty: the run has none (not completed)
};
PayloadCertificate certificate_from_payload(const nlohmann::json& payload);

}  // namespace mpobench::app
