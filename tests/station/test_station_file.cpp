// Station files: the documented example loads; every malformed file is
// refused with a message naming the file, the line and the key.

#include <catch2/catch.hpp>

#include <string>

#include "acquisition/station.hpp"

using namespace mpobench;
using acquisition::parse_station;
using acquisition::StationFileError;

namespace {

const std::string kMinimal = R"(
[instruments.meter]
role = "power_meter"
model = "keysight-n774x"
resource = "TCPIP0::127.0.0.1::5025::SOCKET"
)";

// Parses `text` and returns the error message it must raise.
std::string error_of(const std::string& text) {
    try {
        parse_station(text, "bad.toml");
    } catch (const StationFileError& error) {
        return error.what();
    }
    FAIL("no error for:\n" << text);
    return {};
}

}  // namespace

TEST_CASE("the documented real-bench example loads in file order") {
    const auto station = acquisition::load_station(std::string(MPOBENCH_SOURCE_DIR) +
                                                   "/fixtures/stations/real-bench-example.toml");
    CHECK(station.name == "LINE2-MPO-3");
    CHECK(station.reference_max_age_min == 240);
    CHECK(station.operator_channel.kind == acquisition::OperatorConfig::Kind::Console);
    REQUIRE(station.instruments.size() == 5);
    CHECK(station.instruments[0].name == "source");
    CHECK(station.instruments[4].name == "monitor");
    const auto* sw = station.find("switch");
    REQUIRE(sw != nullptr);
    CHECK(sw->role == drivers::Role::OpticalSwitch);
    CHECK(sw->transport.serial.baud == 115200);
    CHECK(sw->channels == 32);
    CHECK(station.find("source")->calibration_due == "2027-03-31");
    CHECK(station.find("monitor")->calibration_due == "2027-01-20");
    CHECK(station.find("nothing") == nullptr);
}

TEST_CASE("defaults: 9600 8N1, newline terminators, 2 s timeout") {
    const auto station = parse_station(kMinimal, "min.toml");
    const auto& meter = station.instruments.at(0);
    CHECK(meter.transport.serial.baud == 9600);
    CHECK(meter.transport.serial.data_bits == 8);
    CHECK(meter.transport.serial.parity == drivers::Parity::None);
    CHECK(meter.transport.serial.stop_bits == 1);
    CHECK(meter.write_terminator == "\n");
    CHECK(meter.read_terminator == "\n");
    CHECK(meter.timeout == std::chrono::milliseconds(2000));
    CHECK(station.mated_pairs == 1);
}

TEST_CASE("format_station round-trips") {
    auto station = acquisition::load_station(std::string(MPOBENCH_SOURCE_DIR) +
                                             "/fixtures/stations/real-bench-example.toml");
    station.operator_channel.kind = acquisition::OperatorConfig::Kind::Simulated;
    station.operator_channel.resource = "TCPIP0::127.0.0.1::6000::SOCKET";
    station.instruments[0].write_terminator = "\r\n";
    station.name = "Line \"2\" \\ bay\t3";
    const auto again = parse_station(acquisition::format_station(station), "again.toml");
    REQUIRE(again.instruments.size() == station.instruments.size());
    for (std::size_t i = 0; i < again.instruments.size(); ++i) {
        CHECK(again.instruments[i].name == station.instruments[i].name);
        CHECK(again.instruments[i].resource == station.instruments[i].resource);
        CHECK(again.instruments[i].model == station.instruments[i].model);
        CHECK(again.instruments[i].transport.serial.baud ==
              station.instruments[i].transport.serial.baud);
        CHECK(again.instruments[i].calibration_due == station.instruments[i].calibration_due);
        CHECK(again.instruments[i].write_terminator == station.instruments[i].write_terminator);
    }
    CHECK(again.operator_channel.resource == "TCPIP0::127.0.0.1::6000::SOCKET");
    CHECK(again.name == station.name);
    CHECK_FALSE(again.require_operator);
    CHECK(again.operator_channel.name.empty());

    station.require_operator = true;
    station.operator_channel.name = "Ann \"A\" Lee";
    const auto named = parse_station(acquisition::format_station(station), "again.toml");
    CHECK(named.require_operator == true);
    CHECK(named.operator_channel.name == "Ann \"A\" Lee");
}

