#include "acquisition/operator.hpp"

#include <fmt/format.h>
#include <poll.h>
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

    void perform(OperatorStep step, const std::string& context) override {
        throw_if_stopped(stop_);
        prompts_ << instruction(step, context)
                 << ", then press Enter (or type abort): " << std::flush;
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
        // A barcode scanner types its code and Enter: any line confirms the
        // step, except the word that stops the run.
        if (trimmed_lower(*line) == "abort") {
            throw OperatorAbort(
                fmt::format("{} aborted the run at: {} ({})", name_, to_string(step), context));
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
    }
    return make_console_operator(std::move(operator_name), stop);
}

}  // namespace mpobench::acquisition
