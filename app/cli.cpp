// The mpobench command line: every sub-command and its options, parsed with
// CLI11 into the option structs of commands.hpp.

#include "app/cli.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cctype>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "app/build_info.hpp"
#include "app/commands.hpp"
#include "app/exit_codes.hpp"
#include "app/logging.hpp"
#include "web/serve.hpp"

namespace mpobench::app {
namespace {

// A registered sub-command and what runs it once its options are parsed.
struct Command {
    const CLI::App* subcommand;
    std::function<int()> run;
};

// Words of a fixed set are taken in any case (`--mode sm`, `--by Week`):
// these turn the value into the case the command compares against, before
// its own check names what is allowed.
CLI::Validator in_case(bool upper) {
    return CLI::Validator(
        [upper](std::string& value) {
            for (char& c : value) {
                const auto byte = static_cast<unsigned char>(c);
                c = static_cast<char>(upper ? std::toupper(byte) : std::tolower(byte));
            }
            return std::string();
        },
        "", upper ? "upper case" : "lower case");
}
const CLI::Validator kLowerCase = in_case(false);
const CLI::Validator kUpperCase = in_case(true);

// Every command that reads or writes the database takes it the same way.
void add_db_option(CLI::App& command, std::filesystem::path& db) {
    command.add_option("--db", db, "database (default: $MPOBENCH_DB or ./mpobench.db)");
}

Command add_sim_command(CLI::App& app) {
    auto options = std::make_shared<SimOptions>();
    auto* cmd = app.add_subcommand("sim",
                                   "Run the simulated bench until SIGINT/SIGTERM and write a "
                                   "station file that reaches it");
    auto* dut =
        cmd->add_option("--dut", options->dut_file, "DUT file (JSON) of the simulated assembly")
            ->check(CLI::ExistingFile);
    auto* random = cmd->add_option("--random", options->random_seed,
                                   "generate realistic assemblies from this seed");
    dut->excludes(random);
    cmd->add_option("--station-out", options->station_out, "station file to write")
        ->capture_default_str();
    cmd->add_option("--time-scale", options->time_scale,
                    "instrument time multiplier: 1 = real timing, 0.01 = 100x faster, 0 = no waits")
        ->check(CLI::Range(0.0, 100.0))
        ->capture_default_str();
    cmd->add_option("--faults", options->faults, "fault injection SPEC (see README)");
    cmd->add_option("--source-drift-db", options->source_drift_db,
                    "peak excursion of the source's slow power drift, which the far-end meter "
                    "and the tap monitor both see (default 0.03; 0 = a stable source)")
        ->check(CLI::Range(0.0, 3.0));
    cmd->add_option("--positions", options->positions,
                    "far positions and launch-switch outputs: a multiple of 8 (the far end is "
                    "8-port N7745C meters), at least the assembly's fibres (default: its fibres "
                    "rounded up to 8, at least 32)")
        ->check(CLI::Range(8, 512));
    cmd->add_option("--run-dir", options->run_dir,
                    "directory for the serial-port links (default: a new temp dir)");
    cmd->add_option("--operator", options->operator_kind,
                    "simulated: the simulator's operator plugs at once; web: the station file's "
                    "operator is the web page (mpobench serve), whose Done makes the simulated "
                    "operator plug")
        ->transform(kLowerCase)
        ->check(CLI::IsMember({"simulated", "web"}))
        ->capture_default_str();
    cmd->add_option("--layout", options->layout,
                    "separate: one resource per instrument; mainframe: source and RL modules in "
                    "one 8164B on one TCP endpoint; mainframe-serial: that mainframe on a pty")
        ->transform(kLowerCase)
        ->check(CLI::IsMember({"separate", "mainframe", "mainframe-serial"}))
        ->capture_default_str();
    return {cmd, [options] { return run_sim(*options); }};
}

Command add_identify_command(CLI::App& app) {
    auto options = std::make_shared<IdentifyOptions>();
    auto* cmd = app.add_subcommand("identify",
                                   "Ask every instrument of a station who it is (*IDN?) and "
                                   "check it against the station file");
    cmd->add_option("--station", options->station_file, "station file (TOML)")->required();
    cmd->add_flag("--json", options->json, "one JSON array on stdout instead of the table");
    add_db_option(*cmd, options->db);
    return {cmd, [options] { return run_identify(*options); }};
}

Command add_reference_command(CLI::App& app) {
    auto options = std::make_shared<ReferenceCommandOptions>();
    auto* cmd = app.add_subcommand(
        "reference", "Take and store a reference: the launch cord straight into the meter");
    cmd->add_option("--station", options->station_file, "station file (TOML)")->required();
    cmd->add_option("--operator", options->operator_name,
                    "who tests: required when the station says so ([station] require_operator, the "
                    "default for a console operator)");
    add_db_option(*cmd, options->db);
    cmd->add_option("--mode", options->mode, "MM (850/1300 nm) or SM (1310/1550 nm), any case")
        ->transform(kUpperCase)
        ->capture_default_str();
    cmd->add_option("--fibers", options->fibers,
                    "launch positions to reference (default: all the bench has)");
    cmd->add_option("--launch-cord", options->launch_cord,
                    "identifies the reference-grade launch cord (default: the station file's "
                    "[[cords]] launch cord)");
    return {cmd, [options] { return run_reference(*options); }};
}

Command add_test_command(CLI::App& app) {
    auto options = std::make_shared<TestCommandOptions>();
    auto* cmd = app.add_subcommand(
        "test", "Production test of one assembly: IL, RL and polarity of both ends");
    cmd->add_option("--station", options->station_file, "station file (TOML)")->required();
    cmd->add_option("--part", options->part, "part number from the catalogue")->required();
    cmd->add_option("--serial", options->serial, "serial number of the assembly")->required();
    cmd->add_option("--operator", options->operator_name,
                    "who tests: required when the station says so ([station] require_operator, the "
                    "default for a console operator)");
    add_db_option(*cmd, options->db);
    cmd->add_option("--work-order", options->work_order,
                    "work order, sent to the MES interlock ([mes] interlock_url)");
    cmd->add_option("--parts", options->parts, "part catalogue replacing the default");
    cmd->add_option(
        "--limits", options->limits,
        "limit set (TOML) replacing the one QA activated (mpobench limits), else the default");
    cmd->add_option("--cert", options->certificate,
                    "write the certificate (PDF) here when the test completes");
    cmd->add_option("--site", options->site,
                    "site file for the certificate (default: $MPOBENCH_SITE, ./site.toml, the "
                    "sample site.toml)");
    cmd->add_option("--retest-reason", options->retest_reason,
                    "why a serial whose last test failed is tested again: one of the site file's "
                    "[production] retest_reasons (asked on the terminal when not given)");
    cmd->add_flag("--json", options->json, "print the result as one JSON object and nothing else");
    return {cmd, [options] { return run_test_command(*options); }};
}

Command add_golden_command(CLI::App& app) {
    auto* cmd =
        app.add_subcommand("golden", "Golden assemblies: known results to check stations by");
    cmd->require_subcommand(1);
    auto add = std::make_shared<GoldenAddOptions>();
    auto* add_cmd = cmd->add_subcommand(
        "add", "Make a tested assembly golden: its readings become the known values");
    add_cmd->add_option("serial", add->serial, "serial number")->required();
    add_cmd->add_option("--run", add->run_id,
                        "the completed production run to take (default: the latest)");
    add_cmd->add_option("--by", add->added_by, "the QA engineer who qualified it")->required();
    add_db_option(*add_cmd, add->db);
    auto bias = std::make_shared<GoldenBiasOptions>();
    auto* bias_cmd =
        cmd->add_subcommand("bias", "Every station's golden checks: the IL bias they reveal");
    add_db_option(*bias_cmd, bias->db);
    bias_cmd->add_flag("--json", bias->json, "one JSON object on stdout");
    return {cmd, [=] { return add_cmd->parsed() ? run_golden_add(*add) : run_golden_bias(*bias); }};
}

Command add_check_command(CLI::App& app) {
    auto options = std::make_shared<CheckOptions>();
    auto* cmd = app.add_subcommand(
        "check", "Measure a golden assembly and compare with its known values (station check)");
    cmd->add_option("--golden", options->golden, "serial of the golden assembly")->required();
    cmd->add_option("--station", options->station_file, "station file (TOML)")->required();
    cmd->add_option("--operator", options->operator_name, "who checks");
    add_db_option(*cmd, options->db);
    cmd->add_option("--parts", options->parts, "part catalogue replacing the default");
    cmd->add_option("--site", options->site,
                    "site file with the tolerance (default: $MPOBENCH_SITE, ./site.toml, the "
                    "sample)");
    cmd->add_flag("--json", options->json, "one JSON object on stdout");
    return {cmd, [options] { return run_check(*options); }};
}

Command add_serve_command(CLI::App& app) {
    auto options = std::make_shared<web::ServeOptions>();
    auto* cmd =
        app.add_subcommand("serve",
                           "The station web server: the operator screen and the QA pages (README "
                           "\"The station web server\"); without --station, QA pages only; with "
                           "--db postgresql://..., the plant's QA pages");
    cmd->add_option("--station", options->station_file,
                    "station file of the bench this server tests on (its page is the operator)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--db", options->db,
                    "database (default: $MPOBENCH_DB or ./mpobench.db), or the plant's "
                    "postgresql:// URL: QA pages over every station, the plant's users log in");
    cmd->add_option("--listen", options->listen,
                    "ADDRESS:PORT; an address other machines reach needs an admin user first")
        ->capture_default_str();
    cmd->add_option("--parts", options->parts, "part catalogue (default: the built-in one)")
        ->check(CLI::ExistingFile);
    cmd->add_option(
           "--limits", options->limits,
           "limit set TOML for every test (default: the one QA activated, read at each test start)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--site", options->site,
                    "site file: serial pattern, retest policy, time zone, certificate header")
        ->check(CLI::ExistingFile);
    return {cmd, [options] { return web::run_serve(*options); }};
}

Command add_user_command(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "user",
        "Station users and their roles (the web pages' logins); --db postgresql://... for the "
        "plant's");
    cmd->require_subcommand(1);
    auto add = std::make_shared<UserAddOptions>();
    auto* add_cmd = cmd->add_subcommand("add", "Add a user; the password is asked twice");
    add_cmd->add_option("name", add->name, "user name")->required();
    add_cmd->add_option("--role", add->role, "operator, qa or admin")->required();
    add_cmd->add_option("--password-file", add->password_file,
                        "read the password from this file's first line instead of the terminal");
    add_db_option(*add_cmd, add->db);
    auto list = std::make_shared<UserListOptions>();
    auto* list_cmd = cmd->add_subcommand("list", "Every user, enabled or not");
    add_db_option(*list_cmd, list->db);
    list_cmd->add_flag("--json", list->json, "one JSON array on stdout");
    auto disable = std::make_shared<UserDisableOptions>();
    auto* disable_cmd = cmd->add_subcommand("disable", "Disable a user (users are never deleted)");
    disable_cmd->add_option("name", disable->name, "user name")->required();
    add_db_option(*disable_cmd, disable->db);
    auto badge = std::make_shared<UserBadgeOptions>();
    auto* badge_cmd = cmd->add_subcommand(
        "badge", "Register the badge a user logs in to the web pages with (scanned, not echoed)");
    badge_cmd->add_option("name", badge->name, "user name")->required();
    badge_cmd->add_option(
        "--badge-file", badge->badge_file,
        "read the badge code from this file's first line instead of the terminal");
    add_db_option(*badge_cmd, badge->db);
    return {cmd, [=] {
                if (add_cmd->parsed())
                    return run_user_add(*add);
                if (badge_cmd->parsed())
                    return run_user_badge(*badge);
                return list_cmd->parsed() ? run_user_list(*list) : run_user_disable(*disable);
            }};
}

Command add_limits_command(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "limits",
        "Limit sets: one qa user uploads, another activates (two-person rule); --db "
        "postgresql://... for the plant's");
    cmd->require_subcommand(1);
    auto options = std::make_shared<LimitsOptions>();
    auto* list = cmd->add_subcommand("list", "Every uploaded set, newest first, and its state");
    add_db_option(*list, options->db);
    list->add_flag("--json", options->json, "one JSON array on stdout");
    auto* show = cmd->add_subcommand("show", "One uploaded set and its TOML text");
    auto* show_id = show->add_option("id", options->id, "limit set id (limits list)");
    show->add_flag("--default", options->default_set,
                   "the built-in default set's TOML (a start for a new set)")
        ->excludes(show_id);
    show->callback([show, show_id] {
        if (show->count("--default") == 0 && show_id->count() == 0)
            throw CLI::RequiredError("id or --default");
    });
    add_db_option(*show, options->db);
    show->add_flag("--json", options->json, "one JSON object on stdout");
    auto* upload = cmd->add_subcommand(
        "upload", "Upload a limit set (TOML); pending until another qa user activates it");
    upload->add_option("file", options->file, "limit set TOML")
        ->required()
        ->check(CLI::ExistingFile);
    upload->add_option("--by", options->by, "the qa user uploading it")->required();
    add_db_option(*upload, options->db);
    auto* activate =
        cmd->add_subcommand("activate", "Activate an uploaded set: the next test grades with it");
    activate->add_option("id", options->id, "limit set id (limits list)")->required();
    activate->add_option("--by", options->by, "the qa user activating it (not its uploader)")
        ->required();
    add_db_option(*activate, options->db);
    return {cmd, [=] {
                if (list->parsed())
                    return run_limits_list(*options);
                if (show->parsed())
                    return run_limits_show(*options);
                return upload->parsed() ? run_limits_upload(*options)
                                        : run_limits_activate(*options);
            }};
}

