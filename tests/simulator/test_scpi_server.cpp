// The instrument side of SCPI: program messages, header patterns,
// parameters with units, number formatting.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "fixtures/sim/scpi_server.hpp"

using namespace mpobench::fixtures;

namespace {

// Runs `body` and returns the SCPI error code it threw (0 when none).
template <typename Body>
int scpi_error_of(Body&& body) {
    try {
        body();
    } catch (const ScpiError& error) {
        return error.code();
    }
    return 0;
}

CommandCall call_with(std::vector<std::string> params) {
    CommandCall call;
    call.header = "TEST";
    call.params = std::move(params);
    return call;
}

// A table that records the last call it dispatched.
struct RecordingTable {
    CommandTable table;
    CommandCall last;
    std::string matched;

    void add(const std::string& pattern) {
        table.add(pattern, [this, pattern](const CommandCall& call) -> std::optional<std::string> {
            last = call;
            matched = pattern;
            return call.is_query ? std::optional<std::string>(pattern) : std::nullopt;
        });
    }
    int error_of(std::string_view command) {
        return scpi_error_of([&] { table.dispatch(command); });
    }
};

}  // namespace

TEST_CASE("split_program_message separates commands and expands the SCPI path", "[scpi]") {
    using V = std::vector<std::string>;
    CHECK(split_program_message(":SENS1:POW:WAV 1310NM;ATIM 0.1") ==
          V{":SENS1:POW:WAV 1310NM", ":SENS1:POW:ATIM 0.1"});
    CHECK(split_program_message("SENS:POW:WAV?;*OPC?;ATIM?") ==
          V{"SENS:POW:WAV?", "*OPC?", "SENS:POW:ATIM?"});
    CHECK(split_program_message(":A:B 1;:C:D 2;E 3") == V{":A:B 1", ":C:D 2", ":C:E 3"});
    CHECK(split_program_message("FETC?;ATIM?") == V{"FETC?", "ATIM?"});
    CHECK(split_program_message("POW:WAV?;ATIM?") == V{"POW:WAV?", "POW:ATIM?"});
    CHECK(split_program_message("*RST;*CLS") == V{"*RST", "*CLS"});
    CHECK(split_program_message("ROUT1:CHAN1 A,5") == V{"ROUT1:CHAN1 A,5"});
}

TEST_CASE("split_program_message keeps quoted text and drops empty commands", "[scpi]") {
    using V = std::vector<std::string>;
    CHECK(split_program_message("DISP:TEXT 'a;b';*IDN?") == V{"DISP:TEXT 'a;b'", "*IDN?"});
    CHECK(split_program_message("DISP:TEXT \"say \"\"x;y\"\"\";*IDN?") ==
          V{"DISP:TEXT \"say \"\"x;y\"\"\"", "*IDN?"});
    CHECK(split_program_message("SYST:ERR?;;") == V{"SYST:ERR?"});
    CHECK(split_program_message("  *IDN?  ") == V{"*IDN?"});
    CHECK(split_program_message("").empty());
    CHECK(split_program_message(" ; ").empty());
    CHECK(scpi_error_of([] { split_program_message("DISP:TEXT \"abc;*IDN?"); }) == -151);
    CHECK(scpi_error_of([] { split_program_message("DISP:TEXT 'abc"); }) == -151);
}

TEST_CASE("patterns match the long or the short form of each node in any case", "[scpi]") {
    RecordingTable t;
    t.add(":SENSe#:POWer:WAVelength?");
    for (const auto* header : {"SENS:POW:WAV?", ":SENS:POW:WAV?", "sense:power:wavelength?",
                               "SENSE:POW:WAVELENGTH?", "sEnS:pOw:WaV?"}) {
        CAPTURE(header);
        CHECK(t.table.dispatch(header) == ":SENSe#:POWer:WAVelength?");
        CHECK(t.last.is_query);
        CHECK(t.last.suffixes == std::vector<int>{1});
        CHECK(t.last.header == header);
    }
    t.table.dispatch("SENS3:POW:WAV?");
    CHECK(t.last.suffixes == std::vector<int>{3});
    t.table.dispatch("sense12:pow:wav?");
    CHECK(t.last.suffixes == std::vector<int>{12});

    // Neither short nor long form; a suffix where none is allowed; the command
    // form when only the query is registered.
    for (const auto* header :
         {"SEN:POW:WAV?", "SENSEX:POW:WAV?", "SENS:POW:WAVE?", "SENS:POWE:WAV?", "SENS:POW2:WAV?",
          "SENS:POW:WAV", "SENS:POW?", "SENS:POW:WAV:X?", "POW:WAV?", "SENSA:POW:WAV?"}) {
        CAPTURE(header);
        CHECK(t.error_of(header) == -113);
    }
}

