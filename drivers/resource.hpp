#pragma once
// VISA resource strings: TCPIP[n]::host::port::SOCKET and ASRL<path>::INSTR.
// Serial line settings are attributes, not part of the string: they come
// from the station file.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "drivers/transport.hpp"

namespace mpobench::drivers {

struct TcpSocketResource {
    int board = 0;
    std::string host;
    std::uint16_t port = 5025;

    bool operator==(const TcpSocketResource&) const = default;
};

struct SerialResource {
    std::string device;  // e.g. /dev/ttyUSB0, /dev/pts/7, or a by-id symlink

    bool operator==(const SerialResource&) const = default;
};

using Resource = std::variant<TcpSocketResource, SerialResource>;

// Throws std::invalid_argument quoting the string for malformed or
// unsupported forms (VXI-11 ::INSTR and USB are rejected with a clear message).
// Keywords are case-insensitive. ASRL takes a device path (ASRL/dev/ttyUSB0)
// or a VISA port number, ASRLn being COMn: /dev/ttyS(n-1).
Resource parse_resource(std::string_view text);
std::string format_resource(const Resource& resource);

enum class Parity { None, Odd, Even, Mark, Space };
// Linux serial drivers offer no DTR/DSR handshake, so neither does the station file.
enum class FlowControl { None, XonXoff, RtsCts };

struct SerialSettings {
    int baud = 9600;
    int data_bits = 8;
    Parity parity = Parity::None;
    int stop_bits = 1;
    FlowControl flow_control = FlowControl::None;
};

struct TransportOptions {
    SerialSettings serial;
    std::chrono::milliseconds connect_timeout{3000};
};

// Builds the transport a resource names (not yet opened).
std::unique_ptr<Transport> make_transport(const Resource& resource,
                                          const TransportOptions& options);

}  // namespace mpobench::drivers
