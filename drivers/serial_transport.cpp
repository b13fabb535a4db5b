#include "drivers/serial_transport.hpp"

#include <fmt/format.h>
#include <termios.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <thread>

#include "drivers/asio_deadline.hpp"
#include "drivers/errors.hpp"
#include "drivers/serial_ports.hpp"

namespace mpobench::drivers {

namespace asio = boost::asio;
using boost::system::error_code;
using Port = asio::serial_port;

namespace {

// A device that went away answers EIO (pty master closed, USB adapter pulled)
// or end of file, and a fresh open finds nothing.
bool is_disconnect(const error_code& error) {
    const int code = error.category() == boost::system::system_category() ? error.value() : 0;
    return error == asio::error::eof || code == EIO || code == ENXIO || code == ENODEV ||
           code == ENOENT || code == EBADF;
}

Port::parity::type asio_parity(Parity parity) {
    switch (parity) {
        case Parity::Odd:
        case Parity::Mark:
            return Port::parity::odd;
        case Parity::Even:
        case Parity::Space:
            return Port::parity::even;
        case Parity::None:
            break;
    }
    return Port::parity::none;
}

Port::flow_control::type asio_flow_control(FlowControl flow_control) {
    switch (flow_control) {
        case FlowControl::RtsCts:
            return Port::flow_control::hardware;
        case FlowControl::XonXoff:
            return Port::flow_control::software;
        case FlowControl::None:
            break;
    }
    return Port::flow_control::none;
}

}  // namespace

SerialTransport::SerialTransport(SerialResource resource, SerialSettings settings,
                                 std::chrono::milliseconds connect_timeout)
    : resource_(std::move(resource)), settings_(settings), connect_timeout_(connect_timeout) {}

SerialTransport::~SerialTransport() {
    close();
}

void SerialTransport::fail(const error_code& error, std::string_view doing) {
    close();
    if (error == asio::error::operation_aborted) {
        throw TransportError(ErrorKind::Timeout,
                             fmt::format("{} {} timed out", doing, resource_.device));
    }
    throw TransportError(is_disconnect(error) ? ErrorKind::Disconnected : ErrorKind::Io,
                         fmt::format("{} {}: {}", doing, resource_.device, error.message()));
}

void SerialTransport::open() {
    close();
    const auto deadline = Clock::now() + connect_timeout_;
    error_code error;
    // A device that is re-enumerating after a replug is missing for a
    // moment, or still answers EIO from its old side: wait for it.
    while (port_.open(resource_.device, error),
           error == boost::system::errc::no_such_file_or_directory ||
               error == boost::system::errc::no_such_device ||
               error == boost::system::errc::no_such_device_or_address ||
               error == boost::system::errc::io_error) {
        if (Clock::now() >= deadline)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (error) {
        // Name what is plugged in: the usual cause is an adapter on another
        // port or not plugged in at all.
        close();
        throw TransportError(
            is_disconnect(error) ? ErrorKind::Disconnected : ErrorKind::Io,
            fmt::format("cannot open serial device {}: {} (serial ports present: {})",
                        resource_.device, error.message(),
                        describe_serial_ports(list_serial_ports())));
    }
    apply_settings();
}

void SerialTransport::apply_settings() {
    const auto refuse = [&](std::string_view why) {
        close();
        throw TransportError(ErrorKind::Configuration,
                             fmt::format("serial settings for {}: {}", resource_.device, why));
    };
    const auto set = [&](const auto& option, std::string_view what) {
        error_code error;
        port_.set_option(option, error);
        if (error) {
            refuse(fmt::format("cannot set {}: {}", what, error.message()));
        }
    };
    if (settings_.data_bits < 5 || settings_.data_bits > 8) {
        refuse(fmt::format("{} data bits (a serial line has 5 to 8)", settings_.data_bits));
    }
    if (settings_.stop_bits != 1 && settings_.stop_bits != 2) {
        refuse(fmt::format("{} stop bits (a serial line has 1 or 2)", settings_.stop_bits));
    }
    if (settings_.baud <= 0) {
        refuse(fmt::format("{} baud", settings_.baud));
    }
    set(Port::baud_rate(static_cast<unsigned>(settings_.baud)),
        fmt::format("{} baud", settings_.baud));
    set(Port::character_size(static_cast<unsigned>(settings_.data_bits)), "the data bits");
    set(Port::parity(asio_parity(settings_.parity)), "the parity");
    set(Port::stop_bits(settings_.stop_bits == 2 ? Port::stop_bits::two : Port::stop_bits::one),
        "the stop bits");
    set(Port::flow_control(asio_flow_control(settings_.flow_control)), "the flow control");
    if (settings_.parity == Parity::Mark || settings_.parity == Parity::Space) {
        // Asio knows odd and even only; "stick" parity (CMSPAR) turns them
        // into mark and space.
        const int fd = port_.native_handle();
        termios attributes{};
        bool applied = ::tcgetattr(fd, &attributes) == 0;
        if (applied) {
            attributes.c_cflag |= CMSPAR;
            applied = ::tcsetattr(fd, TCSANOW, &attributes) == 0;
        }
        if (!applied) {
            refuse(fmt::format("cannot set mark/space parity: {}", std::strerror(errno)));
        }
    }
}

void SerialTransport::close() {
    // Closing can only fail for a descriptor that is already unusable; there
    // is nothing left to release then.
    error_code ignored;
    port_.close(ignored);
}

void SerialTransport::write(std::string_view bytes, Clock::time_point deadline) {
    if (const auto status = asio_deadline::write_all(port_, io_, bytes, deadline)) {
        fail(status, "writing to");
    }
}

std::size_t SerialTransport::read_some(std::span<char> buffer, Clock::time_point deadline) {
    std::size_t count = 0;
    if (const auto status = asio_deadline::read_some(port_, io_, buffer, count, deadline)) {
        if (status == asio::error::operation_aborted) {
            throw TransportError(
                ErrorKind::Timeout,
                fmt::format("no data from {} before the deadline", resource_.device));
        }
        fail(status, "reading from");
    }
    return count;
}

void SerialTransport::discard_input() {
    if (::tcflush(port_.native_handle(), TCIFLUSH) != 0) {
        fail(error_code(errno, boost::system::system_category()), "discarding input from");
    }
}

}  // namespace mpobench::drivers
