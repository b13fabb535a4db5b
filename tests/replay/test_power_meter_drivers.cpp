// The power-meter drivers against recorded transcripts: exact bytes sent,
// every reply mapped the way the role promises, every transcript consumed.

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "drivers/errors.hpp"
#include "drivers/instrument_config.hpp"
#include "drivers/models/keysight_n774x.hpp"
#include "drivers/models/thorlabs_pm100.hpp"
#include "drivers/scpi_session.hpp"
#include "tests/support/replay_transport.hpp"

// Lambdas name the structured bindings they use as init-captures (`&meter = meter`):
// Clang before 16, which builds the sanitizer tests, cannot capture bindings.

namespace {

using namespace std::chrono_literals;
using mpobench::drivers::ErrorKind;
using mpobench::drivers::Identity;
using mpobench::drivers::InstrumentConfig;
using mpobench::drivers::InstrumentError;
using mpobench::drivers::KeysightN774x;
using mpobench::drivers::PowerReading;
using mpobench::drivers::ScpiSession;
using mpobench::drivers::SessionOptions;
using mpobench::drivers::ThorlabsPm100;
using mpobench::testing::ReplayScript;
using mpobench::testing::ReplayTransport;
using Status = PowerReading::Status;

std::filesystem::path transcript(const std::string& name) {
    return std::filesystem::path(MPOBENCH_SOURCE_DIR) / "tests" / "replay" / "transcripts" / name;
}

template <typename Driver>
struct Replay {
    std::shared_ptr<ReplayScript> script;
    std::unique_ptr<Driver> driver;
};

template <typename Driver>
Replay<Driver> replay(std::unique_ptr<ReplayTransport> transport, const std::string& model,
                      int channels) {
    auto script = transport->script();
    SessionOptions options;
    options.role = "meter";
    options.timeout = 500ms;
    auto session = std::make_unique<ScpiSession>(std::move(transport), options);
    InstrumentConfig config;
    config.name = "meter";
    config.model = model;
    config.resource = "REPLAY";
    config.channels = channels;
    return {script, std::make_unique<Driver>(config, std::move(session))};
}

Replay<KeysightN774x> keysight(const std::string& file, int channels) {
    return replay<KeysightN774x>(ReplayTransport::from_file(transcript(file)), "keysight-n774x",
                                 channels);
}

Replay<ThorlabsPm100> thorlabs(const std::string& file) {
    return replay<ThorlabsPm100>(ReplayTransport::from_file(transcript(file)), "thorlabs-pm100", 0);
}

// Runs `action` and returns the InstrumentError it must throw.
template <typename Action>
InstrumentError instrument_error(Action&& action) {
    try {
        action();
    } catch (const InstrumentError& error) {
        return error;
    }
    FAIL("no InstrumentError was thrown");
    throw std::logic_error("unreachable");
}

void check_consumed(const ReplayScript& script) {
    INFO(script.remaining());
    CHECK(script.all_consumed());
}

void check_dbm(const PowerReading& reading, double dbm) {
    REQUIRE(reading.status == Status::Ok);
    CHECK(reading.dbm == Approx(dbm).margin(1e-5));
}

}  // namespace

// ---------------------------------------------------------------------------
// Keysight N774x

TEST_CASE("N774x identifies and accepts Keysight/Agilent multiport meters only",
          "[replay][n774x]") {
    auto [script, meter] = keysight("keysight_n774x_identify.txt", 4);
    const Identity identity = meter->identify();
    CHECK(identity.vendor == "Keysight Technologies");
    CHECK(identity.model == "N7744C");
    CHECK(identity.serial == "MY53400123");
    CHECK(meter->accepts(identity));
    check_consumed(*script);

    CHECK(KeysightN774x::accepts_identity({"Agilent Technologies", "N7745A", "MY1", "1.0"}));
    CHECK(KeysightN774x::accepts_identity({"Keysight Technologies", "N7745C", "MY1", "V1.102"}));
    CHECK_FALSE(KeysightN774x::accepts_identity({"Keysight Technologies", "N7734C", "MY1", "1.0"}));
    CHECK_FALSE(KeysightN774x::accepts_identity({"Thorlabs", "PM100USB", "P1", "1.7.0"}));
}

TEST_CASE("N774x prepare discovers the ports and configures every one", "[replay][n774x]") {
    auto [script, meter] = keysight("keysight_n774x_prepare.txt", 0);
    CHECK(meter->channel_count() == 0);
    meter->prepare();
    CHECK(meter->channel_count() == 4);
    CHECK(meter->averaging_time() == 100ms);
    check_consumed(*script);
}

