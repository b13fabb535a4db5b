// Thorlabs PM100 family optical power meter.
//
// Manuals followed:
// * Thorlabs PM100USB Operation Manual (2020 edition), chapter "Computer
//   Interface": command format (long/short forms, any case), "CORR:WAVE
//   1550" sets the wavelength in nm, "CORR:WAVE? MIN" / "? MAX" give the
//   sensor's range, <new line> terminates a command.
// * Thorlabs PM100D Operation Manual, "PM100D SCPI Commands" (the command
//   reference the PM100USB shares): SYSTem:SENSor:IDN? fields and flag
//   bits, SENSe:AVERage:COUNt ("1 sample takes approx. 3 ms"),
//   SENSe:POWer:DC:UNIT W|DBM, SENSe:POWer:DC:RANGe:AUTO, CONFigure:POWer,
//   INITiate, FETCh?, MEASure:POWer?.
//
// Choices where INSTRUMENTS.md says *(check)*:
// * Wavelength in nm both ways (the manual's examples and PyMeasure's
//   ThorlabsPM100USB, which reads "SENSE:CORR:WAV?" as nm).
// * Unit W: MEASure:POWer? answers in W in PyMeasure's client too; the
//   driver converts to dBm, and a power that is not positive (a zeroed
//   photodiode in the dark) is Underrange, never a number.
// * Averaging: count = averaging time / 3 ms, rounded, at least 1.
// * Autorange on: the meter taps the source and sees one level per
//   wavelength, so range changes are rare.

#include "drivers/models/thorlabs_pm100.hpp"
#include "vocabulary/logger.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

namespace mpobench::drivers {

namespace {

constexpr double kOverrangeAboveW = 1e20;

PowerReading reading_from_watts(const ScpiNumber& number, const std::string& command) {
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
    if (number.value > kOverrangeAboveW) {
        return {Status::Overrange, 0.0, command};
    }
    if (!(number.value > 0.0)) {
        return {Status::Underrange, 0.0, command};
    }
    return {Status::Ok, 10.0 * std::log10(number.value * 1e3), command};
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) ==
                      std::toupper(static_cast<unsigned char>(y));
           });
}

int field_integer(const std::vector<std::string>& fields, std::size_t index,
                  std::string_view text) {
    try {
        const long long value = parse_integer(fields[index]);
        if (value < 0 || value > 65535) {
            throw std::invalid_argument(fmt::format("{} is out of range", value));
        }
        return static_cast<int>(value);
    } catch (const std::invalid_argument& error) {
        throw std::invalid_argument(
            fmt::format("sensor identity '{}': field {} is not a small integer ({})", text,
                        index + 1, error.what()));
    }
}

}  // namespace

ThorlabsSensor parse_thorlabs_sensor(std::string_view text) {
    const auto fields = split_list(text);
    if (fields.size() != 6) {
        throw std::invalid_argument(
            fmt::format("sensor identity '{}' has {} fields, expected 6 "
                        "(name,serial,calibration,type,subtype,flags)",
                        text, fields.size()));
    }
    if (fields[0].empty()) {
        throw std::invalid_argument(fmt::format("sensor identity '{}' has no sensor name", text));
    }
    ThorlabsSensor sensor;
    sensor.name = fields[0];
    sensor.serial = fields[1];
    sensor.calibration = fields[2];
    sensor.type = field_integer(fields, 3, text);
    sensor.subtype = field_integer(fields, 4, text);
    sensor.flags = field_integer(fields, 5, text);
    return sensor;
}

ThorlabsPm100::ThorlabsPm100(InstrumentConfig config, std::unique_ptr<ScpiSession> session)
    : ScpiDriver(std::move(config), std::move(session)) {
    if (!session_) {
        throw std::invalid_argument(
            fmt::format("{}: Thorlabs PM100 driver needs a session", config_.name));
    }
    if (config_.channels > 1) {
        throw InstrumentError(
            ErrorKind::Configuration, session_->context(""),
            fmt::format("channels = {}, but a PM100 has one sensor", config_.channels));
    }
}

bool ThorlabsPm100::accepts_identity(const Identity& identity) {
    if (!iequals(identity.vendor, "Thorlabs")) {
        return false;
    }
    const std::string_view model = identity.model;
    return model.starts_with("PM100") || model.starts_with("PM101") || model.starts_with("PM400");
}

