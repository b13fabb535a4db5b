#include "app/qa_options.hpp"

#include "app/guarded.hpp"

#include <fmt/format.h>

#include <charconv>
#include <ctime>
#include <vector>

namespace mpobench::app {

namespace {

// "YYYY-MM-DD" as a valid calendar date.
std::optional<std::chrono::year_month_day> parse_day(const std::string& text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
        return std::nullopt;
    }
    int year = 0;
    unsigned month = 0, day = 0;
    const auto field = [&](std::size_t at, std::size_t length, auto& value) {
        const auto [end, error] =
            std::from_chars(text.data() + at, text.data() + at + length, value);
        return error == std::errc{} && end == text.data() + at + length;
    };
    if (!field(0, 4, year) || !field(5, 2, month) || !field(8, 2, day)) {
        return std::nullopt;
    }
    const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{month},
                                           std::chrono::day{day}};
    if (!date.ok()) {
        return std::nullopt;
    }
    return date;
}

std::string checked_day(const std::string& text, const char* flag) {
    if (!parse_day(text)) {
        throw UsageError(fmt::format("{} '{}' is not a date (YYYY-MM-DD)", flag, text));
    }
    return text;
}

}  // namespace

std::optional<TimePoint> local_day_start(const std::string& day) {
    const auto date = parse_day(day);
    if (!date) {
        return std::nullopt;
    }
    std::tm local{};
    local.tm_year = static_cast<int>(date->year()) - 1900;
    local.tm_mon = static_cast<int>(static_cast<unsigned>(date->month())) - 1;
    local.tm_mday = static_cast<int>(static_cast<unsigned>(date->day()));
    local.tm_isdst = -1;  // the zone decides whether summer time applies
    const std::time_t start = std::mktime(&local);
    if (start == static_cast<std::time_t>(-1)) {
        return std::nullopt;
    }
    return std::chrono::system_clock::from_time_t(start);
}

db::QaFilter QaOptions::qa_filter() const {
    db::QaFilter filter;
    if (!from_day.empty()) {
        filter.from_day = checked_day(from_day, "--from");
    }
    if (!to_day.empty()) {
        filter.to_day = checked_day(to_day, "--to");
    }
    if (filter.from_day && filter.to_day && *filter.to_day < *filter.from_day) {
        throw UsageError(fmt::format("--to {} is before --from {}", to_day, from_day));
    }
    if (!part.empty()) {
        filter.part_number = part;
    }
    if (!station.empty()) {
        filter.station = station;
    }
    if (!operator_name.empty()) {
        filter.operator_name = operator_name;
    }
    return filter;
}

db::RunFilter QaOptions::run_filter(bool production_only) const {
    const db::QaFilter days = qa_filter();
    db::RunFilter filter;
    if (days.from_day) {
        filter.started_from = local_day_start(*days.from_day);
    }
    if (days.to_day) {
        // The start of the day after: --to is inclusive.
        const auto date = parse_day(*days.to_day);
        const auto next =
            std::chrono::year_month_day{std::chrono::sys_days{*date} + std::chrono::days{1}};
        filter.started_before = local_day_start(
            fmt::format("{:04}-{:02}-{:02}", static_cast<int>(next.year()),
                        static_cast<unsigned>(next.month()), static_cast<unsigned>(next.day())));
    }
    filter.part_number = days.part_number;
    filter.station = days.station;
    filter.operator_name = days.operator_name;
    if (production_only) {
        filter.kind = RunKind::Production;
    }
    return filter;
}

std::string QaOptions::describe() const {
    std::vector<std::string> parts;
    if (!from_day.empty() || !to_day.empty()) {
        parts.push_back(fmt::format("{} to {}", from_day.empty() ? "the first run" : from_day,
                                    to_day.empty() ? "the last run" : to_day));
    } else {
        parts.emplace_back("all runs");
    }
    if (!part.empty()) {
        parts.push_back("part " + part);
    }
    if (!station.empty()) {
        parts.push_back("station " + station);
    }
    if (!operator_name.empty()) {
        parts.push_back("operator " + operator_name);
    }
    return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace mpobench::app
