#include "drivers/scpi_session.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "vocabulary/logger.hpp"

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

}  // namespace

ScpiSession::ScpiSession(std::unique_ptr<Transport> transport, SessionOptions options)
    : transport_(std::move(transport)), options_(std::move(options)), log_(logger("scpi")) {
    if (!transport_) {
        throw std::invalid_argument("ScpiSession needs a transport");
    }
    if (options_.read_terminator.empty()) {
        throw std::invalid_argument(fmt::format("{}: empty read terminator", options_.role));
    }
}

ScpiSession::~ScpiSession() = default;

std::string ScpiSession::resource() const {
    return transport_->resource();
}

std::string ScpiSession::log_prefix() const {
    return fmt::format("[{} {}]", options_.role, resource());
}

ErrorContext ScpiSession::context(std::string_view command, std::optional<std::string> reply,
                                  std::chrono::milliseconds elapsed) const {
    return {options_.role, resource(), std::string(command), std::move(reply), elapsed};
}

void ScpiSession::connect() {
    if (transport_->is_open()) {
        return;
    }
    if (lost_connection_) {
        log_->info("{} reconnecting after the connection was lost", log_prefix());
    }
    try {
        transport_->open();
    } catch (const TransportError& error) {
        throw InstrumentError(error.kind(), context(""), error.what());
    }
    lost_connection_ = false;
    stale_input_ = options_.resync_on_connect;
    pending_.clear();
    log_->debug("{} connected", log_prefix());
}

void ScpiSession::reconnect() {
    log_->info("{} reconnecting", log_prefix());
    disconnect();
    connect();
}

void ScpiSession::disconnect() {
    transport_->close();
    pending_.clear();
}

bool ScpiSession::is_connected() const {
    return transport_->is_open();
}

void ScpiSession::write(std::string_view command) {
    connect();
    send(command, Clock::now(), options_.timeout);
}

std::string ScpiSession::query(std::string_view command, Retry retry) {
    return ask(command, options_.timeout, retry, false);
}

std::string ScpiSession::query(std::string_view command, std::chrono::milliseconds timeout,
                               Retry retry) {
    return ask(command, timeout, retry, false);
}

std::string ScpiSession::ask(std::string_view command, std::chrono::milliseconds timeout,
                             Retry retry, bool block) {
    try {
        return exchange(command, timeout, block);
    } catch (const InstrumentError& error) {
        if (retry == Retry::No || error.kind() != ErrorKind::Timeout) {
            throw;
        }
        log_->warn("{} {}; asking once more", log_prefix(), error.detail());
        return exchange(command, timeout, block);
    }
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
    } else {
        log_->debug("{} < {} ({:.1f} ms)", log_prefix(), printable(reply), elapsed_ms_fine(start));
    }
    return reply;
}

void ScpiSession::send(std::string_view command, Clock::time_point start,
                       std::chrono::milliseconds timeout) {
    try {
        if (stale_input_) {
            // A reply that arrived after its query timed out would be taken
            // for the answer to this command.
            transport_->discard_input();
            pending_.clear();
            resynchronise(start + timeout);
            stale_input_ = false;
        }
        log_->debug("{} > {}", log_prefix(), command);
        transport_->write(std::string(command) + options_.write_terminator, start + timeout);
    } catch (const TransportError& error) {
        fail(error, command, start, timeout, false);
    }
}

void ScpiSession::resynchronise(Clock::time_point deadline) {
    if (!options_.resync_with_marker) {
        return;
    }
    // Markers stay clear of the small integers that ordinary replies carry.
    resync_marker_ = resync_marker_ < 100 || resync_marker_ >= 254 ? 100 : resync_marker_ + 1;
    const auto marker = std::to_string(resync_marker_);
    const auto command = fmt::format("*ESE {};*ESE?", marker);
    log_->debug("{} > {} (resynchronising after a timeout)", log_prefix(), command);
    transport_->write(command + options_.write_terminator, deadline);
    std::array<char, 4096> buffer;
    while (true) {
        const auto end = pending_.find(options_.read_terminator);
        if (end != std::string::npos) {
            auto line = pending_.substr(0, end);
            pending_.erase(0, end + options_.read_terminator.size());
            if (line == marker || line == "+" + marker) {
                return;
            }
            log_->info("{} discarded a late reply: {}", log_prefix(), printable(line));
            continue;
        }
        pending_.append(buffer.data(), transport_->read_some(buffer, deadline));
    }
}

