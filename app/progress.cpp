#include "app/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace mpobench::app {

TerminalProgress::TerminalProgress(std::string label, bool enabled)
    : label_(std::move(label)), enabled_(enabled && ::isatty(STDERR_FILENO) == 1) {}

TerminalProgress::~TerminalProgress() {
    clear();
}

acquisition::ProgressCallback TerminalProgress::callback() {
    if (!enabled_)
        return {};
    return [this](const acquisition::ProgressEvent& event) { draw(event); };
}

void TerminalProgress::clear() {
    if (drawn_) {
        fmt::print(stderr, "\r\033[K");
        std::fflush(stderr);
        drawn_ = false;
    }
}

void TerminalProgress::draw(const acquisition::ProgressEvent& event) {
    constexpr int kWidth = 30;
    const int filled = event.total > 0 ? event.done * kWidth / event.total : 0;
    std::string where;
    if (event.kind == acquisition::ProgressEvent::Kind::Step) {
        where = event.message;
    } else {
        where =
            fmt::format("end {} {} nm fibre {}{}", to_string(event.end), event.wavelength_nm,
                        event.fiber, event.cycle > 0 ? fmt::format(" cycle {}", event.cycle) : "");
    }
    fmt::print(stderr, "\r\033[K{} [{}{}] {}/{} {}", label_, std::string(filled, '#'),
               std::string(kWidth - filled, '.'), event.done, event.total, where);
    std::fflush(stderr);
    drawn_ = true;
}

}  // namespace mpobench::app
