// `mpobench demo`: the whole job on the simulated bench — simulators on
// real ptys and loopback TCP (the code path of `mpobench sim`), reference,
// test, grade, store — for one DUT file or a run of random assemblies.

#include <fmt/format.h>
#include <unistd.h>

#include <map>
#include <random>

#include "acquisition/parts.hpp"
#include "analysis/identifiers.hpp"
#include "app/certificates.hpp"
#include "app/commands.hpp"
#include "app/forwarder.hpp"
#include "app/guarded.hpp"
#include "app/progress.hpp"
#include "app/run_json.hpp"
#include "app/signals.hpp"
#include "app/station_session.hpp"
#include "app/test_flow.hpp"
#include "drivers/registry.hpp"
#include "fixtures/sim_bench.hpp"

namespace mpobench::app {
namespace {

// Asks the simulated operator to pick up the next random assembly of this shape.
void pick_up_next_assembly(const acquisition::StationConfig& station, const Part& part) {
    drivers::InstrumentConfig channel;
    channel.name = "operator";
    channel.resource = station.operator_channel.resource;
    auto session = drivers::make_session(channel);
    session->write(fmt::format(":DUT:NEXT {},{},{}", part.fibers, to_string(part.mode),
                               to_string(part.polarity)));
    session->check_errors(":DUT:NEXT");
}

struct YieldSummary {
    int tested = 0, passed = 0, aborted = 0;
    std::map<Grade, int> grades;

    void add(const RunRecord& run) {
        ++tested;
        if (run.status != RunStatus::Completed) {
            ++aborted;
            return;
        }
        if (run.pass)
            ++passed;
        ++grades[*run.grade];
    }

