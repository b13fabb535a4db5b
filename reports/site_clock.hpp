#pragma once
// The site's local time: a stored UTC time shown in the site file's time
// zone ([site] time_zone, an IANA name such as "Europe/London") from the
// system's zoneinfo, through Howard Hinnant's date/tz library (Debian's
// libhowardhinnant-date-dev, built on the OS tz database). Unlike POSIX
// TZ + tzset + localtime_r it keeps no process-wide state, so a certificate
// in the site's zone never changes what the QA rollups (which use the
// process's local day) or another thread see. Records stay UTC; only what
// is shown is local, so a certificate is the same for a given site file.

#include <chrono>
#include <string>

#include "vocabulary/run_record.hpp"

namespace mpobench::reports {

struct LocalTime {
    std::chrono::year_month_day day;
    int minute_of_day = 0;
    int second_of_minute = 0;
    std::chrono::minutes offset{0};  // local - UTC
    std::string abbreviation;        // "BST", "GMT", "UTC"
};

class SiteClock {
  public:
    // Empty: UTC. Throws SiteError when the zone is not in the system's
    // zoneinfo.
    explicit SiteClock(const std::string& time_zone);

    LocalTime local(TimePoint utc) const;
    // "2026-07-07 11:03:41 +01:00 BST"; "2026-07-07 10:03:41 UTC" without a zone.
    std::string text(TimePoint utc) const;
    // The local day: "2026-07-07".
    std::string day_text(TimePoint utc) const;
    const std::string& zone_name() const { return name_; }

  private:
    std::string name_;
    const void* zone_ = nullptr;  // const date::time_zone*, kept out of this header
};

// "+01:00", "-03:30".
std::string offset_text(std::chrono::minutes offset);

}  // namespace mpobench::reports
