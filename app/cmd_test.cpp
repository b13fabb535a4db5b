// `mpobench test`: production test of one assembly.

#include <fmt/format.h>

#include "app/certificates.hpp"
#include "app/commands.hpp"
#include "app/guarded.hpp"
#include "app/progress.hpp"
#include "app/run_json.hpp"
#include "app/station_session.hpp"
#include "app/test_flow.hpp"

namespace mpobench::app {
namespace {

struct TestCommandOptions {
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
};

int run_test_command(const TestCommandOptions& options) {
    return guarded("test", [&] {
        const auto station = acquisition::load_station(options.station_file);
        const Part part = find_part(options.parts, options.part);
        const auto limits = load_limits(options.limits);
        std::optional<reports::Site> site;
        if (!options.certificate.empty()) {
            site = load_site_option(options.site);
        }
        db::Repository repository(database_path(options.db));
        const Reference reference = usable_reference(repository, station, part);

        StationSession session(station, operator_or_user(options.operator_name));
        TestEnvironment environment{session.bench, *session.op, repository, limits, reference};
        TerminalProgress progress(options.serial, !options.json);
        const auto outcome =
            run_test(environment, options.serial, part, session.operator_name, progress.callback());
        progress.clear();
        const bool certify = site && outcome.run.status == RunStatus::Completed;
        if (certify) {
            write_run_certificate(repository, outcome.run.id, *site, site->paper,
                                  options.certificate);
        }
        if (options.json) {
            auto result = run_to_json(outcome.run);
            if (certify) {
                result["certificate"] = options.certificate.string();
            }
            fmt::print("{}\n", result.dump());
        } else {
            fmt::print("{}\n", result_summary(outcome.run));
            if (certify) {
                fmt::print("certificate: {}\n", options.certificate.string());
            }
        }
        return outcome.exit_code;
    });
}

}  // namespace

CommandRunner add_test_command(CLI::App& app) {
    auto options = std::make_shared<TestCommandOptions>();
    auto* cmd = app.add_subcommand(
        "test", "Production test of one assembly: IL, RL and polarity of both ends");
    cmd->add_option("--station", options->station_file, "station file (TOML)")->required();
    cmd->add_option("--part", options->part, "part number from the catalogue")->required();
    cmd->add_option("--serial", options->serial, "serial number of the assembly")->required();
    cmd->add_option("--operator", options->operator_name, "operator name (default: $USER)");
    cmd->add_option("--db", options->db, "database (default: $MPOBENCH_DB or ./mpobench.db)");
    cmd->add_option("--parts", options->parts, "part catalogue replacing the default");
    cmd->add_option("--limits", options->limits, "limit set (TOML) replacing the default");
    cmd->add_option("--cert", options->certificate,
                    "write the certificate (PDF) here when the test completes");
    cmd->add_option("--site", options->site,
                    "site file for the certificate (default: $MPOBENCH_SITE, ./site.toml, the "
                    "sample site.toml)");
    cmd->add_flag("--json", options->json, "print the result as one JSON object and nothing else");
    return [options] { return run_test_command(*options); };
}

}  // namespace mpobench::app
