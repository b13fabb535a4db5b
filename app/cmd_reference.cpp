// `mpobench reference`: take and store a reference (one-cord method).

#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/guarded.hpp"
#include "app/station_session.hpp"
#include "app/test_flow.hpp"

namespace mpobench::app {
namespace {

struct ReferenceCommandOptions {
    std::filesystem::path station_file;
    std::string operator_name;
    std::filesystem::path db;
    std::string mode = "SM";
    int fibers = 0;
    std::string launch_cord = "launch cord";
};

int run_reference(const ReferenceCommandOptions& options) {
    return guarded("reference", [&] {
        const auto mode = parse_fiber_mode(options.mode);
        if (!mode) {
            fmt::print(stderr, "mpobench reference: --mode must be MM or SM, not '{}'\n",
                       options.mode);
            return static_cast<int>(kBadInput);
        }
        StationSession session(acquisition::load_station(options.station_file),
                               operator_or_user(options.operator_name));
        db::Repository repository(database_path(options.db));
        const Reference reference =
            take_and_store_reference(session, repository, *mode, options.fibers,
                                     options.launch_cord, /*show_progress=*/true);
        fmt::print("{}\n", reference_summary(reference));
        return static_cast<int>(kPassed);
    });
}

}  // namespace

CommandRunner add_reference_command(CLI::App& app) {
    auto options = std::make_shared<ReferenceCommandOptions>();
    auto* cmd = app.add_subcommand(
        "reference", "Take and store a reference: the launch cord straight into the meter");
    cmd->add_option("--station", options->station_file, "station file (TOML)")->required();
    cmd->add_option("--operator", options->operator_name, "operator name (default: $USER)");
    cmd->add_option("--db", options->db, "database (default: $MPOBENCH_DB or ./mpobench.db)");
    cmd->add_option("--mode", options->mode, "MM (850/1300 nm) or SM (1310/1550 nm)")
        ->capture_default_str();
    cmd->add_option("--fibers", options->fibers,
                    "launch positions to reference (default: all the bench has)");
    cmd->add_option("--launch-cord", options->launch_cord,
                    "identifies the reference-grade launch cord")
        ->capture_default_str();
    return [options] { return run_reference(*options); };
}

}  // namespace mpobench::app
