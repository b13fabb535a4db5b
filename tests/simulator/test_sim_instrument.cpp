// The simulated instrument base: error queue, IEEE 488.2 common commands,
// fault specs and injection, simulated time.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>

#include "fixtures/sim/sim_instrument.hpp"

using namespace mpobench::fixtures;
using namespace std::chrono_literals;

namespace {

// A small instrument: a per-port wavelength, a power reading that honours
// injected overrange, an operation whose end the test sets, a failing command.
class TestInstrument : public SimInstrument {
  public:
    explicit TestInstrument(const SimClock& clock, std::string name = "t")
        : SimInstrument(std::move(name), {"ACME", "T1", "SN1", "1.0"}, clock) {
        commands().add(":SENSe#:POWer:WAVelength",
                       [this](const CommandCall& call) -> std::optional<std::string> {
                           call.reject_params(1);
                           wavelength_m_[call.suffixes[0]] = call.number(0, "M");
                           return std::nullopt;
                       });
        commands().add(":SENSe#:POWer:WAVelength?",
                       [this](const CommandCall& call) -> std::optional<std::string> {
                           call.reject_params();
                           return format_keysight_nr3(wavelength_m_[call.suffixes[0]]);
                       });
        commands().add("MEASure:POWer?",
                       [this](const CommandCall& call) -> std::optional<std::string> {
                           call.reject_params();
                           return take_overrange() ? format_nr3(9.9e37) : format_nr3(1e-3);
                       });
        commands().add("FAIL", [](const CommandCall&) -> std::optional<std::string> {
            throw std::runtime_error("model exploded");
        });
    }

    void set_busy_until(SimClock::Clock::time_point when) { busy_until_ = when; }
    int resets() const { return resets_; }
    std::size_t queued_errors() { return errors().size(); }

  protected:
    void reset_state() override {
        wavelength_m_.clear();
        ++resets_;
    }
    SimClock::Clock::time_point operation_complete_at() const override { return busy_until_; }

  private:
    std::map<int, double> wavelength_m_;
    SimClock::Clock::time_point busy_until_ = SimClock::Clock::now();
    int resets_ = 0;
};

std::optional<std::string> reply(TestInstrument& instrument, std::string_view line) {
    return instrument.handle_line(line).reply;
}

void set_faults(TestInstrument& instrument, const char* spec) {
    instrument.set_faults(FaultInjector(parse_fault_spec(spec), instrument.name()));
}

}  // namespace

TEST_CASE("error queue is FIFO and bounded with -350 replacing the newest entry", "[sim]") {
    ErrorQueue queue;
    CHECK_FALSE(queue.pop().has_value());
    for (int i = 1; i <= 30; ++i)
        queue.push(-100 - i, "error " + std::to_string(i));
    CHECK(queue.size() == 30);
    queue.push(-222, "one too many");
    queue.push(-224, "two too many");
    CHECK(queue.size() == 30);
    for (int i = 1; i <= 29; ++i) {
        const auto entry = queue.pop();
        REQUIRE(entry.has_value());
        CHECK(entry->first == -100 - i);
    }
    CHECK(queue.pop() == std::pair<int, std::string>{-350, "Queue overflow"});
    CHECK_FALSE(queue.pop().has_value());

    ErrorQueue small(2);
    small.push(-1, "a");
    small.push(-2, "b");
    small.push(-3, "c");
    CHECK(small.pop()->first == -1);
    CHECK(small.pop()->first == -350);
    small.push(-4, "d");
    small.clear();
    CHECK(small.size() == 0);
}

