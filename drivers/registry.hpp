#pragma once
// The table of instrument models: a station file names a model key, the
// registry builds that model's driver behind its role interface.

#include <map>
#include <memory>
#include <mutex>
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

// The sessions of one bench: one connection per resource, shared by every
// instrument that names it (the modules of one mainframe: a source and a
// return-loss module in one 8163B are one GPIB/LAN/serial resource), so
// their exchanges are serialised on it rather than interleaved on the
// wire; and the run's retry budget, which every session spends from.
class SessionPool {
  public:
    explicit SessionPool(std::shared_ptr<RetryBudget> budget = nullptr);
    ~SessionPool();
    SessionPool(const SessionPool&) = delete;
    SessionPool& operator=(const SessionPool&) = delete;

    // A session for `config`: on a connection of its own, or on the one an
    // earlier instrument with the same resource has (logged). Throws
    // InstrumentError(Configuration) for a malformed resource, or when two
    // instruments on one resource disagree on its terminators or serial
    // line settings.
    std::unique_ptr<ScpiSession> session(const InstrumentConfig& config);

  private:
    struct Shared {
        std::string first;  // name of the instrument that opened it
        InstrumentConfig config;
        std::unique_ptr<ScpiSession> origin;  // what later sessions are shared from
    };
    std::shared_ptr<RetryBudget> budget_;
    std::mutex mutex_;                           // session() may be called from several threads
    std::map<std::string, Shared> by_resource_;  // canonical resource string -> connection
};

// Throws InstrumentError(Configuration) for an unknown model or one whose
// role differs from the configured role. With a pool, the driver's session
// comes from it; without, it has a connection of its own.
std::unique_ptr<PowerMeter> make_power_meter(const InstrumentConfig& config,
                                             SessionPool* pool = nullptr);
std::unique_ptr<LightSource> make_light_source(const InstrumentConfig& config,
                                               SessionPool* pool = nullptr);
std::unique_ptr<OpticalSwitch> make_optical_switch(const InstrumentConfig& config,
                                                   SessionPool* pool = nullptr);
std::unique_ptr<ReturnLossMeter> make_return_loss_meter(const InstrumentConfig& config,
                                                        SessionPool* pool = nullptr);
std::unique_ptr<Instrument> make_instrument(const InstrumentConfig& config,
                                            SessionPool* pool = nullptr);

}  // namespace mpobench::drivers
