#pragma once
// An IEEE 488.2 / SCPI conversation with one instrument over any Transport:
// terminators, deadlines, the error queue, typed replies, and errors that
// carry their context. Every exchange is logged at debug level.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/errors.hpp"
#include "drivers/scpi_parse.hpp"
#include "drivers/transport.hpp"

namespace spdlog {
class logger;
}

namespace mpobench::drivers {

struct SessionOptions {
    std::string role;  // station-file name of the instrument, for messages
    std::string write_terminator = "\n";
    std::string read_terminator = "\n";
    std::chrono::milliseconds timeout{2000};  // per reply
    // After a timeout a late reply may still arrive. Before the next command
    // the session sets the event-status-enable register to a marker value
    // and asks it back (`*ESE <k>;*ESE?`), discarding every line until the
    // marker returns: replies come in command order, so stale ones come
    // first, and a fresh marker each time cannot be confused with an older
    // one (or with the "1" of an *OPC?). Off: only discard what has arrived.
    bool resync_with_marker = true;
    // A serial line keeps bytes across opens: a reply the instrument sent
    // to a previous client (one that was killed mid-query) would greet this
    // one. With this set, the first command after connecting resynchronises.
    bool resync_on_connect = false;
};

// Whether a query may be sent again after a timeout. Only queries that
// change nothing are retried (once, logged).
enum class Retry { No, Once };

// One session per instrument, used from one thread at a time.
class ScpiSession {
  public:
    ScpiSession(std::unique_ptr<Transport> transport, SessionOptions options);
    ~ScpiSession();
    ScpiSession(const ScpiSession&) = delete;
    ScpiSession& operator=(const ScpiSession&) = delete;

    const SessionOptions& options() const { return options_; }
    std::string resource() const;

    // Opens the transport if it is closed (first use, or after a disconnect).
    void connect();
    // Closes and opens again: the way back after a Disconnected error.
    void reconnect();
    void disconnect();
    bool is_connected() const;

    // A command with no reply.
    void write(std::string_view command);

    // A query; returns the reply without its terminator. A timeout throws
    // InstrumentError(Timeout) unless Retry::Once lets it try a second time.
    std::string query(std::string_view command, Retry retry = Retry::Once);
    // Like query() with a per-call timeout (for long averaging windows).
    std::string query(std::string_view command, std::chrono::milliseconds timeout,
                      Retry retry = Retry::Once);

    ScpiNumber query_number(std::string_view command, Retry retry = Retry::Once);
    double query_value(std::string_view command, Retry retry = Retry::Once);
    long long query_integer(std::string_view command, Retry retry = Retry::Once);
    std::vector<std::string> query_list(std::string_view command, Retry retry = Retry::Once);
    // A definite-length block reply; returns the payload bytes.
    std::string query_block(std::string_view command, std::chrono::milliseconds timeout,
                            Retry retry = Retry::Once);

    // IEEE 488.2 common commands.
    Identity identify();   // *IDN?
    void reset();          // *RST
    void clear_status();   // *CLS
    void wait_complete();  // *OPC? -> "1"
    void wait_complete(std::chrono::milliseconds timeout);

    // SYST:ERR? until the queue reports no error (bounded, so a device that
    // never empties it cannot hang us). `query_form` lets models that spell
    // it differently (e.g. without the colon) use their own.
    std::vector<ErrorEntry> drain_errors(std::string_view query_form = "SYST:ERR?");
    // drain_errors(), then throws InstrumentError(Device) naming `after_command`
    // if anything was queued.
    void check_errors(std::string_view after_command, std::string_view query_form = "SYST:ERR?");

    // Builds the context of an error about `command` for driver-level checks.
    ErrorContext context(std::string_view command, std::optional<std::string> reply = std::nullopt,
                         std::chrono::milliseconds elapsed = {}) const;

  private:
    std::string ask(std::string_view command, std::chrono::milliseconds timeout, Retry retry,
                    bool block);
    std::string exchange(std::string_view command, std::chrono::milliseconds timeout, bool block);
    std::string read_reply(std::string_view command, Transport::Clock::time_point start,
                           std::chrono::milliseconds timeout, bool block);
    std::optional<std::size_t> complete_reply_size(bool block) const;
    void send(std::string_view command, Transport::Clock::time_point start,
              std::chrono::milliseconds timeout);
    [[noreturn]] void fail(const TransportError& error, std::string_view command,
                           Transport::Clock::time_point start, std::chrono::milliseconds timeout,
                           bool reading);
    template <typename Parser>
    auto parse_reply(std::string_view command, const std::string& reply, Parser parse) const;
    std::string log_prefix() const;
    void resynchronise(Transport::Clock::time_point deadline);

    std::unique_ptr<Transport> transport_;
    SessionOptions options_;
    std::shared_ptr<spdlog::logger> log_;  // "scpi"
    std::string pending_;                  // bytes received beyond the last reply
    bool stale_input_ = false;             // a reply may still arrive for a timed-out query
    bool lost_connection_ = false;
    int resync_marker_ = 0;  // last marker sent; markers cycle through 100..254         // the last
                             // error was Disconnected
    std::chrono::milliseconds last_elapsed_{0};
};

}  // namespace mpobench::drivers
