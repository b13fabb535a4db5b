#pragma once
// The site file: who issues the certificates (company name, address, logo)
// and the paper they are printed on. TOML, e.g.
//
//   [company]
//   name = "Example Optical Assemblies Ltd."
//   address = ["Unit 4, Fibre Park", "Cambridge CB4 0WS", "United Kingdom"]
//   logo = "logo.png"            # PNG, relative to this file; optional
//   [certificate]
//   paper = "A4"                 # or "Letter"
//   statement = "..."            # optional sentence under the result
//   [production]
//   serial_pattern = "SN[0-9]{4,8}"  # optional: the shape of a serial (ECMAScript
//                                    # regular expression, matching the whole serial)
//   attempts_before_hold = 3         # optional: attempts of a serial before a QA hold
//   retest_reasons = ["re-cleaned", "re-terminated", "re-inspected"]
//                                    # optional: what a retest after a failure must give
//   [site]
//   time_zone = "Europe/London"  # IANA zone for local times; optional (UTC)
//   [[shift]]                    # optional, any number: yield/pareto --by shift
//   name = "night"
//   start = "22:00"              # local; runs until the next shift's start
//
// Unknown keys are errors (a typo must not silently drop the address).

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/golden.hpp"
#include "analysis/retest.hpp"
#include "analysis/shifts.hpp"

namespace mpobench::reports {

enum class Paper { A4, Letter };
std::optional<Paper> parse_paper(std::string_view text);  // "A4", "Letter", in any case
std::string_view to_string(Paper paper);

// A malformed site file; the message names the file, line and key.
class SiteError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct Site {
    std::string company_name;
    std::vector<std::string> address_lines;
    std::filesystem::path logo_png;  // absolute, or empty: no logo
    Paper paper = Paper::A4;
    std::string statement;  // optional text printed under the result
    // Serials that do not match it (as a whole) are refused by every command
    // that records a run (analysis::validate_serial); empty: any serial.
    std::string serial_pattern;
    analysis::RetestPolicy retest;
    // [golden] il_tolerance_db, required = "shift" | "day" | "none".
    analysis::GoldenPolicy golden;
    std::string time_zone;  // IANA name, checked against the system zoneinfo; empty: UTC
    std::vector<analysis::Shift> shifts;  // empty: none defined
};

// Reads and checks a site file; the logo must exist and be a PNG.
Site load_site(const std::filesystem::path& file);

}  // namespace mpobench::reports
