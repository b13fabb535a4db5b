#pragma once
// The mpobench command line. CLI11 is included by cli.cpp alone: its header
// costs seconds of compile time in every translation unit that includes it.

namespace mpobench::app {

// Parses the command line, sets up logging and runs the sub-command it
// names; returns the exit code (exit_codes.hpp), 2 for every usage error.
int run_command_line(int argc, char** argv);

}  // namespace mpobench::app