TEST_CASE("N774x prepare refuses more channels than the meter has ports", "[replay][n774x]") {
    auto [script, meter] = keysight("keysight_n774x_prepare_too_few_ports.txt", 8);
    const auto error = instrument_error([&, &meter = meter] { meter->prepare(); });
    CHECK(error.kind() == ErrorKind::Configuration);
    CHECK_THAT(error.what(), Catch::Contains("8 channels") && Catch::Contains("4 ports"));
    check_consumed(*script);
}

TEST_CASE("N774x prepare rejects a port list that is not (slot, channel) pairs",
          "[replay][n774x]") {
    auto [script, meter] = keysight("keysight_n774x_prepare_bad_port_list.txt", 0);
    const auto error = instrument_error([&, &meter = meter] { meter->prepare(); });
    CHECK(error.kind() == ErrorKind::Protocol);
    CHECK(error.context().command == ":READ:POW:ALL:CONF?");
    check_consumed(*script);
}

TEST_CASE("N774x sets wavelength and averaging, measures all ports in one block",
          "[replay][n774x]") {
    auto [script, meter] = keysight("keysight_n774x_measurement.txt", 4);
    REQUIRE(meter->channel_count() == 4);
    meter->set_wavelength_nm(1310);
    meter->set_averaging_time(200ms);
    CHECK(meter->averaging_time() == 200ms);
    meter->start_measurement();
    const auto readings = meter->read_all_dbm();
    REQUIRE(readings.size() == 4);
    check_dbm(readings[0], -10.0);
    check_dbm(readings[1], -20.5);
    check_dbm(readings[2], -35.25);
    check_dbm(readings[3], -56.97077);
    check_dbm(meter->read_dbm(3), -30.0);
    check_consumed(*script);
}

TEST_CASE("N774x maps overrange, NaN and no-light replies to statuses", "[replay][n774x]") {
    auto [script, meter] = keysight("keysight_n774x_sentinels.txt", 4);
    meter->start_measurement();
    auto readings = meter->read_all_dbm();
    REQUIRE(readings.size() == 4);
    CHECK(readings[0].status == Status::Overrange);
    CHECK(readings[1].status == Status::Invalid);
    CHECK(readings[2].status == Status::Underrange);
    CHECK(readings[3].status == Status::Underrange);

    meter->start_measurement();
    readings = meter->read_all_dbm();
    REQUIRE(readings.size() == 4);
    CHECK(readings[0].status == Status::Invalid);
    CHECK(readings[1].status == Status::Overrange);
    check_dbm(readings[2], 0.0);
    CHECK(readings[3].status == Status::Overrange);

    CHECK(meter->read_dbm(1).status == Status::Overrange);
    CHECK(meter->read_dbm(2).status == Status::Invalid);
    CHECK(meter->read_dbm(3).status == Status::Underrange);
    CHECK(meter->read_dbm(4).status == Status::Underrange);
    CHECK(meter->read_dbm(1).status == Status::Overrange);
    check_consumed(*script);
}

TEST_CASE("N774x reports garbled and short replies as protocol errors", "[replay][n774x]") {
    auto [script, meter] = keysight("keysight_n774x_garbled.txt", 4);
    const auto bad_header = instrument_error([&, &meter = meter] { meter->read_all_dbm(); });
    CHECK(bad_header.kind() == ErrorKind::Protocol);
    CHECK(bad_header.context().command == ":FETC:POW:ALL?");

    const auto short_block = instrument_error([&, &meter = meter] { meter->read_all_dbm(); });
    CHECK(short_block.kind() == ErrorKind::Protocol);
    CHECK_THAT(short_block.what(), Catch::Contains("2 values for 4 ports"));

    const auto text_block = instrument_error([&, &meter = meter] { meter->read_all_dbm(); });
    CHECK(text_block.kind() == ErrorKind::Protocol);

    const auto noise = instrument_error([&, &meter = meter] { meter->read_dbm(2); });
    CHECK(noise.kind() == ErrorKind::Protocol);
    CHECK(noise.context().command == ":READ2:POW?");
    REQUIRE(noise.context().reply.has_value());
    check_consumed(*script);
}

TEST_CASE("N774x times out after three retries of FETCh and none of READ", "[replay][n774x]") {
    auto [script, meter] = keysight("keysight_n774x_timeout.txt", 4);
    const auto fetch = instrument_error([&, &meter = meter] { meter->read_all_dbm(); });
    CHECK(fetch.kind() == ErrorKind::Timeout);
    CHECK(fetch.context().command == ":FETC:POW:ALL?");
    const auto read = instrument_error([&, &meter = meter] { meter->read_dbm(1); });
    CHECK(read.kind() == ErrorKind::Timeout);
    check_consumed(*script);
}

