#pragma once
// Optical switch: Keysight N7731C/N7734C (and N7731A/N7734A) style 1xN
// switch, common input A to outputs 1..N, as the launch switch of the bench.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "drivers/scpi_driver.hpp"

namespace mpobench::drivers {

class KeysightN773x final : public ScpiDriver<OpticalSwitch, KeysightN773x> {
  public:
    static constexpr std::string_view model_key = "keysight-n773x";

    KeysightN773x(InstrumentConfig config, std::unique_ptr<ScpiSession> session);

    static bool accepts_identity(const Identity& identity);

    // *CLS, then the switch configuration (:ROUT1:CONF?): the output count,
    // checked against the station file's `channels` when that is given.
    void prepare() override;

    // The station file's `channels`, else what :ROUT1:CONF? reported.
    int port_count() const override;
    // One message per move: route, *OPC? (returns once settled) and the
    // route read back, so every move is verified without a second round trip.
    void route(int port) override;
    int current_port() override;

  private:
    int parse_route(std::string_view command, const std::string& reply, std::string_view route);

    std::optional<int> reported_ports_;  // right-hand ports per :ROUT1:CONF?
};

}  // namespace mpobench::drivers
