// The simulated source (8163B + 8165x modules), launch switch (N773x) and
// return-loss meter (8163B + 81610A), line by line through handle_line,
// against a real BenchModel.

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "fixtures/bench_model.hpp"
#include "fixtures/dut.hpp"
#include "fixtures/sim/faults.hpp"
#include "fixtures/simulators/simulators.hpp"

namespace {

using namespace mpobench;
using namespace mpobench::fixtures;

// A 12-fibre SM assembly: RL at 1310 nm of 40, 70, 55 and 80 dB on end-A
// fibres 1 to 4, 60 dB elsewhere.
Dut test_dut() {
    Dut dut;
    dut.fibers = 12;
    dut.mode = FiberMode::SM;
    dut.polarity = PolarityType::B;
    for (DutEnd* end : {&dut.end_a, &dut.end_b}) {
        for (const int wavelength_nm : {1310, 1550}) {
            end->il_db[wavelength_nm] = std::vector<double>(12, 0.2);
            end->rl_db[wavelength_nm] = std::vector<double>(12, 60.0);
        }
    }
    dut.end_a.rl_db[1310] = {40.0, 70.0, 55.0, 80.0, 60.0, 60.0,
                             60.0, 60.0, 60.0, 60.0, 60.0, 60.0};
    return dut;
}

struct Bench {
    // Instrument time runs a thousand times faster: a 1 s window is 1 ms.
    SimClock clock{0.001};
    BenchModel model{BenchModelOptions{}, clock};
    std::shared_ptr<SimInstrument> source =
        make_keysight_8165x_sim({"source", "MY48201234", 1}, model, clock);
    std::shared_ptr<SimInstrument> launch_switch =
        make_keysight_n773x_sim({"switch", "MY56001234", 2}, model, clock);
    std::shared_ptr<SimInstrument> rl =
        make_keysight_81610a_sim({"rl", "MY48205678", 3}, model, clock);
};

std::string ask(SimInstrument& sim, std::string_view line) {
    const LineOutcome outcome = sim.handle_line(line);
    INFO("no reply to: " << line);
    REQUIRE(outcome.reply.has_value());
    return *outcome.reply;
}

void send(SimInstrument& sim, std::string_view line) {
    const LineOutcome outcome = sim.handle_line(line);
    INFO("unexpected reply to: " << line);
    CHECK_FALSE(outcome.reply.has_value());
}

// The next error queue entry's code (0 for none).
int next_error(SimInstrument& sim) {
    const std::string entry = ask(sim, "SYST:ERR?");
    return std::stoi(entry.substr(0, entry.find(',')));
}

void check_no_error(SimInstrument& sim) {
    CHECK(ask(sim, "SYST:ERR?") == "+0,\"No error\"");
}

double number(const std::string& reply) {
    return std::stod(reply);
}

double mean(const std::vector<double>& values) {
    return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

double deviation(const std::vector<double>& values) {
    const double average = mean(values);
    double sum = 0.0;
    for (const double value : values)
        sum += (value - average) * (value - average);
    return std::sqrt(sum / static_cast<double>(values.size() - 1));
}

// Light on at `wavelength` (the SM module in slot 2), switch on `port`,
// both settled.
void light_port(Bench& bench, int port, const char* wavelength = "1310NM") {
    CHECK(ask(*bench.source, fmt::format(":SOUR2:WAV {};:SOUR2:POW:STAT 1;*OPC?", wavelength)) ==
          "1");
    CHECK(ask(*bench.launch_switch, fmt::format(":ROUT1:CHAN1 A,{};*OPC?", port)) == "1");
}

double measure_rl(Bench& bench) {
    return number(ask(*bench.rl, ":INIT1:CHAN1:IMM;:FETC1:CHAN1:RET?"));
}

}  // namespace

// ---------------------------------------------------------------------------
// Source

TEST_CASE("8165x sim: identity and installed modules", "[ssr_sim][source]") {
    Bench bench;
    CHECK(ask(*bench.source, "*IDN?") == "Keysight Technologies,8163B,MY48201234,V5.25(72637)");
    CHECK(ask(*bench.source, "*OPT?") == "81650MM,81654A");
    check_no_error(*bench.source);
}

TEST_CASE("8165x sim: long and short forms in any case", "[ssr_sim][source]") {
    Bench bench;
    for (const char* query :
         {":SOUR2:WAV? MAX", ":SOURCE2:WAVELENGTH? MAXIMUM", "sour2:chan1:wav:cw? max",
          ":Source2:Channel1:Wavelength:Fixed? Max"}) {
        INFO(query);
        CHECK(ask(*bench.source, query) == "+1.55000000E-006");
    }
    CHECK(ask(*bench.source, ":SOUR1:WAV? MIN") == "+8.50000000E-007");
    CHECK(ask(*bench.source, "wav?") == "+8.50000000E-007");  // slot 1 when omitted
    send(*bench.source, ":Source1:Power:Wavelength Upper");
    CHECK(ask(*bench.source, "sour1:pow:wav?") == "UPP");
    CHECK(ask(*bench.source, ":SOUR1:WAV?") == "+1.30000000E-006");
    check_no_error(*bench.source);
}

TEST_CASE("8165x sim: the laser is picked by node or by wavelength", "[ssr_sim][source]") {
    Bench bench;
    send(*bench.source, "sour2:pow:wav upp");
    CHECK(ask(*bench.source, "sour2:pow:wav?") == "UPP");
    send(*bench.source, "sour2:wav 1310nm");
    CHECK(ask(*bench.source, "sour2:pow:wav?") == "LOW");
    send(*bench.source, "sour2:wav 1.55E-6");
    CHECK(ask(*bench.source, "sour2:pow:wav?") == "UPP");
    check_no_error(*bench.source);

    SECTION("a wavelength no laser of the module has") {
        send(*bench.source, "sour2:wav 1400nm");
        CHECK(next_error(*bench.source) == -222);
        send(*bench.source, "sour2:wav 850nm");  // a laser of the other module
        CHECK(next_error(*bench.source) == -222);
    }
    SECTION("malformed or missing parameters") {
        send(*bench.source, "sour2:wav");
        CHECK(next_error(*bench.source) == -109);
        send(*bench.source, "sour2:wav fast");
        CHECK(next_error(*bench.source) <= -100);
        send(*bench.source, "sour2:pow:wav both");
        CHECK(next_error(*bench.source) == -224);
        send(*bench.source, "sour2:pow:stat maybe");
        CHECK(next_error(*bench.source) == -224);
    }
    // Refused commands changed nothing.
    CHECK(ask(*bench.source, "sour2:pow:wav?") == "UPP");
    CHECK(ask(*bench.source, "sour2:pow:stat?") == "+0");
    check_no_error(*bench.source);
}

TEST_CASE("8165x sim: the lit laser drives the bench; *OPC? waits for it", "[ssr_sim][source]") {
    Bench bench;
    send(*bench.source, "sour2:wav 1550nm;:sour2:pow:stat 1");
    CHECK(bench.model.source_output());
    CHECK(bench.model.source_wavelength_nm() == 1550.0);
    const auto stable_at = bench.model.source_stable_at();
    CHECK(ask(*bench.source, "*OPC?") == "1");
    CHECK(bench.clock.now() >= stable_at);

    // The laser lit last is the one on the bench.
    send(*bench.source, "sour1:pow:wav upp;:sour1:pow:stat on");
    CHECK(bench.model.source_wavelength_nm() == 1300.0);
    send(*bench.source, "sour1:pow:stat off");
    CHECK(bench.model.source_wavelength_nm() == 1550.0);
    CHECK(bench.model.source_output());

    // :OUTPut is the same switch.
    CHECK(ask(*bench.source, "outp2?") == "+1");
    send(*bench.source, ":OUTP2:STAT 0");
    CHECK_FALSE(bench.model.source_output());
    CHECK(ask(*bench.source, "sour2:pow:stat?") == "+0");

    send(*bench.source, "sour2:pow:stat 1");
    send(*bench.source, "*RST");
    CHECK_FALSE(bench.model.source_output());
    CHECK(ask(*bench.source, "sour2:pow:wav?") == "LOW");
    check_no_error(*bench.source);
}

TEST_CASE("8165x sim: output level, modulation, slots and headers", "[ssr_sim][source]") {
    Bench bench;
    CHECK(number(ask(*bench.source, "sour2:pow?")) == -7.0);
    CHECK(number(ask(*bench.source, "sour1:pow:lev:imm:ampl?")) == -20.0);
    send(*bench.source, "sour2:pow:unit w");
    CHECK(ask(*bench.source, "sour2:pow:unit?") == "+1");
    CHECK(number(ask(*bench.source, "sour2:pow?")) == Approx(std::pow(10.0, -0.7) * 1e-3));
    send(*bench.source, "sour2:am:stat 1");
    CHECK(ask(*bench.source, "sour2:am:stat?") == "+1");
    check_no_error(*bench.source);

    send(*bench.source, "sour2:pow -3dbm");  // fixed-power module
    CHECK(next_error(*bench.source) == -221);
    send(*bench.source, "sour3:wav?");
    CHECK(next_error(*bench.source) == -114);
    send(*bench.source, "sour1:chan2:wav?");
    CHECK(next_error(*bench.source) == -114);
    send(*bench.source, "sour1:pow:stat? 1");
    CHECK(next_error(*bench.source) == -108);
    send(*bench.source, ":SOUR1:FOO 1");
    CHECK(next_error(*bench.source) == -113);
    check_no_error(*bench.source);
}

// ---------------------------------------------------------------------------
// Switch

TEST_CASE("N773x sim: identity, configuration and routes", "[ssr_sim][switch]") {
    Bench bench;
    CHECK(ask(*bench.launch_switch, "*IDN?") == "Keysight Technologies,N7734C,MY56001234,V1.210");
    CHECK(ask(*bench.launch_switch, ":ROUT1:CONF?") == "A,A;1,32");
    CHECK(ask(*bench.launch_switch, "route1:channel1:config?") == "A,A;1,32");
    const std::string states = ask(*bench.launch_switch, ":ROUT1:CHAN1:CONF:ROUT?");
    CHECK(states.rfind("A,1.A,2.A,3.", 0) == 0);
    CHECK(states.size() >= 5);
    CHECK(states.substr(states.size() - 5) == ".A,32");
    check_no_error(*bench.launch_switch);
}

TEST_CASE("N773x sim: a move, its read-back and *OPC?", "[ssr_sim][switch]") {
    Bench bench;
    send(*bench.launch_switch, ":ROUT1:CHAN1 A,5");
    CHECK(bench.model.switch_port() == 5);
    CHECK(ask(*bench.launch_switch, "rout1:chan1?") == "A,5");
    CHECK(ask(*bench.launch_switch, ":ROUTE1? ") == "A,5");
    // What the driver sends: one message, one reply.
    CHECK(ask(*bench.launch_switch, ":ROUT1:CHAN1 A,7;*OPC?;:ROUT1:CHAN1?") == "1;A,7");
    CHECK(bench.clock.now() >= bench.model.switch_settled_at());
    send(*bench.launch_switch, "rout1 a,32");
    CHECK(bench.model.switch_port() == 32);
    check_no_error(*bench.launch_switch);
}

TEST_CASE("N773x sim: refused moves leave the route alone", "[ssr_sim][switch]") {
    Bench bench;
    send(*bench.launch_switch, ":ROUT1:CHAN1 A,3");
    const struct {
        const char* line;
        int code;
    } cases[] = {
        {":ROUT1:CHAN1 A,33", -222}, {":ROUT1:CHAN1 A,0", -222}, {":ROUT1:CHAN1 B,3", -222},
        {":ROUT1:CHAN1 7,3", -224},  {":ROUT1:CHAN1 A", -109},   {":ROUT1:CHAN1", -109},
        {":ROUT2:CHAN1 A,3", -114},  {":ROUT1:CHAN2 A,3", -114}, {":ROUT1:CHAN1 A,3,4", -108},
        {":ROUT1:PATH A,3", -113},
    };
    for (const auto& c : cases) {
        INFO(c.line);
        send(*bench.launch_switch, c.line);
        CHECK(next_error(*bench.launch_switch) == c.code);
        CHECK(bench.model.switch_port() == 3);
    }
    check_no_error(*bench.launch_switch);
}

// ---------------------------------------------------------------------------
// Return-loss meter

TEST_CASE("81610A sim: identity, module, settings in any form", "[ssr_sim][rl]") {
    Bench bench;
    CHECK(ask(*bench.rl, "*IDN?") == "Keysight Technologies,8163B,MY48205678,V5.25(72637)");
    CHECK(ask(*bench.rl, "*OPT?") == "81610A,");
    send(*bench.rl, ":SENSE1:CHANNEL1:POWER:WAVELENGTH 1550NM");
    CHECK(ask(*bench.rl, "sens1:pow:wav?") == "+1.55000000E-006");
    send(*bench.rl, "sens1:chan1:pow:atim 200ms");
    CHECK(number(ask(*bench.rl, ":SENS1:CHAN1:POW:ATIME?")) == Approx(0.2));
    send(*bench.rl, "init1:chan1:cont 1");
    CHECK(ask(*bench.rl, "init1:cont?") == "+1");
    send(*bench.rl, "sens1:pow:rang:auto 0");
    CHECK(ask(*bench.rl, "sens1:pow:rang:auto?") == "+0");
    check_no_error(*bench.rl);

    send(*bench.rl, "sens1:pow:wav 2000nm");
    CHECK(next_error(*bench.rl) == -222);
    send(*bench.rl, "sens1:pow:atim 20s");
    CHECK(next_error(*bench.rl) == -222);
    send(*bench.rl, "sens2:pow:wav 1310nm");  // slot 2 is empty
    CHECK(next_error(*bench.rl) == -241);
    send(*bench.rl, "sens3:pow:wav 1310nm");
    CHECK(next_error(*bench.rl) == -114);
    send(*bench.rl, ":SENS1:CHAN1:RET:FOO?");
    CHECK(next_error(*bench.rl) == -113);
    check_no_error(*bench.rl);
}

TEST_CASE("81610A sim: FETCh before any window is stale data", "[ssr_sim][rl]") {
    Bench bench;
    const LineOutcome outcome = bench.rl->handle_line(":FETC1:CHAN1:RET?");
    CHECK_FALSE(outcome.reply.has_value());
    CHECK(next_error(*bench.rl) == -230);
}

TEST_CASE("81610A sim: return loss of a connected assembly", "[ssr_sim][rl]") {
    Bench bench;
    bench.model.set_dut(test_dut());
    bench.model.connect(Connection::EndA);
    send(*bench.rl, ":SENS1:CHAN1:POW:WAV 1310NM;:SENS1:CHAN1:POW:ATIM 1S");

    SECTION("no light: NaN") {
        CHECK(number(ask(*bench.rl, ":INIT1:CHAN1:IMM;:FETC1:CHAN1:RET?")) == 9.91e37);
    }
    SECTION("a reading near the fibre's RL; a second FETCh repeats it") {
        light_port(bench, 3);
        const std::string first = ask(*bench.rl, ":INIT1:CHAN1:IMM;:FETC1:CHAN1:RET?");
        CHECK(number(first) == Approx(55.0).margin(1.5));
        CHECK(ask(*bench.rl, "fetch1:channel1:scalar:returnloss?") == first);
        CHECK(number(ask(*bench.rl, ":READ1:CHAN1:SCAL:RET?")) == Approx(55.0).margin(1.5));
    }
    SECTION("beyond the module's range: overrange") {
        light_port(bench, 4);
        CHECK(measure_rl(bench) == 9.9e37);
    }
    SECTION("noise grows towards the range limit") {
        std::vector<double> low, high;
        light_port(bench, 1);
        for (int i = 0; i < 25; ++i)
            low.push_back(measure_rl(bench));
        light_port(bench, 2);
        for (int i = 0; i < 25; ++i)
            high.push_back(measure_rl(bench));
        CHECK(mean(low) == Approx(40.0).margin(0.1));
        CHECK(mean(high) == Approx(70.0).margin(1.0));
        CHECK(deviation(high) > 3.0 * deviation(low));
    }
    SECTION("an injected overrange answers one reading") {
        light_port(bench, 3);
        bench.rl->set_faults(FaultInjector(parse_fault_spec("rl:overrange@1"), "rl"));
        CHECK(measure_rl(bench) == 9.9e37);
        CHECK(measure_rl(bench) == Approx(55.0).margin(1.5));
    }
    SECTION("the light goes off: NaN again") {
        light_port(bench, 3);
        send(*bench.source, ":SOUR2:POW:STAT 0");
        CHECK(measure_rl(bench) == 9.91e37);
    }
    check_no_error(*bench.rl);
}

TEST_CASE("81610A sim: the reference state and the calibration values", "[ssr_sim][rl]") {
    Bench bench;
    bench.model.connect(Connection::Reference);
    light_port(bench, 6, "1550NM");
    send(*bench.rl, ":SENS1:CHAN1:POW:WAV 1550NM;:SENS1:CHAN1:POW:ATIM 2S");
    // A reference-grade APC cord in the meter's non-contact input: ~70 dB.
    CHECK(measure_rl(bench) == Approx(70.0).margin(2.5));

    const std::string values = ask(*bench.rl, ":SENS1:CHAN1:RET:CAL:VAL?");
    std::vector<double> numbers;
    std::size_t start = 0;
    while (start <= values.size()) {
        const auto comma = values.find(',', start);
        numbers.push_back(number(values.substr(start, comma - start)));
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    REQUIRE(numbers.size() == 4);
    CHECK(numbers[0] == Approx(14.7));                                   // reference reflection
    CHECK(numbers[3] == Approx(bench.model.options().rl_max_db - 5.0));  // T-value
    CHECK(numbers[1] - numbers[2] == Approx(numbers[3] - numbers[0]));
    check_no_error(*bench.rl);
}
