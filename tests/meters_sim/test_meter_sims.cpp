// The simulated power meters (Keysight N774x multiport, Thorlabs PM100),
// line by line through handle_line, against a real BenchModel.

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "fixtures/bench_model.hpp"
#include "fixtures/sim/faults.hpp"
#include "fixtures/simulators/simulators.hpp"

namespace {

using namespace mpobench::fixtures;
using namespace std::chrono_literals;

// An N7745C has 8 ports; the bench model behind it has 12 detectors.
constexpr int kPorts = 8;
constexpr int kDetectors = 12;

BenchModelOptions bench_options() {
    BenchModelOptions options;
    options.detectors = kDetectors;
    options.switch_ports = kDetectors;
    return options;
}

struct Bench {
    // Instrument time runs a thousand times faster: a 1 s window is 1 ms.
    SimClock clock{0.001};
    BenchModel model{bench_options(), clock};
    std::shared_ptr<SimInstrument> meter =
        make_keysight_n774x_sim({"meter", "53401234", 11}, model, clock);
    std::shared_ptr<SimInstrument> monitor =
        make_thorlabs_pm100_sim({"monitor", "P2001234", 12}, model, clock);
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

int next_error(SimInstrument& sim) {
    const std::string entry = ask(sim, "SYST:ERR?");
    return std::stoi(entry.substr(0, entry.find(',')));
}

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const auto end = text.find(separator, start);
        parts.push_back(text.substr(start, end - start));
        if (end == std::string::npos)
            return parts;
        start = end + 1;
    }
}

// The payload of a definite-length block, checking its header.
std::string block_payload(const std::string& reply) {
    REQUIRE(reply.size() >= 2);
    REQUIRE(reply[0] == '#');
    const int digits = reply[1] - '0';
    REQUIRE(digits >= 1);
    REQUIRE(digits <= 9);
    REQUIRE(reply.size() >= static_cast<std::size_t>(2 + digits));
    const auto length = std::stoul(reply.substr(2, static_cast<std::size_t>(digits)));
    const std::string payload = reply.substr(static_cast<std::size_t>(2 + digits));
    REQUIRE(payload.size() == length);
    return payload;
}

std::vector<float> floats(const std::string& payload) {
    REQUIRE(payload.size() % 4 == 0);
    std::vector<float> values;
    for (std::size_t i = 0; i < payload.size(); i += 4) {
        std::uint32_t bits = 0;
        for (int k = 3; k >= 0; --k)
            bits =
                (bits << 8) | static_cast<unsigned char>(payload[i + static_cast<std::size_t>(k)]);
        float value = 0;
        std::memcpy(&value, &bits, sizeof value);
        values.push_back(value);
    }
    return values;
}

double to_dbm(double watts) {
    return 10.0 * std::log10(watts * 1e3);
}

double deviation(const std::vector<double>& values) {
    const double mean =
        std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
    double sum = 0.0;
    for (const double value : values)
        sum += (value - mean) * (value - mean);
    return std::sqrt(sum / static_cast<double>(values.size() - 1));
}

// The source on at 1310 nm into launch-cord fibre `port`, the cord in the
// meter (reference state), everything settled.
void light_reference(Bench& bench, int port) {
    bench.model.connect(Connection::Reference);
    bench.model.set_source_wavelength_nm(1310);
    bench.model.set_source_output(true);
    bench.model.set_switch_port(port);
    bench.clock.sleep_until(
        std::max(bench.model.source_stable_at(), bench.model.switch_settled_at()));
}

}  // namespace

// ---------------------------------------------------------------------------
// Keysight N774x

TEST_CASE("N774x sim: identity and empty error queue", "[meters_sim][n774x]") {
    Bench bench;
    const auto fields = split(ask(*bench.meter, "*IDN?"), ',');
    REQUIRE(fields.size() == 4);
    CHECK(fields[0] == "Keysight Technologies");
    CHECK(fields[1] == "N7745C");
    CHECK(fields[2] == "MY53401234");
    CHECK(ask(*bench.meter, ":SYST:ERR?") == "+0,\"No error\"");
}

