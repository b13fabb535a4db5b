#pragma once
// The physical steps a test needs from a person — or from the simulated
// operator. One interface; nothing else in the test differs between them.

#include <iosfwd>
#include <memory>
#include <stdexcept>
#include <string>

#include "acquisition/station.hpp"
#include "acquisition/stop.hpp"

namespace mpobench::acquisition {

enum class OperatorStep {
    ConnectReference,  // launch cord straight into the meter
    ConnectEndA,       // assembly end A on the launch cord, end B on the meter
    ConnectEndB,       // flipped
    Remate,            // unplug and plug the launch-side connector again
    Disconnect,
};

std::string_view to_string(OperatorStep step);

// Whether a step mates a connector of a cord of this role — what wears it:
// connecting the reference (the launch cord into the meter, through a
// receive cord if there is one), connecting either end of the assembly
// (its ends on the launch and the receive cord), and a re-mate (the launch
// side). Disconnecting mates nothing.
bool mates_cord(OperatorStep step, CordConfig::Role role);

// The operator said no (typed "abort", closed the input): exit 3.
class OperatorAbort : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class Operator {
  public:
    virtual ~Operator() = default;
    // Returns once the step is done. Throws OperatorAbort, or
    // drivers::InstrumentError for a simulated operator that fails.
    virtual void perform(OperatorStep step, const std::string& context) = 0;
    virtual std::string name() const = 0;
};

// Prompts on the terminal (stdin/stderr): a person presses Enter when done.
// `context` names what the step applies to (the serial number, or the launch
// cord for the reference). Input typed before a prompt appears is discarded
// (tcflush on a terminal; on a pipe, what is readable at once); then Enter
// confirms the step, and so does a scan of `context` (a barcode scanner types
// like a keyboard); other text is a wrong scan and the prompt asks again;
// "abort" or the end of input throws OperatorAbort. While
// it waits for a line it looks at `stop` (may be null) every 50 ms and
// throws Stopped when it asks to stop: a prompt never outlives a signal.
std::unique_ptr<Operator> make_console_operator(std::string operator_name,
                                                const StopRequest* stop = nullptr);
// The same on other streams (a web page's channel, tests); `stop` is looked
// at before each prompt and once its line arrives.
std::unique_ptr<Operator> make_console_operator(std::string operator_name, std::istream& input,
                                                std::ostream& prompts,
                                                const StopRequest* stop = nullptr);
// Drives the simulator's operator channel named in the station file:
// `:CONNect REFerence|A|B`, `:REMate`, `:DISConnect`, then waits within the
// configured timeout — `*OPC?` without a stop request; with one, `*OPC`
// and `*ESR?` every 50 ms, looking at `stop` in between (IEEE 488.2's
// non-blocking wait) — and `SYST:ERR?`.
std::unique_ptr<Operator> make_simulated_operator(const OperatorConfig& config,
                                                  std::string operator_name,
                                                  const StopRequest* stop = nullptr);
// The one the station file asks for.
std::unique_ptr<Operator> make_operator(const StationConfig& station, std::string operator_name,
                                        const StopRequest* stop = nullptr);

}  // namespace mpobench::acquisition
