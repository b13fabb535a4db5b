#pragma once
// A serial line (ASRL<device>::INSTR) on Boost.Asio's serial_port, which
// opens any tty: USB adapters, on-board UARTs, by-id symlinks and the
// pseudo-terminals the simulated bench uses. (libserialport 0.1.1 refuses
// devices without a sysfs tty entry, pseudo-terminals among them, so it
// cannot reach the simulators.) Line settings come from the station file.

#include <boost/asio/io_context.hpp>
#include <boost/asio/serial_port.hpp>

#include "drivers/resource.hpp"
#include "drivers/transport.hpp"

namespace mpobench::drivers {

class SerialTransport final : public Transport {
  public:
    SerialTransport(SerialResource resource, SerialSettings settings,
                    std::chrono::milliseconds connect_timeout = std::chrono::milliseconds(3000));
    ~SerialTransport() override;

    // Opens the device in raw mode and applies baud rate, data bits, parity,
    // stop bits and flow control. A device that is absent is waited for up
    // to the connect timeout: a USB adapter re-enumerating after a glitch
    // comes back under its by-id link a moment later. A failure names the
    // device and lists the serial ports that are present.
    void open() override;
    void close() override;
    bool is_open() const override { return port_.is_open(); }

    void write(std::string_view bytes, Clock::time_point deadline) override;
    // A vanished device (unplugged adapter, pty whose master closed):
    // Disconnected, and the port is closed.
    std::size_t read_some(std::span<char> buffer, Clock::time_point deadline) override;
    void discard_input() override;
    std::string resource() const override { return format_resource(resource_); }

  private:
    void apply_settings();
    [[noreturn]] void fail(const boost::system::error_code& error, std::string_view doing);

    SerialResource resource_;
    SerialSettings settings_;
    std::chrono::milliseconds connect_timeout_;
    boost::asio::io_context io_;
    boost::asio::serial_port port_{io_};
};

}  // namespace mpobench::drivers
