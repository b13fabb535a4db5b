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
#include "analysis/record_hash.hpp"
#include "app/audit.hpp"
#include "app/certificates.hpp"
#include "app/commands.hpp"
#include "app/guarded.hpp"
#include "app/plant_records.hpp"
#include "app/plant_source.hpp"
#include "app/qa_options.hpp"
#include "app/run_json.hpp"
#include "app/test_flow.hpp"
#include "db/plant_read.hpp"

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

// The file of each serial's certificate in a batch. Serials that differ
// only in characters a file name cannot hold ("SN/1", "SN_1") get the run
// id in their names instead of overwriting.
template <typename Run, typename RunId>
std::map<std::string, std::string> batch_file_names(const std::map<std::string, Run>& latest,
                                                    RunId run_id_of) {
    std::map<std::string, int> name_uses;
    for (const auto& [serial, run] : latest) {
        ++name_uses[certificate_file_name(serial)];
    }
    std::map<std::string, std::string> names;
    for (const auto& [serial, run] : latest) {
        std::string name = certificate_file_name(serial);
        if (name_uses[name] > 1) {
            name = fmt::format("{}-run{}.pdf", name.substr(0, name.size() - 4), run_id_of(run));
        }
        names[serial] = name;
    }
    return names;
}

void create_batch_directory(const std::filesystem::path& out) {
    std::error_code error;
    std::filesystem::create_directories(out, error);
    if (error) {
        throw reports::ReportError(
            fmt::format("cannot create {}: {}", out.string(), error.message()));
    }
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
    create_batch_directory(options.out);
    const auto names = batch_file_names(latest, [](std::int64_t run_id) { return run_id; });
    for (const auto& [serial, run_id] : latest) {
        write_and_print(context, run_id, options.out / names.at(serial));
    }
    fmt::print(stderr, "{} certificate(s) of {} written to {}\n", latest.size(),
               options.batch.describe(), options.out.string());
    return static_cast<int>(kPassed);
}

// A run's certificate from the payload (form 2) the plant holds for it, as
// its station would print it.
void write_plant_run_certificate(const db::plant::Reader& plant, const db::plant::PlantRun& run,
                                 const reports::Site& site, reports::Paper paper,
                                 const std::filesystem::path& out) {
    auto parts = plant_record(plant, run);
    write_certificate_of(std::move(parts.run), std::move(parts.reference), parts.limit_set,
                         parts.record_hash, site, paper, out);
    fmt::print("{}\n", out.string());
}

// Form 1 runs cannot be printed from the plant: refused before any is written.
void refuse_form_1(const std::vector<const db::plant::PlantRun*>& runs) {
    std::vector<std::string> form_1;
    for (const auto* run : runs) {
        if (run->payload_version < kPlantPayloadVersion) {
            form_1.push_back(plant_run_name(*run));
        }
    }
    if (!form_1.empty()) {
        throw UsageError(fmt::format(
            "{} reached the plant in payload form 1, which lacks the part, instruments, "
            "reference and limit set a certificate shows: reprint from the station database",
            fmt::join(form_1, ", ")));
    }
}