TEST_CASE("optional nodes leading or several with suffixes", "[scpi]") {
    RecordingTable t;
    t.add("[:SOURce#][:CHANnel#]:WAVelength?");
    t.add("SOURce#:POWer[:LEVel][:IMMediate][:AMPLitude]");
    t.add("SYSTem:ERRor[:NEXT]?");
    t.add("SYSTem:ERRor:COUNt?");

    t.table.dispatch("WAV?");
    CHECK(t.last.suffixes == std::vector<int>{1, 1});
    t.table.dispatch(":SOUR2:WAV?");
    CHECK(t.last.suffixes == std::vector<int>{2, 1});
    t.table.dispatch("CHAN3:WAV?");
    CHECK(t.last.suffixes == std::vector<int>{1, 3});
    t.table.dispatch("source2:channel4:wavelength?");
    CHECK(t.last.suffixes == std::vector<int>{2, 4});
    CHECK(t.error_of("CHAN3:SOUR2:WAV?") == -113);

    for (const auto* command :
         {"SOUR:POW -3", "SOUR:POW:LEV -3", "SOUR:POW:IMM:AMPL -3", "SOUR:POW:LEV:AMPL -3",
          "SOURCE2:POWER:LEVEL:IMMEDIATE:AMPLITUDE -3"}) {
        CAPTURE(command);
        CHECK_FALSE(t.table.dispatch(command).has_value());
        CHECK(t.matched == "SOURce#:POWer[:LEVel][:IMMediate][:AMPLitude]");
        CHECK(t.last.params == std::vector<std::string>{"-3"});
    }
    CHECK(t.error_of("SOUR:POW:AMPL:LEV -3") == -113);

    CHECK(t.table.dispatch("SYST:ERR?") == "SYSTem:ERRor[:NEXT]?");
    CHECK(t.table.dispatch("SYST:ERR:NEXT?") == "SYSTem:ERRor[:NEXT]?");
    CHECK(t.table.dispatch("SYST:ERR:COUN?") == "SYSTem:ERRor:COUNt?");
    CHECK(t.table.dispatch("system:error:count?") == "SYSTem:ERRor:COUNt?");
}

TEST_CASE("query parameters and comma splitting outside quotes", "[scpi]") {
    RecordingTable t;
    t.add("SENSe:CORRection:WAVelength?");
    t.add("ROUTe#[:CHANnel#]");
    t.add("DISPlay:TEXT");
    t.add("*ESE");
    t.add("*IDN?");

    t.table.dispatch("SENS:CORR:WAV? MIN");
    CHECK(t.last.params == std::vector<std::string>{"MIN"});
    t.table.dispatch("ROUT1:CHAN1 A,5");
    CHECK(t.last.suffixes == std::vector<int>{1, 1});
    CHECK(t.last.params == std::vector<std::string>{"A", "5"});
    t.table.dispatch("ROUT2  A , 7 ");
    CHECK(t.last.params == std::vector<std::string>{"A", "7"});
    t.table.dispatch("DISP:TEXT \"a,b\",'c'");
    CHECK(t.last.params == std::vector<std::string>{"\"a,b\"", "'c'"});
    t.table.dispatch("*ese 32");
    CHECK(t.last.params == std::vector<std::string>{"32"});
    CHECK(t.table.dispatch("*idn?") == "*IDN?");
    CHECK(t.error_of("*IDN") == -113);
    CHECK(t.error_of("*ESE?") == -113);
    CHECK(t.error_of("*XYZ?") == -113);
}

TEST_CASE("malformed headers are syntax errors and unknown ones -113", "[scpi]") {
    RecordingTable t;
    t.add("SYSTem:ERRor?");
    CHECK(t.error_of("SYST::ERR?") == -102);
    CHECK(t.error_of(":") == -102);
    CHECK(t.error_of("?") == -102);
    CHECK(t.error_of("SYST:\x80RR?") == -101);
    CHECK(t.error_of("*I-DN?") == -101);
    CHECK(t.error_of("NOPE?") == -113);
    CHECK(t.error_of("SYST:ERR? ") == 0);
}

TEST_CASE("malformed patterns are rejected when registered", "[scpi]") {
    CommandTable table;
    const auto handler = [](const CommandCall&) -> std::optional<std::string> {
        return std::nullopt;
    };
    for (const auto* pattern : {"", "?", "sense:power", "SeNSe:POWer", "[:SOURce#", "SOURce]:WAV",
                                "[:A[:B]]", "SENS::POW", "SENS:PO-W", "*", "*ID N?"}) {
        CAPTURE(pattern);
        CHECK_THROWS_AS(table.add(pattern, handler), std::invalid_argument);
    }
    CHECK_THROWS_AS(table.add("SYST:ERR?", CommandTable::Handler{}), std::invalid_argument);
}