TEST_CASE("common identification self-test version and error queries", "[sim]") {
    const SimClock clock(0.0);
    TestInstrument instrument(clock);
    CHECK(reply(instrument, "*IDN?") == "ACME,T1,SN1,1.0");
    CHECK(reply(instrument, "*idn?") == "ACME,T1,SN1,1.0");
    CHECK(reply(instrument, "*TST?") == "0");
    CHECK(reply(instrument, "SYST:VERS?") == "1999.0");
    CHECK(reply(instrument, ":SYSTem:VERSion?") == "1999.0");
    CHECK(reply(instrument, "SYST:ERR?") == "0,\"No error\"");
    CHECK(reply(instrument, "SYSTEM:ERROR:NEXT?") == "0,\"No error\"");
    CHECK(reply(instrument, "SYST:ERR:COUN?") == "0");
}

TEST_CASE("unknown headers queue -113 with the command error bit and the line goes on", "[sim]") {
    const SimClock clock(0.0);
    TestInstrument instrument(clock);
    const auto outcome = instrument.handle_line("FOO:BAR?");
    CHECK_FALSE(outcome.reply.has_value());
    CHECK_FALSE(outcome.drop_reply);
    CHECK(reply(instrument, "SYST:ERR:COUN?") == "1");
    CHECK(reply(instrument, "*ESR?") == "32");
    CHECK(reply(instrument, "*ESR?") == "0");  // read and cleared
    CHECK(reply(instrument, "SYST:ERR?") == "-113,\"Undefined header\"");
    CHECK(reply(instrument, "SYST:ERR?") == "0,\"No error\"");

    CHECK(reply(instrument, "NOPE;*TST?;:SENS2:POW:WAV 1550NM;WAV?") == "0;+1.55000000E-006");
    CHECK(reply(instrument, "SYST:ERR?;:SYST:ERR?") == "-113,\"Undefined header\";0,\"No error\"");
    // Without the leading colon the second header continues the first's path.
    CHECK(reply(instrument, "*TST?;SYST:ERR:COUN?;SYST:ERR?") == "0;0");
    CHECK(reply(instrument, "SYST:ERR?") == "-113,\"Undefined header\"");
}

TEST_CASE("parameter and handler errors set the right event status bits", "[sim]") {
    const SimClock clock(0.0);
    TestInstrument instrument(clock);
    CHECK_FALSE(reply(instrument, "*IDN? 1").has_value());
    CHECK(reply(instrument, "SYST:ERR?") == "-108,\"Parameter not allowed\"");
    CHECK_FALSE(reply(instrument, "SENS:POW:WAV 1310XX").has_value());
    CHECK(reply(instrument, "SYST:ERR?") == "-131,\"Invalid suffix\"");
    CHECK(reply(instrument, "*ESR?") == "32");

    CHECK_FALSE(reply(instrument, "*ESE 256").has_value());
    CHECK(reply(instrument, "SYST:ERR?") == "-222,\"Data out of range\"");
    CHECK(reply(instrument, "*ESR?") == "16");

    CHECK_FALSE(reply(instrument, "FAIL").has_value());
    const auto failure = reply(instrument, "SYST:ERR?");
    REQUIRE(failure.has_value());
    CHECK(failure->rfind("-300,\"Device-specific error;model exploded\"", 0) == 0);
    CHECK(reply(instrument, "*ESR?") == "8");

    CHECK_FALSE(reply(instrument, "DISP:TEXT \"unterminated").has_value());
    CHECK(reply(instrument, "SYST:ERR?") == "-151,\"Invalid string data\"");
}

TEST_CASE("event status enable service request enable and status byte follow IEEE 488.2", "[sim]") {
    const SimClock clock(0.0);
    TestInstrument instrument(clock);
    CHECK(reply(instrument, "*ESE?") == "0");
    CHECK(reply(instrument, "*ESE 36;*ESE?") == "36");
    CHECK(reply(instrument, "*SRE 255;*SRE?") == "191");  // bit 6 cannot be enabled
    CHECK(reply(instrument, "*STB?") == "0");

    reply(instrument, "NOPE");  // command error: ESR bit 5, error queue not empty
    // Bit 2 error queue, bit 5 ESR&ESE, bit 6 master summary (enabled by *SRE).
    CHECK(reply(instrument, "*STB?") == "100");
    CHECK(reply(instrument, "*SRE 0;*STB?") == "36");
    CHECK(reply(instrument, "*ESE 0;*STB?") == "4");

    CHECK(reply(instrument, "*CLS;*STB?;*ESR?;SYST:ERR:COUN?") == "0;0;0");
    CHECK_FALSE(reply(instrument, "*ESE").has_value());
    CHECK(reply(instrument, "SYST:ERR?") == "-109,\"Missing parameter\"");
}

