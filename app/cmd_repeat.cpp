// `mpobench repeat`: mating-cycle repeatability of one assembly.

#include <fmt/format.h>

#include <algorithm>

#include "analysis/grading.hpp"
#include "analysis/repeatability.hpp"
#include "app/commands.hpp"
#include "app/guarded.hpp"
#include "app/journal.hpp"
#include "app/progress.hpp"
#include "app/run_json.hpp"
#include "app/station_session.hpp"
#include "app/test_flow.hpp"

namespace mpobench::app {

int run_repeat(const RepeatOptions& options) {
    return guarded("repeat", [&] {
        const auto station = acquisition::load_station(options.station_file);
        const Part part = find_part(options.parts, options.part);
        const auto limits = load_limits(options.limits);
        db::Repository repository(database_path(options.db));
        const Reference reference = usable_reference(repository, station, part);
        StationSession session(station, operator_or_user(options.operator_name));

        RunRecord run;
        run.kind = RunKind::Repeatability;
        run.serial = options.serial;
        run.part = part;
        run.station = station.name;
        run.operator_name = session.operator_name;
        run.software_version = MPOBENCH_VERSION;
        run.started_at = std::chrono::system_clock::now();
        run.reference_id = reference.id;
        run.instruments = session.bench.instruments();
        run.id = repository.begin_run(run);
        {
            BackgroundJournal journal(repository, run.id);
            TerminalProgress progress(options.serial, !options.json);
            try {
                acquisition::run_repeatability(session.bench, *session.op, reference, run,
                                               options.cycles, journal, progress.callback());
            } catch (const acquisition::TestAborted& aborted) {
                journal.flush();
                run.status = RunStatus::Aborted;
                run.reason = aborted.what();
                run.ended_at = std::chrono::system_clock::now();
                repository.abort_run(run.id, run.reason);
                // The record as far as it went: every measurement taken is evidence.
                if (options.json)
                    fmt::print("{}\n", json_text(run_to_json(run)));
                fmt::print(stderr, "mpobench repeat: aborted: {}\n", run.reason);
                return static_cast<int>(kAborted);
            } catch (const acquisition::Refused& refused) {
                journal.flush();
                repository.abort_run(run.id, refused.what());
                throw;
            }
            journal.flush();
        }
        analysis::apply_grade(run, limits);
        run.status = RunStatus::Completed;
        run.ended_at = std::chrono::system_clock::now();
        repository.store_limit_set({0, limits.name, limits.version, limits.hash, limits.body});
        repository.complete_run(run);

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
        return static_cast<int>(run.pass ? kPassed : kBelowTarget);
    });
}

}  // namespace mpobench::app
