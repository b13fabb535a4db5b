// The source, switch and return-loss drivers against recorded transcripts
// (tests/replay/transcripts), and the driver registry.

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "drivers/models/keysight_81610a.hpp"
#include "drivers/models/keysight_8165x.hpp"
#include "drivers/models/keysight_n773x.hpp"
#include "drivers/models/keysight_n774x.hpp"
#include "drivers/models/thorlabs_pm100.hpp"
#include "drivers/registry.hpp"
#include "tests/support/replay_transport.hpp"

// Lambdas name the structured bindings they use as init-captures (`&meter = meter`):
// Clang before 16, which builds the sanitizer tests, cannot capture bindings.

namespace {

using namespace mpobench::drivers;
using mpobench::testing::ReplayScript;
using mpobench::testing::ReplayTransport;

std::string transcript(const std::string& name) {
    const auto path =
        std::filesystem::path(MPOBENCH_SOURCE_DIR) / "tests/replay/transcripts" / name;
    std::ifstream file(path);
    if (!file)
        throw std::runtime_error("cannot open transcript " + path.string());
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

// A driver talking to the concatenation of transcript files.
template <typename Driver>
struct Rig {
    std::shared_ptr<ReplayScript> script;
    std::unique_ptr<Driver> driver;
};

template <typename Driver>
Rig<Driver> rig(InstrumentConfig config, std::initializer_list<std::string> files) {
    std::string text;
    std::string name;
    for (const auto& file : files) {
        text += transcript(file);
        name += (name.empty() ? "" : "+") + file;
    }
    auto script = ReplayScript::from_string(text, name);
    auto transport = std::make_unique<ReplayTransport>(script);
    SessionOptions options;
    options.role = config.name;
    options.timeout = config.timeout;
    auto session = std::make_unique<ScpiSession>(std::move(transport), options);
    return {script, std::make_unique<Driver>(std::move(config), std::move(session))};
}

InstrumentConfig config(std::string name, Role role, std::string model) {
    InstrumentConfig config;
    config.name = std::move(name);
    config.role = role;
    config.model = std::move(model);
    config.resource = "TCPIP0::127.0.0.1::5025::SOCKET";
    config.timeout = std::chrono::milliseconds(200);
    return config;
}

InstrumentConfig source_config() {
    return config("source", Role::LightSource, "keysight-8165x");
}
InstrumentConfig switch_config() {
    return config("switch", Role::OpticalSwitch, "keysight-n773x");
}
InstrumentConfig rl_config() {
    return config("rl", Role::ReturnLossMeter, "keysight-81610a");
}

template <typename Function>
InstrumentError expect_error(Function&& function, ErrorKind kind) {
    try {
        function();
    } catch (const InstrumentError& error) {
        INFO(error.what());
        CHECK(error.kind() == kind);
        return error;
    }
    FAIL("no InstrumentError was thrown");
    throw std::logic_error("unreachable");
}

#define CHECK_CONSUMED(script)           \
    do {                                 \
        INFO((script)->remaining());     \
        CHECK((script)->all_consumed()); \
    } while (false)

}  // namespace

// ---------------------------------------------------------------------------
// Light source

TEST_CASE("8165x: identify, prepare, select wavelengths, wait, output off", "[replay][source]") {
    auto [script, source] = rig<Keysight8165x>(
        source_config(),
        {"keysight_8165x_identify.txt", "keysight_8165x_prepare.txt", "keysight_8165x_select.txt"});
    const Identity identity = source->identify();
    CHECK(identity.model == "8163B");
    CHECK(identity.serial == "MY48201234");
    CHECK(source->accepts(identity));

    source->prepare();
    CHECK(source->wavelengths_nm() == std::vector<double>{850.0, 1300.0, 1310.0, 1550.0});
    REQUIRE(source->modules().size() == 2);
    CHECK(source->modules()[0].slot == 1);
    CHECK(source->modules()[0].part_number == "81650MM");
    CHECK(source->modules()[1].lasers_nm == std::vector<double>{1310.0, 1550.0});

    source->select_wavelength_nm(1550.0);
    source->wait_stable();
    CHECK(source->wavelength_nm() == 1550.0);
    source->select_wavelength_nm(850.2);  // within half a nanometre of the laser
    CHECK(source->wavelength_nm() == 850.0);
    source->set_output(false);
    CHECK_CONSUMED(script);
    CHECK(source->model() == "keysight-8165x");
    CHECK(source->role() == "source");
}

TEST_CASE("8165x: an 8164B numbers its slots from 0", "[replay][source]") {
    auto [script, source] = rig<Keysight8165x>(source_config(), {"keysight_8165x_8164b.txt"});
    source->prepare();
    REQUIRE(source->modules().size() == 1);
    CHECK(source->modules()[0].slot == 2);
    CHECK(source->wavelengths_nm() == std::vector<double>{1310.0, 1550.0});
    CHECK_CONSUMED(script);
}

TEST_CASE("8165x: a wavelength no laser has is refused without a command", "[replay][source]") {
    auto [script, source] = rig<Keysight8165x>(source_config(), {"keysight_8165x_prepare.txt"});
    source->prepare();
    const auto error = expect_error([&, &source = source] { source->select_wavelength_nm(1490.0); },
                                    ErrorKind::Configuration);
    CHECK_THAT(error.detail(), Catch::Contains("1310, 1550"));
    CHECK_CONSUMED(script);
}

TEST_CASE("8165x: before prepare() the lasers are unknown", "[replay][source]") {
    auto [script, source] = rig<Keysight8165x>(source_config(), {"keysight_8165x_identify.txt"});
    expect_error([&, &source = source] { source->wavelengths_nm(); }, ErrorKind::Configuration);
    expect_error([&, &source = source] { source->set_output(true); }, ErrorKind::Configuration);
    CHECK(script->remaining().find("*IDN?") != std::string::npos);
}

TEST_CASE("8165x: a reply garbled every time is a protocol error", "[replay][source]") {
    auto [script, source] = rig<Keysight8165x>(source_config(), {"keysight_8165x_garbled.txt"});
    const auto error =
        expect_error([&, &source = source] { source->prepare(); }, ErrorKind::Protocol);
    CHECK(error.context().command == ":SOUR1:WAV? MIN");
    REQUIRE(error.context().reply);
    CHECK(error.context().reply->find('\xFF') != std::string::npos);
    CHECK_CONSUMED(script);
}

TEST_CASE("8165x: a silent query is asked again three times, then times out", "[replay][source]") {
    auto [script, source] = rig<Keysight8165x>(
        source_config(), {"keysight_8165x_prepare.txt", "keysight_8165x_silent.txt"});
    source->prepare();
    source->select_wavelength_nm(1310.0);
    const auto error =
        expect_error([&, &source = source] { source->wavelength_nm(); }, ErrorKind::Timeout);
    CHECK(error.context().command == ":SOUR2:WAV?");
    CHECK_CONSUMED(script);
}

TEST_CASE("8165x: a command is sent once; a lost error-queue reply is checked with *STB?",
          "[replay][source]") {
    auto [script, source] = rig<Keysight8165x>(
        source_config(), {"keysight_8165x_prepare.txt", "keysight_8165x_silent_command.txt"});
    source->prepare();
    source->select_wavelength_nm(1310.0);
    source->set_output(false);
    CHECK_CONSUMED(script);
}

TEST_CASE("8165x: a queued error after a command is a device error naming it", "[replay][source]") {
    auto [script, source] = rig<Keysight8165x>(
        source_config(), {"keysight_8165x_prepare.txt", "keysight_8165x_device_error.txt"});
    source->prepare();
    const auto error = expect_error([&, &source = source] { source->select_wavelength_nm(1300.0); },
                                    ErrorKind::Device);
    CHECK(error.context().command == ":SOUR1:POW:STAT 1");
    CHECK_THAT(error.detail(), Catch::Contains("-221"));
    CHECK_CONSUMED(script);
}

TEST_CASE("8165x: a mainframe without a source module is refused", "[replay][source]") {
    auto [script, source] = rig<Keysight8165x>(source_config(), {"keysight_8165x_no_source.txt"});
    const auto error =
        expect_error([&, &source = source] { source->prepare(); }, ErrorKind::Configuration);
    CHECK_THAT(error.detail(), Catch::Contains("8165x"));
    CHECK_CONSUMED(script);
}

// ---------------------------------------------------------------------------
// Optical switch

TEST_CASE("N773x: identify, prepare, route with read-back, current port", "[replay][switch]") {
    auto [script, optical_switch] = rig<KeysightN773x>(
        switch_config(), {"keysight_n773x_prepare.txt", "keysight_n773x_route.txt"});
    const Identity identity = optical_switch->identify();
    CHECK(identity.model == "N7734C");
    CHECK(optical_switch->accepts(identity));
    optical_switch->prepare();
    CHECK(optical_switch->port_count() == 32);
    optical_switch->route(5);
    optical_switch->route(12);
    CHECK(optical_switch->current_port() == 12);
    CHECK_CONSUMED(script);
}

TEST_CASE("N773x: the station file's port count limits the moves", "[replay][switch]") {
    auto switch_12 = switch_config();
    switch_12.channels = 12;
    auto [script, optical_switch] =
        rig<KeysightN773x>(switch_12, {"keysight_n773x_prepare.txt", "keysight_n773x_route.txt"});
    CHECK(optical_switch->port_count() == 12);  // known before prepare()
    optical_switch->identify();
    optical_switch->prepare();
    expect_error([&, &optical_switch = optical_switch] { optical_switch->route(13); },
                 ErrorKind::Configuration);
    expect_error([&, &optical_switch = optical_switch] { optical_switch->route(0); },
                 ErrorKind::Configuration);
    optical_switch->route(5);
    optical_switch->route(12);
    CHECK(optical_switch->current_port() == 12);
    CHECK_CONSUMED(script);
}

TEST_CASE("N773x: more ports in the station file than the switch has", "[replay][switch]") {
    auto switch_48 = switch_config();
    switch_48.channels = 48;
    auto [script, optical_switch] = rig<KeysightN773x>(switch_48, {"keysight_n773x_prepare.txt"});
    optical_switch->identify();
    expect_error([&, &optical_switch = optical_switch] { optical_switch->prepare(); },
                 ErrorKind::Configuration);
    CHECK_CONSUMED(script);
}

TEST_CASE("N773x: without prepare() or channels the port count is unknown", "[replay][switch]") {
    auto [script, optical_switch] =
        rig<KeysightN773x>(switch_config(), {"keysight_n773x_prepare.txt"});
    expect_error([&, &optical_switch = optical_switch] { optical_switch->port_count(); },
                 ErrorKind::Configuration);
    expect_error([&, &optical_switch = optical_switch] { optical_switch->route(3); },
                 ErrorKind::Configuration);
}

TEST_CASE("N773x: a garbled route reply is a protocol error", "[replay][switch]") {
    auto [script, optical_switch] = rig<KeysightN773x>(
        switch_config(), {"keysight_n773x_prepare.txt", "keysight_n773x_garbled.txt"});
    optical_switch->identify();
    optical_switch->prepare();
    const auto error =
        expect_error([&, &optical_switch = optical_switch] { optical_switch->current_port(); },
                     ErrorKind::Protocol);
    CHECK(error.context().command == ":ROUT1:CHAN1?");
    CHECK_CONSUMED(script);
}

TEST_CASE("N773x: a silent route query is asked again", "[replay][switch]") {
    auto [script, optical_switch] = rig<KeysightN773x>(
        switch_config(), {"keysight_n773x_prepare.txt", "keysight_n773x_silent_query.txt"});
    optical_switch->identify();
    optical_switch->prepare();
    CHECK(optical_switch->current_port() == 7);
    expect_error([&, &optical_switch = optical_switch] { optical_switch->current_port(); },
                 ErrorKind::Timeout);
    CHECK_CONSUMED(script);
}

TEST_CASE("N773x: a move whose reply was lost is sent again and read back", "[replay][switch]") {
    auto [script, optical_switch] = rig<KeysightN773x>(
        switch_config(), {"keysight_n773x_prepare.txt", "keysight_n773x_silent_move.txt"});
    optical_switch->identify();
    optical_switch->prepare();
    optical_switch->route(7);
    CHECK_CONSUMED(script);
}

TEST_CASE("N773x: a refused move is a device error with the queued reason", "[replay][switch]") {
    auto [script, optical_switch] = rig<KeysightN773x>(
        switch_config(), {"keysight_n773x_prepare.txt", "keysight_n773x_device_error.txt"});
    optical_switch->identify();
    optical_switch->prepare();
    const auto error = expect_error(
        [&, &optical_switch = optical_switch] { optical_switch->route(9); }, ErrorKind::Device);
    CHECK(error.context().command == ":ROUT1:CHAN1 A,9;*OPC?;:ROUT1:CHAN1?");
    CHECK_THAT(error.detail(), Catch::Contains("output 5") && Catch::Contains("-222"));
    CHECK_CONSUMED(script);
}

TEST_CASE("N773x: a switch that is not 1xN, or a configuration that does not parse",
          "[replay][switch]") {
    SECTION("2x2") {
        auto [script, optical_switch] =
            rig<KeysightN773x>(switch_config(), {"keysight_n773x_not_1xn.txt"});
        expect_error([&, &optical_switch = optical_switch] { optical_switch->prepare(); },
                     ErrorKind::Configuration);
        CHECK_CONSUMED(script);
    }
    SECTION("malformed") {
        auto [script, optical_switch] =
            rig<KeysightN773x>(switch_config(), {"keysight_n773x_bad_config.txt"});
        expect_error([&, &optical_switch = optical_switch] { optical_switch->prepare(); },
                     ErrorKind::Protocol);
        CHECK_CONSUMED(script);
    }
}

// ---------------------------------------------------------------------------
// Return-loss meter

TEST_CASE("81610A: identify, prepare, measure, calibration values", "[replay][rl]") {
    auto [script, meter] = rig<Keysight81610a>(
        rl_config(), {"keysight_81610a_prepare.txt", "keysight_81610a_measure.txt"});
    CHECK(meter->accepts(meter->identify()));
    meter->prepare();
    CHECK(meter->slot() == 1);
    CHECK(meter->averaging_time() == std::chrono::seconds(1));
    meter->set_wavelength_nm(1310.0);
    meter->set_averaging_time(std::chrono::milliseconds(1500));
    CHECK(meter->averaging_time() == std::chrono::milliseconds(1500));
    meter->start_measurement();
    const ReturnLossReading reading = meter->read_rl_db();
    REQUIRE(reading.ok());
    CHECK(reading.rl_db == Approx(66.21));
    const auto calibration = meter->calibration_values();
    CHECK(calibration.reference_rl_db == Approx(14.7));
    CHECK(calibration.termination_rl_db == Approx(70.0));
    CHECK(calibration.termination_power_dbm == Approx(-80.5));
    CHECK_CONSUMED(script);
}

TEST_CASE("81610A: overrange, NaN and other sentinels become statuses", "[replay][rl]") {
    auto [script, meter] = rig<Keysight81610a>(
        rl_config(), {"keysight_81610a_prepare.txt", "keysight_81610a_sentinels.txt"});
    meter->identify();
    meter->prepare();
    using Status = ReturnLossReading::Status;
    for (const Status expected : {Status::Overrange, Status::Invalid, Status::Underrange,
                                  Status::Overrange, Status::Invalid}) {
        meter->start_measurement();
        const ReturnLossReading reading = meter->read_rl_db();
        CHECK(reading.status == expected);
        // An overrange is a bound: the RL lies beyond the module's range.
        CHECK(reading.range_db == (expected == Status::Overrange ? 75.0 : 0.0));
    }
    CHECK_CONSUMED(script);
}

TEST_CASE("81610A: garbled, silent and refused", "[replay][rl]") {
    auto [script, meter] = rig<Keysight81610a>(
        rl_config(), {"keysight_81610a_prepare.txt", "keysight_81610a_errors.txt"});
    meter->identify();
    meter->prepare();
    meter->start_measurement();
    auto error = expect_error([&, &meter = meter] { meter->read_rl_db(); }, ErrorKind::Protocol);
    CHECK(error.context().reply == "+6.6.2E+001");
    meter->start_measurement();
    error = expect_error([&, &meter = meter] { meter->read_rl_db(); }, ErrorKind::Timeout);
    CHECK(error.context().command == ":FETC1:CHAN1:RET?");
    error =
        expect_error([&, &meter = meter] { meter->set_wavelength_nm(1700.0); }, ErrorKind::Device);
    CHECK(error.context().command == ":SENS1:CHAN1:POW:WAV 1700NM");
    CHECK_CONSUMED(script);
}

TEST_CASE("81610A: averaging below 200 ms is refused without a command", "[replay][rl]") {
    auto [script, meter] = rig<Keysight81610a>(rl_config(), {"keysight_81610a_prepare.txt"});
    meter->identify();
    meter->prepare();
    expect_error([&, &meter = meter] { meter->set_averaging_time(std::chrono::milliseconds(100)); },
                 ErrorKind::Configuration);
    CHECK(meter->averaging_time() == std::chrono::seconds(1));
    CHECK_CONSUMED(script);
}

TEST_CASE("81610A: wrong mainframe contents are refused", "[replay][rl]") {
    SECTION("no return loss module") {
        auto [script, meter] = rig<Keysight81610a>(rl_config(), {"keysight_81610a_no_module.txt"});
        expect_error([&, &meter = meter] { meter->prepare(); }, ErrorKind::Configuration);
        CHECK_CONSUMED(script);
    }
    SECTION("not a lightwave mainframe") {
        auto [script, meter] =
            rig<Keysight81610a>(rl_config(), {"keysight_81610a_not_mainframe.txt"});
        const auto error =
            expect_error([&, &meter = meter] { meter->prepare(); }, ErrorKind::Configuration);
        CHECK_THAT(error.detail(), Catch::Contains("PM100USB"));
        CHECK_CONSUMED(script);
    }
    SECTION("measuring before prepare()") {
        auto [script, meter] = rig<Keysight81610a>(rl_config(), {"keysight_81610a_prepare.txt"});
        expect_error([&, &meter = meter] { meter->start_measurement(); }, ErrorKind::Configuration);
    }
}

// ---------------------------------------------------------------------------
// Modules of one mainframe on one connection

TEST_CASE("8165x and 81610A share one 8164B connection, each addressing its slots",
          "[replay][mainframe]") {
    auto script = ReplayScript::from_string(R"(
# source: prepare()
> *CLS
> *IDN?
< Keysight Technologies,8164B,MY48201234,V5.25(72637)
> *OPT?
< ,81650MM,81654A,81610A,
> :SOUR1:WAV? MIN
< +8.50000000E-007
> :SOUR1:WAV? MAX
< +1.30000000E-006
> :SOUR2:WAV? MIN
< +1.31000000E-006
> :SOUR2:WAV? MAX
< +1.55000000E-006
> :SOUR1:AM:STAT 0
> :SOUR1:POW:STAT 0
> :SOUR2:AM:STAT 0
> :SOUR2:POW:STAT 0
> SYST:ERR?
< +0,"No error"
# rl: prepare(), the module in slot 3
> *CLS
> *IDN?
< Keysight Technologies,8164B,MY48201234,V5.25(72637)
> *OPT?
< ,81650MM,81654A,81610A,
> :INIT3:CHAN1:CONT 0
> :SENS3:CHAN1:POW:RANG:AUTO 1
> :SENS3:CHAN1:POW:ATIM 1000MS
> SYST:ERR?
< +0,"No error"
# one launch: the laser, the RL module's wavelength, a window read
> :SOUR1:POW:STAT 0
> :SOUR2:POW:WAV UPP
> :SOUR2:POW:STAT 1
> SYST:ERR?
< +0,"No error"
> :SENS3:CHAN1:POW:WAV 1550NM
> SYST:ERR?
< +0,"No error"
> :INIT3:CHAN1:IMM
> :FETC3:CHAN1:RET?
< +6.81000000E+001
)",
                                            "8164B with sources and an RL module");
    SessionOptions source_options;
    source_options.role = "source";
    ScpiSession origin(std::make_unique<ReplayTransport>(script), source_options);
    SessionOptions rl_options;
    rl_options.role = "rl";
    Keysight8165x source(source_config(), origin.share(source_options));
    Keysight81610a rl(rl_config(), origin.share(rl_options));
    source.prepare();
    rl.prepare();
    CHECK(rl.slot() == 3);
    CHECK(source.wavelengths_nm() == std::vector<double>{850, 1300, 1310, 1550});
    source.select_wavelength_nm(1550);
    rl.set_wavelength_nm(1550);
    rl.start_measurement();
    const auto reading = rl.read_rl_db();
    REQUIRE(reading.ok());
    CHECK(reading.rl_db == Approx(68.1));
    CHECK_CONSUMED(script);
}

