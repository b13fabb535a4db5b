#pragma once
// The bench: the station's instruments, connected, identified, prepared,
// behind their role interfaces.

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "acquisition/station.hpp"
#include "acquisition/stop.hpp"
#include "drivers/roles.hpp"
#include "vocabulary/run_record.hpp"

namespace mpobench::acquisition {

// The bench may not test: an instrument past its calibration date, an
// expired reference. Exit 4.
class Refused : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The station file does not describe a usable bench (missing role, wrong
// model answering): exit 2.
class BenchConfigurationError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct BenchTiming {
    std::chrono::microseconds meter_averaging{100000};  // IL windows
    // One fixed RL window per reading (a limit set without a sequential
    // RL rule): MM PC connectors (RL < 50 dB), SM APC (RL > 50 dB): >= 1 s.
    std::chrono::microseconds rl_averaging_pc{300000};
    std::chrono::microseconds rl_averaging_apc{1000000};
    // Sequential RL decisions: the RL module's shortest usable window
    // (200 ms on 8161x modules), averaged as long as a reading needs. The
    // reference's noise windows are this long too.
    std::chrono::microseconds rl_window_sequential{200000};
};

// What one launch shows: every far-end detector from one averaging window
// and, when asked for, the return-loss meter's window started with it.
struct LaunchReading {
    // Far-position order (index 0 = position 1), assembled from every
    // far-end meter's window.
    std::vector<drivers::PowerReading> far_end;
    std::optional<drivers::ReturnLossReading> return_loss;
    // The tap monitor's window, started with the far-end meter's (same
    // length): M_now. Empty when the station has no monitor.
    std::optional<drivers::PowerReading> monitor;
};

// Where a far position is read: a far-end meter and its channel (1-based).
struct FarEndPort {
    drivers::PowerMeter* meter = nullptr;
    int channel = 0;
};

class Bench {
  public:
    // The station's instruments are found by role, whatever their names:
    // one light_source, one optical_switch (the launch switch), at most one
    // return_loss_meter, and power meters: the tap monitor (monitor = true,
    // or a meter named "monitor" without far_positions, as older station
    // files have it) and the far end, either one meter serving positions
    // 1..its channels or several each naming its far_positions. Throws
    // BenchConfigurationError naming the station file's key: a role missing
    // or given twice, far positions overlapping, leaving a gap, or more than
    // a meter's channels.
    explicit Bench(StationConfig station, BenchTiming timing = {});
    ~Bench();
    Bench(const Bench&) = delete;
    Bench& operator=(const Bench&) = delete;

    // Connects, asks *IDN? of each instrument, checks the model, prepares it
    // (all instruments at once; modules that share one resource take turns
    // on its one connection), then sets the meter's averaging time. Throws
    // BenchConfigurationError, drivers::InstrumentError.
    void connect();
    // Throws Refused naming each instrument whose calibration_due < today (YYYY-MM-DD).
    void check_calibration(const std::string& today_iso) const;

    // --- stopping and the laser ---
    // The request every light-path operation below looks at first: once it
    // asks to stop, they throw Stopped instead of touching an instrument.
    // Null (the default): nothing stops the bench from outside.
    void set_stop_request(const StopRequest* stop);
    // Throws Stopped when the stop request asks to stop.
    void check_stop() const;
    // Turns the source's laser off: connect() leaves it off (the drivers
    // prepare sources dark), select_wavelength_nm() turns it on when a
    // measurement needs light, and every procedure's end, abort or signal
    // turns it off here. Does nothing before connect() or when no laser was
    // lit since. Not stopped by the stop request. Throws drivers::InstrumentError.
    void laser_off();

    const StationConfig& station() const;
    const BenchTiming& timing() const;
    // The retries of idempotent queries (after lost or garbled replies)
    // since the last call, or since the bench was built; the budget they
    // spend from (station retry_budget) starts whole again. Called once at
    // the end of each run, it is that run's count.
    int take_retries();
    std::vector<InstrumentRecord> instruments() const;  // after connect()

    drivers::LightSource& source();
    drivers::OpticalSwitch& launch_switch();
    // The far end (after connect()): how many far positions its meters
    // serve, which meter channel reads position p (1-based; throws
    // std::out_of_range outside them), and its meters in station-file order.
    int far_position_count() const;
    FarEndPort far_end_port(int far_position) const;
    std::vector<drivers::PowerMeter*> far_end_meters();
    drivers::ReturnLossMeter* return_loss_meter();  // nullptr when the station has none
    drivers::PowerMeter* monitor();                 // nullptr when the station has none

    // --- the light path as the procedures drive it (DESIGN.md §7) ---
    // Each call skips what is already in place, so one procedure after
    // another changes no wavelength and moves no switch without need. The
    // procedures drive the source, switch and meters only through these.

    // Averaging windows for an assembly of this mode: the meter's (and the
    // tap monitor's) meter_averaging, the return-loss meter's `rl_window`,
    // or when empty its fixed PC or APC time. Unchanged settings are not
    // sent again.
    void apply_timing(FiberMode mode,
                      std::optional<std::chrono::microseconds> rl_window = std::nullopt);
    // Selects the source laser (turning it on) and sets the far-end meter,
    // the return-loss meter and the tap monitor to it; returns while the
    // laser settles.
    void select_wavelength_nm(int wavelength_nm);
    // Waits (*OPC?) until the source has settled after the last change;
    // returns at once when nothing changed.
    void wait_until_source_stable();
    // The wavelength the light path is set to; nullopt before the first
    // selection or after a failed one.
    std::optional<int> wavelength_nm() const;
    // `wanted`, rotated to start with the wavelength selected now when it
    // is among them: a pass that follows another begins without a laser change.
    std::vector<int> wavelength_order(const std::vector<int>& wanted) const;
    // Moves the launch switch to `port` and returns once it has settled.
    void route_launch(int port);
    int launch_port() const;  // 0 = not known (before the first move, after a failed one)
    // Starts every far-end meter's window, the tap monitor's (when present)
    // and (when asked and present) the return-loss meter's together, then
    // collects them: the launch costs the longest window, not the sum.
    LaunchReading read_launch(bool with_return_loss);
    // One more window of the return-loss meter alone (the launch as it
    // is). Throws BenchConfigurationError on a station without one.
    drivers::ReturnLossReading read_return_loss();
    // One window of the tap monitor alone (nullopt without a monitor): the
    // source's power now, for the drift check before a run.
    std::optional<drivers::PowerReading> read_monitor();
    // Asks every instrument for its error queue (SYST:ERR?): an error raised
    // by a measurement command surfaces here, named with `after`. Throws
    // drivers::InstrumentError (Device).
    void check_error_queues(std::string_view after);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mpobench::acquisition