Command add_parts_command(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "parts", "The part catalogue a plant's stations test against (published to the plant)");
    cmd->require_subcommand(1);
    auto options = std::make_shared<PartsOptions>();
    auto* publish = cmd->add_subcommand(
        "publish",
        "Publish a catalogue (TOML) to the plant: each station takes it at its next test");
    publish->add_option("file", options->file, "part catalogue TOML (DESIGN §5)")
        ->required()
        ->check(CLI::ExistingFile);
    publish->add_option("--by", options->by, "the plant's qa user publishing it")->required();
    publish->add_option("--db", options->db, "the plant: postgresql://...")->required();
    auto* show = cmd->add_subcommand(
        "show", "The catalogue in use: the plant's, or the one a station database tests with");
    add_db_option(*show, options->db);
    return {cmd, [=] {
                return publish->parsed() ? run_parts_publish(*options) : run_parts_show(*options);
            }};
}

Command add_audit_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("audit", "The audit log: who did what to the record");
    cmd->require_subcommand(1);
    auto options = std::make_shared<AuditOptions>();
    auto* list = cmd->add_subcommand("list", "Every entry, oldest first");
    add_db_option(*list, options->db);
    list->add_flag("--json", options->json, "one JSON array on stdout");
    auto* verify = cmd->add_subcommand(
        "verify", "Check the hash chain; exit 1 naming the first entry that breaks it");
    add_db_option(*verify, options->db);
    return {cmd,
            [=] { return list->parsed() ? run_audit_list(*options) : run_audit_verify(*options); }};
}

