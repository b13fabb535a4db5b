// `mpobench sim`: the simulated bench as its own process, until SIGINT/SIGTERM.

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "acquisition/station.hpp"
#include "app/commands.hpp"
#include "app/exit_codes.hpp"
#include "app/guarded.hpp"
#include "fixtures/sim/faults.hpp"
#include "fixtures/sim_bench.hpp"
#include "vocabulary/logger.hpp"

namespace mpobench::app {
namespace {

int run_simulated_bench(const SimOptions& options) {
    const auto log = logger("sim");
    if (options.dut_file.empty() == !options.random_seed) {
        fmt::print(stderr, "mpobench sim: give exactly one of --dut FILE or --random SEED\n");
        return kBadInput;
    }
    fixtures::SimBenchOptions bench_options;
    bench_options.time_scale = options.time_scale;
    bench_options.random_seed = options.random_seed;
    bench_options.faults = options.faults;
    if (options.source_drift_db)
        bench_options.source_drift_db = *options.source_drift_db;
    bench_options.positions = options.positions;
    try {
        bench_options.layout = fixtures::parse_sim_layout(options.layout);
    } catch (const std::invalid_argument& error) {
        fmt::print(stderr, "mpobench sim: --layout: {}\n", error.what());
        return kBadInput;
    }
    bench_options.run_dir = options.run_dir.empty() ? std::filesystem::temp_directory_path() /
                                                          fmt::format("mpobench-sim-{}", ::getpid())
                                                    : options.run_dir;
    try {
        if (!options.dut_file.empty())
            bench_options.dut = fixtures::load_dut(options.dut_file);
        (void)fixtures::parse_fault_spec(options.faults);
    } catch (const fixtures::DutFileError& error) {
        fmt::print(stderr, "mpobench sim: {}\n", error.what());
        return kBadInput;
    } catch (const std::invalid_argument& error) {
        fmt::print(stderr, "mpobench sim: --faults: {}\n", error.what());
        return kBadInput;
    }

    // Signals are taken by sigwait below; every simulator thread inherits the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    std::unique_ptr<fixtures::SimBench> simulated;
    try {
        simulated = std::make_unique<fixtures::SimBench>(bench_options);
    } catch (const std::invalid_argument& error) {
        fmt::print(stderr, "mpobench sim: {}\n", error.what());
        return kBadInput;
    }
    fixtures::SimBench& bench = *simulated;
    bench.start();
    auto station = bench.station();
    if (options.operator_kind == "web") {
        // The person who logs in to the page is the operator of record.
        station.operator_channel.kind = acquisition::OperatorConfig::Kind::Web;
        station.operator_channel.name.clear();
    }
    acquisition::save_station(station, options.station_out);

    fmt::print("simulated bench running (time scale {}{}, {} layout)\n", options.time_scale,
               options.time_scale == 1.0 ? ", real instrument timing" : "", options.layout);
    for (const auto& instrument : station.instruments) {
        fmt::print("  {:<8} {:<16} {}\n", instrument.name, instrument.model, instrument.resource);
    }
    fmt::print("  {:<8} {:<16} {}\n", "operator",
               options.operator_kind == "web" ? "web page, simulated hands" : "simulated",
               station.operator_channel.resource);
    fmt::print("station file: {}\nstop with Ctrl-C (SIGINT) or SIGTERM\n",
               options.station_out.string());
    std::fflush(stdout);

    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    log->info("received {}, stopping the simulated bench", strsignal(signal_number));
    bench.stop();
    std::error_code ignored;
    std::filesystem::remove(bench_options.run_dir, ignored);  // only if empty: links are gone
    fmt::print("simulated bench stopped\n");
    return kPassed;
}

}  // namespace

int run_sim(const SimOptions& options) {
    // A station file that cannot be written (a missing directory) is bad
    // input like any other: exit 2 with its reason, the simulators stopped.
    return guarded("sim", [&] { return run_simulated_bench(options); });
}

}  // namespace mpobench::app
