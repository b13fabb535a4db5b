#include "drivers/tcp_transport.hpp"

#include <fmt/format.h>

#include <array>

#include <boost/asio/connect.hpp>

#include "drivers/asio_deadline.hpp"
#include "drivers/errors.hpp"

namespace mpobench::drivers {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {

bool is_disconnect(const error_code& error) {
    return error == asio::error::eof || error == asio::error::connection_reset ||
           error == asio::error::connection_refused || error == asio::error::connection_aborted ||
           error == asio::error::broken_pipe || error == asio::error::not_connected ||
           error == asio::error::host_unreachable || error == asio::error::network_unreachable ||
           error == asio::error::bad_descriptor;
}

}  // namespace

TcpTransport::TcpTransport(TcpSocketResource resource, std::chrono::milliseconds connect_timeout)
    : resource_(std::move(resource)), connect_timeout_(connect_timeout) {}

TcpTransport::~TcpTransport() {
    close();
}

void TcpTransport::fail(const error_code& error, std::string_view doing) {
    close();
    const auto where = fmt::format("{}:{}", resource_.host, resource_.port);
    if (error == asio::error::operation_aborted) {
        throw TransportError(ErrorKind::Timeout, fmt::format("{} {} timed out", doing, where));
    }
    if (error == asio::error::eof) {
        throw TransportError(
            ErrorKind::Disconnected,
            fmt::format("{} {}: the instrument closed the connection", doing, where));
    }
    throw TransportError(is_disconnect(error) ? ErrorKind::Disconnected : ErrorKind::Io,
                         fmt::format("{} {}: {}", doing, where, error.message()));
}

void TcpTransport::open() {
    close();
    const auto deadline = Clock::now() + connect_timeout_;
    tcp::resolver resolver(io_);
    error_code status = asio::error::would_block;
    resolver.async_resolve(
        resource_.host, std::to_string(resource_.port),
        [&](const error_code& error, const tcp::resolver::results_type& endpoints) {
            if (error) {
                status = error;
                return;
            }
            asio::async_connect(socket_, endpoints,
                                [&](const error_code& connect_error, const tcp::endpoint&) {
                                    status = connect_error;
                                });
        });
    asio_deadline::run_until(io_, status, deadline, [&] {
        resolver.cancel();
        socket_.close();
    });
    if (status == asio::error::operation_aborted) {
        throw TransportError(ErrorKind::Timeout,
                             fmt::format("connecting to {}:{} timed out after {} ms",
                                         resource_.host, resource_.port, connect_timeout_.count()));
    }
    if (status) {
        fail(status, "connecting to");
    }
    socket_.set_option(tcp::no_delay(true));
}

void TcpTransport::close() {
    // Closing can only fail for a socket that is already unusable; there is
    // nothing left to release then.
    error_code ignored;
    socket_.close(ignored);
}

void TcpTransport::write(std::string_view bytes, Clock::time_point deadline) {
    if (const auto status = asio_deadline::write_all(socket_, io_, bytes, deadline)) {
        fail(status, "writing to");
    }
}

std::size_t TcpTransport::read_some(std::span<char> buffer, Clock::time_point deadline) {
    std::size_t count = 0;
    if (const auto status = asio_deadline::read_some(socket_, io_, buffer, count, deadline)) {
        if (status == asio::error::operation_aborted) {
            throw TransportError(ErrorKind::Timeout,
                                 fmt::format("no data from {}:{} before the deadline",
                                             resource_.host, resource_.port));
        }
        fail(status, "reading from");
    }
    return count;
}

void TcpTransport::discard_input() {
    std::array<char, 4096> sink;
    error_code status;
    for (auto available = socket_.available(status); !status && available > 0;
         available = socket_.available(status)) {
        socket_.read_some(asio::buffer(sink), status);
    }
    if (status) {
        fail(status, "discarding input from");
    }
}

}  // namespace mpobench::drivers