TEST_CASE("reset clears the model and operation complete commands wait for the operation",
          "[sim]") {
    SimClock clock(1.0);
    TestInstrument instrument(clock);
    reply(instrument, "SENS:POW:WAV 1310nm");
    CHECK_FALSE(reply(instrument, "*RST").has_value());
    CHECK(instrument.resets() == 1);
    CHECK(reply(instrument, "SENS:POW:WAV?") == "+0.00000000E+000");

    // *OPC sets ESR bit 0 only once the operation has ended.
    instrument.set_busy_until(clock.now() + 1h);
    CHECK_FALSE(reply(instrument, "*OPC").has_value());
    CHECK(reply(instrument, "*ESR?") == "0");
    instrument.set_busy_until(clock.now() - 1s);
    CHECK(reply(instrument, "*ESR?") == "1");
    CHECK(reply(instrument, "*ESR?") == "0");
    // *CLS forgets a pending *OPC.
    instrument.set_busy_until(clock.now() + 1h);
    reply(instrument, "*OPC;*CLS");
    instrument.set_busy_until(clock.now() - 1s);
    CHECK(reply(instrument, "*ESR?") == "0");

    // *OPC? and *WAI block until then (a lower bound only).
    const auto start = clock.now();
    instrument.set_busy_until(start + 30ms);
    CHECK(reply(instrument, "*OPC?") == "1");
    CHECK(clock.now() - start >= 30ms);
    instrument.set_busy_until(clock.now() + 30ms);
    const auto wai_start = clock.now();
    CHECK(reply(instrument, "*WAI;*TST?") == "0");
    CHECK(clock.now() - wai_start >= 30ms);
}

TEST_CASE("empty lines are ignored and not counted as commands", "[sim]") {
    const SimClock clock(0.0);
    TestInstrument instrument(clock);
    set_faults(instrument, "t:timeout@2");
    CHECK_FALSE(instrument.handle_line("").reply.has_value());
    CHECK_FALSE(instrument.handle_line("  \r").reply.has_value());
    CHECK_FALSE(instrument.handle_line("*TST?").drop_reply);
    CHECK(instrument.handle_line("*TST?").drop_reply);
    CHECK(instrument.queued_errors() == 0);
}

TEST_CASE("fault specs: accepted forms", "[faults]") {
    const auto spec =
        parse_fault_spec("meter:timeout@12;switch:garble%0.05;source:disconnect@30;seed=7");
    CHECK(spec.seed == 7);
    REQUIRE(spec.rules.size() == 3);
    CHECK(spec.rules[0].target == "meter");
    CHECK(spec.rules[0].kind == FaultKind::Timeout);
    CHECK(spec.rules[0].at == 12);
    CHECK_FALSE(spec.rules[0].repeat);
    CHECK(spec.rules[1].kind == FaultKind::Garble);
    CHECK(spec.rules[1].at == 0);
    CHECK(spec.rules[1].probability == Approx(0.05));
    CHECK(spec.rules[2].kind == FaultKind::Disconnect);

    const auto error = parse_fault_spec("*:error=-222@3+").rules.at(0);
    CHECK(error.target == "*");
    CHECK(error.kind == FaultKind::Error);
    CHECK(error.error_code == -222);
    CHECK(error.error_message == "Data out of range");
    CHECK(error.at == 3);
    CHECK(error.repeat);
    const auto default_error = parse_fault_spec("m:error@1").rules.at(0);
    CHECK(default_error.error_code == -350);
    CHECK(parse_fault_spec("m:error=42@1").rules.at(0).error_message == "Device-specific error");

    CHECK(parse_fault_spec("m:slow=500ms@1").rules.at(0).slow_ms == Approx(500.0));
    CHECK(parse_fault_spec("m:slow=2s%1").rules.at(0).slow_ms == Approx(2000.0));
    CHECK(parse_fault_spec("m:slow=1.5s@1").rules.at(0).slow_ms == Approx(1500.0));
    CHECK(parse_fault_spec("m:slow=250us@2").rules.at(0).slow_ms == Approx(0.25));
    CHECK(parse_fault_spec("m:overrange@1").rules.at(0).kind == FaultKind::Overrange);
    CHECK(parse_fault_spec("rl-meter_2.a:TIMEOUT%0").rules.at(0).target == "rl-meter_2.a");

    CHECK(parse_fault_spec("").rules.empty());
    CHECK(parse_fault_spec("   ").rules.empty());
    CHECK(parse_fault_spec("").seed == 1);
    const auto spaced = parse_fault_spec(" m:overrange@1 ; seed=3 ");
    CHECK(spaced.rules.size() == 1);
    CHECK(spaced.seed == 3);
    CHECK(to_string(FaultKind::Slow) == "slow");
}

