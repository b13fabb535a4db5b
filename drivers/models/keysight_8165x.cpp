// Keysight 8165x source modules in an 8163/8164/8166 mainframe.
//
// Manual followed: "8163A/B, 8164A/B & 8166A/B Mainframes Programming Guide"
// (Agilent Fifth Edition and the later Keysight edition): slot/channel
// numbering and laser selection numbers (ch. 1), *OPT? (common commands),
// the SOURce subsystem (ch. 4, "Signal Generation"). Choices where
// INSTRUMENTS.md says *(check)*:
// * Laser selection on a dual-wavelength module:
//   `:SOURce<n>:POWer:WAVelength LOWer|UPPer` (query answers LOW/UPP), the
//   node the guide gives for dual-wavelength sources and the one public
//   8163 drivers use; the [l] suffix of the guide applies to per-laser
//   settings (power level, modulation), not to the selection.
// * Laser on/off: `:SOURce<n>:POWer:STATe 0|1`, the guide's laser switch.
//   `:OUTPut<n>:STATe` belongs to attenuator shutters in this guide.
// * Modulation: `:SOURce<n>:AM:STATe 0` for CW.
// * Discovery: `*OPT?` gives the part number per slot; every 8165x module
//   (prefix "8165") is a source; `:SOURce<n>:WAVelength? MIN|MAX` gives its
//   lower and upper laser (equal for a single-wavelength module), so the
//   driver needs no table of part numbers.
// * Stabilisation: *OPC? returns once the laser is settled; the driver
//   allows 30 s beyond the configured timeout for it.

#include "drivers/models/keysight_8165x.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

#include "vocabulary/logger.hpp"

namespace mpobench::drivers {

namespace {

// Part numbers of the 8165x source family start like this.
constexpr std::string_view source_family_prefix = "8165";
// How close a requested wavelength must be to a laser's nominal one.
constexpr double wavelength_match_nm = 0.5;

bool starts_with_any_case(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size())
        return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (std::toupper(static_cast<unsigned char>(text[i])) !=
            std::toupper(static_cast<unsigned char>(prefix[i]))) {
            return false;
        }
    }
    return true;
}

// Metres (as the instrument answers) to nanometres, without the binary
// noise of 1.31E-6 * 1E9.
double metres_to_nm(double metres) {
    return std::round(metres * 1e12) / 1e3;
}

}  // namespace

namespace lightwave_mainframe {

bool is_mainframe(const Identity& identity) {
    const bool vendor_ok = identity.vendor.find("Keysight") != std::string::npos ||
                           identity.vendor.find("Agilent") != std::string::npos;
    static constexpr std::string_view models[] = {"8163A", "8163B", "8164A",
                                                  "8164B", "8166A", "8166B"};
    return vendor_ok &&
           std::find(std::begin(models), std::end(models), identity.model) != std::end(models);
}

int first_slot(const Identity& identity) {
    return identity.model.rfind("8164", 0) == 0 ? 0 : 1;
}

std::vector<InstalledModule> installed_modules(ScpiSession& session, const Identity& identity) {
    static constexpr std::string_view command = "*OPT?";
    const std::string reply = session.query(command);
    std::vector<std::string> fields;
    try {
        fields = split_list(reply);
    } catch (const std::invalid_argument& error) {
        throw InstrumentError(ErrorKind::Protocol, session.context(command, reply), error.what());
    }
    std::vector<InstalledModule> modules;
    const int first = first_slot(identity);
    for (std::size_t i = 0; i < fields.size(); ++i) {
        const std::string& part = fields[i];
        if (part.empty())
            continue;
        const bool printable = std::all_of(part.begin(), part.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
        });
        if (!printable) {
            throw InstrumentError(ErrorKind::Protocol, session.context(command, reply),
                                  fmt::format("slot field {} is not a module part number", i + 1));
        }
        modules.push_back({first + static_cast<int>(i), part});
    }
    return modules;
}

Identity clear_and_identify(ScpiSession& session, std::string_view model_key) {
    session.clear_status();
    const Identity identity = session.identify();
    if (!is_mainframe(identity)) {
        throw InstrumentError(
            ErrorKind::Configuration, session.context("*IDN?"),
            fmt::format(
                "'{} {}' is not an 8163/8164/8166 lightwave mainframe, which model '{}' drives",
                identity.vendor, identity.model, model_key));
    }
    return identity;
}

}  // namespace lightwave_mainframe

Keysight8165x::Keysight8165x(InstrumentConfig config, std::unique_ptr<ScpiSession> session)
    : ScpiDriver(std::move(config), std::move(session)) {}

bool Keysight8165x::accepts_identity(const Identity& identity) {
    return lightwave_mainframe::is_mainframe(identity);
}