Command add_hold_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("hold", "Serials on QA hold (the site's retest policy)");
    cmd->require_subcommand(1);
    auto options = std::make_shared<HoldReleaseOptions>();
    auto* release = cmd->add_subcommand(
        "release", "Let a serial held for its attempts be tested again, recording who and why");
    release->add_option("serial", options->serial, "serial number")->required();
    release->add_option("--by", options->released_by, "the QA engineer releasing it")->required();
    release->add_option("--reason", options->reason, "why it may be tested again")->required();
    add_db_option(*release, options->db);
    release->add_option("--site", options->site,
                        "site file with the retest policy (default: $MPOBENCH_SITE, ./site.toml, "
                        "the sample site.toml)");
    return {cmd, [options] { return run_hold_release(*options); }};
}

Command add_repeat_command(CLI::App& app) {
    auto options = std::make_shared<RepeatOptions>();
    auto* cmd = app.add_subcommand(
        "repeat", "Mating-cycle repeatability: N re-mates, IL of every fibre each cycle");
    cmd->add_option("--station", options->station_file, "station file (TOML)")->required();
    cmd->add_option("--part", options->part, "part number from the catalogue")->required();
    cmd->add_option("--serial", options->serial, "serial number of the assembly")->required();
    cmd->add_option("--cycles", options->cycles, "re-mates")
        ->required()
        ->check(CLI::Range(1, 100000));
    cmd->add_option("--operator", options->operator_name,
                    "who tests: required when the station says so ([station] require_operator, the "
                    "default for a console operator)");
    add_db_option(*cmd, options->db);
    cmd->add_option("--parts", options->parts, "part catalogue replacing the default");
    cmd->add_option(
        "--limits", options->limits,
        "limit set (TOML) replacing the one QA activated (mpobench limits), else the default");
    cmd->add_option("--site", options->site,
                    "site file whose serial_pattern serials must match (default: $MPOBENCH_SITE, "
                    "./site.toml, the sample site.toml)");
    cmd->add_flag("--json", options->json, "one JSON object with the statistics");
    return {cmd, [options] { return run_repeat(*options); }};
}