TEST_CASE("an operator is required at the console by default, not of the simulated operator") {
    const auto console = parse_station(kMinimal, "min.toml");
    CHECK(console.requires_operator());
    CHECK(console.operator_channel.name.empty());
    const auto simulated = parse_station(
        kMinimal +
            "[operator]\nkind = \"simulated\"\nresource = \"TCPIP0::127.0.0.1::6000::SOCKET\"\n"
            "name = \"robot arm 2\"\n",
        "sim.toml");
    CHECK_FALSE(simulated.requires_operator());
    CHECK(simulated.operator_channel.name == "robot arm 2");
    const auto relaxed = parse_station(kMinimal +
                                           "[station]\nrequire_operator = false\n"
                                           "[operator]\nname = \"line 2 shared login\"\n",
                                       "relaxed.toml");
    CHECK_FALSE(relaxed.requires_operator());
    const auto strict =
        parse_station(kMinimal +
                          "[station]\nrequire_operator = true\n[operator]\nkind = \"simulated\"\n"
                          "resource = \"TCPIP0::127.0.0.1::6000::SOCKET\"\n",
                      "strict.toml");
    CHECK(strict.requires_operator());
    CHECK_THAT(error_of(kMinimal + "[station]\nrequire_operator = \"yes\"\n"),
               Catch::Contains("station.require_operator: expected true or false"));
    CHECK_THAT(error_of(kMinimal + "[operator]\nname = 7\n"),
               Catch::Contains("operator.name: expected a string"));
}

// Found by tests/fuzz/fuzz_station: format_station dropped connect_timeout_ms.
TEST_CASE("format_station keeps the connect timeout") {
    const auto station = parse_station(kMinimal + "connect_timeout_ms = 500\n", "min.toml");
    REQUIRE(station.instruments.at(0).transport.connect_timeout == std::chrono::milliseconds(500));
    const auto again = parse_station(acquisition::format_station(station), "again.toml");
    CHECK(again.instruments.at(0).transport.connect_timeout == std::chrono::milliseconds(500));
}

// Found by tests/fuzz/fuzz_station: a quoted instrument name was written as a
// bare key, and the file no longer parsed.
TEST_CASE("format_station quotes instrument names that are not bare keys") {
    const auto station = parse_station(R"([instruments."meter 1.a"]
role = "power_meter"
model = "keysight-n774x"
resource = "TCPIP0::127.0.0.1::5025::SOCKET"
)",
                                       "quoted.toml");
    const auto again = parse_station(acquisition::format_station(station), "again.toml");
    REQUIRE(again.instruments.size() == 1);
    CHECK(again.instruments[0].name == "meter 1.a");
}

// Found by tests/fuzz/fuzz_station: "4651- 1-20" passed as a date (sscanf
// skips the space), and format_station wrote it as TOML that did not parse.
TEST_CASE("a calibration date is exactly YYYY-MM-DD digits") {
    for (const std::string date : {"2027- 3-31", "2027-+3-31", "2027-03- 1", " 027-03-31"}) {
        CAPTURE(date);
        CHECK_THAT(error_of(kMinimal + "calibration_due = \"" + date + "\"\n"),
                   Catch::Contains("calibration_due: expected a date"));
    }
}

