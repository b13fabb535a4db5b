// The one translation unit that includes Boost.Beast.

#include <sys/socket.h>
#include <sys/time.h>

#include <fmt/format.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>

#include "vocabulary/logger.hpp"
#include "web/http.hpp"

namespace mpobench::web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

void set_timeouts(tcp::socket& socket, std::chrono::seconds timeout) {
    timeval value{};
    value.tv_sec = static_cast<time_t>(timeout.count());
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &value, sizeof value);
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &value, sizeof value);
}

std::string reason_phrase(int status) {
    return std::string(http::obsolete_reason(static_cast<http::status>(status)));
}

std::string error_body(const std::string& error, const std::string& detail) {
    return nlohmann::json{{"error", error}, {"detail", detail}}.dump();
}

}  // namespace

const std::map<std::string, std::string>& security_headers() {
    static const std::map<std::string, std::string> headers{
        {"Content-Security-Policy",
         "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
         "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"Referrer-Policy", "no-referrer"},
        {"Cache-Control", "no-store"},
    };
    return headers;
}

struct HttpServer::Impl {
    HttpServerOptions options;
    Handler handler;
    asio::io_context io;
    tcp::acceptor acceptor{io};
    std::thread accept_thread;

    std::mutex mutex;
    std::condition_variable connections_changed;
    std::list<std::shared_ptr<tcp::socket>> connections;
    bool stopping = false;

    void accept_loop();
    void serve(const std::shared_ptr<tcp::socket>& socket);
    bool write_response(tcp::socket& socket, const HttpResponse& response, bool keep_alive);
};

HttpServer::HttpServer(const HttpServerOptions& options, Handler handler)
    : impl_(std::make_unique<Impl>()) {
    impl_->options = options;
    impl_->handler = std::move(handler);
    boost::system::error_code error;
    const auto address = asio::ip::make_address(options.address, error);
    if (error)
        throw HttpServerError(fmt::format("'{}' is not an IP address", options.address));
    const tcp::endpoint endpoint(address, options.port);
    auto& acceptor = impl_->acceptor;
    acceptor.open(endpoint.protocol(), error);
    if (!error)
        acceptor.set_option(asio::socket_base::reuse_address(true), error);
    if (!error)
        acceptor.bind(endpoint, error);
    if (!error)
        acceptor.listen(asio::socket_base::max_listen_connections, error);
    if (error) {
        throw HttpServerError(fmt::format("cannot listen on {}:{}: {}", options.address,
                                          options.port, error.message()));
    }
}

HttpServer::~HttpServer() {
    stop();
}

unsigned short HttpServer::port() const {
    return impl_->acceptor.local_endpoint().port();
}

void HttpServer::start() {
    impl_->accept_thread = std::thread([this] { impl_->accept_loop(); });
}

void HttpServer::stop() {
    {
        std::lock_guard lock(impl_->mutex);
        if (impl_->stopping && !impl_->accept_thread.joinable())
            return;
        impl_->stopping = true;
        // shutdown(2) wakes a thread blocked in accept(2) or recv(2); close alone may not.
        ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
        for (const auto& socket : impl_->connections)
            ::shutdown(socket->native_handle(), SHUT_RDWR);
    }
    if (impl_->accept_thread.joinable())
        impl_->accept_thread.join();
    std::unique_lock lock(impl_->mutex);
    impl_->connections_changed.wait(lock, [&] { return impl_->connections.empty(); });
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
}

void HttpServer::Impl::accept_loop() {
    const auto log = logger("web");
    while (true) {
        auto socket = std::make_shared<tcp::socket>(io);
        boost::system::error_code error;
        acceptor.accept(*socket, error);
        std::unique_lock lock(mutex);
        if (stopping)
            return;
        if (error) {
            log->warn("accept: {}", error.message());
            continue;
        }
        if (connections.size() >= options.max_connections) {
            // Refused at once: a flood of connections must not starve the station's own screen.
            log->warn("refused a connection: {} open already", connections.size());
            lock.unlock();
            static const std::string busy =
                "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: "
                "close\r\n\r\n";
            asio::write(*socket, asio::buffer(busy), error);
            continue;
        }
        connections.push_back(socket);
        std::thread([this, socket] {
            serve(socket);
            std::lock_guard done(mutex);
            connections.remove(socket);
            connections_changed.notify_all();
        }).detach();
    }
}

bool HttpServer::Impl::write_response(tcp::socket& socket, const HttpResponse& response,
                                      bool keep_alive) {
    boost::system::error_code error;
    if (response.stream) {
        // An event stream: delimited by the connection's end, not a length.
        std::string head =
            fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nConnection: close\r\n",
                        response.status, reason_phrase(response.status), response.content_type);
        for (const auto& [name, value] : security_headers())
            head += fmt::format("{}: {}\r\n", name, value);
        for (const auto& [name, value] : response.headers)
            head += fmt::format("{}: {}\r\n", name, value);
        head += "\r\n";
        asio::write(socket, asio::buffer(head), error);
        if (error)
            return false;
        response.stream([&](std::string_view chunk) {
            boost::system::error_code write_error;
            asio::write(socket, asio::buffer(chunk.data(), chunk.size()), write_error);
            return !write_error;
        });
        return false;
    }
    http::response<http::string_body> out{static_cast<http::status>(response.status), 11};
    out.set(http::field::server, "mpobench");
    out.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : security_headers())
        out.set(name, value);
    for (const auto& [name, value] : response.headers)
        out.set(name, value);
    out.body() = response.body;
    out.keep_alive(keep_alive);
    out.prepare_payload();
    http::write(socket, out, error);
    return !error && keep_alive;
}