// Certificates reprinted from the plant (--db postgresql://...): one
// serial's latest completed production run (or --run ID), or a batch.
int run_plant_certificate(const CertOptions& options, const reports::Site& site) {
    if (options.print) {
        throw UsageError(
            "--print records the print in the station's audit log; from the plant, write the "
            "PDF and print it with lp");
    }
    const reports::Paper paper = paper_option(options.paper, site);
    const db::plant::Reader plant(options.batch.db.string());
    if (!options.batch.part.empty()) {
        if (options.out.empty()) {
            throw UsageError("a batch (--part) needs --out DIR for its certificates");
        }
        db::RunFilter filter = options.batch.run_filter(true);
        filter.status = RunStatus::Completed;
        // The latest completed run of each serial in the range, at any station.
        std::map<std::string, db::plant::PlantRun> latest;
        for (auto& run : plant.find_runs(filter)) {
            latest[run.summary.serial] = std::move(run);
        }
        std::vector<const db::plant::PlantRun*> chosen;
        for (const auto& [serial, run] : latest) {
            chosen.push_back(&run);
        }
        refuse_form_1(chosen);
        create_batch_directory(options.out);
        const auto names =
            batch_file_names(latest, [](const db::plant::PlantRun& run) { return run.summary.id; });
        for (const auto& [serial, run] : latest) {
            write_plant_run_certificate(plant, run, site, paper, options.out / names.at(serial));
        }
        fmt::print(stderr, "{} certificate(s) of {} written from plant {} to {}\n", latest.size(),
                   options.batch.describe(), plant.describe(), options.out.string());
        return static_cast<int>(kPassed);
    }
    const auto runs = plant.history(options.serial, options.batch.station);
    const db::plant::PlantRun* chosen = nullptr;
    for (const auto& run : runs) {
        const auto& summary = run.summary;
        if (options.run_id != 0) {
            if (summary.id != options.run_id)
                continue;
            if (chosen != nullptr) {
                throw UsageError(fmt::format(
                    "run {} of {} is in the plant from more than one station database ({} and "
                    "{}): name one with --station UUID",
                    options.run_id, options.serial, chosen->station_uuid, run.station_uuid));
            }
            chosen = &run;
        } else if (summary.status == RunStatus::Completed && summary.kind == RunKind::Production) {
            chosen = &run;  // the latest, runs are oldest first
        }
    }
    if (chosen == nullptr) {
        throw UsageError(
            runs.empty()
                ? fmt::format("no runs of {} in plant {}{}", options.serial, plant.describe(),
                              options.batch.station.empty()
                                  ? std::string()
                                  : " from station " + options.batch.station)
            : options.run_id != 0
                ? fmt::format("plant {} holds no run {} of {}", plant.describe(), options.run_id,
                              options.serial)
                : fmt::format("{} has no completed production run to certify in plant {}",
                              options.serial, plant.describe()));
    }
    refuse_form_1({chosen});
    write_plant_run_certificate(plant, *chosen, site, paper,
                                options.out.empty()
                                    ? std::filesystem::path(certificate_file_name(options.serial))
                                    : options.out);
    return static_cast<int>(kPassed);
}

}  // namespace