TEST_CASE("malformed station files name file, line and key") {
    CHECK_THAT(error_of("[station\nname = 1"), Catch::Contains("bad.toml:1"));
    CHECK_THAT(error_of("[station]\nname = \"x\"\n"), Catch::Contains("no [instruments.<name>]"));
    CHECK_THAT(error_of(kMinimal + "baud_rate = 9600\n"),
               Catch::Contains("bad.toml:6") &&
                   Catch::Contains("instruments.meter.baud_rate: unknown key"));
    CHECK_THAT(
        error_of("[instruments.meter]\nrole = \"power_meter\"\nmodel = \"keysight-n774x\"\n"),
        Catch::Contains("instruments.meter.resource: missing"));
    CHECK_THAT(error_of("[instruments.meter]\nrole = \"meter\"\nmodel = "
                        "\"keysight-n774x\"\nresource = \"x\"\n"),
               Catch::Contains("bad.toml:2") && Catch::Contains("'meter' is not one of"));
    CHECK_THAT(error_of("[instruments.meter]\nrole = \"power_meter\"\nmodel = \"acme-9000\"\n"
                        "resource = \"TCPIP0::h::1::SOCKET\"\n"),
               Catch::Contains("bad.toml:3") && Catch::Contains("unknown model 'acme-9000'") &&
                   Catch::Contains("keysight-n774x"));
    CHECK_THAT(error_of("[instruments.meter]\nrole = \"light_source\"\nmodel = \"keysight-n774x\"\n"
                        "resource = \"TCPIP0::h::1::SOCKET\"\n"),
               Catch::Contains("is a power meter, not a light source"));
    CHECK_THAT(error_of("[instruments.meter]\nrole = \"power_meter\"\nmodel = \"keysight-n774x\"\n"
                        "resource = \"GPIB0::22::INSTR\"\n"),
               Catch::Contains("bad.toml:4") && Catch::Contains("GPIB0::22::INSTR"));
    CHECK_THAT(error_of(kMinimal + "baud = 12\n"),
               Catch::Contains("instruments.meter.baud: 12 is outside"));
    CHECK_THAT(error_of(kMinimal + "baud = \"fast\"\n"),
               Catch::Contains("baud: expected an integer"));
    CHECK_THAT(error_of(kMinimal + "parity = \"sometimes\"\n"),
               Catch::Contains("'sometimes' is not one of none"));
    CHECK_THAT(error_of(kMinimal + "flow_control = \"dtrdsr\"\n"),
               Catch::Contains("flow_control: 'dtrdsr' is not one of none, xonxoff, rtscts"));
    CHECK_THAT(error_of(kMinimal + "calibration_due = \"2027-02-30\"\n"),
               Catch::Contains("calibration_due: expected a date"));
    CHECK_THAT(error_of(kMinimal + "read_terminator = \";\"\n"),
               Catch::Contains("read_terminator: must be"));
    CHECK_THAT(error_of(kMinimal + "channels = 0\n"), Catch::Contains("channels: 0 is outside"));
    CHECK_THAT(error_of("instruments = 3\n"), Catch::Contains("no [instruments.<name>]"));
    CHECK_THAT(error_of(kMinimal + "[operator]\nkind = \"robot\"\n"),
               Catch::Contains("operator.kind: 'robot'"));
    CHECK_THAT(error_of(kMinimal + "[operator]\nkind = \"simulated\"\n"),
               Catch::Contains("operator.resource: missing"));
    CHECK_THAT(error_of(kMinimal + "[station]\nmated_pairs = 0\n"),
               Catch::Contains("station.mated_pairs"));
    CHECK_THAT(error_of(kMinimal + "[stations]\n"), Catch::Contains("stations: unknown key"));
}

TEST_CASE("cords: a launch and receive cords with mating limits") {
    const auto station = acquisition::load_station(std::string(MPOBENCH_SOURCE_DIR) +
                                                   "/fixtures/stations/real-bench-example.toml");
    REQUIRE(station.cords.size() == 2);
    CHECK(station.cords[0].id == "LC-0042");
    CHECK(station.cords[0].role == acquisition::CordConfig::Role::Launch);
    CHECK(station.cords[0].mating_limit == 1000);
    CHECK(station.cords[0].warn_matings == 900);
    CHECK(station.cords[1].role == acquisition::CordConfig::Role::Receive);
    CHECK(station.cords[1].warn_matings == 900);  // default: 90 % of the limit
    REQUIRE(station.launch_cord());
    CHECK(station.launch_cord()->id == "LC-0042");
    CHECK_FALSE(parse_station(kMinimal, "ok.toml").launch_cord());

    // format_station writes them back.
    const auto again = parse_station(acquisition::format_station(station), "again.toml");
    REQUIRE(again.cords.size() == 2);
    CHECK(again.cords[1].id == "RC-0107");
    CHECK(again.cords[1].role == acquisition::CordConfig::Role::Receive);
    CHECK(again.cords[1].mating_limit == 1000);
    CHECK(again.cords[1].warn_matings == 900);
}

