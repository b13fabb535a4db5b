// Simulated instruments served on real wires: a pseudo-terminal opened as a
// serial port through its link, and loopback TCP. Clients here are plain
// POSIX descriptors, as far from the simulator's code as possible.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>
#include <regex>
#include <string>
#include <system_error>
#include <thread>

#include "fixtures/sim/endpoint.hpp"
#include "tests/support/temp_dir.hpp"

using namespace mpobench::fixtures;
using namespace std::chrono_literals;
using mpobench::testing::TempDir;
namespace fs = std::filesystem;

namespace {

class TestInstrument : public SimInstrument {
  public:
    explicit TestInstrument(const SimClock& clock)
        : SimInstrument("t", {"ACME", "T1", "SN1", "1.0"}, clock) {
        commands().add("SENSe:POWer:WAVelength",
                       [this](const CommandCall& call) -> std::optional<std::string> {
                           wavelength_m_ = call.number(0, "M");
                           return std::nullopt;
                       });
        commands().add("SENSe:POWer:WAVelength?",
                       [this](const CommandCall&) -> std::optional<std::string> {
                           return format_keysight_nr3(wavelength_m_);
                       });
        // Holds its reply until the test releases it, so the test can change
        // the line between the instrument reading a query and answering it.
        commands().add("HOLD?", [this](const CommandCall&) -> std::optional<std::string> {
            entered_.set_value();
            released_.wait();
            return "held";
        });
    }

    std::size_t queued_errors() { return errors().size(); }
    bool wait_entered() { return entered_future_.wait_for(5s) == std::future_status::ready; }
    void release() { release_.set_value(); }

  private:
    double wavelength_m_ = 0.0;
    std::promise<void> entered_;
    std::future<void> entered_future_ = entered_.get_future();
    std::promise<void> release_;
    std::shared_future<void> released_ = release_.get_future().share();
};

class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = -1;
    }

  private:
    int fd_;
};

void set_line(int fd, speed_t speed) {
    termios attributes{};
    REQUIRE(::tcgetattr(fd, &attributes) == 0);
    ::cfmakeraw(&attributes);
    attributes.c_cflag |= CLOCAL | CREAD;
    ::cfsetispeed(&attributes, speed);
    ::cfsetospeed(&attributes, speed);
    REQUIRE(::tcsetattr(fd, TCSANOW, &attributes) == 0);
}

int open_serial(const fs::path& path, speed_t speed) {
    const int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY);
    if (fd < 0)
        throw std::system_error(errno, std::generic_category(), "open " + path.string());
    set_line(fd, speed);
    return fd;
}

int connect_tcp(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        const int error = errno;
        ::close(fd);
        throw std::system_error(error, std::generic_category(), "connect");
    }
    return fd;
}

void send(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t written = ::write(fd, bytes.data(), bytes.size());
        REQUIRE(written > 0);
        bytes.remove_prefix(static_cast<std::size_t>(written));
    }
}

struct Received {
    enum class Status { Line, Timeout, Closed };
    Status status;
    std::string line;  // without the '\n'
};

// Reads one '\n'-terminated line, byte by byte so nothing after it is consumed.
Received receive(int fd, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string line;
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return {Received::Status::Timeout, line};
        pollfd request{fd, POLLIN, 0};
        const int ready = ::poll(&request, 1, static_cast<int>(left.count()));
        if (ready == 0)
            return {Received::Status::Timeout, line};
        char byte = 0;
        const ssize_t got = ::read(fd, &byte, 1);
        if (got <= 0)
            return {Received::Status::Closed, line};
        if (byte == '\n')
            return {Received::Status::Line, line};
        line += byte;
    }
}

std::string query(int fd, std::string_view command) {
    send(fd, std::string(command) + "\n");
    const auto received = receive(fd);
    REQUIRE(received.status == Received::Status::Line);
    return received.line;
}

template <typename Predicate>
bool eventually(Predicate predicate) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (predicate())
            return true;
        std::this_thread::sleep_for(2ms);
    }
    return predicate();
}

bool all_high_bytes(const std::string& text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0x80) != 0; });
}

fs::path link_target(const fs::path& link) {
    std::error_code error;
    auto target = fs::read_symlink(link, error);
    return error ? fs::path() : target;
}

std::uint16_t port_of(const std::string& resource) {
    std::smatch match;
    REQUIRE(
        std::regex_match(resource, match, std::regex(R"(TCPIP0::127\.0\.0\.1::(\d+)::SOCKET)")));
    return static_cast<std::uint16_t>(std::stoi(match[1]));
}

}  // namespace

