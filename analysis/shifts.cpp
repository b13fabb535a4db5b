#include "analysis/shifts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace mpobench::analysis {

std::optional<std::string> shift_list_error(const std::vector<Shift>& shifts) {
    if (shifts.empty())
        return "no shifts";
    std::set<std::string> names;
    std::set<int> starts;
    for (const auto& shift : shifts) {
        if (shift.name.empty())
            return "a shift has an empty name";
        if (shift.start_min < 0 || shift.start_min >= 24 * 60)
            return fmt::format("shift '{}': start {} min is outside the day", shift.name,
                               shift.start_min);
        if (!names.insert(shift.name).second)
            return fmt::format("two shifts are named '{}'", shift.name);
        if (!starts.insert(shift.start_min).second)
            return fmt::format("two shifts start at {}", clock_text(shift.start_min));
    }
    return std::nullopt;
}

std::optional<int> parse_clock_minutes(const std::string& text) {
    const auto digit = [&](std::size_t at) { return text[at] >= '0' && text[at] <= '9'; };
    if (text.size() != 5 || text[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4))
        return std::nullopt;
    const int hours = (text[0] - '0') * 10 + (text[1] - '0');
    const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
    if (hours > 23 || minutes > 59)
        return std::nullopt;
    return hours * 60 + minutes;
}

std::string clock_text(int minutes) {
    return fmt::format("{:02}:{:02}", minutes / 60, minutes % 60);
}

std::string ShiftSlot::key() const {
    return fmt::format("{:04}-{:02}-{:02} {}", static_cast<int>(day.year()),
                       static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()), name);
}

ShiftSlot shift_of(std::chrono::year_month_day local_day, int minute_of_day,
                   const std::vector<Shift>& shifts) {
    if (const auto error = shift_list_error(shifts))
        throw std::invalid_argument(*error);
    std::vector<const Shift*> ordered;
    for (const auto& shift : shifts)
        ordered.push_back(&shift);
    std::sort(ordered.begin(), ordered.end(),
              [](const Shift* a, const Shift* b) { return a->start_min < b->start_min; });
    // The latest shift that started at or before this time of day; before
    // the day's first start, the last shift of the day before (past midnight).
    const Shift* current = nullptr;
    for (const Shift* shift : ordered) {
        if (shift->start_min <= minute_of_day)
            current = shift;
    }
    if (current)
        return {local_day, current->name};
    const std::chrono::year_month_day before{std::chrono::sys_days(local_day) -
                                             std::chrono::days(1)};
    return {before, ordered.back()->name};
}

}  // namespace mpobench::analysis