Command add_history_command(CLI::App& app) {
    auto options = std::make_shared<HistoryOptions>();
    auto* cmd = app.add_subcommand("history", "Every run of one serial number, oldest first");
    cmd->add_option("serial", options->serial, "serial number")->required();
    add_db_option(*cmd, options->db);
    cmd->add_option("--station", options->station,
                    "with --db postgresql://...: only this station's runs (name or UUID)");
    cmd->add_flag("--json", options->json, "one JSON array on stdout");
    return {cmd, [options] { return run_history(*options); }};
}

Command add_cord_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("cord", "Launch and receive cords: wear, re-qualification");
    cmd->require_subcommand(1);

    auto list = std::make_shared<CordListOptions>();
    auto* list_cmd = cmd->add_subcommand("list", "Every cord of the station file and its matings");
    list_cmd->add_option("--station", list->station_file, "station file (TOML)")->required();
    add_db_option(*list_cmd, list->db);
    list_cmd->add_flag("--json", list->json, "one JSON array on stdout");

    auto requalify = std::make_shared<CordRequalifyOptions>();
    auto* requalify_cmd = cmd->add_subcommand(
        "requalify", "Start a cord's mating count again after it was inspected and re-measured");
    requalify_cmd->add_option("cord", requalify->cord_id, "cord id (station file [[cords]])")
        ->required();
    requalify_cmd->add_option("--station", requalify->station_file, "station file (TOML)")
        ->required();
    add_db_option(*requalify_cmd, requalify->db);
    requalify_cmd->add_option("--operator", requalify->operator_name, "who re-qualified it")
        ->required();
    requalify_cmd
        ->add_option("--reason", requalify->reason,
                     "what was done (\"cleaned, inspected, IL 0.08 dB vs master\")")
        ->required();
    return {cmd, [=] {
                return list_cmd->parsed() ? run_cord_list(*list) : run_cord_requalify(*requalify);
            }};
}

