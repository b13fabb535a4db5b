#pragma once
// An IEEE 488.2 / SCPI conversation with one instrument over any Transport:
// terminators, deadlines, the error queue, typed replies, and errors that
// carry their context. Every exchange is logged at debug level.

#include <chrono>
#include <memory>
#include <mutex>
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

// The retries a run may spend, across every instrument of its bench: a
// line that needs more is not healthy enough to test on. Thread-safe.
class RetryBudget {
  public:
    explicit RetryBudget(int limit);
    // Takes one retry; false (and nothing taken) when the budget is spent.
    bool spend();
    int used() const;
    int limit() const { return limit_; }
    // A new run starts with the whole budget.
    void reset();

  private:
    mutable std::mutex mutex_;
    int limit_;
    int used_ = 0;
};

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
    // How often an idempotent query is asked again after a transient fault
    // (a lost or garbled reply), each retry logged and counted.
    int max_retries = 3;
    // Shared by the sessions of one bench: the retries one run may spend in
    // all. Null: only max_retries limits them.
    std::shared_ptr<RetryBudget> retry_budget = nullptr;
};

// Whether a query may be sent again after a transient fault (a timeout or
// a reply that arrived garbled). Only exchanges whose repetition changes
// nothing are retried: queries that only read, sets to the same value
// (routing to a port the switch may already be at), FETCh of a finished
// window. Not *RST, not READ (a new averaging window), nothing that takes
// state off the instrument.
enum class Retry { No, Idempotent };

// One session per instrument driver. Several sessions may share one
// connection (modules of one mainframe behind one resource, see share()):
// every exchange holds the connection's lock, so a query's write and read
// never interleave with another session's, and hold() keeps it across a
// sequence. Thread-safe.
class ScpiSession {
  public:
    ScpiSession(std::unique_ptr<Transport> transport, SessionOptions options);
    ~ScpiSession();

    // Another session on this session's connection, for another driver
    // (an instrument module in the same mainframe): its own role (for
    // messages) and timeout, the same transport, buffer and lock. Throws
    // std::invalid_argument when the terminators differ: one wire has one
    // framing.
    std::unique_ptr<ScpiSession> share(SessionOptions options) const;

    // Holds the connection for a sequence of exchanges (a command and the
    // error-queue read that checks it), so another session on it cannot
    // slip a command in between. Recursive: exchanges inside take it again.
    [[nodiscard]] std::unique_lock<std::recursive_mutex> hold() const;
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

    // A query; returns the reply without its terminator. A reply must be
    // ASCII text: bytes outside it are a garbled reply (Protocol). A timeout
    // throws InstrumentError(Timeout), a garbled reply InstrumentError(Protocol),
    // unless Retry::Idempotent lets it ask again (up to max_retries times,
    // within the retry budget; stale input is discarded before each retry).
    std::string query(std::string_view command, Retry retry = Retry::Idempotent);
    // Like query() with a per-call timeout (for long averaging windows).
    std::string query(std::string_view command, std::chrono::milliseconds timeout,
                      Retry retry = Retry::Idempotent);

    // Typed queries: a reply that does not parse is retried like a garbled one.
    ScpiNumber query_number(std::string_view command, Retry retry = Retry::Idempotent);
    ScpiNumber query_number(std::string_view command, std::chrono::milliseconds timeout,
                            Retry retry = Retry::Idempotent);
    double query_value(std::string_view command, Retry retry = Retry::Idempotent);
    long long query_integer(std::string_view command, Retry retry = Retry::Idempotent);
    std::vector<std::string> query_list(std::string_view command, Retry retry = Retry::Idempotent);
    // A definite-length block reply; returns the payload bytes.
    std::string query_block(std::string_view command, std::chrono::milliseconds timeout,
                            Retry retry = Retry::Idempotent);

    // IEEE 488.2 common commands.
    Identity identify();   // *IDN?
    void reset();          // *RST
    void clear_status();   // *CLS
    void wait_complete();  // *OPC? -> "1"; retried (it waits again for the same operation)
    // Retry::No where the timeout is a limit on the operation itself (a
    // person's step), not on the line.
    void wait_complete(std::chrono::milliseconds timeout, Retry retry = Retry::Idempotent);

    // SYST:ERR? until the queue reports no error (bounded, so a device that
    // never empties it cannot hang us). `query_form` lets models that spell
    // it differently (e.g. without the colon) use their own. Each read takes
    // an entry off the queue, so a lost reply may have taken one with it:
    // a read is retried only where the event status register can tell
    // afterwards (resync_with_marker models): when the queue then reads
    // empty, `*ESE 60;*STB?` must show no error event (status byte bit 5),
    // or the lost entry is reported (Device).
    std::vector<ErrorEntry> drain_errors(std::string_view query_form = "SYST:ERR?");
    // drain_errors(), then throws InstrumentError(Device) naming `after_command`
    // if anything was queued.
    void check_errors(std::string_view after_command, std::string_view query_form = "SYST:ERR?");

    // Builds the context of an error about `command` for driver-level checks.
    ErrorContext context(std::string_view command, std::optional<std::string> reply = std::nullopt,
                         std::chrono::milliseconds elapsed = {}) const;

  private:
    struct Port;  // the connection, shared by the sessions on it
    ScpiSession(std::shared_ptr<Port> port, SessionOptions options);

    template <typename Parser>
    auto ask(std::string_view command, std::chrono::milliseconds timeout, Retry retry, bool block,
             Parser parse);
    // Whether a failed attempt may be retried; logs and counts the retry.
    // Throws the error (with how many retries it had) when the retries or
    // the run's budget are spent.
    bool may_retry(const InstrumentError& error, Retry retry, int attempt);
    ErrorEntry read_error_entry(std::string_view query_form, bool& lost);
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
    // Before `next_command` (sent at `start`): a fresh *ESE marker, lines
    // discarded until it comes back, within `timeout`.
    void resynchronise(std::string_view next_command, Transport::Clock::time_point start,
                       std::chrono::milliseconds timeout);

    std::shared_ptr<Port> port_;
    SessionOptions options_;
    std::shared_ptr<spdlog::logger> log_;  // "scpi"
    std::chrono::milliseconds last_elapsed_{0};
};

}  // namespace mpobench::drivers
