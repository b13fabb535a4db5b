// `mpobench cert`: certificates from the record, one serial or a batch;
// `mpobench verify`: does the database hold the record a certificate shows?

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "analysis/identifiers.hpp"
#include "app/audit.hpp"
#include "app/certificates.hpp"
#include "app/commands.hpp"
#include "app/guarded.hpp"
#include "app/qa_options.hpp"
#include "app/run_json.hpp"
#include "app/test_flow.hpp"

namespace mpobench::app {
namespace {

reports::Paper paper_option(const std::string& text, const reports::Site& site) {
    if (text.empty()) {
        return site.paper;
    }
    const auto paper = reports::parse_paper(text);
    if (!paper) {
        throw UsageError(fmt::format("--paper '{}': expected A4 or Letter", text));
    }
    return *paper;
}

// What a run of `cert` needs besides the options: where the certificates
// come from and how they look and are printed.
struct CertContext {
    const db::Repository& repository;
    std::filesystem::path db_path;  // a print goes into its audit log
    const reports::Site& site;
    reports::Paper paper;
    bool print = false;                            // --print
    std::optional<std::filesystem::path> printer;  // lp, when --print and there is one
    // Written but not printed (--print on a machine without lp).
    std::vector<std::string>* unprinted;
};

void write_and_print(const CertContext& context, std::int64_t run_id,
                     const std::filesystem::path& out) {
    write_run_certificate(context.repository, run_id, context.site, context.paper, out);
    fmt::print("{}\n", out.string());
    if (context.printer) {
        print_certificate(*context.printer, out);
        // The certificates are read read-only (QA may work on a copy); the
        // print's audit entry needs the station's own file, writable.
        try {
            db::Repository writer(context.db_path);
            audit_cli_act(writer, "certificate.print", "",
                          {{"run_id", run_id}, {"file", out.string()}});
        } catch (const db::DatabaseError& error) {
            fmt::print(stderr,
                       "mpobench cert: {} printed, but the print is not in the audit log: {}\n",
                       out.string(), error.what());
        }
    } else if (context.print) {
        context.unprinted->push_back(out.string());
    }
}

int run_single_certificate(const CertOptions& options, const CertContext& context) {
    const db::Repository& repository = context.repository;
    std::int64_t run_id = options.run_id;
    if (run_id == 0) {
        const auto latest = latest_completed_production_run(repository, options.serial);
        if (!latest) {
            throw UsageError(
                repository.history(options.serial).empty()
                    ? fmt::format("no runs of {} in the database", options.serial)
                    : fmt::format("{} has no completed production run to certify", options.serial));
        }
        run_id = *latest;
    } else {
        const auto run = repository.run(run_id);
        if (run && run->serial != options.serial) {
            throw UsageError(
                fmt::format("run {} is of {}, not {}", run_id, run->serial, options.serial));
        }
    }
    const std::filesystem::path out =
        options.out.empty() ? std::filesystem::path(certificate_file_name(options.serial))
                            : options.out;
    write_and_print(context, run_id, out);
    return static_cast<int>(kPassed);
}

int run_batch_certificates(const CertOptions& options, const CertContext& context) {
    if (options.out.empty()) {
        throw UsageError("a batch (--part) needs --out DIR for its certificates");
    }
    db::RunFilter filter = options.batch.run_filter(true);
    filter.status = RunStatus::Completed;
    // The latest completed run of each serial in the range.
    std::map<std::string, std::int64_t> latest;
    for (const auto& run : context.repository.find_runs(filter)) {
        latest[run.serial] = run.id;
    }
    std::error_code error;
    std::filesystem::create_directories(options.out, error);
    if (error) {
        throw reports::ReportError(
            fmt::format("cannot create {}: {}", options.out.string(), error.message()));
    }
    // Serials that differ only in characters a file name cannot hold
    // ("SN/1", "SN_1") get the run id in their names instead of overwriting.
    std::map<std::string, int> name_uses;
    for (const auto& [serial, run_id] : latest) {
        ++name_uses[certificate_file_name(serial)];
    }
    for (const auto& [serial, run_id] : latest) {
        std::string name = certificate_file_name(serial);
        if (name_uses[name] > 1) {
            name = fmt::format("{}-run{}.pdf", name.substr(0, name.size() - 4), run_id);
        }
        write_and_print(context, run_id, options.out / name);
    }
    fmt::print(stderr, "{} certificate(s) of {} written to {}\n", latest.size(),
               options.batch.describe(), options.out.string());
    return static_cast<int>(kPassed);
}

}  // namespace

int run_cert(const CertOptions& given) {
    return guarded("cert", [&] {
        // A serial is cleaned like every serial (not held to the site's
        // serial_pattern: older records stay certifiable).
        CertOptions options = given;
        if (!options.serial.empty())
            options.serial = analysis::validate_serial(options.serial);
        const bool batch = !options.batch.part.empty();
        if (batch == !options.serial.empty()) {
            throw UsageError(
                "give a serial number, or --part PN [--from DATE --to DATE] for a "
                "batch");
        }
        if (batch && options.run_id != 0) {
            throw UsageError("--run picks one run of one serial; it does not go with --part");
        }
        if (!batch && (!options.batch.from_day.empty() || !options.batch.to_day.empty())) {
            throw UsageError(
                "--from and --to select a batch with --part; a serial's "
                "certificate is of its latest completed run, or --run ID");
        }
        const reports::Site site = load_site_option(options.site);
        const db::Repository repository = open_database_for_reading(options.batch.db);
        std::vector<std::string> unprinted;
        const CertContext context{repository,    existing_database_path(options.batch.db),
                                  site,          paper_option(options.paper, site),
                                  options.print, options.print ? find_printer() : std::nullopt,
                                  &unprinted};
        const int code = batch ? run_batch_certificates(options, context)
                               : run_single_certificate(options, context);
        if (!unprinted.empty()) {
            fmt::print(stderr,
                       "mpobench cert: cannot print: this machine has no `lp` on PATH (install "
                       "the CUPS client, package cups-client, and set up a printer); written, "
                       "not printed: {}\n",
                       fmt::join(unprinted, ", "));
            return static_cast<int>(kBadInput);
        }
        return code;
    });
}

// ---- verify

namespace {

bool is_sha256_hex(const std::string& text) {
    return text.size() == 64 && std::all_of(text.begin(), text.end(), [](unsigned char c) {
               return std::isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
           });
}

}  // namespace

int run_verify(const VerifyOptions& options) {
    return guarded("verify", [&] {
        std::string hash;
        if (is_sha256_hex(options.certificate_or_hash) &&
            !std::filesystem::exists(options.certificate_or_hash)) {
            hash = options.certificate_or_hash;
            std::transform(hash.begin(), hash.end(), hash.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        } else {
            const auto found = reports::certificate_hash(options.certificate_or_hash);
            if (!found) {
                throw UsageError(
                    fmt::format("{} is not an mpobench certificate (no record "
                                "hash in its metadata)",
                                options.certificate_or_hash));
            }
            hash = *found;
        }
        db::Repository repository = open_database_for_reading(options.db);
        const auto check = repository.find_record(hash);
        const bool verified = check && check->record_matches;
        if (options.json) {
            nlohmann::json out{{"hash", hash}, {"verified", verified}};
            if (check) {
                out["run_id"] = check->run_id;
                out["serial"] = check->serial;
                out["record_matches"] = check->record_matches;
                out["hash_version"] = check->hash_version;
            }
            fmt::print("{}\n", json_text(out));
        } else if (!check) {
            fmt::print("NOT FOUND: {} holds no record with hash {}\n",
                       database_path(options.db).string(), hash);
        } else if (!check->record_matches) {
            fmt::print(
                "ALTERED: run {} of {} was stored with hash {}, but its rows as stored now "
                "no longer hash to it\n",
                check->run_id, check->serial, hash);
        } else {
            fmt::print(
                "VERIFIED: run {} of {} — {} holds this exact record (sha256 {}, record hash "
                "version {})\n",
                check->run_id, check->serial, database_path(options.db).string(), hash,
                check->hash_version);
        }
        return static_cast<int>(verified ? kPassed : kBelowTarget);
    });
}

}  // namespace mpobench::app