TEST_CASE("N774x sim: long and short forms in any case; wavelength in metres",
          "[meters_sim][n774x]") {
    Bench bench;
    send(*bench.meter, ":SENSe1:POWer:WAVelength 1310NM");
    for (const char* query : {":SENS1:POW:WAV?", ":sense1:power:wavelength?", "sens1:Pow:Wav?"}) {
        INFO(query);
        CHECK(ask(*bench.meter, query) == "+1.31000000E-006");
    }
    send(*bench.meter, "sens2:pow:wav 1.55E-6");
    CHECK(ask(*bench.meter, ":SENSE2:POWER:WAVELENGTH?") == "+1.55000000E-006");
    send(*bench.meter, ":SENS3:POW:WAV 0.85UM");
    CHECK(ask(*bench.meter, ":SENS3:POW:WAV?") == "+8.50000000E-007");
    CHECK(ask(*bench.meter, ":SENS3:POW:WAV? MIN") == "+8.00000000E-007");
    CHECK(ask(*bench.meter, ":SENS3:POW:WAV? MAXIMUM") == "+1.70000000E-006");
    CHECK_FALSE(bench.meter->handle_line(":POW:WAV?").reply.has_value());
    CHECK(next_error(*bench.meter) == -113);  // SENSe is not optional on this meter
    CHECK(next_error(*bench.meter) == 0);
}

TEST_CASE("N774x sim: averaging time, unit, range and trigger settings", "[meters_sim][n774x]") {
    Bench bench;
    send(*bench.meter, ":SENS1:POW:ATIM 100MS");
    CHECK(ask(*bench.meter, ":SENS1:POW:ATIM?") == "+1.00000000E-001");
    send(*bench.meter, ":sens2:pow:atim 10us");
    CHECK(ask(*bench.meter, ":SENS2:POW:ATIM?") == "+1.00000000E-005");
    CHECK(ask(*bench.meter, ":SENS2:POW:ATIM? MAX") == "+1.00000000E+001");

    send(*bench.meter, ":SENS1:POW:UNIT 1");
    send(*bench.meter, ":SENS3:POW:UNIT W");
    CHECK(ask(*bench.meter, ":SENS1:POW:UNIT?") == "+1");
    CHECK(ask(*bench.meter, ":SENS2:POW:UNIT?") == "+0");
    CHECK(ask(*bench.meter, ":SENS:POW:UNIT:ALL:CSV?") == "1,0,1,0,0,0,0,0");

    CHECK(ask(*bench.meter, ":SENS1:POW:RANG:AUTO?") == "+1");
    send(*bench.meter, ":SENS1:POW:RANG -21DBM");  // rounds to the -20 dBm range
    CHECK(ask(*bench.meter, ":SENS1:POW:RANG?") == "-2.00000000E+001");
    CHECK(ask(*bench.meter, ":SENS1:POW:RANG:AUTO?") == "+0");
    send(*bench.meter, ":SENS1:POW:RANGE:AUTO ON");
    CHECK(ask(*bench.meter, ":SENS1:POW:RANG:AUTO?") == "+1");

    CHECK(ask(*bench.meter, ":INIT1:CONT?") == "+1");
    send(*bench.meter, ":INITiate1:CONTinuous OFF");
    CHECK(ask(*bench.meter, ":INIT1:CONT?") == "+0");
    CHECK(next_error(*bench.meter) == 0);
}

TEST_CASE("N774x sim: errors for bad headers, values and ports", "[meters_sim][n774x]") {
    Bench bench;
    send(*bench.meter, ":SENS1:POW:FOO 1");
    CHECK(next_error(*bench.meter) == -113);
    send(*bench.meter, ":SENS1:POW:WAV 2000NM");
    CHECK(next_error(*bench.meter) == -222);
    send(*bench.meter, ":SENS1:POW:WAV 1310");  // metres without a unit: far out of range
    CHECK(next_error(*bench.meter) == -222);
    send(*bench.meter, ":SENS1:POW:ATIM 20S");
    CHECK(next_error(*bench.meter) == -222);
    send(*bench.meter, ":SENS1:POW:ATIM 5US");
    CHECK(next_error(*bench.meter) == -222);
    send(*bench.meter, ":SENS1:POW:RANG 30DBM");
    CHECK(next_error(*bench.meter) == -222);
    send(*bench.meter, ":SENS1:POW:UNIT FURLONG");
    CHECK(next_error(*bench.meter) == -224);
    send(*bench.meter, ":INIT1:CONT MAYBE");
    CHECK(next_error(*bench.meter) == -224);
    send(*bench.meter, fmt::format(":SENS{}:POW:WAV 1310NM", kPorts + 1));
    CHECK(next_error(*bench.meter) == -114);
    send(*bench.meter, ":INIT1:IMM");  // continuous triggering is on
    CHECK(next_error(*bench.meter) == -213);
    CHECK(next_error(*bench.meter) == 0);
    // The settings stayed as they were.
    CHECK(ask(*bench.meter, ":SENS1:POW:WAV?") == "+1.55000000E-006");
    CHECK(ask(*bench.meter, ":SENS1:POW:ATIM?") == "+1.00000000E-001");
}

