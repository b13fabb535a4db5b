#include <catch2/catch.hpp>

#include "drivers/resource.hpp"

using namespace mpobench::drivers;
using Catch::Matchers::Contains;

namespace {

TcpSocketResource tcp(std::string_view text) {
    return std::get<TcpSocketResource>(parse_resource(text));
}
std::string device(std::string_view text) {
    return std::get<SerialResource>(parse_resource(text)).device;
}

}  // namespace

TEST_CASE("TCPIP socket resources parse with and without a board number", "[resource]") {
    const auto with_board = tcp("TCPIP0::127.0.0.1::5025::SOCKET");
    CHECK(with_board.board == 0);
    CHECK(with_board.host == "127.0.0.1");
    CHECK(with_board.port == 5025);

    const auto without_board = tcp("TCPIP::instr-3.lab_b.local::5024::SOCKET");
    CHECK(without_board.board == 0);
    CHECK(without_board.host == "instr-3.lab_b.local");
    CHECK(without_board.port == 5024);

    const auto lower_case = tcp("tcpip2::localhost::65535::socket");
    CHECK(lower_case.board == 2);
    CHECK(lower_case.host == "localhost");
    CHECK(lower_case.port == 65535);
}

TEST_CASE("ASRL resources take a device path or a VISA port number", "[resource]") {
    CHECK(device("ASRL/dev/pts/7::INSTR") == "/dev/pts/7");
    CHECK(device("asrl/dev/ttyUSB0::instr") == "/dev/ttyUSB0");
    CHECK(device("ASRL/dev/ttyACM1") == "/dev/ttyACM1");
    CHECK(device("ASRL/dev/serial/by-id/usb-FTDI_FT232R-if00-port0::INSTR") ==
          "/dev/serial/by-id/usb-FTDI_FT232R-if00-port0");
    // NI-VISA numbering: ASRL1 is COM1, which Linux calls /dev/ttyS0.
    CHECK(device("ASRL1::INSTR") == "/dev/ttyS0");
    CHECK(device("ASRL3::INSTR") == "/dev/ttyS2");
}

TEST_CASE("format_resource writes the canonical form and round-trips", "[resource]") {
    CHECK(format_resource(parse_resource("tcpip::host::5025::socket")) ==
          "TCPIP0::host::5025::SOCKET");
    CHECK(format_resource(parse_resource("asrl/dev/pts/3")) == "ASRL/dev/pts/3::INSTR");
    CHECK(format_resource(parse_resource("ASRL4::INSTR")) == "ASRL/dev/ttyS3::INSTR");
    for (const std::string text :
         {"TCPIP0::127.0.0.1::5025::SOCKET", "TCPIP7::bench-meter::1234::SOCKET",
          "ASRL/dev/ttyUSB0::INSTR", "ASRL/dev/pts/12::INSTR"}) {
        CAPTURE(text);
        const auto resource = parse_resource(text);
        CHECK(format_resource(resource) == text);
        CHECK(parse_resource(format_resource(resource)) == resource);
    }
}

// Found by tests/fuzz/fuzz_resource: a board past INT_MAX was truncated into
// another number, which format_resource then wrote as a string that no longer parsed.
TEST_CASE("a board number too large for an int is refused, not truncated", "[resource]") {
    CHECK(tcp("TCPIP2147483647::host::5025::SOCKET").board == 2147483647);
    for (const std::string text : {"TCPIP2147483648::host::5025::SOCKET",
                                   "tcpip0000000000000000000000000000000000000029090834350::"
                                   "localhnst::65535::socket"}) {
        CAPTURE(text);
        CHECK_THROWS_WITH(parse_resource(text), Contains("the board after TCPIP must be a number"));
    }
}

