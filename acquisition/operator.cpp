#include "acquisition/operator.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <optional>
#include <thread>
#include <utility>

#include "acquisition/bench.hpp"
#include "drivers/registry.hpp"
#include "drivers/scpi_session.hpp"
#include "vocabulary/logger.hpp"

namespace mpobench::acquisition {

namespace {

// What the person at the bench is asked to do; `subject` is the serial
// number of the assembly, or the launch cord for the reference.
std::string instruction(OperatorStep step, const std::string& subject) {
    switch (step) {
        case OperatorStep::ConnectReference:
            return fmt::format("Connect the launch cord ({}) straight into the meter", subject);
        case OperatorStep::ConnectEndA:
            return fmt::format("Connect END A of {} to the launch cord and END B to the meter",
                               subject);
        case OperatorStep::ConnectEndB:
            return fmt::format("Flip {}: connect END B to the launch cord and END A to the meter",
                               subject);
        case OperatorStep::Remate:
            return fmt::format("Unplug the launch-side connector of {} and plug it in again",
                               subject);
        case OperatorStep::Disconnect:
            return fmt::format("Disconnect {} from the launch cord and the meter", subject);
    }
    return std::string(to_string(step));
}

// The answer as typed or scanned, without the whitespace and control
// characters around it (a scanner's CR, a stray space).
std::string trimmed(const std::string& line) {
    const auto kept = [](unsigned char c) { return c > 0x20 && c != 0x7f; };
    const auto first = std::find_if(line.begin(), line.end(), kept);
    const auto last = std::find_if(line.rbegin(), line.rend(), kept).base();
    return std::string(first, first < last ? last : first);
}

// An answer shown back to the operator: control characters (an arrow key's
// escape sequence) as \xNN rather than acting on the terminal.
std::string shown(const std::string& answer) {
    std::string out;
    for (const char c : answer) {
        const auto byte = static_cast<unsigned char>(c);
        out += byte < 0x20 || byte == 0x7f ? fmt::format("\\x{:02X}", byte) : std::string(1, c);
    }
    return out;
}

std::string trimmed_lower(const std::string& line) {
    const auto first = std::find_if_not(line.begin(), line.end(),
                                        [](unsigned char c) { return std::isspace(c) != 0; });
    const auto last = std::find_if_not(line.rbegin(), line.rend(), [](unsigned char c) {
                          return std::isspace(c) != 0;
                      }).base();
    std::string out(first, first < last ? last : first);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// How often a wait for the operator looks at the stop request.
constexpr std::chrono::milliseconds kStopPollInterval{50};

// Where the console operator's lines come from.
class LineInput {
  public:
    virtual ~LineInput() = default;
    // The next line without its newline; nullopt at the end of input.
    virtual std::optional<std::string> next_line() = 0;
    // Throws away what was typed before now (before a prompt is shown) and
    // returns how many bytes that was.
    virtual std::size_t discard_typed_ahead() = 0;
};

class StreamInput final : public LineInput {
  public:
    explicit StreamInput(std::istream& input) : input_(input) {}
    std::optional<std::string> next_line() override {
        std::string line;
        if (!std::getline(input_, line))
            return std::nullopt;
        return line;
    }
    // A stream is a program's channel (a web page, a test), not a keyboard:
    // its lines are answers sent after the prompt, and nothing is dropped.
    std::size_t discard_typed_ahead() override { return 0; }

  private:
    std::istream& input_;
};

// Standard input, read by the process itself rather than through std::cin:
// a blocking read would keep a signal's stop waiting until someone typed,
// so it waits in poll() slices and looks at the stop request between them.
class TerminalInput final : public LineInput {
  public:
    explicit TerminalInput(const StopRequest* stop) : stop_(stop) {}

    std::optional<std::string> next_line() override {
        while (true) {
            if (const auto newline = buffer_.find('\n'); newline != std::string::npos) {
                std::string line = buffer_.substr(0, newline);
                buffer_.erase(0, newline + 1);
                return line;
            }
            if (at_end_) {
                if (buffer_.empty())
                    return std::nullopt;
                return std::exchange(buffer_, {});
            }
            throw_if_stopped(stop_);
            pollfd input{STDIN_FILENO, POLLIN, 0};
            const int ready = ::poll(&input, 1, static_cast<int>(kStopPollInterval.count()));
            if (ready < 0) {
                if (errno == EINTR)
                    continue;  // a signal: its stop request is looked at above
                throw OperatorAbort(
                    fmt::format("cannot wait for the operator's input: {}", std::strerror(errno)));
            }
            if (ready == 0)
                continue;
            char chunk[512];
            const ssize_t got = ::read(STDIN_FILENO, chunk, sizeof chunk);
            if (got < 0) {
                if (errno == EINTR || errno == EAGAIN)
                    continue;
                throw OperatorAbort(
                    fmt::format("cannot read the operator's input: {}", std::strerror(errno)));
            }
            if (got == 0)
                at_end_ = true;
            else
                buffer_.append(chunk, static_cast<std::size_t>(got));
        }
    }

    // A terminal: the line discipline's input queue is flushed
    // (tcflush(TCIFLUSH)) — keys pressed while the bench measured, a
    // second Enter, a double scan. A pipe or file: what can be read
    // without waiting is read and dropped, so an answer must come after
    // its prompt here too (a program driving mpobench waits for the prompt
    // like a person); the end of input found doing so is kept, and the
    // prompt then ends the run as a closed input does. Lines read earlier
    // but not yet used (two typed at once) are dropped in both cases.
    std::size_t discard_typed_ahead() override {
        std::size_t dropped = buffer_.size();
        buffer_.clear();
        if (at_end_)
            return dropped;
        if (::isatty(STDIN_FILENO) == 1) {
            int queued = 0;
            if (::ioctl(STDIN_FILENO, FIONREAD, &queued) == 0 && queued > 0)
                dropped += static_cast<std::size_t>(queued);
            if (::tcflush(STDIN_FILENO, TCIFLUSH) != 0) {
                logger("bench")->warn("cannot discard the input typed before a prompt: {}",
                                      std::strerror(errno));
            }
            return dropped;
        }
        // A writer that never stops (`yes`) must not hold the prompt back:
        // at most this much is drained per prompt.
        constexpr std::size_t kMaxDrainedBytes = 1 << 20;
        while (dropped < kMaxDrainedBytes) {
            pollfd input{STDIN_FILENO, POLLIN, 0};
            const int ready = ::poll(&input, 1, 0);
            if (ready < 0 && errno == EINTR)
                continue;
            if (ready <= 0)
                break;
            char chunk[4096];
            const ssize_t got = ::read(STDIN_FILENO, chunk, sizeof chunk);
            if (got < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (got <= 0) {
                // End of input (or an error the prompt's own read reports).
                at_end_ = got == 0;
                break;
            }
            dropped += static_cast<std::size_t>(got);
        }
        return dropped;
    }

  private:
    const StopRequest* stop_;
    std::string buffer_;
    bool at_end_ = false;
};

class ConsoleOperator final : public Operator {
  public:
    ConsoleOperator(std::string operator_name, std::unique_ptr<LineInput> input,
                    std::ostream& prompts, const StopRequest* stop)
        : name_(std::move(operator_name)),
          input_(std::move(input)),
          prompts_(prompts),
          stop_(stop) {}

    // The answer to a step's prompt is read only after the prompt is shown:
    // whatever was typed before it is dropped first (typed-ahead input must
    // not confirm a step nobody has seen). An empty line (Enter) confirms;
    // so does a scan of the step's subject — the assembly's serial, or the
    // launch cord for the reference — and any other text is a wrong scan
    // (another assembly in hand, a label misread): the prompt says so and
    // asks again. "abort" or the end of input stops the run.
    void perform(OperatorStep step, const std::string& context) override {
        throw_if_stopped(stop_);
        std::string prompt = instruction(step, context) + ", then scan " +
                             (step == OperatorStep::ConnectReference ? "its label" : "its serial") +
                             " or press Enter (or type abort): ";
        while (true) {
            if (const std::size_t dropped = input_->discard_typed_ahead(); dropped > 0) {
                prompts_ << "(ignored what was typed before this prompt)\n";
                logger("bench")->info(
                    "operator {}: {} byte(s) typed before the prompt for {} "
                    "ignored",
                    name_, dropped, to_string(step));
            }
            prompts_ << prompt << std::flush;
            std::optional<std::string> line;
            try {
                line = input_->next_line();
            } catch (const Stopped&) {
                prompts_ << '\n';
                throw;
            }
            if (!line) {
                prompts_ << '\n';
                throw_if_stopped(stop_);
                throw OperatorAbort(
                    fmt::format("operator input closed while waiting for: {}", to_string(step)));
            }
            throw_if_stopped(stop_);
            if (trimmed_lower(*line) == "abort") {
                throw OperatorAbort(
                    fmt::format("{} aborted the run at: {} ({})", name_, to_string(step), context));
            }
            const std::string answer = trimmed(*line);
            if (answer.empty() || answer == context)
                break;
            logger("bench")->warn("operator {}: scanned '{}' at {} of {}: does not match", name_,
                                  shown(answer), to_string(step), context);
            prompt = fmt::format("'{}' does not match {}: scan {} or press Enter (or type abort): ",
                                 shown(answer), context, context);
        }
        logger("bench")->info("operator {}: {} ({}) done", name_, to_string(step), context);
    }

    std::string name() const override { return name_; }

  private:
    std::string name_;
    std::unique_ptr<LineInput> input_;
    std::ostream& prompts_;
    const StopRequest* stop_;
};

// The operator channel of the simulated bench: each step is one SCPI-style
// command, *OPC? returns once the simulated hands are done.
class SimulatedOperator final : public Operator {
  public:
    SimulatedOperator(const OperatorConfig& config, std::string operator_name,
                      const StopRequest* stop)
        : config_(config), name_(std::move(operator_name)), stop_(stop) {
        drivers::InstrumentConfig channel;
        channel.name = "operator";
        channel.resource = config.resource;
        session_ = drivers::make_session(channel);
    }

    void perform(OperatorStep step, const std::string& context) override {
        const std::string command = command_for(step);
        throw_if_stopped(stop_);
        session_->connect();
        session_->write(command);
        // The timeout is how long a step may take: one that runs over is not
        // asked to wait again.
        if (stop_)
            wait_complete_or_stop(command);
        else
            session_->wait_complete(config_.timeout, drivers::Retry::No);
        session_->check_errors(command);
        // The machine's steps are routine (a qualification run has thousands).
        logger("bench")->debug("simulated operator {}: {} ({}) done", name_, to_string(step),
                               context);
    }

    std::string name() const override { return name_; }

  private:
    // *OPC arms the operation-complete bit; *ESR? reads (and clears) it.
    void wait_complete_or_stop(const std::string& command) {
        constexpr int kOperationComplete = 1;  // IEEE 488.2 ESR bit 0
        session_->write("*OPC");
        const auto deadline = std::chrono::steady_clock::now() + config_.timeout;
        while (true) {
            // Reading clears the register: a lost reply is not asked again.
            const long long status = session_->query_integer("*ESR?", drivers::Retry::No);
            if ((status & kOperationComplete) != 0)
                return;
            throw_if_stopped(stop_);
            if (std::chrono::steady_clock::now() >= deadline) {
                throw drivers::InstrumentError(drivers::ErrorKind::Timeout,
                                               session_->context("*ESR?"),
                                               fmt::format("'{}' was not complete within {} ms",
                                                           command, config_.timeout.count()));
            }
            std::this_thread::sleep_for(kStopPollInterval);
        }
    }

    static std::string command_for(OperatorStep step) {
        switch (step) {
            case OperatorStep::ConnectReference:
                return ":CONNect REFerence";
            case OperatorStep::ConnectEndA:
                return ":CONNect A";
            case OperatorStep::ConnectEndB:
                return ":CONNect B";
            case OperatorStep::Remate:
                return ":REMate";
            case OperatorStep::Disconnect:
                return ":DISConnect";
        }
        return ":DISConnect";
    }

    OperatorConfig config_;
    std::string name_;
    const StopRequest* stop_;
    std::unique_ptr<drivers::ScpiSession> session_;
};

}  // namespace

bool mates_cord(OperatorStep step, CordConfig::Role role) {
    switch (step) {
        case OperatorStep::ConnectReference:
        case OperatorStep::ConnectEndA:
        case OperatorStep::ConnectEndB:
            return true;
        case OperatorStep::Remate:
            return role == CordConfig::Role::Launch;
        case OperatorStep::Disconnect:
            return false;
    }
    return false;
}

std::string_view to_string(OperatorStep step) {
    switch (step) {
        case OperatorStep::ConnectReference:
            return "connect reference";
        case OperatorStep::ConnectEndA:
            return "connect end A";
        case OperatorStep::ConnectEndB:
            return "connect end B";
        case OperatorStep::Remate:
            return "re-mate";
        case OperatorStep::Disconnect:
            return "disconnect";
    }
    return "?";
}

std::unique_ptr<Operator> make_console_operator(std::string operator_name,
                                                const StopRequest* stop) {
    return std::make_unique<ConsoleOperator>(
        std::move(operator_name), std::make_unique<TerminalInput>(stop), std::cerr, stop);
}

std::unique_ptr<Operator> make_console_operator(std::string operator_name, std::istream& input,
                                                std::ostream& prompts, const StopRequest* stop) {
    return std::make_unique<ConsoleOperator>(std::move(operator_name),
                                             std::make_unique<StreamInput>(input), prompts, stop);
}

std::unique_ptr<Operator> make_simulated_operator(const OperatorConfig& config,
                                                  std::string operator_name,
                                                  const StopRequest* stop) {
    return std::make_unique<SimulatedOperator>(config, std::move(operator_name), stop);
}

std::unique_ptr<Operator> make_operator(const StationConfig& station, std::string operator_name,
                                        const StopRequest* stop) {
    switch (station.operator_channel.kind) {
        case OperatorConfig::Kind::Console:
            return make_console_operator(std::move(operator_name), stop);
        case OperatorConfig::Kind::Simulated:
            return make_simulated_operator(station.operator_channel, std::move(operator_name),
                                           stop);
        case OperatorConfig::Kind::Web:
            // Its prompts need the page: the web server makes its own operator.
            throw BenchConfigurationError(fmt::format(
                "station '{}' has a web operator ([operator] kind = \"web\"): run it with "
                "'mpobench serve --station FILE', or use a station file whose operator is "
                "\"console\"",
                station.name));
    }
    return make_console_operator(std::move(operator_name), stop);
}

}  // namespace mpobench::acquisition