    std::string text() const {
        std::string mix;
        for (const Grade grade : {Grade::Elite, Grade::Standard, Grade::Generic, Grade::Fail}) {
            const auto found = grades.find(grade);
            mix += fmt::format("{}{} {}", mix.empty() ? "" : ", ",
                               found == grades.end() ? 0 : found->second, to_string(grade));
        }
        return fmt::format("yield: {} tested, {} passed ({:.0f}%), {} aborted; grades: {}", tested,
                           passed, tested ? 100.0 * passed / tested : 0.0, aborted, mix);
    }
};

}  // namespace

int run_demo(DemoOptions options) {
    return guarded("demo", [&] {
        if (!options.dut_file.empty() && options.random_seed) {
            fmt::print(stderr, "mpobench demo: give --dut FILE or --random SEED, not both\n");
            return static_cast<int>(kBadInput);
        }
        fixtures::SimBenchOptions sim;
        sim.time_scale = options.time_scale;
        sim.run_dir =
            std::filesystem::temp_directory_path() / fmt::format("mpobench-demo-{}", ::getpid());
        const auto catalogue = acquisition::load_part_catalogue(
            options.parts.empty() ? acquisition::default_part_catalogue_path() : options.parts);

        std::vector<const Part*> candidates;
        if (!options.dut_file.empty()) {
            sim.dut = fixtures::load_dut(options.dut_file);
            const Part* part = options.part.empty()
                                   ? catalogue.match(sim.dut->fibers, sim.dut->mode,
                                                     sim.dut->polarity, Grade::Elite)
                                   : &find_in_catalogue(catalogue, options.part);
            if (!part) {
                fmt::print(stderr, "mpobench demo: no part in {} for a {}F {} type-{} assembly\n",
                           catalogue.source_path.string(), sim.dut->fibers,
                           to_string(sim.dut->mode), to_string(sim.dut->polarity));
                return static_cast<int>(kBadInput);
            }
            candidates.push_back(part);
            if (options.count == 0)
                options.count = 1;
        } else {
            sim.random_seed = options.random_seed.value_or(1);
            if (options.count == 0)
                options.count = 10;
            if (!options.part.empty()) {
                candidates.push_back(&find_in_catalogue(catalogue, options.part));
            } else {
                // A single-mode line: every SM part the simulated bench can hold.
                for (const auto& part : catalogue.parts) {
                    if (part.mode == FiberMode::SM && part.fibers <= 32)
                        candidates.push_back(&part);
                }
            }
        }
        const FiberMode mode = candidates.front()->mode;
        int reference_fibers = 0;
        for (const Part* part : candidates)
            reference_fibers = std::max(reference_fibers, part->fibers);

        const auto limits = load_limits(options.limits);
        if (!options.plant_url.empty())
            check_plant_url(options.plant_url);
        // Read the site file before any test: a bad one is a usage error now,
        // not after the first assembly. Its serial_pattern holds for the demo's
        // serials too: they are recorded like any other.
        const reports::Site site_file = load_site_option(options.site);
        const auto serial_for = [&](int index) {
            return analysis::validate_serial(
                !options.serial.empty() && options.count == 1
                    ? options.serial
                    : fmt::format("{}{:04}",
                                  options.serial.empty()
                                      ? "DEMO-"
                                      : analysis::trim_identifier(options.serial),
                                  index),
                site_file.serial_pattern);
        };
        (void)serial_for(1);
        (void)serial_for(options.count);
        // The person who watches the demo; "demo" by default, recorded with
        // each run like any operator's name.
        const std::string operator_name = analysis::validate_operator_name(options.operator_name);
        std::optional<reports::Site> site;
        if (!options.certs_dir.empty()) {
            site = site_file;
            std::error_code error;
            std::filesystem::create_directories(options.certs_dir, error);
            if (error) {
                throw reports::ReportError(fmt::format(
                    "cannot create {}: {}", options.certs_dir.string(), error.message()));
            }
            check_certificate_destination(options.certs_dir / "certificate.pdf");
        }
        db::Repository repository(database_path(options.db));
        fixtures::SimBench bench(sim);
        bench.start();
        const auto station = bench.station();
        if (!options.json) {
            fmt::print(
                "simulated bench: instruments on real ptys and loopback TCP; the simulated clock "
                "runs "
                "{} (--time-scale {})\n",
                options.time_scale == 1.0
                    ? "at real instrument timing"
                    : fmt::format("{:g}x faster than real time", 1.0 / options.time_scale),
                options.time_scale);
        }
        SignalStop stop;
        RunLifecycle lifecycle({station, "demo", operator_name, "", &stop, {}, {}}, repository);
        const auto* cord = station.launch_cord();
        TerminalProgress reference_progress("reference", !options.json);
        const Reference reference = take_and_store_reference(lifecycle, mode, reference_fibers,
                                                             cord ? cord->id : "demo launch cord",
                                                             reference_progress.callback());
        reference_progress.clear();
        if (!options.json)
            fmt::print("{}\n", reference_summary(reference));

        std::mt19937_64 pick(sim.random_seed.value_or(0));
        YieldSummary summary;
        int worst_exit = kPassed;
        int certificates_failed = 0;
        for (int index = 1; index <= options.count; ++index) {
            const Part& part = *candidates[std::uniform_int_distribution<std::size_t>(
                0, candidates.size() - 1)(pick)];
            if (sim.random_seed)
                pick_up_next_assembly(station, part);
            const std::string serial = serial_for(index);
            TestEnvironment environment{lifecycle, limits, reference};
            TerminalProgress progress(fmt::format("{}/{} {}", index, options.count, serial),
                                      !options.json);
            const auto outcome =
                run_test(environment, serial, part, "", {progress.callback(), {}, {}});
            progress.clear();
            summary.add(outcome.run);
            worst_exit = outcome.exit_code == kAborted || worst_exit == kAborted
                             ? kAborted
                             : std::max(worst_exit, outcome.exit_code);
            std::optional<std::filesystem::path> certificate;
            if (site && outcome.run.status == RunStatus::Completed) {
                certificate = options.certs_dir / certificate_file_name(serial);
                write_run_certificate(repository, outcome.run.id, *site, site->paper, *certificate);
            }
            if (options.json) {
                auto result = run_to_json(outcome.run);
                if (certificate) {
                    result["certificate"] = certificate->string();
                }
                fmt::print("{}\n", json_text(result));
            } else {
                fmt::print("{}\n", result_summary(outcome.run));
                if (certificate) {
                    fmt::print("  certificate: {}\n", certificate->string());
                }
            }
            std::fflush(stdout);
        }
        fmt::print(options.json ? stderr : stdout, "{}\ndatabase: {}\n", summary.text(),
                   database_path(options.db).string());
        if (certificates_failed > 0) {
            fmt::print(stderr, "mpobench demo: {} certificate(s) not written\n",
                       certificates_failed);
            return static_cast<int>(kBadInput);
        }
        if (!options.plant_url.empty()) {
            const ForwardLock forwarding(database_path(options.db));
            const auto report = forward_outbox(repository, options.plant_url);
            fmt::print(options.json ? stderr : stdout,
                       "plant {}: {} runs forwarded ({} already there), {} waiting\n",
                       report.plant.empty() ? options.plant_url : report.plant,
                       report.stored + report.present, report.present, report.left.waiting);
            if (report.unreachable || !report.refused.empty()) {
                fmt::print(stderr,
                           "mpobench demo: the runs are stored; {} wait for the plant ({}): "
                           "mpobench sync --db {} --to URL forwards them\n",
                           report.left.waiting,
                           report.unreachable ? *report.unreachable : report.refused.front().reason,
                           database_path(options.db).string());
                return static_cast<int>(report.unreachable ? kAborted : kRefused);
            }
        }
        return worst_exit;
    });
}

}  // namespace mpobench::app
