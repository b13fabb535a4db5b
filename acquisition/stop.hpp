#pragma once
// A request to stop a procedure from outside it: a signal (SIGINT, SIGTERM)
// in the CLI, a stop button in the web server. The bench and the operator
// look at it between instrument operations and while they wait; the run
// ends aborted with the reason it gives.

#include <optional>
#include <stdexcept>
#include <string>

namespace mpobench::acquisition {

class StopRequest {
  public:
    virtual ~StopRequest() = default;
    // Why the procedure must stop ("operator abort (SIGINT)"); nullopt
    // while it may go on. Called often: it must be cheap.
    virtual std::optional<std::string> reason() const = 0;
};

// Thrown where a procedure noticed the request: what() is the reason.
// Exit 3 like every abort; the run is recorded aborted with it.
class Stopped : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Throws Stopped when `stop` (may be null) asks to stop.
inline void throw_if_stopped(const StopRequest* stop) {
    if (stop) {
        if (auto reason = stop->reason())
            throw Stopped(*reason);
    }
}

}  // namespace mpobench::acquisition
