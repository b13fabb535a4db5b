// Keysight N774x multiport optical power meter.
//
// Manuals followed:
// * Keysight N774xC Series Multiport Power Meter Programming Guide (N7744C
//   4-port, N7745C 8-port), the current online edition: command syntax,
//   :SENSe[n]:POWer:UNIT 0|1 (0 = dBm, 1 = W), :SENSe[n]:POWer:WAVelength in
//   metres with PM|NM|UM|MM|M suffixes, :READ[n]:POWer:ALL:CONFig? (block of
//   uint16 slot/channel pairs, Intel byte order), the advice to set the
//   wavelength with autorange off, READ = trigger + FETCh.
// * Keysight 8163A/B, 8164A/B & 8166A/B Mainframes Programming Guide (the
//   command family the N774x inherits): :FETCh:POWer:ALL? as a binary block
//   of little-endian float32, one per port, ATIMe/RANGe semantics.
//
// Choices where INSTRUMENTS.md says *(check)*:
// * Unit of :FETCh:POWer:ALL?: the mainframe guide says the block is always
//   in W, and one public driver doubts it. Setting every port to W makes
//   both readings agree, so the driver sets W and converts to dBm itself;
//   a power that is not positive is Underrange (no light), never a number.
// * Out-of-range flags: SCPI 9.9E37 (and any value above 1e20) is
//   Overrange, 9.91E37 or a float NaN is Invalid.
// * Range: autorange on every port. The bench reads from about -10 dBm
//   (reference) down to -60 dBm and dark positions; one fixed 10 dB-step
//   range cannot hold that span with 0.01 dB noise at its bottom, and the
//   meter switches range in hardware within the averaging window.
//   Autorange is switched off around each wavelength change, as the guide
//   advises, and back on after it.
// * Triggering: continuous mode off, then :INITiate[n]:IMMediate per port
//   (the guide describes the trigger per port [n]); :FETCh:POWer:ALL? then
//   returns that window for every port in one reply.

#include "drivers/models/keysight_n774x.hpp"
#include "vocabulary/logger.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace mpobench::drivers {

namespace {

constexpr double kOverrangeAboveW = 1e20;
constexpr double kScpiNotANumber = 9.91e37;
// float32 carries the sentinel to about 1e-7 relative; 9.9E37 is 1e-3 away.
constexpr double kSentinelTolerance = 1e-4;

PowerReading reading_from_watts(double watts, const std::string& command) {
    using Status = PowerReading::Status;
    if (std::isnan(watts) ||
        std::fabs(watts - kScpiNotANumber) <= kScpiNotANumber * kSentinelTolerance) {
        return {Status::Invalid, 0.0, command};
    }
    if (watts > kOverrangeAboveW) {
        return {Status::Overrange, 0.0, command};
    }
    if (!(watts > 0.0)) {
        return {Status::Underrange, 0.0, command};
    }
    return {Status::Ok, 10.0 * std::log10(watts * 1e3), command};
}

PowerReading reading_from_number(const ScpiNumber& number, const std::string& command) {
    using Status = PowerReading::Status;
    switch (number.kind) {
        case ScpiNumber::Kind::PositiveOverrange:
            return {Status::Overrange, 0.0, command};
        case ScpiNumber::Kind::NegativeOverrange:
            return {Status::Underrange, 0.0, command};
        case ScpiNumber::Kind::NotANumber:
            return {Status::Invalid, 0.0, command};
        case ScpiNumber::Kind::Value:
            break;
    }
    return reading_from_watts(number.value, command);
}

// "100MS" for whole milliseconds, else "250US": the unit keeps it readable.
std::string format_atime(std::chrono::microseconds atime) {
    if (atime.count() % 1000 == 0) {
        return fmt::format("{}MS", atime.count() / 1000);
    }
    return fmt::format("{}US", atime.count());
}

bool starts_with_any(std::string_view text, std::initializer_list<std::string_view> prefixes) {
    return std::any_of(prefixes.begin(), prefixes.end(),
                       [&](std::string_view prefix) { return text.starts_with(prefix); });
}

}  // namespace

KeysightN774x::KeysightN774x(InstrumentConfig config, std::unique_ptr<ScpiSession> session)
    : ScpiDriver(std::move(config), std::move(session)) {
    if (!session_) {
        throw std::invalid_argument(
            fmt::format("{}: Keysight N774x driver needs a session", config_.name));
    }
    if (config_.channels < 0) {
        throw InstrumentError(ErrorKind::Configuration, session_->context(""),
                              fmt::format("channels = {} (must be 0 or more)", config_.channels));
    }
    for (int port = 1; port <= config_.channels; ++port) {
        ports_.push_back(port);
    }
}

bool KeysightN774x::accepts_identity(const Identity& identity) {
    const bool vendor =
        identity.vendor.starts_with("Keysight") || identity.vendor.starts_with("Agilent");
    return vendor && starts_with_any(identity.model, {"N7744", "N7745", "N7747", "N7748"});
}

