#pragma once
// spdlog set-up: a console sink on stderr (stdout stays clean for --json)
// and a rotating file.

#include <filesystem>
#include <string>

namespace mpobench::app {

struct LoggingOptions {
    std::string level = "info";  // trace, debug, info, warn, error, critical, off
    // Without an explicit --log-level the console shows only warnings and
    // errors (results go to stdout); the file always gets `level`.
    bool console_follows_level = false;
    std::filesystem::path file;  // empty: $MPOBENCH_LOG_DIR or ./logs, mpobench.log
};

// Throws std::invalid_argument for an unknown level.
void setup_logging(const LoggingOptions& options);

// The log file setup_logging opened (absolute); empty: none. What a process
// this one starts logs to.
std::filesystem::path log_file_in_use();

}  // namespace mpobench::app
