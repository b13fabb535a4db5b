// Keysight 81610A return loss module in an 8163/8164/8166 mainframe.
//
// Manual followed: "8163A/B, 8164A/B & 8166A/B Mainframes Programming Guide"
// (Agilent Fifth Edition and the later Keysight edition): root layer
// :INITiate/:FETCh/:READ, the SENSe subsystem for return loss modules; and
// the 8163A/B, 8164A/B, 8166A/B User's Guide, "Return Loss Measurement"
// (calibration by reference reflection and termination). Choices where
// INSTRUMENTS.md says *(check)*:
// * A measurement is `:INIT<n>:CHAN1:IMM` then `:FETC<n>:CHAN1:RET?`; FETCh
//   waits for the window that INIT started (the module is single-channel,
//   channel 1, and runs with `:INIT<n>:CHAN1:CONT 0`).
// * The reading is the return loss in dB, positive. Out of range is the SCPI
//   +infinity 9.9E37 (reflection below the module's floor: RL beyond its
//   range); no light (nothing to compute a ratio from) is NaN, 9.91E37.
// * Wavelength and averaging are the power-meter nodes of the module:
//   `:SENS<n>:CHAN1:POW:WAV`, `:SENS<n>:CHAN1:POW:ATIM`, `:POW:RANG:AUTO`.
// * `:SENS<n>:CHAN1:RET:CAL:VAL?` answers four NR3 values: reference RL,
//   reference power, termination power, T-value. The guide's individual
//   calibration commands are not used: calibration is done at the front
//   panel when the bench is set up.
// * The module's slot is found with *OPT? (first part number 8161x).

#include "drivers/models/keysight_81610a.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "drivers/models/keysight_8165x.hpp"
#include "vocabulary/logger.hpp"

namespace mpobench::drivers {

namespace {

constexpr std::string_view return_loss_family_prefix = "8161";
// Readings above this are sentinels, whatever a firmware uses for them.
constexpr double sentinel_threshold = 1e20;

std::string format_atime(std::chrono::microseconds atime) {
    if (atime.count() % 1000 == 0)
        return fmt::format("{}MS", atime.count() / 1000);
    return fmt::format("{}US", atime.count());
}

}  // namespace

Keysight81610a::Keysight81610a(InstrumentConfig config, std::unique_ptr<ScpiSession> session)
    : ScpiDriver(std::move(config), std::move(session)) {}

bool Keysight81610a::accepts_identity(const Identity& identity) {
    return lightwave_mainframe::is_mainframe(identity);
}

void Keysight81610a::prepare() {
    // The mainframe may hold other modules driven over this connection.
    const auto held = session_->hold();
    const Identity identity = lightwave_mainframe::clear_and_identify(*session_, model_key);
    slot_.reset();
    for (const auto& installed : lightwave_mainframe::installed_modules(*session_, identity)) {
        if (installed.part_number.rfind(return_loss_family_prefix, 0) == 0) {
            slot_ = installed.slot;
            logger("drivers")->info("{}: return loss module {} in slot {}", config_.name,
                                    installed.part_number, installed.slot);
            break;
        }
    }
    if (!slot_) {
        throw InstrumentError(ErrorKind::Configuration, session_->context("*OPT?"),
                              "no 8161x return loss module is installed in this mainframe");
    }
    session_->write(fmt::format(":INIT{}:CHAN1:CONT 0", *slot_));
    session_->write(fmt::format(":SENS{}:CHAN1:POW:RANG:AUTO 1", *slot_));
    const std::string atime_command =
        fmt::format(":SENS{}:CHAN1:POW:ATIM {}", *slot_, format_atime(averaging_time_));
    session_->write(atime_command);
    session_->check_errors(atime_command);
}

int Keysight81610a::module_slot(std::string_view what) {
    if (!slot_) {
        throw InstrumentError(ErrorKind::Configuration, session_->context(what),
                              "the module's slot is known only after prepare()");
    }
    return *slot_;
}

void Keysight81610a::set_wavelength_nm(double wavelength_nm) {
    const int slot = module_slot("set wavelength");
    const std::string command = fmt::format(":SENS{}:CHAN1:POW:WAV {:g}NM", slot, wavelength_nm);
    const auto held = session_->hold();
    session_->write(command);
    session_->check_errors(command);
}

void Keysight81610a::set_averaging_time(std::chrono::microseconds atime) {
    const int slot = module_slot("set averaging time");
    const std::string command = fmt::format(":SENS{}:CHAN1:POW:ATIM {}", slot, format_atime(atime));
    if (atime < min_averaging_time) {
        throw InstrumentError(ErrorKind::Configuration, session_->context(command),
                              fmt::format("a return loss reading needs at least {} ms averaging",
                                          min_averaging_time.count()));
    }
    const auto held = session_->hold();
    session_->write(command);
    session_->check_errors(command);
    averaging_time_ = atime;
}

void Keysight81610a::start_measurement() {
    const int slot = module_slot("start measurement");
    session_->write(fmt::format(":INIT{}:CHAN1:IMM", slot));
}

ReturnLossReading Keysight81610a::read_rl_db() {
    const int slot = module_slot("read return loss");
    const std::string command = fmt::format(":FETC{}:CHAN1:RET?", slot);
    const auto timeout =
        std::chrono::ceil<std::chrono::milliseconds>(averaging_time_) + config_.timeout;
    // FETCh answers the window INIT started, as often as asked: retried.
    const ScpiNumber number = session_->query_number(command, timeout, Retry::Idempotent);
    ReturnLossReading reading;
    reading.command = command;
    switch (number.kind) {
        case ScpiNumber::Kind::PositiveOverrange:
            reading.status = ReturnLossReading::Status::Overrange;
            reading.range_db = rl_range_db;
            break;
        case ScpiNumber::Kind::NegativeOverrange:
            reading.status = ReturnLossReading::Status::Underrange;
            break;
        case ScpiNumber::Kind::NotANumber:
            reading.status = ReturnLossReading::Status::Invalid;
            break;
        case ScpiNumber::Kind::Value:
            if (number.value > sentinel_threshold) {
                reading.status = ReturnLossReading::Status::Overrange;
                reading.range_db = rl_range_db;
            } else if (number.value < -sentinel_threshold) {
                reading.status = ReturnLossReading::Status::Underrange;
            } else if (number.value < 0.0) {
                // Return loss is positive on this module; a negative value is
                // a reflection stronger than the calibration allows.
                reading.status = ReturnLossReading::Status::Invalid;
            } else {
                reading.rl_db = number.value;
            }
            break;
    }
    if (!reading.ok()) {
        logger("drivers")->debug("{}: return loss reading of '{}' is not a value", config_.name,
                                 command);
    }
    return reading;
}

Keysight81610a::CalibrationValues Keysight81610a::calibration_values() {
    const int slot = module_slot("calibration values");
    const std::string command = fmt::format(":SENS{}:CHAN1:RET:CAL:VAL?", slot);
    const std::string reply = session_->query(command);
    std::vector<ScpiNumber> values;
    try {
        values = parse_number_list(reply);
    } catch (const std::invalid_argument& error) {
        throw InstrumentError(ErrorKind::Protocol, session_->context(command, reply), error.what());
    }
    if (values.size() != 4 || !std::all_of(values.begin(), values.end(),
                                           [](const ScpiNumber& n) { return n.is_value(); })) {
        throw InstrumentError(ErrorKind::Protocol, session_->context(command, reply),
                              "expected four calibration values");
    }
    return {values[0].value, values[1].value, values[2].value, values[3].value};
}

}  // namespace mpobench::drivers
