#pragma once
// Each mpobench sub-command registers itself on the CLI and returns the
// exit code (exit_codes.hpp) when run.

#include <CLI/CLI.hpp>

#include <functional>

namespace mpobench::app {

using CommandRunner = std::function<int()>;

CommandRunner add_sim_command(CLI::App& app);
CommandRunner add_identify_command(CLI::App& app);
CommandRunner add_reference_command(CLI::App& app);
CommandRunner add_test_command(CLI::App& app);
CommandRunner add_repeat_command(CLI::App& app);
CommandRunner add_history_command(CLI::App& app);
CommandRunner add_demo_command(CLI::App& app);
CommandRunner add_cert_command(CLI::App& app);
CommandRunner add_verify_command(CLI::App& app);
CommandRunner add_yield_command(CLI::App& app);
CommandRunner add_pareto_command(CLI::App& app);
CommandRunner add_trend_command(CLI::App& app);
CommandRunner add_report_command(CLI::App& app);
CommandRunner add_export_command(CLI::App& app);

}  // namespace mpobench::app
