#pragma once
// The table of instrument models: a station file names a model key, the
// registry builds that model's driver behind its role interface.

#include <memory>
#include <string>
#include <vector>

#include "drivers/instrument_config.hpp"
#include "drivers/roles.hpp"
#include "drivers/scpi_session.hpp"

namespace mpobench::drivers {

struct ModelInfo {
    std::string key;  // "keysight-n7745"
    Role role;
    std::string description;  // "Keysight N7744/N7745 multiport power meter"
};

const std::vector<ModelInfo>& known_models();

// The SCPI session a configuration describes (resource, serial settings,
// terminators, timeout); not yet connected. Throws InstrumentError(Configuration)
// for a malformed resource string.
std::unique_ptr<ScpiSession> make_session(const InstrumentConfig& config);

// Throws InstrumentError(Configuration) for an unknown model or one whose
// role differs from the configured role.
std::unique_ptr<PowerMeter> make_power_meter(const InstrumentConfig& config);
std::unique_ptr<LightSource> make_light_source(const InstrumentConfig& config);
std::unique_ptr<OpticalSwitch> make_optical_switch(const InstrumentConfig& config);
std::unique_ptr<ReturnLossMeter> make_return_loss_meter(const InstrumentConfig& config);
std::unique_ptr<Instrument> make_instrument(const InstrumentConfig& config);

}  // namespace mpobench::drivers