std::optional<std::size_t> ScpiSession::complete_reply_size(bool block) const {
    const auto& terminator = options_.read_terminator;
    if (block && pending_.starts_with('#')) {
        // A binary payload may contain the terminator: read it by length.
        const auto size = definite_block_size(pending_);
        if (!size || pending_.size() < *size + terminator.size()) {
            return std::nullopt;
        }
        if (pending_.compare(*size, terminator.size(), terminator) != 0) {
            throw std::invalid_argument(
                fmt::format("definite-length block of {} bytes not followed by the terminator '{}'",
                            *size, printable(terminator)));
        }
        return *size + terminator.size();
    }
    const auto end = pending_.find(terminator);
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
            auto received = std::move(pending_);
            pending_.clear();
            stale_input_ = true;  // the rest of the malformed reply may still be on its way
            throw InstrumentError(ErrorKind::Protocol,
                                  context(command, std::move(received), elapsed_ms(start)),
                                  fmt::format("reply does not parse: {}", error.what()));
        }
        if (size) {
            auto reply = pending_.substr(0, *size - options_.read_terminator.size());
            pending_.erase(0, *size);
            return reply;
        }
        try {
            const auto count = transport_->read_some(buffer, start + timeout);
            pending_.append(buffer.data(), count);
        } catch (const TransportError& error) {
            fail(error, command, start, timeout, true);
        }
    }
}

void ScpiSession::fail(const TransportError& error, std::string_view command,
                       Clock::time_point start, std::chrono::milliseconds timeout, bool reading) {
    std::optional<std::string> partial;
    if (!pending_.empty()) {
        partial = std::move(pending_);
        pending_.clear();
    }
    std::string detail;
    switch (error.kind()) {
        case ErrorKind::Timeout:
            stale_input_ = true;
            detail = reading
                         ? fmt::format("timed out after {} ms with {}", timeout.count(),
                                       partial ? "an incomplete reply" : "no reply")
                         : fmt::format("timed out after {} ms: {}", timeout.count(), error.what());
            break;
        case ErrorKind::Disconnected:
            transport_->close();
            lost_connection_ = true;
            detail = fmt::format("failed, connection lost: {}", error.what());
            break;
        default:
            detail = fmt::format("failed: {}", error.what());
    }
    throw InstrumentError(error.kind(), context(command, std::move(partial), elapsed_ms(start)),
                          detail);
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

ScpiNumber ScpiSession::query_number(std::string_view command, Retry retry) {
    return parse_reply(command, query(command, retry), parse_number);
}

double ScpiSession::query_value(std::string_view command, Retry retry) {
    return parse_reply(command, query(command, retry), parse_value);
}

long long ScpiSession::query_integer(std::string_view command, Retry retry) {
    return parse_reply(command, query(command, retry), parse_integer);
}

std::vector<std::string> ScpiSession::query_list(std::string_view command, Retry retry) {
    return parse_reply(command, query(command, retry), split_list);
}

std::string ScpiSession::query_block(std::string_view command, std::chrono::milliseconds timeout,
                                     Retry retry) {
    return parse_reply(command, ask(command, timeout, retry, true),
                       [](std::string_view reply) { return parse_definite_block(reply); });
}

Identity ScpiSession::identify() {
    return parse_reply("*IDN?", query("*IDN?"), parse_identity);
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

void ScpiSession::wait_complete(std::chrono::milliseconds timeout) {
    // Not retried: a second *OPC? would only wait for the same operation again.
    const auto reply = query("*OPC?", timeout, Retry::No);
    if (parse_reply("*OPC?", reply, parse_integer) != 1) {
        throw InstrumentError(ErrorKind::Protocol, context("*OPC?", reply, last_elapsed_),
                              "operation-complete query did not answer 1");
    }
}

std::vector<ErrorEntry> ScpiSession::drain_errors(std::string_view query_form) {
    std::vector<ErrorEntry> errors;
    for (int read = 0; read < kMaxErrorReads; ++read) {
        // Never retried: each read takes an entry off the queue.
        auto entry = parse_reply(query_form, query(query_form, Retry::No), parse_error_entry);
        if (!entry.is_error()) {
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
