// The bench built from a station file, and the operator in both its forms,
// against the simulated bench.

#include <catch2/catch.hpp>
#include <chrono>
#include <sstream>

#include "acquisition/bench.hpp"
#include "acquisition/operator.hpp"
#include "drivers/errors.hpp"
#include "drivers/registry.hpp"
#include "sim_station.hpp"

using namespace mpobench;
using namespace mpobench::acquisition;
using namespace mpobench::testing;
using Catch::Matchers::Contains;

namespace {

drivers::InstrumentConfig* instrument(StationConfig& station, const std::string& name) {
    for (auto& config : station.instruments) {
        if (config.name == name)
            return &config;
    }
    FAIL("the station has no " << name);
    return nullptr;
}

// Asks the simulated operator channel directly, as a second client would.
std::string ask_operator_channel(const StationConfig& station, const std::string& query) {
    drivers::InstrumentConfig channel;
    channel.name = "operator";
    channel.resource = station.operator_channel.resource;
    auto session = drivers::make_session(channel);
    return session->query(query);
}

}  // namespace

TEST_CASE("the bench connects to every simulated instrument", "[bench]") {
    SimStation sim(steady_dut("elite_sm_12f_b.json"), 0.01);
    Bench bench(sim.station);
    bench.connect();

    const auto records = bench.instruments();
    REQUIRE(records.size() == sim.station.instruments.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
        const auto& config = sim.station.instruments[i];
        CHECK(records[i].name == config.name);
        CHECK(records[i].model_key == config.model);
        CHECK(records[i].resource == config.resource);
        CHECK(records[i].role == config.role);
        CHECK(records[i].calibration_due == config.calibration_due.value_or(""));
        CHECK_FALSE(records[i].vendor.empty());
        CHECK_FALSE(records[i].serial.empty());
    }
    CHECK(records[2].model == "N7734C");  // the switch, in station order
    CHECK(bench.return_loss_meter() != nullptr);
    CHECK(bench.monitor() != nullptr);
    CHECK(bench.far_position_count() == 32);
    CHECK(bench.far_end_meters().size() == 4);  // four 8-port N7745C
    CHECK(bench.far_end_port(9).meter->role() == "meter2");
    CHECK(bench.far_end_port(9).channel == 1);
    CHECK(bench.far_end_port(32).channel == 8);
    CHECK_THROWS_AS(bench.far_end_port(33), std::out_of_range);
    CHECK(bench.launch_switch().port_count() == 32);
    CHECK_NOTHROW(bench.check_calibration("2000-01-01"));

    // The light path skips what is in place; the order starts with it.
    CHECK_FALSE(bench.wavelength_nm());
    CHECK(bench.wavelength_order({1310, 1550}) == std::vector<int>{1310, 1550});
    bench.select_wavelength_nm(1550);
    bench.wait_until_source_stable();
    CHECK(bench.wavelength_nm() == 1550);
    CHECK(bench.wavelength_order({1310, 1550}) == std::vector<int>{1550, 1310});
    CHECK(bench.source().wavelength_nm() == Approx(1550.0));
    bench.route_launch(5);
    CHECK(bench.launch_port() == 5);
    CHECK(bench.launch_switch().current_port() == 5);
    const LaunchReading reading = bench.read_launch(true);
    CHECK(reading.far_end.size() == 32);
    REQUIRE(reading.return_loss);
}

TEST_CASE("a station whose instrument is another model is refused at connect", "[bench]") {
    SimStation sim(steady_dut("elite_sm_12f_b.json"), 0.01);
    StationConfig station = sim.station;
    // The file says the meter is a single-sensor Thorlabs PM100 (no channels).
    instrument(station, "meter")->model = "thorlabs-pm100";
    instrument(station, "meter")->channels = 0;
    Bench bench(station);
    try {
        bench.connect();
        FAIL("connect accepted a Keysight meter as a Thorlabs PM100");
    } catch (const BenchConfigurationError& error) {
        const std::string message = error.what();
        CHECK_THAT(message, Contains("instruments.meter is model 'thorlabs-pm100'"));
        CHECK_THAT(message, Contains("N7745C"));
        CHECK_THAT(message, Contains(instrument(station, "meter")->resource));
    }
}

