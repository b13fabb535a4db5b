#pragma once
// What the commands that measure share: the operator's name, today's date,
// the reference taken inside the run lifecycle.

#include <memory>
#include <string>

#include "app/run_lifecycle.hpp"
#include "vocabulary/run_record.hpp"

namespace mpobench::app {

// $USER when no --operator is given.
std::string operator_or_user(const std::string& option);
std::string today_iso();

// Takes a reference of `fibers` launch positions (0: all the bench has)
// inside the lifecycle (the laser off after it) and stores it.
Reference take_and_store_reference(RunLifecycle& lifecycle, FiberMode mode, int fibers,
                                   const std::string& launch_cord, bool show_progress);
std::string reference_summary(const Reference& reference);

}  // namespace mpobench::app
