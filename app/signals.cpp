#include "app/signals.hpp"

#include <fmt/format.h>
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace mpobench::app {

namespace {

// The signal received (0: none). A lock-free atomic is safe to store from a
// handler.
std::atomic<int> received_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

struct sigaction previous_int {};
struct sigaction previous_term {};

extern "C" void note_stop_signal(int signal_number) {
    received_signal.store(signal_number, std::memory_order_relaxed);
}

}  // namespace

SignalStop::SignalStop() {
    received_signal.store(0);
    struct sigaction action {};
    action.sa_handler = note_stop_signal;
    sigemptyset(&action.sa_mask);
    // SA_RESTART: reads and writes the flag has nothing to say to go on as
    // if there had been no signal (the waits that must notice it poll in
    // slices). SA_RESETHAND: the second signal finds the default action.
    action.sa_flags = SA_RESTART | SA_RESETHAND;
    if (::sigaction(SIGINT, &action, &previous_int) != 0 ||
        ::sigaction(SIGTERM, &action, &previous_term) != 0) {
        throw std::runtime_error(
            fmt::format("cannot install the SIGINT/SIGTERM handlers: {}", std::strerror(errno)));
    }
}

SignalStop::~SignalStop() {
    ::sigaction(SIGINT, &previous_int, nullptr);
    ::sigaction(SIGTERM, &previous_term, nullptr);
}

std::optional<std::string> SignalStop::reason() const {
    const int signal_number = received_signal.load(std::memory_order_relaxed);
    if (signal_number == 0)
        return std::nullopt;
    return signal_number == SIGINT ? std::string("operator abort (SIGINT)")
                                   : std::string("operator abort (SIGTERM)");
}

}  // namespace mpobench::app