void HttpServer::Impl::serve(const std::shared_ptr<tcp::socket>& socket) {
    const auto log = logger("web");
    set_timeouts(*socket, options.idle_timeout);
    boost::system::error_code error;
    const auto peer = socket->remote_endpoint(error);
    const std::string peer_address = error ? std::string() : peer.address().to_string();
    beast::flat_buffer buffer;
    while (true) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(16 * 1024);
        parser.body_limit(options.body_limit_bytes);
        http::read(*socket, buffer, parser, error);
        if (error == http::error::end_of_stream || error == asio::error::eof ||
            error == asio::error::connection_reset || error == asio::error::would_block ||
            error == asio::error::try_again || error == asio::error::operation_aborted ||
            error == asio::error::bad_descriptor || error == asio::error::shut_down) {
            break;
        }
        if (error) {
            const bool too_large = error == http::error::body_limit ||
                                   error == http::error::header_limit ||
                                   error == http::error::buffer_overflow;
            HttpResponse refusal;
            refusal.status = too_large ? 413 : 400;
            refusal.body =
                too_large ? error_body("request too large", fmt::format("at most {} bytes of body",
                                                                        options.body_limit_bytes))
                          : error_body("malformed HTTP request", error.message());
            log->debug("{}: {}", peer_address, error.message());
            write_response(*socket, refusal, false);
            break;
        }
        const auto& message = parser.get();
        HttpRequest request;
        request.method = std::string(message.method_string());
        request.target = std::string(message.target());
        for (const auto& field : message)
            request.headers[lower(std::string(field.name_string()))] = std::string(field.value());
        request.body = message.body();
        request.peer_address = peer_address;
        HttpResponse response;
        try {
            response = handler(request);
        } catch (const std::exception& failure) {
            log->error("{} {}: {}", request.method, request.target, failure.what());
            response.status = 500;
            response.body =
                error_body("internal error", "the server could not answer; see its log");
        }
        log->debug("{} {} {} -> {}", peer_address, request.method, request.target, response.status);
        if (!write_response(*socket, response, message.keep_alive()))
            break;
    }
    socket->shutdown(tcp::socket::shutdown_both, error);
    socket->close(error);
}

}  // namespace mpobench::web