TEST_CASE("N774x sim: port list and all-port readings in one reply", "[meters_sim][n774x]") {
    Bench bench;
    light_reference(bench, 3);
    const auto config = block_payload(ask(*bench.meter, ":READ:POW:ALL:CONF?"));
    REQUIRE(config.size() == 4 * kPorts);
    for (int port = 0; port < kPorts; ++port) {
        const auto at = static_cast<std::size_t>(4 * port);
        CHECK(static_cast<unsigned char>(config[at]) == port + 1);
        CHECK(config[at + 1] == 0);
        CHECK(config[at + 2] == 1);
        CHECK(config[at + 3] == 0);
    }

    for (int port = 1; port <= kPorts; ++port) {
        send(*bench.meter, fmt::format(":SENS{}:POW:WAV 1310NM;:INIT{}:CONT 0", port, port));
    }
    for (int port = 1; port <= kPorts; ++port)
        send(*bench.meter, fmt::format(":INIT{}:IMM", port));
    const auto block = ask(*bench.meter, ":FETC:POW:ALL?");
    const auto watts = floats(block_payload(block));
    REQUIRE(watts.size() == kPorts);
    // Port 3 sees the launch power less the launch path; the others only their noise floor.
    CHECK(to_dbm(watts[2]) > -16.0);
    CHECK(to_dbm(watts[2]) < -8.0);
    for (int port = 1; port <= kPorts; ++port) {
        if (port == 3)
            continue;
        INFO("port " << port);
        CHECK(watts[static_cast<std::size_t>(port - 1)] > 0.0F);
        CHECK(to_dbm(watts[static_cast<std::size_t>(port - 1)]) == Approx(-80.0).margin(3.0));
    }

    // The same window again: FETCh returns the same values, also as CSV.
    CHECK(ask(*bench.meter, ":fetch:power:all?") == block);
    const auto csv = split(ask(*bench.meter, ":FETC:POW:ALL:CSV?"), ',');
    REQUIRE(csv.size() == kPorts);
    CHECK(std::stod(csv[2]) == Approx(watts[2]).epsilon(1e-6));

    // READ starts new windows: new noise.
    const auto again = floats(block_payload(ask(*bench.meter, ":READ:POW:ALL?")));
    REQUIRE(again.size() == kPorts);
    CHECK(again[2] != watts[2]);
    CHECK(to_dbm(again[2]) == Approx(to_dbm(watts[2])).margin(0.05));
    CHECK(split(ask(*bench.meter, ":READ:POW:ALL:CSV?"), ',').size() == kPorts);
    CHECK(next_error(*bench.meter) == 0);
}

TEST_CASE("N774x sim: an N7744C has 4 ports and a meter reads its slice of the far end",
          "[meters_sim][n774x]") {
    Bench bench;
    // Launch position 11 lights detector 11: port 3 of a meter whose port
    // 1 reads detector 9; its port 4 (detector 12) is dark.
    light_reference(bench, 11);
    const auto slice = make_keysight_n774x_sim({"meter2", "53401235", 13}, bench.model, bench.clock,
                                               N774xPorts{N774xPorts::Model::N7744C, 9});
    CHECK(split(ask(*slice, "*IDN?"), ',').at(1) == "N7744C");
    CHECK(block_payload(ask(*slice, ":READ:POW:ALL:CONF?")).size() == 4 * 4);
    send(*slice, ":SENS5:POW:WAV 1310NM");
    CHECK(next_error(*slice) == -114);
    for (int port = 1; port <= 4; ++port)
        send(*slice, fmt::format(":SENS{}:POW:WAV 1310NM", port));
    const auto watts = floats(block_payload(ask(*slice, ":READ:POW:ALL?")));
    REQUIRE(watts.size() == 4);
    CHECK(to_dbm(watts[2]) > -16.0);
    CHECK(to_dbm(watts[0]) == Approx(-80.0).margin(3.0));
    CHECK(to_dbm(watts[3]) == Approx(-80.0).margin(3.0));

    // Ports past the model's 12 detectors have nothing plugged in: dark.
    const auto past = make_keysight_n774x_sim({"meter3", "53401236", 14}, bench.model, bench.clock,
                                              N774xPorts{N774xPorts::Model::N7745C, 9});
    const auto dark = floats(block_payload(ask(*past, ":READ:POW:ALL?")));
    REQUIRE(dark.size() == 8);
    for (std::size_t i = 4; i < 8; ++i)
        CHECK(to_dbm(dark[i]) == Approx(-80.0).margin(3.0));
    CHECK_THROWS_AS(make_keysight_n774x_sim({"bad", "1", 1}, bench.model, bench.clock,
                                            N774xPorts{N774xPorts::Model::N7745C, 0}),
                    std::invalid_argument);
}