Command add_sync_command(CLI::App& app) {
    auto options = std::make_shared<SyncOptions>();
    auto* cmd = app.add_subcommand(
        "sync", "Forward the ended runs waiting in the station's outbox to the plant database");
    cmd->add_option("--db", options->db, "station database (SQLite)")->required();
    cmd->add_option("--to", options->url,
                    "plant database: libpq connection string or postgresql:// URL (the password "
                    "from PGPASSFILE, ~/.pgpass or PGPASSWORD)");
    cmd->add_option("--station", options->station_file,
                    "station file: its [plant] url is the plant (when --to is not given)");
    cmd->add_flag("--background", options->background,
                  "as the forwarder test and serve start: nothing on stdout, what it does goes "
                  "to the log");
    return {cmd, [options] { return run_sync(*options); }};
}

Command add_plant_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("plant", "The plant database (PostgreSQL)");
    cmd->require_subcommand(1);
    auto init = std::make_shared<PlantInitOptions>();
    auto* init_cmd = cmd->add_subcommand(
        "init", "Create the plant schema, its forwarding function and roles (db/plant.sql)");
    init_cmd
        ->add_option("--to", init->url,
                     "plant database: libpq connection string or postgresql:// URL")
        ->required();
    return {cmd, [init] { return run_plant_init(*init); }};
}

