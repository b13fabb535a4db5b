#pragma once
// Shifts: the site's working day cut at the shift starts (site file
// [[shift]] tables). Each shift runs from its start to the next shift's
// start, the last one past midnight to the first one's start next day: a
// night shift from 22:00 to 06:00 is one shift, dated by the day it began.
// Pure: local times come in already converted (reports/site_clock.hpp).

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace mpobench::analysis {

struct Shift {
    std::string name;
    int start_min = 0;  // minutes after local midnight, 0..1439
};

// What is wrong with a shift list (none, a duplicate name or start, an empty
// name, a start outside the day), or nullopt when it can be used.
std::optional<std::string> shift_list_error(const std::vector<Shift>& shifts);

// "06:00" -> 360; nullopt unless exactly HH:MM with HH 00..23, MM 00..59.
std::optional<int> parse_clock_minutes(const std::string& text);
std::string clock_text(int minutes);  // 360 -> "06:00"

struct ShiftSlot {
    std::chrono::year_month_day day;  // the local day the shift began
    std::string name;
    // "2026-12-06 night": sorts by day, then by name.
    std::string key() const;
};

// The shift a local date and time of day falls in. `shifts` must pass
// shift_list_error (any order).
ShiftSlot shift_of(std::chrono::year_month_day local_day, int minute_of_day,
                   const std::vector<Shift>& shifts);

}  // namespace mpobench::analysis