TEST_CASE("N774x sim: one port in its unit, noise about 0.002 dB at 100 ms",
          "[meters_sim][n774x]") {
    Bench bench;
    light_reference(bench, 5);
    send(*bench.meter, ":SENS5:POW:WAV 1310NM;:SENS5:POW:ATIM 100MS;:INIT5:CONT 0");
    std::vector<double> dbm;
    for (int i = 0; i < 40; ++i)
        dbm.push_back(std::stod(ask(*bench.meter, ":READ5:POW?")));
    CHECK(deviation(dbm) > 0.0005);
    CHECK(deviation(dbm) < 0.006);

    send(*bench.meter, ":SENS5:POW:UNIT 1");
    const double watts = std::stod(ask(*bench.meter, ":READ5:SCAL:POW:DC?"));
    CHECK(to_dbm(watts) == Approx(dbm.front()).margin(0.05));

    // INIT then FETCh twice: the same window, the same value.
    send(*bench.meter, ":INIT5:IMM");
    const std::string first = ask(*bench.meter, ":FETC5:POW?");
    CHECK(ask(*bench.meter, ":FETC5:POW?") == first);
}

TEST_CASE("N774x sim: overrange flags", "[meters_sim][n774x]") {
    Bench bench;
    light_reference(bench, 2);
    send(*bench.meter, ":SENS2:POW:WAV 1310NM;:INIT2:CONT 0");

    SECTION("a manual range below the light") {
        send(*bench.meter, ":SENS2:POW:RANG -30DBM");
        CHECK(ask(*bench.meter, ":READ2:POW?") == "+9.90000000E+037");
        send(*bench.meter, ":SENS2:POW:RANG:AUTO 1");
        CHECK(ask(*bench.meter, ":READ2:POW?") != "+9.90000000E+037");
    }
    SECTION("an injected overrange covers every value of one reply, once") {
        bench.meter->set_faults(FaultInjector(parse_fault_spec("meter:overrange@1"), "meter"));
        const auto watts = floats(block_payload(ask(*bench.meter, ":READ:POW:ALL?")));
        REQUIRE(watts.size() == kPorts);
        for (const float value : watts)
            CHECK(value == Approx(9.9e37F));
        const auto normal = floats(block_payload(ask(*bench.meter, ":READ:POW:ALL?")));
        CHECK(normal[1] < 1.0F);
    }
}

TEST_CASE("N774x sim: READ waits for its averaging window", "[meters_sim][n774x]") {
    Bench bench;
    send(*bench.meter, ":INIT1:CONT 0;:SENS1:POW:ATIM 10S");  // 10 ms of wall time here
    const auto start = SimClock::Clock::now();
    ask(*bench.meter, ":READ1:POW?");
    CHECK(SimClock::Clock::now() - start >= 10ms);
}

// ---------------------------------------------------------------------------
// Thorlabs PM100

TEST_CASE("PM100 sim: identity and the sensor PyMeasure unpacks", "[meters_sim][pm100]") {
    Bench bench;
    CHECK(ask(*bench.monitor, "*IDN?") == "Thorlabs,PM100USB,P2001234,1.7.0");
    const auto sensor = split(ask(*bench.monitor, "SYST:SENSOR:IDN?"), ',');
    REQUIRE(sensor.size() == 6);
    CHECK(sensor[0] == "S155C");
    const int flags = std::stoi(sensor[5]);
    CHECK(flags >= 256);  // exactly nine flag bits
    CHECK(flags <= 511);
    CHECK((flags & 1) == 1);    // power sensor
    CHECK((flags & 32) == 32);  // wavelength settable
    CHECK(ask(*bench.monitor, "system:sensor:idn?") == ask(*bench.monitor, "SYST:SENS:IDN?"));
    CHECK(ask(*bench.monitor, "SYST:ERR?") == "0,\"No error\"");
}

