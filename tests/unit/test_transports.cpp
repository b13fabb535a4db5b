// Both transports against the real thing: a loopback TCP server in a thread,
// and a pseudo-terminal whose master side plays the instrument.

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <functional>
#include <thread>

#include "drivers/scpi_session.hpp"
#include "drivers/serial_ports.hpp"
#include "drivers/serial_transport.hpp"
#include "drivers/tcp_transport.hpp"

using namespace mpobench::drivers;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = Transport::Clock;

namespace {

// Accepts `connections` clients in turn on 127.0.0.1 and hands each to
// `serve` (blocking I/O, in the server's own thread). A client that never
// comes is given up after a few seconds, so a failing test cannot hang.
class LoopbackServer {
  public:
    LoopbackServer(int connections, std::function<void(tcp::socket&)> serve)
        : thread_([this, connections, serve = std::move(serve)] { run(connections, serve); }) {}
    ~LoopbackServer() { thread_.join(); }

    TcpSocketResource resource() const { return {0, "127.0.0.1", port_}; }

  private:
    void run(int connections, const std::function<void(tcp::socket&)>& serve) {
        for (int i = 0; i < connections; ++i) {
            tcp::socket socket(io_);
            boost::system::error_code status = asio::error::would_block;
            acceptor_.async_accept(socket, [&](const boost::system::error_code& e) { status = e; });
            io_.restart();
            io_.run_for(5s);
            if (status) {
                return;
            }
            serve(socket);
        }
    }

    asio::io_context io_;
    tcp::acceptor acceptor_{io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)};
    std::uint16_t port_ = acceptor_.local_endpoint().port();
    std::thread thread_;
};

std::string read_line(tcp::socket& socket) {
    std::string line;
    const auto length = asio::read_until(socket, asio::dynamic_buffer(line), '\n');
    return line.substr(0, length - 1);
}

// Blocks until the client closes its end.
void wait_for_close(tcp::socket& socket) {
    std::string rest;
    boost::system::error_code end;
    asio::read(socket, asio::dynamic_buffer(rest), end);
}

// Reads through the transport until a '\n'.
std::string read_reply(Transport& transport, Clock::time_point deadline) {
    std::string reply;
    std::array<char, 64> buffer;
    while (!reply.ends_with('\n')) {
        reply.append(buffer.data(), transport.read_some(buffer, deadline));
    }
    return reply;
}

