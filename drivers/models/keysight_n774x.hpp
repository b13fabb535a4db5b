#pragma once
// Keysight N7744A/N7745A/N7744C/N7745C multiport optical power meter (and
// the MPO meters that speak its command set with one port per fibre
// position). Every port is a channel of this PowerMeter; the port number is
// the `[n]` suffix of :SENSe[n] / :INITiate[n] / :FETCh[n].

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "drivers/scpi_driver.hpp"

namespace mpobench::drivers {

class KeysightN774x final : public ScpiDriver<PowerMeter, KeysightN774x> {
  public:
    static constexpr std::string_view model_key = "keysight-n774x";
    // Averaging time range of the N774x datasheet.
    static constexpr std::chrono::microseconds kMinAveragingTime{10};
    static constexpr std::chrono::microseconds kMaxAveragingTime{10'000'000};
    static constexpr std::chrono::microseconds kDefaultAveragingTime{100'000};

    KeysightN774x(InstrumentConfig config, std::unique_ptr<ScpiSession> session);

    // Keysight (or Agilent) N7744/N7745/N7747/N7748, A or C generation.
    static bool accepts_identity(const Identity& identity);

    // *CLS, learns the ports (:READ:POW:ALL:CONF?), then on every port:
    // continuous triggering off, unit W, autorange on, the current averaging
    // time; checks the error queue.
    void prepare() override;

    // The configured channel count, or the instrument's port count once
    // prepare() has asked for it (0 before that when none was configured).
    int channel_count() const override;
    void set_wavelength_nm(double wavelength_nm) override;
    void set_averaging_time(std::chrono::microseconds atime) override;
    std::chrono::microseconds averaging_time() const override { return averaging_time_; }
    // :INITiate[n]:IMMediate on every port: one averaging window each.
    void start_measurement() override;
    // One :FETCh:POWer:ALL? (binary block, W) for the window started last.
    std::vector<PowerReading> read_all_dbm() override;
    // A fresh reading of one port (:READ[n]:POWer? starts its own window).
    PowerReading read_dbm(int channel) override;

  private:
    // The ports this driver measures, in channel order (port suffixes).
    const std::vector<int>& ports() const;
    int port_of(int channel) const;
    // Deadline for a reply that waits for an averaging window.
    std::chrono::milliseconds window_timeout() const;
    void write_every_port(const std::string& command_format);

    std::vector<int> ports_;  // empty until configured or discovered
    std::chrono::microseconds averaging_time_ = kDefaultAveragingTime;
};

}  // namespace mpobench::drivers
