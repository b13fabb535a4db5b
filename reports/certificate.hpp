#pragma once
// The test certificate of one run: PDF drawn with cairo and pango, serial as
// a Code128 barcode (libzint), the record hash in a QR code (libqrencode).
// Rendered from the stored record only, so a certificate can be reproduced
// from the database at any time, byte for byte apart from its creation date.

#include <filesystem>
#include <optional>
#include <string>

#include "analysis/limits.hpp"
#include "reports/errors.hpp"
#include "reports/site.hpp"
#include "vocabulary/run_record.hpp"

namespace mpobench::reports {

struct CertificateInput {
    RunRecord run;                             // a completed run as stored
    std::optional<Reference> reference;        // the reference the run used
    std::optional<analysis::LimitSet> limits;  // the set it was graded with
    std::string record_hash;                   // as stored for the run
    Site site;
    Paper paper = Paper::A4;
};

// What the QR code holds: "mpobench-record;serial=SN;run=17;sha256=<hex>".
std::string qr_payload(const RunRecord& run, const std::string& record_hash);

// Writes the PDF (to a temporary file next to `out`, then renamed, so a
// crash never leaves half a certificate). Throws ReportError.
void write_certificate(const CertificateInput& input, const std::filesystem::path& out);

// The record hash a certificate of ours carries in its PDF metadata
// (Keywords "mpobench-record-sha256:<hex>"); nullopt when the file holds
// none. Throws ReportError when the file cannot be read.
std::optional<std::string> certificate_hash(const std::filesystem::path& pdf);

}  // namespace mpobench::reports
