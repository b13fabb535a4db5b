#pragma once
// Light source: Keysight (Agilent) 8165x Fabry-Perot / LED source modules in
// an 8163A/B, 8164A/B or 8166A/B lightwave mainframe. One driver drives every
// source module of the mainframe as one LightSource: the default bench has
// an 8163B with a dual MM LED module (850/1300 nm) in slot 1 and a dual SM
// Fabry-Perot module (1310/1550 nm) in slot 2.
//
// The first half of this header is what the drivers of all 816x plug-in
// modules share (this one and keysight_81610a): recognising the mainframe and
// listing its modules.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/scpi_driver.hpp"

namespace mpobench::drivers {

namespace lightwave_mainframe {

// 8163A/B, 8164A/B, 8166A/B from Keysight or, on older firmware, Agilent.
bool is_mainframe(const Identity& identity);

// The 8164A/B numbers its slots from 0 (the back-loadable tunable laser
// slot); the 8163A/B and 8166A/B from 1.
int first_slot(const Identity& identity);

struct InstalledModule {
    int slot = 0;
    std::string part_number;  // "81654A"; empty slots are not listed
};

// *CLS and *IDN?: the mainframe's identity, or InstrumentError(Configuration)
// naming `model_key` when the instrument is not an 8163/8164/8166.
Identity clear_and_identify(ScpiSession& session, std::string_view model_key);

// *OPT? lists the module part number of every slot in slot order, an empty
// field for an empty slot. Throws InstrumentError(Protocol) for a reply that
// is not such a list.
std::vector<InstalledModule> installed_modules(ScpiSession& session, const Identity& identity);

}  // namespace lightwave_mainframe

class Keysight8165x final : public ScpiDriver<LightSource, Keysight8165x> {
  public:
    static constexpr std::string_view model_key = "keysight-8165x";
    // Allowance on top of the configured timeout for *OPC? after a laser
    // change: the mainframe reports completion once the laser is on and
    // settled, which takes seconds for a Fabry-Perot source.
    static constexpr std::chrono::seconds stabilisation_allowance{30};

    // One source module, as prepare() found it.
    struct Module {
        int slot = 0;
        std::string part_number;
        std::vector<double> lasers_nm;  // lower laser first; one or two entries
    };

    Keysight8165x(InstrumentConfig config, std::unique_ptr<ScpiSession> session);

    static bool accepts_identity(const Identity& identity);

    // *CLS, checks the identity, discovers the source modules (*OPT?, then
    // each module's lower and upper wavelength), sets them to CW with every
    // laser off.
    void prepare() override;

    // Every laser of every source module, ascending; known after prepare().
    std::vector<double> wavelengths_nm() const override;
    // Turns the other modules' lasers off, picks the laser on the module
    // that has it and turns it on. wait_stable() then waits for it.
    void select_wavelength_nm(double wavelength_nm) override;
    double wavelength_nm() override;
    void set_output(bool on) override;
    void wait_stable() override;

    const std::vector<Module>& modules() const { return modules_; }

  private:
    struct Selection {
        std::size_t module = 0;
        std::size_t laser = 0;
    };

    const Module& active_module(std::string_view what);
    std::optional<Selection> find_laser(double wavelength_nm) const;
    double query_wavelength_nm(const std::string& command);

    std::vector<Module> modules_;
    std::optional<std::size_t> active_module_;  // the module whose laser was selected last
};

}  // namespace mpobench::drivers
