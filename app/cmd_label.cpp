// `mpobench label SN`: (re)prints the bag label of a serial's latest
// completed production run, or of --run ID, and records it.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "acquisition/station.hpp"
#include "analysis/identifiers.hpp"
#include "app/certificates.hpp"
#include "app/commands.hpp"
#include "app/guarded.hpp"
#include "app/labels.hpp"
#include "app/run_json.hpp"
#include "app/station_session.hpp"
#include "app/test_flow.hpp"

namespace mpobench::app {

namespace {

acquisition::LabelDestination destination_of(const LabelOptions& options) {
    if (!options.to.empty()) {
        try {
            return acquisition::parse_label_destination(options.to);
        } catch (const std::invalid_argument& bad) {
            throw UsageError(fmt::format("--to: {}", bad.what()));
        }
    }
    if (!options.station_file.empty()) {
        const auto station = acquisition::load_station(options.station_file);
        if (!station.label_printer) {
            throw UsageError(fmt::format("{} has no [label] printer; give --to DEST",
                                         options.station_file.string()));
        }
        return *station.label_printer;
    }
    throw UsageError(
        "where to? give --to tcp://HOST[:PORT] | file:PATH | lp:QUEUE, or --station FILE with a "
        "[label] printer");
}

}  // namespace

int run_label(const LabelOptions& options) {
    return guarded("label", [&] {
        const auto destination = destination_of(options);
        db::Repository repository(existing_database_path(options.db));
        std::int64_t run_id = options.run_id;
        if (run_id == 0) {
            const auto latest = latest_completed_production_run(repository, options.serial);
            if (!latest) {
                throw UsageError(fmt::format("{} has no completed production run in {}",
                                             options.serial, database_path(options.db).string()));
            }
            run_id = *latest;
        }
        const auto run = repository.run(run_id);
        if (!run) {
            throw UsageError(fmt::format("there is no run {} in the database", run_id));
        }
        if (run->serial != options.serial) {
            throw UsageError(
                fmt::format("run {} is of {}, not {}", run_id, run->serial, options.serial));
        }
        if (run->kind != RunKind::Production || run->status != RunStatus::Completed) {
            throw UsageError(
                fmt::format("run {} of {} is a {} run, {}: only a completed "
                            "production test has a bag label",
                            run_id, run->serial, to_string(run->kind), to_string(run->status)));
        }
        if (!run->pass) {
            throw acquisition::Refused(
                fmt::format("run {} of {} did not pass ({} against target {}): no bag label for an "
                            "assembly below its target",
                            run_id, run->serial, run->grade ? to_string(*run->grade) : "ungraded",
                            to_string(run->part.target)));
        }
        // Who reprinted: --operator, else whoever is logged in (a reprint is
        // not a test, so no station rule asks for a name).
        const std::string operator_name =
            options.operator_name.empty() ? login_name()
                                          : analysis::validate_operator_name(options.operator_name);
        const auto outcome =
            print_run_label(repository, run_id, destination, operator_name, "label",
                            reports::SiteClock(load_site_option(options.site).time_zone));
        if (options.json) {
            nlohmann::json out{{"run_id", outcome.run_id},
                               {"serial", run->serial},
                               {"destination", outcome.destination},
                               {"printed", !outcome.error},
                               {"reprint", outcome.reprint}};
            if (outcome.error)
                out["error"] = *outcome.error;
            fmt::print("{}\n", json_text(out));
        } else if (!outcome.error) {
            fmt::print("label of {} (run {}) {}printed to {}\n", run->serial, run_id,
                       outcome.reprint ? "re" : "", outcome.destination);
        }
        if (outcome.error) {
            fmt::print(stderr, "mpobench label: label of {} (run {}) not printed: {}\n",
                       run->serial, run_id, *outcome.error);
            return static_cast<int>(outcome.content_error ? kBadInput : kAborted);
        }
        return static_cast<int>(kPassed);
    });
}

}  // namespace mpobench::app