TEST_CASE("malformed cords are refused naming the cord") {
    const std::string cord = "\n[[cords]]\nid = \"LC-1\"\nmating_limit = 500\n";
    CHECK_THAT(error_of(kMinimal + "\n[[cords]]\nmating_limit = 500\n"),
               Catch::Contains("cords[0].id: missing"));
    CHECK_THAT(error_of(kMinimal + "\n[[cords]]\nid = \"LC 1\"\nmating_limit = 500\n"),
               Catch::Contains("cords[0].id: 'LC 1' is not a cord label"));
    CHECK_THAT(error_of(kMinimal + "\n[[cords]]\nid = \"LC-1\"\n"),
               Catch::Contains("cords[0].mating_limit: missing"));
    CHECK_THAT(error_of(kMinimal + "\n[[cords]]\nid = \"LC-1\"\nmating_limit = 0\n"),
               Catch::Contains("cords[0].mating_limit: 0 is outside"));
    CHECK_THAT(error_of(kMinimal + cord + "warn_matings = 500\n"),
               Catch::Contains("cords[0].warn_matings: 500 is outside 0..499"));
    CHECK_THAT(error_of(kMinimal + cord + "role = \"patch\"\n"),
               Catch::Contains("cords[0].role: 'patch' is not one of launch, receive"));
    CHECK_THAT(error_of(kMinimal + cord + "colour = \"yellow\"\n"),
               Catch::Contains("cords[0].colour: unknown key"));
    CHECK_THAT(error_of(kMinimal + cord + cord),
               Catch::Contains("cords[1].id: 'LC-1' is named twice"));
    CHECK_THAT(error_of(kMinimal + cord + "\n[[cords]]\nid = \"LC-2\"\nmating_limit = 5\n"),
               Catch::Contains("a second launch cord ('LC-1' and 'LC-2')"));
    CHECK_THAT(error_of("cords = 3\n" + kMinimal),
               Catch::Contains("cords: expected [[cords]] tables"));
}

TEST_CASE("a missing station file is a clear error") {
    CHECK_THROWS_WITH(acquisition::load_station("/nonexistent/station.toml"),
                      Catch::Contains("/nonexistent/station.toml: cannot open"));
}

TEST_CASE("[label] printer names where the bag labels go, and survives format_station", "[label]") {
    using Kind = acquisition::LabelDestination::Kind;
    CHECK_FALSE(parse_station(kMinimal, "min.toml").label_printer.has_value());

    const auto tcp =
        parse_station(kMinimal + "[label]\nprinter = \"tcp://zebra-7.line2:9101\"\n", "label.toml");
    REQUIRE(tcp.label_printer);
    CHECK(tcp.label_printer->kind == Kind::Tcp);
    CHECK(tcp.label_printer->host == "zebra-7.line2");
    CHECK(tcp.label_printer->port == 9101);
    CHECK(tcp.label_printer->text == "tcp://zebra-7.line2:9101");
    const auto again = parse_station(acquisition::format_station(tcp), "again.toml");
    REQUIRE(again.label_printer);
    CHECK(again.label_printer->text == "tcp://zebra-7.line2:9101");

    const auto defaults = acquisition::parse_label_destination("tcp://192.0.2.7");
    CHECK((defaults.host == "192.0.2.7" && defaults.port == 9100));
    const auto v6 = acquisition::parse_label_destination("tcp://[::1]:9105");
    CHECK((v6.host == "::1" && v6.port == 9105));
    const auto file = acquisition::parse_label_destination("file:/var/spool/labels/bay3.zpl");
    CHECK((file.kind == Kind::File && file.file == "/var/spool/labels/bay3.zpl"));
    const auto lp = acquisition::parse_label_destination("lp:zebra_bay3");
    CHECK((lp.kind == Kind::Lp && lp.queue == "zebra_bay3"));
}

