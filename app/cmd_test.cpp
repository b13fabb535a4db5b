// `mpobench test`: production test of one assembly.

#include <fmt/format.h>

#include "analysis/identifiers.hpp"
#include "app/certificates.hpp"
#include "app/commands.hpp"
#include "app/forwarder.hpp"
#include "app/golden_rule.hpp"
#include "app/guarded.hpp"
#include "app/labels.hpp"
#include "app/mes.hpp"
#include "app/plant_config.hpp"
#include "app/progress.hpp"
#include "app/run_json.hpp"
#include "app/signals.hpp"
#include "app/station_session.hpp"
#include "app/test_flow.hpp"

namespace mpobench::app {

int run_test_command(const TestCommandOptions& options) {
    return guarded("test", [&] {
        const auto station = acquisition::load_station(options.station_file);
        // A plant or MES the station file names wrongly: refused before testing.
        plant_url_of(station);
        mes_of(station);
        // A --limits file that cannot be used is bad input, said before anything else.
        const std::optional<analysis::LimitSet> limits_file =
            options.limits.empty() ? std::nullopt : std::make_optional(load_limits(options.limits));
        // The site file is read for its serial_pattern whether or not a
        // certificate is asked for.
        const reports::Site site_file = load_site_option(options.site);
        const std::string serial =
            analysis::validate_serial(options.serial, site_file.serial_pattern);
        std::optional<reports::Site> site;
        if (!options.certificate.empty()) {
            site = site_file;
            check_certificate_destination(options.certificate);
        }
        db::Repository repository(database_path(options.db));
        // The plant's parts, limits and users, as they are now or as last fetched.
        refresh_before_test(repository, station, "test");
        const Part part =
            find_in_catalogue(catalogue_in_use(repository, options.parts), options.part);
        const std::string operator_name = resolve_operator(options.operator_name, station);
        const auto limits = limits_file ? *limits_file : limits_in_use(repository, {});
        const Reference reference = usable_reference(repository, station, part);
        require_golden_check(repository, site_file, station.name);
        const std::string retest_reason =
            retest_reason_for(repository, site_file.retest, serial, options.retest_reason,
                              terminal_retest_question(station));

        // Last before the bench: the MES says whether this serial may be tested here.
        const std::string mes_interlock =
            mes_interlock_for(station, repository, serial, part, operator_name, options.work_order);

        SignalStop stop;
        RunLifecycle lifecycle({station, "test", operator_name, serial, &stop, {}, {}}, repository);
        TestEnvironment environment{lifecycle, limits, reference, mes_interlock};
        TerminalProgress progress(serial, !options.json);
        const auto outcome =
            run_test(environment, serial, part, retest_reason, {progress.callback(), {}, {}});
        progress.clear();
        // The result is stored and shown whatever becomes of the certificate;
        // a certificate that cannot be written is reported after it (exit 2).
        std::optional<std::string> certificate_error;
        const bool certify = site && outcome.run.status == RunStatus::Completed;
        if (certify) {
            try {
                write_run_certificate(repository, outcome.run.id, *site, site->paper,
                                      options.certificate);
            } catch (const reports::ReportError& error) {
                certificate_error = error.what();
            }
        }
        const bool certified = certify && !certificate_error;
        // The bag label of a passing assembly. A label that does not come out
        // never changes the verdict: the run is stored and passed (exit 0),
        // the label failure is reported on its own, and `mpobench label`
        // prints it again.
        std::optional<LabelOutcome> label;
        std::optional<std::string> label_error;
        if (station.label_printer && outcome.run.status == RunStatus::Completed &&
            outcome.run.pass) {
            try {
                label = print_run_label(repository, outcome.run.id, *station.label_printer,
                                        lifecycle.operator_name(), "test",
                                        reports::SiteClock(site_file.time_zone));
                label_error = label->error;
            } catch (const db::DatabaseError& error) {
                // Sent or not, the attempt is not on record: say so before a reprint.
                label_error = fmt::format(
                    "the label print could not be recorded (it may have printed; look at the "
                    "printer before printing it again): {}",
                    error.what());
            } catch (const reports::ReportError& error) {
                label_error = error.what();
            }
        }
        if (options.json) {
            auto result = run_to_json(outcome.run);
            if (certified) {
                result["certificate"] = options.certificate.string();
            }
            if (station.label_printer && outcome.run.pass) {
                result["label"] = {{"destination", station.label_printer->text},
                                   {"printed", !label_error},
                                   {"reprint", label && label->reprint}};
                if (label_error)
                    result["label"]["error"] = *label_error;
            }
            fmt::print("{}\n", json_text(result));
        } else {
            fmt::print("{}\n", result_summary(outcome.run));
            if (certified) {
                fmt::print("certificate: {}\n", options.certificate.string());
            }
            if (label && !label_error) {
                fmt::print("label: printed to {}\n", label->destination);
            }
        }
        forward_in_background(station, database_path(options.db), "test");
        if (label_error) {
            fmt::print(stderr,
                       "mpobench test: WARNING: {} passed and run {} is stored, but its bag label "
                       "was not printed: {}\n  print it again with: mpobench label {} --station "
                       "{}{}\n",
                       outcome.run.serial, outcome.run.id, *label_error, outcome.run.serial,
                       options.station_file.string(),
                       options.db.empty() ? "" : " --db " + options.db.string());
        }
        if (certificate_error) {
            fmt::print(stderr,
                       "mpobench test: run {} is stored, but its certificate was not "
                       "written: {}\n",
                       outcome.run.id, *certificate_error);
            return static_cast<int>(kBadInput);
        }
        return outcome.exit_code;
    });
}

}  // namespace mpobench::app