TEST_CASE("N774x reports the error queue after a configuration", "[replay][n774x]") {
    auto [script, meter] = keysight("keysight_n774x_device_error.txt", 4);
    const auto error = instrument_error([&, &meter = meter] { meter->set_wavelength_nm(2000); });
    CHECK(error.kind() == ErrorKind::Device);
    CHECK_THAT(error.what(), Catch::Contains("-222") && Catch::Contains("Data out of range") &&
                                 Catch::Contains("2000NM"));
    check_consumed(*script);
}

TEST_CASE("N774x refuses bad settings and channels before sending anything", "[replay][n774x]") {
    auto [script, meter] =
        replay<KeysightN774x>(ReplayTransport::from_string(""), "keysight-n774x", 4);
    CHECK(instrument_error([&, &meter = meter] { meter->set_averaging_time(5us); }).kind() ==
          ErrorKind::Configuration);
    CHECK(instrument_error([&, &meter = meter] { meter->set_averaging_time(11s); }).kind() ==
          ErrorKind::Configuration);
    CHECK(instrument_error([&, &meter = meter] { meter->set_wavelength_nm(-1310); }).kind() ==
          ErrorKind::Configuration);
    CHECK_THROWS_AS(meter->read_dbm(0), std::out_of_range);
    CHECK_THROWS_AS(meter->read_dbm(5), std::out_of_range);
    CHECK(meter->averaging_time() == KeysightN774x::kDefaultAveragingTime);
    check_consumed(*script);

    auto [unknown_script, unknown_ports] =
        replay<KeysightN774x>(ReplayTransport::from_string(""), "keysight-n774x", 0);
    const auto error = instrument_error(
        [&, &unknown_ports = unknown_ports] { unknown_ports->start_measurement(); });
    CHECK(error.kind() == ErrorKind::Configuration);
    CHECK_THAT(error.what(), Catch::Contains("prepare()"));
}

// ---------------------------------------------------------------------------
// Thorlabs PM100

TEST_CASE("PM100 identifies and accepts the PM100 family only", "[replay][pm100]") {
    auto [script, meter] = thorlabs("thorlabs_pm100_identify.txt");
    const Identity identity = meter->identify();
    CHECK(identity.model == "PM100USB");
    CHECK(meter->accepts(identity));
    CHECK(meter->channel_count() == 1);
    check_consumed(*script);

    CHECK(ThorlabsPm100::accepts_identity({"THORLABS", "PM100D", "P0001", "2.4.0"}));
    CHECK(ThorlabsPm100::accepts_identity({"Thorlabs", "PM400", "P0001", "1.0.0"}));
    CHECK_FALSE(ThorlabsPm100::accepts_identity({"Thorlabs", "PM16-121", "P0001", "1.0.0"}));
    CHECK_FALSE(ThorlabsPm100::accepts_identity({"Keysight Technologies", "N7745C", "MY1", "V1"}));
}

TEST_CASE("PM100 prepare reads the sensor and its wavelength range", "[replay][pm100]") {
    auto [script, meter] = thorlabs("thorlabs_pm100_prepare.txt");
    meter->prepare();
    REQUIRE(meter->sensor().has_value());
    CHECK(meter->sensor()->name == "S155C");
    CHECK(meter->sensor()->serial == "15120601");
    CHECK(meter->sensor()->flags == 289);
    CHECK(meter->averaging_time() == 99ms);
    check_consumed(*script);

    // Outside the sensor's 800..1700 nm: refused without a command.
    const auto error = instrument_error([&, &meter = meter] { meter->set_wavelength_nm(1750); });
    CHECK(error.kind() == ErrorKind::Configuration);
    CHECK_THAT(error.what(), Catch::Contains("S155C"));
    check_consumed(*script);
}

TEST_CASE("PM100 prepare refuses an energy sensor", "[replay][pm100]") {
    auto [script, meter] = thorlabs("thorlabs_pm100_prepare_energy_sensor.txt");
    const auto error = instrument_error([&, &meter = meter] { meter->prepare(); });
    CHECK(error.kind() == ErrorKind::Configuration);
    CHECK_THAT(error.what(), Catch::Contains("ES111C") && Catch::Contains("not a power sensor"));
    check_consumed(*script);
}

TEST_CASE("PM100 prepare rejects a malformed sensor identity", "[replay][pm100]") {
    auto [script, meter] = thorlabs("thorlabs_pm100_prepare_bad_sensor.txt");
    const auto error = instrument_error([&, &meter = meter] { meter->prepare(); });
    CHECK(error.kind() == ErrorKind::Protocol);
    CHECK(error.context().command == "SYST:SENS:IDN?");
    check_consumed(*script);
}

