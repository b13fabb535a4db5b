#pragma once
// Return-loss meter: Keysight (Agilent) 81610A return loss module (8161x
// family) in an 8163A/B, 8164A/B or 8166A/B mainframe. The 81610A has no
// source of its own: the bench source's light passes through its coupler,
// and it reads the reflection of whatever the launched fibre meets.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "drivers/scpi_driver.hpp"

namespace mpobench::drivers {

class Keysight81610a final : public ScpiDriver<ReturnLossMeter, Keysight81610a> {
  public:
    static constexpr std::string_view model_key = "keysight-81610a";
    // Averaging the module needs for a usable reading (INSTRUMENTS.md): at
    // least 200 ms, at least 1 s where return losses above 50 dB matter.
    static constexpr std::chrono::milliseconds min_averaging_time{200};
    static constexpr std::chrono::milliseconds high_rl_averaging_time{1000};
    static constexpr double high_rl_threshold_db = 50.0;
    // The module's return-loss range (81610A data sheet: up to 75 dB); an
    // overrange reading means an RL beyond it.
    static constexpr double rl_range_db = 75.0;

    // What :SENS<n>:CHAN1:RET:CAL:VAL? reports about the user calibration.
    struct CalibrationValues {
        double reference_rl_db = 0.0;        // RL of the reference reflection used
        double reference_power_dbm = 0.0;    // reflected power read on the reference
        double termination_power_dbm = 0.0;  // parasitic power read on the termination
        double termination_rl_db = 0.0;      // the T-value: RL is good to ~5-10 dB beyond it
    };

    Keysight81610a(InstrumentConfig config, std::unique_ptr<ScpiSession> session);

    static bool accepts_identity(const Identity& identity);

    // *CLS, checks the identity, finds the 8161x module (*OPT?), then
    // single measurements (continuous off), autorange, the averaging time.
    void prepare() override;

    // The wavelength whose calibration the module applies (the bench source's).
    void set_wavelength_nm(double wavelength_nm) override;
    // Throws InstrumentError(Configuration) below min_averaging_time.
    void set_averaging_time(std::chrono::microseconds atime) override;
    std::chrono::microseconds averaging_time() const override { return averaging_time_; }
    void start_measurement() override;
    // The window started last; waits up to the averaging time plus the
    // configured timeout. 9.9E37 (and any value above 1E20) -> Overrange
    // (beyond the module's range: range_db = rl_range_db), -9.9E37 -> Underrange, 9.91E37 (no
    // light) and negative values -> Invalid.
    ReturnLossReading read_rl_db() override;

    CalibrationValues calibration_values();
    // Slot of the module, known after prepare().
    std::optional<int> slot() const { return slot_; }

  private:
    int module_slot(std::string_view what);

    std::optional<int> slot_;
    std::chrono::microseconds averaging_time_{high_rl_averaging_time};
};

}  // namespace mpobench::drivers
