#include "app/logging.hpp"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace mpobench::app {
namespace {

std::filesystem::path file_in_use;

// The rotating log file: --log-file, else $MPOBENCH_LOG_DIR/mpobench.log,
// else ./logs/mpobench.log. A file the user named must be writable (an
// error otherwise); the default one is a convenience, so a QA user reading
// records from a folder they cannot write logs to the terminal only.
spdlog::sink_ptr log_file_sink(const std::filesystem::path& option) {
    constexpr std::size_t kFileBytes = 10 * 1024 * 1024;
    constexpr std::size_t kFiles = 5;
    const auto open = [&](const std::filesystem::path& file) {
        if (file.has_parent_path())
            std::filesystem::create_directories(file.parent_path());
        auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(file.string(),
                                                                           kFileBytes, kFiles);
        sink->set_pattern("%Y-%m-%dT%H:%M:%S.%f %L [%n] [pid %P] %v");
        file_in_use = std::filesystem::absolute(file);
        return sink;
    };
    if (!option.empty())
        return open(option);
    const char* dir = std::getenv("MPOBENCH_LOG_DIR");
    const auto file = std::filesystem::path(dir && *dir ? dir : "logs") / "mpobench.log";
    try {
        return open(file);
    } catch (const std::filesystem::filesystem_error& error) {
        fmt::print(stderr, "mpobench: no log file ({}); logging to the terminal only\n",
                   error.what());
    } catch (const spdlog::spdlog_ex& error) {
        fmt::print(stderr, "mpobench: no log file ({}); logging to the terminal only\n",
                   error.what());
    }
    return nullptr;
}

}  // namespace

std::filesystem::path log_file_in_use() {
    return file_in_use;
}

void setup_logging(const LoggingOptions& options) {
    const auto level = spdlog::level::from_str(options.level);
    if (level == spdlog::level::off && options.level != "off") {
        throw std::invalid_argument(
            "--log-level: '" + options.level +
            "' is not one of trace, debug, info, warn, error, critical, off");
    }
    auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    console->set_pattern("%^%L%$ %H:%M:%S.%e [%n] %v");
    console->set_level(options.console_follows_level ? level
                                                     : std::max(level, spdlog::level::warn));
    std::vector<spdlog::sink_ptr> sinks{console};
    if (auto file_sink = log_file_sink(options.file)) {
        sinks.push_back(std::move(file_sink));
    }

    auto logger = std::make_shared<spdlog::logger>("mpobench", sinks.begin(), sinks.end());
    logger->set_level(level);
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(logger);
    spdlog::set_level(level);
    // Named loggers ("scpi", "sim", ...) share these sinks.
    spdlog::set_automatic_registration(true);
    spdlog::flush_every(std::chrono::seconds(2));
}

}  // namespace mpobench::app