Command add_demo_command(CLI::App& app) {
    auto options = std::make_shared<DemoOptions>();
    auto* cmd =
        app.add_subcommand("demo",
                           "The whole job on the simulated bench: simulators, reference, test, "
                           "grade, store");
    auto* dut =
        cmd->add_option("--dut", options->dut_file, "DUT file (JSON) of the simulated assembly")
            ->check(CLI::ExistingFile);
    auto* random = cmd->add_option("--random", options->random_seed,
                                   "random assemblies from this seed (default 1)");
    dut->excludes(random);
    cmd->add_option("--count", options->count,
                    "assemblies to test (default: 1 with --dut, 10 otherwise)")
        ->check(CLI::Range(1, 100000));
    cmd->add_option("--part", options->part,
                    "part number (default: a catalogue part matching the DUT, target elite)");
    cmd->add_option("--parts", options->parts, "part catalogue replacing the default");
    cmd->add_option("--serial", options->serial, "serial number (a prefix when --count > 1)");
    add_db_option(*cmd, options->db);
    cmd->add_option("--plant", options->plant_url,
                    "plant database (libpq connection string or postgresql:// URL): the demo's "
                    "runs are forwarded to it at the end");
    cmd->add_option("--limits", options->limits, "limit set (TOML) replacing the default");
    cmd->add_option("--operator", options->operator_name, "operator name recorded with each run")
        ->capture_default_str();
    cmd->add_option("--certs", options->certs_dir,
                    "write each completed assembly's certificate to DIR/<serial>.pdf");
    cmd->add_option("--site", options->site,
                    "site file for the certificates (default: $MPOBENCH_SITE, ./site.toml, the "
                    "sample site.toml)");
    cmd->add_flag("--json", options->json,
                  "one JSON result per assembly (JSON lines), nothing else on stdout");
    cmd->add_option("--time-scale", options->time_scale,
                    "instrument time multiplier: 1 = real timing; the default runs 50x faster")
        ->check(CLI::Range(0.0, 100.0))
        ->capture_default_str();
    return {cmd, [options] { return run_demo(*options); }};
}

Command add_cert_command(CLI::App& app) {
    auto options = std::make_shared<CertOptions>();
    auto* cmd = app.add_subcommand(
        "cert", "Test certificate (PDF) of a serial's latest completed run, or of a batch");
    cmd->add_option("serial", options->serial, "serial number");
    cmd->add_option("--run", options->run_id, "this run instead of the latest completed one");
    cmd->add_option("--out", options->out,
                    "PDF file (default ./<serial>.pdf); with --part, the directory");
    cmd->add_option("--site", options->site,
                    "site file (default: $MPOBENCH_SITE, ./site.toml, the sample site.toml)");
    cmd->add_option("--paper", options->paper, "A4 or Letter (default: the site file's, A4)");
    cmd->add_flag("--print", options->print, "also send it to the default printer (lp)");
    cmd->add_option("--part", options->batch.part,
                    "batch: the latest completed run of every serial of this part");
    cmd->add_option("--from", options->batch.from_day, "batch: first day, YYYY-MM-DD");
    cmd->add_option("--to", options->batch.to_day, "batch: last day, YYYY-MM-DD, inclusive");
    cmd->add_option("--station", options->batch.station,
                    "with --db postgresql://...: this station's runs (name or UUID); with "
                    "--part: the batch's runs at this station");
    add_db_option(*cmd, options->batch.db);
    return {cmd, [options] { return run_cert(*options); }};
}

Command add_verify_command(CLI::App& app) {
    auto options = std::make_shared<VerifyOptions>();
    auto* cmd = app.add_subcommand(
        "verify", "Does the database hold the exact record of this certificate (or hash)?");
    cmd->add_option("certificate", options->certificate_or_hash,
                    "certificate PDF, or the record hash printed on it (none with --against)");
    add_db_option(*cmd, options->db);
    cmd->add_option("--against", options->against,
                    "plant (postgresql://...): re-hash every run the station database forwarded "
                    "and compare with the plant's record hash");
    cmd->add_flag("--json", options->json, "one JSON object on stdout");
    return {cmd, [options] { return run_verify(*options); }};
}

