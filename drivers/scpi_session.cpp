#include "drivers/scpi_session.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "vocabulary/logger.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace mpobench::drivers {

namespace {

using Clock = Transport::Clock;

// Above any real error queue (SCPI asks for at least 2 entries; instruments
// keep 10 to 100), so a device that never reports "No error" cannot hang us.
constexpr int kMaxErrorReads = 128;

std::chrono::milliseconds elapsed_ms(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

double elapsed_ms_fine(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// IEEE 488.2 response data outside blocks are 7-bit ASCII text: the first
// byte that is not (a garbled reply), or nullopt.
std::optional<unsigned char> non_text_byte(std::string_view reply) {
    const auto bad = std::find_if(reply.begin(), reply.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return (byte < 0x20 && c != '\t' && c != '\r') || byte >= 0x7F;
    });
    if (bad == reply.end())
        return std::nullopt;
    return static_cast<unsigned char>(*bad);
}

}  // namespace

// The connection: what every session on one resource shares.
struct ScpiSession::Port {
    std::unique_ptr<Transport> transport;
    std::recursive_mutex mutex;    // held for every exchange (and by hold())
    std::string pending;           // bytes received beyond the last reply
    bool stale_input = false;      // a reply may still arrive for a failed query
    bool lost_connection = false;  // the last error was Disconnected
    int resync_marker = 0;         // last marker sent; markers cycle through 100..254
};

RetryBudget::RetryBudget(int limit) : limit_(limit) {
    if (limit < 0)
        throw std::invalid_argument(fmt::format("retry budget {} is negative", limit));
}

bool RetryBudget::spend() {
    std::lock_guard lock(mutex_);
    if (used_ >= limit_)
        return false;
    ++used_;
    return true;
}

int RetryBudget::used() const {
    std::lock_guard lock(mutex_);
    return used_;
}

void RetryBudget::reset() {
    std::lock_guard lock(mutex_);
    used_ = 0;
}

ScpiSession::ScpiSession(std::unique_ptr<Transport> transport, SessionOptions options)
    : ScpiSession(
          [&transport] {
              if (!transport)
                  throw std::invalid_argument("ScpiSession needs a transport");
              auto port = std::make_shared<Port>();
              port->transport = std::move(transport);
              return port;
          }(),
          std::move(options)) {}

ScpiSession::ScpiSession(std::shared_ptr<Port> port, SessionOptions options)
    : port_(std::move(port)), options_(std::move(options)), log_(logger("scpi")) {
    if (options_.read_terminator.empty()) {
        throw std::invalid_argument(fmt::format("{}: empty read terminator", options_.role));
    }
    if (options_.max_retries < 0) {
        throw std::invalid_argument(
            fmt::format("{}: max_retries {} is negative", options_.role, options_.max_retries));
    }
}

ScpiSession::~ScpiSession() = default;

std::unique_ptr<ScpiSession> ScpiSession::share(SessionOptions options) const {
    if (options.read_terminator != options_.read_terminator ||
        options.write_terminator != options_.write_terminator) {
        throw std::invalid_argument(
            fmt::format("{} and {} share {} but not its terminators (read '{}'/'{}', write "
                        "'{}'/'{}')",
                        options_.role, options.role, resource(),
                        printable(options_.read_terminator), printable(options.read_terminator),
                        printable(options_.write_terminator), printable(options.write_terminator)));
    }
    return std::unique_ptr<ScpiSession>(new ScpiSession(port_, std::move(options)));
}

std::unique_lock<std::recursive_mutex> ScpiSession::hold() const {
    return std::unique_lock(port_->mutex);
}

std::string ScpiSession::resource() const {
    return port_->transport->resource();
}

std::string ScpiSession::log_prefix() const {
    return fmt::format("[{} {}]", options_.role, resource());
}

ErrorContext ScpiSession::context(std::string_view command, std::optional<std::string> reply,
                                  std::chrono::milliseconds elapsed) const {
    return {options_.role, resource(), std::string(command), std::move(reply), elapsed};
}

void ScpiSession::connect() {
    const auto held = hold();
    Port& port = *port_;
    if (port.transport->is_open()) {
        return;
    }
    if (port.lost_connection) {
        log_->info("{} reconnecting after the connection was lost", log_prefix());
    }
    try {
        port.transport->open();
    } catch (const TransportError& error) {
        throw InstrumentError(error.kind(), context(""), error.what());
    }
    port.lost_connection = false;
    port.stale_input = options_.resync_on_connect;
    port.pending.clear();
    log_->debug("{} connected", log_prefix());
}

void ScpiSession::reconnect() {
    const auto held = hold();
    log_->info("{} reconnecting", log_prefix());
    disconnect();
    connect();
}

void ScpiSession::disconnect() {
    const auto held = hold();
    port_->transport->close();
    port_->pending.clear();
}

bool ScpiSession::is_connected() const {
    const auto held = hold();
    return port_->transport->is_open();
}

void ScpiSession::write(std::string_view command) {
    const auto held = hold();
    connect();
    send(command, Clock::now(), options_.timeout);
}

template <typename Parser>
auto ScpiSession::parse_reply(std::string_view command, const std::string& reply,
                              Parser parse) const {
    try {
        return parse(reply);
    } catch (const std::invalid_argument& error) {
        throw InstrumentError(ErrorKind::Protocol, context(command, reply, last_elapsed_),
                              fmt::format("reply does not parse: {}", error.what()));
    }
}

template <typename Parser>
auto ScpiSession::ask(std::string_view command, std::chrono::milliseconds timeout, Retry retry,
                      bool block, Parser parse) {
    const auto held = hold();
    for (int attempt = 0;; ++attempt) {
        try {
            return parse_reply(command, exchange(command, timeout, block), parse);
        } catch (const InstrumentError& error) {
            if (!may_retry(error, retry, attempt))
                throw;
        }
    }
}

bool ScpiSession::may_retry(const InstrumentError& error, Retry retry, int attempt) {
    const bool transient =
        error.kind() == ErrorKind::Timeout || error.kind() == ErrorKind::Protocol;
    if (retry == Retry::No || !transient)
        return false;
    if (attempt >= options_.max_retries) {
        throw InstrumentError(
            error.kind(), error.context(),
            fmt::format("{} (still after {} {})", error.detail(), options_.max_retries,
                        options_.max_retries == 1 ? "retry" : "retries"));
    }
    const auto& budget = options_.retry_budget;
    if (budget && !budget->spend()) {
        throw InstrumentError(
            error.kind(), error.context(),
            fmt::format("{} (not retried: this run's retry budget of {} is spent)", error.detail(),
                        budget->limit()));
    }
    // Whatever else the fault left on the line (the rest of a garbled
    // reply, a late one) must not answer the retry.
    port_->stale_input = true;
    log_->warn(
        "{}; retry {} of {}{}", error.what(), attempt + 1, options_.max_retries,
        budget ? fmt::format(" ({} of the run's {} retries used)", budget->used(), budget->limit())
               : std::string());
    return true;
}

std::string ScpiSession::query(std::string_view command, Retry retry) {
    return query(command, options_.timeout, retry);
}

std::string ScpiSession::query(std::string_view command, std::chrono::milliseconds timeout,
                               Retry retry) {
    return ask(command, timeout, retry, false, [](std::string reply) { return reply; });
}

std::string ScpiSession::exchange(std::string_view command, std::chrono::milliseconds timeout,
                                  bool block) {
    connect();
    const auto start = Clock::now();
    send(command, start, timeout);
    auto reply = read_reply(command, start, timeout, block);
    last_elapsed_ = elapsed_ms(start);
    if (block) {
        log_->debug("{} < block of {} bytes ({:.1f} ms)", log_prefix(), reply.size(),
                    elapsed_ms_fine(start));
        if (!reply.starts_with('#')) {
            throw InstrumentError(ErrorKind::Protocol, context(command, reply, last_elapsed_),
                                  "garbled reply: a definite-length block starts with '#'");
        }
    } else {
        log_->debug("{} < {} ({:.1f} ms)", log_prefix(), printable(reply), elapsed_ms_fine(start));
        if (const auto bad = non_text_byte(reply)) {
            throw InstrumentError(
                ErrorKind::Protocol, context(command, reply, last_elapsed_),
                fmt::format("garbled reply: byte 0x{:02X} is not ASCII text", *bad));
        }
    }
    return reply;
}

void ScpiSession::send(std::string_view command, Clock::time_point start,
                       std::chrono::milliseconds timeout) {
    Port& port = *port_;
    try {
        if (port.stale_input) {
            // A reply that arrived after its query timed out would be taken
            // for the answer to this command.
            port.transport->discard_input();
            port.pending.clear();
            resynchronise(command, start, timeout);
            port.stale_input = false;
        }
        log_->debug("{} > {}", log_prefix(), command);
        port.transport->write(std::string(command) + options_.write_terminator, start + timeout);
    } catch (const TransportError& error) {
        fail(error, command, start, timeout, false);
    }
}

void ScpiSession::resynchronise(std::string_view next_command, Clock::time_point start,
                                std::chrono::milliseconds timeout) {
    if (!options_.resync_with_marker) {
        return;
    }
    Port& port = *port_;
    const auto deadline = start + timeout;
    // Markers stay clear of the small integers that ordinary replies carry.
    port.resync_marker =
        port.resync_marker < 100 || port.resync_marker >= 254 ? 100 : port.resync_marker + 1;
    const auto marker = std::to_string(port.resync_marker);
    const auto command = fmt::format("*ESE {};*ESE?", marker);
    log_->debug("{} > {} (resynchronising after a failed exchange)", log_prefix(), command);
    port.transport->write(command + options_.write_terminator, deadline);
    std::array<char, 4096> buffer;
    std::optional<std::string> garbled;  // a discarded line that was no text
    while (true) {
        const auto end = port.pending.find(options_.read_terminator);
        if (end != std::string::npos) {
            auto line = port.pending.substr(0, end);
            port.pending.erase(0, end + options_.read_terminator.size());
            if (line == marker || line == "+" + marker) {
                return;
            }
            log_->info("{} discarded a late reply: {}", log_prefix(), printable(line));
            if (non_text_byte(line))
                garbled = std::move(line);
            continue;
        }
        try {
            port.pending.append(buffer.data(), port.transport->read_some(buffer, deadline));
        } catch (const TransportError& error) {
            if (error.kind() != ErrorKind::Timeout || !garbled)
                throw;
            // The marker's own reply came back garbled: the line garbles,
            // it is not silent.
            throw InstrumentError(
                ErrorKind::Protocol, context(next_command, std::move(garbled), elapsed_ms(start)),
                fmt::format("garbled reply: the resynchronising marker ('{}') never came back "
                            "as text",
                            command));
        }
    }
}

std::optional<std::size_t> ScpiSession::complete_reply_size(bool block) const {
    const auto& terminator = options_.read_terminator;
    if (block && port_->pending.starts_with('#')) {
        // A binary payload may contain the terminator: read it by length.
        const auto size = definite_block_size(port_->pending);
        if (!size || port_->pending.size() < *size + terminator.size()) {
            return std::nullopt;
        }
        if (port_->pending.compare(*size, terminator.size(), terminator) != 0) {
            throw std::invalid_argument(
                fmt::format("definite-length block of {} bytes not followed by the terminator '{}'",
                            *size, printable(terminator)));
        }
        return *size + terminator.size();
    }
    const auto end = port_->pending.find(terminator);
    return end == std::string::npos ? std::nullopt
                                    : std::optional<std::size_t>(end + terminator.size());
}

std::string ScpiSession::read_reply(std::string_view command, Clock::time_point start,
                                    std::chrono::milliseconds timeout, bool block) {
    std::array<char, 4096> buffer;
    while (true) {
        std::optional<std::size_t> size;
        try {
            size = complete_reply_size(block);
        } catch (const std::invalid_argument& error) {
            auto received = std::move(port_->pending);
            port_->pending.clear();
            port_->stale_input = true;  // the rest of the malformed reply may still be on its way
            throw InstrumentError(ErrorKind::Protocol,
                                  context(command, std::move(received), elapsed_ms(start)),
                                  fmt::format("reply does not parse: {}", error.what()));
        }
        if (size) {
            auto reply = port_->pending.substr(0, *size - options_.read_terminator.size());
            port_->pending.erase(0, *size);
            return reply;
        }
        try {
            const auto count = port_->transport->read_some(buffer, start + timeout);
            port_->pending.append(buffer.data(), count);
        } catch (const TransportError& error) {
            fail(error, command, start, timeout, true);
        }
    }
}

void ScpiSession::fail(const TransportError& error, std::string_view command,
                       Clock::time_point start, std::chrono::milliseconds timeout, bool reading) {
    std::optional<std::string> partial;
    if (!port_->pending.empty()) {
        partial = std::move(port_->pending);
        port_->pending.clear();
    }
    std::string detail;
    switch (error.kind()) {
        case ErrorKind::Timeout:
            port_->stale_input = true;
            detail = reading
                         ? fmt::format("timed out after {} ms with {}", timeout.count(),
                                       partial ? "an incomplete reply" : "no reply")
                         : fmt::format("timed out after {} ms: {}", timeout.count(), error.what());
            break;
        case ErrorKind::Disconnected:
            port_->transport->close();
            port_->lost_connection = true;
            detail = fmt::format("failed, connection lost: {}", error.what());
            break;
        default:
            detail = fmt::format("failed: {}", error.what());
    }
    throw InstrumentError(error.kind(), context(command, std::move(partial), elapsed_ms(start)),
                          detail);
}

ScpiNumber ScpiSession::query_number(std::string_view command, Retry retry) {
    return query_number(command, options_.timeout, retry);
}

ScpiNumber ScpiSession::query_number(std::string_view command, std::chrono::milliseconds timeout,
                                     Retry retry) {
    return ask(command, timeout, retry, false, parse_number);
}

double ScpiSession::query_value(std::string_view command, Retry retry) {
    return ask(command, options_.timeout, retry, false, parse_value);
}

long long ScpiSession::query_integer(std::string_view command, Retry retry) {
    return ask(command, options_.timeout, retry, false, parse_integer);
}

std::vector<std::string> ScpiSession::query_list(std::string_view command, Retry retry) {
    return ask(command, options_.timeout, retry, false, split_list);
}

std::string ScpiSession::query_block(std::string_view command, std::chrono::milliseconds timeout,
                                     Retry retry) {
    return ask(command, timeout, retry, true,
               [](std::string_view reply) { return parse_definite_block(reply); });
}

Identity ScpiSession::identify() {
    return ask("*IDN?", options_.timeout, Retry::Idempotent, false, parse_identity);
}

void ScpiSession::reset() {
    write("*RST");
}

void ScpiSession::clear_status() {
    write("*CLS");
}

void ScpiSession::wait_complete() {
    wait_complete(options_.timeout);
}

void ScpiSession::wait_complete(std::chrono::milliseconds timeout, Retry retry) {
    // Retried: a second *OPC? waits for the same operation, done or not.
    const auto done = ask("*OPC?", timeout, retry, false, parse_integer);
    if (done != 1) {
        throw InstrumentError(ErrorKind::Protocol,
                              context("*OPC?", std::to_string(done), last_elapsed_),
                              "operation-complete query did not answer 1");
    }
}

ErrorEntry ScpiSession::read_error_entry(std::string_view query_form, bool& lost) {
    for (int attempt = 0;; ++attempt) {
        try {
            return parse_reply(query_form, exchange(query_form, options_.timeout, false),
                               parse_error_entry);
        } catch (const InstrumentError& error) {
            // The read took an entry off the queue whether or not its reply
            // arrived intact: retried only where the status byte can tell afterwards.
            if (!options_.resync_with_marker || !may_retry(error, Retry::Idempotent, attempt))
                throw;
            lost = true;
        }
    }
}

std::vector<ErrorEntry> ScpiSession::drain_errors(std::string_view query_form) {
    const auto held = hold();
    std::vector<ErrorEntry> errors;
    bool lost = false;
    for (int read = 0; read < kMaxErrorReads; ++read) {
        auto entry = read_error_entry(query_form, lost);
        if (!entry.is_error()) {
            if (lost && errors.empty()) {
                // IEEE 488.2: every queued error also sets one of the event
                // status bits 2..5, and with those enabled (*ESE) the status
                // byte's bit 5 summarises them. *STB? reads without clearing,
                // so this check is itself safe to ask again. An error the
                // bench knew of ended its run (and *CLS starts each one), so
                // a bit set now is the entry the lost reply carried.
                constexpr long long kErrorEvents = 0x3C;
                constexpr long long kEventSummary = 0x20;
                const auto check = fmt::format("*ESE {};*STB?", kErrorEvents);
                const long long status =
                    ask(check, options_.timeout, Retry::Idempotent, false, parse_integer);
                if ((status & kEventSummary) != 0) {
                    throw InstrumentError(
                        ErrorKind::Device, context(query_form, std::to_string(status)),
                        fmt::format("a reply to {} was lost and '{}' = {} shows the instrument "
                                    "had queued an error: what it was is unknown",
                                    query_form, check, status));
                }
                log_->info("{} {} = {}: the lost {} reply carried no error", log_prefix(), check,
                           status, query_form);
            }
            return errors;
        }
        log_->warn("{} error queue: {},\"{}\"", log_prefix(), entry.code, entry.message);
        errors.push_back(std::move(entry));
    }
    throw InstrumentError(
        ErrorKind::Protocol, context(query_form),
        fmt::format("error queue still not empty after {} reads", kMaxErrorReads));
}

void ScpiSession::check_errors(std::string_view after_command, std::string_view query_form) {
    const auto held = hold();
    const auto errors = drain_errors(query_form);
    if (errors.empty()) {
        return;
    }
    std::string listed;
    for (const auto& entry : errors) {
        listed += fmt::format("{}{} \"{}\"", listed.empty() ? "" : "; ", entry.code, entry.message);
    }
    throw InstrumentError(
        ErrorKind::Device, context(after_command),
        fmt::format("raised device error{}: {}", errors.size() > 1 ? "s" : "", listed));
}

}  // namespace mpobench::drivers
