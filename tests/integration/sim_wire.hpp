#pragma once
// One simulated instrument served on a real pty or loopback TCP port, with
// the driver configuration that reaches it. The bench model behind it is
// real; nothing bypasses the wire.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <unistd.h>

#include "drivers/instrument_config.hpp"
#include "fixtures/bench_model.hpp"
#include "fixtures/sim/endpoint.hpp"
#include "fixtures/simulators/simulators.hpp"

namespace mpobench::testing {

enum class Wire { Pty, Tcp };

inline std::string_view to_string(Wire wire) {
    return wire == Wire::Pty ? "pty" : "tcp";
}

using SimFactory = std::shared_ptr<fixtures::SimInstrument> (*)(fixtures::SimModelOptions,
                                                                fixtures::BenchModel&,
                                                                const fixtures::SimClock&);

struct ModelUnderTest {
    std::string name;  // station-file name
    drivers::Role role;
    std::string model_key;  // driver key
    SimFactory make_sim;
};

inline const std::vector<ModelUnderTest>& all_models() {
    static const std::vector<ModelUnderTest> models = {
        // An 8-port N7745C plugged into far positions 5-12 (its port 8 is position 12).
        {"meter", drivers::Role::PowerMeter, "keysight-n774x",
         [](fixtures::SimModelOptions options, fixtures::BenchModel& model,
            const fixtures::SimClock& clock) {
             return fixtures::make_keysight_n774x_sim(
                 std::move(options), model, clock,
                 fixtures::N774xPorts{fixtures::N774xPorts::Model::N7745C, 5});
         }},
        {"monitor", drivers::Role::PowerMeter, "thorlabs-pm100", fixtures::make_thorlabs_pm100_sim},
        {"source", drivers::Role::LightSource, "keysight-8165x", fixtures::make_keysight_8165x_sim},
        {"switch", drivers::Role::OpticalSwitch, "keysight-n773x",
         fixtures::make_keysight_n773x_sim},
        {"rl", drivers::Role::ReturnLossMeter, "keysight-81610a",
         fixtures::make_keysight_81610a_sim},
    };
    return models;
}

// A bench model with a 12F SM type-B assembly, light on fibre 1 at 1310 nm.
class WiredInstrument {
  public:
    static constexpr double kTimeScale = 0.01;
    static constexpr std::chrono::milliseconds kTimeout{1500};

    // `timeout`: the driver's reply timeout; fault tests that wait for it
    // use a shorter one (replies here take milliseconds).
    WiredInstrument(const ModelUnderTest& model, Wire wire,
                    std::chrono::milliseconds timeout = kTimeout)
        : clock_(kTimeScale), bench_(make_options(), clock_) {
        bench_.set_dut(fixtures::load_dut(std::string(MPOBENCH_SOURCE_DIR) +
                                          "/fixtures/data/elite_sm_12f_b.json"));
        bench_.connect(fixtures::Connection::EndA);
        bench_.set_source_wavelength_nm(1310);
        bench_.set_source_output(true);
        bench_.set_switch_port(1);
        // Steady light from here on: readings compare with the model's truth
        // over their window, which a laser still stabilising would not match
        // (a slow build, e.g. under the sanitizers, reads that early).
        const auto physics = make_options();
        clock_.sleep_for(physics.wavelength_change + physics.switch_settle);

        sim_ = model.make_sim({model.name, "SIM0001", 42}, bench_, clock_);
        run_dir_ =
            std::filesystem::temp_directory_path() /
            ("mpobench-it-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
        std::filesystem::create_directories(run_dir_);
        if (wire == Wire::Pty) {
            endpoint_ = fixtures::make_pty_endpoint(sim_, {run_dir_ / model.name, 115200}, clock_);
        } else {
            endpoint_ = fixtures::make_tcp_endpoint(sim_, {}, clock_);
        }
        endpoint_->start();

        config_.name = model.name;
        config_.role = model.role;
        config_.model = model.model_key;
        config_.resource = endpoint_->resource();
        config_.transport.serial.baud = 115200;
        config_.timeout = timeout;
        config_.write_terminator = sim_->read_terminator();
        config_.read_terminator = sim_->write_terminator();
    }

    ~WiredInstrument() {
        endpoint_->stop();
        std::error_code ignored;
        std::filesystem::remove_all(run_dir_, ignored);
    }

    const drivers::InstrumentConfig& config() const { return config_; }
    fixtures::BenchModel& bench() { return bench_; }
    fixtures::SimInstrument& sim() { return *sim_; }
    const fixtures::SimClock& clock() const { return clock_; }

  private:
    static fixtures::BenchModelOptions make_options() {
        fixtures::BenchModelOptions options;
        options.detectors = 12;
        options.switch_ports = 12;
        options.seed = 5;
        return options;
    }
    static int& counter() {
        static int value = 0;
        return value;
    }

    fixtures::SimClock clock_;
    fixtures::BenchModel bench_;
    std::shared_ptr<fixtures::SimInstrument> sim_;
    std::unique_ptr<fixtures::Endpoint> endpoint_;
    std::filesystem::path run_dir_;
    drivers::InstrumentConfig config_;
};

}  // namespace mpobench::testing
