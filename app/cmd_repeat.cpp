// `mpobench repeat`: mating-cycle repeatability of one assembly.

#include <fmt/format.h>

#include <algorithm>

#include "analysis/grading.hpp"
#include "analysis/identifiers.hpp"
#include "analysis/repeatability.hpp"
#include "app/certificates.hpp"
#include "app/commands.hpp"
#include "app/forwarder.hpp"
#include "app/guarded.hpp"
#include "app/mes.hpp"
#include "app/plant_config.hpp"
#include "app/progress.hpp"
#include "app/run_json.hpp"
#include "app/signals.hpp"
#include "app/station_session.hpp"
#include "app/test_flow.hpp"

namespace mpobench::app {

int run_repeat(const RepeatOptions& options) {
    return guarded("repeat", [&] {
        const auto station = acquisition::load_station(options.station_file);
        // A plant or MES the station file names wrongly: refused before testing.
        plant_url_of(station);
        mes_of(station);
        // A --limits file that cannot be used is bad input, said before anything else.
        const std::optional<analysis::LimitSet> limits_file =
            options.limits.empty() ? std::nullopt : std::make_optional(load_limits(options.limits));
        const std::string serial = analysis::validate_serial(
            options.serial, load_site_option(options.site).serial_pattern);
        db::Repository repository(database_path(options.db));
        refresh_before_test(repository, station, "repeat");
        const Part part =
            find_in_catalogue(catalogue_in_use(repository, options.parts), options.part);
        const std::string operator_name = resolve_operator(options.operator_name, station);
        const auto limits = limits_file ? *limits_file : limits_in_use(repository, {});
        const Reference reference = usable_reference(repository, station, part);
        SignalStop stop;
        RunLifecycle lifecycle({station, "repeat", operator_name, serial, &stop, {}, {}},
                               repository);

        RunRecord request;
        request.kind = RunKind::Repeatability;
        request.serial = serial;
        request.part = part;
        request.reference_id = reference.id;
        TerminalProgress progress(serial, !options.json);
        const RunRecord run = lifecycle.run(
            std::move(request),
            [&](RunRecord& record, acquisition::MeasurementSink& journal) {
                acquisition::run_repeatability(lifecycle.bench(), lifecycle.op(), reference, record,
                                               options.cycles, journal, progress.callback());
            },
            [&](RunRecord& record) {
                analysis::apply_grade(record, limits);
                repository.store_limit_set(
                    {0, limits.name, limits.version, limits.hash, limits.body});
            });
        progress.clear();
        forward_in_background(station, database_path(options.db), "repeat");
        if (run.status != RunStatus::Completed) {
            // The record as far as it went: every measurement taken is evidence.
            if (options.json)
                fmt::print("{}\n", json_text(run_to_json(run)));
            fmt::print(stderr, "mpobench repeat: aborted: {}\n", run.reason);
            return run_exit_code(run);
        }

        auto stats = analysis::repeatability_stats(run.measurements);
        if (options.json) {
            auto out = run_to_json(run);
            out.erase("measurements");
            auto rows = nlohmann::json::array();
            for (const auto& s : stats) {
                rows.push_back({{"end", std::string(to_string(s.end))},
                                {"fiber", s.fiber},
                                {"wavelength_nm", s.wavelength_nm},
                                {"matings", s.matings},
                                {"mean_il_db", s.mean_il_db},
                                {"range_db", s.range_db},
                                {"sigma_db", s.sigma_db}});
            }
            out["repeatability"] = rows;
            fmt::print("{}\n", json_text(out));
        } else {
            std::sort(stats.begin(), stats.end(),
                      [](const auto& a, const auto& b) { return a.range_db > b.range_db; });
            fmt::print("{} {}: {} cycles, grade {} (target {}), {}\n", run.serial, part.number,
                       options.cycles, to_string(*run.grade), to_string(part.target),
                       run.pass ? "PASS" : "FAIL");
            fmt::print("{:<5} {:<6} {:<8} {:>10} {:>10} {:>10}\n", "END", "FIBRE", "λ nm",
                       "mean dB", "range dB", "σ dB");
            for (const auto& s : stats) {
                fmt::print("{:<5} {:<6} {:<8} {:>10.3f} {:>10.3f} {:>10.4f}\n", to_string(s.end),
                           s.fiber, s.wavelength_nm, s.mean_il_db, s.range_db, s.sigma_db);
            }
        }
        return run_exit_code(run);
    });
}

}  // namespace mpobench::app
