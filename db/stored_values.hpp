#pragma once
// Values as the database stores them, private to db/: times as UTC text,
// enumerations as words. Reading a value the database should never hold is
// a DatabaseError naming the file, what was being read and the value.

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/repository.hpp"
#include "vocabulary/time_text.hpp"

namespace mpobench::db::stored {

// ---- Times: UTC ISO-8601 with milliseconds (vocabulary/time_text.hpp)

inline std::string format_time(TimePoint time) {
    return format_utc_ms(time);
}

inline std::optional<TimePoint> parse_time(std::string_view text) {
    return parse_utc_ms(text);
}

inline TimePoint now() {
    return std::chrono::system_clock::now();
}

// ---- Enumerations as stored

// What was read from which table and column: for messages about bad data.
struct Origin {
    const std::string& path;
    std::string_view what;
};

[[noreturn]] inline void bad_value(const Origin& origin, std::string_view column,
                                   std::string_view value) {
    throw DatabaseError(fmt::format("{}: {}: unexpected {} '{}' in the database", origin.path,
                                    origin.what, column, value));
}

inline TimePoint time_from(const Origin& origin, std::string_view column, const std::string& text) {
    const auto time = parse_time(text);
    if (!time) {
        bad_value(origin, column, text);
    }
    return *time;
}

inline End end_from(const Origin& origin, std::string_view column, const std::string& text) {
    if (text == "A") {
        return End::A;
    }
    if (text == "B") {
        return End::B;
    }
    bad_value(origin, column, text);
}

inline Grade grade_from(const Origin& origin, std::string_view column, const std::string& text) {
    const auto grade = parse_grade(text);
    if (!grade) {
        bad_value(origin, column, text);
    }
    return *grade;
}

inline FiberMode mode_from(const Origin& origin, const std::string& text) {
    const auto mode = parse_fiber_mode(text);
    if (!mode) {
        bad_value(origin, "fibre mode", text);
    }
    return *mode;
}

inline PolarityType polarity_from(const Origin& origin, const std::string& text) {
    const auto polarity = parse_polarity(text);
    if (!polarity) {
        bad_value(origin, "polarity type", text);
    }
    return *polarity;
}

inline RunKind kind_from(const Origin& origin, const std::string& text) {
    const auto kind = parse_run_kind(text);
    if (!kind) {
        bad_value(origin, "run kind", text);
    }
    return *kind;
}

inline FailureCause failure_cause_from(const Origin& origin, const std::string& text) {
    const auto cause = parse_failure_cause(text);
    if (!cause) {
        bad_value(origin, "failure cause", text);
    }
    return *cause;
}

inline InstrumentRole role_from(const Origin& origin, const std::string& text) {
    const auto role = parse_instrument_role(text);
    if (!role) {
        bad_value(origin, "instrument role", text);
    }
    return *role;
}

inline RunStatus run_status_from(const Origin& origin, const std::string& text) {
    for (const auto status :
         {RunStatus::Running, RunStatus::Completed, RunStatus::Aborted, RunStatus::Interrupted}) {
        if (text == to_string(status)) {
            return status;
        }
    }
    bad_value(origin, "run status", text);
}

inline ReadingStatus reading_status_from(const Origin& origin, const std::string& text) {
    for (const auto status : {ReadingStatus::Ok, ReadingStatus::NoLight, ReadingStatus::Overrange,
                              ReadingStatus::Invalid}) {
        if (text == to_string(status)) {
            return status;
        }
    }
    bad_value(origin, "reading status", text);
}

// "1310,1550"; empty when the part takes its mode's defaults.
inline std::string wavelengths_text(const std::vector<int>& wavelengths_nm) {
    return fmt::format("{}", fmt::join(wavelengths_nm, ","));
}

inline std::vector<int> wavelengths_from(const Origin& origin, const std::string& text) {
    std::vector<int> wavelengths_nm;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        int value = 0;
        const char* first = text.data() + start;
        const char* last = text.data() + comma;
        const auto [end, error] = std::from_chars(first, last, value);
        if (error != std::errc{} || end != last) {
            bad_value(origin, "wavelength list", text);
        }
        wavelengths_nm.push_back(value);
        start = comma + 1;
    }
    return wavelengths_nm;
}
}  // namespace mpobench::db::stored