template <typename Call>
TransportError transport_error(Call call) {
    try {
        call();
    } catch (const TransportError& error) {
        return error;
    }
    FAIL("no TransportError was thrown");
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("TCP: a command and its reply make the round trip", "[transport][tcp]") {
    LoopbackServer server(1, [](tcp::socket& socket) {
        const auto command = read_line(socket);
        asio::write(socket, asio::buffer("reply to " + command + "\n"));
        wait_for_close(socket);
    });
    TcpTransport transport(server.resource(), 2s);
    transport.open();
    REQUIRE(transport.is_open());
    const auto deadline = Clock::now() + 5s;
    transport.write("*IDN?\n", deadline);
    CHECK(read_reply(transport, deadline) == "reply to *IDN?\n");
    transport.discard_input();
    transport.close();
    CHECK_FALSE(transport.is_open());
}

TEST_CASE("TCP: a silent instrument times out at the read deadline", "[transport][tcp]") {
    LoopbackServer server(1, [](tcp::socket& socket) {
        read_line(socket);
        wait_for_close(socket);
    });
    TcpTransport transport(server.resource(), 2s);
    transport.open();
    transport.write(":FETC1:POW?\n", Clock::now() + 2s);
    const auto start = Clock::now();
    std::array<char, 16> buffer;
    const auto error = transport_error([&] { transport.read_some(buffer, start + 200ms); });
    CHECK(error.kind() == ErrorKind::Timeout);
    CHECK(Clock::now() - start >= 200ms);
    CHECK(transport.is_open());
}

TEST_CASE("TCP: the instrument closing the connection is Disconnected", "[transport][tcp]") {
    LoopbackServer server(1, [](tcp::socket& socket) {
        read_line(socket);
        socket.close();
    });
    TcpTransport transport(server.resource(), 2s);
    transport.open();
    transport.write("*RST\n", Clock::now() + 2s);
    std::array<char, 16> buffer;
    const auto error = transport_error([&] { transport.read_some(buffer, Clock::now() + 5s); });
    CHECK(error.kind() == ErrorKind::Disconnected);
    CHECK_THAT(error.what(), Contains("127.0.0.1"));
    CHECK_FALSE(transport.is_open());
}

TEST_CASE("TCP: a refused connection is Disconnected with the reason", "[transport][tcp]") {
    std::uint16_t closed_port = 0;
    {
        asio::io_context io;
        tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
        closed_port = acceptor.local_endpoint().port();
    }
    TcpTransport transport({0, "127.0.0.1", closed_port}, 2s);
    const auto error = transport_error([&] { transport.open(); });
    CHECK(error.kind() == ErrorKind::Disconnected);
    CHECK_THAT(error.what(),
               Contains(fmt::format("127.0.0.1:{}", closed_port)) && Contains("refused"));
    CHECK_FALSE(transport.is_open());

    ScpiSession session(
        std::make_unique<TcpTransport>(TcpSocketResource{0, "127.0.0.1", closed_port}, 2s),
        SessionOptions{.role = "meter"});
    try {
        session.query("*IDN?");
        FAIL("the query succeeded");
    } catch (const InstrumentError& session_error) {
        CHECK(session_error.kind() == ErrorKind::Disconnected);
        CHECK_THAT(session_error.what(),
                   Contains(fmt::format("meter (TCPIP0::127.0.0.1::{}::SOCKET): ", closed_port)) &&
                       Contains("refused"));
    }
}

TEST_CASE("TCP: a connection that is never accepted times out", "[transport][tcp]") {
    // A listener whose backlog is full drops further connection requests,
    // as a hung instrument would.
    asio::io_context io;
    tcp::acceptor acceptor(io);
    acceptor.open(tcp::v4());
    acceptor.bind(tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    acceptor.listen(0);
    const auto port = acceptor.local_endpoint().port();
    tcp::socket filler(io);
    filler.connect(acceptor.local_endpoint());

    TcpTransport transport({0, "127.0.0.1", port}, 300ms);
    const auto start = Clock::now();
    const auto error = transport_error([&] { transport.open(); });
    CHECK(error.kind() == ErrorKind::Timeout);
    CHECK_THAT(error.what(), Contains("timed out after 300 ms"));
    CHECK(Clock::now() - start >= 300ms);
}

TEST_CASE("TCP: the session reconnects on the call after a lost connection", "[transport][tcp]") {
    LoopbackServer server(2, [calls = 0](tcp::socket& socket) mutable {
        read_line(socket);
        if (++calls == 1) {
            socket.close();
            return;
        }
        asio::write(socket, asio::buffer(std::string("+1.0E-03\n")));
        wait_for_close(socket);
    });
    ScpiSession session(std::make_unique<TcpTransport>(server.resource(), 2s),
                        SessionOptions{"meter", "\n", "\n", 5000ms});
    try {
        session.query(":FETC1:POW?");
        FAIL("the first query succeeded");
    } catch (const InstrumentError& error) {
        CHECK(error.kind() == ErrorKind::Disconnected);
        CHECK(error.context().resource ==
              fmt::format("TCPIP0::127.0.0.1::{}::SOCKET", server.resource().port));
        CHECK_FALSE(session.is_connected());
    }
    CHECK(session.query_value(":FETC1:POW?") == Approx(1e-3));
    CHECK(session.is_connected());
}

namespace {

// A pseudo-terminal: the transport opens the slave by name, the test plays
// the instrument on the master.
class Pty {
  public:
    Pty() {
        std::array<char, 128> name{};
        REQUIRE(::openpty(&master_, &slave_, name.data(), nullptr, nullptr) == 0);
        slave_name_ = name.data();
    }
    ~Pty() {
        close_master();
        ::close(slave_);
    }
    Pty(const Pty&) = delete;
    Pty& operator=(const Pty&) = delete;

    const std::string& slave_name() const { return slave_name_; }
    int slave_fd() const { return slave_; }
    void close_master() {
        if (master_ >= 0) {
            ::close(master_);
            master_ = -1;
        }
    }

    void write(std::string_view bytes) const {
        REQUIRE(::write(master_, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
    }

    // Reads from the master until '\n' (at most a few seconds).
    std::string read_line() const {
        std::string line;
        char byte = 0;
        while (!line.ends_with('\n')) {
            pollfd ready{master_, POLLIN, 0};
            REQUIRE(::poll(&ready, 1, 5000) == 1);
            REQUIRE(::read(master_, &byte, 1) == 1);
            line += byte;
        }
        return line.substr(0, line.size() - 1);
    }

  private:
    int master_ = -1;
    int slave_ = -1;
    std::string slave_name_;
};

}  // namespace

TEST_CASE("serial: a command and its reply make the round trip at 115200", "[transport][serial]") {
    Pty pty;
    SerialTransport transport({pty.slave_name()}, SerialSettings{.baud = 115200});
    transport.open();
    REQUIRE(transport.is_open());
    CHECK(transport.resource() == "ASRL" + pty.slave_name() + "::INSTR");

    const auto deadline = Clock::now() + 5s;
    transport.write("*IDN?\n", deadline);
    CHECK(pty.read_line() == "*IDN?");
    pty.write("Thorlabs,PM100USB,P2001234,1.7.0\n");
    CHECK(read_reply(transport, deadline) == "Thorlabs,PM100USB,P2001234,1.7.0\n");

    termios attributes{};
    REQUIRE(::tcgetattr(pty.slave_fd(), &attributes) == 0);
    CHECK(::cfgetospeed(&attributes) == B115200);
    CHECK((attributes.c_cflag & CSIZE) == CS8);
    CHECK((attributes.c_cflag & (PARENB | CSTOPB | CRTSCTS)) == 0);
    CHECK((attributes.c_lflag & (ICANON | ECHO)) == 0);
}

TEST_CASE("serial: the line settings from the station file are applied", "[transport][serial]") {
    // A pty takes speed, stop bits and flow control; Linux forces 8 data
    // bits without parity on it, so those two are left to real ports.
    Pty pty;
    const auto applied = [&](SerialSettings settings) {
        SerialTransport transport({pty.slave_name()}, settings);
        transport.open();
        termios attributes{};
        REQUIRE(::tcgetattr(pty.slave_fd(), &attributes) == 0);
        return attributes;
    };
    const auto hardware =
        applied({.baud = 9600, .stop_bits = 2, .flow_control = FlowControl::RtsCts});
    CHECK(::cfgetospeed(&hardware) == B9600);
    CHECK((hardware.c_cflag & CSTOPB) != 0);
    CHECK((hardware.c_cflag & CRTSCTS) != 0);

    const auto software = applied({.baud = 57600, .flow_control = FlowControl::XonXoff});
    CHECK(::cfgetospeed(&software) == B57600);
    CHECK((software.c_cflag & (CSTOPB | CRTSCTS)) == 0);
    CHECK((software.c_iflag & (IXON | IXOFF)) == (IXON | IXOFF));
}

TEST_CASE("serial: impossible line settings are configuration errors", "[transport][serial]") {
    Pty pty;
    SerialTransport three_stop_bits({pty.slave_name()}, SerialSettings{.stop_bits = 3});
    CHECK(transport_error([&] { three_stop_bits.open(); }).kind() == ErrorKind::Configuration);
    CHECK_FALSE(three_stop_bits.is_open());

    SerialTransport nine_bits({pty.slave_name()}, SerialSettings{.data_bits = 9});
    CHECK_THAT(transport_error([&] { nine_bits.open(); }).what(),
               Contains(pty.slave_name()) && Contains("9 data bits"));

    SerialTransport odd_baud({pty.slave_name()}, SerialSettings{.baud = 12345});
    CHECK(transport_error([&] { odd_baud.open(); }).kind() == ErrorKind::Configuration);
}

TEST_CASE("serial: a device that is not there cannot be opened, and says which",
          "[transport][serial]") {
    SerialTransport transport({"/dev/mpobench-no-such-port"}, SerialSettings{},
                              std::chrono::milliseconds(100));
    const auto error = transport_error([&] { transport.open(); });
    CHECK_THAT(error.what(), Contains("/dev/mpobench-no-such-port"));
    // ...and lists what is plugged in instead (libserialport's enumeration).
    CHECK_THAT(error.what(),
               Contains("serial ports present: " + mpobench::drivers::describe_serial_ports(
                                                       mpobench::drivers::list_serial_ports())));
    CHECK_FALSE(transport.is_open());
}

TEST_CASE("serial: a device that comes back within the connect timeout is opened",
          "[transport][serial]") {
    // Like a USB adapter re-enumerating: its by-id link appears a moment later.
    Pty pty;
    const auto link =
        std::filesystem::temp_directory_path() / ("mpobench-replug-" + std::to_string(::getpid()));
    std::filesystem::remove(link);
    std::thread replug([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::filesystem::create_symlink(pty.slave_name(), link);
    });
    SerialTransport transport({link.string()}, SerialSettings{.baud = 115200},
                              std::chrono::milliseconds(5000));
    transport.open();
    replug.join();
    CHECK(transport.is_open());
    transport.close();
    std::filesystem::remove(link);
}

TEST_CASE("serial: a silent instrument times out at the read deadline", "[transport][serial]") {
    Pty pty;
    SerialTransport transport({pty.slave_name()}, SerialSettings{.baud = 115200});
    transport.open();
    const auto start = Clock::now();
    std::array<char, 16> buffer;
    const auto error = transport_error([&] { transport.read_some(buffer, start + 200ms); });
    CHECK(error.kind() == ErrorKind::Timeout);
    CHECK(Clock::now() - start >= 200ms);
    CHECK(transport.is_open());
}

TEST_CASE("serial: stale input is discarded", "[transport][serial]") {
    Pty pty;
    SerialTransport transport({pty.slave_name()}, SerialSettings{.baud = 115200});
    transport.open();
    pty.write("late reply\n");
    // Let the bytes cross the pty before dropping them.
    std::this_thread::sleep_for(50ms);
    transport.discard_input();
    pty.write("fresh\n");
    CHECK(read_reply(transport, Clock::now() + 5s) == "fresh\n");
}

TEST_CASE("serial: a vanished device (pty master closed) is Disconnected", "[transport][serial]") {
    Pty pty;
    SerialTransport transport({pty.slave_name()}, SerialSettings{.baud = 115200});
    transport.open();
    pty.close_master();
    std::array<char, 16> buffer;
    const auto error = transport_error([&] { transport.read_some(buffer, Clock::now() + 5s); });
    CHECK(error.kind() == ErrorKind::Disconnected);
    CHECK_THAT(error.what(), Contains(pty.slave_name()));
    CHECK_FALSE(transport.is_open());
}

TEST_CASE("serial: a session on an ASRL resource speaks through the pty", "[transport][serial]") {
    Pty pty;
    TransportOptions options;
    options.serial.baud = 115200;
    ScpiSession session(
        make_transport(parse_resource("ASRL" + pty.slave_name() + "::INSTR"), options),
        SessionOptions{"switch", "\r\n", "\r\n", 5000ms});
    std::thread instrument([&pty] {
        if (pty.read_line() == "CLOSE?\r") {
            pty.write("7\r\n");
        }
    });
    const auto port = session.query_integer("CLOSE?");
    instrument.join();
    CHECK(port == 7);
}