TEST_CASE("a station file the bench cannot use is a configuration error", "[bench]") {
    SimStation sim(steady_dut("elite_sm_12f_b.json"), 0.01);
    SECTION("no far-end meter") {
        StationConfig station = sim.station;
        std::erase_if(station.instruments, [](const drivers::InstrumentConfig& config) {
            return config.role == drivers::Role::PowerMeter && !config.monitor;
        });
        CHECK_THROWS_MATCHES(
            Bench(station), BenchConfigurationError,
            Catch::Matchers::Predicate<BenchConfigurationError>(
                [](const BenchConfigurationError& error) {
                    const std::string message = error.what();
                    return message.find("no far-end power_meter") != std::string::npos &&
                           message.find("switch (optical_switch)") != std::string::npos;
                }));
    }
    SECTION("no light source") {
        StationConfig station = sim.station;
        std::erase_if(station.instruments, [](const drivers::InstrumentConfig& config) {
            return config.role == drivers::Role::LightSource;
        });
        CHECK_THROWS_WITH(Bench(station), Contains("no light_source"));
    }
    SECTION("two sources") {
        StationConfig station = sim.station;
        auto second = *instrument(station, "source");
        second.name = "laser2";
        station.instruments.push_back(second);
        CHECK_THROWS_WITH(Bench(station), Contains("instruments.laser2: a second light_source") &&
                                              Contains("instruments.source is one"));
    }
    SECTION("two monitors") {
        StationConfig station = sim.station;
        auto second = *instrument(station, "monitor");
        second.name = "tap2";
        station.instruments.push_back(second);
        CHECK_THROWS_WITH(Bench(station), Contains("instruments.tap2: a second tap monitor"));
    }
    SECTION("overlapping far positions") {
        StationConfig station = sim.station;
        instrument(station, "meter2")->far_positions = {8, 9, 10, 11, 12, 13, 14, 15};
        CHECK_THROWS_WITH(Bench(station),
                          Contains("instruments.meter2.far_positions: position 8 is also served "
                                   "by instruments.meter"));
    }
    SECTION("a far position no meter serves") {
        StationConfig station = sim.station;
        instrument(station, "meter2")->far_positions = {10, 11, 12, 13, 14, 15, 16};
        CHECK_THROWS_WITH(Bench(station), Contains("far position 9 is served by no meter") &&
                                              Contains("instruments.meter2.far_positions"));
    }
    SECTION("more positions than the meter's channels in the file") {
        StationConfig station = sim.station;
        instrument(station, "meter4")->far_positions = {25, 26, 27, 28, 29, 30, 31, 32, 33};
        CHECK_THROWS_WITH(Bench(station),
                          Contains("instruments.meter4.far_positions: names 9 positions, beyond "
                                   "the meter's channels = 8"));
    }
    SECTION("more positions than the meter has, found at connect") {
        StationConfig station = sim.station;
        instrument(station, "meter4")->channels = 0;  // ask the meter
        instrument(station, "meter4")->far_positions = {25, 26, 27, 28, 29, 30, 31, 32, 33};
        Bench bench(station);
        CHECK_THROWS_WITH(bench.connect(),
                          Contains("instruments.meter4.far_positions: names 9 positions, but the "
                                   "meter has 8 channels"));
    }
    SECTION("several far-end meters, one without far positions") {
        StationConfig station = sim.station;
        instrument(station, "meter3")->far_positions.clear();
        CHECK_THROWS_WITH(Bench(station), Contains("instruments.meter3.far_positions: missing"));
    }
    SECTION("an unknown model key") {
        StationConfig station = sim.station;
        instrument(station, "source")->model = "acme-laser";
        CHECK_THROWS_WITH(Bench(station), Contains("instruments.source") && Contains("acme-laser"));
    }
    SECTION("a model of another role") {
        StationConfig station = sim.station;
        instrument(station, "switch")->model = "keysight-n774x";
        CHECK_THROWS_AS(Bench(station), BenchConfigurationError);
    }
    SECTION("without the optional instruments the bench still works") {
        StationConfig station = sim.station;
        std::erase_if(station.instruments, [](const drivers::InstrumentConfig& config) {
            return config.name == "rl" || config.name == "monitor";
        });
        Bench bench(station);
        bench.connect();
        CHECK(bench.return_loss_meter() == nullptr);
        CHECK(bench.monitor() == nullptr);
        CHECK(bench.instruments().size() == 6);  // source, switch, four meters
        bench.select_wavelength_nm(1310);
        bench.wait_until_source_stable();
        bench.route_launch(1);
        CHECK_FALSE(bench.read_launch(true).return_loss);
    }
}

