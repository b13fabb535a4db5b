#include "app/logging.hpp"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace mpobench::app {

void setup_logging(const LoggingOptions& options) {
    const auto level = spdlog::level::from_str(options.level);
    if (level == spdlog::level::off && options.level != "off") {
        throw std::invalid_argument(
            "--log-level: '" + options.level +
            "' is not one of trace, debug, info, warn, error, critical, off");
    }
    std::filesystem::path file = options.file;
    if (file.empty()) {
        const char* dir = std::getenv("MPOBENCH_LOG_DIR");
        file = std::filesystem::path(dir && *dir ? dir : "logs") / "mpobench.log";
    }
    if (file.has_parent_path())
        std::filesystem::create_directories(file.parent_path());

    auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    console->set_pattern("%^%L%$ %H:%M:%S.%e [%n] %v");
    console->set_level(options.console_follows_level ? level
                                                     : std::max(level, spdlog::level::warn));
    constexpr std::size_t kFileBytes = 10 * 1024 * 1024;
    constexpr std::size_t kFiles = 5;
    auto rotating =
        std::make_shared<spdlog::sinks::rotating_file_sink_mt>(file.string(), kFileBytes, kFiles);
    rotating->set_pattern("%Y-%m-%dT%H:%M:%S.%f %L [%n] [pid %P] %v");

    auto logger =
        std::make_shared<spdlog::logger>("mpobench", spdlog::sinks_init_list{console, rotating});
    logger->set_level(level);
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(logger);
    spdlog::set_level(level);
    // Named loggers ("scpi", "sim", ...) share these sinks.
    spdlog::set_automatic_registration(true);
    spdlog::flush_every(std::chrono::seconds(2));
}

}  // namespace mpobench::app
