#pragma once
// The Instrument plumbing every SCPI model driver shares: its station-file
// configuration, its session, and the overrides that only delegate to them.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "drivers/instrument_config.hpp"
#include "drivers/roles.hpp"
#include "drivers/scpi_session.hpp"
#include "vocabulary/logger.hpp"

namespace mpobench::drivers {

// Model is the driver deriving from this (CRTP): it provides a static
// model_key (the station file's model name) and a static
// accepts_identity(const Identity&).
template <typename RoleInterface, typename Model>
class ScpiDriver : public RoleInterface {
  public:
    std::string role() const override { return config_.name; }
    std::string model() const override { return std::string(Model::model_key); }
    std::string resource() const override { return config_.resource; }
    Identity identify() override {
        const Identity identity = session_->identify();
        logger("drivers")->debug("{}: {} {} serial {} firmware {}", config_.name, identity.vendor,
                                 identity.model, identity.serial, identity.firmware);
        return identity;
    }
    bool accepts(const Identity& identity) const override {
        return Model::accepts_identity(identity);
    }
    std::vector<ErrorEntry> drain_errors() override { return session_->drain_errors(); }
    void check_errors(std::string_view after) override { session_->check_errors(after); }
    void reconnect() override { session_->reconnect(); }

  protected:
    ScpiDriver(InstrumentConfig config, std::unique_ptr<ScpiSession> session)
        : config_(std::move(config)), session_(std::move(session)) {}

    InstrumentConfig config_;
    std::unique_ptr<ScpiSession> session_;
};

}  // namespace mpobench::drivers