TEST_CASE("a launch reads every far-end meter in one window, in far-position order", "[bench]") {
    SimStation sim(steady_dut("elite_sm_12f_b.json"), 0.01);
    StationConfig station = sim.station;
    // The first two meters' cables swapped on the fan-out: "meter" (whose
    // ports see detectors 1-8) now serves far positions 9-16.
    instrument(station, "meter")->far_positions = {9, 10, 11, 12, 13, 14, 15, 16};
    instrument(station, "meter2")->far_positions = {1, 2, 3, 4, 5, 6, 7, 8};
    Bench bench(station);
    bench.connect();
    CHECK(bench.instruments().size() == station.instruments.size());
    auto op = make_operator(station, "tester");
    op->perform(OperatorStep::ConnectReference, "LC-REF-1");
    bench.select_wavelength_nm(1310);
    bench.wait_until_source_stable();
    bench.route_launch(3);
    const auto started = std::chrono::steady_clock::now();
    const LaunchReading reading = bench.read_launch(false);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    REQUIRE(reading.far_end.size() == 32);
    // Detector 3 is port 3 of "meter", which the file calls position 11.
    REQUIRE(reading.far_end[10].ok());
    CHECK(reading.far_end[10].dbm > -20.0);
    for (std::size_t i = 0; i < reading.far_end.size(); ++i) {
        if (i != 10 && reading.far_end[i].ok())
            CHECK(reading.far_end[i].dbm < -60.0);
    }
    // Four meters' 100 ms windows (1 ms here) overlap: far less than their
    // sum plus the exchanges of reading them one after another would allow
    // if each waited for the last.
    CHECK(elapsed < std::chrono::seconds(2));
    op->perform(OperatorStep::Disconnect, "LC-REF-1");
}

TEST_CASE("the two-meter example station file describes a bench", "[bench]") {
    StationConfig station = load_station(std::string(MPOBENCH_SOURCE_DIR) +
                                         "/fixtures/stations/two-meter-bench-example.toml");
    CHECK_NOTHROW(Bench(station));  // roles and far positions; nothing connected
    instrument(station, "meter_right")->far_positions = {8, 9, 10, 11, 12, 13, 14, 15};
    CHECK_THROWS_WITH(Bench(station), Contains("two-meter-bench-example.toml") &&
                                          Contains("instruments.meter_right.far_positions: "
                                                   "position 8 is also served by "
                                                   "instruments.meter_left"));
}

TEST_CASE("an older station file (names source, switch, meter, rl, monitor) works unchanged",
          "[bench]") {
    SimStation sim(steady_dut("elite_sm_12f_b.json"), 0.01);
    StationConfig station = sim.station;
    // One far-end meter with no far positions, the monitor known by its name.
    std::erase_if(station.instruments, [](const drivers::InstrumentConfig& config) {
        return config.name == "meter2" || config.name == "meter3" || config.name == "meter4";
    });
    instrument(station, "meter")->far_positions.clear();
    instrument(station, "monitor")->monitor = false;
    Bench bench(station);
    bench.connect();
    CHECK(bench.far_position_count() == 8);  // positions 1..its channels
    CHECK(bench.monitor() != nullptr);
    CHECK(bench.far_end_meters().size() == 1);
    bench.select_wavelength_nm(1310);
    bench.wait_until_source_stable();
    bench.route_launch(1);
    const auto reading = bench.read_launch(true);
    CHECK(reading.far_end.size() == 8);
    CHECK(reading.monitor.has_value());
}

