#include "reports/site_clock.hpp"

#include <date/tz.h>
#include <fmt/format.h>

#include <stdexcept>

#include "reports/site.hpp"

namespace mpobench::reports {

namespace {

const date::time_zone* zone_of(const void* zone) {
    return static_cast<const date::time_zone*>(zone);
}

}  // namespace

SiteClock::SiteClock(const std::string& time_zone) : name_(time_zone) {
    if (time_zone.empty())
        return;
    try {
        zone_ = date::locate_zone(time_zone);
    } catch (const std::runtime_error& error) {
        throw SiteError(
            fmt::format("time zone '{}' is not in this system's zoneinfo ({}); use an "
                        "IANA name such as Europe/London",
                        time_zone, error.what()));
    }
}

LocalTime SiteClock::local(TimePoint utc) const {
    using namespace std::chrono;
    const auto seconds = floor<std::chrono::seconds>(utc);
    LocalTime result;
    sys_seconds wall = seconds;
    if (zone_) {
        const auto info = zone_of(zone_)->get_info(seconds);
        result.offset = duration_cast<minutes>(info.offset);
        result.abbreviation = info.abbrev;
        wall = seconds + info.offset;
    } else {
        result.abbreviation = "UTC";
    }
    const auto day = floor<days>(wall);
    result.day = year_month_day{day};
    const auto in_day = wall - day;
    result.minute_of_day = static_cast<int>(duration_cast<minutes>(in_day).count());
    result.second_of_minute = static_cast<int>(in_day.count() % 60);
    return result;
}

std::string SiteClock::day_text(TimePoint utc) const {
    const auto d = local(utc).day;
    return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(d.year()),
                       static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
}

std::string SiteClock::text(TimePoint utc) const {
    const LocalTime local_time = local(utc);
    const std::string wall =
        fmt::format("{} {:02}:{:02}:{:02}", day_text(utc), local_time.minute_of_day / 60,
                    local_time.minute_of_day % 60, local_time.second_of_minute);
    if (!zone_)
        return wall + " UTC";
    return fmt::format("{} {} {}", wall, offset_text(local_time.offset), local_time.abbreviation);
}

std::string offset_text(std::chrono::minutes offset) {
    const auto total = offset.count();
    const auto magnitude = total < 0 ? -total : total;
    return fmt::format("{}{:02}:{:02}", total < 0 ? '-' : '+', magnitude / 60, magnitude % 60);
}

}  // namespace mpobench::reports
