#pragma once
// The JSON result of a test (DESIGN.md §6): one object per assembly.

#include <nlohmann/json.hpp>

#include "vocabulary/run_record.hpp"

namespace mpobench::app {

nlohmann::json run_to_json(const RunRecord& run);
std::string iso_utc(TimePoint time);

}  // namespace mpobench::app
