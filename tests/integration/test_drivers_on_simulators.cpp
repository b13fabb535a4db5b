// Every driver against its simulator, over a real pseudo-terminal and over
// loopback TCP: identity, preparation, and the role's own operations, with
// the readings checked against the physical model behind the simulator.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

#include "drivers/registry.hpp"
#include "sim_wire.hpp"

using namespace mpobench;
using namespace std::chrono_literals;
using testing::Wire;
using testing::WiredInstrument;

namespace {

fixtures::Window recent_window(const WiredInstrument& wired,
                               std::chrono::milliseconds instrument_time) {
    const auto now = wired.clock().now();
    return {now - wired.clock().scaled(instrument_time), now};
}

void exercise_power_meter(drivers::PowerMeter& meter, WiredInstrument& wired) {
    meter.set_wavelength_nm(1310);
    meter.set_averaging_time(100ms);
    // Models average in whole samples (the PM100 in ~3 ms steps).
    CHECK(std::chrono::abs(meter.averaging_time() - 100ms) <= 3ms);
    meter.start_measurement();
    const auto readings = meter.read_all_dbm();
    REQUIRE(static_cast<int>(readings.size()) == meter.channel_count());

    if (meter.channel_count() == 1) {  // the tap monitor sees the source itself
        REQUIRE(readings[0].ok());
        const double truth = wired.bench().monitor_power_dbm(1310, recent_window(wired, 100ms));
        CHECK(readings[0].dbm == Approx(truth).margin(0.05));
        return;
    }
    // Type B, end A launched on fibre 1: only far-end position 12 lights,
    // port 8 of the meter serving positions 5-12.
    const auto lit = std::count_if(readings.begin(), readings.end(),
                                   [](const auto& r) { return r.ok() && r.dbm > -50.0; });
    CHECK(lit == 1);
    REQUIRE(readings.at(7).ok());
    const double truth = wired.bench().far_end_power_dbm(12, 1310, recent_window(wired, 100ms));
    CHECK(readings[7].dbm == Approx(truth).margin(0.05));
    const auto single = meter.read_dbm(8);
    REQUIRE(single.ok());
    CHECK(single.dbm == Approx(truth).margin(0.05));
}

void exercise_light_source(drivers::LightSource& source, WiredInstrument& wired) {
    const auto wavelengths = source.wavelengths_nm();
    CHECK(std::find(wavelengths.begin(), wavelengths.end(), 1310.0) != wavelengths.end());
    CHECK(std::find(wavelengths.begin(), wavelengths.end(), 1550.0) != wavelengths.end());
    source.select_wavelength_nm(1550);
    source.wait_stable();
    CHECK(source.wavelength_nm() == Approx(1550));
    CHECK(wired.bench().source_wavelength_nm() == Approx(1550));
    CHECK(wired.bench().source_output());
    CHECK(wired.bench().source_stable_at() <= wired.clock().now());
    source.set_output(false);
    CHECK_FALSE(wired.bench().source_output());
}

void exercise_switch(drivers::OpticalSwitch& optical_switch, WiredInstrument& wired) {
    CHECK(optical_switch.port_count() >= 12);
    optical_switch.route(7);
    CHECK(optical_switch.current_port() == 7);
    CHECK(wired.bench().switch_port() == 7);
    CHECK(wired.bench().switch_settled_at() <= wired.clock().now());
}

void exercise_return_loss_meter(drivers::ReturnLossMeter& rl, WiredInstrument& wired) {
    rl.set_wavelength_nm(1310);
    rl.set_averaging_time(1000ms);
    rl.start_measurement();
    const auto reading = rl.read_rl_db();
    REQUIRE(reading.ok());
    const auto truth = wired.bench().return_loss_db(1310, recent_window(wired, 1000ms));
    REQUIRE(truth.has_value());
    CHECK(reading.rl_db == Approx(*truth).margin(1.5));
    CHECK(reading.rl_db == Approx(wired.bench().dut().end_a.rl_db.at(1310).at(0)).margin(1.5));
}

}  // namespace

TEST_CASE("every driver works its simulator over a pty and over TCP") {
    for (const auto& model : testing::all_models()) {
        for (const Wire wire : {Wire::Pty, Wire::Tcp}) {
            DYNAMIC_SECTION(model.model_key << " over " << testing::to_string(wire)) {
                WiredInstrument wired(model, wire);
                auto instrument = drivers::make_instrument(wired.config());
                const auto identity = instrument->identify();
                INFO(identity.vendor << "," << identity.model << "," << identity.serial << ","
                                     << identity.firmware);
                CHECK(instrument->accepts(identity));
                CHECK(identity.serial.find("SIM0001") != std::string::npos);
                instrument->prepare();
                CHECK(instrument->drain_errors().empty());

                if (auto* meter = dynamic_cast<drivers::PowerMeter*>(instrument.get())) {
                    exercise_power_meter(*meter, wired);
                } else if (auto* source = dynamic_cast<drivers::LightSource*>(instrument.get())) {
                    exercise_light_source(*source, wired);
                } else if (auto* sw = dynamic_cast<drivers::OpticalSwitch*>(instrument.get())) {
                    exercise_switch(*sw, wired);
                } else if (auto* rl = dynamic_cast<drivers::ReturnLossMeter*>(instrument.get())) {
                    exercise_return_loss_meter(*rl, wired);
                } else {
                    FAIL("no role interface for " << model.model_key);
                }
                CHECK(instrument->drain_errors().empty());
            }
        }
    }
}

TEST_CASE("a driver refuses an instrument of another model") {
    const auto& models = testing::all_models();
    WiredInstrument wired(models.at(0), Wire::Tcp);  // a Keysight meter answers
    auto config = wired.config();
    config.model = "thorlabs-pm100";
    auto instrument = drivers::make_instrument(config);
    CHECK_FALSE(instrument->accepts(instrument->identify()));
}