void ThorlabsPm100::prepare() {
    session_->clear_status();

    const std::string sensor_query = "SYST:SENS:IDN?";
    const std::string reply = session_->query(sensor_query);
    try {
        sensor_ = parse_thorlabs_sensor(reply);
    } catch (const std::invalid_argument& error) {
        throw InstrumentError(ErrorKind::Protocol, session_->context(sensor_query, reply),
                              error.what());
    }
    if (!sensor_->is_power_sensor()) {
        throw InstrumentError(ErrorKind::Configuration, session_->context(sensor_query, reply),
                              fmt::format("sensor {} is not a power sensor (flags {})",
                                          sensor_->name, sensor_->flags));
    }

    const auto range_limit = [&](const std::string& query) {
        const std::string text = session_->query(query);
        try {
            return parse_value(text);
        } catch (const std::invalid_argument& error) {
            throw InstrumentError(ErrorKind::Protocol, session_->context(query, text),
                                  error.what());
        }
    };
    const double min_nm = range_limit("SENS:CORR:WAV? MIN");
    const double max_nm = range_limit("SENS:CORR:WAV? MAX");
    if (!(min_nm > 0.0) || !(max_nm >= min_nm)) {
        throw InstrumentError(
            ErrorKind::Protocol, session_->context("SENS:CORR:WAV? MIN/MAX"),
            fmt::format("wavelength range {}..{} nm is not a range", min_nm, max_nm));
    }
    wavelength_range_nm_ = {min_nm, max_nm};
    logger("drivers")->info(
        "{}: sensor {} serial {} calibrated {} (type {}, subtype {}, flags {}), {}..{} nm",
        config_.name, sensor_->name, sensor_->serial, sensor_->calibration, sensor_->type,
        sensor_->subtype, sensor_->flags, min_nm, max_nm);

    session_->write("SENS:POW:DC:UNIT W");
    session_->write("SENS:POW:DC:RANG:AUTO ON");
    session_->write(fmt::format("SENS:AVER:COUN {}", average_count_));
    session_->write("CONF:POW");
    session_->check_errors("prepare (unit W, autorange, averaging count, power measurement)");
}

void ThorlabsPm100::set_wavelength_nm(double wavelength_nm) {
    const std::string command = fmt::format("SENS:CORR:WAV {}", wavelength_nm);
    if (!std::isfinite(wavelength_nm) || wavelength_nm <= 0.0) {
        throw InstrumentError(ErrorKind::Configuration, session_->context(command),
                              "not a wavelength");
    }
    if (wavelength_range_nm_ && (wavelength_nm < wavelength_range_nm_->first ||
                                 wavelength_nm > wavelength_range_nm_->second)) {
        throw InstrumentError(
            ErrorKind::Configuration, session_->context(command),
            fmt::format("outside sensor {}'s {}..{} nm", sensor_ ? sensor_->name : "?",
                        wavelength_range_nm_->first, wavelength_range_nm_->second));
    }
    session_->write(command);
    session_->check_errors(command);
}

void ThorlabsPm100::set_averaging_time(std::chrono::microseconds atime) {
    if (atime <= std::chrono::microseconds::zero() || atime > kMaxAveragingTime) {
        throw InstrumentError(ErrorKind::Configuration, session_->context("SENS:AVER:COUN"),
                              fmt::format("averaging time {} us is outside 0..{} us", atime.count(),
                                          kMaxAveragingTime.count()));
    }
    const long long count =
        std::max<long long>(1, std::llround(static_cast<double>(atime.count()) /
                                            static_cast<double>(kSampleTime.count())));
    const std::string command = fmt::format("SENS:AVER:COUN {}", count);
    session_->write(command);
    session_->check_errors(command);
    average_count_ = count;
}

std::chrono::milliseconds ThorlabsPm100::window_timeout() const {
    return std::chrono::ceil<std::chrono::milliseconds>(averaging_time()) +
           session_->options().timeout;
}

PowerReading ThorlabsPm100::query_reading(const std::string& query, Retry retry) {
    return reading_from_watts(session_->query_number(query, window_timeout(), retry), query);
}

void ThorlabsPm100::start_measurement() {
    session_->write("INIT");
}

std::vector<PowerReading> ThorlabsPm100::read_all_dbm() {
    // FETCh? returns the last result again if asked twice: safe to retry.
    return {query_reading("FETC?", Retry::Idempotent)};
}

PowerReading ThorlabsPm100::read_dbm(int channel) {
    if (channel != 1) {
        throw std::out_of_range(
            fmt::format("{}: channel {} (a PM100 has channel 1 only)", config_.name, channel));
    }
    // MEASure starts a new measurement: not retried.
    return query_reading("MEAS:POW?", Retry::No);
}

}  // namespace mpobench::drivers