TEST_CASE("an instrument past its calibration date refuses the bench", "[bench]") {
    SimStation sim(steady_dut("elite_sm_12f_b.json"), 0.01);
    StationConfig station = sim.station;
    instrument(station, "rl")->calibration_due = "2024-03-31";
    instrument(station, "monitor")->calibration_due = "2024-04-01";
    Bench bench(station);
    try {
        bench.check_calibration("2024-04-01");
        FAIL("an overdue instrument was accepted");
    } catch (const Refused& refused) {
        const std::string message = refused.what();
        CHECK_THAT(message, Contains("rl (keysight-81610a) was due 2024-03-31"));
        // Due today is still in calibration.
        CHECK_THAT(message, !Contains("monitor"));
    }
    CHECK_NOTHROW(bench.check_calibration("2024-03-31"));
}

TEST_CASE("an unreachable instrument fails connect with its context", "[bench]") {
    SimStation sim(steady_dut("elite_sm_12f_b.json"), 0.01, "rl:timeout@1+");
    StationConfig station = sim.station;
    instrument(station, "rl")->timeout = std::chrono::milliseconds(200);
    Bench bench(station);
    try {
        bench.connect();
        FAIL("connect succeeded without an answer from rl");
    } catch (const drivers::InstrumentError& error) {
        CHECK(error.kind() == drivers::ErrorKind::Timeout);
        CHECK_THAT(std::string(error.what()), Contains("rl (") && Contains("*IDN?"));
    }
}

TEST_CASE("the simulated operator performs each step on the operator channel", "[operator]") {
    SimStation sim(steady_dut("elite_sm_12f_b.json"), 0.001);
    auto op = make_operator(sim.station, "tester");
    CHECK(op->name() == "tester");

    op->perform(OperatorStep::ConnectReference, "LC-REF-1");
    CHECK(ask_operator_channel(sim.station, ":CONNect?") == "REF");
    op->perform(OperatorStep::ConnectEndA, "SN1");
    CHECK(ask_operator_channel(sim.station, ":CONNect?") == "A");
    const auto matings = std::stoll(ask_operator_channel(sim.station, ":MATing:COUNt?"));
    op->perform(OperatorStep::Remate, "SN1");
    CHECK(std::stoll(ask_operator_channel(sim.station, ":MATing:COUNt?")) == matings + 1);
    op->perform(OperatorStep::ConnectEndB, "SN1");
    CHECK(ask_operator_channel(sim.station, ":CONNect?") == "B");
    op->perform(OperatorStep::Disconnect, "SN1");
    CHECK(ask_operator_channel(sim.station, ":CONNect?") == "NONE");

    // Re-mating nothing: the channel's error queue says why.
    try {
        op->perform(OperatorStep::Remate, "SN1");
        FAIL("a re-mate with nothing connected succeeded");
    } catch (const drivers::InstrumentError& error) {
        CHECK(error.kind() == drivers::ErrorKind::Device);
        CHECK_THAT(std::string(error.what()), Contains(":REMate") && Contains("nothing connected"));
    }
}

TEST_CASE("a simulated operator that never finishes times out", "[operator]") {
    // The second line the channel receives is the *OPC? after :CONNect A.
    SimStation sim(steady_dut("elite_sm_12f_b.json"), 0.0, "operator:timeout@2");
    StationConfig station = sim.station;
    station.operator_channel.timeout = std::chrono::milliseconds(200);
    auto op = make_simulated_operator(station.operator_channel, "tester");
    try {
        op->perform(OperatorStep::ConnectEndA, "SN1");
        FAIL("the step returned without the operator's *OPC?");
    } catch (const drivers::InstrumentError& error) {
        CHECK(error.kind() == drivers::ErrorKind::Timeout);
        CHECK_THAT(std::string(error.what()), Contains("operator (") && Contains("*OPC?"));
    }
}