TEST_CASE("fault specs: every malformed form is rejected", "[faults]") {
    for (const auto* text : {"meter",
                             ":timeout@1",
                             "meter:",
                             "meter:timeout",
                             "meter:timeout@",
                             "meter:timeout@0",
                             "meter:timeout@-1",
                             "meter:timeout@1x",
                             "meter:timeout@1++",
                             "meter:timeout@+",
                             "meter:timeout@ 1",
                             "meter:timeout%",
                             "meter:timeout%1.5",
                             "meter:timeout%-0.1",
                             "meter:timeout%abc",
                             "meter:timeout%nan",
                             "meter:timeout%inf",
                             "meter:timeout%+0.5",
                             "meter:bogus@1",
                             "meter:timeout=5@1",
                             "meter:garble=1@1",
                             "meter:error=@1",
                             "meter:error=abc@1",
                             "meter:error=0@1",
                             "meter:error=-50@1",
                             "meter:error=-900@1",
                             "meter:error=40000@1",
                             "meter:error=-1.5@1",
                             "meter:slow@1",
                             "meter:slow=500@1",
                             "meter:slow=500xs@1",
                             "meter:slow=-5ms@1",
                             "meter:slow=0ms@1",
                             "meter:slow=ms@1",
                             "meter:timeout@1;",
                             ";meter:timeout@1",
                             "meter:timeout@1/",
                             "meter:timeout/:FETC",
                             "meter:timeout@x/:FETC",
                             "meter:reset=1@1",
                             "meter:timeout@1;;source:garble@2",
                             "seed=",
                             "seed=abc",
                             "seed=-1",
                             "seed=1.5",
                             "seed=1;seed=2",
                             "met er:timeout@1",
                             "meter:timeout@1%0.5",
                             "meter:timeout @1",
                             "meter:timeout@1 x",
                             "me/ter:timeout@1",
                             "meter::timeout@1",
                             "meter:timeout:garble@1"}) {
        CAPTURE(text);
        CHECK_THROWS_AS(parse_fault_spec(text), std::invalid_argument);
    }
    // The message names the rule and where it starts.
    CHECK_THROWS_WITH(parse_fault_spec("meter:timeout@1;source:bogus@2"),
                      Catch::Contains("source:bogus@2") && Catch::Contains("column 24") &&
                          Catch::Contains("unknown fault kind 'bogus'"));
    CHECK_THROWS_WITH(parse_fault_spec("meter:slow@4"), Catch::Contains("slow needs a delay"));
    CHECK_THROWS_WITH(parse_fault_spec("a:timeout@1;;b:garble@1"),
                      Catch::Contains("empty rule at column 13"));
}