void KeysightN774x::prepare() {
    session_->clear_status();

    // The ports the instrument has, in the order :FETCh:POWer:ALL? reports them.
    const std::string config_query = ":READ:POW:ALL:CONF?";
    const std::string payload = session_->query_block(config_query, session_->options().timeout);
    std::vector<std::uint16_t> pairs;
    try {
        pairs = decode_uint16_le(payload);
    } catch (const std::invalid_argument& error) {
        throw InstrumentError(ErrorKind::Protocol, session_->context(config_query, payload),
                              error.what());
    }
    if (pairs.empty() || pairs.size() % 2 != 0) {
        throw InstrumentError(
            ErrorKind::Protocol, session_->context(config_query, payload),
            fmt::format("expected (slot, channel) pairs, got {} values", pairs.size()));
    }
    std::vector<int> instrument_ports;
    for (std::size_t i = 0; i < pairs.size(); i += 2) {
        instrument_ports.push_back(pairs[i]);
    }
    const auto available = static_cast<int>(instrument_ports.size());
    if (config_.channels > available) {
        throw InstrumentError(
            ErrorKind::Configuration, session_->context(config_query, payload),
            fmt::format("the station file declares {} channels but the meter has {} ports",
                        config_.channels, available));
    }
    const int used = config_.channels > 0 ? config_.channels : available;
    ports_.assign(instrument_ports.begin(), instrument_ports.begin() + used);

    write_every_port(":INIT{}:CONT 0");
    write_every_port(":SENS{}:POW:UNIT 1");
    write_every_port(":SENS{}:POW:RANG:AUTO 1");
    write_every_port(":SENS{}:POW:ATIM " + format_atime(averaging_time_));
    session_->check_errors("prepare (continuous off, unit W, autorange, averaging time)");
    logger("drivers")->info("{}: {} of {} ports in use, averaging {} us", config_.name, used,
                            available, averaging_time_.count());
}

int KeysightN774x::channel_count() const {
    return static_cast<int>(ports_.size());
}

const std::vector<int>& KeysightN774x::ports() const {
    if (ports_.empty()) {
        throw InstrumentError(
            ErrorKind::Configuration, session_->context(""),
            "the port count is unknown: set channels in the station file or call prepare() first");
    }
    return ports_;
}

int KeysightN774x::port_of(int channel) const {
    const auto& known = ports();
    if (channel < 1 || channel > static_cast<int>(known.size())) {
        throw std::out_of_range(
            fmt::format("{}: channel {} is outside 1..{}", config_.name, channel, known.size()));
    }
    return known[static_cast<std::size_t>(channel - 1)];
}

std::chrono::milliseconds KeysightN774x::window_timeout() const {
    return std::chrono::ceil<std::chrono::milliseconds>(averaging_time_) +
           session_->options().timeout;
}

void KeysightN774x::write_every_port(const std::string& command_format) {
    for (const int port : ports()) {
        session_->write(fmt::format(fmt::runtime(command_format), port));
    }
}

void KeysightN774x::set_wavelength_nm(double wavelength_nm) {
    if (!std::isfinite(wavelength_nm) || wavelength_nm <= 0.0) {
        throw InstrumentError(ErrorKind::Configuration, session_->context(":SENS:POW:WAV"),
                              fmt::format("wavelength {} nm is not a wavelength", wavelength_nm));
    }
    const std::string wavelength = fmt::format("{}NM", wavelength_nm);
    for (const int port : ports()) {
        session_->write(fmt::format(":SENS{}:POW:RANG:AUTO 0", port));
        session_->write(fmt::format(":SENS{}:POW:WAV {}", port, wavelength));
        session_->write(fmt::format(":SENS{}:POW:RANG:AUTO 1", port));
    }
    session_->check_errors(fmt::format(":SENS:POW:WAV {} (every port)", wavelength));
}

void KeysightN774x::set_averaging_time(std::chrono::microseconds atime) {
    if (atime < kMinAveragingTime || atime > kMaxAveragingTime) {
        throw InstrumentError(
            ErrorKind::Configuration, session_->context(":SENS:POW:ATIM"),
            fmt::format("averaging time {} us is outside the meter's {}..{} us", atime.count(),
                        kMinAveragingTime.count(), kMaxAveragingTime.count()));
    }
    const std::string value = format_atime(atime);
    write_every_port(":SENS{}:POW:ATIM " + value);
    session_->check_errors(fmt::format(":SENS:POW:ATIM {} (every port)", value));
    averaging_time_ = atime;
}

void KeysightN774x::start_measurement() {
    write_every_port(":INIT{}:IMM");
}

std::vector<PowerReading> KeysightN774x::read_all_dbm() {
    const auto& known = ports();
    const std::string query = ":FETC:POW:ALL?";
    const std::string payload = session_->query_block(query, window_timeout(), Retry::Idempotent);
    std::vector<float> watts;
    try {
        watts = decode_float32_le(payload);
    } catch (const std::invalid_argument& error) {
        throw InstrumentError(ErrorKind::Protocol, session_->context(query, payload), error.what());
    }
    if (watts.size() < known.size()) {
        throw InstrumentError(ErrorKind::Protocol, session_->context(query, payload),
                              fmt::format("{} values for {} ports", watts.size(), known.size()));
    }
    std::vector<PowerReading> readings;
    readings.reserve(known.size());
    for (std::size_t i = 0; i < known.size(); ++i) {
        readings.push_back(reading_from_watts(static_cast<double>(watts[i]), query));
    }
    return readings;
}

PowerReading KeysightN774x::read_dbm(int channel) {
    const std::string query = fmt::format(":READ{}:POW?", port_of(channel));
    // READ starts a new window: not retried, a second one would measure again.
    const std::string reply = session_->query(query, window_timeout(), Retry::No);
    try {
        return reading_from_number(parse_number(reply), query);
    } catch (const std::invalid_argument& error) {
        throw InstrumentError(ErrorKind::Protocol, session_->context(query, reply), error.what());
    }
}

}  // namespace mpobench::drivers
