#pragma once
// Certificates from the record: the site file to use, the stored run with
// its reference, limit set and hash, and printing.

#include <filesystem>
#include <optional>
#include <string>

#include "db/repository.hpp"
#include "reports/certificate.hpp"
#include "reports/site.hpp"

namespace mpobench::app {

// --site FILE, else $MPOBENCH_SITE, else ./site.toml, else the sample
// site.toml of the data directory (acquisition/data_files.hpp).
reports::Site load_site_option(const std::filesystem::path& option);

// The latest completed production run of a serial (what a certificate of
// conformance is of), or nullopt.
std::optional<std::int64_t> latest_completed_production_run(const db::Repository& repository,
                                                            const std::string& serial);

// Renders run `run_id` as stored. Throws UsageError when the run does not
// exist or is not completed (there is nothing to certify).
void write_run_certificate(const db::Repository& repository, std::int64_t run_id,
                           const reports::Site& site, reports::Paper paper,
                           const std::filesystem::path& out);

// Renders a completed run from its parts, wherever they were read (the
// station database, or the plant's payload): the limit set is parsed from
// its stored text. Throws UsageError when the run is not completed.
void write_certificate_of(RunRecord run, std::optional<Reference> reference,
                          const std::optional<db::StoredLimitSet>& limit_set,
                          const std::string& record_hash, const reports::Site& site,
                          reports::Paper paper, const std::filesystem::path& out);

// Checked before a test begins, so a test never ends with its certificate
// unwritable: `out` is not a directory and its directory exists and is
// writable. Throws UsageError.
void check_certificate_destination(const std::filesystem::path& out);

// "<serial>.pdf" with characters a file system may not take replaced by '_'.
std::string certificate_file_name(const std::string& serial);

// The `lp` command on PATH; nullopt when the machine has none (no CUPS
// client): `cert --print` then writes the PDF all the same, says where, and
// exits 2.
std::optional<std::filesystem::path> find_printer();

// Sends a PDF to the default printer with `lp` (from find_printer).
// Throws reports::ReportError when lp fails.
void print_certificate(const std::filesystem::path& lp, const std::filesystem::path& pdf);

}  // namespace mpobench::app
