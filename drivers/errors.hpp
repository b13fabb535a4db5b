#pragma once
// Communication errors carry the whole story: which instrument, which
// command, what came back (or that nothing did), and how long it took.

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mpobench::drivers {

enum class ErrorKind {
    Timeout,        // no (complete) reply within the deadline
    Disconnected,   // the port closed, the device vanished, the peer reset
    Io,             // the operating system refused an operation
    Protocol,       // a reply that does not parse: garbled bytes, wrong shape
    Device,         // the instrument reported an error in its error queue
    Configuration,  // bad resource string, unknown model, identity mismatch
};

std::string_view to_string(ErrorKind kind);

// Bytes as they can go in a one-line message: printable ASCII kept, \n, \r
// and \t spelled out, anything else as \xNN; longer runs are abridged.
std::string printable(std::string_view bytes, std::size_t max_length = 120);

// Raised by transports; the SCPI session adds the command context and
// rethrows it as an InstrumentError.
class TransportError : public std::runtime_error {
  public:
    TransportError(ErrorKind kind, const std::string& what)
        : std::runtime_error(what), kind_(kind) {}
    ErrorKind kind() const { return kind_; }

  private:
    ErrorKind kind_;
};

struct ErrorContext {
    std::string role;                  // "meter", "source", ... (station file name)
    std::string resource;              // VISA resource string
    std::string command;               // the command or query sent, without terminator
    std::optional<std::string> reply;  // raw reply if any arrived (possibly partial)
    std::chrono::milliseconds elapsed{0};
};

// what() is one line: "<role> (<resource>): '<command>' <detail>; reply '<reply>'".
class InstrumentError : public std::runtime_error {
  public:
    InstrumentError(ErrorKind kind, ErrorContext context, const std::string& detail);
    ErrorKind kind() const { return kind_; }
    const ErrorContext& context() const { return context_; }
    const std::string& detail() const { return detail_; }

  private:
    ErrorKind kind_;
    ErrorContext context_;
    std::string detail_;
};

}  // namespace mpobench::drivers
