#pragma once
// The bag label of a passing assembly, in ZPL II (Zebra's label language,
// which most industrial label printers speak): serial, part, grade and test
// date as text, the serial as a Code128 barcode (^BC) and, as a QR code
// (^BQ), the same record reference the certificate's QR code carries
// (certificate.hpp qr_payload), so scanning the bag finds the record.
//
// Pure text generation: sending it to a printer is app/'s job. Laid out for
// a 4 x 2 inch (102 x 51 mm) label at 203 dpi (8 dots/mm), the common
// thermal-transfer bag label; ^PW/^LL fix that size, ^CI28 takes UTF-8.

#include <string>

#include "reports/site_clock.hpp"
#include "vocabulary/run_record.hpp"

namespace mpobench::reports {

struct BagLabel {
    std::string serial;
    std::string part_number;
    std::string part_description;  // optional, printed small under the part number
    Grade grade = Grade::Fail;
    std::string tested_on;         // YYYY-MM-DD, the site's local day the run ended
    std::string record_reference;  // what the QR code holds: qr_payload(run, record hash)
    bool reprint = false;          // prints "REPRINT" so a second bag label is told apart
};

// The label of a completed, passing production run and its record hash.
// Throws ReportError for any other run or an empty hash.
// The date is the local day of the site clock (UTC without a time zone).
BagLabel bag_label_of(const RunRecord& run, const std::string& record_hash, const SiteClock& clock);

// One ^XA ... ^XZ label. Text fields go through ^FH (hex escapes for ^, ~,
// _ and control characters), so no text can inject a ZPL command. Throws
// ReportError when the serial is empty or holds a character a Zebra Code128
// field gives a meaning of its own (> starts a subset invocation code; ^
// and ~ are command prefixes), or a byte outside printable ASCII.
std::string bag_label_zpl(const BagLabel& label);

}  // namespace mpobench::reports
