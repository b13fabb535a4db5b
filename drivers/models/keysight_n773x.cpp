// Keysight N7731C/N7734C style optical switch.
//
// Manual followed: the switch commands of the "8163A/B, 8164A/B & 8166A/B
// Mainframes Programming Guide", Fifth Edition, "Signal Routing" (p. 169 f.),
// which the N773x switches share (N7731C/N7734C programming guide: same
// ROUTe subsystem, the switch being its own slot 1). Choices where
// INSTRUMENTS.md says *(check)*:
// * `:ROUTe<n>[:CHANnel<m>]?` answers the route as `A,<port>`, the form the
//   route command takes.
// * `:ROUTe<n>:CONFig?` answers `<first left>,<last left>;<min right>,<max
//   right>`; a 1xN switch: `A,A;1,N` (the guide's example `A,B;1,2` is a 2x2).
// * Settling: the driver waits for *OPC?, which the switch answers once the
//   move has settled (MEMS datasheets: 10-25 ms), rather than a fixed
//   100 ms pause as public scripts do.
// * Read back every move: the route query rides in the same message as the
//   move and *OPC? (`:ROUT1:CHAN1 A,5;*OPC?;:ROUT1:CHAN1?` -> `1;A,5`), so the
//   check costs no extra round trip on the per-fibre critical path.

#include "drivers/models/keysight_n773x.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "vocabulary/logger.hpp"

namespace mpobench::drivers {

namespace {

constexpr std::string_view route_query = ":ROUT1:CHAN1?";
constexpr std::string_view config_query = ":ROUT1:CONF?";

// "A,5" -> 5 (0 = parked, as some switches report before the first move).
int parse_port(std::string_view route) {
    const auto fields = split_list(route);
    if (fields.size() != 2 || fields[0] != "A") {
        throw std::invalid_argument(fmt::format("'{}' is not a route 'A,<port>'", route));
    }
    const long long port = parse_integer(fields[1]);
    if (port < 0 || port > 10000) {
        throw std::invalid_argument(fmt::format("port {} is not a switch output", port));
    }
    return static_cast<int>(port);
}

// ":ROUT1:CONF?": "<first left>,<last left>;<lowest right>,<highest right>".
struct SwitchConfig {
    std::string first_left, last_left;
    long long lowest_right = 0, highest_right = 0;
};

SwitchConfig parse_config(std::string_view config) {
    const auto semicolon = config.find(';');
    if (semicolon == std::string_view::npos) {
        throw std::invalid_argument(
            fmt::format("'{}' is not a configuration '<left>;<right>'", config));
    }
    const auto left = split_list(config.substr(0, semicolon));
    const auto right = split_list(config.substr(semicolon + 1));
    if (left.size() != 2 || right.size() != 2 || left[0].empty() || left[1].empty()) {
        throw std::invalid_argument(
            fmt::format("'{}' is not a configuration '<A>,<B>;<1>,<N>'", config));
    }
    return {left[0], left[1], parse_integer(right[0]), parse_integer(right[1])};
}

}  // namespace

KeysightN773x::KeysightN773x(InstrumentConfig config, std::unique_ptr<ScpiSession> session)
    : ScpiDriver(std::move(config), std::move(session)) {}

bool KeysightN773x::accepts_identity(const Identity& identity) {
    const bool vendor_ok = identity.vendor.find("Keysight") != std::string::npos ||
                           identity.vendor.find("Agilent") != std::string::npos;
    return vendor_ok && identity.model.rfind("N773", 0) == 0;
}

void KeysightN773x::prepare() {
    session_->clear_status();
    const std::string reply = session_->query(config_query);
    SwitchConfig reported;
    try {
        reported = parse_config(reply);
    } catch (const std::invalid_argument& error) {
        throw InstrumentError(ErrorKind::Protocol, session_->context(config_query, reply),
                              error.what());
    }
    if (reported.first_left != "A" || reported.last_left != "A" || reported.lowest_right != 1 ||
        reported.highest_right < 1 || reported.highest_right > 10000) {
        throw InstrumentError(ErrorKind::Configuration, session_->context(config_query, reply),
                              "this is not a 1xN switch with common port A and outputs 1..N, "
                              "which this driver drives");
    }
    const int ports = static_cast<int>(reported.highest_right);
    if (config_.channels > ports) {
        throw InstrumentError(ErrorKind::Configuration, session_->context(config_query, reply),
                              fmt::format("the station file declares {} ports, the switch has {}",
                                          config_.channels, ports));
    }
    reported_ports_ = ports;
    logger("drivers")->info("{}: 1x{} switch, using {} outputs", config_.name, ports, port_count());
}

int KeysightN773x::port_count() const {
    if (config_.channels > 0)
        return config_.channels;
    if (reported_ports_)
        return *reported_ports_;
    throw InstrumentError(ErrorKind::Configuration,
                          ErrorContext{config_.name, config_.resource, "", std::nullopt, {}},
                          "the port count is known only after prepare() (or from the station "
                          "file's channels)");
}

void KeysightN773x::route(int port) {
    const std::string command = fmt::format(":ROUT1:CHAN1 A,{};*OPC?;{}", port, route_query);
    const int ports = port_count();
    if (port < 1 || port > ports) {
        throw InstrumentError(ErrorKind::Configuration, session_->context(command),
                              fmt::format("port {} is outside 1..{}", port, ports));
    }
    // Moving to the port the switch may already be at changes nothing: a
    // move whose reply was lost or garbled is sent again (and read back).
    const std::string reply = session_->query(command, Retry::Idempotent);
    const auto semicolon = reply.find(';');
    if (semicolon == std::string::npos || reply.substr(0, semicolon) != "1") {
        throw InstrumentError(ErrorKind::Protocol, session_->context(command, reply),
                              "expected '1;A,<port>' (*OPC? then the route)");
    }
    const int reached = parse_route(command, reply, std::string_view(reply).substr(semicolon + 1));
    if (reached != port) {
        const auto errors = session_->drain_errors();
        std::string detail =
            fmt::format("the switch reports output {} after a move to {}", reached, port);
        for (const auto& entry : errors) {
            detail += fmt::format("; error {} \"{}\"", entry.code, entry.message);
        }
        throw InstrumentError(ErrorKind::Device, session_->context(command, reply), detail);
    }
}

int KeysightN773x::current_port() {
    const std::string reply = session_->query(route_query);
    return parse_route(route_query, reply, reply);
}

int KeysightN773x::parse_route(std::string_view command, const std::string& reply,
                               std::string_view route) {
    try {
        return parse_port(route);
    } catch (const std::invalid_argument& error) {
        throw InstrumentError(ErrorKind::Protocol, session_->context(command, reply), error.what());
    }
}

}  // namespace mpobench::drivers
