#pragma once
// A connected bench with its operator, as every command that measures needs it.

#include <memory>
#include <string>

#include "acquisition/bench.hpp"
#include "acquisition/operator.hpp"
#include "db/repository.hpp"

namespace mpobench::app {

// $USER when no --operator is given.
std::string operator_or_user(const std::string& option);
std::string today_iso();

struct StationSession {
    StationSession(acquisition::StationConfig station, std::string operator_name);

    acquisition::StationConfig station;
    std::string operator_name;
    acquisition::Bench bench;
    std::unique_ptr<acquisition::Operator> op;
};

// Takes a reference of `fibers` launch positions (0: all the bench has) and stores it.
Reference take_and_store_reference(StationSession& session, db::Repository& repository,
                                   FiberMode mode, int fibers, const std::string& launch_cord,
                                   bool show_progress);
std::string reference_summary(const Reference& reference);

}  // namespace mpobench::app