Command add_label_command(CLI::App& app) {
    auto options = std::make_shared<LabelOptions>();
    auto* cmd = app.add_subcommand(
        "label", "Print the bag label (ZPL) of a serial's latest passing run again, and record it");
    cmd->add_option("serial", options->serial, "serial number")->required();
    cmd->add_option("--run", options->run_id, "this run instead of the latest completed one");
    cmd->add_option("--to", options->to,
                    "tcp://HOST[:PORT] (raw, port 9100 by default), file:PATH or lp:QUEUE");
    cmd->add_option("--station", options->station_file,
                    "station file whose [label] printer to use when --to is not given");
    cmd->add_option("--operator", options->operator_name, "who reprints it (default: $USER)");
    add_db_option(*cmd, options->db);
    cmd->add_option("--site", options->site,
                    "site file whose time zone dates the label (default: $MPOBENCH_SITE, "
                    "./site.toml, the sample)");
    cmd->add_flag("--json", options->json, "one JSON object on stdout");
    return {cmd, [options] { return run_label(*options); }};
}

// The filters of the QA commands (qa_options.hpp).
void add_qa_options(CLI::App& command, QaOptions& options) {
    command.add_option("--from", options.from_day, "first day, YYYY-MM-DD (local time)");
    command.add_option("--to", options.to_day, "last day, YYYY-MM-DD, inclusive");
    command.add_option("--part", options.part, "only this part number");
    command.add_option("--station", options.station, "only this station");
    command.add_option("--operator", options.operator_name, "only this operator");
    add_db_option(command, options.db);
}

void add_format_flags(CLI::App* cmd, QaCommandOptions& options) {
    auto* json_flag = cmd->add_flag("--json", options.json, "one JSON object on stdout");
    cmd->add_flag("--csv", options.csv, "CSV on stdout")->excludes(json_flag);
}

Command add_retests_command(CLI::App& app) {
    auto options = std::make_shared<QaCommandOptions>();
    auto* cmd = app.add_subcommand(
        "retests", "Attempts per serial: retested serials, reasons, test-until-pass flagged");
    add_qa_options(*cmd, options->filter);
    cmd->add_flag("--json", options->json, "one JSON object on stdout");
    return {cmd, [options] { return run_retests(*options); }};
}

Command add_yield_command(CLI::App& app) {
    auto options = std::make_shared<QaCommandOptions>();
    auto* cmd = app.add_subcommand(
        "yield", "Yield of production tests: first-pass and final yield, retests, grade mix");
    add_qa_options(*cmd, options->filter);
    cmd->add_option("--by", options->by,
                    "day (default), week, part, station, operator, grade, or shift (the site "
                    "file's [[shift]] tables in its time zone)")
        ->transform(kLowerCase);
    cmd->add_option("--site", options->site,
                    "site file with the shifts (default: $MPOBENCH_SITE, ./site.toml, the sample)");
    add_format_flags(cmd, *options);
    return {cmd, [options] { return run_yield(*options); }};
}

Command add_pareto_command(CLI::App& app) {
    auto options = std::make_shared<QaCommandOptions>();
    auto* cmd = app.add_subcommand(
        "pareto", "Failure Pareto: runs by cause, failures by end:fibre and by wavelength");
    add_qa_options(*cmd, options->filter);
    cmd->add_option("--by", options->by,
                    "shift: one Pareto per shift of the site file (in its time zone)");
    cmd->add_option("--site", options->site,
                    "site file with the shifts (default: $MPOBENCH_SITE, ./site.toml, the sample)");
    add_format_flags(cmd, *options);
    return {cmd, [options] { return run_pareto(*options); }};
}

Command add_trend_command(CLI::App& app) {
    auto options = std::make_shared<QaCommandOptions>();
    auto* cmd = app.add_subcommand(
        "trend", "IL mean, sigma and 97th percentile per wavelength per day or week, SPC rules");
    add_qa_options(*cmd, options->filter);
    cmd->add_option("--by", options->by, "day (default) or week")->transform(kLowerCase);
    add_format_flags(cmd, *options);
    return {cmd, [options] { return run_trend(*options); }};
}

