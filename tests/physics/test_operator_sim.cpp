// The simulated operator's control channel, line by line.

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <string>

#include "fixtures/bench_model.hpp"
#include "fixtures/simulators/simulators.hpp"

using namespace mpobench;
using namespace mpobench::fixtures;
using namespace std::chrono_literals;

namespace {

const std::filesystem::path kDataDir = std::filesystem::path(MPOBENCH_SOURCE_DIR) / "fixtures/data";

struct Bench {
    explicit Bench(std::optional<std::uint64_t> seed, double time_scale = 0.0)
        : clock(time_scale), model(BenchModelOptions{}, clock) {
        model.set_dut(load_dut(kDataDir / "elite_sm_12f_b.json"));
        sim = make_operator_sim({"operator", "OP-TEST-1", 1}, model, clock, seed);
    }

    std::string ask(const std::string& line) {
        const auto outcome = sim->handle_line(line);
        REQUIRE(outcome.reply.has_value());
        return *outcome.reply;
    }
    void send(const std::string& line) {
        const auto outcome = sim->handle_line(line);
        CHECK_FALSE(outcome.reply.has_value());
    }

    SimClock clock;
    BenchModel model;
    std::shared_ptr<SimInstrument> sim;
};

}  // namespace

TEST_CASE("operator identifies itself", "[operator]") {
    Bench bench(std::nullopt);
    CHECK(bench.ask("*IDN?") == "mpobench,Simulated Operator,OP-TEST-1," MPOBENCH_VERSION);
    CHECK(bench.ask("SYST:ERR?") == "0,\"No error\"");
}

TEST_CASE("operator connects, re-mates and disconnects", "[operator]") {
    Bench bench(std::nullopt);
    CHECK(bench.ask(":CONNect?") == "NONE");
    bench.send(":CONN A");
    CHECK(bench.ask("*OPC?") == "1");
    CHECK(bench.ask(":CONN?") == "A");
    CHECK(bench.model.connection() == Connection::EndA);
    CHECK(bench.ask(":MAT:COUN?") == "1");
    bench.send(":REMate");
    CHECK(bench.ask(":MATing:COUNt?") == "2");
    bench.send(":conn b");
    CHECK(bench.ask(":CONN?") == "B");
    CHECK(bench.ask(":MAT:COUN?") == "3");
    bench.send(":CONNect REFerence");
    CHECK(bench.ask(":CONN?") == "REF");
    CHECK(bench.ask(":MAT:COUN?") == "3");
    bench.send(":CONN REF");
    CHECK(bench.model.connection() == Connection::Reference);
    bench.send(":DISConnect");
    CHECK(bench.ask(":CONN?") == "NONE");
    CHECK(bench.ask("SYST:ERR?") == "0,\"No error\"");
}

TEST_CASE("operator's hands take time: the light path is dark until plugged",
          "[operator][timing]") {
    Bench bench(std::nullopt, 1.0);
    bench.model.set_source_output(true);
    bench.model.set_switch_port(1);
    const auto sent = bench.clock.now();
    bench.send(":CONN REF");
    const double dark = bench.model.options().meter_floor_dbm - 30.0;
    CHECK(bench.model.far_end_power_dbm(1, 1310, {sent, sent + 100ms}) == dark);
    // About 3 s of operator time; light once it is done.
    CHECK(bench.model.far_end_power_dbm(1, 1310, {sent + 2500ms, sent + 2600ms}) == dark);
    CHECK(bench.model.far_end_power_dbm(1, 1310, {sent + 3100ms, sent + 3200ms}) > -20.0);
}

TEST_CASE("operator refuses what cannot be done", "[operator][errors]") {
    Bench bench(std::nullopt);
    SECTION("re-mate with nothing connected") {
        bench.send(":REM");
        CHECK_THAT(bench.ask("SYST:ERR?"), Catch::StartsWith("-221,\"Settings conflict"));
    }
    SECTION("connect to something unknown") {
        bench.send(":CONN C");
        CHECK_THAT(bench.ask("SYST:ERR?"), Catch::StartsWith("-224,"));
        bench.send(":CONN");
        CHECK_THAT(bench.ask("SYST:ERR?"), Catch::StartsWith("-109,"));
        bench.send(":CONN A,B");
        CHECK_THAT(bench.ask("SYST:ERR?"), Catch::StartsWith("-108,"));
    }
    SECTION("next assembly without a random seed") {
        bench.send(":DUT:NEXT 24,SM,C");
        CHECK(bench.ask("SYST:ERR?") ==
              "-221,\"Settings conflict;no random assemblies without a random seed\"");
        CHECK(bench.ask(":DUT:FIB?") == "12");
    }
    SECTION("unknown command") {
        bench.send(":TEA:MAKE");
        CHECK_THAT(bench.ask("SYST:ERR?"), Catch::StartsWith("-113,"));
    }
}