TEST_CASE("pty endpoint: a client opens the link as a serial port", "[pty]") {
    TempDir dir;
    const SimClock clock(0.0);
    auto instrument = std::make_shared<TestInstrument>(clock);
    const fs::path link = dir.path() / "meter";
    auto endpoint = make_pty_endpoint(instrument, {link, 115200}, clock);
    CHECK(endpoint->resource() == "ASRL" + link.string() + "::INSTR");
    endpoint->start();
    REQUIRE(fs::is_symlink(link));
    CHECK(link_target(link).string().rfind("/dev/pts/", 0) == 0);

    Fd client(open_serial(link, B115200));
    CHECK(query(client.get(), "*IDN?") == "ACME,T1,SN1,1.0");
    send(client.get(), "*IDN?\r\n");
    CHECK(receive(client.get()).line == "ACME,T1,SN1,1.0");
    CHECK(query(client.get(), "SENS:POW:WAV 1310nm;WAV?;*TST?") == "+1.31000000E-006;0");
    send(client.get(), "NOPE\n\n");
    CHECK(query(client.get(), "SYST:ERR?") == "-113,\"Undefined header\"");

    // Closing and reopening the port works: the endpoint keeps the line up.
    client.reset();
    Fd again(open_serial(link, B115200));
    CHECK(query(again.get(), "*TST?") == "0");
    again.reset();

    endpoint->stop();
    CHECK_FALSE(fs::exists(fs::symlink_status(link)));
    endpoint->stop();
}

TEST_CASE("pty endpoint: a client at the wrong speed exchanges garbage", "[pty]") {
    TempDir dir;
    const SimClock clock(0.0);
    auto instrument = std::make_shared<TestInstrument>(clock);
    const fs::path link = dir.path() / "meter";
    auto endpoint = make_pty_endpoint(instrument, {link, 115200}, clock);
    endpoint->start();
    Fd client(open_serial(link, B9600));

    // What the client sends arrives as garbage: no reply, an error queued.
    send(client.get(), "*IDN?\n");
    REQUIRE(eventually([&] { return instrument->queued_errors() == 1; }));
    CHECK(receive(client.get(), 100ms).status == Received::Status::Timeout);
    set_line(client.get(), B230400);
    send(client.get(), "*IDN?\n");
    REQUIRE(eventually([&] { return instrument->queued_errors() == 2; }));
    set_line(client.get(), B115200);
    CHECK(query(client.get(), "SYST:ERR?").rfind("-101,", 0) == 0);

    // What the instrument sends arrives as garbage, still one line.
    send(client.get(), "HOLD?\n");
    REQUIRE(instrument->wait_entered());
    set_line(client.get(), B9600);
    instrument->release();
    const auto garbled = receive(client.get());
    REQUIRE(garbled.status == Received::Status::Line);
    CHECK(garbled.line.size() == 4);
    CHECK(all_high_bytes(garbled.line));

    set_line(client.get(), B115200);
    CHECK(query(client.get(), "*IDN?") == "ACME,T1,SN1,1.0");
}

TEST_CASE("pty endpoint bytes take their time at the instrument baud rate", "[pty]") {
    TempDir dir;
    const SimClock clock(1.0);
    auto instrument = std::make_shared<TestInstrument>(clock);
    const fs::path link = dir.path() / "slow-meter";
    auto endpoint = make_pty_endpoint(instrument, {link, 1200}, clock);
    endpoint->start();
    Fd client(open_serial(link, B1200));
    // "*IDN?\n" in, "ACME,T1,SN1,1.0\n" out: 22 characters of 10 bits at 1200 baud.
    const auto start = std::chrono::steady_clock::now();
    CHECK(query(client.get(), "*IDN?") == "ACME,T1,SN1,1.0");
    CHECK(std::chrono::steady_clock::now() - start >= 180ms);
}

TEST_CASE("pty endpoint: a disconnect fault unplugs and a new pty appears behind the link",
          "[pty]") {
    TempDir dir;
    const SimClock clock(0.0);
    auto instrument = std::make_shared<TestInstrument>(clock);
    instrument->set_faults(FaultInjector(parse_fault_spec("t:disconnect@2"), "t"));
    const fs::path link = dir.path() / "switch";
    auto endpoint = make_pty_endpoint(instrument, {link, 115200}, clock);
    endpoint->start();

    Fd client(open_serial(link, B115200));
    CHECK(query(client.get(), "*IDN?") == "ACME,T1,SN1,1.0");
    const fs::path old_target = link_target(link);
    send(client.get(), "*IDN?\n");
    CHECK(receive(client.get()).status == Received::Status::Closed);
    REQUIRE(
        eventually([&] { return link_target(link) != old_target && !link_target(link).empty(); }));

    Fd reopened(open_serial(link, B115200));
    CHECK(query(reopened.get(), "*IDN?") == "ACME,T1,SN1,1.0");
    endpoint->stop();
    CHECK_FALSE(fs::exists(fs::symlink_status(link)));
}

