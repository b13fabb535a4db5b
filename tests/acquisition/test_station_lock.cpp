// The bench lock (one procedure per bench, across processes), the stop
// request and the laser: the bench's own protections of the record.

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "acquisition/bench.hpp"
#include "acquisition/operator.hpp"
#include "acquisition/procedures.hpp"
#include "acquisition/station_lock.hpp"
#include "drivers/registry.hpp"
#include "sim_station.hpp"

using namespace mpobench;
using namespace mpobench::acquisition;
using namespace mpobench::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

drivers::InstrumentConfig tcp_instrument(const std::string& name, const std::string& resource) {
    drivers::InstrumentConfig config;
    config.name = name;
    config.resource = resource;
    return config;
}

StationConfig station_of(const std::string& name, std::vector<drivers::InstrumentConfig> list) {
    StationConfig station;
    station.name = name;
    station.instruments = std::move(list);
    return station;
}

BenchHolder test_holder(const std::string& serial) {
    BenchHolder holder;
    holder.procedure = "test";
    holder.operator_name = "ana";
    holder.serial = serial;
    return holder;
}

// A stop request the test raises by hand.
struct ManualStop final : StopRequest {
    std::optional<std::string> reason() const override {
        if (!raised)
            return std::nullopt;
        return std::string("operator abort (test)");
    }
    std::atomic<bool> raised{false};
};

// Whether a laser of the simulated 8163B shines, asked over the wire as a
// second client would (slot 1: the MM module, slot 2: the SM one).
bool laser_lit(const StationConfig& station) {
    const auto* source = station.find("source");
    REQUIRE(source);
    auto session = drivers::make_session(*source);
    return session->query(":SOUR1:POW:STAT?") == "+1" || session->query(":SOUR2:POW:STAT?") == "+1";
}

}  // namespace

TEST_CASE("one resource has one lock key whatever its spelling", "[lock]") {
    CHECK(resource_lock_key("TCPIP0::127.0.0.1::5025::SOCKET") ==
          resource_lock_key("tcpip::127.0.0.1::5025::socket"));
    CHECK(resource_lock_key("TCPIP0::localhost::5025::SOCKET") ==
          resource_lock_key("TCPIP1::127.0.0.1::5025::SOCKET"));
    CHECK(resource_lock_key("TCPIP0::127.0.0.1::5025::SOCKET") !=
          resource_lock_key("TCPIP0::127.0.0.1::5026::SOCKET"));

    TempDir dir;
    const auto device = dir.file("ttyUSB0");
    { std::ofstream(device) << ""; }
    std::filesystem::create_symlink(device, dir.file("by-id-link"));
    CHECK(resource_lock_key("ASRL" + dir.file("by-id-link").string() + "::INSTR") ==
          resource_lock_key("ASRL" + device.string() + "::INSTR"));
}

TEST_CASE("a second holder of any instrument of a bench is refused, naming the first", "[lock]") {
    TempDir dir;
    const auto line_1 =
        station_of("line-1", {tcp_instrument("source", "TCPIP0::127.0.0.1::5025::SOCKET"),
                              tcp_instrument("meter", "TCPIP0::127.0.0.1::5026::SOCKET")});
    std::optional<StationLock> first;
    first.emplace(line_1, test_holder("SN-1"), dir.path());
    auto holder = first->holder();
    holder.run_id = 17;
    first->update(holder);

    SECTION("the same station file") {
        try {
            StationLock second(line_1, test_holder("SN-2"), dir.path());
            FAIL("two holders of one bench");
        } catch (const StationBusy& busy) {
            const auto since = fmt::format(
                "{:%H:%M}", fmt::localtime(std::chrono::system_clock::to_time_t(holder.since)));
            CHECK_THAT(
                std::string(busy.what()),
                StartsWith(fmt::format("station line-1 busy: run 17 (ana, SN-1) since {}", since)));
            REQUIRE(busy.holder());
            CHECK(busy.holder()->pid == ::getpid());
            CHECK(busy.holder()->serial == "SN-1");
        }
    }
    SECTION("another station file naming one of its instruments another way") {
        const auto other =
            station_of("bench-b", {tcp_instrument("meter", "TCPIP::localhost::5026::SOCKET")});
        try {
            StationLock second(other, test_holder("SN-2"), dir.path());
            FAIL("two holders of one instrument");
        } catch (const StationBusy& busy) {
            CHECK_THAT(std::string(busy.what()),
                       StartsWith("station bench-b busy: run 17 (ana, SN-1) since") &&
                           Contains("station line-1 on the same instruments"));
        }
    }
    SECTION("a reference says what it is") {
        first.reset();
        BenchHolder reference;
        reference.procedure = "reference";
        reference.operator_name = "bo";
        StationLock taking(line_1, reference, dir.path());
        try {
            StationLock second(line_1, test_holder("SN-2"), dir.path());
            FAIL("two holders of one bench");
        } catch (const StationBusy& busy) {
            CHECK_THAT(std::string(busy.what()),
                       StartsWith("station line-1 busy: reference (bo) since"));
        }
    }
    SECTION("a holder's text comes back whole, whatever characters it holds") {
        holder.serial = "SN \"7\"\nB=2";
        first->update(holder);
        try {
            StationLock second(line_1, test_holder("SN-2"), dir.path());
            FAIL("two holders of one bench");
        } catch (const StationBusy& busy) {
            REQUIRE(busy.holder());
            CHECK(busy.holder()->serial == "SN \"7\"\nB=2");
            CHECK(busy.holder()->run_id == 17);
        }
    }
    SECTION("a lock file that is not a holder's record names no holder") {
        for (const auto& file : first->files()) {
            std::ofstream(file, std::ios::trunc) << "{\"pid\": ";
        }
        try {
            StationLock second(line_1, test_holder("SN-2"), dir.path());
            FAIL("two holders of one bench");
        } catch (const StationBusy& busy) {
            CHECK_FALSE(busy.holder());
        }
    }
    SECTION("released with its holder, and its files gone") {
        const auto files = first->files();
        REQUIRE(files.size() == 2);
        first.reset();
        for (const auto& file : files)
            CHECK_FALSE(std::filesystem::exists(file));
        StationLock second(line_1, test_holder("SN-2"), dir.path());
        CHECK(second.files().size() == 2);
    }
}