void Keysight8165x::prepare() {
    // The mainframe may hold other modules driven over this connection:
    // their commands must not fall between ours and the error check.
    const auto held = session_->hold();
    const Identity identity = lightwave_mainframe::clear_and_identify(*session_, model_key);

    std::vector<Module> found;
    for (const auto& installed : lightwave_mainframe::installed_modules(*session_, identity)) {
        if (!starts_with_any_case(installed.part_number, source_family_prefix))
            continue;
        const double lower_nm =
            query_wavelength_nm(fmt::format(":SOUR{}:WAV? MIN", installed.slot));
        const double upper_nm =
            query_wavelength_nm(fmt::format(":SOUR{}:WAV? MAX", installed.slot));
        Module module{installed.slot, installed.part_number, {lower_nm}};
        if (upper_nm - lower_nm > wavelength_match_nm)
            module.lasers_nm.push_back(upper_nm);
        found.push_back(std::move(module));
    }
    if (found.empty()) {
        throw InstrumentError(ErrorKind::Configuration, session_->context("*OPT?"),
                              "no 8165x source module is installed in this mainframe");
    }

    std::string last_command;
    for (const Module& module : found) {
        last_command = fmt::format(":SOUR{}:AM:STAT 0", module.slot);
        session_->write(last_command);
        last_command = fmt::format(":SOUR{}:POW:STAT 0", module.slot);
        session_->write(last_command);
    }
    session_->check_errors(last_command);

    modules_ = std::move(found);
    active_module_.reset();
    for (const Module& module : modules_) {
        logger("drivers")->info("{}: slot {} holds {} with lasers at {} nm", config_.name,
                                module.slot, module.part_number, fmt::join(module.lasers_nm, "/"));
    }
}

std::vector<double> Keysight8165x::wavelengths_nm() const {
    if (modules_.empty()) {
        throw InstrumentError(ErrorKind::Configuration,
                              ErrorContext{config_.name, config_.resource, "", std::nullopt, {}},
                              "the source modules are known only after prepare()");
    }
    std::vector<double> all;
    for (const Module& module : modules_) {
        all.insert(all.end(), module.lasers_nm.begin(), module.lasers_nm.end());
    }
    std::sort(all.begin(), all.end());
    return all;
}

std::optional<Keysight8165x::Selection> Keysight8165x::find_laser(double wavelength_nm) const {
    for (std::size_t m = 0; m < modules_.size(); ++m) {
        const auto& lasers = modules_[m].lasers_nm;
        for (std::size_t l = 0; l < lasers.size(); ++l) {
            if (std::abs(lasers[l] - wavelength_nm) <= wavelength_match_nm)
                return Selection{m, l};
        }
    }
    return std::nullopt;
}

void Keysight8165x::select_wavelength_nm(double wavelength_nm) {
    const auto available = wavelengths_nm();
    const auto selection = find_laser(wavelength_nm);
    if (!selection) {
        throw InstrumentError(ErrorKind::Configuration,
                              session_->context(fmt::format("select {} nm", wavelength_nm)),
                              fmt::format("no laser at {} nm; this source has {} nm", wavelength_nm,
                                          fmt::join(available, ", ")));
    }
    const Module& target = modules_[selection->module];
    const auto held = session_->hold();
    std::string last_command;
    for (const Module& module : modules_) {
        if (module.slot == target.slot)
            continue;
        last_command = fmt::format(":SOUR{}:POW:STAT 0", module.slot);
        session_->write(last_command);
    }
    if (target.lasers_nm.size() > 1) {
        last_command =
            fmt::format(":SOUR{}:POW:WAV {}", target.slot, selection->laser == 0 ? "LOW" : "UPP");
        session_->write(last_command);
    }
    last_command = fmt::format(":SOUR{}:POW:STAT 1", target.slot);
    session_->write(last_command);
    active_module_ = selection->module;
    session_->check_errors(last_command);
}

const Keysight8165x::Module& Keysight8165x::active_module(std::string_view what) {
    if (modules_.empty()) {
        throw InstrumentError(ErrorKind::Configuration, session_->context(what),
                              "the source modules are known only after prepare()");
    }
    if (!active_module_) {
        throw InstrumentError(ErrorKind::Configuration, session_->context(what),
                              "no laser selected yet (select_wavelength_nm first)");
    }
    return modules_[*active_module_];
}

double Keysight8165x::wavelength_nm() {
    const Module& module = active_module("wavelength query");
    return query_wavelength_nm(fmt::format(":SOUR{}:WAV?", module.slot));
}

void Keysight8165x::set_output(bool on) {
    if (!on && !active_module_ && !modules_.empty()) {
        // No laser known to be selected (a selection failed half-way):
        // every module goes dark, as prepare() leaves them.
        std::string command;
        for (const Module& module : modules_) {
            command = fmt::format(":SOUR{}:POW:STAT 0", module.slot);
            session_->write(command);
        }
        session_->check_errors(command);
        return;
    }
    const Module& module = active_module(on ? "output on" : "output off");
    const std::string command = fmt::format(":SOUR{}:POW:STAT {}", module.slot, on ? 1 : 0);
    const auto held = session_->hold();
    session_->write(command);
    session_->check_errors(command);
}

void Keysight8165x::wait_stable() {
    session_->wait_complete(config_.timeout + stabilisation_allowance);
}

double Keysight8165x::query_wavelength_nm(const std::string& command) {
    const double metres = session_->query_value(command);
    // A source module reports its wavelength in metres: 1 nm .. 10 um.
    if (!(metres > 1e-9 && metres < 1e-5)) {
        throw InstrumentError(ErrorKind::Protocol,
                              session_->context(command, fmt::format("{}", metres)),
                              "is not a wavelength in metres");
    }
    return metres_to_nm(metres);
}

}  // namespace mpobench::drivers