TEST_CASE("CommandCall::number converts units to base units", "[scpi]") {
    const auto value = [](const char* text, const char* base) {
        return call_with({text}).number(0, base);
    };
    CHECK(value("1310nm", "M") == Approx(1.31e-6));
    CHECK(value("1310 NM", "M") == Approx(1.31e-6));
    CHECK(value("1.31E-6", "M") == Approx(1.31e-6));
    CHECK(value("1.31um", "M") == Approx(1.31e-6));
    CHECK(value("1.31e-3MM", "M") == Approx(1.31e-6));
    CHECK(value("1310000pm", "M") == Approx(1.31e-6));
    CHECK(value("2m", "M") == Approx(2.0));
    CHECK(value("100ms", "S") == Approx(0.1));
    CHECK(value("5US", "s") == Approx(5e-6));
    CHECK(value("3ns", "S") == Approx(3e-9));
    CHECK(value("0.5", "S") == Approx(0.5));
    CHECK(value("-20DBM", "DBM") == Approx(-20.0));
    CHECK(value("-20", "DBM") == Approx(-20.0));
    CHECK(value("1mW", "W") == Approx(1e-3));
    CHECK(value("5uw", "W") == Approx(5e-6));
    CHECK(value("7NW", "W") == Approx(7e-9));
    CHECK(value("3.5dB", "DB") == Approx(3.5));
    CHECK(value("1kHz", "HZ") == Approx(1000.0));
    CHECK(value("+.5", "") == Approx(0.5));
    CHECK(value("5.", "") == Approx(5.0));
    CHECK(value("+1.5E+2", "") == Approx(150.0));
}

TEST_CASE("CommandCall::number rejects malformed numbers and wrong suffixes", "[scpi]") {
    const auto error = [](std::vector<std::string> params, const char* base) {
        return scpi_error_of([&] { call_with(params).number(0, base); });
    };
    CHECK(error({}, "M") == -109);
    CHECK(error({""}, "M") == -109);
    CHECK(error({"abc"}, "M") == -104);
    CHECK(error({"--5"}, "M") == -104);
    CHECK(error({"1.2.3"}, "M") == -104);
    CHECK(error({"."}, "") == -104);
    CHECK(error({"1e999"}, "") == -222);
    CHECK(error({"1310nm"}, "S") == -131);
    CHECK(error({"1310NM"}, "") == -131);
    CHECK(error({"1E"}, "M") == -131);
    CHECK(error({"-20DBM"}, "W") == -131);
    CHECK(error({"5 furlongs"}, "M") == -131);
    CHECK(error({"MIN"}, "M") == -224);
    CHECK_THROWS_AS(call_with({"1"}).number(0, "FURLONG"), std::invalid_argument);
}

TEST_CASE("MIN MAX DEF keywords integers booleans and parameter counts", "[scpi]") {
    const auto call = call_with({"min", "MAXimum", "def", "1310", "ON"});
    CHECK(call.numeric_keyword(0) == "MIN");
    CHECK(call.numeric_keyword(1) == "MAX");
    CHECK(call.numeric_keyword(2) == "DEF");
    CHECK_FALSE(call.numeric_keyword(3).has_value());
    CHECK_FALSE(call.numeric_keyword(9).has_value());
    CHECK(call.keyword(0) == "MIN");
    CHECK(call.keyword(4) == "ON");
    CHECK(scpi_error_of([&] { call.keyword(5); }) == -109);

    CHECK(call_with({"12"}).integer(0) == 12);
    CHECK(call_with({"-3"}).integer(0) == -3);
    CHECK(call_with({"2.6"}).integer(0) == 3);
    CHECK(scpi_error_of([] { call_with({"abc"}).integer(0); }) == -104);
    CHECK(scpi_error_of([] { call_with({"1e30"}).integer(0); }) == -222);

    CHECK(call_with({"ON"}).boolean(0));
    CHECK(call_with({"on"}).boolean(0));
    CHECK(call_with({"1"}).boolean(0));
    CHECK_FALSE(call_with({"OFF"}).boolean(0));
    CHECK_FALSE(call_with({"0"}).boolean(0));
    CHECK(scpi_error_of([] { call_with({"2"}).boolean(0); }) == -224);
    CHECK(scpi_error_of([] { call_with({"YES"}).boolean(0); }) == -224);
    CHECK(scpi_error_of([] { call_with({}).boolean(0); }) == -109);

    CHECK(scpi_error_of([] { call_with({}).reject_params(); }) == 0);
    CHECK(scpi_error_of([] { call_with({"1"}).reject_params(); }) == -108);
    CHECK(scpi_error_of([] { call_with({"1"}).reject_params(1); }) == 0);
    CHECK(scpi_error_of([] { call_with({"1", "2"}).reject_params(1); }) == -108);
}

TEST_CASE("NR3 formatting Keysight and plain", "[scpi]") {
    CHECK(format_keysight_nr3(1.31e-6) == "+1.31000000E-006");
    CHECK(format_keysight_nr3(-20.5) == "-2.05000000E+001");
    CHECK(format_keysight_nr3(0.0) == "+0.00000000E+000");
    CHECK(format_keysight_nr3(1e-300) == "+1.00000000E-300");
    constexpr double kInfinity = std::numeric_limits<double>::infinity();
    CHECK(format_keysight_nr3(kInfinity) == "+9.90000000E+037");
    CHECK(format_keysight_nr3(-kInfinity) == "-9.90000000E+037");
    CHECK(format_keysight_nr3(std::numeric_limits<double>::quiet_NaN()) == "+9.91000000E+037");
    CHECK(format_nr3(1.234e-3) == "1.234000E-03");
    CHECK(format_nr3(-5.0) == "-5.000000E+00");
    CHECK(format_nr3(1e100) == "1.000000E+100");
    CHECK(format_nr3(kInfinity) == "9.900000E+37");
}