TEST_CASE("PM100 sensor identity parser", "[replay][pm100]") {
    using mpobench::drivers::parse_thorlabs_sensor;
    const auto sensor = parse_thorlabs_sensor("S155C,15120601,01-Jan-2025,1,18,289");
    CHECK(sensor.type == 1);
    CHECK(sensor.subtype == 18);
    CHECK(sensor.is_power_sensor());
    CHECK_THROWS_AS(parse_thorlabs_sensor(""), std::invalid_argument);
    CHECK_THROWS_AS(parse_thorlabs_sensor(",1,2,3,4,5"), std::invalid_argument);
    CHECK_THROWS_AS(parse_thorlabs_sensor("S155C,1,cal,1,18,289,7"), std::invalid_argument);
    CHECK_THROWS_AS(parse_thorlabs_sensor("S155C,1,cal,1,18,x289"), std::invalid_argument);
    CHECK_THROWS_AS(parse_thorlabs_sensor("S155C,1,cal,1,18,-1"), std::invalid_argument);
}

TEST_CASE("PM100 sets wavelength and averaging count, measures", "[replay][pm100]") {
    auto [script, meter] = thorlabs("thorlabs_pm100_measurement.txt");
    meter->set_wavelength_nm(1310);
    meter->set_averaging_time(100ms);
    CHECK(meter->averaging_time() == 99ms);
    meter->start_measurement();
    const auto readings = meter->read_all_dbm();
    REQUIRE(readings.size() == 1);
    check_dbm(readings[0], -10.0);
    check_dbm(meter->read_dbm(1), -26.0);
    CHECK_THROWS_AS(meter->read_dbm(2), std::out_of_range);
    check_consumed(*script);
}

TEST_CASE("PM100 maps overrange, NaN and no-light replies to statuses", "[replay][pm100]") {
    auto [script, meter] = thorlabs("thorlabs_pm100_sentinels.txt");
    CHECK(meter->read_all_dbm().at(0).status == Status::Overrange);
    CHECK(meter->read_all_dbm().at(0).status == Status::Invalid);
    CHECK(meter->read_all_dbm().at(0).status == Status::Underrange);
    CHECK(meter->read_dbm(1).status == Status::Underrange);
    CHECK(meter->read_dbm(1).status == Status::Underrange);
    CHECK(meter->read_dbm(1).status == Status::Overrange);
    check_consumed(*script);
}

TEST_CASE("PM100 reports garbled replies as protocol errors", "[replay][pm100]") {
    auto [script, meter] = thorlabs("thorlabs_pm100_garbled.txt");
    const auto fetch = instrument_error([&, &meter = meter] { meter->read_all_dbm(); });
    CHECK(fetch.kind() == ErrorKind::Protocol);
    CHECK(fetch.context().reply == std::optional<std::string>("1.2E-0x4"));
    CHECK(instrument_error([&, &meter = meter] { meter->read_dbm(1); }).kind() ==
          ErrorKind::Protocol);
    check_consumed(*script);
}

TEST_CASE("PM100 times out after three retries of FETCh and none of MEASure", "[replay][pm100]") {
    auto [script, meter] = thorlabs("thorlabs_pm100_timeout.txt");
    CHECK(instrument_error([&, &meter = meter] { meter->read_all_dbm(); }).kind() ==
          ErrorKind::Timeout);
    const auto measure = instrument_error([&, &meter = meter] { meter->read_dbm(1); });
    CHECK(measure.kind() == ErrorKind::Timeout);
    CHECK(measure.context().command == "MEAS:POW?");
    check_consumed(*script);
}

TEST_CASE("PM100 reports the error queue after a configuration", "[replay][pm100]") {
    auto [script, meter] = thorlabs("thorlabs_pm100_device_error.txt");
    const auto error = instrument_error([&, &meter = meter] { meter->set_wavelength_nm(1310); });
    CHECK(error.kind() == ErrorKind::Device);
    CHECK_THAT(error.what(), Catch::Contains("-221") && Catch::Contains("SENS:CORR:WAV 1310"));
    check_consumed(*script);
}

TEST_CASE("PM100 refuses bad settings before sending anything", "[replay][pm100]") {
    auto [script, meter] =
        replay<ThorlabsPm100>(ReplayTransport::from_string(""), "thorlabs-pm100", 0);
    CHECK(instrument_error([&, &meter = meter] { meter->set_averaging_time(0us); }).kind() ==
          ErrorKind::Configuration);
    CHECK(instrument_error([&, &meter = meter] { meter->set_averaging_time(20s); }).kind() ==
          ErrorKind::Configuration);
    CHECK(instrument_error([&, &meter = meter] { meter->set_wavelength_nm(0); }).kind() ==
          ErrorKind::Configuration);
    check_consumed(*script);

    InstrumentConfig two_channels;
    two_channels.name = "monitor";
    two_channels.channels = 2;
    auto session =
        std::make_unique<ScpiSession>(ReplayTransport::from_string(""), SessionOptions{});
    CHECK_THROWS_AS(ThorlabsPm100(two_channels, std::move(session)), InstrumentError);
}
