#include "drivers/resource.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <stdexcept>
#include <vector>

#include "drivers/serial_transport.hpp"
#include "drivers/tcp_transport.hpp"

namespace mpobench::drivers {

namespace {

constexpr std::string_view kForms = "TCPIP[board]::host::port::SOCKET or ASRL<device>[::INSTR]";

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::toupper(static_cast<unsigned char>(x)) ==
               std::toupper(static_cast<unsigned char>(y));
    });
}

bool istarts_with(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

std::vector<std::string_view> split_fields(std::string_view text) {
    std::vector<std::string_view> fields;
    for (auto end = text.find("::"); end != std::string_view::npos; end = text.find("::")) {
        fields.push_back(text.substr(0, end));
        text.remove_prefix(end + 2);
    }
    fields.push_back(text);
    return fields;
}

// An unsigned decimal with nothing else around it, or -1.
long digits_value(std::string_view text) {
    const bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
    });
    long value = -1;
    const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    return digits && result.ec == std::errc{} ? value : -1;
}

// The text with control characters as \xNN, so a message quoting it is whole and readable.
std::string printable(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (std::iscntrl(static_cast<unsigned char>(c)))
            out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        else
            out += c;
    }
    return out;
}

[[noreturn]] void reject(std::string_view text, std::string_view why) {
    throw std::invalid_argument(fmt::format("resource '{}': {}", printable(text), why));
}

TcpSocketResource parse_tcpip(std::string_view text, const std::vector<std::string_view>& fields) {
    const auto board_text = fields[0].substr(5);
    const long board = board_text.empty() ? 0 : digits_value(board_text);
    // Beyond int the board would be truncated into another, maybe negative, number.
    if (board < 0 || board > std::numeric_limits<int>::max()) {
        reject(text, "the board after TCPIP must be a number");
    }
    if (iequals(fields.back(), "INSTR")) {
        reject(text,
               "VXI-11/HiSLIP (TCPIP::host[::device]::INSTR) is not supported yet; "
               "use the raw socket form TCPIP::host::port::SOCKET");
    }
    if (fields.size() != 4 || !iequals(fields[3], "SOCKET")) {
        reject(text, fmt::format("expected {}", kForms));
    }
    const auto host = fields[1];
    const bool host_ok = !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    });
    if (!host_ok) {
        reject(text, fmt::format("'{}' is not a host name or IPv4 address", host));
    }
    const long port = digits_value(fields[2]);
    if (port < 1 || port > 65535) {
        reject(text, fmt::format("port '{}' is not a number from 1 to 65535", fields[2]));
    }
    return {static_cast<int>(board), std::string(host), static_cast<std::uint16_t>(port)};
}

// ASRL takes a device path (pyvisa-py style, ASRL/dev/ttyUSB0::INSTR) or,
// as in NI-VISA, a port number where ASRLn is COMn, which Linux calls
// /dev/ttyS(n-1).
SerialResource parse_asrl(std::string_view text, const std::vector<std::string_view>& fields) {
    if (fields.size() > 2 || (fields.size() == 2 && !iequals(fields[1], "INSTR"))) {
        reject(text, fmt::format("expected {}", kForms));
    }
    const auto board = fields[0].substr(4);
    // A trailing ':' would run into the "::INSTR" format_resource appends.
    if (board.ends_with(':')) {
        reject(text, "an ASRL device path may not end with ':'");
    }
    // open() would stop at a NUL and use a shorter path than the one shown.
    if (std::any_of(board.begin(), board.end(),
                    [](char c) { return std::iscntrl(static_cast<unsigned char>(c)); })) {
        reject(text, "an ASRL device path may not contain control characters");
    }
    if (board.starts_with('/') && board.size() > 1) {
        return {std::string(board)};
    }
    const long number = digits_value(board);
    if (number < 1) {
        reject(text,
               "ASRL must be followed by a device path (ASRL/dev/ttyUSB0) or a port "
               "number from 1 (ASRL1 = /dev/ttyS0)");
    }
    return {fmt::format("/dev/ttyS{}", number - 1)};
}

}  // namespace

Resource parse_resource(std::string_view text) {
    const auto fields = split_fields(text);
    if (istarts_with(fields[0], "TCPIP")) {
        return parse_tcpip(text, fields);
    }
    if (istarts_with(fields[0], "ASRL")) {
        return parse_asrl(text, fields);
    }
    if (istarts_with(fields[0], "USB") || istarts_with(fields[0], "GPIB")) {
        reject(text,
               fmt::format("USB-TMC and GPIB resources are not supported yet; use {}", kForms));
    }
    reject(text, fmt::format("expected {}", kForms));
}

std::string format_resource(const Resource& resource) {
    struct Formatter {
        std::string operator()(const TcpSocketResource& tcp) const {
            return fmt::format("TCPIP{}::{}::{}::SOCKET", tcp.board, tcp.host, tcp.port);
        }
        std::string operator()(const SerialResource& serial) const {
            return fmt::format("ASRL{}::INSTR", serial.device);
        }
    };
    return std::visit(Formatter{}, resource);
}

std::unique_ptr<Transport> make_transport(const Resource& resource,
                                          const TransportOptions& options) {
    struct Maker {
        const TransportOptions& options;
        std::unique_ptr<Transport> operator()(const TcpSocketResource& tcp) const {
            return std::make_unique<TcpTransport>(tcp, options.connect_timeout);
        }
        std::unique_ptr<Transport> operator()(const SerialResource& serial) const {
            return std::make_unique<SerialTransport>(serial, options.serial,
                                                     options.connect_timeout);
        }
    };
    return std::visit(Maker{options}, resource);
}

}  // namespace mpobench::drivers
