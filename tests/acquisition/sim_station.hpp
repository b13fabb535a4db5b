#pragma once
// A simulated bench for one test: its run directory, the simulators on real
// ptys and loopback TCP, and the station file that reaches them.

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "acquisition/procedures.hpp"
#include "fixtures/dut.hpp"
#include "fixtures/sim_bench.hpp"
#include "tests/support/temp_dir.hpp"

namespace mpobench::testing {

inline const std::filesystem::path kDataDir =
    std::filesystem::path(MPOBENCH_SOURCE_DIR) / "fixtures/data";

// The sample file with every re-mate landing exactly on the nominal loss,
// so IL can be compared with the file to the meter's noise.
inline fixtures::Dut steady_dut(const std::string& file) {
    fixtures::Dut dut = fixtures::load_dut(kDataDir / file);
    dut.mating.sigma_db = 0.0;
    dut.mating.drift_db_per_1000 = 0.0;
    return dut;
}

// Seeds the bench's launch losses and source powers.
constexpr std::uint64_t kBenchSeed = 11;

// Members in this order: the simulators stop before their directory goes.
struct SimStation {
    // time_scale 0: no waiting; `faults` as --faults takes them.
    explicit SimStation(fixtures::Dut dut, double time_scale = 0.0, std::string faults = {}) {
        fixtures::SimBenchOptions sim_options;
        sim_options.dut = std::move(dut);
        sim_options.random_seed = kBenchSeed;
        sim_options.time_scale = time_scale;
        sim_options.faults = std::move(faults);
        sim_options.run_dir = dir.path() / "run";
        sim = std::make_unique<fixtures::SimBench>(std::move(sim_options));
        sim->start();
        station = sim->station();
    }

    TempDir dir;  // for the pty links
    std::unique_ptr<fixtures::SimBench> sim;
    acquisition::StationConfig station;
};

// Keeps what the procedure hands over, in order.
struct RecordingSink final : acquisition::MeasurementSink {
    void on_measurement(const Measurement& measurement) override { seen.push_back(measurement); }
    std::vector<Measurement> seen;
};

inline acquisition::ReferenceOptions reference_options(FiberMode mode, int fibers) {
    acquisition::ReferenceOptions options;
    options.mode = mode;
    options.fibers = fibers;
    options.launch_cord = "LC-REF-1";
    options.operator_name = "tester";
    return options;
}

inline RunRecord production_run(const Part& part, const std::string& serial) {
    RunRecord run;
    run.serial = serial;
    run.part = part;
    run.station = "simulated";
    run.operator_name = "tester";
    run.started_at = std::chrono::system_clock::now();
    return run;
}

}  // namespace mpobench::testing