TEST_CASE("registry: instruments naming one resource share one connection", "[registry]") {
    SessionPool pool;
    auto source = source_config();
    auto rl = rl_config();
    rl.resource = "TCPIP::127.0.0.1::5025::SOCKET";  // the same resource, written without a board
    const auto first = pool.session(source);
    const auto second = pool.session(rl);
    CHECK(first->options().role == "source");
    CHECK(second->options().role == "rl");
    // One connection: holding it for one session holds it for the other.
    std::atomic<bool> second_held{false};
    std::thread other;
    {
        const auto held = first->hold();
        other = std::thread([&] {
            const auto also = second->hold();
            second_held = true;
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        CHECK_FALSE(second_held);
    }
    other.join();
    CHECK(second_held);
    // Another resource: a connection of its own, not held by the first.
    auto meter = config("meter", Role::PowerMeter, "keysight-n774x");
    meter.resource = "TCPIP0::127.0.0.1::5026::SOCKET";
    const auto third = pool.session(meter);
    const auto held = first->hold();
    std::thread free_thread([&] { const auto own = third->hold(); });
    free_thread.join();
}

TEST_CASE("registry: instruments on one resource must agree on its line", "[registry]") {
    SessionPool pool;
    auto source = source_config();
    source.resource = "ASRL/dev/ttyUSB0::INSTR";
    auto rl = rl_config();
    rl.resource = source.resource;
    rl.transport.serial.baud = 115200;
    (void)pool.session(source);
    const auto error = expect_error([&] { (void)pool.session(rl); }, ErrorKind::Configuration);
    CHECK_THAT(error.detail(), Catch::Contains("shares") && Catch::Contains("source") &&
                                   Catch::Contains("serial settings"));
    rl.transport.serial.baud = source.transport.serial.baud;
    rl.read_terminator = "\r\n";
    const auto framing = expect_error([&] { (void)pool.session(rl); }, ErrorKind::Configuration);
    CHECK_THAT(framing.detail(), Catch::Contains("terminators"));
}

// ---------------------------------------------------------------------------
// Registry

TEST_CASE("registry: the five models and their roles", "[registry]") {
    const auto& models = known_models();
    REQUIRE(models.size() == 5);
    const auto role_of = [&](std::string_view key) {
        const auto found = std::find_if(models.begin(), models.end(),
                                        [&](const ModelInfo& info) { return info.key == key; });
        REQUIRE(found != models.end());
        return found->role;
    };
    CHECK(role_of("keysight-n774x") == Role::PowerMeter);
    CHECK(role_of("thorlabs-pm100") == Role::PowerMeter);
    CHECK(role_of("keysight-8165x") == Role::LightSource);
    CHECK(role_of("keysight-n773x") == Role::OpticalSwitch);
    CHECK(role_of("keysight-81610a") == Role::ReturnLossMeter);
}

TEST_CASE("registry: builds each role's driver without connecting", "[registry]") {
    CHECK(make_light_source(source_config())->model() == "keysight-8165x");
    CHECK(make_optical_switch(switch_config())->model() == "keysight-n773x");
    CHECK(make_return_loss_meter(rl_config())->model() == "keysight-81610a");
    CHECK(make_power_meter(config("meter", Role::PowerMeter, "keysight-n774x"))->model() ==
          "keysight-n774x");
    CHECK(make_power_meter(config("monitor", Role::PowerMeter, "thorlabs-pm100"))->model() ==
          "thorlabs-pm100");
    const auto instrument = make_instrument(switch_config());
    CHECK(instrument->role() == "switch");
    CHECK(instrument->resource() == "TCPIP0::127.0.0.1::5025::SOCKET");
}

TEST_CASE("registry: an unknown model lists the known keys", "[registry]") {
    const auto error =
        expect_error([] { make_instrument(config("source", Role::LightSource, "acme-1000")); },
                     ErrorKind::Configuration);
    for (const char* key : {"keysight-n774x", "thorlabs-pm100", "keysight-8165x", "keysight-n773x",
                            "keysight-81610a"}) {
        CHECK_THAT(error.detail(), Catch::Contains(key));
    }
    CHECK_THAT(error.detail(), Catch::Contains("acme-1000"));
    CHECK(error.context().role == "source");
}

TEST_CASE("registry: a model in the wrong role is refused", "[registry]") {
    SECTION("a switch model configured as a source") {
        const auto error = expect_error(
            [] { make_light_source(config("source", Role::LightSource, "keysight-n773x")); },
            ErrorKind::Configuration);
        CHECK_THAT(error.detail(), Catch::Contains("keysight-8165x"));
    }
    SECTION("asking a meter of a configured switch") {
        expect_error([] { make_power_meter(switch_config()); }, ErrorKind::Configuration);
    }
    SECTION("make_instrument checks the role too") {
        expect_error([] { make_instrument(config("rl", Role::PowerMeter, "keysight-81610a")); },
                     ErrorKind::Configuration);
    }
}

TEST_CASE("registry: a malformed resource string is a configuration error", "[registry]") {
    auto bad = source_config();
    bad.resource = "GPIB0::20::INSTR";
    const auto error = expect_error([&] { make_light_source(bad); }, ErrorKind::Configuration);
    CHECK_THAT(error.what(), Catch::Contains("GPIB0::20::INSTR"));
}

TEST_CASE("registry: accepts() on good and bad identities for all five models", "[registry]") {
    const Identity keysight_8163b{"Keysight Technologies", "8163B", "MY48201234", "V5.25(72637)"};
    const Identity agilent_8164b{"Agilent Technologies", "8164B", "DE41300123", "V4.40(63940)"};
    const Identity n7734c{"Keysight Technologies", "N7734C", "MY56001234", "V1.210"};
    const Identity n7745a{"Keysight Technologies", "N7745A", "MY53100123", "1.2.4"};
    const Identity pm100{"Thorlabs", "PM100USB", "P2001234", "1.7.0"};
    const Identity other{"Acme Instruments", "X100", "1", "1.0"};

    CHECK(Keysight8165x::accepts_identity(keysight_8163b));
    CHECK(Keysight8165x::accepts_identity(agilent_8164b));
    CHECK_FALSE(Keysight8165x::accepts_identity(n7734c));
    CHECK_FALSE(Keysight8165x::accepts_identity(other));

    CHECK(Keysight81610a::accepts_identity(keysight_8163b));
    CHECK_FALSE(Keysight81610a::accepts_identity(pm100));
    CHECK_FALSE(Keysight81610a::accepts_identity(other));

    CHECK(KeysightN773x::accepts_identity(n7734c));
    CHECK(KeysightN773x::accepts_identity({"Agilent Technologies", "N7731A", "x", "1.0"}));
    CHECK_FALSE(KeysightN773x::accepts_identity(n7745a));
    CHECK_FALSE(KeysightN773x::accepts_identity(keysight_8163b));

    CHECK(KeysightN774x::accepts_identity(n7745a));
    CHECK_FALSE(KeysightN774x::accepts_identity(n7734c));
    CHECK_FALSE(KeysightN774x::accepts_identity(other));

    CHECK(ThorlabsPm100::accepts_identity(pm100));
    CHECK_FALSE(ThorlabsPm100::accepts_identity(keysight_8163b));
    CHECK_FALSE(ThorlabsPm100::accepts_identity(other));

    // Through the instances the registry builds, too.
    for (const auto& info : known_models()) {
        auto instrument = make_instrument(config("x", info.role, info.key));
        CHECK_FALSE(instrument->accepts(other));
    }
}
