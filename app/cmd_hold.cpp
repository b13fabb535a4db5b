// `mpobench hold release SN`: a QA engineer lets a held serial be tested again.

#include <fmt/format.h>

#include "analysis/identifiers.hpp"
#include "analysis/retest.hpp"
#include "app/audit.hpp"
#include "app/certificates.hpp"
#include "app/commands.hpp"
#include "app/guarded.hpp"
#include "app/test_flow.hpp"

namespace mpobench::app {

int run_hold_release(const HoldReleaseOptions& options) {
    return guarded("hold release", [&] {
        const reports::Site site = load_site_option(options.site);
        const std::string serial = analysis::validate_serial(options.serial, {});
        const std::string released_by = analysis::validate_operator_name(options.released_by);
        if (options.reason.find_first_not_of(" \t") == std::string::npos)
            throw UsageError("--reason is empty: the record keeps why a held serial was released");
        db::Repository repository(database_path(options.db));
        const auto attempts = repository.serial_attempts(serial);
        if (analysis::retest_verdict(site.retest, attempts) != analysis::RetestVerdict::Held) {
            throw UsageError(fmt::format(
                "{} is not on hold: {} attempts since its last release{} (the site allows {})",
                serial, attempts.attempts, attempts.last_passed ? ", the last one passed" : "",
                site.retest.attempts_before_hold > 0
                    ? std::to_string(site.retest.attempts_before_hold)
                    : std::string("any number")));
        }
        repository.release_serial(serial, released_by, options.reason, attempts.attempts);
        audit_cli_act(
            repository, "hold.release", released_by,
            {{"serial", serial}, {"attempts", attempts.attempts}, {"reason", options.reason}});
        fmt::print(
            "{} released by {} after {} attempts; it may be tested {} more times before "
            "another hold\n",
            serial, released_by, attempts.attempts, site.retest.attempts_before_hold);
        return static_cast<int>(kPassed);
    });
}

}  // namespace mpobench::app