TEST_CASE("operator picks up the next random assembly", "[operator][random]") {
    Bench bench(std::uint64_t{7});
    CHECK(bench.ask(":DUT:FIBers?") == "12");
    bench.send(":CONN A");
    bench.send(":DUT:NEXT 24,SM,C");
    CHECK(bench.ask("SYST:ERR?") == "0,\"No error\"");
    CHECK(bench.ask(":DUT:FIB?") == "24");
    CHECK(bench.ask(":DUT:MODE?") == "SM");
    CHECK(bench.ask(":DUT:POL?") == "C");
    // The old assembly went away with its connection and matings.
    CHECK(bench.ask(":CONN?") == "NONE");
    CHECK(bench.ask(":MAT:COUN?") == "0");
    // Assembly 1 of the seed: the bench started with assembly 0.
    const Dut expected = RandomDutGenerator(7, 1).next(24, FiberMode::SM, PolarityType::C);
    CHECK(dut_to_json(bench.model.dut()) == dut_to_json(expected));

    bench.send(":DUT:NEXT 8,MM,A");
    CHECK(bench.ask(":DUT:FIB?;:DUT:MODE?") == "8;MM");

    bench.send(":DUT:NEXT 10,SM,A");
    CHECK_THAT(bench.ask("SYST:ERR?"), Catch::StartsWith("-224,"));
    bench.send(":DUT:NEXT 12,OM3,A");
    CHECK_THAT(bench.ask("SYST:ERR?"), Catch::StartsWith("-224,"));
    bench.send(":DUT:NEXT 12,SM,D");
    CHECK_THAT(bench.ask("SYST:ERR?"), Catch::StartsWith("-224,"));
    bench.send(":DUT:NEXT 72,SM,A");  // the default bench has 32 positions
    CHECK_THAT(bench.ask("SYST:ERR?"), Catch::StartsWith("-221,"));
    bench.send(":DUT:NEXT 12,SM");
    CHECK_THAT(bench.ask("SYST:ERR?"), Catch::StartsWith("-109,"));
    CHECK(bench.ask(":DUT:FIB?") == "8");
}

TEST_CASE("operator channel arms faults on the running bench", "[operator][faults]") {
    SimClock clock(0.0);
    BenchModel model(BenchModelOptions{}, clock);
    std::vector<FaultSpec> armed;
    const auto sim = make_operator_sim({"operator", "OP-TEST-1", 1}, model, clock, std::nullopt,
                                       [&](const FaultSpec& spec) { armed.push_back(spec); });
    const auto ask = [&](const std::string& line) {
        const auto outcome = sim->handle_line(line);
        REQUIRE(outcome.reply.has_value());
        return *outcome.reply;
    };

    CHECK(ask(":SIMulation:FAULts?") == "\"\"");
    // A quoted spec may hold ';' and ',' (a command prefix with parameters).
    CHECK_FALSE(
        sim->handle_line(":SIM:FAUL \"switch:timeout@7+/:ROUT1:CHAN1 A,5;meter:reset@2\"").reply);
    REQUIRE(armed.size() == 1);
    REQUIRE(armed[0].rules.size() == 2);
    CHECK(armed[0].rules[0].command == ":rout1:chan1 a,5");
    CHECK(armed[0].rules[1].kind == FaultKind::Reset);
    CHECK(ask(":SIM:FAUL?") == "\"switch:timeout@7+/:ROUT1:CHAN1 A,5;meter:reset@2\"");
    CHECK(ask("SYST:ERR?") == "0,\"No error\"");

    // Doubled quotes stand for one; "" clears.
    CHECK_FALSE(sim->handle_line(":SIM:FAUL ''").reply);
    REQUIRE(armed.size() == 2);
    CHECK(armed[1].rules.empty());
    CHECK(ask(":SIM:FAUL?") == "\"\"");

    // A bad spec is refused with its reason and changes nothing.
    sim->handle_line(":SIM:FAUL \"meter:bogus@1\"");
    CHECK(armed.size() == 2);
    CHECK_THAT(ask("SYST:ERR?"), Catch::StartsWith("-224,") && Catch::Contains("bogus"));
    sim->handle_line(":SIM:FAUL meter:timeout@1");  // not a quoted string
    CHECK_THAT(ask("SYST:ERR?"), Catch::StartsWith("-151,"));
    CHECK(armed.size() == 2);
}

TEST_CASE("an operator channel without a bench refuses faults at run time", "[operator][faults]") {
    Bench bench(std::nullopt);
    bench.sim->handle_line(":SIM:FAUL \"meter:timeout@1\"");
    CHECK_THAT(bench.ask("SYST:ERR?"), Catch::StartsWith("-221,") && Catch::Contains("--faults"));
}
