#pragma once
// Each mpobench sub-command registers itself on the CLI and returns the
// exit code (exit_codes.hpp) when run.

#include <CLI/CLI.hpp>

#include <functional>

namespace mpobench::app {

using CommandRunner = std::function<int()>;

CommandRunner add_sim_command(CLI::App& app);
CommandRunner add_identify_command(CLI::App& app);

}  // namespace mpobench::app
