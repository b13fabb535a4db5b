// mpobench_test_time: a full production test against the instrument-bound
// floor (DESIGN.md §7; issue 5, benchmarks 1 and 2).
//
// For each DUT (a 12F and a 24F SM assembly from fixtures/data) the
// simulated bench runs in this process on real ptys and loopback TCP (the
// code path of `mpobench sim` and `demo`), at real instrument timing by
// default. The bench connects and takes a reference (not timed), then:
//  1. app::run_test, the function `mpobench test` calls: begin_run, the
//     production test (both ends, every wavelength, IL + RL + polarity), the
//     background journal, grading and complete_run. Timed from call to return.
//  2. The same sweep done the naive way through the same role interfaces:
//     per end, per fibre, per wavelength: route the switch, set the
//     wavelength on source and meters, wait for the source, read the one
//     channel the fibre should reach, then an RL window of its own.
// Both are divided by one floor computed from the simulator's timing model
// (fixtures/) and the averaging windows the bench asks for (acquisition/);
// every term is printed. The production run's measurement times break the
// remaining gap down by where it arises.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "acquisition/parts.hpp"
#include "analysis/grading.hpp"
#include "analysis/limits.hpp"
#include "app/logging.hpp"
#include "app/station_session.hpp"
#include "app/test_flow.hpp"
#include "fixtures/bench_model.hpp"
#include "fixtures/dut.hpp"
#include "fixtures/sim_bench.hpp"
#include "fixtures/simulators/simulators.hpp"
#include "tests/support/temp_dir.hpp"  // the same scratch directory as the tests