TEST_CASE("the console operator prompts and waits for a line", "[operator]") {
    std::istringstream input("\nSN123\n  Abort \n");
    std::ostringstream prompts;
    auto op = make_console_operator("ana", input, prompts);
    CHECK(op->name() == "ana");

    op->perform(OperatorStep::ConnectEndA, "SN123");
    CHECK_THAT(prompts.str(), Contains("Connect END A of SN123 to the launch cord and END B to the "
                                       "meter, then scan its serial or press Enter (or type "
                                       "abort)"));
    // A barcode scanner's line confirms like Enter.
    op->perform(OperatorStep::ConnectEndB, "SN123");
    CHECK_THAT(prompts.str(), Contains("connect END B to the launch cord and END A to the meter"));
    CHECK_THROWS_MATCHES(op->perform(OperatorStep::Remate, "SN123"), OperatorAbort,
                         Catch::Matchers::Predicate<OperatorAbort>([](const OperatorAbort& abort) {
                             return std::string(abort.what())
                                        .find(
                                            "ana aborted the run at: "
                                            "re-mate (SN123)") != std::string::npos;
                         }));
    // The input is used up: the end of input is an abort too.
    CHECK_THROWS_WITH(op->perform(OperatorStep::ConnectReference, "LC-REF-1"),
                      Contains("operator input closed"));
    CHECK_THAT(prompts.str(),
               Contains("Connect the launch cord (LC-REF-1) straight into the meter"));
}

TEST_CASE("a scan at a prompt must be the assembly under test", "[operator]") {
    // A scanner's CR LF, another assembly's serial, a misread label, then
    // the right one.
    std::istringstream input("SN123\r\nSN124\r\nSN12\x1b[A\n SN123 \n\n");
    std::ostringstream prompts;
    auto op = make_console_operator("ana", input, prompts);
    op->perform(OperatorStep::ConnectEndA, "SN123");
    CHECK_THAT(prompts.str(), !Contains("does not match"));
    op->perform(OperatorStep::ConnectEndB, "SN123");
    CHECK_THAT(prompts.str(), Contains("'SN124' does not match SN123: scan SN123 or press Enter"));
    // An arrow key's escape sequence is shown, not sent to the terminal.
    CHECK_THAT(prompts.str(), Contains("'SN12\\x1B[A' does not match SN123"));
    CHECK_THAT(prompts.str(), !Contains("\x1b"));
    // Enter alone still confirms.
    op->perform(OperatorStep::Disconnect, "SN123");
    CHECK_THROWS_AS(op->perform(OperatorStep::Remate, "SN123"), OperatorAbort);
}

TEST_CASE("a console station gets the console operator", "[operator]") {
    StationConfig station;
    station.operator_channel.kind = OperatorConfig::Kind::Console;
    auto op = make_operator(station, "ana");
    CHECK(op->name() == "ana");
    CHECK(to_string(OperatorStep::ConnectEndB) == "connect end B");
}

TEST_CASE("which steps mate which cords", "[operator][cords]") {
    using Role = CordConfig::Role;
    for (const auto step :
         {OperatorStep::ConnectReference, OperatorStep::ConnectEndA, OperatorStep::ConnectEndB}) {
        INFO(to_string(step));
        CHECK(mates_cord(step, Role::Launch));
        CHECK(mates_cord(step, Role::Receive));
    }
    // A re-mate unplugs the launch side only; disconnecting mates nothing.
    CHECK(mates_cord(OperatorStep::Remate, Role::Launch));
    CHECK_FALSE(mates_cord(OperatorStep::Remate, Role::Receive));
    CHECK_FALSE(mates_cord(OperatorStep::Disconnect, Role::Launch));
    CHECK_FALSE(mates_cord(OperatorStep::Disconnect, Role::Receive));
}
