#pragma once
// The test procedures: reference, production test (IL, RL, polarity map,
// optional re-mates), mating-cycle repeatability. They produce plain data
// into the run record and hand each measurement, as it is taken, to a sink
// (app connects the sink to db). Ordered for the instrument-bound minimum
// (DESIGN.md §7): wavelength outer, one switch move per fibre, all far-end
// detectors in one read, IL and RL of a fibre in the same launch window.

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include "acquisition/bench.hpp"
#include "acquisition/operator.hpp"
#include "vocabulary/run_record.hpp"

namespace mpobench::acquisition {

// The run cannot go on (instrument fault, suspect reference, operator
// abort); the record keeps what was measured. Exit 3.
class TestAborted : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class MeasurementSink {
  public:
    virtual ~MeasurementSink() = default;
    virtual void on_measurement(const Measurement& measurement) = 0;
};

struct ProgressEvent {
    enum class Kind { Step, Fiber, Cycle };
    Kind kind = Kind::Fiber;
    std::string message;  // for Step: what the bench is doing
    End end = End::A;
    int wavelength_nm = 0;
    int fiber = 0;
    int cycle = 0;            // 0 = production
    int done = 0, total = 0;  // measurements done / expected in this run
};
using ProgressCallback = std::function<void(const ProgressEvent&)>;

// Decides each RL reading of a test from its windows; app builds it from
// the limit set and the reference's noise model (analysis). Without one,
// each reading is one fixed window.
class RlRule {
  public:
    virtual ~RlRule() = default;
    // The RL module's window for this rule.
    virtual std::chrono::microseconds window() const = 0;
    // After every window of a reading: its estimate so far; another window
    // is taken until it is decided.
    virtual RlEstimate judge(const std::vector<RlWindow>& windows) = 0;
    // Once a reading is decided, with all its windows.
    virtual void finish(const std::vector<RlWindow>& windows) = 0;
};

struct ReferenceOptions {
    FiberMode mode = FiberMode::SM;
    int fibers = 12;                  // launch positions to reference
    std::vector<int> wavelengths_nm;  // default by mode when empty
    std::string launch_cord = "launch cord";
    std::string operator_name;
    double max_drift_db = 0.02;   // second read vs first, per point
    double no_light_dbm = -60.0;  // a referenced position darker than this: no light
    // RL windows per launch position and pass for the RL module's noise
    // model (bench timing rl_window_sequential long; the first shares the
    // launch's window); 0: none. Ignored without an RL module.
    int rl_noise_windows = 2;
};

// Operator connects the launch cord to the meter; P_ref per fibre per
// wavelength, read twice (and, with an RL module, options.rl_noise_windows
// RL windows of each position in each pass into reference.rl_calibration,
// the reflection of the cord's end in the meter's input); drift beyond max_drift_db is retaken
// once, then refused (TestAborted). Per wavelength (the one already selected first): two passes
// over the launch positions, each fibre read once per pass with every detector in one window; a
// point's power is the mean of its two reads and its drift the second minus the first (one pass
// apart, the same for every fibre). With a tap monitor, each read's window holds the monitor's too:
// the point keeps their mean (M_ref), and its drift is less the monitor's second minus first (the
// source's drift, which the IL corrects). A referenced position without light, or whose light
// reaches another detector, aborts naming the fibre. Throws BenchConfigurationError when the switch
// or meter has fewer positions than options.fibers.
Reference take_reference(Bench& bench, Operator& op, const ReferenceOptions& options,
                         const ProgressCallback& progress = {});

// Throws Refused unless the reference can serve this part now: same mode,
// taken with the launch cord the station file names (if it names one), no
// older than the station allows, a point for every fibre at every
// wavelength. The app asks before a run begins; the procedures ask again.
void check_reference(const Reference& reference, const Part& part, const StationConfig& station,
                     TimePoint now);

// IL of one launch: P_ref - P_dut, less the source's drift since the
// reference as the tap monitor saw it, (M_ref - M_now), when the monitor
// read both times; P_ref - P_dut otherwise.
double drift_corrected_il_db(double reference_dbm, double dut_dbm,
                             std::optional<double> monitor_ref_dbm,
                             std::optional<double> monitor_now_dbm);

// Throws Refused (take a new reference) when the tap monitor's drift since
// the reference, M_now - M_ref, is beyond station.max_monitor_drift_db.
void check_monitor_drift(double monitor_ref_dbm, double monitor_now_dbm, int wavelength_nm,
                         const StationConfig& station);

struct SanityLimits {
    double no_light_dbm = -60.0;   // far-end power below this: no light (continuity)
    double suspect_il_db = -0.05;  // IL below this: the reference is wrong -> abort
};

// Production test of run.part on the bench: end A, then end B (the operator
// flips), every wavelength, every fibre; IL, RL, far position; then the
// part's production re-mates. Fills run.measurements, run.polarity,
// run.instruments, run.reference_id, run.mating_cycles_run. Throws
// TestAborted (the record keeps what was measured).
//
// Order: connect end A; per wavelength (starting with the one selected
// now), per fibre: route the switch, start the meter's and the RL meter's
// windows together, read every far-end detector in one reply, then the RL
// reading; after the end-A pass, part.mating_cycles x (re-mate, IL pass of
// end A, cycle k); then connect end B and its pass. The far position is the
// brightest detector at or above sanity.no_light_dbm (none: NoLight);
// IL = P_ref(launch position, wavelength) - P(far position), corrected
// by the tap monitor (drift_corrected_il_db) when the station has one and
// the reference holds its readings. The monitor's window opens with each
// launch's; the first launch's monitor reading is checked against the
// reference's (check_monitor_drift: Refused, nothing recorded) before the
// run records anything. Later drift is not refused: each IL is corrected
// by its own launch's monitor reading. A monitor that reads no power aborts.
//
// Before any step: Refused when the reference is of another mode, misses
// a point the part needs, or is older than the station's
// reference_max_age_min; BenchConfigurationError when the switch or meter
// has fewer positions than the part has fibres.
//
// RL: with `rl_rule`, each lit fibre's RL windows (the first shares the
// launch's window, IL comes from that one) go on until the rule decides;
// the measurement keeps the estimate (mean, interval, windows, marginal).
// A window beyond the module's range is censored (the RL is at least the
// range); every window beyond it is a bound (rl_above_db). Without a rule,
// one window of the bench's fixed length per mode.
void run_production_test(Bench& bench, Operator& op, const Reference& reference, RunRecord& run,
                         MeasurementSink& sink, const ProgressCallback& progress = {},
                         const SanityLimits& sanity = {}, RlRule* rl_rule = nullptr);

// Mating-cycle repeatability: `cycles` re-mates of end A, IL of every fibre
// at every wavelength each cycle (cycle numbers 1..N). The operator
// connects end A once. Each cycle starts with the wavelength and switch
// position the previous one ended on, so a cycle costs one laser change,
// not two. run.polarity gets end A's map from cycle 1. Throws
// std::invalid_argument for cycles < 1, and like run_production_test.
void run_repeatability(Bench& bench, Operator& op, const Reference& reference, RunRecord& run,
                       int cycles, MeasurementSink& sink, const ProgressCallback& progress = {},
                       const SanityLimits& sanity = {});

}  // namespace mpobench::acquisition