// Found by tests/fuzz/fuzz_resource: a device path ending in ':' parsed, but
// format_resource turned it into "ASRL/dev/x:::INSTR", which does not.
TEST_CASE("an ASRL device path ending in ':' is refused", "[resource]") {
    for (const std::string text : {"ASRL/dev/ttyS0:", "ASRL/a:", "ASRL7:"}) {
        CAPTURE(text);
        CHECK_THROWS_WITH(parse_resource(text), Contains("may not end with ':'"));
    }
}

TEST_CASE("an ASRL device path with control characters is refused", "[resource]") {
    using namespace std::string_literals;
    for (const std::string& text :
         {"ASRL/dev/ttyS0\0/x::INSTR"s, "ASRL/dev/tty\nUSB0"s, "ASRL/dev/ttyUSB0\x7f"s}) {
        CAPTURE(text);
        CHECK_THROWS_WITH(parse_resource(text), Contains("may not contain control characters"));
    }
    CHECK_THROWS_WITH(parse_resource("ASRL/dev/ttyS0\0/x::INSTR"s),
                      "resource 'ASRL/dev/ttyS0\\x00/x::INSTR': an ASRL device path may not "
                      "contain control characters");
}

TEST_CASE("malformed resource strings are rejected, quoting the string", "[resource]") {
    for (const std::string text : {
             "",
             "TCPIP",
             "TCPIP0::host",
             "TCPIP0::host::5025",
             "TCPIP0::::5025::SOCKET",
             "TCPIP0::host::0::SOCKET",
             "TCPIP0::host::65536::SOCKET",
             "TCPIP0::host::-1::SOCKET",
             "TCPIP0::host::+5025::SOCKET",
             "TCPIP0::host::50x5::SOCKET",
             "TCPIP0::host::::SOCKET",
             "TCPIP0::host::5025::SOCKETS",
             "TCPIP0::host::5025::SOCKET::extra",
             "TCPIPx::host::5025::SOCKET",
             "TCPIP-1::host::5025::SOCKET",
             "TCPIP0::host name::5025::SOCKET",
             " TCPIP0::host::5025::SOCKET",
             "ASRL",
             "ASRL::INSTR",
             "ASRL0::INSTR",
             "ASRL/::INSTR",
             "ASRLCOM3::INSTR",
             "ASRLdev/ttyS0::INSTR",
             "ASRL/dev/ttyS0::SOCKET",
             "ASRL/dev/ttyS0::INSTR::extra",
             "COM3",
             "/dev/ttyUSB0",
             "127.0.0.1:5025",
         }) {
        CAPTURE(text);
        CHECK_THROWS_AS(parse_resource(text), std::invalid_argument);
        CHECK_THROWS_WITH(parse_resource(text), Contains("'" + text + "'"));
    }
}

TEST_CASE("VXI-11, HiSLIP, USB-TMC and GPIB resources are refused as not supported yet",
          "[resource]") {
    for (const std::string text : {
             "TCPIP::10.0.0.5::INSTR",
             "TCPIP0::10.0.0.5::inst0::INSTR",
             "TCPIP0::meter::hislip0::INSTR",
             "USB0::0x1313::0x8078::P0001234::INSTR",
             "GPIB0::22::INSTR",
         }) {
        CAPTURE(text);
        CHECK_THROWS_WITH(parse_resource(text),
                          Contains("not supported yet") && Contains("'" + text + "'"));
    }
}

TEST_CASE("make_transport builds the transport a resource names, still closed", "[resource]") {
    const TransportOptions options;
    const auto tcp_transport =
        make_transport(parse_resource("TCPIP::127.0.0.1::5025::SOCKET"), options);
    CHECK(tcp_transport->resource() == "TCPIP0::127.0.0.1::5025::SOCKET");
    CHECK_FALSE(tcp_transport->is_open());

    const auto serial_transport = make_transport(parse_resource("ASRL/dev/pts/9"), options);
    CHECK(serial_transport->resource() == "ASRL/dev/pts/9::INSTR");
    CHECK_FALSE(serial_transport->is_open());
}
