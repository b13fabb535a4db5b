#pragma once
// Times as records keep them: UTC ISO-8601 with milliseconds,
// e.g. 2026-11-24T21:48:16.123Z. Fixed width, so text order is time order.

#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace mpobench {

inline std::string format_utc_ms(std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    const auto ms = floor<milliseconds>(time);
    const auto day = floor<days>(ms);
    const year_month_day date{day};
    const hh_mm_ss clock{ms - day};
    char text[32];
    std::snprintf(
        text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
        static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
        static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
        static_cast<int>(clock.seconds().count()), static_cast<int>(clock.subseconds().count()));
    return text;
}

inline std::optional<std::chrono::system_clock::time_point> parse_utc_ms(std::string_view text) {
    using namespace std::chrono;
    // Positions of the fixed-width fields, and the separators between them.
    if (text.size() != 24 || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
        text[13] != ':' || text[16] != ':' || text[19] != '.' || text[23] != 'Z') {
        return std::nullopt;
    }
    const auto number = [&](std::size_t at, std::size_t length) -> std::optional<int> {
        int value = 0;
        const char* first = text.data() + at;
        const char* last = first + length;
        const auto [end, error] = std::from_chars(first, last, value);
        if (error != std::errc{} || end != last || *first == '-' || *first == '+') {
            return std::nullopt;
        }
        return value;
    };
    const auto year = number(0, 4), month = number(5, 2), day = number(8, 2);
    const auto hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
    const auto millisecond = number(20, 3);
    if (!year || !month || !day || !hour || !minute || !second || !millisecond || *hour > 23 ||
        *minute > 59 || *second > 59) {
        return std::nullopt;
    }
    const year_month_day date{std::chrono::year{*year},
                              std::chrono::month{static_cast<unsigned>(*month)},
                              std::chrono::day{static_cast<unsigned>(*day)}};
    if (!date.ok()) {
        return std::nullopt;
    }
    return time_point_cast<system_clock::duration>(sys_days{date} + hours{*hour} +
                                                   minutes{*minute} + seconds{*second} +
                                                   milliseconds{*millisecond});
}

}  // namespace mpobench
