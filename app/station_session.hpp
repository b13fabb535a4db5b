#pragma once
// What the commands that measure share: the operator's name, today's date,
// the reference taken inside the run lifecycle.

#include <memory>
#include <string>

#include "acquisition/procedures.hpp"
#include "app/run_lifecycle.hpp"
#include "vocabulary/run_record.hpp"

namespace mpobench::app {

// Who is recorded as the operator of a run: --operator NAME (validated like
// a serial: trimmed, printable; analysis::validate_operator_name), else —
// when the station does not require one ([station] require_operator, on by
// default for a console operator) — the station file's [operator] name, else
// (the simulated bench's station file names its operator "simulated
// operator"). Throws UsageError (exit 2) when there is no name: never $USER
// or a made-up one.
std::string resolve_operator(const std::string& option, const acquisition::StationConfig& station);
// The login of this process ($USER): who holds the bench lock, not who tested.
std::string login_name();
std::string today_iso();

// Takes a reference of `fibers` launch positions (0: all the bench has)
// inside the lifecycle (the laser off after it) and stores it.
Reference take_and_store_reference(RunLifecycle& lifecycle, FiberMode mode, int fibers,
                                   const std::string& launch_cord,
                                   const acquisition::ProgressCallback& progress);
std::string reference_summary(const Reference& reference);

}  // namespace mpobench::app