TEST_CASE("fault injector count triggers and targets with the first rule winning", "[faults]") {
    const auto spec = parse_fault_spec("t:timeout@2;*:garble@4+;other:disconnect@1;t:error=-222@4");
    FaultInjector t(spec, "t");
    CHECK_FALSE(t.on_command("*IDN?").has_value());
    const auto second = t.on_command("*IDN?");
    REQUIRE(second.has_value());
    CHECK(second->kind == FaultKind::Timeout);
    CHECK_FALSE(t.on_command("*IDN?").has_value());
    for (int i = 4; i <= 10; ++i) {
        const auto fault = t.on_command("*IDN?");
        REQUIRE(fault.has_value());
        CHECK(fault->kind == FaultKind::Garble);  // the '@4' error comes later in the spec
    }
    CHECK(t.commands_seen() == 10);

    FaultInjector other(spec, "other");
    CHECK(other.on_command("*IDN?")->kind == FaultKind::Disconnect);
    CHECK_FALSE(other.on_command("*IDN?").has_value());

    FaultInjector none;
    CHECK_FALSE(none.on_command("*IDN?").has_value());
}

TEST_CASE("fault injector: a command filter counts and fires on matching lines only", "[faults]") {
    const auto spec = parse_fault_spec("t:timeout@2/:fetc;t:reset@1/*OPC?;t:garble%1/SYST:ERR?");
    REQUIRE(spec.rules.size() == 3);
    CHECK(spec.rules[0].command == ":fetc");
    CHECK(spec.rules[1].kind == FaultKind::Reset);
    FaultInjector t(spec, "t");
    CHECK_FALSE(t.on_command(":INIT1:IMM").has_value());
    CHECK_FALSE(t.on_command(":FETC:POW:ALL?").has_value());  // the first :FETC
    CHECK_FALSE(t.on_command(":INIT1:IMM").has_value());
    const auto second = t.on_command(":fetc:pow:all?");  // case-insensitive
    REQUIRE(second.has_value());
    CHECK(second->kind == FaultKind::Timeout);
    CHECK_FALSE(t.on_command(":FETC:POW:ALL?").has_value());  // once
    CHECK(t.on_command("*OPC?")->kind == FaultKind::Reset);
    CHECK_FALSE(t.on_command("*OPC").has_value());  // a shorter line never matches
    CHECK(t.on_command("SYST:ERR?")->kind == FaultKind::Garble);
    CHECK_FALSE(t.on_command("*IDN?").has_value());
    CHECK(t.commands_seen() == 9);
}

TEST_CASE("fault injector: probabilities are reproducible per seed and instrument", "[faults]") {
    const auto draws = [](const char* spec, const char* name) {
        FaultInjector injector(parse_fault_spec(spec), name);
        std::string pattern;
        for (int i = 0; i < 2000; ++i)
            pattern += injector.on_command("*IDN?") ? '1' : '0';
        return pattern;
    };
    const auto first = draws("*:garble%0.3;seed=7", "meter");
    CHECK(first == draws("*:garble%0.3;seed=7", "meter"));
    CHECK(first != draws("*:garble%0.3;seed=7", "source"));
    CHECK(first != draws("*:garble%0.3;seed=8", "meter"));
    const auto hits = std::count(first.begin(), first.end(), '1');
    CHECK(hits > 500);
    CHECK(hits < 700);
    CHECK(draws("*:garble%0", "meter").find('1') == std::string::npos);
    CHECK(draws("*:garble%1", "meter").find('0') == std::string::npos);
}