Command add_report_command(CLI::App& app) {
    auto options = std::make_shared<QaCommandOptions>();
    auto* cmd = app.add_subcommand(
        "report",
        "QA report: one PDF with yield, grade mix, Pareto, IL histograms and trends, "
        "plus PNG charts");
    add_qa_options(*cmd, options->filter);
    cmd->add_option("--by", options->by, "trend and yield periods: day (default) or week")
        ->transform(kLowerCase);
    cmd->add_option("--out", options->out, "directory for report.pdf and the charts")->required();
    cmd->add_option("--site", options->site,
                    "site file (default: $MPOBENCH_SITE, ./site.toml, the sample site.toml)");
    cmd->add_option("--limits", options->limits,
                    "limit set whose Elite maximum the IL histograms mark (default: the default "
                    "set)");
    return {cmd, [options] { return run_report(*options); }};
}

Command add_export_command(CLI::App& app) {
    auto options = std::make_shared<ExportOptions>();
    auto* cmd = app.add_subcommand(
        "export", "Runs, measurements and failures as CSV, XLSX (one sheet each) or JSON");
    cmd->add_option("--format", options->format, "csv, xlsx or json")
        ->required()
        ->transform(kLowerCase);
    add_qa_options(*cmd, options->filter);
    cmd->add_option("--out", options->out,
                    "file (xlsx, json, csv with --table) or directory (csv); default stdout");
    cmd->add_option("--table", options->table, "CSV: only runs, measurements or failures")
        ->transform(kLowerCase);
    cmd->add_flag("--repeatability", options->include_repeatability,
                  "include repeatability runs (default: production tests only)");
    return {cmd, [options] { return run_export(*options); }};
}

}  // namespace

int run_command_line(int argc, char** argv) {
    CLI::App app{"mpobench — acceptance test bench for MPO/MTP fibre-optic cable assemblies"};
    app.set_version_flag("--version", version_text());
    // At most one command; none, or an unknown word, is a usage error below.
    app.require_subcommand(0, 1);
    // Global options are taken after the command too (`mpobench test ...
    // --log-level debug`): a sub-command hands the options it does not know
    // to this level (sub-commands inherit it from here, so before they are
    // added). One a level does not know either is still a usage error.
    app.fallthrough();

    LoggingOptions logging;
    auto* log_level =
        app.add_option("--log-level", logging.level,
                       "trace, debug (every SCPI exchange), info, warn, error, off; without "
                       "it the console shows warnings and errors, the log file info")
            ->capture_default_str();
    app.add_option("--log-file", logging.file,
                   "rotating log file (default: $MPOBENCH_LOG_DIR or ./logs/mpobench.log)");

    // In the order `--help` lists them.
    const std::vector<Command> commands{
        add_sim_command(app),    add_identify_command(app), add_reference_command(app),
        add_test_command(app),   add_repeat_command(app),   add_history_command(app),
        add_cord_command(app),   add_hold_command(app),     add_golden_command(app),
        add_check_command(app),  add_user_command(app),     add_audit_command(app),
        add_limits_command(app), add_demo_command(app),     add_cert_command(app),
        add_verify_command(app), add_yield_command(app),    add_pareto_command(app),
        add_trend_command(app),  add_retests_command(app),  add_report_command(app),
        add_export_command(app), add_label_command(app),    add_serve_command(app),
        add_sync_command(app),   add_plant_command(app),    add_parts_command(app),
    };

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        // CLI11 uses 0 for --help/--version and its own codes otherwise;
        // every usage error is exit 2 here (DESIGN.md §6).
        const int code = app.exit(error);
        return code == 0 ? kPassed : kBadInput;
    }

    logging.console_follows_level = log_level->count() > 0;
    try {
        setup_logging(logging);
    } catch (const std::exception& error) {
        fmt::print(stderr, "mpobench: {}\n", error.what());
        return kBadInput;
    }

    if (app.get_subcommands().empty()) {
        fmt::print(stderr, "mpobench: a command is required\n\n{}", app.help());
        return kBadInput;
    }
    for (const auto* sub : app.get_subcommands()) {
        for (const auto& command : commands) {
            if (command.subcommand == sub) {
                const int code = command.run();
                spdlog::shutdown();
                return code;
            }
        }
    }
    return kBadInput;
}

}  // namespace mpobench::app
