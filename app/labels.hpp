#pragma once
// Bag labels: the stored record's label (reports/label.hpp) sent to a
// destination (acquisition/label_printer.hpp) and every attempt recorded
// (db label_prints) — at the end of a passing test and by `mpobench label`.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "acquisition/label_printer.hpp"
#include "db/repository.hpp"
#include "reports/site_clock.hpp"

namespace mpobench::app {

// The label could not be delivered (printer unreachable, file unwritable,
// lp failed): a communication fault, exit 3 for `mpobench label`.
class LabelDeliveryError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Sends ZPL to the destination: raw TCP (a connect and a write of 5 s at
// most each, through drivers' TCP transport), appended to a file (synced),
// or `lp -d QUEUE -o raw`. Throws LabelDeliveryError naming the destination.
void send_label(const acquisition::LabelDestination& destination, std::string_view zpl);

struct LabelOutcome {
    std::int64_t run_id = 0;
    std::string destination;
    bool reprint = false;
    // Why no label came out; nullopt: printed.
    std::optional<std::string> error;
    // The label itself could not be made (a serial Code128 in ZPL cannot
    // carry); otherwise any error is a delivery failure.
    bool content_error = false;
};

// The label of run `run_id` (a completed, passing production run, else
// reports::ReportError before anything is sent or recorded), marked a
// reprint when one was printed before, sent and the attempt recorded
// whatever its outcome. Throws db::DatabaseError when the attempt cannot be
// recorded.
// The label's date is the local day of `clock` (the site file's time zone).
LabelOutcome print_run_label(db::Repository& repository, std::int64_t run_id,
                             const acquisition::LabelDestination& destination,
                             const std::string& operator_name, const std::string& command,
                             const reports::SiteClock& clock);

}  // namespace mpobench::app
