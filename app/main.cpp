// mpobench: production test of MPO/MTP fibre-optic cable assemblies.

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <map>

#include "app/commands.hpp"
#include "app/exit_codes.hpp"
#include "app/logging.hpp"

int main(int argc, char** argv) {
    using namespace mpobench::app;
    CLI::App app{"mpobench — acceptance test bench for MPO/MTP fibre-optic cable assemblies"};
    app.set_version_flag("--version", std::string("mpobench ") + MPOBENCH_VERSION);
    // At most one command; none, or an unknown word, is a usage error below.
    app.require_subcommand(0, 1);

    LoggingOptions logging;
    auto* log_level =
        app.add_option("--log-level", logging.level,
                       "trace, debug (every SCPI exchange), info, warn, error, off; without "
                       "it the console shows warnings and errors, the log file info")
            ->capture_default_str();
    app.add_option("--log-file", logging.file,
                   "rotating log file (default: $MPOBENCH_LOG_DIR or ./logs/mpobench.log)");

    std::map<const CLI::App*, CommandRunner> runners;
    auto add = [&](CommandRunner (*registrar)(CLI::App&)) {
        const auto before = app.get_subcommands({});
        CommandRunner runner = registrar(app);
        for (const auto* sub : app.get_subcommands({})) {
            if (std::find(before.begin(), before.end(), sub) == before.end())
                runners[sub] = runner;
        }
    };
    add(add_sim_command);
    add(add_identify_command);
    add(add_reference_command);
    add(add_test_command);
    add(add_repeat_command);
    add(add_history_command);
    add(add_demo_command);
    add(add_cert_command);
    add(add_verify_command);
    add(add_yield_command);
    add(add_pareto_command);
    add(add_trend_command);
    add(add_report_command);
    add(add_export_command);

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
        const auto found = runners.find(sub);
        if (found != runners.end()) {
            const int code = found->second();
            spdlog::shutdown();
            return code;
        }
    }
    return kBadInput;
}
