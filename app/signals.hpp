#pragma once
// SIGINT (Ctrl-C) and SIGTERM ask the procedure running to stop: the bench
// stops between instrument operations, the laser goes off, the run is
// recorded aborted "operator abort (SIGINT)" and the command exits 3
// (DESIGN.md §6). Only SIGKILL leaves a run `interrupted`.

#include <optional>
#include <string>

#include "acquisition/stop.hpp"

namespace mpobench::app {

// While one exists, SIGINT and SIGTERM set a flag (their handler does
// nothing else) and reason() reports it. A second signal of either kind
// ends the process at once, as if there were no handler: a bench stuck
// past the first one can still be stopped from the keyboard. The
// destructor puts the previous handlers back. One at a time per process.
class SignalStop final : public acquisition::StopRequest {
  public:
    SignalStop();
    ~SignalStop() override;
    SignalStop(const SignalStop&) = delete;
    SignalStop& operator=(const SignalStop&) = delete;

    // "operator abort (SIGINT)" / "operator abort (SIGTERM)" once one came.
    std::optional<std::string> reason() const override;
};

}  // namespace mpobench::app
