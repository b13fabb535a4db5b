#pragma once
// A byte pipe to one instrument. Small on purpose (liblxi style): the SCPI
// session above does framing, terminators and parsing, so serial and TCP
// differ only here.

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace mpobench::drivers {

class Transport {
  public:
    using Clock = std::chrono::steady_clock;
    virtual ~Transport() = default;

    // Opens (connects) within the transport's connect timeout. Throws TransportError.
    virtual void open() = 0;
    virtual void close() = 0;
    virtual bool is_open() const = 0;

    // Writes every byte before the deadline or throws TransportError.
    virtual void write(std::string_view bytes, Clock::time_point deadline) = 0;

    // Reads at least one byte into `buffer` unless the deadline passes first.
    // Returns the count; throws TransportError (Timeout at the deadline,
    // Disconnected when the peer went away).
    virtual std::size_t read_some(std::span<char> buffer, Clock::time_point deadline) = 0;

    // Drops bytes already received but not read (stale replies after a timeout).
    virtual void discard_input() = 0;

    // The resource string this transport was made from.
    virtual std::string resource() const = 0;
};

}  // namespace mpobench::drivers
