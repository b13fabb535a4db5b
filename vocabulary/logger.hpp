#pragma once
// Named loggers ("scpi", "sim", "bench", ...) that write through the
// default logger's sinks, so the app's console and file set-up covers them.

#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <string>

namespace mpobench {

inline std::shared_ptr<spdlog::logger> logger(const std::string& name) {
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    if (auto existing = spdlog::get(name))
        return existing;
    auto created = spdlog::default_logger()->clone(name);
    spdlog::register_logger(created);
    return created;
}

}  // namespace mpobench
