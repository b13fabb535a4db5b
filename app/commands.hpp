#pragma once
// The mpobench sub-commands: each one's options as the command line gave
// them, and the function that runs it and returns the exit code
// (exit_codes.hpp). cli.cpp fills the options; the defaults here are the
// ones `--help` shows.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "app/qa_options.hpp"

namespace mpobench::app {

struct SimOptions {
    std::filesystem::path dut_file;
    std::optional<std::uint64_t> random_seed;
    std::filesystem::path station_out = "sim-station.toml";
    double time_scale = 1.0;
    std::string faults;
    std::filesystem::path run_dir;
    std::string layout = "separate";  // separate | mainframe | mainframe-serial
    // simulated: the station file's operator is the simulator's; web: the
    // web page's, whose Done drives the simulator's (mpobench serve).
    std::string operator_kind = "simulated";
    // --source-drift-db: peak excursion of the simulated source's slow
    // power drift (the simulator's default 0.03 dB when not given).
    std::optional<double> source_drift_db;
    // --positions: far positions (8-port meters) and launch-switch outputs;
    // 0: from the assembly's fibres, at least 32.
    int positions = 0;
};
int run_sim(const SimOptions& options);

struct IdentifyOptions {
    std::filesystem::path station_file;
    bool json = false;
    std::filesystem::path db;  // whose outbox the "plant:" line counts
};
int run_identify(const IdentifyOptions& options);

struct ReferenceCommandOptions {
    std::filesystem::path station_file;
    std::string operator_name;
    std::filesystem::path db;
    std::string mode = "SM";
    int fibers = 0;
    std::string launch_cord;  // empty: the station file's launch cord
};
int run_reference(const ReferenceCommandOptions& options);

struct TestCommandOptions {
    std::string work_order;  // --work-order: sent to the MES interlock
    std::filesystem::path station_file;
    std::string part;
    std::string serial;
    std::string operator_name;
    std::filesystem::path db;
    std::filesystem::path parts;
    std::filesystem::path limits;
    bool json = false;
    std::filesystem::path certificate;
    std::filesystem::path site;
    std::string retest_reason;  // a reason code of the site's retest policy
};
int run_test_command(const TestCommandOptions& options);

struct GoldenAddOptions {
    std::string serial;
    std::int64_t run_id = 0;  // 0: the serial's latest completed production run
    std::string added_by;
    std::filesystem::path db;
};
int run_golden_add(const GoldenAddOptions& options);

struct GoldenBiasOptions {
    std::filesystem::path db;
    bool json = false;
};
int run_golden_bias(const GoldenBiasOptions& options);

struct CheckOptions {
    std::string golden;
    std::filesystem::path station_file;
    std::string operator_name;
    std::filesystem::path db;
    std::filesystem::path parts;
    std::filesystem::path site;
    bool json = false;
};
int run_check(const CheckOptions& options);

struct UserAddOptions {
    std::string name;
    std::string role;
    std::filesystem::path password_file;  // empty: read from the terminal
    std::filesystem::path db;
};
int run_user_add(const UserAddOptions& options);

struct UserListOptions {
    std::filesystem::path db;
    bool json = false;
};
int run_user_list(const UserListOptions& options);

struct UserDisableOptions {
    std::string name;
    std::filesystem::path db;
};
int run_user_disable(const UserDisableOptions& options);

// mpobench user badge NAME: the badge the user logs in to the web pages with.
struct UserBadgeOptions {
    std::string name;
    std::filesystem::path badge_file;  // empty: scanned at the terminal, not echoed
    std::filesystem::path db;
};
int run_user_badge(const UserBadgeOptions& options);

// `mpobench limits`: limit sets under the two-person rule.
struct LimitsOptions {
    std::filesystem::path db;
    std::int64_t id = 0;         // show, activate
    std::filesystem::path file;  // upload
    std::string by;              // upload, activate: a qa user of the database
    bool json = false;           // list, show
    bool default_set = false;    // show --default: the built-in set, a start for a new one
};
int run_limits_list(const LimitsOptions& options);
int run_limits_show(const LimitsOptions& options);
int run_limits_upload(const LimitsOptions& options);
int run_limits_activate(const LimitsOptions& options);

// `mpobench parts`: the plant's part catalogue (README "Parts, limits and
// users from the plant").
struct PartsOptions {
    std::filesystem::path db;    // publish: the plant; show: the plant or a station database
    std::filesystem::path file;  // publish
    std::string by;              // publish: a qa user of the plant
};
int run_parts_publish(const PartsOptions& options);
int run_parts_show(const PartsOptions& options);

struct AuditOptions {
    std::filesystem::path db;
    bool json = false;
};
int run_audit_list(const AuditOptions& options);
int run_audit_verify(const AuditOptions& options);

struct HoldReleaseOptions {
    std::string serial;
    std::string released_by;
    std::string reason;
    std::filesystem::path db;
    std::filesystem::path site;
};
int run_hold_release(const HoldReleaseOptions& options);

struct RepeatOptions {
    std::filesystem::path station_file;
    std::string part;
    std::string serial;
    int cycles = 0;
    std::string operator_name;
    std::filesystem::path db;
    std::filesystem::path parts;
    std::filesystem::path limits;
    std::filesystem::path site;  // for its serial_pattern
    bool json = false;
};
int run_repeat(const RepeatOptions& options);

struct HistoryOptions {
    std::string serial;
    std::filesystem::path db;  // a station database, or the plant (postgresql://...)
    std::string station;       // plant only: a station name or station UUID
    bool json = false;
};
int run_history(const HistoryOptions& options);

struct CordListOptions {
    std::filesystem::path station_file;
    std::filesystem::path db;
    bool json = false;
};
int run_cord_list(const CordListOptions& options);

struct CordRequalifyOptions {
    std::string cord_id;
    std::filesystem::path station_file;
    std::filesystem::path db;
    std::string operator_name;
    std::string reason;
};
int run_cord_requalify(const CordRequalifyOptions& options);

struct DemoOptions {
    std::filesystem::path dut_file;
    std::optional<std::uint64_t> random_seed;
    int count = 0;  // 0: not given (1 with --dut, 10 otherwise)
    std::string part;
    std::filesystem::path parts;
    std::string serial;
    std::filesystem::path db;
    std::filesystem::path limits;
    std::string operator_name = "demo";
    bool json = false;
    double time_scale = 0.02;
    std::filesystem::path certs_dir;
    std::filesystem::path site;
    std::string plant_url;  // --plant: forward the runs there at the end
};
int run_demo(DemoOptions options);

struct CertOptions {
    std::string serial;
    std::int64_t run_id = 0;
    std::filesystem::path out;
    std::filesystem::path site;
    std::string paper;
    bool print = false;
    QaOptions batch;  // --part with --from/--to: one certificate per serial
};
int run_cert(const CertOptions& options);

// mpobench label SN: reprint the bag label (README "Labels and installation").
struct LabelOptions {
    std::string serial;
    std::int64_t run_id = 0;  // 0: the latest completed production run
    std::string to;           // destination; else the station file's [label] printer
    std::filesystem::path station_file;
    std::string operator_name;
    std::filesystem::path db;
    std::filesystem::path site;  // its time zone dates the label
    bool json = false;
};
int run_label(const LabelOptions& options);

struct VerifyOptions {
    std::string certificate_or_hash;  // empty with --against
    std::filesystem::path db;
    // The plant (postgresql://...): every run the station database --db
    // forwarded is re-hashed from its rows and compared with the plant's.
    std::string against;
    bool json = false;
};
int run_verify(const VerifyOptions& options);

// yield, pareto, trend and report; each reads the fields it has flags for.
struct QaCommandOptions {
    QaOptions filter;
    std::string by;
    bool json = false;
    bool csv = false;
    std::filesystem::path out;     // report
    std::filesystem::path site;    // report
    std::filesystem::path limits;  // report: the Elite/Generic marks on the histograms
};
int run_yield(const QaCommandOptions& options);
int run_pareto(const QaCommandOptions& options);
int run_trend(const QaCommandOptions& options);
int run_retests(const QaCommandOptions& options);
int run_report(const QaCommandOptions& options);

struct ExportOptions {
    QaOptions filter;
    std::string format;
    std::string table;
    std::filesystem::path out;
    bool include_repeatability = false;
};
int run_export(const ExportOptions& options);

// `mpobench sync`: the station's outbox forwarded to the plant (README
// "The plant database"); `mpobench plant init`: the plant schema created.
struct SyncOptions {
    std::filesystem::path db;
    std::string url;  // libpq connection string or postgresql:// URL, no password
    // --station: the plant its [plant] url names (when --to is not given).
    std::filesystem::path station_file;
    // --background: started by test/repeat; quiet on stdout, logs instead.
    bool background = false;
};
int run_sync(const SyncOptions& options);

struct PlantInitOptions {
    std::string url;
};
int run_plant_init(const PlantInitOptions& options);

}  // namespace mpobench::app
