#pragma once
// Thorlabs PM100 family (PM100USB, PM100D, PM100A, PM101, PM400) optical
// power meter with a photodiode sensor: one channel, SCPI.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drivers/scpi_driver.hpp"

namespace mpobench::drivers {

// What SYSTem:SENSor:IDN? says about the sensor head.
struct ThorlabsSensor {
    std::string name;  // "S155C"
    std::string serial;
    std::string calibration;  // calibration message, e.g. "01-Jan-2025"
    int type = 0;
    int subtype = 0;
    int flags =
        0;  // 1 power, 2 energy, 16 response / 32 wavelength / 64 tau settable, 256 temperature

    bool is_power_sensor() const { return (flags & 1) != 0; }
};

// Parses "<name>,<sn>,<cal msg>,<type>,<subtype>,<flags>"; throws
// std::invalid_argument naming the text for anything else.
ThorlabsSensor parse_thorlabs_sensor(std::string_view text);

class ThorlabsPm100 final : public ScpiDriver<PowerMeter, ThorlabsPm100> {
  public:
    static constexpr std::string_view model_key = "thorlabs-pm100";
    // One sample takes about 3 ms (PM100D manual, SENSe:AVERage:COUNt).
    static constexpr std::chrono::microseconds kSampleTime{3000};
    static constexpr std::chrono::microseconds kMaxAveragingTime{10'000'000};
    static constexpr long long kDefaultAverageCount = 33;  // 99 ms, what 100 ms rounds to

    ThorlabsPm100(InstrumentConfig config, std::unique_ptr<ScpiSession> session);

    static bool accepts_identity(const Identity& identity);

    // *CLS; reads and logs the sensor (refuses one that is not a power
    // sensor) and its wavelength range; unit W, autorange, the averaging
    // count, power measurement configured; checks the error queue.
    void prepare() override;

    int channel_count() const override { return 1; }
    // SENSe:CORRection:WAVelength in nm, within the sensor's range once known.
    void set_wavelength_nm(double wavelength_nm) override;
    // SENSe:AVERage:COUNt of about 3 ms samples; averaging_time() reports
    // the count actually set (count x 3 ms).
    void set_averaging_time(std::chrono::microseconds atime) override;
    std::chrono::microseconds averaging_time() const override {
        return average_count_ * kSampleTime;
    }
    // INITiate; read_all_dbm() collects it with FETCh?.
    void start_measurement() override;
    std::vector<PowerReading> read_all_dbm() override;
    // A fresh reading: MEASure:POWer? (configures, triggers, waits).
    PowerReading read_dbm(int channel) override;

    const std::optional<ThorlabsSensor>& sensor() const { return sensor_; }

  private:
    std::chrono::milliseconds window_timeout() const;
    PowerReading query_reading(const std::string& query, Retry retry);

    long long average_count_ = kDefaultAverageCount;
    std::optional<ThorlabsSensor> sensor_;
    std::optional<std::pair<double, double>> wavelength_range_nm_;
};

}  // namespace mpobench::drivers
