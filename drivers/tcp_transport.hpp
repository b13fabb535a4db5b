#pragma once
// Raw SCPI socket (TCPIP::host::port::SOCKET) on Boost.Asio. Every operation
// runs the transport's own io_context until it completes or its deadline
// passes, so a silent or unplugged instrument costs at most the timeout.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "drivers/resource.hpp"
#include "drivers/transport.hpp"

namespace mpobench::drivers {

class TcpTransport final : public Transport {
  public:
    TcpTransport(TcpSocketResource resource, std::chrono::milliseconds connect_timeout);
    ~TcpTransport() override;

    // Resolves and connects within the connect timeout, with TCP_NODELAY so
    // short commands are not held back. Refused or unreachable: Disconnected;
    // no answer in time: Timeout.
    void open() override;
    void close() override;
    bool is_open() const override { return socket_.is_open(); }

    void write(std::string_view bytes, Clock::time_point deadline) override;
    // Peer close or reset: Disconnected (and the socket is closed).
    std::size_t read_some(std::span<char> buffer, Clock::time_point deadline) override;
    void discard_input() override;
    std::string resource() const override { return format_resource(resource_); }

  private:
    [[noreturn]] void fail(const boost::system::error_code& error, std::string_view doing);

    TcpSocketResource resource_;
    std::chrono::milliseconds connect_timeout_;
    boost::asio::io_context io_;
    boost::asio::ip::tcp::socket socket_{io_};
};

}  // namespace mpobench::drivers