TEST_CASE("pty endpoint: bad options are rejected", "[pty]") {
    const SimClock clock(0.0);
    auto instrument = std::make_shared<TestInstrument>(clock);
    CHECK_THROWS_AS(make_pty_endpoint(instrument, {"", 115200}, clock), std::invalid_argument);
    CHECK_THROWS_AS(make_pty_endpoint(instrument, {"/tmp/x", 12345}, clock), std::invalid_argument);
    CHECK_THROWS_AS(make_pty_endpoint(nullptr, {"/tmp/x", 115200}, clock), std::invalid_argument);

    // A link in a directory that does not exist fails at start, naming it.
    auto endpoint = make_pty_endpoint(instrument, {"/nonexistent-dir/meter", 115200}, clock);
    CHECK_THROWS_WITH(endpoint->start(), Catch::Contains("/nonexistent-dir"));
}

TEST_CASE("tcp endpoint round trip with two clients sharing the instrument", "[tcp]") {
    const SimClock clock(0.0);
    auto instrument = std::make_shared<TestInstrument>(clock);
    auto endpoint = make_tcp_endpoint(instrument, {}, clock);
    const auto port = port_of(endpoint->resource());
    CHECK(port != 0);
    endpoint->start();

    Fd first(connect_tcp(port));
    Fd second(connect_tcp(port));
    CHECK(query(first.get(), "*IDN?") == "ACME,T1,SN1,1.0");
    CHECK(query(first.get(), "SENS:POW:WAV 1550nm;*OPC?") == "1");
    CHECK(query(second.get(), "SENS:POW:WAV?") == "+1.55000000E-006");
    send(second.get(), "*TST?\r\n");
    CHECK(receive(second.get()).line == "0");
    CHECK(query(first.get(), "*IDN?;*TST?") == "ACME,T1,SN1,1.0;0");

    // Both clients at once, many lines each (no Catch assertions off the main thread).
    auto hammer = [](int fd) {
        for (int i = 0; i < 50; ++i) {
            const std::string line = "*IDN?\n";
            if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
                return false;
            const auto received = receive(fd);
            if (received.status != Received::Status::Line || received.line != "ACME,T1,SN1,1.0")
                return false;
        }
        return true;
    };
    auto other = std::async(std::launch::async, hammer, second.get());
    CHECK(hammer(first.get()));
    CHECK(other.get());

    endpoint->stop();
    CHECK(receive(first.get()).status == Received::Status::Closed);
    CHECK_THROWS_AS(connect_tcp(port), std::system_error);
    endpoint->stop();
}

TEST_CASE("tcp endpoint garble timeout and disconnect faults then the client reconnects", "[tcp]") {
    const SimClock clock(0.0);
    auto instrument = std::make_shared<TestInstrument>(clock);
    instrument->set_faults(
        FaultInjector(parse_fault_spec("t:garble@1;t:timeout@2;t:disconnect@4"), "t"));
    auto endpoint = make_tcp_endpoint(instrument, {}, clock);
    endpoint->start();
    const auto port = port_of(endpoint->resource());

    Fd client(connect_tcp(port));
    send(client.get(), "*IDN?\n");
    const auto garbled = receive(client.get());
    REQUIRE(garbled.status == Received::Status::Line);
    CHECK(garbled.line.size() == std::string("ACME,T1,SN1,1.0").size());
    CHECK(all_high_bytes(garbled.line));

    send(client.get(), "*IDN?\n");
    CHECK(receive(client.get(), 100ms).status == Received::Status::Timeout);
    CHECK(query(client.get(), "*TST?") == "0");  // the lost reply does not turn up later

    send(client.get(), "*IDN?\n");
    CHECK(receive(client.get()).status == Received::Status::Closed);

    Fd reconnected(connect_tcp(port));
    CHECK(query(reconnected.get(), "*IDN?") == "ACME,T1,SN1,1.0");
}

TEST_CASE("tcp endpoint: an address that cannot be bound is an error", "[tcp]") {
    const SimClock clock(0.0);
    auto instrument = std::make_shared<TestInstrument>(clock);
    auto endpoint = make_tcp_endpoint(instrument, {}, clock);
    const auto port = port_of(endpoint->resource());
    CHECK_THROWS_AS(make_tcp_endpoint(instrument, {"127.0.0.1", port}, clock), std::system_error);
    CHECK_THROWS(make_tcp_endpoint(instrument, {"not-an-address", 0}, clock));
}