TEST_CASE("PM100 sim: wavelength in nm, with MIN and MAX", "[meters_sim][pm100]") {
    Bench bench;
    send(*bench.monitor, "SENSE:CORR:WAV 1310");
    CHECK(std::stod(ask(*bench.monitor, "SENSE:CORR:WAV?")) == 1310.0);
    CHECK(std::stod(ask(*bench.monitor, "SENS:CORR:WAV? MIN")) == 800.0);
    CHECK(std::stod(ask(*bench.monitor, "SENS:CORR:WAV? MAX")) == 1700.0);
    send(*bench.monitor, "sense:correction:wavelength 850nm");
    CHECK(std::stod(ask(*bench.monitor, "CORR:WAV?")) == 850.0);
    send(*bench.monitor, "SENS:CORR:WAV 2000");
    CHECK(next_error(*bench.monitor) == -222);
    send(*bench.monitor, "SENS:CORR:WAV blue");
    CHECK(next_error(*bench.monitor) == -104);
    send(*bench.monitor, "SENS:CORR:WAVEL 1310");  // neither short nor long form
    CHECK(next_error(*bench.monitor) == -113);
    CHECK(next_error(*bench.monitor) == 0);
    CHECK(std::stod(ask(*bench.monitor, "SENS:CORR:WAV?")) == 850.0);
    // The form the PM100USB manual's own examples use.
    send(*bench.monitor, "CORR:WAVE 1550");
    CHECK(std::stod(ask(*bench.monitor, "CORR:WAVE?")) == 1550.0);
}

TEST_CASE("PM100 sim: unit, averaging count, range", "[meters_sim][pm100]") {
    Bench bench;
    CHECK(ask(*bench.monitor, "SENS:POW:DC:UNIT?") == "W");
    send(*bench.monitor, "sens:pow:unit dbm");
    CHECK(ask(*bench.monitor, "POW:DC:UNIT?") == "DBM");
    send(*bench.monitor, "SENS:POW:DC:UNIT VOLT");
    CHECK(next_error(*bench.monitor) == -224);

    send(*bench.monitor, "SENS:AVER:COUN 34");
    CHECK(ask(*bench.monitor, "SENS:AVER:COUN?") == "34");
    send(*bench.monitor, "SENSE:AVERAGE 10");
    CHECK(ask(*bench.monitor, "sens:aver?") == "10");
    send(*bench.monitor, "SENS:AVER:COUN 0");
    CHECK(next_error(*bench.monitor) == -222);

    CHECK(ask(*bench.monitor, "SENS:POW:DC:RANG:AUTO?") == "1");
    send(*bench.monitor, "SENS:POW:DC:RANG 1MW");
    CHECK(ask(*bench.monitor, "SENS:POW:DC:RANG:AUTO?") == "0");
    CHECK(std::stod(ask(*bench.monitor, "SENS:POW:DC:RANG?")) == Approx(1e-3));
    send(*bench.monitor, "SENS:POW:DC:RANG:AUTO ON");
    CHECK(next_error(*bench.monitor) == 0);
}

TEST_CASE("PM100 sim: measurements of the source tap", "[meters_sim][pm100]") {
    Bench bench;
    light_reference(bench, 1);
    send(*bench.monitor, "SENS:CORR:WAV 1310;:SENS:AVER:COUN 33");

    // The SM laser (about -7 dBm) through a 1 % tap.
    const double watts = std::stod(ask(*bench.monitor, "MEAS:POW?"));
    CHECK(to_dbm(watts) == Approx(-27.0).margin(1.5));

    send(*bench.monitor, "CONF:POW");
    CHECK(ask(*bench.monitor, "CONF?") == "POW");
    send(*bench.monitor, "INIT");
    const std::string fetched = ask(*bench.monitor, "FETC?");
    CHECK(ask(*bench.monitor, "FETCH?") == fetched);
    CHECK(to_dbm(std::stod(fetched)) == Approx(to_dbm(watts)).margin(0.05));
    CHECK(ask(*bench.monitor, "*OPC?") == "1");

    send(*bench.monitor, "SENS:POW:DC:UNIT DBM");
    CHECK(std::stod(ask(*bench.monitor, "READ?")) == Approx(to_dbm(watts)).margin(0.05));

    bench.monitor->set_faults(FaultInjector(parse_fault_spec("monitor:overrange@1"), "monitor"));
    CHECK(ask(*bench.monitor, "MEAS:POW?") == "9.900000E+37");
    CHECK(ask(*bench.monitor, "MEAS:POW?") != "9.900000E+37");
}

TEST_CASE("PM100 sim: FETCh before any measurement is an error", "[meters_sim][pm100]") {
    Bench bench;
    const LineOutcome outcome = bench.monitor->handle_line("FETC?");
    CHECK_FALSE(outcome.reply.has_value());
    CHECK(next_error(*bench.monitor) == -230);
    send(*bench.monitor, "MEAS:POW:FOO?");
    CHECK(next_error(*bench.monitor) == -113);
}
