#pragma once
// The JSON result of a test (DESIGN.md §6): one object per assembly.

#include <nlohmann/json.hpp>

#include "vocabulary/run_record.hpp"

namespace mpobench::app {

nlohmann::json run_to_json(const RunRecord& run);
// One line of JSON. Text that is not UTF-8 (a serial typed on a misconfigured
// scanner) is written with U+FFFD instead of aborting the command.
std::string json_text(const nlohmann::json& value);
// "2026-11-24T21:52:34.120Z": UTC with milliseconds (vocabulary/time_text.hpp).
std::string iso_utc(TimePoint time);

}  // namespace mpobench::app
