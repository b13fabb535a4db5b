#pragma once
// The site's rule that a station passes a golden check every shift or day
// before it tests ([golden] required).

#include <string>

#include "db/repository.hpp"
#include "reports/site.hpp"

namespace mpobench::app {

// The shift (or local day) a time falls in, as the site file's rule counts:
// "2026-12-07 day" or "2026-12-07".
std::string golden_period(const reports::Site& site, TimePoint time);

// Throws acquisition::Refused (exit 4) when the site requires a check and
// the station's latest check is not a pass of the current shift or day (a
// failed check stops testing until one passes).
void require_golden_check(const db::Repository& repository, const reports::Site& site,
                          const std::string& station);

}  // namespace mpobench::app