namespace {

using namespace mpobench;
using Seconds = std::chrono::duration<double>;
using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kEnds = 2;  // end A, then the operator flips the assembly

// The instrument time each step of a test needs, in instrument seconds.
struct TimingModel {
    Seconds switch_settle;      // fixtures: BenchModelOptions
    Seconds wavelength_change;  // fixtures: BenchModelOptions
    Seconds operator_plug;      // fixtures: the operator simulator's :CONNect (simulators.hpp)
    Seconds il_window;          // acquisition: BenchTiming, honoured by the meter simulator
    Seconds rl_window;          // acquisition: BenchTiming for the mode, honoured by the RL sim
};

// The RL window: the module's shortest when the limit set decides RL
// sequentially, else the fixed window for the mode.
TimingModel timing_model(const acquisition::BenchTiming& timing, FiberMode mode, bool sequential) {
    const fixtures::BenchModelOptions physics;  // what SimBench builds its model with
    return {physics.switch_settle, physics.wavelength_change, fixtures::kOperatorPlugTime,
            timing.meter_averaging,
            sequential              ? timing.rl_window_sequential
            : mode == FiberMode::MM ? timing.rl_averaging_pc
                                    : timing.rl_averaging_apc};
}

struct FloorTerm {
    std::string what;
    int count = 0;
    Seconds each{};
    Seconds total() const { return each * count; }
};

struct Floor {
    std::vector<FloorTerm> terms;
    Seconds design_as_written{};  // DESIGN.md §7 counted literally, plus the operator steps
    Seconds total() const {
        Seconds sum{};
        for (const auto& term : terms)
            sum += term.total();
        return sum;
    }
};

std::vector<int> wavelengths_of(const Part& part) {
    return part.wavelengths_nm.empty() ? default_wavelengths_nm(part.mode) : part.wavelengths_nm;
}

// The shortest sequence the instruments and the operator allow for a
// production test (no re-mates): the operator's two plugs (nothing can be
// measured while the launch side is unplugged, and the laser can change
// meanwhile), then per end one pass per wavelength. A pass starts where
// the switch already is (each pass runs back from where the last one
// ended), so only the other launches wait for a settle. RL and IL share a
// launch's window: the longer counts. Light must be steady for the whole
// window, so a settle and a window add up.
// With sequential RL decisions the windows a launch takes beyond its first
// (`extra_rl_windows`, known once the run is done) add an RL window each.
Floor production_floor(const TimingModel& model, const Part& part, int extra_rl_windows = 0) {
    const int wavelengths = static_cast<int>(wavelengths_of(part).size());
    const int passes = kEnds * wavelengths;
    const int launches = passes * part.fibers;
    const Seconds window = std::max(model.il_window, model.rl_window);
    Floor floor;
    floor.terms = {
        {"operator plugs (connect end A, connect end B)", kEnds, model.operator_plug},
        {"wavelength changes outside the plugs (per end, all but the first)",
         kEnds * (wavelengths - 1), model.wavelength_change},
        {"switch settles (every launch but a pass's first)", launches - passes,
         model.switch_settle},
        {fmt::format("launch windows: longer of IL {:.0f} ms and RL {:.0f} ms",
                     model.il_window / 1ms, model.rl_window / 1ms),
         launches, window},
    };
    if (extra_rl_windows > 0) {
        floor.terms.push_back({fmt::format("RL windows beyond a launch's first, as the run took "
                                           "them ({:.0f} ms)",
                                           model.rl_window / 1ms),
                               extra_rl_windows, model.rl_window});
    }
    floor.design_as_written = model.rl_window * extra_rl_windows + model.operator_plug * kEnds +
                              model.wavelength_change * passes +
                              (model.switch_settle + window) * launches;
    return floor;
}

void print_floor(const Floor& floor) {
    std::cout << "| floor term | count | each s | total s |\n|---|---:|---:|---:|\n";
    for (const auto& term : floor.terms) {
        std::cout << fmt::format("| {} | {} | {:.3f} | {:.3f} |\n", term.what, term.count,
                                 term.each.count(), term.total().count());
    }
    std::cout << fmt::format("| **floor** | | | **{:.3f}** |\n", floor.total().count());
    std::cout << fmt::format(
        "(DESIGN.md §7 counted as written, every wavelength change and every settle, plus the "
        "plugs: {:.3f} s)\n",
        floor.design_as_written.count());
}

// Where the time between measurements went: each interval of the run
// against what the timing model says it needs, in instrument seconds
// (wall / time scale).
struct Interval {
    std::string what;
    Seconds needed_each{};
    Seconds measured{};
    int count = 0;
    void add(Seconds taken) {
        measured += taken;
        ++count;
    }
};

void print_breakdown(const RunRecord& run, std::chrono::system_clock::time_point called,
                     std::chrono::system_clock::time_point returned, const TimingModel& model,
                     double time_scale) {
    const Seconds window = std::max(model.il_window, model.rl_window);
    const auto instrument = [time_scale](auto from, auto to) {
        return Seconds(to - from) / time_scale;
    };
    Interval start{"start of the call to the first reading (plug end A + window)",
                   model.operator_plug + window};
    Interval launch{"reading to reading within a pass (settle + window)",
                    model.switch_settle + window};
    Interval change{"wavelength change to the next reading (change + window)",
                    model.wavelength_change + window};
    Interval flip{"flip: end A's last reading to end B's first (plug + window)",
                  model.operator_plug + window};
    Interval finish{"last reading to the return (journal flush, grading, complete_run)", {}};
    const auto& m = run.measurements;
    start.add(instrument(called, m.front().taken_at));
    for (std::size_t i = 1; i < m.size(); ++i) {
        const Seconds taken = instrument(m[i - 1].taken_at, m[i].taken_at);
        if (m[i].end != m[i - 1].end) {
            flip.add(taken);
        } else if (m[i].wavelength_nm != m[i - 1].wavelength_nm) {
            change.add(taken);
        } else {
            launch.add(taken);
        }
    }
    finish.add(instrument(m.back().taken_at, returned));
    std::cout << "| interval | count | measured s | needed s | overhead s | overhead per "
                 "interval ms |\n|---|---:|---:|---:|---:|---:|\n";
    for (const Interval* interval : {&start, &launch, &change, &flip, &finish}) {
        const Seconds needed = interval->needed_each * interval->count;
        const Seconds overhead = interval->measured - needed;
        std::cout << fmt::format("| {} | {} | {:.3f} | {:.3f} | {:.3f} | {:.1f} |\n",
                                 interval->what, interval->count, interval->measured.count(),
                                 needed.count(), overhead.count(),
                                 overhead / 1ms / interval->count);
    }
}

struct NaiveReading {
    End end = End::A;
    int fiber = 0;
    int wavelength_nm = 0;
    drivers::PowerReading power;
    std::optional<drivers::ReturnLossReading> return_loss;
};

// The sweep a first script would do: everything per fibre per wavelength,
// one thing after another, one channel read. Straight through the role
// interfaces (not the Bench's light-path helpers, which skip unchanged
// settings). Returns the readings; the caller times it.
std::vector<NaiveReading> naive_sweep(acquisition::Bench& bench, acquisition::Operator& op,
                                      const Part& part, const std::string& serial) {
    drivers::LightSource& source = bench.source();
    drivers::OpticalSwitch& launch_switch = bench.launch_switch();
    const std::vector<drivers::PowerMeter*> meters = bench.far_end_meters();
    drivers::ReturnLossMeter* return_loss = bench.return_loss_meter();
    // A plain script reads RL in one fixed window per reading.
    bench.apply_timing(part.mode);
    std::vector<NaiveReading> readings;
    for (const End end : {End::A, End::B}) {
        op.perform(end == End::A ? acquisition::OperatorStep::ConnectEndA
                                 : acquisition::OperatorStep::ConnectEndB,
                   serial);
        const auto far_positions = analysis::expected_far_positions(part, end);
        for (int fiber = 1; fiber <= part.fibers; ++fiber) {
            for (const int wavelength_nm : wavelengths_of(part)) {
                const auto nm = static_cast<double>(wavelength_nm);
                launch_switch.route(fiber);
                source.select_wavelength_nm(nm);
                for (drivers::PowerMeter* meter : meters)
                    meter->set_wavelength_nm(nm);
                if (return_loss)
                    return_loss->set_wavelength_nm(nm);
                source.wait_stable();
                NaiveReading reading{end, fiber, wavelength_nm, {}, std::nullopt};
                const acquisition::FarEndPort port =
                    bench.far_end_port(far_positions[static_cast<std::size_t>(fiber - 1)]);
                reading.power = port.meter->read_dbm(port.channel);
                if (return_loss) {
                    return_loss->start_measurement();
                    reading.return_loss = return_loss->read_rl_db();
                }
                readings.push_back(reading);
            }
        }
    }
    return readings;
}

// The naive readings should tell the same story as the production run's
// (new matings in between: IL differs by the mating spread, not more).
void compare(const std::vector<NaiveReading>& naive, const RunRecord& run,
             const Reference& reference) {
    std::map<std::tuple<End, int, int>, double> production_il;
    for (const auto& m : run.measurements) {
        if (m.il_db)
            production_il[{m.end, m.fiber, m.wavelength_nm}] = *m.il_db;
    }
    double worst_db = 0.0;
    int compared = 0, dark = 0, return_losses = 0;
    for (const auto& reading : naive) {
        if (reading.return_loss && reading.return_loss->ok())
            ++return_losses;
        if (!reading.power.ok()) {
            ++dark;
            continue;
        }
        const auto found = production_il.find({reading.end, reading.fiber, reading.wavelength_nm});
        if (found == production_il.end())
            continue;
        const double il_db =
            reference.find(reading.fiber, reading.wavelength_nm)->power_dbm - reading.power.dbm;
        worst_db = std::max(worst_db, std::abs(il_db - found->second));
        ++compared;
    }
    std::cout << fmt::format(
        "naive readings: {} ({} without a power, {} with an RL value); IL of {} against the "
        "production run's: largest difference {:.3f} dB\n",
        naive.size(), dark, return_losses, compared, worst_db);
}

struct CaseResult {
    std::string label;
    Seconds floor{}, production{}, naive{};
};

// The set without its [return_loss] table: one fixed RL window per reading.
analysis::LimitSet without_rl_decision(const analysis::LimitSet& set) {
    std::string body = set.body;
    const auto from = body.find("[return_loss]");
    const auto to = body.find("[grade.");
    if (from != std::string::npos && to != std::string::npos && from < to)
        body.erase(from, to - from);
    return analysis::parse_limit_set(body, "default without [return_loss]");
}

CaseResult run_case(const std::filesystem::path& dut_file, double time_scale, bool naive,
                    bool fixed_windows, const std::filesystem::path& directory) {
    fixtures::SimBenchOptions options;
    options.dut = fixtures::load_dut(dut_file);
    options.time_scale = time_scale;
    options.run_dir = directory / fmt::format("sim-{}f", options.dut->fibers);
    const fixtures::Dut dut = *options.dut;
    const auto catalogue =
        acquisition::load_part_catalogue(acquisition::default_part_catalogue_path());
    const Part* part = catalogue.match(dut.fibers, dut.mode, dut.polarity, Grade::Elite);
    if (!part) {
        throw std::runtime_error(fmt::format("no catalogue part for {}", dut_file.string()));
    }
    if (part->mating_cycles != 0) {
        throw std::runtime_error(fmt::format(
            "{} has production re-mates, which the floor here does not count", part->number));
    }
    CaseResult result;
    result.label = fmt::format("{}F {}", part->fibers, to_string(part->mode));
    std::cout << fmt::format("\n## {} ({}, part {}), time scale {}\n\n", result.label,
                             dut_file.filename().string(), part->number, time_scale);

    fixtures::SimBench simulated(options);
    simulated.start();
    db::Repository repository(directory / fmt::format("bench-{}f.db", part->fibers));
    const auto connect_start = SteadyClock::now();
    app::RunLifecycle lifecycle({simulated.station(), "test", "bench", "", nullptr, {}, {}},
                                repository);
    const Seconds connect = SteadyClock::now() - connect_start;
    const Reference reference =
        app::take_and_store_reference(lifecycle, part->mode, part->fibers, "bench launch cord", {});
    const analysis::LimitSet limits = fixed_windows
                                          ? without_rl_decision(analysis::default_limit_set())
                                          : analysis::default_limit_set();
    const TimingModel model =
        timing_model(lifecycle.bench().timing(), part->mode, limits.rl_decision.has_value());

    app::TestEnvironment environment{lifecycle, limits, reference};
    const std::string serial = fmt::format("BENCH-{}F", part->fibers);
    const auto called = std::chrono::system_clock::now();
    const auto start = SteadyClock::now();
    const auto outcome = app::run_test(environment, serial, *part, "", {});
    result.production = SteadyClock::now() - start;
    const auto returned = std::chrono::system_clock::now();
    const auto expected_readings =
        static_cast<std::size_t>(kEnds * wavelengths_of(*part).size() * part->fibers);
    if (outcome.run.status != RunStatus::Completed ||
        outcome.run.measurements.size() != expected_readings) {
        throw std::runtime_error(fmt::format(
            "{}: the run ended {} with {} of {} readings{}", serial, to_string(outcome.run.status),
            outcome.run.measurements.size(), expected_readings,
            outcome.run.reason.empty() ? "" : ": " + outcome.run.reason));
    }
    int extra_rl_windows = 0;
    for (const auto& m : outcome.run.measurements)
        extra_rl_windows += std::max(0, m.rl_windows - 1);
    const Floor floor = production_floor(model, *part, extra_rl_windows);
    std::cout << fmt::format("RL decisions: {}\n\n", limits.rl_decision
                                                         ? "sequential (the default limit set)"
                                                         : "one fixed window per reading");
    print_floor(floor);
    result.floor = floor.total() * time_scale;
    // The operator's plugs are in both; without them the ratio is the
    // instruments' time against what the software added to it.
    const Seconds plugs = model.operator_plug * kEnds * time_scale;
    std::cout << fmt::format(
        "\nproduction test (app::run_test): {} readings, grade {}, wall {:.3f} s, floor {:.3f} "
        "s, ratio {:.4f}\n(the plugs taken out of both: {:.4f}; bench connect before the test, "
        "once per `mpobench test` process: {:.3f} s)\n\n",
        outcome.run.measurements.size(), to_string(*outcome.run.grade), result.production.count(),
        result.floor.count(), result.production / result.floor,
        (result.production - plugs) / (result.floor - plugs), connect.count());
    print_breakdown(outcome.run, called, returned, model, time_scale);

    if (naive) {
        const auto naive_start = SteadyClock::now();
        const auto readings = naive_sweep(lifecycle.bench(), lifecycle.op(), *part, serial);
        result.naive = SteadyClock::now() - naive_start;
        std::cout << fmt::format("\nnaive sweep: wall {:.3f} s, ratio to the floor {:.4f}\n",
                                 result.naive.count(), result.naive / result.floor);
        compare(readings, outcome.run, reference);
    }
    return result;
}

std::filesystem::path dut_for(int fibers) {
    const auto data = std::filesystem::path(MPOBENCH_SOURCE_DIR) / "fixtures" / "data";
    switch (fibers) {
        case 12:
            return data / "elite_sm_12f_b.json";
        case 24:
            return data / "standard_sm_24f_c.json";
        case 32:
            return data / "elite_mm_32f_a.json";
        default:
            throw std::invalid_argument(fmt::format(
                "--fibers {}: the bench has SM assemblies of 12 and 24 fibres and an MM one of 32",
                fibers));
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{
        "mpobench_test_time: a production test (app::run_test) and a naive sweep on the simulated "
        "bench against the instrument-bound floor"};
    std::vector<int> fibers{12, 24};
    double time_scale = 1.0;
    bool skip_naive = false;
    bool fixed_windows = false;
    app::LoggingOptions logging;
    logging.level = "info";  // what `mpobench test` writes to its file
    cli.add_option("--fibers", fibers, "assemblies to test: 12, 24 (SM) and/or 32 (MM)")
        ->capture_default_str();
    cli.add_flag("--fixed-rl", fixed_windows,
                 "the default limit set without [return_loss]: one fixed RL window per reading "
                 "(how tests ran before sequential decisions)");
    cli.add_option("--time-scale", time_scale,
                   "wall seconds per instrument second (1 = real timing, the figure that counts)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cli.add_flag("--no-naive", skip_naive, "skip the naive sweep");
    cli.add_option("--log-level", logging.level,
                   "log file level; debug logs every SCPI exchange with its time")
        ->capture_default_str();
    cli.add_option("--log-file", logging.file,
                   "log file (default: in the scratch directory, removed at the end)");
    CLI11_PARSE(cli, argc, argv);

    try {
        const testing::TempDir scratch;
        if (logging.file.empty())
            logging.file = scratch.file("mpobench.log");
        app::setup_logging(logging);
        std::vector<CaseResult> results;
        for (const int count : fibers)
            results.push_back(
                run_case(dut_for(count), time_scale, !skip_naive, fixed_windows, scratch.path()));

        std::cout << "\n## Summary\n\n| assembly | floor s | production s | production / floor "
                     "| naive s | naive / floor |\n|---|---:|---:|---:|---:|---:|\n";
        for (const auto& result : results) {
            std::cout << fmt::format(
                "| {} | {:.3f} | {:.3f} | {:.4f} | {} | {} |\n", result.label, result.floor.count(),
                result.production.count(), result.production / result.floor,
                skip_naive ? "-" : fmt::format("{:.3f}", result.naive.count()),
                skip_naive ? "-" : fmt::format("{:.3f}", result.naive / result.floor));
        }
        spdlog::shutdown();
    } catch (const std::exception& error) {
        std::cerr << "mpobench_test_time: " << error.what() << "\n";
        return 1;
    }
    return 0;
}
