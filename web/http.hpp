#pragma once
// The web server's HTTP/1.1 transport, kept apart from what it serves:
// requests and responses as plain structs, so the API (api.hpp) is tested
// without a socket and Boost.Beast stays in one translation unit.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mpobench::web {

struct HttpRequest {
    std::string method;                          // "GET", "POST", ...
    std::string target;                          // path and query, as sent
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
    std::string peer_address;  // the client's IP address

    std::string header(const std::string& lower_case_name) const;
    std::string path() const;  // the target without its query
    // The query's parameters, percent-decoded; a name given twice: the last.
    std::map<std::string, std::string> query() const;
    // The value of one cookie, or empty.
    std::string cookie(const std::string& name) const;
};

// Writes one chunk of an event stream; false once the client is gone.
using StreamWriter = std::function<bool(std::string_view chunk)>;

struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::map<std::string, std::string> headers;  // besides Content-Type and the security headers
    std::string body;
    // Set for a stream (text/event-stream): called on the connection's
    // thread after the headers are sent; returns when the stream ends.
    std::function<void(const StreamWriter& write)> stream;
};

// Percent-decoding of a URL component ('+' as a space in a query); nullopt
// for a malformed escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

class HttpServerError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct HttpServerOptions {
    std::string address = "127.0.0.1";
    unsigned short port = 8080;  // 0: any free port (tests)
    std::size_t body_limit_bytes = 1 << 20;
    std::size_t max_connections = 64;
    std::chrono::seconds idle_timeout{60};
};

// A thread per connection: few clients (a station's screen, a QA desk), some
// holding an event stream open for hours. Responses to every request carry
// the security headers (security_headers()).
class HttpServer {
  public:
    using Handler = std::function<HttpResponse(const HttpRequest&)>;
    // Binds and listens; throws HttpServerError naming the address when it cannot.
    HttpServer(const HttpServerOptions& options, Handler handler);
    ~HttpServer();  // stop()
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    unsigned short port() const;  // the bound port
    // Accepts and serves until stop().
    void start();
    // Stops accepting, closes every connection and joins their threads.
    void stop();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Content-Security-Policy and friends: what every response carries.
const std::map<std::string, std::string>& security_headers();

}  // namespace mpobench::web