int run_cert(const CertOptions& given) {
    return plant_guarded("cert", [&] {
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
        if (db::plant::is_plant_url(options.batch.db.string())) {
            return run_plant_certificate(options, site);
        }
        if (!batch && !options.batch.station.empty()) {
            throw UsageError(
                "--station picks a station's runs in the plant (--db postgresql://...) or a "
                "batch (--part); a serial's certificate from a station database is of its "
                "latest completed run, or --run ID");
        }
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

namespace {

// verify --db STATION.db --against URL: each run the plant holds from this
// station database, re-hashed from the station's rows as they read now
// (with the canonical form the plant's hash was made with), against the
// record hash the plant holds.
int run_verify_against(const VerifyOptions& options) {
    if (!options.certificate_or_hash.empty()) {
        throw UsageError(
            "--against checks every forwarded run of the station database; it takes no "
            "certificate or hash");
    }
    if (db::plant::is_plant_url(options.db.string())) {
        throw UsageError(
            "verify --against URL compares a station database (--db STATION.db) with the plant; "
            "--db names the plant");
    }
    if (!db::plant::is_plant_url(options.against)) {
        throw UsageError(
            fmt::format("--against '{}': expected the plant's postgresql:// URL", options.against));
    }
    db::Repository repository = open_database_for_reading(options.db);
    const std::string station_uuid = repository.station_uuid();
    const db::plant::Reader plant(options.against);
    const auto runs = plant.station_runs(station_uuid);
    const std::string station_db = database_path(options.db).string();
    int matching = 0, unhashed = 0;
    auto altered = nlohmann::json::array();
    for (const auto& held : runs) {
        const std::int64_t run_id = held.summary.id;
        if (!held.record_hash) {
            ++unhashed;  // an aborted or interrupted run: no record hash to compare
            continue;
        }
        const auto report = [&](const std::string& station_hash, const std::string& why) {
            altered.push_back(
                {{"run_id", run_id},
                 {"uuid", held.uuid},
                 {"serial", held.summary.serial},
                 {"station_hash",
                  station_hash.empty() ? nlohmann::json(nullptr) : nlohmann::json(station_hash)},
                 {"plant_hash", *held.record_hash},
                 {"why", why}});
        };
        const auto local = repository.run(run_id);
        const auto local_uuid = repository.run_uuid(run_id);
        if (!local || local_uuid != held.uuid) {
            report("", fmt::format("{} holds no run {} with this UUID", station_db, run_id));
            continue;
        }
        const int version = held.record_hash_version.value_or(0);
        if (!analysis::known_record_hash_version(version)) {
            throw db::plant::PlantError(fmt::format(
                "plant {}: run {} ({}) was hashed with canonical form {}, which this mpobench "
                "does not know (it knows 1..{}); upgrade mpobench",
                plant.describe(), run_id, held.uuid, version, analysis::kRecordHashVersion));
        }
        std::string station_hash;
        try {
            station_hash = analysis::record_hash(*local, version);
        } catch (const std::invalid_argument& unrepresentable) {
            report("", fmt::format("its rows no longer fit hash form {}: {}", version,
                                   unrepresentable.what()));
            continue;
        }
        if (station_hash != *held.record_hash) {
            report(station_hash, "its rows at the station no longer hash to the plant's record");
            continue;
        }
        ++matching;
    }
    const bool verified = altered.empty();
    if (options.json) {
        fmt::print("{}\n", json_text({{"station_uuid", station_uuid},
                                      {"plant", plant.describe()},
                                      {"checked", matching + static_cast<int>(altered.size())},
                                      {"matching", matching},
                                      {"without_record_hash", unhashed},
                                      {"altered", altered},
                                      {"verified", verified}}));
    } else {
        for (const auto& run : altered) {
            fmt::print(
                "ALTERED: run {} (uuid {}) of {}: {}; plant record hash {}, station rows "
                "hash to {}\n",
                run["run_id"].get<std::int64_t>(), run["uuid"].get<std::string>(),
                run["serial"].get<std::string>(), run["why"].get<std::string>(),
                run["plant_hash"].get<std::string>(),
                run["station_hash"].is_null() ? std::string("-")
                                              : run["station_hash"].get<std::string>());
        }
        fmt::print(
            "{}: {} of {} runs that {} forwarded to plant {} hash from its rows as the plant holds "
            "them{}\n",
            verified ? "VERIFIED" : "ALTERED", matching, matching + altered.size(), station_db,
            plant.describe(),
            unhashed == 0 ? std::string()
                          : fmt::format(" ({} aborted or interrupted runs have no record "
                                        "hash to compare)",
                                        unhashed));
    }
    return static_cast<int>(verified ? kPassed : kBelowTarget);
}

// verify HASH --db URL: the plant holds a run with this record hash, and
// the record its payload (form 2) holds re-hashes to it. A payload of form 1
// holds the run rounded as `test --json` writes it: found, not re-hashable.
int verify_in_plant(const std::string& hash, const VerifyOptions& options) {
    const db::plant::Reader plant(options.db.string());
    const auto runs = plant.with_record_hash(hash);
    if (runs.empty()) {
        if (options.json) {
            fmt::print("{}\n", json_text({{"hash", hash}, {"verified", false}}));
        } else {
            fmt::print("NOT FOUND: plant {} holds no record with hash {}\n", plant.describe(),
                       hash);
        }
        return static_cast<int>(kBelowTarget);
    }
    const auto& held = runs.back();
    std::optional<bool> matches;  // nullopt: form 1, not re-hashable
    const int version = held.record_hash_version.value_or(0);
    if (held.payload_version >= kPlantPayloadVersion)
        matches = plant_record_matches(plant, held, plant_record(plant, held).run);
    const bool verified = matches.value_or(false);
    if (options.json) {
        fmt::print("{}\n", json_text({{"hash", hash},
                                      {"verified", verified},
                                      {"run_id", held.summary.id},
                                      {"uuid", held.uuid},
                                      {"station_uuid", held.station_uuid},
                                      {"serial", held.summary.serial},
                                      {"record_matches", matches ? nlohmann::json(*matches)
                                                                 : nlohmann::json(nullptr)},
                                      {"hash_version", version}}));
    } else if (!matches) {
        fmt::print(
            "NOT VERIFIED: plant {} holds run {} (uuid {}) of {} with hash {}, in payload form "
            "{}, which does not hold the whole record; verify it against its station database\n",
            plant.describe(), held.summary.id, held.uuid, held.summary.serial, hash,
            held.payload_version);
    } else if (!*matches) {
        fmt::print(
            "ALTERED: run {} (uuid {}) of {} is in plant {} with hash {}, but the record it "
            "holds no longer hashes to it\n",
            held.summary.id, held.uuid, held.summary.serial, plant.describe(), hash);
    } else {
        fmt::print(
            "VERIFIED: run {} (uuid {}) of {} — plant {} holds this exact record (sha256 {}, "
            "record hash version {})\n",
            held.summary.id, held.uuid, held.summary.serial, plant.describe(), hash, version);
    }
    return static_cast<int>(verified ? kPassed : kBelowTarget);
}

}  // namespace

int run_verify(const VerifyOptions& options) {
    if (!options.against.empty()) {
        return plant_guarded("verify", [&] { return run_verify_against(options); });
    }
    return plant_guarded("verify", [&] {
        if (options.certificate_or_hash.empty()) {
            throw UsageError(
                "give a certificate PDF or record hash, or --against URL to compare a station "
                "database with the plant");
        }
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
        if (db::plant::is_plant_url(options.db.string())) {
            return verify_in_plant(hash, options);
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