TEST_CASE("two modules on one resource share one lock", "[lock]") {
    TempDir dir;
    const auto mainframe =
        station_of("line-1", {tcp_instrument("source", "TCPIP0::127.0.0.1::5025::SOCKET"),
                              tcp_instrument("rl", "TCPIP0::127.0.0.1::5025::SOCKET"),
                              tcp_instrument("meter", "TCPIP0::127.0.0.1::5030::SOCKET")});
    StationLock lock(mainframe, test_holder("SN-1"), dir.path());
    CHECK(lock.files().size() == 2);
}

TEST_CASE("the bench stops at the next operation once asked, and connects with the laser off",
          "[bench][stop][laser]") {
    SimStation sim(steady_dut("elite_sm_12f_b.json"));
    Bench bench(sim.station);
    ManualStop stop;
    bench.set_stop_request(&stop);
    bench.connect();
    CHECK_FALSE(laser_lit(sim.station));

    bench.select_wavelength_nm(1310);
    CHECK(laser_lit(sim.station));
    bench.route_launch(2);

    stop.raised = true;
    CHECK_THROWS_WITH(bench.route_launch(3), "operator abort (test)");
    CHECK_THROWS_AS(bench.read_launch(true), Stopped);
    CHECK(bench.launch_port() == 2);  // the switch was not touched

    // The laser goes off even when asked to stop, and comes on again with
    // the next wavelength selected, even the same one.
    bench.laser_off();
    CHECK_FALSE(laser_lit(sim.station));
    CHECK_FALSE(bench.wavelength_nm());
    stop.raised = false;
    bench.select_wavelength_nm(1310);
    CHECK(laser_lit(sim.station));
}

TEST_CASE("a stop request ends the production test between launches", "[production][stop]") {
    SimStation sim(steady_dut("elite_sm_12f_b.json"));
    Bench bench(sim.station);
    bench.connect();
    auto op = make_operator(sim.station, "tester");
    ReferenceOptions options = reference_options(FiberMode::SM, 12);
    const Reference reference = take_reference(bench, *op, options);

    ManualStop stop;
    bench.set_stop_request(&stop);
    Part part;
    part.number = "MPO12-SM-B-E";
    part.fibers = 12;
    part.mode = FiberMode::SM;
    part.polarity = PolarityType::B;
    RunRecord run = production_run(part, "SN-STOP");
    struct StopAfter final : MeasurementSink {
        explicit StopAfter(ManualStop& stop) : stop(stop) {}
        void on_measurement(const Measurement&) override {
            if (++seen == 5)
                stop.raised = true;
        }
        ManualStop& stop;
        int seen = 0;
    } sink(stop);
    CHECK_THROWS_AS(run_production_test(bench, *op, reference, run, sink), Stopped);
    CHECK(run.measurements.size() == 5);
}

TEST_CASE("a console prompt gives way to a stop request", "[operator][stop]") {
    ManualStop stop;
    stop.raised = true;
    std::istringstream input("\n");
    std::ostringstream prompts;
    auto op = make_console_operator("ana", input, prompts, &stop);
    CHECK_THROWS_AS(op->perform(OperatorStep::ConnectEndA, "SN1"), Stopped);
}

TEST_CASE("a simulated operator's step gives way to a stop request", "[operator][stop]") {
    // At real timing a plug takes seconds; the stop comes after 0.2 s.
    SimStation sim(steady_dut("elite_sm_12f_b.json"), 1.0);
    ManualStop stop;
    auto op = make_simulated_operator(sim.station.operator_channel, "tester", &stop);
    std::thread raise([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        stop.raised = true;
    });
    const auto started = std::chrono::steady_clock::now();
    CHECK_THROWS_AS(op->perform(OperatorStep::ConnectEndA, "SN1"), Stopped);
    raise.join();
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(1));
}