TEST_CASE("a bad label printer is refused naming file, line and what is allowed", "[label]") {
    CHECK_THAT(error_of(kMinimal + "[label]\nprinter = \"http://zebra:9100\"\n"),
               Catch::Contains("bad.toml:7") && Catch::Contains("label.printer") &&
                   Catch::Contains("unknown kind of destination") &&
                   Catch::Contains("tcp://HOST[:PORT], file:PATH or lp:QUEUE"));
    CHECK_THAT(error_of(kMinimal + "[label]\nprinter = \"tcp://zebra:70000\"\n"),
               Catch::Contains("port '70000' is not a number in 1..65535"));
    CHECK_THAT(error_of(kMinimal + "[label]\nprinter = \"tcp://zebra:\"\n"),
               Catch::Contains("the port is missing"));
    CHECK_THAT(error_of(kMinimal + "[label]\nprinter = \"tcp://:9100\"\n"),
               Catch::Contains("the host is missing"));
    CHECK_THAT(error_of(kMinimal + "[label]\nprinter = \"tcp://[::1:9100\"\n"),
               Catch::Contains("closing ]"));
    CHECK_THAT(error_of(kMinimal + "[label]\nprinter = \"tcp://ze bra\"\n"),
               Catch::Contains("cannot"));
    CHECK_THAT(error_of(kMinimal + "[label]\nprinter = \"file:\"\n"),
               Catch::Contains("the file name is missing"));
    CHECK_THAT(error_of(kMinimal + "[label]\nprinter = \"lp:\"\n"),
               Catch::Contains("the queue name is missing"));
    CHECK_THAT(error_of(kMinimal + "[label]\nprinter = \"lp:-o\"\n"),
               Catch::Contains("does not start with '-'"));
    CHECK_THAT(error_of(kMinimal + "[label]\nprinter = 9100\n"),
               Catch::Contains("label.printer: expected a string"));
    CHECK_THAT(error_of(kMinimal + "[label]\nqueue = \"x\"\n"),
               Catch::Contains("label.queue: unknown key"));
    CHECK_THAT(error_of(kMinimal + "[label]\n"), Catch::Contains("label.printer: missing"));
    CHECK_THAT(error_of(kMinimal + "label = \"tcp://x\"\n"),
               Catch::Contains("instruments.meter.label: unknown key"));
    CHECK_THAT(error_of("label = \"tcp://x\"\n" + kMinimal),
               Catch::Contains("label: expected a table"));
}

TEST_CASE("[station] max_monitor_drift_db: 0.1 dB by default, a number within 0.001..3") {
    CHECK(parse_station(kMinimal, "min.toml").max_monitor_drift_db == 0.10);
    CHECK(parse_station("[station]\nmax_monitor_drift_db = 0.05\n" + kMinimal, "x.toml")
              .max_monitor_drift_db == 0.05);
    CHECK(parse_station("[station]\nmax_monitor_drift_db = 1\n" + kMinimal, "x.toml")
              .max_monitor_drift_db == 1.0);
    CHECK_THAT(error_of("[station]\nmax_monitor_drift_db = 0\n" + kMinimal),
               Catch::Contains("station.max_monitor_drift_db: 0 is outside 0.001..3"));
    CHECK_THAT(error_of("[station]\nmax_monitor_drift_db = \"a\"\n" + kMinimal),
               Catch::Contains("station.max_monitor_drift_db: expected a number"));
    // format_station writes it; it reads back.
    auto station = parse_station("[station]\nmax_monitor_drift_db = 0.02\n" + kMinimal, "x.toml");
    CHECK(parse_station(acquisition::format_station(station), "again.toml").max_monitor_drift_db ==
          0.02);
}

TEST_CASE("several far-end meters: far_positions as ranges or a list, and monitor = true") {
    const std::string text = R"(
[instruments.left]
role = "power_meter"
model = "keysight-n774x"
resource = "TCPIP0::10.0.0.5::5025::SOCKET"
channels = 8
far_positions = "1-8"

[instruments.right]
role = "power_meter"
model = "keysight-n774x"
resource = "TCPIP0::10.0.0.6::5025::SOCKET"
far_positions = "9-12, 14, 13, 15-16"

[instruments.odd]
role = "power_meter"
model = "keysight-n774x"
resource = "TCPIP0::10.0.0.7::5025::SOCKET"
far_positions = [17, 19, 18]

[instruments.tap]
role = "power_meter"
model = "thorlabs-pm100"
resource = "ASRL/dev/ttyUSB1::INSTR"
monitor = true
)";
    const auto station = parse_station(text, "meters.toml");
    CHECK(station.find("left")->far_positions == std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8});
    CHECK(station.find("right")->far_positions == std::vector<int>{9, 10, 11, 12, 14, 13, 15, 16});
    CHECK(station.find("odd")->far_positions == std::vector<int>{17, 19, 18});
    CHECK_FALSE(station.find("left")->monitor);
    CHECK(station.find("tap")->monitor);
    CHECK(station.find("tap")->far_positions.empty());

    const std::string formatted = acquisition::format_station(station);
    CHECK_THAT(formatted, Catch::Contains("far_positions = \"1-8\""));
    CHECK_THAT(formatted, Catch::Contains("far_positions = \"9-12, 14, 13, 15-16\""));
    CHECK_THAT(formatted, Catch::Contains("monitor = true"));
    const auto again = parse_station(formatted, "again.toml");
    for (const auto& instrument : station.instruments) {
        INFO(instrument.name);
        CHECK(again.find(instrument.name)->far_positions == instrument.far_positions);
        CHECK(again.find(instrument.name)->monitor == instrument.monitor);
    }
}