TEST_CASE("the effect of each fault kind on the line outcome", "[faults]") {
    const SimClock clock(0.0);

    SECTION("timeout: the command runs, its reply is dropped") {
        TestInstrument instrument(clock);
        set_faults(instrument, "t:timeout@1");
        const auto outcome = instrument.handle_line("SENS:POW:WAV 1550nm;WAV?");
        CHECK(outcome.drop_reply);
        CHECK_FALSE(outcome.garble);
        CHECK_FALSE(outcome.disconnect);
        CHECK(reply(instrument, "SENS:POW:WAV?") == "+1.55000000E-006");
    }
    SECTION("garble") {
        TestInstrument instrument(clock);
        set_faults(instrument, "t:garble@1");
        const auto outcome = instrument.handle_line("*IDN?");
        CHECK(outcome.garble);
        CHECK(outcome.reply == "ACME,T1,SN1,1.0");
        CHECK_FALSE(instrument.handle_line("*IDN?").garble);
    }
    SECTION("disconnect") {
        TestInstrument instrument(clock);
        set_faults(instrument, "t:disconnect@1");
        const auto outcome = instrument.handle_line("*IDN?");
        CHECK(outcome.disconnect);
        CHECK_FALSE(outcome.reset);
    }
    SECTION("reset: the connection drops abortively") {
        TestInstrument instrument(clock);
        set_faults(instrument, "t:reset@1");
        const auto outcome = instrument.handle_line("*IDN?");
        CHECK(outcome.disconnect);
        CHECK(outcome.reset);
    }
    SECTION("error: queued, then the command runs") {
        TestInstrument instrument(clock);
        set_faults(instrument, "t:error=-222@1");
        CHECK(reply(instrument, "*TST?") == "0");
        CHECK(reply(instrument, "SYST:ERR?") == "-222,\"Data out of range\"");
        CHECK(reply(instrument, "*ESR?") == "16");
    }
    SECTION("overrange: one reading, once") {
        TestInstrument instrument(clock);
        set_faults(instrument, "t:overrange@1");
        CHECK(reply(instrument, "*TST?") == "0");
        CHECK(reply(instrument, "MEAS:POW?") == "9.900000E+37");
        CHECK(reply(instrument, "MEAS:POW?") == "1.000000E-03");
    }
    SECTION("slow: the reply comes later by the instrument delay") {
        const SimClock real(1.0);
        TestInstrument instrument(real);
        set_faults(instrument, "t:slow=40ms@1");
        const auto start = real.now();
        CHECK(reply(instrument, "*TST?") == "0");
        CHECK(real.now() - start >= 40ms);
    }
    SECTION("faults only for the named instrument") {
        TestInstrument instrument(clock, "meter");
        set_faults(instrument, "source:timeout@1+");
        CHECK_FALSE(instrument.handle_line("*IDN?").drop_reply);
    }
}

TEST_CASE("SimClock scales instrument time", "[clock]") {
    const SimClock none(0.0);
    CHECK(none.scaled(1s) == SimClock::Clock::duration::zero());
    none.sleep_for(1h);                 // returns at once
    none.sleep_until(none.now() + 1h);  // returns at once
    CHECK(none.instrument_seconds() >= 0.0);

    const SimClock fast(0.01);
    CHECK(fast.scaled(1s) == std::chrono::duration_cast<SimClock::Clock::duration>(10ms));
    CHECK(fast.time_scale() == 0.01);

    const SimClock real(1.0);
    CHECK(real.scaled(250ms) == std::chrono::duration_cast<SimClock::Clock::duration>(250ms));

    const SimClock slow_motion(2.0);
    CHECK(slow_motion.scaled(1s) == std::chrono::duration_cast<SimClock::Clock::duration>(2s));

    // Instrument time runs 1000x faster than wall time at scale 0.001.
    const SimClock thousand(0.001);
    const auto start_s = thousand.instrument_seconds();
    std::this_thread::sleep_for(20ms);
    CHECK(thousand.instrument_seconds() - start_s >= 20.0);
    const auto wall_start = thousand.now();
    thousand.sleep_for(10s);
    CHECK(thousand.now() - wall_start >= 10ms);

    CHECK_THROWS_AS(SimClock(-1.0), std::invalid_argument);
    CHECK_THROWS_AS(SimClock(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
    CHECK_THROWS_AS(SimClock(std::numeric_limits<double>::infinity()), std::invalid_argument);
}
