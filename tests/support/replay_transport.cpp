#include "tests/support/replay_transport.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "drivers/errors.hpp"

namespace mpobench::testing {

using drivers::ErrorKind;
using drivers::TransportError;

namespace {

std::string hex_bytes(std::string_view hex, int line) {
    std::string bytes;
    std::istringstream tokens{std::string(hex)};
    std::string token;
    while (tokens >> token) {
        if (token.size() % 2 != 0 ||
            !std::all_of(token.begin(), token.end(), [](char c) { return std::isxdigit(c); })) {
            throw std::invalid_argument(
                fmt::format("line {}: '{}' is not a run of hex byte pairs", line, token));
        }
        for (std::size_t i = 0; i < token.size(); i += 2) {
            bytes.push_back(static_cast<char>(std::stoi(token.substr(i, 2), nullptr, 16)));
        }
    }
    if (bytes.empty()) {
        throw std::invalid_argument(fmt::format("line {}: '<hex' without bytes", line));
    }
    return bytes;
}

ReplayScript::Step parse_step(std::string_view text, int line) {
    using Kind = ReplayScript::Step::Kind;
    // After a marker, one space separates it from the bytes; the rest is exact.
    auto rest = [&](std::size_t marker) {
        auto bytes = text.substr(marker);
        return std::string(bytes.starts_with(' ') ? bytes.substr(1) : bytes);
    };
    if (text == "<silent") {
        return {Kind::Silent, "", line};
    }
    if (text.starts_with("<hex ")) {
        return {Kind::Reply, hex_bytes(text.substr(4), line), line};
    }
    if (text.starts_with("< ") || text == "<") {
        return {Kind::Reply, rest(1), line};
    }
    if (text.starts_with("> ") || text == ">") {
        auto command = rest(1);
        if (command.empty()) {
            throw std::invalid_argument(fmt::format("line {}: '>' without a command", line));
        }
        return {Kind::Write, command, line};
    }
    throw std::invalid_argument(fmt::format(
        "line {}: '{}' is none of '# comment', '> command', '< reply', '<hex ..', '<silent'", line,
        text));
}

std::string describe(const ReplayScript::Step& step) {
    switch (step.kind) {
        case ReplayScript::Step::Kind::Write:
            return fmt::format("> {}", step.bytes);
        case ReplayScript::Step::Kind::Reply:
            return fmt::format("< {}", drivers::printable(step.bytes));
        case ReplayScript::Step::Kind::Silent:
            return "<silent";
    }
    return {};
}

}  // namespace

ReplayScript::ReplayScript(std::string name, std::vector<Step> steps)
    : name_(std::move(name)), steps_(std::move(steps)) {}

std::shared_ptr<ReplayScript> ReplayScript::from_string(std::string_view transcript,
                                                        std::string name) {
    std::vector<Step> steps;
    std::istringstream lines{std::string(transcript)};
    std::string text;
    for (int line = 1; std::getline(lines, text); ++line) {
        if (text.ends_with('\r')) {
            text.pop_back();
        }
        const auto first = text.find_first_not_of(" \t");
        if (first == std::string::npos || text[first] == '#') {
            continue;
        }
        try {
            steps.push_back(parse_step(std::string_view(text).substr(first), line));
        } catch (const std::invalid_argument& error) {
            throw std::invalid_argument(fmt::format("{}: {}", name, error.what()));
        }
    }
    return std::shared_ptr<ReplayScript>(new ReplayScript(std::move(name), std::move(steps)));
}

std::shared_ptr<ReplayScript> ReplayScript::from_file(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        throw std::invalid_argument(fmt::format("cannot read transcript '{}'", path.string()));
    }
    std::ostringstream text;
    text << file.rdbuf();
    return from_string(text.str(), path.filename().string());
}

std::string ReplayScript::remaining() const {
    if (all_consumed()) {
        return fmt::format("transcript {}: fully consumed", name_);
    }
    const Step& step = steps_[next_];
    return fmt::format("transcript {}: {} step(s) left, next at line {}: {}", name_,
                       steps_.size() - next_, step.line, describe(step));
}

void ReplayScript::expect_write(std::string_view command) {
    if (all_consumed()) {
        throw ReplayMismatch(fmt::format("transcript {}: the driver wrote '{}' after the end",
                                         name_, drivers::printable(command)));
    }
    const Step& step = steps_[next_];
    if (step.kind != Step::Kind::Write) {
        throw ReplayMismatch(fmt::format(
            "transcript {} line {}: the driver wrote '{}' but the instrument was to answer ({})",
            name_, step.line, drivers::printable(command), describe(step)));
    }
    if (step.bytes != command) {
        throw ReplayMismatch(
            fmt::format("transcript {} line {}: expected write '{}' but the driver wrote '{}'",
                        name_, step.line, step.bytes, drivers::printable(command)));
    }
    ++next_;
}

const ReplayScript::Step* ReplayScript::take_reply() {
    if (all_consumed() || steps_[next_].kind == Step::Kind::Write) {
        return nullptr;
    }
    const Step& step = steps_[next_++];
    return step.kind == Step::Kind::Reply ? &step : nullptr;
}

ReplayTransport::ReplayTransport(std::shared_ptr<ReplayScript> script, std::string read_terminator,
                                 std::string write_terminator)
    : script_(std::move(script)),
      read_terminator_(std::move(read_terminator)),
      write_terminator_(std::move(write_terminator)) {}

std::unique_ptr<ReplayTransport> ReplayTransport::from_string(std::string_view transcript,
                                                              std::string read_terminator,
                                                              std::string write_terminator) {
    return std::make_unique<ReplayTransport>(ReplayScript::from_string(transcript),
                                             std::move(read_terminator),
                                             std::move(write_terminator));
}

std::unique_ptr<ReplayTransport> ReplayTransport::from_file(const std::filesystem::path& path,
                                                            std::string read_terminator,
                                                            std::string write_terminator) {
    return std::make_unique<ReplayTransport>(
        ReplayScript::from_file(path), std::move(read_terminator), std::move(write_terminator));
}

void ReplayTransport::write(std::string_view bytes, Clock::time_point) {
    if (!open_) {
        throw TransportError(ErrorKind::Io, "write on a closed replay transport");
    }
    unwritten_.append(bytes);
    for (auto end = unwritten_.find(write_terminator_); end != std::string::npos;
         end = unwritten_.find(write_terminator_)) {
        script_->expect_write(std::string_view(unwritten_).substr(0, end));
        unwritten_.erase(0, end + write_terminator_.size());
    }
}

std::size_t ReplayTransport::read_some(std::span<char> buffer, Clock::time_point) {
    if (!open_) {
        throw TransportError(ErrorKind::Io, "read on a closed replay transport");
    }
    if (unread_.empty()) {
        const auto* reply = script_->take_reply();
        if (reply == nullptr) {
            throw TransportError(ErrorKind::Timeout, "the transcript has no reply here");
        }
        unread_ = reply->bytes + read_terminator_;
    }
    const auto count = std::min(buffer.size(), unread_.size());
    std::copy_n(unread_.begin(), count, buffer.begin());
    unread_.erase(0, count);
    return count;
}

}  // namespace mpobench::testing
