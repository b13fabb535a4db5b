#include "acquisition/operator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <iostream>

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

class ConsoleOperator final : public Operator {
  public:
    ConsoleOperator(std::string operator_name, std::istream& input, std::ostream& prompts)
        : name_(std::move(operator_name)), input_(input), prompts_(prompts) {}

    void perform(OperatorStep step, const std::string& context) override {
        prompts_ << instruction(step, context)
                 << ", then press Enter (or type abort): " << std::flush;
        std::string line;
        if (!std::getline(input_, line)) {
            prompts_ << '\n';
            throw OperatorAbort(
                fmt::format("operator input closed while waiting for: {}", to_string(step)));
        }
        // A barcode scanner types its code and Enter: any line confirms the
        // step, except the word that stops the run.
        if (trimmed_lower(line) == "abort") {
            throw OperatorAbort(
                fmt::format("{} aborted the run at: {} ({})", name_, to_string(step), context));
        }
        logger("bench")->info("operator {}: {} ({}) done", name_, to_string(step), context);
    }

    std::string name() const override { return name_; }

  private:
    std::string name_;
    std::istream& input_;
    std::ostream& prompts_;
};

// The operator channel of the simulated bench: each step is one SCPI-style
// command, *OPC? returns once the simulated hands are done.
class SimulatedOperator final : public Operator {
  public:
    SimulatedOperator(const OperatorConfig& config, std::string operator_name)
        : config_(config), name_(std::move(operator_name)) {
        drivers::InstrumentConfig channel;
        channel.name = "operator";
        channel.resource = config.resource;
        session_ = drivers::make_session(channel);
    }

    void perform(OperatorStep step, const std::string& context) override {
        const std::string command = command_for(step);
        session_->connect();
        session_->write(command);
        // The timeout is how long a step may take: one that runs over is not
        // asked to wait again.
        session_->wait_complete(config_.timeout, drivers::Retry::No);
        session_->check_errors(command);
        // The machine's steps are routine (a qualification run has thousands).
        logger("bench")->debug("simulated operator {}: {} ({}) done", name_, to_string(step),
                               context);
    }

    std::string name() const override { return name_; }

  private:
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
    std::unique_ptr<drivers::ScpiSession> session_;
};

}  // namespace

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

std::unique_ptr<Operator> make_console_operator(std::string operator_name) {
    return make_console_operator(std::move(operator_name), std::cin, std::cerr);
}

std::unique_ptr<Operator> make_console_operator(std::string operator_name, std::istream& input,
                                                std::ostream& prompts) {
    return std::make_unique<ConsoleOperator>(std::move(operator_name), input, prompts);
}

std::unique_ptr<Operator> make_simulated_operator(const OperatorConfig& config,
                                                  std::string operator_name) {
    return std::make_unique<SimulatedOperator>(config, std::move(operator_name));
}

std::unique_ptr<Operator> make_operator(const StationConfig& station, std::string operator_name) {
    switch (station.operator_channel.kind) {
        case OperatorConfig::Kind::Console:
            return make_console_operator(std::move(operator_name));
        case OperatorConfig::Kind::Simulated:
            return make_simulated_operator(station.operator_channel, std::move(operator_name));
    }
    return make_console_operator(std::move(operator_name));
}

}  // namespace mpobench::acquisition