TEST_CASE("malformed far_positions and monitor keys name file, line and key") {
    const auto meter = [](const std::string& extra) {
        return "[instruments.meter]\nrole = \"power_meter\"\nmodel = \"keysight-n774x\"\n"
               "resource = \"TCPIP0::127.0.0.1::5025::SOCKET\"\n" +
               extra + "\n";
    };
    CHECK_THAT(error_of(meter("far_positions = \"1-8x\"")),
               Catch::Contains("bad.toml:5: instruments.meter.far_positions: '1-8x' is not a "
                               "position or a range"));
    CHECK_THAT(error_of(meter("far_positions = \"8-1\"")), Catch::Contains("runs backwards"));
    CHECK_THAT(error_of(meter("far_positions = \"1-4, 3\"")),
               Catch::Contains("position 3 is named twice"));
    CHECK_THAT(error_of(meter("far_positions = \"0-3\"")),
               Catch::Contains("position 0 is outside 1..1024"));
    CHECK_THAT(error_of(meter("far_positions = []")), Catch::Contains("names no position"));
    CHECK_THAT(error_of(meter("far_positions = [1, \"2\"]")), Catch::Contains("expected integers"));
    CHECK_THAT(error_of(meter("far_positions = 8")),
               Catch::Contains("expected a string of ranges"));
    CHECK_THAT(error_of(meter("monitor = \"yes\"")),
               Catch::Contains("instruments.meter.monitor: expected true or false"));
    CHECK_THAT(error_of(meter("monitor = true\nfar_positions = \"1-8\"")),
               Catch::Contains("give far_positions or monitor = true, not both"));
    CHECK_THAT(error_of("[instruments.switch]\nrole = \"optical_switch\"\nmodel = "
                        "\"keysight-n773x\"\nresource = \"TCPIP0::127.0.0.1::5025::SOCKET\"\n"
                        "far_positions = \"1-8\"\n"),
               Catch::Contains("instruments.switch.far_positions: only a power_meter has it"));
}

TEST_CASE("[plant] url names the plant database and survives format_station", "[plant]") {
    CHECK_FALSE(parse_station(kMinimal, "min.toml").plant_url.has_value());
    const auto station = parse_station(
        kMinimal +
            "[plant]\nurl = \"postgresql://station7@plant-db/plant\"\nretry_interval_s = 10\n",
        "plant.toml");
    REQUIRE(station.plant_url);
    CHECK(*station.plant_url == "postgresql://station7@plant-db/plant");
    CHECK(station.plant_retry_interval_s == 10);
    const auto again = parse_station(acquisition::format_station(station), "again.toml");
    REQUIRE(again.plant_url);
    CHECK(*again.plant_url == *station.plant_url);
    CHECK(again.plant_retry_interval_s == 10);
    CHECK(parse_station(kMinimal + "[plant]\nurl = \"host=plant-db\"\n", "p.toml")
              .plant_retry_interval_s == 30);
}

TEST_CASE("a bad [plant] table is refused naming file, line and key", "[plant]") {
    CHECK_THAT(error_of(kMinimal + "[plant]\nretry_interval_s = 5\n"),
               Catch::Contains("bad.toml") && Catch::Contains("url"));
    CHECK_THAT(error_of(kMinimal + "[plant]\nurl = \"\"\n"),
               Catch::Contains("bad.toml:7") && Catch::Contains("plant.url: empty"));
    CHECK_THAT(error_of(kMinimal + "[plant]\nurl = 5432\n"),
               Catch::Contains("plant.url") && Catch::Contains("expected a string"));
    CHECK_THAT(error_of(kMinimal + "[plant]\nurl = \"host=x\"\nretry_interval_s = 0\n"),
               Catch::Contains("plant.retry_interval_s"));
    CHECK_THAT(error_of(kMinimal + "[plant]\nurl = \"host=x\"\npasword = \"typo\"\n"),
               Catch::Contains("pasword"));
    CHECK_THAT(error_of("plant = \"postgresql://x\"\n" + kMinimal),
               Catch::Contains("plant: expected a table"));
}
